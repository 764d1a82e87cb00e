"""Semantic (correlation) matching on dask arrays: logistic regression trained on chunks (private).

The classifiers minimise scikit-learn's ``LogisticRegression`` objective
(``C`` times the weighted log loss plus half the squared norm of the
coefficients, intercepts unpenalised; multinomial for three classes or more,
one binary model otherwise) with L-BFGS on the client, where every
evaluation of the loss and its gradient is a sum of per-chunk terms computed
on the workers: only ``(n_classes, n_features)`` numbers travel each way.
Written here because dask-ml's ``LogisticRegression`` has no multinomial
model and no class weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.optimize
from scipy.special import expit, log_softmax, softmax
from sklearn.base import clone

from ..exceptions import InputError
from ..subspace import RegularizedCCA, SemanticCorrelationMatching, SemanticMatching
from ..utils.validation import check_labels, validate_params
from ._arrays import check_dask_views
from ._compute import require_dask
from ._stats import view_moments

__all__ = ["fit_scm", "fit_semantic"]


def _block_loss(V, target, weight, mean, std, coef, intercept, multinomial):
    Z = (V - mean) / std
    scores = Z @ coef.T + intercept
    if multinomial:
        logp = log_softmax(scores, axis=1)
        loss = -np.sum(weight * logp[np.arange(len(V)), target])
        G = softmax(scores, axis=1)
        G[np.arange(len(V)), target] -= 1.0
    else:
        s = scores[:, 0]
        # log(1 + exp(-s)) for y = 1 and log(1 + exp(s)) for y = 0, computed stably.
        loss = np.sum(weight * np.logaddexp(0.0, np.where(target == 1, -s, s)))
        G = (expit(s) - target)[:, None]
    G *= weight[:, None]
    return loss, G.T @ Z, G.sum(axis=0)


def _minimise(blocks: list, n_features: int, n_out: int, C: float, max_iter: int, mean, std, multinomial: bool):
    dask = require_dask()

    def objective(theta):
        coef = theta[: n_out * n_features].reshape(n_out, n_features)
        intercept = theta[n_out * n_features :]
        parts = dask.compute(
            *[dask.delayed(_block_loss)(V, t, w, mean, std, coef, intercept, multinomial) for V, t, w in blocks]
        )
        loss = sum(p[0] for p in parts)
        g_coef = sum(p[1] for p in parts)
        g_int = sum(p[2] for p in parts)
        value = C * loss + 0.5 * float(np.sum(coef**2))
        grad = np.concatenate([(C * g_coef + coef).ravel(), C * g_int])
        return value, grad

    theta0 = np.zeros(n_out * (n_features + 1))
    result = scipy.optimize.minimize(
        objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": int(max_iter), "gtol": 1e-9, "ftol": 1e-14}
    )
    theta = result.x
    return theta[: n_out * n_features].reshape(n_out, n_features), theta[n_out * n_features :], int(result.nit)


def _weights(target: np.ndarray, n_classes: int, balanced: bool) -> np.ndarray:
    if not balanced:
        return np.ones(len(target))
    counts = np.bincount(target, minlength=n_classes)
    return (len(target) / (n_classes * counts))[target]


def fit_semantic(est: SemanticMatching, X: Any, Y: Any, labels: Any) -> SemanticMatching:
    """:meth:`SemanticMatching.fit` on dask arrays (the views; ``labels`` are gathered, one per row)."""
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    if labels is None:
        raise InputError("semantic matching needs labels: fit(X, Y, labels=...)")
    n = X.shape[0]
    labels = check_labels(labels.compute() if hasattr(labels, "compute") else labels, n)
    multilabel = labels.ndim == 2
    if multilabel:
        classes = np.arange(labels.shape[1])
    else:
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise InputError(f"semantic matching needs at least two classes; every pair has label {classes[0]}")
    m = view_moments([X, Y], [(0, 0), (1, 1)], np.float64, ["X", "Y"], desc="semantic statistics")
    fitted = {}
    for i, (name, V, C) in enumerate((("x", X, est.C), ("y", Y, est.C if est.C_y is None else est.C_y))):
        d = V.shape[1]
        if est.standardize:
            mean = m.means[i]
            std = np.sqrt(np.clip(np.diag(m.scatter[(i, i)]) / n, 0.0, None))
            std[std == 0] = 1.0
        else:
            mean, std = np.zeros(d), np.ones(d)
        V_blocks = V.to_delayed().ravel()
        slices = [slice(int(a), int(a + c)) for a, c in zip(np.cumsum((0,) + V.chunks[0][:-1]), V.chunks[0])]
        balanced = est.class_weight == "balanced"
        if multilabel:
            coefs, intercepts, n_iter = [], [], 0
            for j in range(labels.shape[1]):
                column = labels[:, j].astype(np.int64)
                if column.min() == column.max():
                    raise InputError(
                        f"semantic matching needs each category both present and absent; "
                        f"category column {j} is {'on' if column[0] else 'off'} for every pair"
                    )
                w = _weights(column, 2, balanced)
                blocks = [(Vb, column[s], w[s]) for Vb, s in zip(V_blocks, slices)]
                coef, intercept, it = _minimise(blocks, d, 1, C, est.max_iter, mean, std, False)
                coefs.append(coef[0])
                intercepts.append(intercept[0])
                n_iter = max(n_iter, it)
            coef, intercept = np.array(coefs), np.array(intercepts)
        else:
            w = _weights(codes, len(classes), balanced)
            multinomial = len(classes) > 2
            blocks = [(Vb, codes[s], w[s]) for Vb, s in zip(V_blocks, slices)]
            coef, intercept, n_iter = _minimise(
                blocks, d, len(classes) if multinomial else 1, C, est.max_iter, mean, std, multinomial
            )
            if not multinomial:
                coef = np.vstack([np.zeros(d), coef[0]])
                intercept = np.array([0.0, intercept[0]])
        fitted[name] = (mean, std, coef, intercept, n_iter)
    est.classes_ = classes
    est.multilabel_ = bool(multilabel)
    (est.x_mean_, est.x_std_, est.x_coef_, est.x_intercept_, it_x) = fitted["x"]
    (est.y_mean_, est.y_std_, est.y_coef_, est.y_intercept_, it_y) = fitted["y"]
    est.n_iter_ = max(it_x, it_y)
    est.n_components_ = len(classes)
    est.n_features_in_, est.n_features_y_in_ = X.shape[1], Y.shape[1]
    return est


def fit_scm(est: SemanticCorrelationMatching, X: Any, Y: Any, labels: Any = None) -> SemanticCorrelationMatching:
    """:meth:`SemanticCorrelationMatching.fit` on dask arrays: the aligner on the workers, then the classifiers on chunks."""
    dask = require_dask()
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    if labels is None:
        raise InputError("semantic correlation matching needs labels: fit(X, Y, labels=...)")
    labels = check_labels(labels.compute() if hasattr(labels, "compute") else labels, X.shape[0])
    semantic = SemanticMatching() if est.semantic is None else clone(est.semantic)
    validate_params(semantic)
    aligner = RegularizedCCA(n_components=10) if est.aligner is None else clone(est.aligner)
    est.aligner_ = aligner.fit(X, Y, labels=labels)
    # The projected views are small (n_components columns) and read by every L-BFGS step:
    # kept in the workers' memory rather than recomputed from the input each time.
    X_proj, Y_proj = dask.persist(*est.aligner_.transform(X, Y))
    est.semantic_ = fit_semantic(semantic, X_proj, Y_proj, labels)
    est.classes_ = est.semantic_.classes_
    est.n_components_ = est.semantic_.n_components_
    est.n_features_in_, est.n_features_y_in_ = X.shape[1], Y.shape[1]
    return est
