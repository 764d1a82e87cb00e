"""Semantic matching (SM) and semantic correlation matching (SCM), Rasiwasia et al. 2010."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..distributed import dask_fit, is_dask_collection
from ..exceptions import InputError
from ..utils.validation import check_labels, validate_params
from ._base import BaseAligner
from .cca import RegularizedCCA

__all__ = ["SemanticCorrelationMatching", "SemanticMatching"]


def _fit_logistic(
    V: np.ndarray, labels: np.ndarray, C: float, max_iter: int, class_weight: str | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Fit logistic regression and return (coef, intercept, n_iter) with one row per class.

    Multi-class labels use one multinomial model; a 2-D indicator matrix
    uses one binary model per category. A binary multinomial model is
    stored as the two rows ``[0, w]`` so that a softmax over rows
    reproduces scikit-learn's ``predict_proba`` exactly.
    """
    with warnings.catch_warnings():
        # lbfgs stopping at max_iter still gives usable posteriors; the
        # parameter is exposed for users who want tighter convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if labels.ndim == 2:
            coefs, intercepts, n_iter = [], [], 0
            for j in range(labels.shape[1]):
                column = labels[:, j]
                if column.min() == column.max():
                    raise InputError(
                        f"semantic matching needs each category both present and absent; "
                        f"category column {j} is {'on' if column[0] else 'off'} for every pair"
                    )
                model = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight).fit(V, column)
                coefs.append(model.coef_[0])
                intercepts.append(model.intercept_[0])
                n_iter = max(n_iter, int(np.max(model.n_iter_)))
            return np.array(coefs), np.array(intercepts), n_iter
        model = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight).fit(V, labels)
    n_iter = int(np.max(model.n_iter_))
    if model.coef_.shape[0] == 1:
        return (
            np.vstack([np.zeros_like(model.coef_[0]), model.coef_[0]]),
            np.array([0.0, model.intercept_[0]]),
            n_iter,
        )
    return model.coef_, model.intercept_, n_iter


class SemanticMatching(BaseAligner):
    """Semantic matching: map each modality to class posterior probabilities.

    One probabilistic classifier per view (L2-regularised logistic
    regression, on standardised features by default) maps every image and
    every text to its vector of posterior probabilities over the label
    categories; the two views then share this "semantic space", where items
    can be ranked by similarity (Rasiwasia et al., ACM Multimedia 2010).

    Ranked by the inner product, a text query whose posterior is
    concentrated on one category orders the images by their posterior of
    that category, so text-to-image retrieval is only as good as the image
    classifier's ranking *within each category*. Two options matter for that
    ranking. ``class_weight="balanced"`` weights the classes inversely to
    their frequency, so that the posteriors of the small categories are not
    squashed toward zero by the prior. ``standardize=False`` fits on the
    features as given, which is right for features that are already
    normalised as a whole (Fisher vectors, Hellinger or L2-normalised
    histograms): standardising such features scales every dimension to unit
    variance, so the L2 penalty no longer favours the high-variance
    directions that carry the signal.

    Only arrays are kept (coefficients, intercepts, the standardisation),
    and :meth:`transform` evaluates the softmax itself, so the fitted model
    saves without pickle. With 1-D labels the classifier is multinomial and
    the output rows sum to one; with a 2-D indicator matrix (multi-label)
    there is one binary classifier per category and the output holds the
    per-category probabilities. Constant columns are left unscaled by the
    standardisation, so they stay zero and get zero weight.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularisation strength of the ``X`` classifier (as in
        scikit-learn's ``LogisticRegression``); also of ``Y`` unless ``C_y``
        is given.
    C_y : float, optional
        Inverse regularisation strength of the ``Y`` classifier.
    max_iter : int, default=1000
        Maximum lbfgs iterations per classifier.
    standardize : bool, default=True
        Centre each feature and scale it to unit variance before the
        classifier (the paper's setting). ``False`` uses the features as
        given (``x_mean_`` is then 0 and ``x_std_`` 1).
    class_weight : {None, "balanced"}, default=None
        Class weights of the classifiers, as in scikit-learn's
        ``LogisticRegression``: ``"balanced"`` weights each class by
        ``n_samples / (n_classes * count)`` (for indicator labels, each
        binary model balances its positives and negatives).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The categories, in output column order (column indices for
        indicator labels).
    x_coef_, y_coef_ : ndarray of shape (n_classes, n_features)
        Classifier weights on the standardised view.
    x_intercept_, y_intercept_ : ndarray of shape (n_classes,)
    x_mean_, x_std_, y_mean_, y_std_ : ndarray
        Standardisation of each view (constant columns are left unscaled;
        zeros and ones with ``standardize=False``).
    n_iter_ : int
        The largest number of lbfgs iterations among the classifiers.
    multilabel_ : bool
        Whether labels were a 2-D indicator matrix.
    n_components_ : int
        Output dimension (the number of classes).
    n_features_in_, n_features_y_in_ : int

    Notes
    -----
    The output dimension is fixed by the number of categories, so this
    aligner has no ``n_components`` parameter.

    See Also
    --------
    SemanticCorrelationMatching : Semantic matching in a CCA space.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import SemanticMatching
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1, 2], 20)
    >>> X = rng.normal(size=(60, 5)) + labels[:, None]
    >>> Y = rng.normal(size=(60, 4)) - labels[:, None]
    >>> sm = SemanticMatching().fit(X, Y, labels=labels)
    >>> P = sm.transform(X)
    >>> P.shape, bool(np.allclose(P.sum(axis=1), 1.0))
    ((60, 3), True)

    Unequal classes, features used as given:

    >>> few = np.r_[np.zeros(40, int), np.ones(10, int), np.full(10, 2)]
    >>> balanced = SemanticMatching(C=10.0, standardize=False, class_weight="balanced")
    >>> balanced.fit(X, Y, labels=few).transform_y(Y).shape
    (60, 3)
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        C_y: float | None = None,
        max_iter: int = 1000,
        standardize: bool = True,
        class_weight: str | None = None,
    ) -> None:
        self.C = C
        self.C_y = C_y
        self.max_iter = max_iter
        self.standardize = standardize
        self.class_weight = class_weight

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "C_y": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        # Not a dict keyed by class: it would not survive a JSON save.
        "class_weight": [StrOptions({"balanced"}), None],
    }
    # Labels are required: requested by default from a Pipeline or a search.
    __metadata_request__fit = {"labels": True}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_coef_")

    def fit(self, X: Any, Y: Any, labels: Any = None) -> SemanticMatching:
        """Fit one classifier per view on the pairs' labels.

        Parameters
        ----------
        X, Y : array-like of shape (n_samples, n_features) and (n_samples, n_features_y)
        labels : array-like of shape (n_samples,) or (n_samples, n_categories)
            Required: category of each pair, or a 0/1 indicator matrix.

        Returns
        -------
        self

        Raises
        ------
        InputError
            If ``labels`` is missing or holds a single class, or if
            ``class_weight`` or ``standardize`` is not one of the allowed
            values.
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y, copy=True)
        class_weight = self.class_weight
        if labels is None:
            raise InputError("semantic matching needs labels: fit(X, Y, labels=...)")
        labels = check_labels(labels, X.shape[0])
        if labels.ndim == 1:
            self.classes_ = np.unique(labels)
            if len(self.classes_) < 2:
                raise InputError(
                    f"semantic matching needs at least two classes; every pair has label {self.classes_[0]}"
                )
        else:
            self.classes_ = np.arange(labels.shape[1])
        self.multilabel_ = bool(labels.ndim == 2)
        C_y = self.C if self.C_y is None else self.C_y
        self.x_mean_, self.x_std_ = self._standardise(X)
        self.y_mean_, self.y_std_ = self._standardise(Y)
        self.x_coef_, self.x_intercept_, n_iter_x = _fit_logistic(
            X, labels, self.C, self.max_iter, class_weight
        )
        self.y_coef_, self.y_intercept_, n_iter_y = _fit_logistic(Y, labels, C_y, self.max_iter, class_weight)
        self.n_iter_ = max(n_iter_x, n_iter_y)
        self.n_components_ = len(self.classes_)
        self.n_features_in_, self.n_features_y_in_ = X.shape[1], Y.shape[1]
        return self

    def _standardise(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.standardize:
            return np.zeros(V.shape[1], dtype=V.dtype), np.ones(V.shape[1], dtype=V.dtype)
        mean = V.mean(axis=0)
        std = V.std(axis=0)
        std[std == 0] = 1.0
        V -= mean
        V /= std
        return mean, std

    def _posteriors(self, V: np.ndarray, mean, std, coef, intercept) -> np.ndarray:
        scores = ((V - mean) / std) @ coef.T + intercept
        if self.multilabel_:
            return expit(scores)
        # scipy.special.softmax's arithmetic (shift by the row maximum, exp, divide by the sum),
        # in place, without its array-API dispatch (a third of a query's posteriors, issue #15).
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def _transform_x(self, X: np.ndarray) -> np.ndarray:
        return self._posteriors(X, self.x_mean_, self.x_std_, self.x_coef_, self.x_intercept_)

    def _transform_y(self, Y: np.ndarray) -> np.ndarray:
        return self._posteriors(Y, self.y_mean_, self.y_std_, self.y_coef_, self.y_intercept_)


class SemanticCorrelationMatching(BaseAligner):
    """Semantic correlation matching: semantic matching in a learned shared space.

    First an aligner (by default :class:`RegularizedCCA`; any classicx
    aligner such as kernel CCA can be passed) maps both views into a
    correlated space; then :class:`SemanticMatching` maps the projected
    images and texts to class posteriors (Rasiwasia et al. 2010, "SCM").

    Parameters
    ----------
    aligner : classicx aligner, optional
        The first stage, cloned at fit. ``None`` means
        ``RegularizedCCA(n_components=10)``.
    semantic : SemanticMatching, optional
        The second stage (its classifiers' settings: ``C``, ``C_y``,
        ``max_iter``, ``standardize``, ``class_weight``), cloned at fit and
        fitted on the projected views; tunable as ``semantic__C``. ``None``
        means ``SemanticMatching()``.

    Attributes
    ----------
    aligner_ : classicx aligner
        The fitted first stage.
    semantic_ : SemanticMatching
        The fitted second stage, on the projected views.
    classes_ : ndarray
    n_components_ : int
        Output dimension (the number of classes).
    n_features_in_, n_features_y_in_ : int

    See Also
    --------
    SemanticMatching, RegularizedCCA

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import RegularizedCCA, SemanticCorrelationMatching
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 6)) + labels[:, None]
    >>> Y = rng.normal(size=(90, 5)) - labels[:, None]
    >>> scm = SemanticCorrelationMatching(aligner=RegularizedCCA(n_components=3))
    >>> scm.fit(X, Y, labels=labels).transform_y(Y).shape
    (90, 3)

    Both stages are parts, tuned with nested parameters:

    >>> from classicx.subspace import SemanticMatching
    >>> scm = SemanticCorrelationMatching(RegularizedCCA(n_components=3), SemanticMatching(C=10.0))
    >>> scm.set_params(aligner__reg=0.1, semantic__class_weight="balanced").fit(X, Y, labels=labels).classes_
    array([0, 1, 2])
    """

    def __init__(self, aligner: BaseAligner | None = None, semantic: SemanticMatching | None = None) -> None:
        self.aligner = aligner
        self.semantic = semantic

    _parameter_constraints: dict = {
        "aligner": [HasMethods(["fit", "transform", "transform_y"]), None],
        "semantic": [SemanticMatching, None],
    }
    _keeps_sparse = True
    # Labels are required (by both stages): requested by default from a Pipeline or a search.
    __metadata_request__fit = {"labels": True}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "semantic_")

    def fit(self, X: Any, Y: Any, labels: Any = None) -> SemanticCorrelationMatching:
        """Fit the aligner on the pairs, then semantic matching on the projected pairs.

        Parameters
        ----------
        X, Y : array-like
            Paired views.
        labels : array-like of shape (n_samples,) or (n_samples, n_categories)
            Required (passed to both stages).

        Returns
        -------
        self
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y)
        if labels is None:
            raise InputError("semantic correlation matching needs labels: fit(X, Y, labels=...)")
        checked = check_labels(labels, X.shape[0])
        semantic = SemanticMatching() if self.semantic is None else clone(self.semantic)
        # Checked before the first stage, which may be the expensive one.
        validate_params(semantic)
        aligner = RegularizedCCA(n_components=10) if self.aligner is None else clone(self.aligner)
        self.aligner_ = aligner.fit(X, Y, labels=checked)
        X_proj, Y_proj = self.aligner_.transform(X, Y)
        self.semantic_ = semantic.fit(X_proj, Y_proj, labels=checked)
        self.classes_ = self.semantic_.classes_
        self.n_components_ = self.semantic_.n_components_
        self.n_features_in_, self.n_features_y_in_ = X.shape[1], Y.shape[1]
        return self

    def _transform_x(self, X: Any) -> np.ndarray:
        return self.semantic_.transform(self.aligner_.transform(X))

    def _transform_y(self, Y: Any) -> np.ndarray:
        return self.semantic_.transform_y(self.aligner_.transform_y(Y))
