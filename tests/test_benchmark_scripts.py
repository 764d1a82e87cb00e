"""The benchmarks package: both ways of running a script, the shared workers, and the learner scripts.

``wikipedia_features`` and ``bench_learners`` get smoke and unit tests:

The real Wikipedia feature file is not distributed with classicx, so the
script runs here on a synthetic ``raw_features.mat`` with the same variable
names and shapes and a planted category structure; ``bench_learners.py`` runs
on a tiny generated collection in the Wikipedia layout. Both use ``--quick``
(subsampled pairs, one- or two-point CV grids).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io

from benchmarks import _common as common
from benchmarks import _learners as learners
from benchmarks import bench_learners as bl
from benchmarks import bench_partial as bp
from benchmarks import wikipedia_features as wf

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
SHARED = {"_common", "_learners"}

N_CLASSES = 10


def write_split_list(path: Path, labels: np.ndarray) -> None:
    path.write_text("".join(f"t{i}\ti{i}\t{c + 1}\n" for i, c in enumerate(labels)), encoding="utf-8")


def make_wikipedia_features(root: Path, seed: int = 0, **overrides: np.ndarray) -> Path:
    """A synthetic raw_features.mat (the real shapes) whose histograms and topics depend on the category."""
    rng = np.random.default_rng(seed)
    image_topics = rng.dirichlet(np.full(128, 0.3), size=N_CLASSES)
    text_topics = rng.dirichlet(np.full(10, 0.5), size=N_CLASSES)
    arrays = {}
    for split, suffix in (("train", "tr"), ("test", "te")):
        n = wf.SHAPES[f"I_{suffix}"][0]
        labels = rng.integers(0, N_CLASSES, n)
        words = 0.3 * image_topics[labels] + 0.7 * rng.dirichlet(np.full(128, 0.5), size=n)
        arrays[f"I_{suffix}"] = np.array([rng.multinomial(200, p) for p in words]) / 200.0
        arrays[f"T_{suffix}"] = np.array([rng.dirichlet(5 * text_topics[c] + 0.2) for c in labels])
        write_split_list(root / wf.LISTS[split], labels)
    arrays.update(overrides)
    scipy.io.savemat(root / "raw_features.mat", arrays)
    return root


@pytest.fixture(scope="module")
def wikipedia_dir(tmp_path_factory) -> Path:
    return make_wikipedia_features(tmp_path_factory.mktemp("wikipedia"))


def test_wikipedia_features_quick_run(wikipedia_dir, tmp_path, capsys):
    out, results = tmp_path / "table.json", tmp_path / "RESULTS.md"
    assert (
        wf.main([str(wikipedia_dir), "--quick", "--jobs", "1", "--json", str(out), "--results", str(results)])
        == 0
    )
    records = json.loads(out.read_text())
    methods = [r["method"] for r in records]
    assert methods[:3] == ["CCA", "SM", "SCM"]
    assert len(methods) == len(set(methods)) == 16
    assert all(set(r) == {"method", "image_to_text", "text_to_image"} for r in records)
    assert all(0.0 <= r[d] <= 1.0 for r in records for d in ("image_to_text", "text_to_image"))
    by_name = {r["method"]: r for r in records}
    # Chance is about 0.1 (10 balanced categories); the planted structure must be found.
    assert by_name["SM"]["image_to_text"] > 0.3 and by_name["SM"]["text_to_image"] > 0.3
    assert by_name["CCA"]["image_to_text"] > 0.2 and by_name["CCA"]["text_to_image"] > 0.2
    assert max(r["image_to_text"] for r in records) > 0.5
    printed = capsys.readouterr().out
    assert "0.249" in printed and "0.226" in printed  # the paper's numbers printed next to ours
    assert "Goal >= 0.35" in printed
    assert not results.exists()  # --quick never writes the results file


def test_wikipedia_results_section_only_on_full_runs(wikipedia_dir, tmp_path, monkeypatch):
    canned = [
        {
            "method": "CCA",
            "image_to_text": 0.25,
            "text_to_image": 0.2,
            "mean": 0.225,
            "cv_map": 0.3,
            "params": "reg=0.1",
            "seconds": 1.0,
            "paper_image_to_text": 0.249,
            "paper_text_to_image": 0.196,
        },
        {
            "method": "kernel SM",
            "image_to_text": 0.36,
            "text_to_image": 0.25,
            "mean": 0.305,
            "cv_map": 0.4,
            "params": "C=0.1",
            "seconds": 2.0,
        },
    ]
    seen = {}

    def fake_run(views, specs, folds, n_jobs, kernel_rank, **kwargs):
        seen.update(folds=folds, n_specs=len(specs), n_train=len(views.labels_train))
        return canned

    monkeypatch.setattr(learners, "run_learners", fake_run)
    results = tmp_path / "RESULTS.md"
    wf.main([str(wikipedia_dir), "--no-results", "--results", str(results)])
    assert not results.exists()
    wf.main([str(wikipedia_dir), "--results", str(results)])
    assert seen == {"folds": 3, "n_specs": 16, "n_train": 2173}
    text = results.read_text()
    assert "<!-- wikipedia-features:start -->" in text
    assert "| CCA | 0.249 | 0.25 | 0.196 | 0.2 |" in text
    assert "NOT met" in text and "best image->text 0.360 by kernel SM" in text
    assert "The paper's rows (Rasiwasia et al., ACM MM 2010)" in text


def test_load_features_labels_and_shapes(wikipedia_dir):
    views = wf.load_features(wikipedia_dir)
    assert views.X_train.shape == (2173, 128) and views.Y_test.shape == (693, 10)
    assert views.labels_train.min() == 0 and views.labels_train.max() == N_CLASSES - 1
    assert views.image_histograms and views.text_histograms
    lines = (wikipedia_dir / wf.LISTS["train"]).read_text().splitlines()
    assert int(lines[5].split("\t")[2]) - 1 == views.labels_train[5]


def test_load_features_reports_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="raw_features.mat"):
        wf.load_features(tmp_path)
    make_wikipedia_features(tmp_path, I_te=np.ones((693, 64)))
    with pytest.raises(ValueError, match=r"I_te has shape \(693, 64\)"):
        wf.load_features(tmp_path)
    make_wikipedia_features(tmp_path, T_tr=np.ones((2000, 10)))
    with pytest.raises(ValueError, match="T_tr has 2000 rows but trainset_txt_img_cat.list lists 2173"):
        wf.load_features(tmp_path)
    (tmp_path / wf.LISTS["test"]).write_text("t1\ti1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: expected text_id, image_id, category"):
        wf.read_split_labels(tmp_path / wf.LISTS["test"])


def test_hellinger_rows_have_unit_norm_and_kernel_matches():
    H = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
    F = learners.hellinger(H)
    np.testing.assert_allclose(np.linalg.norm(F[:2], axis=1), 1.0)
    np.testing.assert_allclose(F[2], 0.0)
    P = H[:2] / H[:2].sum(axis=1, keepdims=True)
    np.testing.assert_allclose((F[:2] @ F[:2].T)[0, 1], np.sum(np.sqrt(P[0] * P[1])))


def test_select_specs_filters_by_name():
    specs = learners.learner_specs(N_CLASSES, 9, quick=True)
    names = [s.name for s in learners.select_specs(specs, "sm, PLS")]
    assert names == [
        "SM",
        "PLS",
        "kernel SM (chi2/chi2 maps)",
        "SM (Hellinger features as given, class weights by CV)",
    ]
    assert learners.select_specs(specs, None) == specs
    with pytest.raises(SystemExit, match="matches none"):
        learners.select_specs(specs, "nonexistent")


# ---------------------------------------------------------------------------
# The package: how scripts run and what they share


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_as_module_and_as_file(script, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    as_module = subprocess.run([sys.executable, "-m", f"benchmarks.{script}", "--help"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
    assert as_module.returncode == 0, as_module.stderr
    # As a file, from elsewhere: only the script's own folder is on sys.path (plus classicx).
    as_file = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), "--help"], cwd=tmp_path,
                             env=env, capture_output=True, text=True)
    assert as_file.returncode == 0, as_file.stderr
    assert as_file.stdout == as_module.stdout


@pytest.mark.parametrize("path", sorted(BENCHMARKS.glob("*.py")), ids=lambda p: p.name)
def test_no_path_hacks_and_no_script_imports_another(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", "") == "sys")
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level or node.module == "benchmarks":
                imported |= {alias.name for alias in node.names}
            else:
                imported.add(node.module.split(".")[0])
    assert not imported & set(SCRIPTS), f"{path.name} imports a script: {imported & set(SCRIPTS)}"
    local = {name for name in imported if name.startswith("_") and (BENCHMARKS / f"{name}.py").exists()}
    assert local <= SHARED


def test_worker_reports_result_failure_memory_cap_and_timeout():
    ok = common.run_worker("bench_kernel", {"lib": "classicx", "method": "nystrom", "rank": 20, "n": 100})
    assert ok["status"] == "ok" and ok["n"] == 100 and len(ok["corr"]) == 3 and ok["peak_mb"] > 0
    failed = common.run_worker("bench_kernel", {"lib": "nope", "n": 100})
    assert failed["status"] == "failed: ValueError: nope"
    # The exact solver needs two 20,000 x 20,000 float64 kernels (6 GB): the cap stops it.
    capped = common.run_worker("bench_kernel", {"lib": "classicx", "method": "exact", "n": 20000}, mem_gb=1.5)
    assert capped["status"] == "out of memory (cap 1.5 GB)"
    slow = common.run_worker("bench_kernel", {"lib": "classicx", "method": "exact", "n": 100}, timeout=0.05)
    assert slow["status"].startswith("timeout")


def test_results_section_is_replaced_in_place(tmp_path):
    path = tmp_path / "RESULTS.md"
    common.write_section("a", "First", "one", path=path)
    common.write_section("b", "Second", "two", path=path)
    common.write_section("a", "First", "three", path=path)
    text = path.read_text()
    assert text.index("three") < text.index("two") and "one" not in text
    assert text.count("<!-- a:start -->") == 1 and "Command: `python " in text


def test_best_time_returns_the_last_result():
    calls = []
    seconds, result = common.best_time(lambda: calls.append(1) or len(calls), repeat=3)
    assert result == 3 and 0 <= seconds < 1


# ---------------------------------------------------------------------------
# bench_learners.py on a tiny collection in the Wikipedia layout

WORDS = {
    0: "red round circle ball sun orange",
    1: "blue square box window building city",
    2: "green line stripes field grass road",
}


def draw(label: int, rng: np.random.Generator) -> np.ndarray:
    img = (rng.random((128, 128)) * 60).astype(np.uint8)
    for _ in range(4):
        x, y = (int(v) for v in rng.integers(20, 108, 2))
        if label == 0:
            cv2.circle(img, (x, y), int(rng.integers(8, 18)), 230, -1)
        elif label == 1:
            cv2.rectangle(img, (x - 10, y - 10), (x + 10, y + 10), 230, -1)
        else:
            cv2.line(img, (x - 20, y), (x + 20, y + int(rng.integers(-5, 5))), 230, 3)
    return img


def make_layout(root: Path, n_train: int = 12, n_test: int = 6) -> Path:
    rng = np.random.default_rng(0)
    names = ["shapes", "blocks", "lines"]
    (root / "texts").mkdir(parents=True)
    (root / "categories.list").write_text("\n".join(names) + "\n", encoding="utf-8")
    ident = 0
    for split, per_class in (("trainset", n_train), ("testset", n_test)):
        rows = []
        for label in range(3):
            (root / "images" / names[label]).mkdir(parents=True, exist_ok=True)
            for _ in range(per_class):
                ident += 1
                cv2.imwrite(str(root / "images" / names[label] / f"{ident}.jpg"), draw(label, rng))
                words = WORDS[label].split() + WORDS[(label + 1) % 3].split()[:1]
                text = " ".join(rng.choice(words, size=12))
                (root / "texts" / f"{ident}.txt").write_text(text, encoding="utf-8")
                rows.append(f"{ident}\t{ident}\t{label + 1}\n")
        (root / f"{split}_txt_img_cat.list").write_text("".join(rows), encoding="utf-8")
    return root


@pytest.mark.filterwarnings("ignore:n_components=50 is more than the training data allows")
def test_bench_learners_quick_run_and_cache(tmp_path, capsys):
    data = make_layout(tmp_path / "collection")
    out, cache, results = tmp_path / "table.json", tmp_path / "cache", tmp_path / "RESULTS.md"
    options = [str(data), "--quick", "--jobs", "1", "--cache-dir", str(cache), "--results", str(results)]
    assert bl.main([*options, "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    assert len(records) == 16
    assert all(0.0 <= r[d] <= 1.0 for r in records for d in ("image_to_text", "text_to_image"))
    # Texts name their category's words: the best learner must beat chance (1/3) clearly.
    assert max((r["image_to_text"] + r["text_to_image"]) / 2 for r in records) > 0.5
    cached = list(cache.glob("webnews-features-*.npz"))
    assert len(cached) == 1
    first = capsys.readouterr().out
    assert "features cached in" in first and "36 training and 18 test pairs" in first
    assert "0.249" not in first  # the paper's Wikipedia numbers are not shown next to another collection

    assert bl.main([*options, "--methods", "PLS", "--json", str(out)]) == 0
    assert "features from the cache" in capsys.readouterr().out
    assert [r["method"] for r in json.loads(out.read_text())] == ["PLS"]
    assert not results.exists()


def test_bench_learners_writes_its_section(tmp_path, monkeypatch):
    views = learners.Views(
        np.ones((4, 2)),
        np.ones((4, 2)),
        np.array([0, 1, 0, 1]),
        np.ones((4, 2)),
        np.ones((4, 2)),
        np.array([0, 1, 0, 1]),
    )
    monkeypatch.setattr(bl, "load_or_compute", lambda args: views)
    monkeypatch.setattr(
        learners,
        "run_learners",
        lambda *a, **k: [
            {
                "method": "SM",
                "image_to_text": 0.3,
                "text_to_image": 0.31,
                "mean": 0.305,
                "cv_map": 0.3,
                "params": "C=1",
                "seconds": 1.0,
            }
        ],
    )
    results = tmp_path / "RESULTS.md"
    bl.main([str(tmp_path), "--results", str(results)])
    text = results.read_text()
    assert (
        "<!-- learners-webnews:start -->" in text
        and "Goal >= 0.34 image->text and >= 0.3 text->image" in text
    )
    assert "NOT met" in text and "The paper's rows" not in text and "paper image->text" not in text


def test_compact_grids_are_subsets_of_the_full_grids():
    full = learners.learner_specs(N_CLASSES, 200, quick=False, text_histograms=False)
    compact = learners.learner_specs(N_CLASSES, 200, quick=False, text_histograms=False, compact=True)
    assert [s.name for s in full] == [s.name for s in compact]
    for f, c in zip(full, compact):
        assert set(f.grid) == set(c.grid)
        for key, values in c.grid.items():
            assert len(values) <= 2 and set(values) <= set(f.grid[key]), (f.name, key)
    # The paper's rows rank by the paper's similarity; the others may also use the inner product.
    assert [s.metrics for s in full[:3]] == [("correlation",)] * 3
    assert all(s.metrics == ("correlation", "inner_product") for s in full[3:])


def test_reduce_images_fits_pca_on_training_images_only():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.random((40, 30)), rng.random((10, 30))
    views = learners.Views(
        X_train, rng.random((40, 3)), np.arange(40) % 2, X_test, rng.random((10, 3)), np.arange(10) % 2
    )
    reduced = bl.reduce_images(views, 5)
    assert reduced.X_train.shape == (40, 5) and reduced.X_test.shape == (10, 5)
    assert not reduced.image_histograms and reduced.Y_train is views.Y_train
    # Training projections are centred by the training mean, as PCA fitted on them only.
    np.testing.assert_allclose(reduced.X_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.abs(reduced.X_test.mean(axis=0)).max() > 1e-3


def test_reduce_images_keeps_every_training_axis_by_default():
    rng = np.random.default_rng(1)
    X_train, X_test = rng.random((20, 50)), rng.random((6, 50))
    views = learners.Views(
        X_train, rng.random((20, 3)), np.arange(20) % 2, X_test, rng.random((6, 3)), np.arange(6) % 2
    )
    reduced = bl.reduce_images(views)
    assert reduced.X_train.shape == (20, 19) and reduced.X_test.shape == (6, 19)
    # A rotation of the centred training images: their pairwise distances are unchanged.
    def distances(A):
        return np.linalg.norm(A[:, None] - A[None], axis=2)

    np.testing.assert_allclose(distances(reduced.X_train), distances(X_train), atol=1e-10)


def test_image_pca_setting():
    assert bl.image_pca_setting("all") == "all"
    assert bl.image_pca_setting("0") == 0 and bl.image_pca_setting("512") == 512
    for bad in ("-3", "many", "1.5"):
        with pytest.raises(Exception, match="expected 'all' or a non-negative integer"):
            bl.image_pca_setting(bad)


def test_semantic_rows_tune_the_classifier_options():
    specs = {s.name: s for s in learners.learner_specs(N_CLASSES, 200, quick=False, text_histograms=False)}
    sm = next(s for name, s in specs.items() if name.startswith("SM (") and "class weights" in name)
    assert sm.estimator.standardize is False and sm.representation == "hellinger"
    assert set(sm.grid["class_weight"]) == {None, "balanced"}
    # The paper's SM keeps the paper's classifier (standardised features, no class weights).
    assert specs["SM"].estimator.standardize is True and "class_weight" not in specs["SM"].grid


# ---------------------------------------------------------------------------
# bench_partial.py: partially-paired training data (issue #14)


def test_split_pairs_keeps_unpaired_images_and_texts_apart():
    labels = np.repeat(np.arange(4), 25)
    paired, images, texts = bp.split_pairs(labels, 0.2)
    assert len(paired) == 20 and np.all(np.bincount(labels[paired]) == 5)  # stratified
    everything = np.concatenate([paired, images, texts])
    assert sorted(everything) == list(range(100))  # every training item used once
    # no unpaired image has its own text among the unpaired texts
    assert not set(images) & set(texts) and abs(len(images) - len(texts)) <= 1


def test_partial_summary_compares_best_rows_per_direction():
    records = [
        {"fraction": 0.1, "data": "pairs only", "method": "SM", "image_to_text": 0.30, "text_to_image": 0.25},
        {"fraction": 0.1, "data": "pairs + unpaired", "method": "MMD-SCM (labels of all)",
         "image_to_text": 0.34, "text_to_image": 0.29},
        {"fraction": 0.1, "data": "pairs + unpaired", "method": "SM on every labelled image and text",
         "image_to_text": 0.50, "text_to_image": 0.50},
    ]
    text = bp.summarise(records, [0.1])
    assert "+0.040" in text and "met" in text and "NOT" not in text
    records[1]["text_to_image"] = 0.27
    assert "NOT met" in bp.summarise(records, [0.1])


@pytest.mark.filterwarnings("ignore:n_components=50 is more than the training data allows")
def test_bench_partial_quick_run(tmp_path, capsys):
    data = make_layout(tmp_path / "collection", n_train=30)
    out, results = tmp_path / "partial.json", tmp_path / "RESULTS.md"
    options = [str(data), "--quick", "--jobs", "1", "--cache-dir", str(tmp_path / "cache"), "--fractions", "0.5"]
    assert bp.main([*options, "--json", str(out), "--results", str(results)]) == 0
    records = json.loads(out.read_text())
    alone = [r["method"] for r in records if r["data"] == "pairs only"]
    unpaired = [r["method"] for r in records if r["data"] == "pairs + unpaired"]
    assert alone[:2] == ["CCA", "SM"] and len(alone) == 5
    assert unpaired[:4] == [
        "MMD (labels of the pairs)", "MMD-SCM (labels of the pairs)", "MMD (labels of all)", "MMD-SCM (labels of all)"
    ]
    assert all(0.0 <= r[d] <= 1.0 for r in records for d in ("image_to_text", "text_to_image"))
    # Texts name their category's words: the semi-paired learners must beat chance (1/3) clearly.
    assert max(r["mean"] for r in records if r["method"].startswith("MMD-SCM")) > 0.5
    assert "45 pairs, 22 unpaired images, 23 unpaired texts" in capsys.readouterr().out
    assert not results.exists()  # --quick never writes the results file


@pytest.mark.slow
def test_diagnose_measures_mmd_and_gram_on_held_out_training_pairs():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 30)
    X = rng.normal(size=(90, 12)) + np.eye(12)[labels] * 2
    Y = rng.normal(size=(90, 6)) + np.eye(6)[labels] * 2
    # the test split is poisoned: diagnose must not touch it
    views = learners.Views(X, Y, labels, np.full((5, 12), np.nan), np.full((5, 6), np.nan), np.zeros(5, int),
                           image_histograms=False, text_histograms=False)
    rows = bl.diagnose(views, kernel_rank=20, n_components=3, log=lambda row: None)
    mmd = [r for r in rows if r["learner"] == "MMDAlignment"]
    gram = [r for r in rows if r["learner"] == "GramAlignment"]
    assert len(mmd) == 6 and len(gram) == 3
    assert all(0.0 < r["min_cos_start_end"] <= 1.0 + 1e-9 and r["steps"] <= 50 for r in mmd)
    # the weight that multiplies the MMD terms lowers them further
    assert mmd[-1]["end_mmd2"] <= mmd[-1]["start_mmd2"]
    assert gram[0]["hsic_label_x"] <= gram[1]["hsic_label_x"] + 1e-12
    assert all(0.0 <= r["class_r2_x"] <= 1.0 for r in gram)
# bench_distributed (issue #16)


def test_bench_distributed_blocks_are_reproducible_and_the_model_adds_up():
    from benchmarks import bench_distributed as bd

    np.testing.assert_array_equal(bd.block_x(0, 3, 5), bd.block_x(0, 3, 5))
    # The two views share their latent signal: X and Y of one block are correlated.
    X, Y = bd.block_xy(0, 0, 4000)
    assert X.shape == (4000, bd.DX) and Y.shape == (4000, bd.DY) and X.dtype == np.float32
    costs = {"rows": 1000, "t_gen": 1.0, "t_stats": 1.0, "t_merge": 0.0, "t_solve": 5.0,
             "stats_bytes": 1e6, "data_bytes": 0}
    (row,) = bd.paper_model(costs, 64_000, [4])
    # 64 blocks on 4 workers: 16 blocks of 2 s each; 64 leaves + 8 + 1 merges.
    assert row["blocks"] == 64 and row["compute_s"] == 32.0
    assert row["network_GB"] == pytest.approx(0.75 * 73 * 1e6 / 1e9)
    assert row["total_s"] == pytest.approx(32.0 + row["network_s"] + 5.0)


@pytest.mark.slow
def test_bench_distributed_quick_cca(capsys):
    pytest.importorskip("distributed")
    from benchmarks import bench_distributed as bd

    bd.main(["--quick", "--parts", "cca"])
    out = capsys.readouterr().out
    assert "Canonical correlations agree to" in out and "On paper: 100 million pairs" in out
    agree = float(out.split("Canonical correlations agree to ")[1].split(" ")[0])
    assert agree < 1e-6
# ------------------------------------------------------------------ bench_presets.py
def test_bench_presets_quick_run_caches_features_and_writes_from_json(tmp_path, capsys):
    from benchmarks import bench_presets as bp

    cache, out, results = tmp_path / "cache", tmp_path / "rows.json", tmp_path / "RESULTS.md"
    options = ["--collections", "icons", "--quick", "--jobs", "1", "--cache-dir", str(cache), "--queries", "3",
               "--images", "hsv(4,2,2);bovw(sift(max_keypoints=50),16)+0.5*hsv(4,2,2)", "--texts", "lsa(30)|l2;lsa(20)",
               "--aligners", "cca(4,reg=0.3);sm(balanced,C=10.0,standardize=false)", "--presets", "fast"]
    with pytest.warns(Warning):  # small-sample notes of the encoders
        assert bp.main([*options, "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    candidates = [r for r in rows if "aligner" in r]
    presets = [r for r in rows if "preset" in r]
    # the previous default, 2 images x 2 aligners, 1 more text
    assert len(candidates) == 1 + 4 + 1 and [r["preset"] for r in presets] == ["fast"]
    assert all(0 < r["image_to_text"] <= 1 and 0 < r["text_to_image"] <= 1 for r in rows)
    assert presets[0]["model_mb"] > 0 and presets[0]["text_query_ms_p50"] <= presets[0]["text_query_ms_p99"]
    # CPU seconds beside the wall seconds (a shared machine inflates only the latter), load before and after
    assert 0 < presets[0]["fit_cpu_s"] and presets[0]["image_query_cpu_ms_p50"] > 0
    assert presets[0]["text_query_cpu_ms_p50"] >= 0 and "before the fit" in presets[0]["load"]
    first = capsys.readouterr().out
    assert "icons: image hsv(4,2,2)" in first
    assert bp.main([*options, "--part", "candidates"]) == 0
    assert "icons: image" not in capsys.readouterr().out  # every feature set came from the cache
    assert not results.exists()  # --quick never writes RESULTS.md
    assert bp.main(["--from-json", str(out), "--results", str(results)]) == 0
    text = results.read_text()
    assert "## Presets (issue #11)" in text and "| icons | fast |" in text


def test_bench_presets_assembles_a_concatenation_as_concat_features_does(tmp_path):
    """Oracle for the part cache: the union built from cached parts equals ConcatFeatures on the images."""
    import argparse

    from benchmarks import bench_presets as bp
    from classicx.spec import build

    data = bp.load_collection("icons", tmp_path, quick=True)
    args = argparse.Namespace(cache_dir=tmp_path / "c", quick=True, data=tmp_path, jobs=1)
    spec = "bovw(sift(max_keypoints=50),16)+0.5*hsv(4,2,2)|l2"
    train, test, _ = bp.features("icons", data, spec, "image", args)
    union = build(spec, "image").set_params(bovw__random_state=0, bovw__verbose=False, hsv__verbose=False)
    np.testing.assert_allclose(train, union.fit_transform(data["train"][0]), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(test, union.transform(data["test"][0]), rtol=1e-5, atol=1e-7)


def test_bench_presets_shared_classifiers_give_the_fits_of_fresh_ones():
    """Oracle: semantic matching fitted inside ``shared_classifiers`` (which reuses a view's classifier for the same
    input) equals a fresh fit, dense and sparse; the second fit on the same image view is a hit."""
    import scipy.sparse as sp

    from benchmarks import bench_presets as bp
    from classicx.subspace import SemanticMatching, semantic

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, 6)) + labels[:, None]
    Ys = [rng.normal(size=(60, 4)) - labels[:, None], sp.random(60, 30, density=0.2, random_state=1, format="csr")]
    fresh = [SemanticMatching(C=3.0, class_weight="balanced").fit(X, Y, labels=labels) for Y in Ys]
    with bp.shared_classifiers() as shared:
        memo = [SemanticMatching(C=3.0, class_weight="balanced").fit(X, Y, labels=labels) for Y in Ys]
        assert shared.hits == 1  # the image classifier of the second fit
        again = SemanticMatching(C=1.0, class_weight="balanced").fit(X, Ys[0], labels=labels)
        assert shared.hits == 1  # another C is another classifier
    assert semantic._fit_logistic is shared.original  # restored
    for a, b in zip(fresh, memo):
        for name in ("x_coef_", "x_intercept_", "y_coef_", "y_intercept_"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.allclose(again.x_coef_, memo[0].x_coef_)


def test_icons_are_deterministic_balanced_and_named():
    from benchmarks import bench_presets as bp

    images, texts, labels = bp.make_icons(5, seed=3)
    again = bp.make_icons(5, seed=3)
    assert len(images) == 45 and np.bincount(labels).tolist() == [5] * 9
    assert all(np.array_equal(a, b) for a, b in zip(images, again[0])) and texts == again[1]
    assert images[0].shape == (48, 48, 3) and images[0].dtype == np.uint8
    # most names say what the icon is
    named = sum(any(w in t for w in bp._NAMES[bp.ICON_CLASSES[c]]) for t, c in zip(texts, labels))
    assert named >= 0.5 * len(texts)
# bench_query.py (issue #15): a quick run on synthetic data, in worker processes


@pytest.mark.slow
def test_bench_query_quick_run(tmp_path, capsys):
    from benchmarks import bench_query

    out_json = tmp_path / "query.json"
    assert bench_query.main(["--quick", "--json", str(out_json)]) == 0
    report = capsys.readouterr().out
    for measure in ("text query p50", "100k gallery", "image query p50", "model load", "end to end"):
        assert measure in report
    (record,) = json.loads(out_json.read_text(encoding="utf-8"))
    new = record["new"]
    assert new["text"]["classicx_p50"] > 0 and new["text"]["minimal_p50"] > 0
    assert new["text"]["same_top10"] == "8/8"  # the minimal path ranks as classicx does
    assert new["image"]["bare_p50"] > 0 and new["load"] > 0 and new["cli"]["cli_s"] > 0


def test_bench_presets_classical_only_leaves_auto_without_deep_candidates():
    """``--classical-only``: inside ``classical_only`` auto's deep candidates are none, and restored after."""
    from benchmarks import bench_presets as bp
    from classicx import _autoselect

    original = _autoselect.deep_candidates
    with bp.classical_only():
        assert _autoselect.deep_candidates(["a red circle"]) == ()
    assert _autoselect.deep_candidates is original
