"""Spatial pyramid of visual-word histograms (Lazebnik, Schmid & Ponce 2006)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError
from .bovw import BagOfVisualWords, SoftAssignment
from .descriptors import LocalDescriptors

__all__ = ["SpatialPyramid"]


class SpatialPyramid(BagOfVisualWords):
    """Bag of visual words computed in the cells of successively finer grids, concatenated.

    Level ``g`` splits the image into ``g x g`` equal cells and computes one
    word histogram per cell (cells in row-major order, top row first); the
    levels are concatenated (coarsest first), weighted, and the whole vector
    is normalised. With the default levels the encoding has
    ``(1 + 4 + 16) * n_words`` dimensions.

    Parameters
    ----------
    descriptor, vocabulary, assignment, idf, normalize, n_jobs, verbose, random_state, on_error
        As in :class:`~classicx.image.BagOfVisualWords` (the idf of a word is
        shared by all cells).
    levels : tuple of int, or tuple of (int, float) pairs, default=(1, 2, 4)
        Grid sizes, strictly increasing. Plain sizes are weighted as
        Lazebnik et al.: level ``l`` of ``L + 1`` levels by ``1 / 2^L`` for
        ``l = 0`` and ``1 / 2^(L - l + 1)`` otherwise (finer grids count
        more, as in the pyramid match kernel). ``(size, weight)`` pairs give
        each level its own non-negative weight, e.g.
        ``((1, 1.0), (2, 1.0), (4, 1.0))`` for equal weights.

    Attributes
    ----------
    descriptor_, vocabulary_, sigma_, idf_, n_features_out_, n_sampled_, skipped_rows_
        As in :class:`~classicx.image.BagOfVisualWords`.

    See Also
    --------
    BagOfVisualWords : the one-cell case.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import LocalDescriptors, SpatialPyramid
    >>> images = [np.full((64, 64), 30, np.uint8) for _ in range(3)]
    >>> for i, img in enumerate(images):
    ...     _ = cv2.circle(img, (20 + 10 * i, 32), 12, 220, -1)
    >>> spm = SpatialPyramid(LocalDescriptors("dense_sift", dense_sizes=(16,)), 4, levels=(1, 2),
    ...                      verbose=False, random_state=0)
    >>> spm.fit_transform(images).shape
    (3, 20)
    >>> spm.get_feature_names_out()[[0, 4, 19]].tolist()
    ['grid1_cell0_word0', 'grid2_cell0_word0', 'grid2_cell3_word3']
    """

    _parameter_constraints: dict = {**BagOfVisualWords._parameter_constraints, "levels": [tuple, list]}

    def __init__(
        self,
        descriptor: LocalDescriptors | str = "sift",
        vocabulary: Any = 512,
        *,
        levels: tuple = (1, 2, 4),
        assignment: SoftAssignment | str = "hard",
        idf: bool = False,
        normalize: str | None = "l2",
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
    ) -> None:
        super().__init__(
            descriptor, vocabulary, assignment=assignment, idf=idf, normalize=normalize, n_jobs=n_jobs,
            verbose=verbose, random_state=random_state, on_error=on_error,
        )
        self.levels = levels

    def _pyramid(self) -> tuple[tuple[int, ...], np.ndarray]:
        """Grid sizes and their weights."""
        levels = tuple(self.levels)
        pairs = [isinstance(level, (tuple, list)) for level in levels]
        if levels and all(pairs):
            if any(len(level) != 2 for level in levels):
                raise InputError(f"SpatialPyramid: levels must be sizes or (size, weight) pairs, got {self.levels!r}")
            grids = tuple(int(g) for g, _ in levels)
            weights = np.array([float(w) for _, w in levels], np.float32)
        elif not any(pairs):
            grids = tuple(int(g) for g in levels)
            top = len(grids) - 1
            weights = np.array([2.0**-top] + [2.0 ** -(top - l + 1) for l in range(1, len(grids))], np.float32)
        else:
            raise InputError(f"SpatialPyramid: levels mixes sizes and (size, weight) pairs: {self.levels!r}")
        if not grids or min(grids) < 1 or any(b <= a for a, b in zip(grids, grids[1:])):
            raise InputError(f"SpatialPyramid: levels must be increasing positive grid sizes, got {self.levels!r}")
        if (weights < 0).any() or not np.isfinite(weights).all():
            raise InputError(f"SpatialPyramid: level weights must be non-negative numbers, got {self.levels!r}")
        return grids, weights

    def _grid_levels(self) -> tuple[int, ...]:
        return self._pyramid()[0]

    def _level_weights(self) -> np.ndarray:
        return self._pyramid()[1]

    def _check_params(self) -> None:
        super()._check_params()
        self._pyramid()
