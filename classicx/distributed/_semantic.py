"""Semantic (correlation) matching on dask arrays: logistic regression trained on chunks (private).

The classifiers minimise scikit-learn's ``LogisticRegression`` objective
(``C`` times the weighted log loss plus half the squared norm of the
coefficients, intercepts unpenalised; multinomial for three classes or more,
one binary model otherwise) on the client, from sums of per-chunk terms
computed on the workers: only the parameters go out and only gradients (and,
for small models, Hessians) come back. Small models -- semantic correlation
matching works on a few canonical components -- take damped Newton steps
(about ten round trips); larger ones L-BFGS, warm-started from the first
chunk. Both views' classifiers (and every binary model of multi-label
data) are fitted together, one round trip per step for all of them.
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

# Classifiers with at most this many parameters are fitted by Newton steps (a Hessian of
# at most 600 x 600 per block), larger ones by L-BFGS (one gradient per block and step).
_NEWTON_MAX_PARAMS = 600
# Converged when no gradient entry exceeds this, per row and per unit of C: scikit-learn's
# tol in its units, 100 times tighter than the in-memory fit's LogisticRegression (tol=1e-4).
_GTOL = 1e-6
_MAXCOR = 20


def _block_loss(V, target, weight, mean, std, coef, intercept, multinomial, hessian=False):
    Z = (V - mean) / std
    scores = Z @ coef.T + intercept
    rows = np.arange(len(V))
    if multinomial:
        logp = log_softmax(scores, axis=1)
        loss = -np.sum(weight * logp[rows, target])
        P = softmax(scores, axis=1)
        G = P.copy()
        G[rows, target] -= 1.0
    else:
        s = scores[:, 0]
        # log(1 + exp(-s)) for y = 1 and log(1 + exp(s)) for y = 0, computed stably.
        loss = np.sum(weight * np.logaddexp(0.0, np.where(target == 1, -s, s)))
        P = expit(s)[:, None]
        G = P - target[:, None]
    G *= weight[:, None]
    out = (loss, G.T @ Z, G.sum(axis=0))
    if not hessian:
        return out
    # The Hessian of the weighted loss in (coef, intercept) per class, row-major as theta.
    Zt = np.hstack([Z, np.ones((len(Z), 1))])
    K, d1 = P.shape[1], Zt.shape[1]
    H = np.empty((K, d1, K, d1))
    for a in range(K):
        for c in range(a, K):
            curvature = P[:, a] * ((a == c) - P[:, c]) if multinomial else P[:, 0] * (1.0 - P[:, 0])
            block = (Zt * (weight * curvature)[:, None]).T @ Zt
            H[a, :, c, :] = block
            H[c, :, a, :] = block.T
    return (*out, H)


def _block_losses(views, targets, weights, problems, thetas, hessian=False):
    # Every classifier's loss and gradient (and Hessian) on one row block: one task per block and step.
    out = []
    for (view, mean, std, n_out, multinomial), target, weight, theta in zip(problems, targets, weights, thetas):
        d = len(mean)
        coef, intercept = theta[: n_out * d].reshape(n_out, d), theta[n_out * d :]
        out.append(_block_loss(np.asarray(views[view]), target, weight, mean, std, coef, intercept, multinomial, hessian))
    return out


def _gather_terms(per_block, p, n_out, d):
    loss = sum(block[p][0] for block in per_block)
    g_coef = sum(block[p][1] for block in per_block)
    g_int = sum(block[p][2] for block in per_block)
    return loss, g_coef, g_int


def _newton(evaluate, problems: list, Cs: list, max_iter: int, gtol: float):
    """Damped Newton steps from per-block gradients and Hessians: a handful of round trips.

    Used when every classifier has few parameters (semantic correlation
    matching works on a few canonical components), where the Hessian is small.
    """
    thetas = [np.zeros(n_out * (len(mean) + 1)) for (_, mean, _, n_out, _) in problems]
    n_iter = 0

    def terms(thetas):
        per_block = evaluate(thetas, True)
        values, grads, hessians = [], [], []
        for p, ((_, mean, _, n_out, _), C, th) in enumerate(zip(problems, Cs, thetas)):
            d = len(mean)
            coef, intercept = th[: n_out * d].reshape(n_out, d), th[n_out * d :]
            loss, g_coef, g_int = _gather_terms(per_block, p, n_out, d)
            H = sum(block[p][3] for block in per_block)
            # theta is (coef rows, then intercepts); H is per class (coef row + intercept): reorder.
            order = np.concatenate([np.arange(n_out)[:, None] * (d + 1) + np.arange(d), np.arange(n_out)[:, None] * (d + 1) + d], axis=None)
            Hf = H.reshape(n_out * (d + 1), n_out * (d + 1))[np.ix_(order, order)] * C
            Hf[: n_out * d, : n_out * d] += np.eye(n_out * d)
            values.append(C * loss + 0.5 * float(np.sum(coef**2)))
            grads.append(np.concatenate([(C * g_coef + coef).ravel(), C * g_int]))
            hessians.append(Hf)
            del intercept
        return values, grads, hessians

    values, grads, hessians = terms(thetas)
    for n_iter in range(1, int(max_iter) + 1):
        if max(float(np.max(np.abs(g))) for g in grads) <= gtol:
            break
        # lstsq: a multinomial model's intercepts can all shift together (a flat direction).
        steps = [np.linalg.lstsq(H, -g, rcond=None)[0] for H, g in zip(hessians, grads)]
        size = 1.0
        while True:
            trial = [th + size * st for th, st in zip(thetas, steps)]
            t_values, t_grads, t_hessians = terms(trial)
            if all(tv <= v + 1e-12 * abs(v) for tv, v in zip(t_values, values)) or size < 1e-6:
                break
            size /= 2.0
        thetas, values, grads, hessians = trial, t_values, t_grads, t_hessians
    return thetas, n_iter


def _lbfgs(evaluate, problems: list, Cs: list, theta0: np.ndarray, max_iter: int, gtol: float):
    sizes = [n_out * (len(mean) + 1) for (_, mean, _, n_out, _) in problems]
    cuts = np.cumsum([0, *sizes])

    def objective(theta):
        thetas = [theta[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        per_block = evaluate(thetas)
        value, grads = 0.0, []
        for p, ((_, mean, _, n_out, _), C, th) in enumerate(zip(problems, Cs, thetas)):
            d = len(mean)
            coef = th[: n_out * d].reshape(n_out, d)
            loss = sum(block[p][0] for block in per_block)
            g_coef = sum(block[p][1] for block in per_block)
            g_int = sum(block[p][2] for block in per_block)
            value += C * loss + 0.5 * float(np.sum(coef**2))
            grads.append(np.concatenate([(C * g_coef + coef).ravel(), C * g_int]))
        return value, np.concatenate(grads)

    result = scipy.optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": int(max_iter), "gtol": gtol, "ftol": 1e-13, "maxcor": _MAXCOR},
    )
    return result.x, int(result.nit), cuts


def _minimise(view_blocks: list, targets: list, weights: list, problems: list, Cs: list, max_iter: int):
    """Fit every classifier at once: their objectives are independent, so the sum has their minimisers.

    One L-BFGS run over the concatenated parameters makes one round trip to
    the workers per step for all classifiers together. It starts from the
    same problem solved in this process on the first row block (with ``C``
    scaled up to the whole collection), which is close to the optimum and
    saves most of the round trips.
    """
    dask = require_dask()
    n_total = sum(len(t) for t in targets[0])
    gtol = _GTOL * n_total * max(Cs)

    def on_workers(thetas, hessian=False):
        task = dask.delayed(_block_losses, pure=False)
        return dask.compute(
            *[
                task(list(vb), [t[b] for t in targets], [w[b] for w in weights], problems, thetas, hessian)
                for b, vb in enumerate(view_blocks)
            ]
        )

    if max(n_out * (len(mean) + 1) for (_, mean, _, n_out, _) in problems) <= _NEWTON_MAX_PARAMS:
        thetas, n_iter = _newton(on_workers, problems, Cs, max_iter, gtol)
        fitted = []
        for (_, mean, _, n_out, _), th in zip(problems, thetas):
            d = len(mean)
            fitted.append((th[: n_out * d].reshape(n_out, d), th[n_out * d :]))
        return fitted, n_iter
    n_first = len(targets[0][0])
    size = sum(n_out * (len(mean) + 1) for (_, mean, _, n_out, _) in problems)
    theta0 = np.zeros(size)
    if 2 * n_first < n_total:
        # Not when the first block is half the data or more: the optimiser's own steps (for wide
        # features, most of the cost) would then be paid twice for little saved.
        first = [np.asarray(v) for v in dask.compute(*view_blocks[0])]

        def local(thetas):
            return [_block_losses(first, [t[0] for t in targets], [w[0] for w in weights], problems, thetas)]

        scale = n_total / max(n_first, 1)
        theta0, _, _ = _lbfgs(local, problems, [C * scale for C in Cs], theta0, max_iter, gtol)

    theta, n_iter, cuts = _lbfgs(on_workers, problems, Cs, theta0, max_iter, gtol)
    fitted = []
    for (_, mean, _, n_out, _), a, b in zip(problems, cuts[:-1], cuts[1:]):
        d = len(mean)
        fitted.append((theta[a:b][: n_out * d].reshape(n_out, d), theta[a:b][n_out * d :]))
    return fitted, n_iter


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
    # Every optimisation step reads both views: they are computed once and kept on the workers.
    X, Y = require_dask().persist(X, Y)
    # The means and per-column variances standardisation needs (only the finiteness check without it):
    # never a d x d matrix, which for the presets' Fisher vectors would be 17,000 x 17,000.
    m = view_moments([X, Y], [], np.float64, ["X", "Y"], desc="semantic statistics",
                     squares=(0, 1) if est.standardize else ())
    balanced = est.class_weight == "balanced"
    if multilabel:
        columns = []
        for j in range(labels.shape[1]):
            column = labels[:, j].astype(np.int64)
            if column.min() == column.max():
                raise InputError(
                    f"semantic matching needs each category both present and absent; "
                    f"category column {j} is {'on' if column[0] else 'off'} for every pair"
                )
            columns.append(column)
        tasks = [(column, 2, False) for column in columns]
    else:
        tasks = [(codes, len(classes), len(classes) > 2)]
    problems, targets, weights, Cs = [], [], [], []
    for i, (V, C) in enumerate(((X, est.C), (Y, est.C if est.C_y is None else est.C_y))):
        d = V.shape[1]
        if est.standardize:
            mean = m.means[i]
            std = np.sqrt(np.clip(m.squares[i] / n, 0.0, None))
            std[std == 0] = 1.0
        else:
            mean, std = np.zeros(d), np.ones(d)
        for target, n_classes, multinomial in tasks:
            problems.append((i, mean, std, n_classes if multinomial else 1, multinomial))
            targets.append(target)
            weights.append(_weights(target, n_classes, balanced))
            Cs.append(float(C))
    view_blocks = list(zip(X.to_delayed().ravel(), Y.to_delayed().ravel()))
    bounds = np.cumsum((0,) + X.chunks[0])
    slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
    targets = [[t[s] for s in slices] for t in targets]
    weights = [[w[s] for s in slices] for w in weights]
    solutions, est.n_iter_ = _minimise(view_blocks, targets, weights, problems, Cs, est.max_iter)
    fitted = {}
    per_view = len(tasks)
    for i, name in enumerate("xy"):
        mine = solutions[i * per_view : (i + 1) * per_view]
        mean, std = problems[i * per_view][1], problems[i * per_view][2]
        if multilabel:
            coef = np.array([c[0] for c, _ in mine])
            intercept = np.array([b[0] for _, b in mine])
        else:
            coef, intercept = mine[0]
            if len(classes) == 2:
                # Stored as the rows [0, w], as in memory, so that a softmax gives the posteriors.
                coef = np.vstack([np.zeros(len(mean)), coef[0]])
                intercept = np.array([0.0, intercept[0]])
        fitted[name] = (mean, std, coef, intercept)
    est.classes_ = classes
    est.multilabel_ = bool(multilabel)
    est.x_mean_, est.x_std_, est.x_coef_, est.x_intercept_ = fitted["x"]
    est.y_mean_, est.y_std_, est.y_coef_, est.y_intercept_ = fitted["y"]
    est.n_components_ = len(classes)
    est.n_features_in_, est.n_features_y_in_ = X.shape[1], Y.shape[1]
    return est


def fit_scm(est: SemanticCorrelationMatching, X: Any, Y: Any, labels: Any = None) -> SemanticCorrelationMatching:
    """:meth:`SemanticCorrelationMatching.fit` on dask arrays: the aligner on the workers, then the classifiers on chunks."""
    validate_params(est)
    X, Y = check_dask_views([X, Y], ["X", "Y"], est)
    if labels is None:
        raise InputError("semantic correlation matching needs labels: fit(X, Y, labels=...)")
    labels = check_labels(labels.compute() if hasattr(labels, "compute") else labels, X.shape[0])
    semantic = SemanticMatching() if est.semantic is None else clone(est.semantic)
    validate_params(semantic)
    aligner = RegularizedCCA(n_components=10) if est.aligner is None else clone(est.aligner)
    est.aligner_ = aligner.fit(X, Y, labels=labels)
    # The projected views are small (n_components columns); fit_semantic keeps them in the
    # workers' memory rather than recomputing them from the input at every step.
    X_proj, Y_proj = est.aligner_.transform(X, Y)
    est.semantic_ = fit_semantic(semantic, X_proj, Y_proj, labels)
    est.classes_ = est.semantic_.classes_
    est.n_components_ = est.semantic_.n_components_
    est.n_features_in_, est.n_features_y_in_ = X.shape[1], Y.shape[1]
    return est
