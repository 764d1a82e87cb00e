"""The deep preset and auto's deep candidates: used only when their extras are installed (issue #13).

The tests that run the CNN need torch and the ``cnn`` extra and skip without
them; ``.ci/run``'s deep step installs both and runs this file.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from classicx import CrossModalRetriever, _autoselect, datasets, presets
from classicx.exceptions import BackendUnavailableError
from classicx.image.normalization import normalize_rows
from classicx.presets import AUTO_CANDIDATES, PRESETS, deep_candidates, preset_specs

_NO_CNN = bool(presets.missing_modules("cnn"))
needs_cnn = pytest.mark.skipif(_NO_CNN, reason='needs torch and the cnn extra (pip install torch==2.13.0 "classicx[cnn]")')
ENGLISH = ["a red circle on a blue background", "two green squares"]
CHINESE = ["一场足球比赛在北京举行", "国防部发布新闻"]


def test_the_plug_ins_are_installed_where_ci_requires_them():
    if os.environ.get("CLASSICX_REQUIRE_DEEP") == "1":
        assert not _NO_CNN and not presets.missing_modules("deep-text")


def test_the_default_preset_is_unchanged_and_deep_is_cnn_with_the_classical_text_side():
    assert CrossModalRetriever().preset == "balanced"
    assert PRESETS["balanced"].image_features == "fisher(rootsift,64)+0.5*hsv"
    deep = PRESETS["deep"]
    assert deep.image_features == "cnn(efficientnet-lite0,normalize=power)"
    # Not the English-only MiniLM: webnews texts are Chinese.
    assert deep.text_features == "lsa(200)|l2" and "sentence" not in deep.text_features


def test_power_normalisation_of_non_negative_features_is_the_hellinger_map_bench_deep_measured():
    X = np.random.default_rng(0).random((5, 7)).astype(np.float32)
    hellinger = np.sqrt(X / X.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(normalize_rows(X, "power"), hellinger, rtol=1e-5)


def _without(monkeypatch, *modules):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in modules else real(name, *a))


def test_without_torch_the_deep_preset_says_which_extra_to_install(monkeypatch):
    _without(monkeypatch, "torch")
    with pytest.raises(BackendUnavailableError, match=r"preset 'deep' needs the optional 'cnn' extra: "
                       r"pip install torch==2\.13\.0 .*classicx\[cnn\].*missing: torch[,)]"):
        preset_specs("deep")
    data = datasets.load_synthetic(n_train=12, n_test=4, random_state=0)
    with pytest.raises(BackendUnavailableError, match="'cnn' extra"):
        CrossModalRetriever(preset="deep", verbose=False).fit(data.train.images, data.train.texts,
                                                              labels=data.train.labels)
    assert preset_specs("balanced")["image_features"] == PRESETS["balanced"].image_features


def test_auto_adds_deep_candidates_only_when_their_extras_are_installed(monkeypatch):
    installed: set[str] = set()
    monkeypatch.setattr(presets, "missing_modules", lambda extra: [] if extra in installed else ["torch"])
    assert deep_candidates(ENGLISH) == ()
    installed.add("cnn")
    rows = deep_candidates(CHINESE)
    assert [r[0] for r in rows] == [PRESETS["deep"].image_features] * 2
    assert [r[3] for r in rows] == [True, False]  # semantic matching, and weighted CCA without labels
    installed.add("deep-text")
    assert deep_candidates(CHINESE) == rows  # MiniLM is English only: never for Chinese texts
    assert deep_candidates(None) == rows
    assert deep_candidates(ENGLISH) == (*rows, (PRESETS["deep"].image_features, "sentence(minilm)", PRESETS["deep"].aligner, True))
    installed.discard("cnn")
    assert deep_candidates(ENGLISH) == (("fisher(rootsift,64)+0.5*hsv", "sentence(minilm)", PRESETS["deep"].aligner, True),)


def test_autos_candidate_list_is_the_classical_one_then_the_deep_one(monkeypatch):
    monkeypatch.setattr(presets, "missing_modules", lambda extra: [])
    monkeypatch.setattr(_autoselect, "deep_candidates", presets.deep_candidates)
    retriever = CrossModalRetriever(preset="auto")
    missing = ["image_features", "text_features", "aligner", "searcher"]
    tried, _ = _autoselect._candidates(retriever, missing, True, ENGLISH)
    assert [(r["image_features"], r["text_features"], r["aligner"]) for r in tried] == [
        row[:3] for row in (*AUTO_CANDIDATES, *deep_candidates(ENGLISH))]
    tried, _ = _autoselect._candidates(retriever, missing, True, CHINESE)
    assert not any("sentence" in r["text_features"] for r in tried)


@needs_cnn
def test_the_deep_preset_fits_and_retrieves_above_chance():
    data = datasets.load_synthetic(n_train=40, n_test=20, random_state=0)
    model = CrossModalRetriever(preset="deep", verbose=False, random_state=0, n_jobs=2)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert model.preset_stages_["image_features"] == PRESETS["deep"].image_features
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    assert report.map_image_to_text > report.chance_image_to_text
    assert report.map_text_to_image > report.chance_text_to_image
