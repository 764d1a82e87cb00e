"""Colour: the opponent colour space and an HSV colour histogram, of the whole image or per region.

:class:`ColorHistogram` is a transformer with the same input contract as the
local encodings, so it can be concatenated with them in a
:class:`sklearn.pipeline.FeatureUnion`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator, CollectionTransformerMixin
from ..exceptions import InputError
from ..utils._lazy import LazyModule
from ..utils.parallel import parallel_map
from ..utils.validation import check_images, check_is_fitted, validate_params
from ._common import image_tags
from ._grids import grid_cells, layout_grids
from .io import ReadOptions, describe_item, get_read_options, read_image

cv2 = LazyModule("cv2")  # OpenCV at the first image, not at import (issue #15)

__all__ = ["ColorHistogram", "opponent_channels"]


def opponent_channels(bgr: np.ndarray) -> list[np.ndarray]:
    """Split a BGR uint8 image into the three opponent colour channels, rescaled to uint8.

    O1 = (R - G) / sqrt(2), O2 = (R + G - 2B) / sqrt(6), O3 = (R + G + B) / sqrt(3)
    (van de Sande et al. 2010), each mapped linearly onto [0, 255] from its
    attainable range so that SIFT sees the full contrast.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import opponent_channels
    >>> o1, o2, o3 = opponent_channels(np.array([[[0, 0, 255]]], np.uint8))  # pure red
    >>> int(o1[0, 0]), int(o2[0, 0]), int(o3[0, 0])
    (255, 191, 85)
    """
    b, g, r = (bgr[..., i].astype(np.float32) for i in range(3))
    # Ranges: O1 in [-255, 255]/sqrt2, O2 in [-510, 510]/sqrt6, O3 in [0, 765]/sqrt3;
    # the sqrt factors cancel in the rescaling.
    o1 = (r - g + 255.0) / 510.0
    o2 = (r + g - 2.0 * b + 510.0) / 1020.0
    o3 = (r + g + b) / 765.0
    return [np.round(c * 255.0).astype(np.uint8) for c in (o1, o2, o3)]


class ColorHistogram(CollectionTransformerMixin, ClassicxEstimator):
    """HSV colour histogram of each image, of the whole image or of each region of a spatial layout.

    The joint histogram over (hue, saturation, value) with ``bins`` cells per
    axis (transparent pixels count as the background they are composited
    onto, as in every image transformer: :func:`~classicx.image.set_read_options`), normalised to sum 1 (``normalize="l1"``) or mapped to its square
    root (``"hellinger"``, unit L2 norm).

    With a spatial ``layout`` (the grids of :class:`~classicx.image.FisherVector`'s
    ``layout``, in the same syntax), the same histogram is computed for the
    pixels of each region of each grid and normalised on its own, the
    regions are concatenated (grids in the order given, cells row-major, top
    row first; a region without pixels is a zero block), and the row is
    normalised again so that it weighs in a concatenation as the plain
    histogram does: it sums to 1 (``"l1"``), and the ``"hellinger"`` row is
    the square root of the ``"l1"`` row. A pixel belongs to the region that
    holds its centre, as a keypoint belongs to the region of its position.
    ``(1, (3, 1))`` adds the top, middle and bottom thirds to the whole
    image: where the colours are (sky above, ground below) as well as which.

    Parameters
    ----------
    bins : tuple of 3 int, default=(8, 4, 4)
        Number of hue, saturation and value bins.
    layout : tuple of int or (int, int), default=(1,)
        The spatial grids: ``g`` is ``g x g`` cells, ``(rows, columns)`` a
        grid of that many rows and columns (``(3, 1)``: three horizontal
        strips). ``(1,)`` is the histogram of the whole image.
    normalize : {"l1", "hellinger"}, default="hellinger"
    max_side : int, default=512
        Images are shrunk to this longer side first (the histogram barely changes).
    n_jobs : int, optional
        Parallel workers (joblib).
    verbose : bool, default=True
        Show a progress bar.

    Attributes
    ----------
    bins_ : tuple of 3 int
        The validated ``bins``.
    n_features_out_ : int
        ``bins[0] * bins[1] * bins[2] * n_cells`` (``n_cells``: the cells of all grids of ``layout``).

    See Also
    --------
    classicx.image.BagOfVisualWords : local encoding to concatenate with.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import ColorHistogram
    >>> red = np.zeros((10, 10, 3), np.uint8); red[..., 2] = 255
    >>> h = ColorHistogram(bins=(4, 2, 2), normalize="l1", verbose=False).fit_transform([red])
    >>> h.shape, float(h.max())
    ((1, 16), 1.0)

    The whole image and its three horizontal strips (``1 + 3`` regions):

    >>> flag = np.zeros((9, 6, 3), np.uint8); flag[:3, :, 2] = 255; flag[6:, :, 0] = 255  # red, black, blue
    >>> spatial = ColorHistogram(bins=(4, 2, 2), layout=(1, (3, 1)), normalize="l1", verbose=False)
    >>> X = spatial.fit_transform([flag])
    >>> X.shape, round(float(X.sum()), 6)
    ((1, 64), 1.0)
    >>> top = ColorHistogram(bins=(4, 2, 2), normalize="l1", verbose=False).fit_transform([flag[:3]])
    >>> bool(np.allclose(4 * X[0, 16:32], top[0]))  # the top strip's block: the histogram of the top third
    True
    >>> spatial.get_feature_names_out()[[0, 16]].tolist()
    ['grid1x1_cell0_hsv_h0_s0_v0', 'grid3x1_cell0_hsv_h0_s0_v0']
    """

    _check_collection = staticmethod(check_images)
    _parameter_constraints: dict = {
        "bins": [tuple, list],
        "layout": [tuple, list],
        "normalize": [StrOptions({"l1", "hellinger"})],
        "max_side": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        bins: tuple[int, int, int] = (8, 4, 4),
        *,
        layout: tuple = (1,),
        normalize: str = "hellinger",
        max_side: int | None = 512,
        n_jobs: int | None = None,
        verbose: bool = True,
    ) -> None:
        self.bins = bins
        self.layout = layout
        self.normalize = normalize
        self.max_side = max_side
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        return image_tags(super().__sklearn_tags__())

    def fit(self, images: Sequence[Any], y: Any = None) -> "ColorHistogram":
        """Check the parameters (nothing is learned from the images); return self.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays
        y : ignored

        Returns
        -------
        self
        """
        validate_params(self)
        bins = tuple(self.bins)
        if len(bins) != 3 or not all(isinstance(b, Integral) and b >= 1 for b in bins):
            raise InputError(f"ColorHistogram: bins must be three positive integers, got {self.bins!r}")
        grids = layout_grids(self.layout, "ColorHistogram")
        if images is not None:
            check_images(images, allow_empty=True)
        self.bins_ = tuple(int(b) for b in bins)
        self.grids_ = grids
        self.n_features_out_ = bins[0] * bins[1] * bins[2] * sum(rows * columns for rows, columns in grids)
        return self

    def _check_loaded_state(self) -> None:
        """Called by loading: a histogram saved before ``layout`` existed has no ``grids_``; it is the whole image."""
        if "bins_" in self.__dict__ and "grids_" not in self.__dict__:
            self.grids_ = layout_grids(self.layout, "ColorHistogram")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the histogram cells, ``hsv_h{i}_s{j}_v{k}`` (``grid{R}x{C}_cell{c}_hsv_...`` per region).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str objects, shape (n_features_out_,)
        """
        check_is_fitted(self)
        h, s, v = self.bins_
        names = [f"hsv_h{i}_s{j}_v{k}" for i in range(h) for j in range(s) for k in range(v)]
        if self.grids_ != ((1, 1),):
            names = [f"grid{rows}x{columns}_cell{c}_{name}"
                     for rows, columns in self.grids_ for c in range(rows * columns) for name in names]
        return np.asarray(names, dtype=object)

    def _histogram(self, hsv: np.ndarray) -> np.ndarray:
        """The L1-normalised histogram of an HSV image (zeros when it has no pixels)."""
        if hsv.size == 0:
            return np.zeros(self.bins_[0] * self.bins_[1] * self.bins_[2], np.float32)
        # OpenCV stores 8-bit hue in [0, 180).
        hist = cv2.calcHist([np.ascontiguousarray(hsv)], [0, 1, 2], None, list(self.bins_), [0, 180, 0, 256, 0, 256])
        hist = hist.ravel().astype(np.float32)
        return hist / max(float(hist.sum()), 1.0)

    def _one(self, indexed: tuple[int, Any], options: ReadOptions) -> np.ndarray:
        index, item = indexed
        bgr = read_image(
            item, max_side=self.max_side, color=True, name=describe_item(item, index),
            background=options.background, max_pixels=options.max_pixels,
        )
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        if self.grids_ == ((1, 1),):
            hist = self._histogram(hsv)
        else:
            hist = np.concatenate([self._histogram(hsv[rows, columns]) for rows, columns in _regions(hsv.shape, self.grids_)])
            # Each region sums to 1 (or 0 if empty): the row again sums to 1, as the plain histogram.
            hist /= max(float(hist.sum()), 1e-30)
        return np.sqrt(hist) if self.normalize == "hellinger" else hist

    def transform(self, images: Sequence[Any]) -> np.ndarray:
        """Histogram of each image.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out_)
        """
        check_is_fitted(self)
        images = check_images(images, allow_empty=True)
        # The read options travel with the task: joblib's worker processes do not share them.
        one = functools.partial(self._one, options=get_read_options())
        rows = parallel_map(
            one, list(enumerate(images)), n_jobs=self.n_jobs, desc="colour histograms", verbose=self.verbose
        )
        if not rows:
            return np.zeros((0, self.n_features_out_), np.float32)
        return np.vstack(rows).astype(np.float32, copy=False)


def _regions(shape: tuple[int, ...], grids: tuple[tuple[int, int], ...]) -> list[tuple[slice, slice]]:
    """The (row, column) slices of the regions of ``grids`` over an image of ``shape``, in feature order.

    A pixel belongs to the cell of its centre under :func:`~classicx.image._grids.grid_cells` (the rule that
    places keypoints), so the regions of one grid tile the image; each is a rectangle, hence a slice, which
    keeps a region's histogram one ``calcHist`` call on a view.
    """
    height, width = shape[:2]
    # The grid row of each pixel row and the grid column of each pixel column (non-decreasing), then where each starts.
    down = np.column_stack([np.zeros(height), (np.arange(height) + 0.5) / height])
    across = np.column_stack([(np.arange(width) + 0.5) / width, np.zeros(width)])
    regions = []
    for rows, columns in grids:
        row_edges = np.searchsorted(grid_cells(down, rows, 1), np.arange(rows + 1))
        column_edges = np.searchsorted(grid_cells(across, 1, columns), np.arange(columns + 1))
        regions += [(slice(row_edges[r], row_edges[r + 1]), slice(column_edges[c], column_edges[c + 1]))
                    for r in range(rows) for c in range(columns)]
    return regions
