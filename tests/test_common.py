"""scikit-learn's own estimator checks, and classicx's contract checks, on every public estimator.

Each area lists its estimators in ``tests/<area>/_checks.py``:

``ESTIMATORS``
    small, fast instances of every public estimator of the area;
``EXPECTED_FAILURES``
    ``{"ClassName": {"check_name": "reason"}}`` — checks that cannot apply, each with
    its reason (run strictly: an expected failure that passes is an error, so the list
    cannot go stale);
``make_inputs(rng)``
    for areas whose estimators take images or strings rather than numeric arrays:
    ``(train_items, test_items)``.

Estimators that take 2-D numeric arrays run scikit-learn's ``parametrize_with_checks``.
Estimators that take images or strings cannot (scikit-learn yields no check for those
input types): they run scikit-learn's data-free API checks plus the contract checks
below, which restate the data checks (fit returns self, parameters untouched, no
public attributes set by fit, not-fitted errors, idempotent and order-invariant
transforms, pickling, saving) for their own input type.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pickle
import tempfile
from collections.abc import Callable
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn import clone
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import get_tags
from sklearn.utils import estimator_checks as sk_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import classicx
from classicx import persistence
from classicx.exceptions import ClassicxError, NotFittedError

AREAS = ("image", "text", "subspace", "search")
_MODULES = {area: importlib.import_module(f"tests.{area}._checks") for area in AREAS}

ESTIMATORS: list[Any] = [est for module in _MODULES.values() for est in module.ESTIMATORS]
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}
for _module in _MODULES.values():
    for _name, _checks in _module.EXPECTED_FAILURES.items():
        EXPECTED_FAILURES.setdefault(_name, {}).update(_checks)
_REQUIRES: dict[str, tuple[str, ...]] = {
    name: modules for module in _MODULES.values() for name, modules in getattr(module, "REQUIRES", {}).items()
}
_INPUTS: dict[str, Callable] = {
    area: module.make_inputs for area, module in _MODULES.items() if hasattr(module, "make_inputs")
}
_AREA_OF = {type(est).__name__: area for area, module in _MODULES.items() for est in module.ESTIMATORS}
# The retriever takes images and texts together; its behaviour is tested in test_retriever.py,
# here it gets the data-free checks.
ESTIMATORS.append(classicx.CrossModalRetriever(verbose=False))


def _takes_arrays(estimator: Any) -> bool:
    return bool(get_tags(estimator).input_tags.two_d_array)


def _expected(estimator: Any) -> dict[str, str]:
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


def _id(estimator: Any) -> str:
    return type(estimator).__name__


ARRAY_ESTIMATORS = [est for est in ESTIMATORS if _takes_arrays(est)]
OTHER_ESTIMATORS = [est for est in ESTIMATORS if not _takes_arrays(est)]


# --------------------------------------------------------------------------- inventory
def _public_estimator_classes() -> list[type]:
    found = {}
    for sub in ("datasets", "image", "text", "subspace", "search", "metrics"):
        module = getattr(classicx, sub)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseEstimator) and not inspect.isabstract(value):
                if not name.startswith("Base") and name not in ("ApproximateSearcher",):
                    found[name] = value
    found["CrossModalRetriever"] = classicx.CrossModalRetriever
    return sorted(found.values(), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _public_estimator_classes(), ids=lambda c: c.__name__)
def test_every_public_estimator_is_checked(cls):
    assert any(type(est) is cls for est in ESTIMATORS), f"{cls.__name__} is in no tests/<area>/_checks.py"


@pytest.mark.parametrize("cls", _public_estimator_classes(), ids=lambda c: c.__name__)
def test_no_constructor_takes_more_than_ten_parameters(cls):
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert len(params) <= 10, f"{cls.__name__} takes {len(params)} parameters: {[p.name for p in params]}"


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_every_expected_failure_has_a_reason(name):
    for check, reason in EXPECTED_FAILURES[name].items():
        assert isinstance(reason, str) and len(reason.split()) >= 3, f"{name}.{check}: give a real reason"


# ------------------------------------------------------------------ scikit-learn's checks
@parametrize_with_checks(ARRAY_ESTIMATORS, expected_failed_checks=_expected, xfail_strict=True)
def test_sklearn_checks(estimator, check):
    check(estimator)


# Checks of scikit-learn's that need no data: they apply whatever the input type.
_DATA_FREE_CHECKS = (
    sk_checks.check_estimator_cloneable,
    sk_checks.check_estimator_repr,
    sk_checks.check_estimator_tags_renamed,
    sk_checks.check_valid_tag_types,
    sk_checks.check_no_attributes_set_in_init,
    sk_checks.check_parameters_default_constructible,
    sk_checks.check_get_params_invariance,
    sk_checks.check_set_params,
    sk_checks.check_mixin_order,
    sk_checks.check_do_not_raise_errors_in_init_or_set_params,
)


def _xfail_if_expected(estimator: Any, check_name: str) -> None:
    reason = _expected(estimator).get(check_name)
    if reason:
        pytest.xfail(reason)


@pytest.mark.parametrize("check", _DATA_FREE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", OTHER_ESTIMATORS, ids=_id)
def test_sklearn_data_free_checks(estimator, check):
    _xfail_if_expected(estimator, check.__name__)
    check(type(estimator).__name__, clone(estimator))


# ------------------------------------------------------------ contract checks, any input
def _inputs(estimator: Any) -> tuple[list, list]:
    area = _AREA_OF[type(estimator).__name__]
    return _INPUTS[area](np.random.default_rng(0))


def _output(estimator: Any, items: list) -> np.ndarray:
    out = estimator.transform(items)
    return out.toarray() if hasattr(out, "toarray") else np.asarray(out)


def _params_hash(estimator: Any) -> str:
    return joblib.hash(estimator.get_params(deep=True))


def check_fit_returns_self_and_keeps_params(estimator: Any) -> None:
    train, _ = _inputs(estimator)
    before = _params_hash(estimator)
    names_before = set(vars(estimator))
    assert estimator.fit(train) is estimator
    assert _params_hash(estimator) == before, "fit changed a constructor parameter"
    added = set(vars(estimator)) - names_before
    public = [n for n in added if not n.endswith("_") and not n.startswith("_")]
    assert not public, f"fit set public attributes without a trailing underscore: {public}"


def check_unfitted_transform_raises(estimator: Any) -> None:
    _, test = _inputs(estimator)
    with pytest.raises(NotFittedError) as info:
        estimator.transform(test)
    assert isinstance(info.value, SklearnNotFittedError)


def check_transform_shape_and_finite(estimator: Any) -> None:
    train, test = _inputs(estimator)
    out = _output(estimator.fit(train), test)
    assert out.ndim == 2 and out.shape[0] == len(test)
    assert out.dtype.kind == "f" and np.isfinite(out).all()
    if hasattr(estimator, "get_feature_names_out"):
        assert len(estimator.get_feature_names_out()) == out.shape[1]


def check_fit_idempotent(estimator: Any) -> None:
    train, test = _inputs(estimator)
    first = _output(clone(estimator).fit(train), test)
    second = _output(clone(estimator).fit(train), test)
    np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)


def check_fit_transform_equals_fit_then_transform(estimator: Any) -> None:
    train, _ = _inputs(estimator)
    together = clone(estimator).fit_transform(train)
    together = together.toarray() if hasattr(together, "toarray") else np.asarray(together)
    apart = _output(clone(estimator).fit(train), train)
    np.testing.assert_allclose(together, apart, rtol=1e-4, atol=1e-5)


def check_transform_order_and_subset_invariant(estimator: Any) -> None:
    train, test = _inputs(estimator)
    estimator.fit(train)
    whole = _output(estimator, test)
    order = np.random.default_rng(1).permutation(len(test))
    np.testing.assert_allclose(_output(estimator, [test[i] for i in order]), whole[order], rtol=1e-5, atol=1e-6)
    half = len(test) // 2
    parts = np.vstack([_output(estimator, test[:half]), _output(estimator, test[half:])])
    np.testing.assert_allclose(parts, whole, rtol=1e-5, atol=1e-6)


def check_pickle_and_save_round_trip(estimator: Any) -> None:
    train, test = _inputs(estimator)
    estimator.fit(train)
    expected = _output(estimator, test)
    np.testing.assert_allclose(_output(pickle.loads(pickle.dumps(estimator)), test), expected, rtol=1e-6)
    with tempfile.TemporaryDirectory() as tmp:
        persistence.save(estimator, tmp)
        loaded = persistence.load(tmp, expected=type(estimator))
    np.testing.assert_allclose(_output(loaded, test), expected, rtol=1e-6, atol=1e-7)


def check_clone_of_fitted_is_unfitted(estimator: Any) -> None:
    train, test = _inputs(estimator)
    estimator.fit(train)
    fresh = clone(estimator)
    assert _params_hash(fresh) == _params_hash(estimator)
    with pytest.raises(NotFittedError):
        fresh.transform(test)


def check_single_item_instead_of_sequence_is_a_classicx_error(estimator: Any) -> None:
    train, test = _inputs(estimator)
    estimator.fit(train)
    with pytest.raises(ClassicxError):
        estimator.transform(test[0])


CONTRACT_CHECKS = (
    check_fit_returns_self_and_keeps_params,
    check_unfitted_transform_raises,
    check_transform_shape_and_finite,
    check_fit_idempotent,
    check_fit_transform_equals_fit_then_transform,
    check_transform_order_and_subset_invariant,
    check_pickle_and_save_round_trip,
    check_clone_of_fitted_is_unfitted,
    check_single_item_instead_of_sequence_is_a_classicx_error,
)
_TRANSFORMERS = [
    est for est in OTHER_ESTIMATORS if hasattr(est, "transform") and _AREA_OF.get(type(est).__name__) in _INPUTS
]


@pytest.mark.filterwarnings("ignore::classicx.exceptions.EmptyFeatureWarning")
@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", _TRANSFORMERS, ids=_id)
def test_contract_checks(estimator, check):
    missing = [m for m in _REQUIRES.get(type(estimator).__name__, ()) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{type(estimator).__name__} needs the optional {', '.join(missing)} (see the README)")
    _xfail_if_expected(estimator, check.__name__)
    check(clone(estimator))
