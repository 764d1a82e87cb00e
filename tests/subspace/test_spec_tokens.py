"""The spec tokens of kernel-target alignment: ``kta`` and the shorthand ``kta-scm`` (issue #14)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from classicx import persistence
from classicx.exceptions import ParameterError
from classicx.spec import build, describe_names, names, to_spec
from classicx.subspace import (
    KernelFeatureMap,
    KernelTargetAlignment,
    SemanticCorrelationMatching,
    SemanticMatching,
)
# get_params made comparable with ==, as in the spec module's own round-trip tests
from tests.test_spec import _canonical

SPECS = [
    "kta",
    "kta(16)",
    "kta(16,kernel=chi2,reg=0.3)",
    "kta(8,kernel=kmap(chi2,500),kernel_y=rbf,label_weight=3.0,weight_power=4.0)",
    "kta-scm",
    "kta-scm(16,kernel=rbf,reg=0.3)",
    "scm(kta(16,reg=0.3),sm(balanced,C=0.1))",
]


@pytest.mark.parametrize("spec", SPECS)
def test_round_trip(spec, tmp_path):
    built = build(spec, "aligner")
    written = to_spec(built)
    again = build(written, "aligner")
    assert _canonical(again.get_params(deep=True)) == _canonical(built.get_params(deep=True))
    assert to_spec(again) == written  # the written form is a fixed point
    assert to_spec(clone(built)) == written
    assert to_spec(persistence.load(persistence.save(built, tmp_path / "m"))) == written


def test_what_the_tokens_build():
    kta = build("kta(16,kernel=kmap(chi2,500),reg=0.3,label_weight=3.0)", "aligner")
    assert isinstance(kta, KernelTargetAlignment)
    assert (kta.n_components, kta.reg, kta.label_weight) == (16, 0.3, 3.0)
    assert isinstance(kta.kernel, KernelFeatureMap) and (kta.kernel.kernel, kta.kernel.n_components) == ("chi2", 500)
    # the shorthand is semantic matching on kernel-target alignment, written back in full
    scm = build("kta-scm(16,kernel=rbf)", "aligner")
    assert isinstance(scm, SemanticCorrelationMatching) and scm.semantic is None
    assert isinstance(scm.aligner, KernelTargetAlignment)
    assert (scm.aligner.n_components, scm.aligner.kernel) == (16, "rbf")
    assert to_spec(scm) == "scm(kta(16,kernel=rbf))"
    assert to_spec(KernelTargetAlignment(16, reg=0.3)) == "kta(16,reg=0.3)"


def test_a_model_built_from_the_spec_fits_as_the_hand_built_one():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 30)
    X = rng.normal(size=(90, 6)) + np.eye(6)[labels] * 2.0
    Y = rng.normal(size=(90, 4)) + np.eye(4)[labels] * 2.0
    by_spec = build("scm(kta(2,reg=0.3),sm(balanced))", "aligner").fit(X, Y, labels=labels)
    by_hand = SemanticCorrelationMatching(
        KernelTargetAlignment(2, reg=0.3), SemanticMatching(class_weight="balanced")
    ).fit(X, Y, labels=labels)
    np.testing.assert_array_equal(by_spec.transform(X), by_hand.transform(X))
    np.testing.assert_array_equal(by_spec.transform_y(Y), by_hand.transform_y(Y))


def test_the_tokens_are_listed_and_described():
    assert {"kta", "kta-scm"} <= set(names("aligner"))
    rows = {name: (stage, doc) for stage, name, doc in describe_names()}
    for name in ("kta", "kta-scm"):
        stage, doc = rows[name]
        assert stage == "aligner" and name in doc


def test_a_misspelt_parameter_names_it():
    with pytest.raises(ParameterError, match="label_wieght"):
        build("kta-scm(16,label_wieght=3)", "aligner")
    with pytest.raises(ParameterError, match="kta"):
        build("ktaa(16)", "aligner")  # the unknown name is answered with the list, which has kta
