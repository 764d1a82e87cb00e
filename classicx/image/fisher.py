"""Improved Fisher vectors (Perronnin, Sanchez & Mensink 2010)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import LocalFeatureEncoder, _check_power_normalize, _power_normalize
from .descriptors import ImageFeatures
from .vocabulary import GaussianMixtureVocabulary

__all__ = ["FisherVector"]


class FisherVector(LocalFeatureEncoder):
    """Improved Fisher vector: gradients of a diagonal GMM's log-likelihood w.r.t. means and variances.

    With soft assignments ``gamma_k(x)`` of an image's ``N`` descriptors
    (after the vocabulary's PCA), mixture weights ``w_k``, means ``mu_k`` and
    standard deviations ``sigma_k``, and ``u = (x - mu_k) / sigma_k``::

        G_mu_k    = 1 / (N sqrt(w_k))   * sum_x gamma_k(x) u
        G_sigma_k = 1 / (N sqrt(2 w_k)) * sum_x gamma_k(x) (u^2 - 1)

    concatenated as ``[G_mu_1 .. G_mu_K, G_sigma_1 .. G_sigma_K]``
    (``2 K d`` dimensions), then signed-power and L2 normalised (the
    "improved" Fisher vector).

    Parameters
    ----------
    descriptor : {"sift", "rootsift", "dense_sift"}, default="rootsift"
        Float descriptors only (a Gaussian model of bits is meaningless).
    n_components : int, default=64
        Gaussians in the mixture.
    pca_components : int or None, default=64
        Descriptors are PCA-reduced to this many dimensions before the GMM.
    normalize : {"power", "l2", None}, default="power"
    power_alpha : float, default=0.5
    max_keypoints, max_side, color, dense_step, dense_sizes, sample_size, n_jobs, \
verbose, random_state, on_error, cache
        As in :class:`~classicx.image.BagOfVisualWords`.

    Attributes
    ----------
    vocabulary_ : GaussianMixtureVocabulary
    n_features_out_ : int
    n_sampled_ : int
    skipped_rows_ : list of int

    See Also
    --------
    VLAD : hard-assignment, first-order only.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import FisherVector
    >>> images = [np.full((64, 64), 30, np.uint8) for _ in range(3)]
    >>> for i, img in enumerate(images):
    ...     _ = cv2.circle(img, (20 + 10 * i, 32), 12, 220, -1)
    >>> fv = FisherVector("dense_sift", n_components=2, pca_components=8, dense_sizes=(16,),
    ...                   verbose=False, random_state=0)
    >>> fv.fit_transform(images).shape
    (3, 32)
    """

    _float_only = True

    def __init__(
        self,
        descriptor: str = "rootsift",
        *,
        n_components: int = 64,
        pca_components: int | None = 64,
        normalize: str | None = "power",
        power_alpha: float = 0.5,
        max_keypoints: int | None = 1000,
        max_side: int | None = 1024,
        color: str = "gray",
        dense_step: int = 8,
        dense_sizes: tuple[int, ...] = (16, 24, 32),
        sample_size: int = 100_000,
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
        cache: Any = None,
    ) -> None:
        self.descriptor = descriptor
        self.n_components = n_components
        self.pca_components = pca_components
        self.normalize = normalize
        self.power_alpha = power_alpha
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.color = color
        self.dense_step = dense_step
        self.dense_sizes = dense_sizes
        self.sample_size = sample_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error
        self.cache = cache

    def _fit_vocabulary(self, sample: np.ndarray, rng: np.random.RandomState) -> None:
        _check_power_normalize(self.normalize)
        gmm = GaussianMixtureVocabulary(
            n_components=self.n_components, pca_components=self.pca_components, n_jobs=self.n_jobs,
            random_state=int(rng.randint(2**31 - 1)),
        )
        self.vocabulary_ = gmm.fit(sample)
        self.n_features_out_ = 2 * gmm.means_.shape[0] * gmm.means_.shape[1]

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        gmm = self.vocabulary_
        Z = gmm.project(features.descriptors).astype(np.float64)
        gamma = gmm.posteriors(Z)
        n = len(Z)
        mu, var, w = gmm.means_, gmm.variances_, gmm.weights_
        sigma = np.sqrt(var)
        s0 = gamma.sum(axis=0)[:, None]  # (K, 1)
        s1 = gamma.T @ Z  # (K, d)
        s2 = gamma.T @ (Z * Z)
        # Expanding the sums over x keeps this to two BLAS products per image.
        g_mu = (s1 - s0 * mu) / sigma / (n * np.sqrt(w)[:, None])
        g_sigma = ((s2 - 2.0 * mu * s1 + s0 * mu * mu) / var - s0) / (n * np.sqrt(2.0 * w)[:, None])
        return np.concatenate([g_mu.ravel(), g_sigma.ravel()])

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        _check_power_normalize(self.normalize)
        return _power_normalize(raw, self.normalize, self.power_alpha)
