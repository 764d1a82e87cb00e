"""Real-time single queries (issue #15): classicx against a hand-written minimal path and against an older classicx.

Measured, each in a fresh interpreter (a worker) so that two classicx versions never share a process:

* **single text query** (``search_text(text, k=10)``) p50/p99 over the webnews test texts, against a
  minimal path doing the same arithmetic in the same process: scikit-learn's ``TfidfVectorizer``
  transform with the fitted vocabulary and idf, one sparse x dense product with the LSA and CCA
  projections folded into one matrix, a NumPy cosine scan and ``argpartition`` top-k;
* the same on a **100,000-item gallery** (the image gallery replaced by an exact searcher over
  100,000 vectors drawn around the fitted gallery vectors, as ``bench_serve.py`` does);
* **single image query** (``search_image(path, k=10)``) against bare work: ``cv2.imdecode``,
  SIFT ``detectAndCompute`` (1,000 strongest keypoints), nearest visual word by NumPy, the
  histogram, and the encoder's own weighting; OpenCV on one thread in both (as classicx encodes),
  and bare with OpenCV's default threads for reference;
* **model load** (``CrossModalRetriever.load``) in a fresh process;
* **batches**: ``transform_texts`` of 1,000 texts and a 1,000-query search of the 100,000 gallery;
* **command line** end to end, ``classicx search MODEL --text ...``, against
  ``python -c "import numpy, sklearn"``, alternating, medians.

Every timed figure is the median over ``--repeats`` rounds (the machine is shared: the load average
is recorded). With ``--old-root DIR`` (a checkout of classicx before the change, e.g.
``git archive 2a30292 | tar -x -C /tmp/classicx-old``) the same workers run against it; it reads
format-2 models only, so the model is fitted by that checkout (``classicx fit``, default options)
and re-saved by this one.

Run: ``python benchmarks/bench_query.py --old-root /tmp/classicx-old --results`` (about 15 minutes on
the loaded 2-core machine), ``--quick`` for a smoke run on synthetic data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

SCRIPT = Path(__file__).resolve()


# ------------------------------------------------------------------------------------------- workers
def _queries(job: dict) -> tuple[list[str], list[str]]:
    if job.get("data"):
        from classicx.datasets import load_dataset

        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_dataset(job["data"], on_error="skip")
        n = job["n_queries"]
        return list(data.test.texts[:n]), [str(p) for p in data.test.images[: max(1, n // 4)]]
    return job["texts"], job["images"]


def _minimal_text(model):
    """scikit-learn's vectorizer, the LSA and CCA projections folded into one matrix, a NumPy scan and top-k."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf, lsa, cca = model.text_features_.tfidf_, model.text_features_, model.aligner_
    vectorizer = TfidfVectorizer(analyzer=tfidf.tokenizer_, vocabulary=tfidf.vocabulary_, sublinear_tf=tfidf.sublinear_tf,
                                 norm=tfidf.norm, smooth_idf=tfidf.smooth_idf, dtype=np.float64)
    vectorizer.idf_ = tfidf.idf_
    weights = np.clip(cca.canonical_correlations_, 0, None) ** cca.weight_power
    W = (cca.y_weights_ / cca.y_std_[:, None]) * weights
    P = np.ascontiguousarray(np.asarray(lsa.components_).T @ W)
    b = (cca.y_mean_ / cca.y_std_) @ (cca.y_weights_ * weights)

    def run(gallery, text, k=10):
        z = (vectorizer.transform([text]) @ P)[0] - b
        z = (z / (np.linalg.norm(z) or 1.0)).astype(np.float32)
        scores = gallery @ z
        top = np.argpartition(-scores, k)[:k]
        return top[np.lexsort((top, -scores[top]))]

    return run


def _big_gallery(model, n: int, seed: int = 0) -> None:
    """Replace the image gallery by an exact searcher over ``n`` vectors around the fitted ones."""
    import numpy as np
    from classicx.search import ExactSearcher

    base = np.asarray(model.image_gallery_.gallery_, dtype=np.float64)
    rng = np.random.default_rng(seed)
    rows = np.arange(n) % len(base)
    vectors = base[rows] + 0.05 * rng.normal(size=(n, base.shape[1])) * np.abs(base).mean()
    model.image_gallery_ = ExactSearcher(**model.image_gallery_.get_params()).fit(vectors)
    model.image_ids_ = [f"g{i}" for i in range(n)]
    model.image_descriptions_ = [f"item {i}" for i in range(n)]
    model.image_labels_ = None
    model.image_texts_ = model.image_files_ = None  # the synthetic gallery has no paired texts or files


def _job_text(job: dict) -> dict:
    import numpy as np
    from classicx import CrossModalRetriever

    start = time.perf_counter()
    model = CrossModalRetriever.load(job["model"])
    load = time.perf_counter() - start
    model.set_params(verbose=False)
    texts, _ = _queries(job)
    out = {"load_s": load}
    if job.get("gallery"):
        _big_gallery(model, job["gallery"])
    funcs = {"classicx": lambda t: model.search_text(t, k=10)}
    if job.get("minimal"):
        minimal = _minimal_text(model)
        gallery = np.ascontiguousarray(model.image_gallery_.gallery_, dtype=np.float32)
        funcs["minimal"] = lambda t: minimal(gallery, t)
        same = sum(list(minimal(gallery, t)) == [h.index for h in model.search_text(t, k=10)] for t in texts)
        out["same_top10"] = f"{same}/{len(texts)}"
    for func in funcs.values():  # warm: the first query builds what is kept (vocabulary check, layout)
        func(texts[0])
    out.update({f"{name}_{key}": value for name, r in common.query_rounds(funcs, texts, job["repeats"]).items()
                for key, value in r.items()})
    out["top10"] = [[h.index for h in model.search_text(t, k=10)] for t in texts[:20]]
    if job.get("batch"):
        many = (texts * (1000 // len(texts) + 1))[:1000]
        rounds = []
        for _ in range(job["repeats"]):
            start = time.perf_counter()
            model.transform_texts(many) if not job.get("gallery") else model.search_text(many, k=10)
            rounds.append((time.perf_counter() - start) / len(many) * 1e3)
        out["batch_ms_per_query"] = statistics.median(rounds)
    return out


def _job_image(job: dict) -> dict:
    import cv2
    import numpy as np
    from classicx import CrossModalRetriever

    model = CrossModalRetriever.load(job["model"])
    model.set_params(verbose=False)
    _, images = _queries(job)
    encoder = model.image_features_
    centers = np.asarray(encoder.vocabulary_.centers_, dtype=np.float32)
    center_sq = np.einsum("ij,ij->i", centers, centers)
    sift = cv2.SIFT_create(nfeatures=int(encoder.descriptor_.max_keypoints or 0))

    def bare(path):
        gray = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
        _, desc = sift.detectAndCompute(gray, None)
        words = np.argmin(center_sq[None, :] - 2 * desc @ centers.T, axis=1)
        hist = np.bincount(words, minlength=len(centers)).astype(np.float32)
        return encoder._finalize(hist[None])

    funcs = {"classicx": lambda p: model.search_image(p, k=10), "bare": bare}
    previous = cv2.getNumThreads()
    for func in funcs.values():
        func(images[0])
    cv2.setNumThreads(1)
    result = common.query_rounds(funcs, images, job["repeats"])
    cv2.setNumThreads(previous)
    default = common.query_rounds({"bare": bare}, images, job["repeats"])
    return {"classicx_p50": result["classicx"]["p50"], "classicx_p99": result["classicx"]["p99"],
            "bare_p50": result["bare"]["p50"], "bare_p99": result["bare"]["p99"],
            "classicx_cpu": result["classicx"]["cpu"], "bare_cpu": result["bare"]["cpu"],
            "bare_default_threads_p50": default["bare"]["p50"], "opencv_threads_default": previous}


def _job_load(job: dict) -> dict:
    from classicx import CrossModalRetriever

    start = time.perf_counter()
    CrossModalRetriever.load(job["model"])
    first = time.perf_counter() - start
    # Again in the same process: the estimators' modules (and scikit-learn's, OpenCV) are imported now,
    # so this is the load itself: reading the arrays and checking the fitted state.
    start = time.perf_counter()
    CrossModalRetriever.load(job["model"])
    return {"load_s": first, "load_warm_s": time.perf_counter() - start}


_JOBS = {"text": _job_text, "image": _job_image, "load": _job_load}


def _run_job(job: dict) -> dict:
    return _JOBS[job["what"]](job)


def run(job: dict, root: Path) -> dict:
    """Run ``job`` in a fresh interpreter that imports the classicx of ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, str(SCRIPT), "--worker", json.dumps(job)], env=env,
                         capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith(common.RESULT_PREFIX)]
    if out.returncode or not lines:
        raise RuntimeError(f"worker {job['what']} for {root} failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1][len(common.RESULT_PREFIX):])


def _wall(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def command_line_times(model: str, text: str, root: Path, repeats: int) -> dict:
    # Bytecode caches on, as for an installed package (pip compiles them at install time): with
    # PYTHONDONTWRITEBYTECODE set (as on these machines) every run compiles classicx from source.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(root)
    search = [sys.executable, "-m", "classicx", "search", model, "--text", text, "-k", "5"]
    base = [sys.executable, "-c", "import numpy, sklearn"]
    _wall(search, env)  # writes the caches
    cli, ref = [], []
    for _ in range(repeats):
        cli.append(_wall(search, env))
        ref.append(_wall(base, env))
    return {"cli_s": statistics.median(cli), "import_numpy_sklearn_s": statistics.median(ref),
            "over_s": statistics.median(c - r for c, r in zip(cli, ref))}


# ------------------------------------------------------------------------------------------- models
def prepare_models(args, work: Path) -> tuple[str, str | None]:
    """The model for this checkout (current format) and, with ``--old-root``, one the old checkout reads."""
    if args.quick:
        from classicx import CrossModalRetriever, datasets

        data = datasets.load_synthetic(n_train=60, n_test=20, random_state=0)
        # The minimal path reproduces TF-IDF + LSA + CCA (the 0.2.0 pipeline), so the model is that one.
        model = CrossModalRetriever(image_features="bovw(sift,256)", text_features="lsa(100)",
                                    aligner="cca(32,reg=0.3,weight_power=4.0)", searcher="exact",
                                    verbose=False, random_state=0)
        model.fit(data.train.images, data.train.texts, labels=data.train.labels)
        path = work / "model"
        model.save(path)
        return str(path), None
    old_model = None
    source = Path(args.model) if args.model else None
    if args.old_root:
        old_model = str(source) if source else str(work / "old-model")
        if not source:
            env = {**os.environ, "PYTHONPATH": str(args.old_root)}
            subprocess.run([sys.executable, "-m", "classicx", "fit", str(args.data), "-o", old_model,
                            "--skip-missing", "-q", "-j", str(args.jobs)], env=env, check=True)
    elif not source:
        source = work / "old-model"
        subprocess.run([sys.executable, "-m", "classicx", "fit", str(args.data), "-o", str(source),
                        "--skip-missing", "-q", "-j", str(args.jobs)], check=True)
    from classicx import CrossModalRetriever

    new_model = work / "model"
    CrossModalRetriever.load(old_model or source).save(new_model)  # the same fit, in this version's format
    return str(new_model), old_model


# ------------------------------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=common.DEFAULT_DATA, help="webnews directory")
    parser.add_argument("--model", help="a fitted model directory (default: fit one with default options)")
    parser.add_argument("--old-root", type=Path, help="checkout of the classicx to compare with")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per measurement (median reported)")
    parser.add_argument("--queries", type=int, default=200, help="test texts used as queries")
    parser.add_argument("--gallery", type=int, default=100_000, help="size of the synthetic gallery")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke run on synthetic data, nothing written")
    parser.add_argument("--results", action="store_true", help="write the section of benchmarks/RESULTS.md")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        common.worker_main(_run_job, args.worker)
        return 0
    load_before = common.machine_load()
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        work = Path(tmp)
        model, old_model = prepare_models(args, work)
        repeats = 1 if args.quick else args.repeats
        if args.quick:
            from classicx import datasets

            data = datasets.load_synthetic(n_train=60, n_test=20, random_state=1)
            query_args = {"texts": list(data.test.texts[:8]), "images": [], "data": None, "n_queries": 8}
            image_dir = work / "images"
            image_dir.mkdir()
            import cv2

            for i, image in enumerate(data.test.images[:2]):
                cv2.imwrite(str(image_dir / f"{i}.png"), image)
            query_args["images"] = [str(p) for p in sorted(image_dir.glob("*.png"))]
            gallery = 2000
        else:
            query_args = {"data": str(args.data), "n_queries": args.queries}
            gallery = args.gallery
        roots = {"new": common.ROOT}
        models = {"new": model}
        if args.old_root:
            roots["old"], models["old"] = args.old_root, old_model
        results: dict = {}
        for name, root in roots.items():
            base = {**query_args, "model": models[name], "repeats": repeats}
            results[name] = {
                "text": run({**base, "what": "text", "minimal": name == "new", "batch": True}, root),
                "text_big": run({**base, "what": "text", "gallery": gallery, "minimal": name == "new",
                                 "batch": True}, root),
                "image": run({**base, "what": "image"}, root),
            }
            loads = [run({**base, "what": "load"}, root) for _ in range(repeats)]
            results[name]["load"] = statistics.median(one["load_s"] for one in loads)
            if all("load_warm_s" in one for one in loads):
                results[name]["load_warm"] = statistics.median(one["load_warm_s"] for one in loads)
            text = query_args.get("texts", [None])[0] if args.quick else "舞蹈老师指导老年人开展舞蹈训练"
            results[name]["cli"] = command_line_times(models[name], text, root, repeats)
    results["machine_load_before"], results["machine_load_after"] = load_before, common.machine_load()
    if "old" in results:
        results["same_top10_as_old"] = sum(a == b for a, b in zip(results["new"]["text"]["top10"],
                                                                     results["old"]["text"]["top10"]))
    report = render(results)
    print(report)
    if args.json:
        common.write_json(args.json, [results])
    if args.results and not args.quick:
        common.write_section("query", "Real-time queries (issue #15)", report)
    return 0


def render(r: dict) -> str:
    new, old = r["new"], r.get("old")
    rows = []

    def row(what, key, now, minimal=None, before=None, target=""):
        rows.append({"measure": what, "classicx now": f"{now:.3g}", "minimal / bare": "" if minimal is None else f"{minimal:.3g}",
                     "now / minimal": "" if minimal is None else f"{now / minimal:.2f}",
                     "classicx before": "" if before is None else f"{before:.3g}",
                     "now / before": "" if before is None else f"{now / before:.3f}", "target": target})

    def get(result, *keys):
        for key in keys:
            if result is None:
                return None
            result = result.get(key)
        return result

    for label, part, target50, target99 in (("webnews", "text", "≤ 1 ms", "≤ 3 ms"), ("100k gallery", "text_big", "", "≤ 5 ms")):
        t = new[part]
        row(f"text query p50, ms ({label})", "p50", t["classicx_p50"], t["minimal_p50"], get(old, part, "classicx_p50"),
            f"{target50}, ≤ 1.5× minimal" if target50 else "≤ 1.5× minimal")
        row(f"text query p99, ms ({label})", "p99", t["classicx_p99"], t["minimal_p99"], get(old, part, "classicx_p99"), target99)
        row(f"text query CPU time, ms ({label})", "cpu", t["classicx_cpu"], t["minimal_cpu"], get(old, part, "classicx_cpu"),
            "≤ 1.5× minimal")
    row("batch: transform_texts, ms per text (1,000)", "", new["text"]["batch_ms_per_query"], None,
        get(old, "text", "batch_ms_per_query"), "no slower than before")
    row("batch: search_text on 100k, ms per query (1,000)", "", new["text_big"]["batch_ms_per_query"], None,
        get(old, "text_big", "batch_ms_per_query"), "no slower than before")
    i = new["image"]
    row("image query p50, ms (bare: OpenCV 1 thread)", "", i["classicx_p50"], i["bare_p50"], get(old, "image", "classicx_p50"),
        "≤ 1.2× bare")
    row("image query p99, ms", "", i["classicx_p99"], i["bare_p99"], get(old, "image", "classicx_p99"))
    row("image query CPU time, ms", "", i["classicx_cpu"], i["bare_cpu"], get(old, "image", "classicx_cpu"), "≤ 1.2× bare")
    row(f"bare image work p50, ms, OpenCV default ({i['opencv_threads_default']} threads)", "", i["bare_default_threads_p50"])
    row("model load, s (fresh process, imports of its estimators' modules included)", "", new["load"], None,
        get(old, "load"))
    if "load_warm" in new:
        row("model load, s (modules imported: a second load in the process)", "", new["load_warm"], None,
            get(old, "load_warm"), "≤ 0.1 s")
    c = new["cli"]
    row("`classicx search --text` end to end, s", "", c["cli_s"], c["import_numpy_sklearn_s"], get(old, "cli", "cli_s"))
    row("… minus `python -c \"import numpy, sklearn\"`, s", "", c["over_s"], None, get(old, "cli", "over_s"), "≤ 0.5 s")
    lines = [
        f"Machine load: {r['machine_load_before']} at the start, {r['machine_load_after']} at the end; the "
        "machine is shared by other jobs, so every figure is the median of several alternating rounds "
        "(p50/p99 within a round, median over rounds). Wall-clock times of a few milliseconds on a machine "
        "with ten times more runnable processes than cores mostly measure the scheduler; the CPU-time rows "
        "(median CPU time of the process per query) measure the work and give the fairer ratios.",
        "",
        common.markdown_table(rows, ["measure", "classicx now", "minimal / bare", "now / minimal", "classicx before",
                                     "now / before", "target"]),
        "",
        f"Top-10 of the minimal path equal to classicx's: {new['text']['same_top10']} webnews queries, "
        f"{new['text_big']['same_top10']} on the 100k gallery (a difference is a near-tie: the minimal path "
        "projects in float64 with the projections folded, classicx projects step by step).",
    ]
    if old:
        lines.append(f"Top-10 of 20 webnews queries equal to the classicx before: {r['same_top10_as_old']}/20.")
    lines.append(_NOTES)
    return "\n".join(lines)


_NOTES = """
How to read these numbers. Wall-clock times of a few milliseconds measure the scheduler as much as the
work when the machine runs more jobs than it has cores: the CPU-time rows (median CPU time of the
process per query) measure the work, and the ratios to the minimal path and to the bare image work,
measured in the same process, are the fair comparison. The command-line rows run with bytecode caches
on, as for an installed package. The top-10 agreement rows check that the faster path ranks as the
minimal path and as the classicx before do (`--old-root`: a checkout before issue #15, e.g.
`git archive 2a30292`)."""


if __name__ == "__main__":
    sys.exit(main())
