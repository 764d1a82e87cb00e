"""Visual vocabularies learned from a sample of local descriptors.

* :class:`KMeansVocabulary` — k-means (scikit-learn ``MiniBatchKMeans`` or
  ``KMeans``) for float descriptors (SIFT, RootSIFT, dense SIFT).
* :class:`BinaryKMeansVocabulary` — k-majority (binary k-means) in Hamming
  space for packed binary descriptors (ORB): centres are bit vectors, each the
  per-bit majority of its members, so no descriptor is ever cast to a float
  average that is not a valid binary code (the flaw of OpenCV's
  ``BOWKMeansTrainer`` with ORB).
* :class:`GaussianMixtureVocabulary` — a diagonal-covariance Gaussian mixture,
  optionally after PCA, for Fisher vectors.

Each is fitted on an in-memory descriptor sample of at most ``sample_size``
rows (the encoders draw that sample while streaming over the images, and
read its size from the vocabulary: how many descriptors a vocabulary learns
from is the vocabulary's setting) and keeps only arrays, so it can be saved
without pickle. Nearest-word assignment uses BLAS matrix products in
chunks, so memory stays bounded for any number of descriptors.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from ..base import ClassicxEstimator
from ..exceptions import InputError, InputTypeError
from ..utils.validation import check_array, check_is_fitted, validate_data, validate_params

__all__ = [
    "KMeansVocabulary",
    "BinaryKMeansVocabulary",
    "GaussianMixtureVocabulary",
    "unpack_bits",
]

# k-means++ seeding sample for binary k-means (scikit-learn's MiniBatchKMeans default init_size).
_SEED_SAMPLES = 3 * 4096
# Smallest k-means++ seed set of mini-batch k-means (see KMeansVocabulary's ``init``).
_MIN_INIT_SIZE = 1024
# Binary k-means stops when at most this share of descriptors changes word.
_STABLE = 1e-3
# Rows per BLAS product: 4096 x 1024 words x 4 bytes = 16 MB of distances.
_CHUNK = 4096


def _thread_limit(n_jobs: int | None) -> threadpool_limits:
    """Cap BLAS/OpenMP threads at ``n_jobs`` (None = 1, as in joblib).

    Uncapped, scikit-learn's k-means and GMM start one thread per core; on a
    shared or busy machine those threads mostly wait for each other (measured
    15x slower than one thread on a loaded 2-core machine), so the caller's
    ``n_jobs`` decides.
    """
    return threadpool_limits(limits=effective_n_jobs(n_jobs))


# Shared by the three vocabularies' ``_parameter_constraints``.
_POSITIVE = Interval(Integral, 1, None, closed="left")


def _check_binary(X: np.ndarray, estimator: Any) -> np.ndarray:
    if X.dtype != np.uint8:
        raise InputTypeError(
            f"{type(estimator).__name__}: binary descriptors must be packed uint8 bits, got dtype {X.dtype}"
        )
    return X


def _fit_sample(estimator: Any, X: Any, dtype: Any) -> np.ndarray:
    """Validated descriptor sample (sets ``n_features_in_``), subsampled to ``sample_size`` rows."""
    validate_params(estimator)
    X = validate_data(estimator, X, dtype=dtype)
    if dtype is None:
        X = _check_binary(X, estimator)
    n_words = int(estimator.n_words)
    if len(X) < n_words:
        raise InputError(
            f"{type(estimator).__name__}: cannot learn {n_words} visual words from n_samples={len(X)} "
            "descriptors: use fewer words or more/larger images"
        )
    size = int(estimator.sample_size)
    if len(X) > size:
        rng = check_random_state(estimator.random_state)
        X = X[np.sort(rng.choice(len(X), size, replace=False))]
    return X


def _check_descriptors(estimator: Any, X: Any, dtype: Any) -> np.ndarray:
    """Descriptors to assign: as many features as the sample the vocabulary was fitted on."""
    check_is_fitted(estimator)
    X = validate_data(estimator, X, dtype=dtype, reset=False)
    return X if dtype is not None else _check_binary(X, estimator)


def unpack_bits(X: np.ndarray) -> np.ndarray:
    """Packed uint8 bit rows -> float32 rows of 0/1 (most significant bit first)."""
    return np.unpackbits(np.asarray(X, dtype=np.uint8), axis=1).astype(np.float32)


def _member_sums(labels: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    """Row sums of ``X`` per label (k, d), as one sparse x dense product (np.add.at is ~50x slower)."""
    one_hot = sp.csr_matrix(
        (np.ones(len(labels), dtype=X.dtype), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    return np.asarray(one_hot @ X)


def _k_smallest(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices (n, k) of the ``k`` smallest entries of each row of ``d``, smallest first."""
    if k == 1:
        return np.argmin(d, axis=1)[:, None]
    nn = np.argpartition(d, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d, nn, axis=1), axis=1, kind="stable")
    return np.take_along_axis(nn, order, axis=1)


def _nearest_euclidean(X: np.ndarray, centers: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest centres by squared Euclidean distance, chunked (||x||^2 - 2 x.c + ||c||^2).

    Words are ranked by ``||c||^2 - 2 x.c`` (``||x||^2`` is the same for every
    word of a row) and ``||x||^2`` is added to the k selected values only:
    one BLAS product, written in place, plus one pass over the distances.
    Encoding is bound by this product, so each saved pass over the (chunk x
    n_words) matrix counts.
    """
    X = np.asarray(X, dtype=np.float32)
    centers = np.asarray(centers, dtype=np.float32)
    c_sq = np.einsum("ij,ij->i", centers, centers)
    minus_2c = np.ascontiguousarray(-2.0 * centers.T, dtype=np.float32)
    n = len(X)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        block = X[start : start + _CHUNK]
        d = block @ minus_2c
        d += c_sq
        nn = _k_smallest(d, k)
        chosen = np.take_along_axis(d, nn, axis=1)
        chosen += np.einsum("ij,ij->i", block, block)[:, None]
        np.maximum(chosen, 0.0, out=chosen)
        idx[start : start + len(block)] = nn
        dist[start : start + len(block)] = chosen
    return idx, dist


def _nearest_hamming(X: np.ndarray, centers_pm: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest binary centres by Hamming distance.

    With bits mapped to +-1, ``hamming(a, b) = (n_bits - a.b) / 2``, so a BLAS
    product gives all distances at once.
    """
    X = np.asarray(X, dtype=np.uint8)
    n_bits = centers_pm.shape[1]
    n = len(X)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        block = unpack_bits(X[start : start + _CHUNK]) * 2.0 - 1.0
        d = (n_bits - block @ centers_pm.T) * 0.5
        nn = _k_smallest(d, k)
        idx[start : start + len(block)] = nn
        dist[start : start + len(block)] = np.rint(np.take_along_axis(d, nn, axis=1))
    return idx, dist


class KMeansVocabulary(ClassicxEstimator):
    """k-means visual vocabulary for float descriptors.

    Parameters
    ----------
    n_words : int, default=512
        Number of visual words (cluster centres).
    algorithm : {"minibatch", "full"}, default="minibatch"
        scikit-learn ``MiniBatchKMeans`` (fast, the default for large samples)
        or ``KMeans`` (Lloyd).
    init : {"k-means++", "random"}, default="k-means++"
        Initial words: k-means++ seeding or random descriptors of the
        sample. With ``"minibatch"``, k-means++ seeds on
        ``max(3 * n_words, 1024)`` random descriptors rather than
        scikit-learn's default ``3 * batch_size``: seeding cost grows with
        that number times ``n_words`` and, on 100,000 webnews SIFT
        descriptors and 512 words, the default seeding alone took 1.5 s of a
        3.0 s fit (one thread) while the smaller seed set left the held-out
        quantisation error within 0.1 %.
    max_iter : int, default=100
        Maximum passes over the sample (mini-batch k-means usually stops
        early, when the smoothed inertia stops improving).
    batch_size : int, default=4096
        Mini-batch size for ``"minibatch"``.
    n_init : int, default=1
    sample_size : int, default=100000
        Descriptors the vocabulary learns from: ``fit`` clusters a uniform
        random subset of this many rows when given more, and the encoders
        draw a sample of this size from the images' descriptors (see
        :class:`~classicx.image.BagOfVisualWords`).
    n_jobs : int or None, default=None
        BLAS/OpenMP threads while clustering (``None``: 1, ``-1``: all cores).
        An encoder fits its copy with its own ``n_jobs`` when this is ``None``.
    random_state : int, RandomState or None
        Seeds the clustering (and the subset when ``X`` has more than
        ``sample_size`` rows). An encoder fits its copy with a seed drawn
        from its own ``random_state`` when this is ``None``.

    Attributes
    ----------
    centers_ : ndarray of float32, shape (n_words, n_features)
    n_features_in_ : int

    See Also
    --------
    BinaryKMeansVocabulary : for ORB.
    GaussianMixtureVocabulary : for Fisher vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import KMeansVocabulary
    >>> X = np.array([[0, 0], [0, 1], [10, 10], [10, 11]], float)
    >>> voc = KMeansVocabulary(n_words=2, algorithm="full", random_state=0).fit(X)
    >>> idx, _ = voc.nearest(np.array([[9.0, 9.0], [1.0, 0.0]]))
    >>> bool(idx[0, 0] != idx[1, 0])
    True
    """

    binary = False

    def __init__(
        self,
        n_words: int = 512,
        *,
        algorithm: str = "minibatch",
        init: str = "k-means++",
        max_iter: int = 100,
        batch_size: int = 4096,
        n_init: int = 1,
        sample_size: int = 100_000,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.n_words = n_words
        self.algorithm = algorithm
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.n_init = n_init
        self.sample_size = sample_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: dict = {
        "n_words": [_POSITIVE],
        "algorithm": [StrOptions({"minibatch", "full"})],
        "init": [StrOptions({"k-means++", "random"})],
        "max_iter": [_POSITIVE],
        "batch_size": [_POSITIVE],
        "n_init": [_POSITIVE],
        "sample_size": [_POSITIVE],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def fit(self, X: Any, y: Any = None) -> "KMeansVocabulary":
        """Cluster the descriptor sample ``X`` (n_samples, n_features).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Float descriptors.
        y : ignored

        Returns
        -------
        self
        """
        # Imported by fit only: loading a model for queries never needs scikit-learn's clustering.
        from sklearn.cluster import KMeans, MiniBatchKMeans

        X = _fit_sample(self, X, np.float32)
        if self.algorithm == "minibatch":
            km = MiniBatchKMeans(
                n_clusters=int(self.n_words), init=self.init, max_iter=self.max_iter,
                batch_size=self.batch_size, n_init=self.n_init, random_state=self.random_state,
                init_size=min(len(X), max(3 * int(self.n_words), _MIN_INIT_SIZE)),
            )
        elif self.algorithm == "full":
            km = KMeans(
                n_clusters=int(self.n_words), init=self.init, max_iter=self.max_iter,
                n_init=self.n_init, random_state=self.random_state,
            )
        with _thread_limit(self.n_jobs):
            km.fit(X)
        self.centers_ = np.ascontiguousarray(km.cluster_centers_, dtype=np.float32)
        return self

    def nearest(self, X: Any, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Indices (n, k) of the ``k`` nearest words, nearest first, and their Euclidean distances."""
        X = _check_descriptors(self, X, np.float32)
        idx, sq = _nearest_euclidean(X, self.centers_, min(int(k), len(self.centers_)))
        return idx, np.sqrt(sq)

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest word for each descriptor."""
        return self.nearest(X, 1)[0][:, 0]

    def centers_float(self) -> np.ndarray:
        """Centres as float32 vectors in the space residuals are taken in."""
        check_is_fitted(self)
        return self.centers_

    def descriptors_float(self, X: Any) -> np.ndarray:
        """Descriptors in the same space as :meth:`centers_float`."""
        return _check_descriptors(self, X, np.float32)


class BinaryKMeansVocabulary(ClassicxEstimator):
    """k-majority (binary k-means) vocabulary for packed binary descriptors such as ORB.

    Seeding is k-means++ in Hamming space (on +-1 bit vectors squared
    Euclidean distance is 4 x Hamming, so scikit-learn's ``kmeans_plusplus``
    seeds by Hamming distance exactly; seeding uses a random subset of at most
    ``max(3 k, 12288)`` descriptors). Each iteration assigns descriptors to
    the nearest centre by Hamming distance and sets every centre bit to the
    majority bit of its members (Grana et al. 2013), until at most 0.1% of
    the descriptors change word or ``max_iter`` iterations. Written here because no
    well-kept library clusters binary codes in Hamming space.

    Parameters
    ----------
    n_words : int, default=512
    max_iter : int, default=30
    sample_size : int, default=100000
        Descriptors the vocabulary learns from (as in :class:`KMeansVocabulary`).
    n_jobs : int or None, default=None
        BLAS threads while clustering (``None``: 1, ``-1``: all cores).
        An encoder fits its copy with its own ``n_jobs`` when this is ``None``.
    random_state : int, RandomState or None
        Seeds the k-means++ seeding. An encoder fits its copy with a seed
        drawn from its own ``random_state`` when this is ``None``.

    Attributes
    ----------
    centers_ : ndarray of uint8, shape (n_words, n_bytes)
        Packed bit centres.
    n_iter_ : int
    n_features_in_ : int
        Bytes per descriptor.

    See Also
    --------
    KMeansVocabulary : for float descriptors.
    classicx.image.BagOfVisualWords : picks this vocabulary for ORB when given a number of words.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import BinaryKMeansVocabulary
    >>> X = np.array([[0b11110000], [0b11110001], [0b00001111], [0b00011111]], np.uint8)
    >>> voc = BinaryKMeansVocabulary(n_words=2, random_state=0).fit(X)
    >>> sorted(voc.centers_[:, 0].tolist())
    [15, 240]
    """

    binary = True

    def __init__(
        self,
        n_words: int = 512,
        *,
        max_iter: int = 30,
        sample_size: int = 100_000,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.n_words = n_words
        self.max_iter = max_iter
        self.sample_size = sample_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: dict = {
        "n_words": [_POSITIVE],
        "max_iter": [_POSITIVE],
        "sample_size": [_POSITIVE],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def fit(self, X: Any, y: Any = None) -> "BinaryKMeansVocabulary":
        """Cluster the packed binary descriptor sample ``X``.

        Parameters
        ----------
        X : ndarray of uint8, shape (n_samples, n_bytes)
            Packed bits, as ORB gives them.
        y : ignored

        Returns
        -------
        self
        """
        X = _fit_sample(self, X, None)
        with _thread_limit(self.n_jobs):
            return self._fit(X)

    def _fit(self, X: np.ndarray) -> "BinaryKMeansVocabulary":
        # Imported by fit only: loading a model for queries never needs scikit-learn's clustering.
        from sklearn.cluster import kmeans_plusplus

        rng = check_random_state(self.random_state)
        k = int(self.n_words)
        bits = unpack_bits(X)
        # Seed on a subset, as scikit-learn's MiniBatchKMeans does (init_size): k-means++
        # costs O(n k log k) distance rows and a subset seeds as well.
        n_seed = min(len(X), max(3 * k, _SEED_SAMPLES))
        seed_rows = rng.choice(len(X), n_seed, replace=False) if n_seed < len(X) else np.arange(len(X))
        centers_pm, _ = kmeans_plusplus(bits[seed_rows] * 2.0 - 1.0, k, random_state=rng)
        labels = None
        n_iter = 0
        for n_iter in range(1, int(self.max_iter) + 1):
            idx, dist = _nearest_hamming(X, centers_pm, 1)
            new_labels = idx[:, 0]
            if labels is not None and np.count_nonzero(new_labels != labels) <= _STABLE * len(X):
                break
            labels = new_labels
            counts = np.bincount(labels, minlength=k).astype(np.float32)
            sums = _member_sums(labels, bits, k)
            empty = np.flatnonzero(counts == 0)
            majority = np.where(sums * 2.0 > counts[:, None], 1.0, 0.0)
            if len(empty):
                # Re-seed empty clusters with the descriptors worst served by their centre.
                far = np.argsort(-dist[:, 0], kind="stable")[: len(empty)]
                majority[empty] = bits[far]
            centers_pm = (majority * 2.0 - 1.0).astype(np.float32)
        self.centers_ = np.packbits(centers_pm > 0, axis=1)
        self.n_iter_ = n_iter
        return self

    def _centers_pm(self) -> np.ndarray:
        return unpack_bits(self.centers_) * 2.0 - 1.0

    def nearest(self, X: Any, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Indices (n, k) of the ``k`` nearest words, nearest first, and their Hamming distances."""
        X = _check_descriptors(self, X, None)
        return _nearest_hamming(X, self._centers_pm(), min(int(k), len(self.centers_)))

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest word for each descriptor."""
        return self.nearest(X, 1)[0][:, 0]

    def centers_float(self) -> np.ndarray:
        """Centre bits as 0/1 float32 vectors (the space VLAD residuals are taken in)."""
        check_is_fitted(self)
        return unpack_bits(self.centers_)

    def descriptors_float(self, X: Any) -> np.ndarray:
        """Descriptor bits as 0/1 float32 vectors."""
        return unpack_bits(_check_descriptors(self, X, None))


class GaussianMixtureVocabulary(ClassicxEstimator):
    """Diagonal-covariance Gaussian mixture over (optionally PCA-reduced) descriptors.

    Parameters
    ----------
    n_words : int, default=64
        Number of Gaussians (the vocabulary's size, as ``n_words`` of the
        other vocabularies).
    pca_components : int or None, default=64
        Reduce descriptors with PCA to this many dimensions first (decorrelating
        them suits the diagonal model; Perronnin et al. 2010). ``None``, or a
        value not below the descriptor length, skips PCA.
    max_iter : int, default=100
    reg_covar : float, default=1e-4
        Added to the variances (scikit-learn ``GaussianMixture``), keeps them positive.
    sample_size : int, default=100000
        Descriptors the vocabulary learns from (as in :class:`KMeansVocabulary`).
    n_jobs : int or None, default=None
        BLAS/OpenMP threads while fitting (``None``: 1, ``-1``: all cores).
        An encoder fits its copy with its own ``n_jobs`` when this is ``None``.
    random_state : int, RandomState or None
        Seeds PCA and the mixture. An encoder fits its copy with a seed drawn
        from its own ``random_state`` when this is ``None``.

    Attributes
    ----------
    weights_ : ndarray (n_words,)
    means_ : ndarray (n_words, d)
    variances_ : ndarray (n_words, d)
    pca_mean_, pca_components_ : ndarray or None
        The PCA projection (``None`` without PCA).
    n_features_in_ : int

    See Also
    --------
    classicx.image.FisherVector : encodes descriptors with this mixture.
    KMeansVocabulary : hard visual words.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import GaussianMixtureVocabulary
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-5, 1, (200, 2)), rng.normal(5, 1, (200, 2))])
    >>> gmm = GaussianMixtureVocabulary(n_words=2, pca_components=None, random_state=0).fit(X)
    >>> np.round(np.sort(gmm.means_[:, 0]))
    array([-5.,  5.])
    >>> gmm.posteriors(np.array([[-5.0, -5.0]])).max().round(3)
    np.float64(1.0)
    """

    binary = False

    def __init__(
        self,
        n_words: int = 64,
        *,
        pca_components: int | None = 64,
        max_iter: int = 100,
        reg_covar: float = 1e-4,
        sample_size: int = 100_000,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.n_words = n_words
        self.pca_components = pca_components
        self.max_iter = max_iter
        self.reg_covar = reg_covar
        self.sample_size = sample_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: dict = {
        "n_words": [_POSITIVE],
        "pca_components": [_POSITIVE, None],
        "max_iter": [_POSITIVE],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "sample_size": [_POSITIVE],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def fit(self, X: Any, y: Any = None) -> "GaussianMixtureVocabulary":
        """Fit PCA (optional) and the mixture on the descriptor sample ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Float descriptors.
        y : ignored

        Returns
        -------
        self
        """
        # Imported by fit only: loading a model for queries never needs PCA or mixtures.
        from sklearn.decomposition import PCA
        from sklearn.mixture import GaussianMixture

        X = _fit_sample(self, X, np.float64)
        rng = check_random_state(self.random_state)
        if self.pca_components is not None and int(self.pca_components) < X.shape[1]:
            pca = PCA(n_components=int(self.pca_components), random_state=rng).fit(X)
            self.pca_mean_ = pca.mean_.astype(np.float32)
            self.pca_components_ = pca.components_.astype(np.float32)
        else:
            self.pca_mean_ = None
            self.pca_components_ = None
        Z = self._project(X).astype(np.float64)
        gmm = GaussianMixture(
            n_components=int(self.n_words), covariance_type="diag", max_iter=self.max_iter,
            reg_covar=self.reg_covar, random_state=rng,
        )
        with _thread_limit(self.n_jobs):
            gmm.fit(Z)
        self.weights_ = gmm.weights_.astype(np.float64)
        self.means_ = gmm.means_.astype(np.float64)
        self.variances_ = gmm.covariances_.astype(np.float64)
        return self

    def project(self, X: Any) -> np.ndarray:
        """Descriptors in the mixture's space (after PCA when PCA is used)."""
        return self._project(_check_descriptors(self, X, np.float32))

    def _project(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if self.pca_components_ is None:
            return X
        return (X - self.pca_mean_) @ self.pca_components_.T

    def posteriors(self, Z: Any) -> np.ndarray:
        """Soft assignments gamma (n, n_words) of already projected descriptors ``Z``."""
        check_is_fitted(self)
        Z = check_array(Z, name="Z", estimator=self, dtype=np.float64)
        if Z.shape[1] != self.means_.shape[1]:
            raise InputError(
                f"{type(self).__name__}.posteriors: Z has {Z.shape[1]} features, but the mixture has "
                f"{self.means_.shape[1]} dimensions (pass descriptors through project first)"
            )
        return self._posteriors(Z)

    def _posteriors(self, Z: np.ndarray) -> np.ndarray:
        """:meth:`posteriors` of a float64 array already checked (the Fisher encoder's per-image call)."""
        inv = 1.0 / self.variances_
        # log N(z | mu, diag(var)) expanded so that the (n, K) part is one BLAS product.
        log_det = np.sum(np.log(self.variances_), axis=1)
        quad = (Z * Z) @ inv.T - 2.0 * Z @ (self.means_ * inv).T + np.sum(self.means_**2 * inv, axis=1)
        log_p = np.log(self.weights_) - 0.5 * (log_det + quad + Z.shape[1] * np.log(2.0 * np.pi))
        return np.exp(log_p - logsumexp(log_p, axis=1, keepdims=True))
