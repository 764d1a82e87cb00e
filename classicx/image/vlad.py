"""VLAD: vectors of locally aggregated descriptors (Jegou et al. 2010; Arandjelovic & Zisserman 2013)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import (
    LocalFeatureEncoder,
    _check_power_normalize,
    _fit_word_vocabulary,
    _power_normalize,
)
from .descriptors import ImageFeatures
from .normalization import normalize_rows
from .vocabulary import _member_sums

__all__ = ["VLAD"]


class VLAD(LocalFeatureEncoder):
    """VLAD encoding: per visual word, the sum of residuals of the descriptors assigned to it.

    For word ``k`` with centre ``c_k``, ``v_k = sum over x with NN(x) = k of (x - c_k)``;
    the ``v_k`` are concatenated into ``n_words * d`` dimensions. With
    ``intra_norm=True`` each ``v_k`` is L2-normalised on its own (which stops
    bursty words from dominating); then ``normalize="power"`` applies the
    signed power ``sign(v) |v|^power_alpha`` and L2 over the whole vector.
    Binary (ORB) descriptors use the k-majority vocabulary and residuals
    between bit vectors taken as 0/1 floats.

    Parameters
    ----------
    descriptor, max_keypoints, max_side, color, dense_step, dense_sizes, sample_size, \
vocabulary_algorithm, n_jobs, verbose, random_state, on_error, cache
        As in :class:`~classicx.image.BagOfVisualWords`.
    n_words : int, default=64
        Vocabulary size (VLAD uses far fewer words than BoVW).
    intra_norm : bool, default=True
        L2-normalise each word's residual sum.
    normalize : {"power", "l2", None}, default="power"
        Final normalisation: signed power then L2, L2 only, or none.
    power_alpha : float, default=0.5

    Attributes
    ----------
    vocabulary_ : KMeansVocabulary or BinaryKMeansVocabulary
    n_features_out_ : int
        ``n_words * d`` (``d`` = 128 for SIFT, 256 bits for ORB).
    n_sampled_ : int
    skipped_rows_ : list of int

    See Also
    --------
    FisherVector : the soft, second-order generalisation.
    BagOfVisualWords : zeroth-order counts.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import VLAD
    >>> images = [np.full((64, 64), 30, np.uint8) for _ in range(3)]
    >>> for i, img in enumerate(images):
    ...     _ = cv2.circle(img, (20 + 10 * i, 32), 12, 220, -1)
    >>> X = VLAD("dense_sift", n_words=2, dense_sizes=(16,), verbose=False, random_state=0).fit_transform(images)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1))
    ((3, 256), True)
    """

    def __init__(
        self,
        descriptor: str = "sift",
        *,
        n_words: int = 64,
        intra_norm: bool = True,
        normalize: str | None = "power",
        power_alpha: float = 0.5,
        max_keypoints: int | None = 1000,
        max_side: int | None = 1024,
        color: str = "gray",
        dense_step: int = 8,
        dense_sizes: tuple[int, ...] = (16, 24, 32),
        sample_size: int = 100_000,
        vocabulary_algorithm: str = "minibatch",
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
        cache: Any = None,
    ) -> None:
        self.descriptor = descriptor
        self.n_words = n_words
        self.intra_norm = intra_norm
        self.normalize = normalize
        self.power_alpha = power_alpha
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.color = color
        self.dense_step = dense_step
        self.dense_sizes = dense_sizes
        self.sample_size = sample_size
        self.vocabulary_algorithm = vocabulary_algorithm
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error
        self.cache = cache

    def _fit_vocabulary(self, sample: np.ndarray, rng: np.random.RandomState) -> None:
        _check_power_normalize(self.normalize)
        self.vocabulary_ = _fit_word_vocabulary(sample, rng, self.n_words, self.vocabulary_algorithm, self.n_jobs)
        self.n_features_out_ = int(self.n_words) * self.vocabulary_.centers_float().shape[1]

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        words = self.vocabulary_.predict(features.descriptors)
        X = self.vocabulary_.descriptors_float(features.descriptors)
        centers = self.vocabulary_.centers_float()
        sums = _member_sums(words, X, len(centers))
        counts = np.bincount(words, minlength=len(centers))
        return (sums - counts[:, None] * centers).ravel()

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        _check_power_normalize(self.normalize)
        X = raw
        if self.intra_norm:
            blocks = X.reshape(len(X) * int(self.n_words), -1)
            X = normalize_rows(blocks, "l2").reshape(X.shape)
        return _power_normalize(X, self.normalize, self.power_alpha)
