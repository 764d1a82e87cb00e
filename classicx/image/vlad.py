"""VLAD: vectors of locally aggregated descriptors (Jegou et al. 2010; Arandjelovic & Zisserman 2013)."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import POWER_NORMALIZE, LocalFeatureEncoder, _power_normalize
from .descriptors import ImageFeatures, LocalDescriptors
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
    descriptor : LocalDescriptors or {"sift", "rootsift", "dense_sift", "orb"}, default="sift"
        As in :class:`~classicx.image.BagOfVisualWords`.
    vocabulary : int, KMeansVocabulary or BinaryKMeansVocabulary, default=64
        As in :class:`~classicx.image.BagOfVisualWords` (VLAD uses far
        fewer words than BoVW).
    intra_norm : bool, default=True
        L2-normalise each word's residual sum.
    normalize : {"power", "l2", None}, default="power"
        Final normalisation: signed power then L2, L2 only, or none.
    power_alpha : float, default=0.5
    n_jobs, verbose, random_state, on_error
        As in :class:`~classicx.image.BagOfVisualWords`.

    Attributes
    ----------
    descriptor_ : LocalDescriptors
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
    >>> from classicx.image import LocalDescriptors
    >>> vlad = VLAD(LocalDescriptors("dense_sift", dense_sizes=(16,)), 2, verbose=False, random_state=0)
    >>> X = vlad.fit_transform(images)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1))
    ((3, 256), True)
    """

    _parameter_constraints: dict = {
        **LocalFeatureEncoder._parameter_constraints,
        "intra_norm": ["boolean"],
        "normalize": POWER_NORMALIZE,
        "power_alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        descriptor: LocalDescriptors | str = "sift",
        vocabulary: Any = 64,
        *,
        intra_norm: bool = True,
        normalize: str | None = "power",
        power_alpha: float = 0.5,
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
    ) -> None:
        self.descriptor = descriptor
        self.vocabulary = vocabulary
        self.intra_norm = intra_norm
        self.normalize = normalize
        self.power_alpha = power_alpha
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error

    def _fit_encoding(self, sample: np.ndarray) -> None:
        centers = self.vocabulary_.centers_float()
        self.n_features_out_ = len(centers) * centers.shape[1]

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        words = self.vocabulary_.predict(features.descriptors)
        X = self.vocabulary_.descriptors_float(features.descriptors)
        centers = self.vocabulary_.centers_float()
        sums = _member_sums(words, X, len(centers))
        counts = np.bincount(words, minlength=len(centers))
        return (sums - counts[:, None] * centers).ravel()

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        X = raw
        if self.intra_norm:
            blocks = X.reshape(len(X) * len(self.vocabulary_.centers_), -1)
            X = normalize_rows(blocks, "l2").reshape(X.shape)
        return _power_normalize(X, self.normalize, self.power_alpha)

    def _feature_names(self) -> list[str]:
        n_words, dims = self.vocabulary_.centers_float().shape
        return [f"word{k}_dim{j}" for k in range(n_words) for j in range(dims)]
