"""Bag of visual words: hard or soft (kernel codebook) assignment, tf-idf, normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError
from ._base import LocalFeatureEncoder, _fit_word_vocabulary
from .descriptors import ImageFeatures
from .normalization import NORMALIZATIONS, normalize_rows

__all__ = ["BagOfVisualWords"]

_ASSIGNMENTS = ("hard", "soft")


class BagOfVisualWords(LocalFeatureEncoder):
    """Bag-of-visual-words histogram of each image.

    ``fit`` extracts local descriptors image by image (in parallel), keeps a
    bounded random sample of them and clusters it into ``n_words`` visual
    words (k-means for float descriptors, k-majority in Hamming space for
    ORB). ``transform`` assigns every descriptor of an image to its word(s)
    and returns the weighted, normalised word histogram.

    Parameters
    ----------
    descriptor : {"sift", "rootsift", "dense_sift", "orb"}, default="sift"
        Local descriptor (see :class:`~classicx.image.LocalDescriptors`).
    n_words : int, default=512
        Vocabulary size.
    max_keypoints : int or None, default=1000
        Keypoints kept per image (strongest responses).
    max_side : int or None, default=1024
        Images are shrunk to this longer side before detection.
    color : {"gray", "rgb", "opponent"}, default="gray"
        Colour descriptors (per channel of BGR or of the opponent space).
    dense_step : int, default=8
        Grid step for ``descriptor="dense_sift"``.
    dense_sizes : tuple of int, default=(16, 24, 32)
        Keypoint sizes (scales) for ``descriptor="dense_sift"``.
    sample_size : int, default=100000
        Descriptors sampled to learn the vocabulary. Images are read in random
        order until three times this many descriptors have been seen (or all
        images have been read) and a uniform random sample of those is kept
        (reservoir sampling), so the collection's descriptors are never all in
        memory and fitting does not read every image twice.
    assignment : {"hard", "soft"}, default="hard"
        ``"hard"`` counts each descriptor for its nearest word. ``"soft"`` is
        the kernel codebook (van Gemert et al. 2008, codeword uncertainty): a
        descriptor at distance ``d_k`` from its ``soft_knn`` nearest words
        votes ``exp(-d_k^2 / 2 sigma^2)`` for each, normalised to sum 1.
    soft_knn : int, default=5
        Words a descriptor votes for with soft assignment.
    soft_sigma : float or None, default=None
        Kernel width (in descriptor distance units: Euclidean, or Hamming bits
        for ORB); ``None`` uses the median distance of the sampled descriptors
        to their nearest word.
    idf : bool, default=False
        Weight words by smoothed inverse document frequency learned on the
        training images, ``ln((1 + n) / (1 + df)) + 1`` (as scikit-learn's
        ``TfidfTransformer``).
    normalize : {None, "l1", "l2", "power", "hellinger"}, default="l2"
        Row normalisation (see :func:`~classicx.image.normalize_rows`).
    vocabulary_algorithm : {"minibatch", "full"}, default="minibatch"
        k-means variant for float descriptors.
    n_jobs : int or None, default=None
        Cores to use (``None``: 1, ``-1``: all): joblib worker processes for
        extraction and encoding, each running OpenCV with one thread, and at
        most ``n_jobs`` BLAS threads for clustering. Even ``n_jobs=1`` limits
        OpenCV to one thread, so that ``n_jobs`` really is the core budget.
    verbose : bool, default=True
        Progress bars.
    random_state : int, RandomState or None
        Seeds the descriptor sample and the clustering.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a missing, empty, truncated or undecodable image:
        raise :class:`~classicx.exceptions.ImageReadError` naming it (in
        ``fit``, for the images read for the sample), or skip
        it — it is left out of the vocabulary sample, its encoding is an
        all-zero row (rows stay aligned with their texts), a
        :class:`~classicx.exceptions.SkippedItemsWarning` lists it and its row
        index is recorded in ``skipped_rows_``.
    cache : str, path or None, default=None
        Directory for a ``joblib.Memory`` cache of per-image descriptors,
        keyed on the descriptor parameters and the file (path, size,
        modification time) or the array's content: fitting several
        vocabularies on the same images extracts descriptors only once.

    Attributes
    ----------
    vocabulary_ : KMeansVocabulary or BinaryKMeansVocabulary
        The visual words.
    sigma_ : float
        Soft-assignment kernel width (set for hard assignment too, unused there).
    idf_ : ndarray (n_words,) or None
        Inverse document frequencies (``None`` when ``idf=False``).
    n_features_out_ : int
        Length of the encoding.
    n_sampled_ : int
        Number of descriptors the vocabulary was learned from (at most ``sample_size``).
    skipped_rows_ : list of int
        Rows of the last ``fit``/``transform`` input skipped as unreadable.

    See Also
    --------
    SpatialPyramid : adds spatial layout.
    VLAD, FisherVector : richer encodings with the same interface.
    ColorHistogram : global colour, concatenable with a ``FeatureUnion``.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import BagOfVisualWords
    >>> rng = np.random.default_rng(0)
    >>> images = []
    >>> for i in range(4):
    ...     img = np.full((96, 96), 40, np.uint8)
    ...     _ = cv2.circle(img, (30 + 8 * i, 48), 15, 220, -1)
    ...     _ = cv2.rectangle(img, (55, 20), (85, 75 - 5 * i), 150, -1)
    ...     images.append(img)
    >>> bovw = BagOfVisualWords("dense_sift", n_words=8, dense_sizes=(16,), verbose=False, random_state=0)
    >>> X = bovw.fit_transform(images)
    >>> X.shape, X.dtype
    ((4, 8), dtype('float32'))
    >>> np.allclose(np.linalg.norm(X, axis=1), 1.0)
    True
    """

    def __init__(
        self,
        descriptor: str = "sift",
        *,
        n_words: int = 512,
        max_keypoints: int | None = 1000,
        max_side: int | None = 1024,
        color: str = "gray",
        dense_step: int = 8,
        dense_sizes: tuple[int, ...] = (16, 24, 32),
        sample_size: int = 100_000,
        assignment: str = "hard",
        soft_knn: int = 5,
        soft_sigma: float | None = None,
        idf: bool = False,
        normalize: str | None = "l2",
        vocabulary_algorithm: str = "minibatch",
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
        cache: Any = None,
    ) -> None:
        self.descriptor = descriptor
        self.n_words = n_words
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.color = color
        self.dense_step = dense_step
        self.dense_sizes = dense_sizes
        self.sample_size = sample_size
        self.assignment = assignment
        self.soft_knn = soft_knn
        self.soft_sigma = soft_sigma
        self.idf = idf
        self.normalize = normalize
        self.vocabulary_algorithm = vocabulary_algorithm
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error
        self.cache = cache

    # Spatial layout: grid sizes and their weights; BoVW is the one-cell case.
    def _grid_levels(self) -> tuple[int, ...]:
        return (1,)

    def _level_weights(self) -> np.ndarray:
        return np.ones(1, dtype=np.float32)

    @property
    def _needs_fit_encoding(self) -> bool:  # type: ignore[override]
        return bool(self.idf)

    def _check_encoding_params(self) -> None:
        if self.assignment not in _ASSIGNMENTS:
            raise InputError(f"assignment must be one of {_ASSIGNMENTS}, got {self.assignment!r}")
        if self.normalize not in NORMALIZATIONS:
            raise InputError(f"normalize must be one of {NORMALIZATIONS}, got {self.normalize!r}")
        if self.assignment == "soft" and int(self.soft_knn) < 1:
            raise InputError(f"soft_knn must be positive, got {self.soft_knn!r}")
        if self.soft_sigma is not None and not float(self.soft_sigma) > 0:
            raise InputError(f"soft_sigma must be positive or None, got {self.soft_sigma!r}")

    def _fit_vocabulary(self, sample: np.ndarray, rng: np.random.RandomState) -> None:
        self._check_encoding_params()
        vocabulary = _fit_word_vocabulary(sample, rng, self.n_words, self.vocabulary_algorithm, self.n_jobs)
        if self.soft_sigma is not None:
            sigma = float(self.soft_sigma)
        else:
            nearest = vocabulary.nearest(sample, 1)[1][:, 0]
            sigma = float(np.median(nearest))
            # Identical descriptors and words (tiny samples) would give a zero width.
            sigma = sigma if sigma > 0 else float(nearest.max() or 1.0)
        self.vocabulary_ = vocabulary
        self.sigma_ = sigma
        self.idf_ = None
        levels = self._grid_levels()
        self.n_features_out_ = int(self.n_words) * int(sum(g * g for g in levels))

    def _word_weights(self, descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Word indices (n, k) and vote weights (n, k) of each descriptor."""
        if self.assignment == "hard":
            idx, _ = self.vocabulary_.nearest(descriptors, 1)
            return idx, np.ones(idx.shape, dtype=np.float32)
        idx, dist = self.vocabulary_.nearest(descriptors, int(self.soft_knn))
        d2 = dist.astype(np.float64) ** 2
        # Subtracting the nearest distance keeps the largest vote at exp(0) = 1, so
        # far-away descriptors cannot underflow to an all-zero (0/0) row.
        votes = np.exp(-(d2 - d2[:, :1]) / (2.0 * self.sigma_**2))
        votes /= votes.sum(axis=1, keepdims=True)
        return idx, votes.astype(np.float32)

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        idx, votes = self._word_weights(features.descriptors)
        n_words = int(self.n_words)
        parts = []
        for grid in self._grid_levels():
            cells = np.minimum((features.positions * grid).astype(np.intp), grid - 1)
            cell = cells[:, 1] * grid + cells[:, 0]  # row-major: y then x
            bins = cell[:, None] * n_words + idx
            parts.append(np.bincount(bins.ravel(), votes.ravel(), minlength=grid * grid * n_words))
        return np.concatenate(parts)

    def _fit_weights(self, raw: np.ndarray) -> None:
        n_words = int(self.n_words)
        # A word occurs in an image if it has a vote in any cell.
        per_word = raw.reshape(len(raw), -1, n_words).sum(axis=1)
        df = np.count_nonzero(per_word > 0, axis=0)
        self.idf_ = (np.log((1.0 + len(raw)) / (1.0 + df)) + 1.0).astype(np.float32)

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        self._check_encoding_params()
        levels = self._grid_levels()
        X = raw
        if self.idf_ is not None:
            X = X * np.tile(self.idf_, int(sum(g * g for g in levels)))
        weights = self._level_weights()
        if len(levels) > 1 or weights[0] != 1.0:
            per_dim = np.concatenate([np.full(g * g * int(self.n_words), w, np.float32) for g, w in zip(levels, weights)])
            X = X * per_dim
        return normalize_rows(X, self.normalize)
