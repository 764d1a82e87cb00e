"""Improved Fisher vectors (Perronnin, Sanchez & Mensink 2010), optionally per spatial region."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import POWER_NORMALIZE, LocalFeatureEncoder, _power_normalize
from ._grids import grid_cells, layout_grids
from .descriptors import ImageFeatures, LocalDescriptors
from .normalization import normalize_rows
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

    With a spatial ``layout`` (Perronnin et al. 2010, section 3.3; Sanchez
    et al. 2013, "Image classification with the Fisher vector"), the same
    vector is computed for the descriptors of each region of each grid
    (``N`` being the region's count), each region's vector is normalised on
    its own, and the concatenation of the regions (grids in the order given,
    cells row-major, top row first) is L2-normalised again; a region without
    descriptors is a zero block. The default layout ``(1,)`` is the plain
    Fisher vector; ``(1, (3, 1))`` adds three horizontal strips (top,
    middle, bottom), the layout of those papers for scene-like photos.

    Parameters
    ----------
    descriptor : LocalDescriptors or {"sift", "rootsift", "dense_sift"}, default="rootsift"
        Float descriptors only (a Gaussian model of bits is meaningless);
        otherwise as in :class:`~classicx.image.BagOfVisualWords`.
    vocabulary : int or GaussianMixtureVocabulary, default=64
        The Gaussian mixture, or its number of Gaussians (an int ``n``
        stands for ``GaussianMixtureVocabulary(n)``, which PCA-reduces the
        descriptors to 64 dimensions first: set ``pca_components`` on the
        vocabulary). Its ``sample_size``, ``random_state`` and ``n_jobs``
        play the same part as in :class:`~classicx.image.BagOfVisualWords`.
    layout : tuple of int or (int, int), default=(1,)
        The spatial grids: ``g`` is ``g x g`` cells, ``(rows, columns)`` a
        grid of that many rows and columns (``(3, 1)``: three horizontal
        strips). The encoding has ``2 K d`` dimensions per cell.
    normalize : {"power", "l2", None}, default="power"
        Applied to each region's vector; with a layout of more than one
        cell, a row is L2-normalised again after the concatenation (unless ``None``).
    power_alpha : float, default=0.5
    n_jobs, verbose, random_state, on_error
        As in :class:`~classicx.image.BagOfVisualWords`.

    Attributes
    ----------
    descriptor_ : LocalDescriptors
    vocabulary_ : GaussianMixtureVocabulary
    n_features_out_ : int
        ``2 * n_words * d * n_cells`` (``d``: the PCA dimensions, or the
        descriptor length without PCA; ``n_cells``: the cells of all grids of ``layout``).
    n_sampled_ : int
    skipped_rows_ : list of int

    See Also
    --------
    VLAD : hard-assignment, first-order only.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import FisherVector, GaussianMixtureVocabulary, LocalDescriptors
    >>> images = [np.full((64, 64), 30, np.uint8) for _ in range(3)]
    >>> for i, img in enumerate(images):
    ...     _ = cv2.circle(img, (20 + 10 * i, 32), 12, 220, -1)
    >>> fv = FisherVector(LocalDescriptors("dense_sift", dense_sizes=(16,)),
    ...                   GaussianMixtureVocabulary(2, pca_components=8), verbose=False, random_state=0)
    >>> fv.fit_transform(images).shape
    (3, 32)

    The whole image and three horizontal strips (``1 + 3`` regions):

    >>> spatial = FisherVector(LocalDescriptors("dense_sift", dense_sizes=(16,)),
    ...                        GaussianMixtureVocabulary(2, pca_components=8), layout=(1, (3, 1)),
    ...                        verbose=False, random_state=0)
    >>> X = spatial.fit_transform(images)
    >>> X.shape
    (3, 128)
    >>> bool(np.allclose(2 * X[:, :32], fv.transform(images), atol=1e-6))  # its first block: the plain vector
    True
    >>> spatial.get_feature_names_out()[[0, 32]].tolist()
    ['grid1x1_cell0_word0_mean0', 'grid3x1_cell0_word0_mean0']
    """

    _float_only = True

    _parameter_constraints: dict = {
        **LocalFeatureEncoder._parameter_constraints,
        "vocabulary": [Interval(Integral, 1, None, closed="left"), GaussianMixtureVocabulary],
        "layout": [tuple, list],
        "normalize": POWER_NORMALIZE,
        "power_alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        descriptor: LocalDescriptors | str = "rootsift",
        vocabulary: Any = 64,
        *,
        layout: tuple = (1,),
        normalize: str | None = "power",
        power_alpha: float = 0.5,
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
    ) -> None:
        self.descriptor = descriptor
        self.vocabulary = vocabulary
        self.layout = layout
        self.normalize = normalize
        self.power_alpha = power_alpha
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.on_error = on_error

    def _grids(self) -> tuple[tuple[int, int], ...]:
        """``layout`` as (rows, columns) pairs, checked."""
        return layout_grids(self.layout, "FisherVector")

    def _n_cells(self) -> int:
        return sum(rows * columns for rows, columns in self._grids())

    def _check_params(self) -> None:
        super()._check_params()
        self._grids()

    def _new_vocabulary(self, n_words: int, descriptor: LocalDescriptors) -> GaussianMixtureVocabulary:
        return GaussianMixtureVocabulary(n_words)

    def _fit_encoding(self, sample: np.ndarray) -> None:
        means = self.vocabulary_.means_
        self.n_features_out_ = 2 * means.shape[0] * means.shape[1] * self._n_cells()

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        gmm = self.vocabulary_
        # The descriptors come from descriptor_ (or were checked by encode): the vocabulary's
        # per-call validation would cost more than the arithmetic on one image's few hundred rows.
        Z = gmm._project(features.descriptors).astype(np.float64)
        # The posteriors (the costly part) once per image, shared by every region.
        gamma = gmm._posteriors(Z)
        grids = self._grids()
        if grids == ((1, 1),):
            return self._gradients(Z, gamma)
        parts = []
        for rows, columns in grids:
            cell = grid_cells(features.positions, rows, columns)
            for c in range(rows * columns):
                inside = cell == c
                if inside.any():
                    parts.append(self._gradients(Z[inside], gamma[inside]))
                else:
                    parts.append(np.zeros(2 * gmm.means_.size))
        return np.concatenate(parts)

    def _gradients(self, Z: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        """The raw Fisher vector of descriptors ``Z`` (projected) with posteriors ``gamma``."""
        gmm = self.vocabulary_
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
        n_cells = self._n_cells()
        if n_cells == 1:
            return _power_normalize(raw, self.normalize, self.power_alpha)
        # Each region on its own (a region's scale does not depend on how many descriptors fell in it),
        # then the whole row, so that it weighs in a concatenation as the plain vector does.
        blocks = raw.reshape(len(raw), n_cells, -1)
        out = np.concatenate(
            [_power_normalize(blocks[:, c], self.normalize, self.power_alpha) for c in range(n_cells)], axis=1
        )
        return out if self.normalize is None else normalize_rows(out, "l2")

    def _feature_names(self) -> list[str]:
        n_words, dims = self.vocabulary_.means_.shape
        names = [
            f"word{k}_{moment}{j}" for moment in ("mean", "var") for k in range(n_words) for j in range(dims)
        ]
        grids = self._grids()
        if grids == ((1, 1),):
            return names
        return [
            f"grid{rows}x{columns}_cell{c}_{name}"
            for rows, columns in grids for c in range(rows * columns) for name in names
        ]
