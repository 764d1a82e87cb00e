"""``ConcatFeatures``: weighted concatenation of feature transformers, optionally row-normalised.

scikit-learn's ``FeatureUnion`` does the concatenation, but a fitted
``FeatureUnion`` cannot be saved by :mod:`classicx.persistence` (which stores
classicx estimators only, never pickles), and it has no row normalisation
after the concatenation. This small estimator is what a spec such as
``"fisher(rootsift,64)+0.5*hsv"`` or ``"lsa(200)|l2"`` builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import TransformerMixin, clone
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import _BaseComposition

from ..base import ClassicxEstimator
from ..distributed import dask_fit, dask_transform, is_dask_collection
from ..exceptions import ParameterError
from ..utils.validation import check_is_fitted, validate_params

__all__ = ["ConcatFeatures"]


def _as_dense(block: Any) -> np.ndarray:
    block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    return np.asarray(block, dtype=np.float64)


class ConcatFeatures(TransformerMixin, _BaseComposition, ClassicxEstimator):
    """Concatenate the outputs of several transformers, each scaled by a weight; optionally normalise rows.

    The parts take the same input (images, or texts) and are fitted one after
    the other, each with its own ``n_jobs``. Row ``i`` of the output is
    ``[w_1 f_1(x_i), ..., w_m f_m(x_i)]``, then divided by its L2 (or L1)
    norm when ``normalize`` is set (an all-zero row stays zero).

    Parameters
    ----------
    transformers : list of (str, transformer)
        Named parts; names are unique and reach the parts' parameters as
        ``name__param`` (as in ``FeatureUnion``).
    weights : dict of str to float, default=None
        Weight of each named part (missing names weigh 1).
    normalize : {"l2", "l1"} or None, default=None
        Normalisation of each concatenated row.

    Attributes
    ----------
    transformers_ : list of (str, transformer)
        The fitted copies of the parts.
    n_features_out_ : int
        Width of the output.

    See Also
    --------
    classicx.spec.build : builds this from ``"a+b"`` and ``"a|l2"`` specs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from classicx.spec import ConcatFeatures
    >>> X = np.array([[3.0, 4.0], [0.0, 1.0]])
    >>> union = ConcatFeatures([("a", FunctionTransformer()), ("b", FunctionTransformer())], weights={"b": 0.5})
    >>> union.fit_transform(X)
    array([[3. , 4. , 1.5, 2. ],
           [0. , 1. , 0. , 0.5]])
    >>> ConcatFeatures([("a", FunctionTransformer())], normalize="l2").fit_transform(X)
    array([[0.6, 0.8],
           [0. , 1. ]])
    """

    _parameter_constraints: dict = {
        "transformers": [list],
        "weights": [dict, None],
        "normalize": [StrOptions({"l2", "l1"}), None],
    }

    def __init__(
        self,
        transformers: Sequence[tuple[str, Any]],
        weights: dict[str, float] | None = None,
        normalize: str | None = None,
    ) -> None:
        self.transformers = transformers
        self.weights = weights
        self.normalize = normalize

    # get_params/set_params reach the named parts (``name__param``), as for FeatureUnion.
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return self._get_params("transformers", deep=deep)

    def set_params(self, **params: Any) -> ConcatFeatures:
        """Set parameters; on a fitted instance ``name__param`` also reaches the fitted part (``n_jobs``, ``verbose``)."""
        self._set_params("transformers", **params)
        fitted = dict(getattr(self, "transformers_", []))
        for key, value in params.items():
            name, _, rest = key.partition("__")
            if rest and name in fitted:
                fitted[name].set_params(**{rest: value})
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # whatever the parts take: images or texts
        tags.requires_fit = True
        return tags

    def _check_parts(self) -> None:
        validate_params(self)
        if not self.transformers:
            raise ParameterError("ConcatFeatures needs at least one transformer")
        names = []
        for i, part in enumerate(self.transformers):
            if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str)):
                raise ParameterError(f"ConcatFeatures transformers[{i}] must be a (name, transformer) pair, got {part!r}")
            if not (hasattr(part[1], "fit") and hasattr(part[1], "transform")):
                raise ParameterError(f"ConcatFeatures part {part[0]!r} has no fit/transform: {part[1]!r}")
            names.append(part[0])
        self._validate_names(names)
        unknown = set(self.weights or {}) - set(names)
        if unknown:
            raise ParameterError(f"ConcatFeatures weights name unknown parts {sorted(unknown)}; parts: {names}")

    def _combine(self, blocks: list[np.ndarray]) -> np.ndarray:
        weights = self.weights or {}
        out = np.hstack([weights.get(name, 1.0) * block for (name, _), block in zip(self.transformers, blocks)])
        if self.normalize is not None:
            norms = np.abs(out).sum(axis=1) if self.normalize == "l1" else np.linalg.norm(out, axis=1)
            norms[norms == 0] = 1.0
            out = out / norms[:, None]
        return out

    def fit(self, X: Any, y: Any = None) -> ConcatFeatures:
        """Fit every part on ``X`` (a ``dask.bag`` of images or texts: each part on the workers).

        Returns
        -------
        self
        """
        if is_dask_collection(X):
            return dask_fit(self, X)
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit every part on ``X`` and return the combined features."""
        if is_dask_collection(X):
            return dask_fit(self, X).transform(X)
        self._check_parts()
        fitted, blocks = [], []
        for name, part in self.transformers:
            part = clone(part)
            blocks.append(_as_dense(part.fit_transform(X)))
            fitted.append((name, part))
        self.transformers_ = fitted
        out = self._combine(blocks)
        self.n_features_out_ = int(out.shape[1])
        return out

    def transform(self, X: Any) -> np.ndarray:
        """The weighted concatenation of the fitted parts' outputs (normalised if asked)."""
        check_is_fitted(self, "transformers_")
        if is_dask_collection(X):
            return dask_transform(self, X)  # a dask array, each partition transformed on its worker
        return self._combine([_as_dense(part.transform(X)) for _, part in self.transformers_])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``name__feature`` for each output column (``name__0``, ... for parts without names)."""
        check_is_fitted(self, "transformers_")
        names = []
        for name, part in self.transformers_:
            if not hasattr(part, "get_feature_names_out"):
                raise AttributeError(f"part {name!r} ({type(part).__name__}) has no get_feature_names_out")
            names.extend(f"{name}__{n}" for n in part.get_feature_names_out())
        return np.asarray(names, dtype=object)
