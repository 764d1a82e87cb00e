"""Local image descriptors (SIFT, RootSIFT, dense SIFT, ORB) computed with OpenCV.

:class:`LocalDescriptors` turns one image into a :class:`ImageFeatures`
record: keypoint positions normalised to ``[0, 1]`` (needed by the spatial
pyramid and by geometric verification), the image size after resizing, and
the descriptors (float32 for the SIFT family, packed uint8 bits for ORB).

Optional colour descriptors follow van de Sande et al. (2010): keypoints are
detected on the gray image and described separately in each channel of the
BGR image (``color="rgb"``) or of the opponent colour space
(``color="opponent"``); the channel descriptors are concatenated.
"""

from __future__ import annotations

import functools
import math
import os
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
from joblib import Memory
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..exceptions import InputError
from ..utils._lazy import LazyModule
from ..utils.validation import validate_params
from .color import opponent_channels
from .io import get_read_options, read_image

cv2 = LazyModule("cv2")  # OpenCV at the first image, not at import (issue #15)

__all__ = ["LocalDescriptors", "ImageFeatures", "DESCRIPTOR_KINDS"]

DESCRIPTOR_KINDS = ("sift", "rootsift", "dense_sift", "orb")
_COLORS = ("gray", "rgb", "opponent")


class ImageFeatures(NamedTuple):
    """Local features of one image.

    Attributes
    ----------
    positions : ndarray of float32, shape (n, 2)
        Keypoint ``(x, y)`` divided by the image width and height, in [0, 1].
    descriptors : ndarray, shape (n, d)
        float32 for the SIFT family, uint8 (packed bits) for ORB.
    size : tuple of int
        ``(height, width)`` of the image the keypoints were detected on
        (after ``max_side`` resizing).
    """

    positions: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]


class LocalDescriptors(ClassicxEstimator):
    """Detect keypoints and compute local descriptors for images.

    Parameters
    ----------
    kind : {"sift", "rootsift", "dense_sift", "orb"}, default="sift"
        ``"rootsift"`` is SIFT mapped to the Hellinger kernel (L1 normalise,
        then square root; Arandjelovic & Zisserman 2012), so that Euclidean
        distances between RootSIFT descriptors compare histograms better.
        ``"dense_sift"`` computes (Root)SIFT on a regular grid instead of at
        detected keypoints, at every size in ``dense_sizes``; it works on
        images with few corners. ``"orb"`` gives 256-bit binary descriptors
        (packed into 32 bytes) compared with the Hamming distance.
    max_keypoints : int, default=1000
        At most this many keypoints per image: the strongest detector
        responses for SIFT/ORB; an evenly spread subset of the grid for
        dense SIFT. ``None`` keeps all.
    max_side : int, default=1024
        Images whose longer side exceeds this are shrunk before detection,
        which bounds time and memory for huge photographs. ``None`` never
        resizes.
    color : {"gray", "rgb", "opponent"}, default="gray"
        Describe the gray image, or each BGR channel, or each opponent colour
        channel (descriptor length multiplied by 3).
    dense_step : int, default=8
        Grid spacing in pixels for ``"dense_sift"``.
    dense_sizes : tuple of int, default=(16, 24, 32)
        Keypoint diameters (scales) in pixels for ``"dense_sift"``.
    dense_root : bool, default=True
        Apply the RootSIFT mapping to dense SIFT descriptors.
    cache : str, path or None, default=None
        Directory of a ``joblib.Memory`` cache of per-image descriptors,
        keyed on the other parameters above, on the transparency background
        (:func:`~classicx.image.set_read_options`) and on the image (path,
        size and modification time of a file; the content of bytes or an array).
        The cache lives here, on the part that computes descriptors, rather
        than on every encoder: encoders (and the
        :class:`~classicx.image.GeometricVerifier`) built with descriptors
        of the same settings and the same ``cache`` share the entries, so
        fitting several vocabularies on the same images extracts the
        descriptors only once.

    Attributes
    ----------
    binary : bool
        Whether the descriptors are packed bits (ORB), compared with the
        Hamming distance; they need a
        :class:`~classicx.image.BinaryKMeansVocabulary`.
    n_features : int
        Length of one descriptor (bytes for ORB).

    See Also
    --------
    classicx.image.read_image : how items are read.
    classicx.image.BagOfVisualWords : encodes these descriptors.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import LocalDescriptors
    >>> img = np.zeros((120, 160), np.uint8)
    >>> _ = cv2.rectangle(img, (30, 30), (90, 80), 255, -1)
    >>> feats = LocalDescriptors("dense_sift", dense_sizes=(16,)).extract(img)
    >>> feats.descriptors.shape[1], feats.descriptors.dtype
    (128, dtype('float32'))
    >>> bool((feats.positions >= 0).all() and (feats.positions <= 1).all())
    True
    """

    def __init__(
        self,
        kind: str = "sift",
        *,
        max_keypoints: int | None = 1000,
        max_side: int | None = 1024,
        color: str = "gray",
        dense_step: int = 8,
        dense_sizes: tuple[int, ...] = (16, 24, 32),
        dense_root: bool = True,
        cache: str | os.PathLike | None = None,
    ) -> None:
        self.kind = kind
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.color = color
        self.dense_step = dense_step
        self.dense_sizes = dense_sizes
        self.dense_root = dense_root
        self.cache = cache

    _parameter_constraints: dict = {
        "kind": [StrOptions(set(DESCRIPTOR_KINDS))],
        "max_keypoints": [Interval(Integral, 1, None, closed="left"), None],
        "max_side": [Interval(Integral, 16, None, closed="left"), None],
        "color": [StrOptions(set(_COLORS))],
        "dense_step": [Interval(Integral, 1, None, closed="left")],
        "dense_sizes": [tuple, list],
        "dense_root": ["boolean"],
        "cache": [str, os.PathLike, None],
    }

    # A descriptor extractor learns nothing; fit exists for Pipeline use.
    def fit(self, images: Any = None, y: Any = None) -> "LocalDescriptors":
        """Validate the parameters (nothing is learned from ``images``); return self.

        Parameters
        ----------
        images : ignored
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        return self

    def __sklearn_is_fitted__(self) -> bool:
        # Stateless: usable without fit, as scikit-learn's stateless transformers.
        return True

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    @property
    def binary(self) -> bool:
        """True if the descriptors are packed bits compared with the Hamming distance."""
        return self.kind == "orb"

    @property
    def n_features(self) -> int:
        """Length of one descriptor (bytes for ORB)."""
        base = 32 if self.kind == "orb" else 128
        return base * (1 if self.color == "gray" else 3)

    def _check_params(self) -> None:
        validate_params(self)
        sizes = tuple(self.dense_sizes)
        if not sizes or min(sizes) <= 0:
            raise InputError(
                f"LocalDescriptors: dense_sizes must be positive keypoint sizes, got {self.dense_sizes!r}"
            )

    def _detector(self) -> Any:
        if self.kind == "orb":
            return cv2.ORB_create(nfeatures=int(self.max_keypoints or 100000))
        # nfeatures=0 means unlimited for SIFT; capping again below handles ties.
        return cv2.SIFT_create(nfeatures=0 if self.kind == "dense_sift" else int(self.max_keypoints or 0))

    def _dense_keypoints(self, height: int, width: int) -> list:
        step = int(self.dense_step)
        keypoints = []
        for size in self.dense_sizes:
            half = size / 2.0
            xs = np.arange(half, width - half + 1e-9, step)
            ys = np.arange(half, height - half + 1e-9, step)
            octave = _sift_octave(float(size))
            # angle=0: upright descriptors, as dense SIFT is defined.
            keypoints += [cv2.KeyPoint(float(x), float(y), float(size), 0.0, 0.0, octave) for y in ys for x in xs]
        if self.max_keypoints is not None and len(keypoints) > self.max_keypoints:
            keep = np.linspace(0, len(keypoints) - 1, int(self.max_keypoints)).round().astype(int)
            keypoints = [keypoints[i] for i in keep]
        return keypoints

    def extract(self, image: Any, *, name: str | None = None) -> ImageFeatures:
        """Compute the local features of one image (or read them from ``cache``).

        Parameters
        ----------
        image : path, bytes or ndarray
            Anything :func:`~classicx.image.read_image` accepts.
        name : str, optional
            Name of the item in error messages.

        Returns
        -------
        ImageFeatures
        """
        self._check_params()
        return self._extract(image, name)

    def _extract(self, image: Any, name: str | None) -> ImageFeatures:
        """:meth:`extract` for already validated parameters (the encoders' per-image call)."""
        if self.cache is None:
            return self._compute(image, name)
        params = self.get_params()
        # Where the cache lives is not what the descriptors depend on.
        del params["cache"]
        # The transparency background is: entries are keyed on it (read_image's option).
        background = get_read_options().background
        return _cached(os.fspath(self.cache))(params, background, file_signature(image), image, name)

    def _compute(self, image: Any, name: str | None, background: str | int | None = None) -> ImageFeatures:
        pixels = read_image(
            image, max_side=self.max_side, color=self.color != "gray", name=name, background=background
        )
        gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
        height, width = gray.shape
        detector = self._detector()
        if self.color == "gray":
            channels = [gray]
        elif self.color == "rgb":
            channels = list(cv2.split(pixels))
        else:
            channels = opponent_channels(pixels)
        if self.kind == "dense_sift":
            keypoints, parts = self._dense_keypoints(height, width), []
        elif self.color == "gray":
            # One call: detect() then compute() would build the scale space twice.
            found, desc = detector.detectAndCompute(gray, None)
            keypoints, parts = list(found), ([] if desc is None else [desc])
            if self.max_keypoints is not None and len(keypoints) > self.max_keypoints and parts:
                strongest = np.argsort([-kp.response for kp in keypoints], kind="stable")[: int(self.max_keypoints)]
                keypoints, parts = [keypoints[i] for i in strongest], [desc[strongest]]
        else:
            keypoints, parts = list(detector.detect(gray, None)), []
            if self.max_keypoints is not None and len(keypoints) > self.max_keypoints:
                keypoints.sort(key=lambda kp: -kp.response)
                keypoints = keypoints[: int(self.max_keypoints)]
        if not parts:
            for channel in channels:
                if not keypoints:
                    break
                # compute() may drop keypoints it cannot describe (ORB near borders).
                keypoints, desc = detector.compute(channel, keypoints)
                keypoints = list(keypoints)
                if desc is None or len(keypoints) == 0:
                    keypoints = []
                    break
                parts.append(desc)
            if len({len(p) for p in parts}) > 1:
                # A later channel dropped keypoints: describe every channel on the survivors.
                parts = [detector.compute(ch, keypoints)[1] for ch in channels]
        dtype = np.uint8 if self.binary else np.float32
        if not keypoints or not parts:
            return ImageFeatures(
                np.zeros((0, 2), np.float32), np.zeros((0, self.n_features), dtype), (height, width)
            )
        descriptors = (parts[0] if len(parts) == 1 else np.hstack(parts)).astype(dtype, copy=False)
        if self.kind == "rootsift" or (self.kind == "dense_sift" and self.dense_root):
            descriptors = rootsift(descriptors, n_blocks=len(channels))
        positions = np.asarray(cv2.KeyPoint_convert(keypoints), dtype=np.float32).reshape(-1, 2)
        positions /= np.array([max(width, 1), max(height, 1)], dtype=np.float32)
        np.clip(positions, 0.0, 1.0, out=positions)
        return ImageFeatures(positions, descriptors, (height, width))


def _describe(params: dict, background: str | int, signature: Any, item: Any, name: str | None) -> ImageFeatures:
    """Descriptors of one image; ``signature`` identifies the image for the disk cache."""
    return LocalDescriptors(**params)._compute(item, name, background)


@functools.lru_cache(maxsize=8)
def _cached(location: str) -> Any:
    """``_describe`` cached in ``location``; the item itself is represented by its signature."""
    return Memory(location=location, verbose=0).cache(_describe, ignore=["item", "name"])


def _sift_octave(size: float) -> int:
    """OpenCV's packed (octave, layer) field for a SIFT keypoint of diameter ``size``.

    The detector would give a keypoint of that size this field: size =
    3.2 * 2 ** (octave + layer / 3) with layer in 1..3. Without it OpenCV
    describes every dense keypoint on the full-resolution image with a huge
    patch, 10-40x slower and not at the scale SIFT intends.
    """
    exponent = math.log2(size / 3.2)
    octave = math.ceil(exponent - 1.0)
    layer = min(3, max(1, round(3.0 * (exponent - octave))))
    return (octave & 255) | (layer << 8)


def rootsift(descriptors: np.ndarray, n_blocks: int = 1) -> np.ndarray:
    """Map SIFT descriptors to RootSIFT: L1-normalise each 128-d block, then take square roots.

    Parameters
    ----------
    descriptors : ndarray of shape (n, 128 * n_blocks)
    n_blocks : int, default=1
        Number of concatenated SIFT descriptors per row (3 for colour SIFT);
        each block is normalised on its own.

    Returns
    -------
    ndarray of float32, same shape; every block has unit L2 norm (or is zero).

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import rootsift
    >>> rootsift(np.array([[1.0, 3.0] + [0.0] * 126]))[0, :2]
    array([0.5      , 0.8660254], dtype=float32)
    """
    d = np.asarray(descriptors, dtype=np.float32)
    blocks = d.reshape(len(d), n_blocks, -1)
    sums = np.abs(blocks).sum(axis=2, keepdims=True)
    out = np.sqrt(np.divide(np.abs(blocks), sums, out=np.zeros_like(blocks), where=sums > 0))
    return out.reshape(d.shape)


def file_signature(item: Any) -> Any:
    """What identifies an image for the descriptor cache: path + size + mtime, or the data itself."""
    if isinstance(item, (str, os.PathLike)):
        try:
            stat = os.stat(item)
        except OSError:
            return ("missing", os.fspath(item))
        return (os.path.abspath(os.fspath(item)), stat.st_size, stat.st_mtime_ns)
    return item
