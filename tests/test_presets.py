"""Presets: every stage of every preset builds, supervised aligners need labels, the fallback is said."""

from __future__ import annotations

import warnings

import pytest

from classicx import CrossModalRetriever, datasets
from classicx.exceptions import ClassicxWarning, ParameterError
from classicx.presets import AUTO_CANDIDATES, PRESET_NAMES, PRESETS, default_stages, missing_modules, preset_specs
from classicx.retriever import _consumes_labels
from classicx.spec import build, to_spec

STAGES = ("image_features", "text_features", "aligner", "searcher")
# "deep" builds CNNFeatures, whose spec needs the cnn extra (issue #13; tests/test_presets_deep.py).
_NEEDS_CNN = pytest.mark.skipif(bool(missing_modules("cnn")), reason='the deep preset needs the cnn extra')


@pytest.mark.parametrize("preset", [pytest.param(p, marks=_NEEDS_CNN) if p == "deep" else p for p in sorted(PRESETS)])
@pytest.mark.parametrize("labels", [True, False])
def test_every_stage_of_every_preset_builds_and_prints_back(preset, labels):
    specs = preset_specs(preset, labels)
    assert tuple(specs) == STAGES
    stages = default_stages(preset, labels)
    for stage in STAGES:
        assert to_spec(stages[stage]) == to_spec(build(specs[stage], stage))
        assert to_spec(build(to_spec(stages[stage]), stage)) == to_spec(stages[stage])


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_with_labels_a_supervised_aligner_without_an_unsupervised_one(preset):
    assert _consumes_labels(build(PRESETS[preset].aligner, "aligner"))
    assert not _consumes_labels(build(PRESETS[preset].unsupervised_aligner, "aligner"))


def test_auto_candidates_build_and_say_whether_they_need_labels():
    for image, text, aligner, needs_labels in AUTO_CANDIDATES:
        build(image, "image"), build(text, "text")
        assert _consumes_labels(build(aligner, "aligner")) == needs_labels
    assert PRESET_NAMES == ("fast", "balanced", "best", "deep", "auto")


def test_the_default_is_balanced():
    assert CrossModalRetriever().preset == "balanced"
    assert preset_specs() == preset_specs("balanced")


def test_unknown_presets_are_refused():
    with pytest.raises(ParameterError, match=r"unknown preset 'huge'; expected one of \['balanced', 'best', 'deep', 'fast'\]"):
        preset_specs("huge")
    with pytest.raises(ParameterError, match="no fixed stages"):
        preset_specs("auto")
    data = datasets.load_synthetic(n_train=10, n_test=4, random_state=0)
    with pytest.raises(ParameterError, match="preset"):
        CrossModalRetriever(preset="huge", verbose=False).fit(data.train.images, data.train.texts)


def test_a_preset_fills_only_the_stages_left_at_none():
    data = datasets.load_synthetic(n_train=60, n_test=20, random_state=0)
    model = CrossModalRetriever(image_features="hsv(4,2,2)", preset="fast", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert set(model.preset_stages_) == {"text_features", "aligner", "searcher"}
    assert model.preset_stages_["aligner"] == PRESETS["fast"].aligner and model.supervised_
    assert to_spec(model.image_features_.set_params(verbose=True)) == "hsv(4,2,2)"


def test_without_labels_the_fallback_is_warned_and_recorded():
    data = datasets.load_synthetic(n_train=60, n_test=20, random_state=0)
    model = CrossModalRetriever(image_features="hsv", text_features="lsa(40)|l2", preset="fast",
                                verbose=False, random_state=0)
    with pytest.warns(ClassicxWarning, match=r"preset 'fast' without labels.*unsupervised"):
        model.fit(data.train.images, data.train.texts)
    assert model.preset_stages_["aligner"] == PRESETS["fast"].unsupervised_aligner and not model.supervised_
    # a given aligner is not replaced, and nothing is said
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClassicxWarning)
        CrossModalRetriever(image_features="hsv(4,2,2)", text_features="lsa(20)|l2", aligner="cca(4)",
                            verbose=False).fit(data.train.images, data.train.texts)


def test_an_aligner_of_the_users_own_gets_the_cosine_searcher_not_the_presets():
    """The preset's inner-product searcher belongs to its semantic-matching aligner."""
    from classicx import CrossModalRetriever, datasets

    data = datasets.load_synthetic(n_train=60, n_test=10, random_state=0)
    given = CrossModalRetriever(image_features="bovw(sift,16)", text_features="lsa(8)", aligner="cca(4)",
                                verbose=False, random_state=0)
    given.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert given.preset_stages_ == {"searcher": "exact"}
    assert given.image_gallery_.metric == "cosine"
    filled = CrossModalRetriever(image_features="bovw(sift,16)", text_features="lsa(8)", verbose=False,
                                 random_state=0)
    filled.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert filled.preset_stages_["searcher"] == "exact:metric=inner_product"
    assert filled.image_gallery_.metric == "inner_product"


# ------------------------------------------- benchmarks/bench_presets.py: the measurements behind the presets
def _spin(seconds: float) -> int:
    """Burn ``seconds`` of CPU time in the calling process; return its id."""
    import os
    import time

    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getpid()


def test_bench_presets_cpu_seconds_count_the_worker_processes():
    """A fit's loky workers (ColorHistogram's images) work outside this process: their CPU time counts too."""
    import os
    import time

    from joblib import Parallel, delayed

    from benchmarks import bench_presets as bp

    pytest.importorskip("psutil")
    start_all, start_own = bp._cpu_seconds(), time.process_time()
    pids = Parallel(n_jobs=2, backend="loky")(delayed(_spin)(0.3) for _ in range(2))
    own = time.process_time() - start_own
    elapsed_all = bp._cpu_seconds() - start_all
    assert os.getpid() not in pids
    assert elapsed_all - own >= 0.6  # the two workers' 0.3 s each, which process_time alone does not see


def test_bench_presets_cv_part_scores_as_auto_and_chooses_by_cv_only(tmp_path):
    """Oracle: auto's own fold scoring (classicx._autoselect) on the same features and folds."""
    import argparse

    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from benchmarks import bench_presets as bp
    from classicx._autoselect import _FOLDS, _fold_score

    data = bp.load_collection("icons", tmp_path, quick=True)
    aligners = ("sm(balanced,C=10.0,standardize=false)", "cca(4,reg=0.3)")
    args = argparse.Namespace(cache_dir=tmp_path / "c", quick=True, data=tmp_path, jobs=1, images=("hsv(4,2,2)",),
                              texts=("lsa(20)|l2",), aligners=aligners)
    seen = []
    rows = bp.run_cv("icons", data, args, on_row=lambda so_far: seen.append(len(so_far)))
    assert seen == [1, 2] and [r["aligner"] for r in rows] == list(aligners)
    X, _, _ = bp.features("icons", data, "hsv(4,2,2)", "image", args)
    Y, _, _ = bp.features("icons", data, "lsa(20)|l2", "text", args)
    labels = data["train"][2]
    folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels)
    folds = list(folds)
    for row, spec in zip(rows, aligners):
        aligner = build(spec, "aligner")
        routed = _consumes_labels(aligner)
        metric = "inner_product" if routed else "cosine"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = [_fold_score(aligner, X, Y, labels, tr, te, metric, routed) for tr, te in folds]
        assert row["cv_image_to_text"] == pytest.approx(np.mean([s[0] for s in scores]), abs=1e-4)
        assert row["cv_text_to_image"] == pytest.approx(np.mean([s[1] for s in scores]), abs=1e-4)
    chosen = [r for r in rows if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["cv_mean"] == max(r["cv_mean"] for r in rows)
    with pytest.raises(SystemExit, match="needs --images"):
        bp.run_cv("icons", data, argparse.Namespace(**{**vars(args), "aligners": None}))
