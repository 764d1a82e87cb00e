"""Bag of visual words: hard or soft (kernel codebook) assignment, tf-idf, normalisation."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..utils.validation import validate_params
from ._base import LocalFeatureEncoder
from ._grids import grid_cells
from .descriptors import ImageFeatures, LocalDescriptors
from .normalization import NORMALIZATIONS, normalize_rows

__all__ = ["BagOfVisualWords", "SoftAssignment"]


class SoftAssignment(ClassicxEstimator):
    """Soft assignment of descriptors to visual words: the kernel codebook.

    A descriptor at distance ``d_k`` from its ``n_neighbors`` nearest words
    votes ``exp(-d_k^2 / 2 sigma^2)`` for each, normalised to sum 1 (van
    Gemert et al. 2008, codeword uncertainty). Give it as ``assignment=`` of
    :class:`~classicx.image.BagOfVisualWords` or
    :class:`~classicx.image.SpatialPyramid`; ``assignment="soft"`` means
    ``SoftAssignment()``.

    Parameters
    ----------
    n_neighbors : int, default=5
        Words a descriptor votes for.
    sigma : float or None, default=None
        Kernel width, in descriptor distance units (Euclidean, or Hamming
        bits for ORB); ``None`` uses the median distance of the sampled
        descriptors to their nearest word (learned in the encoder's ``fit``,
        as its ``sigma_``).

    See Also
    --------
    BagOfVisualWords : the encoder that uses it.

    Examples
    --------
    >>> from classicx.image import BagOfVisualWords, SoftAssignment
    >>> bovw = BagOfVisualWords("rootsift", 256, assignment=SoftAssignment(n_neighbors=3))
    >>> bovw.get_params()["assignment__n_neighbors"]
    3
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, n_neighbors: int = 5, *, sigma: float | None = None) -> None:
        self.n_neighbors = n_neighbors
        self.sigma = sigma

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # Settings of an encoder: it is never fitted on data of its own.
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


class BagOfVisualWords(LocalFeatureEncoder):
    """Bag-of-visual-words histogram of each image.

    ``fit`` extracts local descriptors image by image (in parallel) with
    ``descriptor``, keeps a bounded random sample of them and fits
    ``vocabulary`` on it (k-means for float descriptors, k-majority in
    Hamming space for ORB). ``transform`` assigns every descriptor of an
    image to its word(s) and returns the weighted, normalised word histogram.

    Parameters
    ----------
    descriptor : LocalDescriptors or {"sift", "rootsift", "dense_sift", "orb"}, default="sift"
        The local descriptor, or its kind (``"rootsift"`` stands for
        ``LocalDescriptors("rootsift")``, resolved in ``fit``). Keypoint,
        resizing, colour and dense-grid settings, and the descriptor
        ``cache``, are the descriptor's parameters
        (``descriptor__max_side`` in a grid search).
    vocabulary : int, KMeansVocabulary or BinaryKMeansVocabulary, default=512
        The visual words, or their number: an int ``n`` stands for
        ``KMeansVocabulary(n)`` with float descriptors and
        ``BinaryKMeansVocabulary(n)`` with ORB (chosen in ``fit``); a
        vocabulary of the wrong kind for the descriptor is an error. The
        vocabulary's ``sample_size`` is the number of descriptors sampled
        to learn it: images are read in random order until three times
        this many descriptors have been seen (or all images have been read)
        and a uniform random sample of those is kept (reservoir sampling),
        so the collection's descriptors are never all in memory and fitting
        does not read every image twice. Its ``random_state`` and
        ``n_jobs``, when ``None``, come from this encoder.
    assignment : {"hard", "soft"} or SoftAssignment, default="hard"
        ``"hard"`` counts each descriptor for its nearest word. A
        :class:`~classicx.image.SoftAssignment` (``"soft"`` means
        ``SoftAssignment()``) is the kernel codebook: each descriptor votes
        for its few nearest words with Gaussian weights.
    idf : bool, default=False
        Weight words by smoothed inverse document frequency learned on the
        training images, ``ln((1 + n) / (1 + df)) + 1`` (as scikit-learn's
        ``TfidfTransformer``).
    normalize : {None, "l1", "l2", "power", "hellinger"}, default="l2"
        Row normalisation (see :func:`~classicx.image.normalize_rows`).
    n_jobs : int or None, default=None
        Cores to use (``None``: 1, ``-1``: all): threads for reading,
        describing and encoding images, each running OpenCV with one thread,
        and at most ``n_jobs`` BLAS threads for clustering (unless the
        vocabulary sets its own ``n_jobs``). Even ``n_jobs=1`` limits
        OpenCV to one thread, so that ``n_jobs`` really is the core budget.
    verbose : bool, default=True
        Progress bars.
    random_state : int, RandomState or None
        Seeds the descriptor sample, and the clustering when the
        vocabulary's own ``random_state`` is ``None``.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a missing, empty, truncated or undecodable image:
        raise :class:`~classicx.exceptions.ImageReadError` naming it (in
        ``fit``, for the images read for the sample), or skip
        it — it is left out of the vocabulary sample, its encoding is an
        all-zero row (rows stay aligned with their texts), a
        :class:`~classicx.exceptions.SkippedItemsWarning` lists it and its row
        index is recorded in ``skipped_rows_``.

    Attributes
    ----------
    descriptor_ : LocalDescriptors
        The descriptor used (a copy of ``descriptor``, or the one its kind names).
    vocabulary_ : KMeansVocabulary or BinaryKMeansVocabulary
        The fitted visual words (a fitted copy of ``vocabulary``).
    sigma_ : float
        Soft-assignment kernel width (set for hard assignment too, unused there).
    idf_ : ndarray (n_words,) or None
        Inverse document frequencies (``None`` when ``idf=False``).
    n_features_out_ : int
        Length of the encoding.
    n_sampled_ : int
        Number of descriptors the vocabulary was learned from (at most its ``sample_size``).
    skipped_rows_ : list of int
        Rows of the last ``fit``/``transform`` input skipped as unreadable.

    See Also
    --------
    LocalDescriptors, KMeansVocabulary : the parts.
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
    >>> from classicx.image import LocalDescriptors
    >>> bovw = BagOfVisualWords(LocalDescriptors("dense_sift", dense_sizes=(16,)), 8,
    ...                         verbose=False, random_state=0)
    >>> X = bovw.fit_transform(images)
    >>> X.shape, X.dtype
    ((4, 8), dtype('float32'))
    >>> np.allclose(np.linalg.norm(X, axis=1), 1.0)
    True
    >>> bovw.get_params()["descriptor__dense_sizes"]
    (16,)
    """

    _parameter_constraints: dict = {
        **LocalFeatureEncoder._parameter_constraints,
        "assignment": [StrOptions({"hard", "soft"}), SoftAssignment],
        "idf": ["boolean"],
        "normalize": [StrOptions({n for n in NORMALIZATIONS if n is not None}), None],
    }

    def __init__(
        self,
        descriptor: LocalDescriptors | str = "sift",
        vocabulary: Any = 512,
        *,
        assignment: SoftAssignment | str = "hard",
        idf: bool = False,
        normalize: str | None = "l2",
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
    ) -> None:
        self.descriptor = descriptor
        self.vocabulary = vocabulary
        self.assignment = assignment
        self.idf = idf
        self.normalize = normalize
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error

    # Spatial layout: grid sizes and their weights; BoVW is the one-cell case.
    def _grid_levels(self) -> tuple[int, ...]:
        return (1,)

    def _level_weights(self) -> np.ndarray:
        return np.ones(1, dtype=np.float32)

    @property
    def _needs_fit_encoding(self) -> bool:  # type: ignore[override]
        return bool(self.idf)

    def _soft(self) -> SoftAssignment | None:
        """The soft assignment in use, or ``None`` for hard assignment."""
        if isinstance(self.assignment, str):
            return SoftAssignment() if self.assignment == "soft" else None
        return self.assignment

    def _n_words(self) -> int:
        return int(self.vocabulary_.n_words)

    def _check_params(self) -> None:
        if isinstance(self.assignment, SoftAssignment):
            validate_params(self.assignment)

    def _fit_encoding(self, sample: np.ndarray) -> None:
        soft = self._soft()
        if soft is not None and soft.sigma is not None:
            sigma = float(soft.sigma)
        else:
            nearest = self.vocabulary_.nearest(sample, 1)[1][:, 0]
            sigma = float(np.median(nearest))
            # Identical descriptors and words (tiny samples) would give a zero width.
            sigma = sigma if sigma > 0 else float(nearest.max() or 1.0)
        self.sigma_ = sigma
        self.idf_ = None
        self.n_features_out_ = self._n_words() * int(sum(g * g for g in self._grid_levels()))

    def _word_weights(self, descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Word indices (n, k) and vote weights (n, k) of each descriptor."""
        soft = self._soft()
        if soft is None:
            idx, _ = self.vocabulary_.nearest(descriptors, 1)
            return idx, np.ones(idx.shape, dtype=np.float32)
        idx, dist = self.vocabulary_.nearest(descriptors, int(soft.n_neighbors))
        d2 = dist.astype(np.float64) ** 2
        # Subtracting the nearest distance keeps the largest vote at exp(0) = 1, so
        # far-away descriptors cannot underflow to an all-zero (0/0) row.
        votes = np.exp(-(d2 - d2[:, :1]) / (2.0 * self.sigma_**2))
        votes /= votes.sum(axis=1, keepdims=True)
        return idx, votes.astype(np.float32)

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        idx, votes = self._word_weights(features.descriptors)
        n_words = self._n_words()
        parts = []
        for grid in self._grid_levels():
            bins = grid_cells(features.positions, grid, grid)[:, None] * n_words + idx
            parts.append(np.bincount(bins.ravel(), votes.ravel(), minlength=grid * grid * n_words))
        return np.concatenate(parts)

    def _fit_weights(self, raw: np.ndarray) -> None:
        n_words = self._n_words()
        # A word occurs in an image if it has a vote in any cell.
        per_word = raw.reshape(len(raw), -1, n_words).sum(axis=1)
        df = np.count_nonzero(per_word > 0, axis=0)
        self.idf_ = (np.log((1.0 + len(raw)) / (1.0 + df)) + 1.0).astype(np.float32)

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        levels = self._grid_levels()
        X = raw
        if self.idf_ is not None:
            X = X * np.tile(self.idf_, int(sum(g * g for g in levels)))
        weights = self._level_weights()
        if len(levels) > 1 or weights[0] != 1.0:
            per_dim = np.concatenate(
                [np.full(g * g * self._n_words(), w, np.float32) for g, w in zip(levels, weights)]
            )
            X = X * per_dim
        return normalize_rows(X, self.normalize)

    def _feature_names(self) -> list[str]:
        words = range(self._n_words())
        levels = self._grid_levels()
        if levels == (1,):
            return [f"word{k}" for k in words]
        return [f"grid{g}_cell{c}_word{k}" for g in levels for c in range(g * g) for k in words]
