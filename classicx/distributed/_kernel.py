"""Nyström and random-feature kernel CCA on dask arrays (private).

The landmarks are rows drawn uniformly from the whole collection (the same
rows, for the same seed, as the in-memory fit draws) and gathered to the
client; the median-heuristic bandwidth comes from the same 1,000-row sample
as in memory. The kernel features are then computed block by block on the
workers, where only their ``m x m`` statistics are reduced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..exceptions import InputError
from ..subspace import KernelCCA, KernelFeatureMap, resolve_kernel_params
from ..utils.validation import validate_params
from ._arrays import check_dask_views
from ._stats import view_moments

__all__ = ["fit_feature_map", "fit_kcca"]

# Rows of the median-heuristic sample; must match classicx.subspace.median_heuristic_gamma
# (tests/distributed/test_subspace.py checks that the bandwidths agree).
_MEDIAN_SAMPLE = 1000
_AUTO_EXACT_MAX = 2000


def _method(fmap: KernelFeatureMap, n: int) -> str:
    if fmap.method == "auto":
        return "exact" if n <= _AUTO_EXACT_MAX else "nystrom"
    return fmap.method


def _rows(X: Any, rows: np.ndarray) -> np.ndarray:
    return np.asarray(X[np.sort(rows)].compute(), dtype=np.float64)


def fit_feature_map(fmap: KernelFeatureMap, X: Any) -> KernelFeatureMap:
    """Fit an (unfitted) Nyström or random-feature map on a dask array, as ``fmap.fit`` would in memory.

    Only the bandwidth sample and the landmark rows are gathered to the client.
    """
    validate_params(fmap)
    n = X.shape[0]
    method = _method(fmap, n)
    if method not in ("nystrom", "rff"):
        raise InputError(
            f"a kernel feature map with method={method!r} cannot be fitted on a dask array "
            f"({n} rows): use method='nystrom' or 'rff'"
        )
    rng = check_random_state(fmap.random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    # The rows median_heuristic_gamma would sample from the whole X.
    sample_rows = np.arange(n) if n <= _MEDIAN_SAMPLE else check_random_state(seed).choice(n, _MEDIAN_SAMPLE, replace=False)
    params = resolve_kernel_params(
        _rows(X, sample_rows), fmap.kernel, fmap.gamma, fmap.degree, fmap.coef0, random_state=seed
    )
    original = fmap.get_params()
    if method == "nystrom":
        landmarks = _rows(X, rng.choice(n, min(int(fmap.n_components), n), replace=False))
        # A Nyström map with as many landmarks as rows takes every row, in order: fitted on
        # the gathered landmarks it is the map the in-memory fit builds from the whole X.
        fitted = clone(fmap).set_params(gamma=params["gamma"], n_components=len(landmarks), method="nystrom")
        fitted.fit(landmarks)
    else:
        # Random features depend on the data only through the bandwidth and the width.
        fitted = clone(fmap).set_params(gamma=params["gamma"]).fit(_rows(X, sample_rows[:2]))
    fitted.set_params(**original)
    fitted.method_ = method
    return fitted


def fit_kcca(est: KernelCCA, X: Any, Y: Any, labels: Any = None) -> KernelCCA:
    """:meth:`KernelCCA.fit` on dask arrays with low-rank maps; equal to the in-memory fit to rounding."""
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    n = X.shape[0]
    if labels is not None:
        from ..utils.validation import check_labels

        check_labels(labels.compute() if hasattr(labels, "compute") else labels, n)
    map_x, map_y = est._maps()
    methods = [_method(fmap, n) for fmap in (map_x, map_y)]
    if "exact" in methods:
        # The exact kernel map is n x n: only for small n, where gathering the views is cheap.
        return est.fit(np.asarray(X.compute()), np.asarray(Y.compute()), labels=labels)
    reg_x = float(est.reg)
    reg_y = reg_x if est.reg_y is None else float(est.reg_y)
    map_x, map_y = fit_feature_map(map_x, X), fit_feature_map(map_y, Y)
    Fx = X.map_blocks(map_x.transform, dtype=np.float64, chunks=(X.chunks[0], (map_x.n_components_,)))
    Fy = Y.map_blocks(map_y.transform, dtype=np.float64, chunks=(Y.chunks[0], (map_y.n_components_,)))
    m = view_moments([Fx, Fy], [(0, 0), (1, 1), (0, 1)], np.float64, ["X", "Y"], desc="kernel CCA statistics",
                     verbose=bool(est.verbose))
    covs = [m.covariance(0, 0), m.covariance(1, 1), m.covariance(0, 1)]
    for name, C in zip("XY", covs):
        if not np.trace(C) > 0:
            raise InputError(f"every row of {name} is the same: the view has no variance")
    solution = est._solve_covariances(map_x, map_y, n, (*covs, m.means[0], m.means[1]), reg_x, reg_y)
    method = methods[0] if methods[0] == methods[1] else "/".join(methods)
    return est._set_solution(map_x, map_y, solution, method, X, Y)
