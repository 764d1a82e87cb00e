"""The subspace learners on dask arrays: statistics on the workers, the small solve on the client (private).

Every learner here keeps its own solver: this module only computes, block by
block on the workers, the statistics the solver needs (counts, means and
centred sums of products, merged by a tree reduction; see :mod:`._stats`)
and hands them to the learner's from-statistics hook (``_set_stats`` and
``_solve_from_stats`` of :class:`~classicx.subspace.RegularizedCCA`, which its
``partial_fit`` uses too; ``_fit_covariances`` of the multi-view learners).
Those hooks are private methods of the learners, called from here on purpose:
the math stays in one place, and only the data movement is Dask's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..subspace import PLSSVD, MultiviewCCA, RegularizedCCA, ThreeViewCCA
from ..utils.validation import check_labels, validate_params
from ._arrays import as_dask_array, check_dask_views
from ._stats import Moments, view_moments

__all__ = ["fit_aligner", "fit_multiview_views", "transform_dask"]


def _all_pairs(n_views: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_views) for j in range(i, n_views)]


def _labels(labels: Any, n: int) -> np.ndarray | None:
    # Labels are one small number per row: they are gathered and checked on the client.
    if labels is None:
        return None
    if hasattr(labels, "compute"):
        labels = labels.compute()
    return check_labels(labels, n)


def _dual_fallback(estimator: Any, views: list, labels: Any) -> Any:
    # More features than rows: the data is smaller than its d x d statistics, so the
    # in-memory dual form (which keeps no d x d matrix) is the right solver.
    arrays = [np.asarray(V.compute()) for V in views]
    return estimator.fit(*arrays, labels=labels)


def fit_cca(est: RegularizedCCA, X: Any, Y: Any, labels: Any = None) -> RegularizedCCA:
    """:meth:`RegularizedCCA.fit` on dask arrays; equal to the in-memory fit to rounding."""
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    n = X.shape[0]
    labels = _labels(labels, n)
    if X.shape[1] > n or Y.shape[1] > n:
        return _dual_fallback(est, [X, Y], labels)
    # The rule of RegularizedCCA(dtype=None): float32 when both views are float32.
    both32 = X.dtype == np.float32 and Y.dtype == np.float32
    dtype = {"float32": np.float32, "float64": np.float64}.get(est.dtype, np.float32 if both32 else np.float64)
    m = view_moments([X, Y], [(0, 0), (1, 1), (0, 1)], dtype, ["X", "Y"], desc="CCA statistics")
    est.dtype_ = np.dtype(dtype).name
    est._set_stats(m.n, m.means[0], m.means[1], m.scatter[(0, 0)], m.scatter[(1, 1)], m.scatter[(0, 1)])
    est._solve_from_stats(est._regs(), dtype, strict=True)
    return est


def fit_pls(est: PLSSVD, X: Any, Y: Any, labels: Any = None) -> PLSSVD:
    """:meth:`PLSSVD.fit` on dask arrays: the cross-covariance (and the variances) from the workers."""
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    n = X.shape[0]
    _labels(labels, n)
    dtype = np.float32 if X.dtype == np.float32 and Y.dtype == np.float32 else np.float64
    pairs = [(0, 1), (0, 0), (1, 1)] if est.scale else [(0, 1)]
    m = view_moments([X, Y], pairs, np.float64, ["X", "Y"], desc="PLS statistics")
    stds = []
    for i in (0, 1):
        if est.scale:
            std = np.sqrt(np.clip(np.diag(m.scatter[(i, i)]), 0.0, None) / (n - 1))
            std[std == 0] = 1.0
        else:
            std = np.ones(len(m.means[i]))
        stds.append(std)
    cross = m.scatter[(0, 1)] / np.outer(stds[0], stds[1])
    est._fit_cross(cross, n, [mean.astype(dtype) for mean in m.means], [s.astype(dtype) for s in stds], dtype)
    return est


def fit_threeview(est: ThreeViewCCA, X: Any, Y: Any, labels: Any = None) -> ThreeViewCCA:
    """:meth:`ThreeViewCCA.fit` on dask arrays: the label indicator is the third view, built blockwise."""
    import dask.array as da

    from ..exceptions import InputError

    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    if labels is None:
        raise InputError("three-view CCA needs labels (the third view): fit(X, Y, labels=...)")
    checked = _labels(labels, X.shape[0])
    if checked.ndim == 2:
        classes = np.arange(checked.shape[1])
        L = da.from_array(checked.astype(np.float64), chunks=(X.chunks[0], -1))
    else:
        classes = np.unique(checked)
        codes = da.from_array(np.searchsorted(classes, checked), chunks=(X.chunks[0],))
        L = codes.map_blocks(_one_hot, len(classes), dtype=np.float64, new_axis=1, chunks=(X.chunks[0], (len(classes),)))
    m = view_moments([X, Y, L], _all_pairs(3), np.float64, ["X", "Y", "labels"], desc="three-view statistics")
    est._fit_covariances(m.means, _covariances(m), m.n, classes)
    return est


def _one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((len(codes), n_classes))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def _covariances(m: Moments) -> dict[tuple[int, int], np.ndarray]:
    return {key: S / (m.n - 1) for key, S in m.scatter.items()}


def fit_multiview_views(est: MultiviewCCA, views: list) -> MultiviewCCA:
    """:meth:`MultiviewCCA.fit` on a list of dask arrays."""
    from ..exceptions import InputError

    validate_params(est)
    if len(views) < 2:
        raise InputError(f"multi-view CCA needs at least two views; got {len(views)}")
    names = [f"view {i}" for i in range(len(views))]
    views = check_dask_views(list(views), names, est)
    m = view_moments(views, _all_pairs(len(views)), np.float64, names, desc="multi-view statistics")
    est._fit_covariances(m.means, _covariances(m), m.n)
    return est


_FITTERS = {RegularizedCCA: fit_cca, PLSSVD: fit_pls, ThreeViewCCA: fit_threeview}


def fit_aligner(est: Any, X: Any, Y: Any, labels: Any = None) -> Any:
    """Fit a subspace learner on dask collections (see :func:`classicx.distributed.dask_fit`)."""
    from ..subspace import KernelCCA, SemanticCorrelationMatching, SemanticMatching

    if isinstance(est, KernelCCA):
        from ._kernel import fit_kcca

        return fit_kcca(est, X, Y, labels)
    if isinstance(est, SemanticCorrelationMatching):
        from ._semantic import fit_scm

        return fit_scm(est, X, Y, labels)
    if isinstance(est, SemanticMatching):
        from ._semantic import fit_semantic

        return fit_semantic(est, X, Y, labels)
    for cls, fitter in _FITTERS.items():
        if type(est) is cls or isinstance(est, cls):
            return fitter(est, X, Y, labels)
    from ..exceptions import InputTypeError

    raise InputTypeError(
        f"{type(est).__name__}.fit does not take Dask collections; pass numpy arrays "
        "(or .compute() them first)"
    )


def transform_dask(est: Any, func: Any, V: Any) -> Any:
    """``func`` (a transform method of the fitted ``est``) on every row block of a dask array.

    Returns a dask array, computed lazily. The fitted estimator travels to
    the workers with the graph; each block is transformed exactly as a numpy
    array would be.
    """
    V = as_dask_array(V, "X")
    if V.ndim == 1:
        V = V.reshape(-1, 1)
    V = V.rechunk({1: -1})
    width, dtype = _output_spec(est, V, func)
    return V.map_blocks(_apply, func, dtype=dtype, chunks=(V.chunks[0], (width,)))


def _apply(block: np.ndarray, func: Any) -> np.ndarray:
    return np.asarray(func(block))


def _output_spec(est: Any, V: Any, func: Any) -> tuple[int, np.dtype]:
    W = getattr(est, "x_weights_", None)
    if W is not None:
        if isinstance(est, PLSSVD):
            return int(W.shape[1]), np.result_type(V.dtype, np.float32)
        return int(W.shape[1]), np.dtype(getattr(est, "dtype_", W.dtype))
    # Otherwise the first row tells the width and the type of the output.
    probe = np.asarray(func(np.asarray(V[:1].compute())))
    return int(probe.shape[1]), probe.dtype
