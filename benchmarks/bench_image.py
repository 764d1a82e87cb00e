"""Image features: speed, memory, caching and retrieval quality on a Wikipedia-layout dataset.

Parts (``--parts``, default all):

``speed``
    On the same images, in one run: the bare OpenCV ``detectAndCompute``
    loop (the floor; with one OpenCV thread and with OpenCV's default of
    one thread per core), classicx ``BagOfVisualWords`` with ``n_jobs=1``
    and ``n_jobs=2``, and OpenCV's ``BOWKMeansTrainer`` +
    ``BOWImgDescriptorExtractor`` (run with OpenCV 4.x in another
    interpreter, ``--opencv4-python``, since OpenCV 5 removed these
    classes), all SIFT with at most 1000 keypoints and 512 words.
``memory``
    Peak resident memory of ``BagOfVisualWords.fit_transform`` on 2,000 and
    20,000 images (the collection replicated), each in a fresh process.
``cache``
    Two vocabularies fitted on the same images with a descriptor cache:
    the second run's time against the first.
``quality``
    MAP image->text and text->image on the test split for each encoding,
    with character-bigram TF-IDF + LSA(200) texts and regularised CCA whose
    hyperparameters are chosen by 3-fold cross-validation on the training
    split only.

Usage::

    python -m benchmarks.bench_image [--data ../shared/data/webnews] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

MAX_KEYPOINTS = 1000
N_WORDS = 512
SAMPLE_SIZE = 100_000
TEXT_DIMS = 200  # LSA dimensions of the text side in the quality part
# Fewer keypoints keep the 20,000-image memory run short; memory does not depend on them.
MEMORY_KEYPOINTS = 300

# Run by the OpenCV 4.x interpreter: the same protocol as classicx, with OpenCV's BOW classes.
OPENCV4_PEER = r'''
import json, sys, time
import cv2, numpy as np
args = json.load(open(sys.argv[1]))
paths, n_words, sample_size, max_kp = args["paths"], args["n_words"], args["sample_size"], args["max_keypoints"]
cv2.setNumThreads(args["threads"])
cv2.setRNGSeed(0)
rng = np.random.default_rng(0)
sift = cv2.SIFT_create(nfeatures=max_kp)
read = lambda p: cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_GRAYSCALE)
out = {"opencv_version": cv2.__version__}
t = time.perf_counter()
for p in paths:
    sift.detectAndCompute(read(p), None)
out["bare"] = time.perf_counter() - t
# fit: descriptors of random images until 3 x sample_size were seen, a random sample_size of them clustered
t = time.perf_counter()
seen = []
n_seen = 0
for i in rng.permutation(len(paths)):
    _, d = sift.detectAndCompute(read(paths[i]), None)
    if d is not None:
        seen.append(d)
        n_seen += len(d)
    if n_seen >= 3 * sample_size:
        break
pool = np.vstack(seen)
trainer = cv2.BOWKMeansTrainer(n_words, (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, 20, 1e-3), 1,
                               cv2.KMEANS_PP_CENTERS)
trainer.add(pool[rng.choice(len(pool), min(sample_size, len(pool)), replace=False)])
vocabulary = trainer.cluster()
out["fit"] = time.perf_counter() - t
bow = cv2.BOWImgDescriptorExtractor(sift, cv2.BFMatcher(cv2.NORM_L2))
bow.setVocabulary(vocabulary)
t = time.perf_counter()
for p in paths:
    img = read(p)
    kp = sift.detect(img, None)
    if kp:
        bow.compute(img, kp)
out["transform"] = time.perf_counter() - t
print(json.dumps(out))
'''


def load_splits(data: Path):
    from classicx.datasets import load_wikipedia_layout

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 7 pairs whose image is missing are skipped and counted
        ds = load_wikipedia_layout(data, on_error="skip")
    return ds


def bare_loop(paths: list[str], threads: int) -> float:
    """The floor: read and detectAndCompute every image, OpenCV with ``threads`` threads (0 = its default)."""
    previous = cv2.getNumThreads()
    if threads:
        cv2.setNumThreads(threads)
    try:
        sift = cv2.SIFT_create(nfeatures=MAX_KEYPOINTS)
        t = time.perf_counter()
        for p in paths:
            sift.detectAndCompute(cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_GRAYSCALE), None)
        return time.perf_counter() - t
    finally:
        cv2.setNumThreads(previous)


def bovw(n_words: int = N_WORDS, cache: str | None = None, **kw):
    """The SIFT bag of words of the speed and cache parts."""
    from classicx.image import BagOfVisualWords, KMeansVocabulary, LocalDescriptors

    return BagOfVisualWords(LocalDescriptors("sift", max_keypoints=MAX_KEYPOINTS, cache=cache),
                            KMeansVocabulary(n_words, sample_size=SAMPLE_SIZE), verbose=False, random_state=0, **kw)


def part_speed(paths: list[str], opencv4: str | None) -> tuple[str, list[dict]]:
    load_before = common.machine_load()
    cores = os.cpu_count()
    records = []
    # Order: one-thread floor, n_jobs=1, n_jobs=2, all-cores floor; every ratio reported is of two
    # adjacent runs, since the machine's speed drifts over minutes.
    t_bare1 = bare_loop(paths, threads=1)
    model = bovw(n_jobs=1)
    t_cx, _ = common.best_time(lambda: model.fit_transform(paths))
    t_cx2, _ = common.best_time(lambda: bovw(n_jobs=2).fit_transform(paths))
    t_bare = bare_loop(paths, threads=0)
    t_fit, _ = common.best_time(lambda: model.fit(paths))
    t_tr, _ = common.best_time(lambda: model.transform(paths))
    records.append({"method": "OpenCV detectAndCompute loop, 1 thread", "cores": 1, "fit": None,
                    "transform": None, "total": t_bare1, "floor": t_bare1})
    records.append({"method": "classicx BagOfVisualWords n_jobs=1", "cores": 1, "fit": t_fit,
                    "transform": t_tr, "total": t_cx, "floor": t_bare1})
    records.append({"method": f"OpenCV detectAndCompute loop, default threads ({cv2.getNumThreads()})",
                    "cores": cores, "fit": None, "transform": None, "total": t_bare, "floor": t_bare})
    records.append({"method": "classicx BagOfVisualWords n_jobs=2", "cores": 2, "fit": None,
                    "transform": None, "total": t_cx2, "floor": t_bare})
    peer = None
    if opencv4:
        with tempfile.TemporaryDirectory() as tmp:
            arg = Path(tmp) / "args.json"
            script = Path(tmp) / "peer.py"
            arg.write_text(json.dumps({"paths": paths, "n_words": N_WORDS, "sample_size": SAMPLE_SIZE,
                                       "max_keypoints": MAX_KEYPOINTS, "threads": 1}))
            script.write_text(OPENCV4_PEER)
            run = subprocess.run([opencv4, str(script), str(arg)], capture_output=True, text=True, check=True)
            peer = json.loads(run.stdout.strip().splitlines()[-1])
        records.append({"method": f"OpenCV {peer['opencv_version']} detectAndCompute loop, 1 thread", "cores": 1,
                        "fit": None, "transform": None, "total": peer["bare"], "floor": t_bare1})
        records.append({"method": f"OpenCV {peer['opencv_version']} BOWKMeansTrainer + BOWImgDescriptorExtractor, "
                        "1 thread", "cores": 1, "fit": peer["fit"], "transform": peer["transform"],
                        "total": peer["fit"] + peer["transform"], "floor": t_bare1})
    load_after = common.machine_load()
    for r in records:
        r["ratio_to_floor"] = r["total"] / r.pop("floor")
    lines = [
        f"{len(paths)} webnews images, SIFT (at most {MAX_KEYPOINTS} keypoints), {N_WORDS} words, "
        f"vocabulary from a sample of {SAMPLE_SIZE:,} descriptors (both libraries: descriptors of random "
        "images until 3x that many were seen). Times in seconds; `total` for classicx is one "
        "`fit_transform` call (each next to the floor it is compared with); `fit` and `transform` "
        "are separate calls of the `n_jobs=1` model.",
        "",
        "OpenCV's SIFT uses a thread per core by default. classicx's `n_jobs` is the core budget (extraction "
        "in `n_jobs` threads with one OpenCV and one BLAS thread each, `n_jobs` BLAS threads for k-means), so each classicx "
        "row is compared with the floor that uses the same cores: `n_jobs=1` with the one-thread loop, "
        "`n_jobs=2` with OpenCV's default (all cores). The OpenCV 4 peer runs with one thread and is compared "
        "with the one-thread floor.",
        "",
        common.markdown_table(records, ["method", "cores", "fit", "transform", "total", "ratio_to_floor"]),
        "",
        f"- classicx BoVW end to end, `n_jobs=1` / one-thread detectAndCompute loop: **{t_cx / t_bare1:.2f}x** "
        "(target <= 1.15x).",
        f"- classicx BoVW end to end, `n_jobs=2` / default-threads detectAndCompute loop: "
        f"**{t_cx2 / t_bare:.2f}x** (target <= 1.15x).",
        f"- classicx `n_jobs=2` speed-up over `n_jobs=1`: **{t_cx / t_cx2:.2f}x** (target >= 1.7x).",
    ]
    if peer:
        lines.append(
            f"- encoding (transform of the fitted model, extraction included, both one thread): classicx "
            f"{t_tr:.1f} s vs OpenCV BOWImgDescriptorExtractor {peer['transform']:.1f} s "
            f"(**{peer['transform'] / t_tr:.2f}x** in classicx's favour when > 1). OpenCV's Python API takes an "
            "image and keypoints, so it describes each image with a separate detect() and compute(); classicx "
            "detects and describes in one call."
        )
        lines.append(
            f"- vocabulary: classicx fit (sampling pass + MiniBatchKMeans) {t_fit:.1f} s vs BOWKMeansTrainer "
            f"(sampling pass + cv2.kmeans, k-means++, 1 attempt, <= 20 iterations) {peer['fit']:.1f} s, both on "
            "the same-size sample, one thread."
        )
    else:
        lines.append("- OpenCV 4.x peer not run (no `--opencv4-python` interpreter given).")
    lines.append(f"- Machine: {load_before} before, {load_after} after.")
    return "\n".join(lines), records


def _memory_job(job: dict) -> dict:
    """Run in a fresh process (a worker): fit_transform on ``job["n"]`` images."""
    n, n_jobs = job["n"], job["n_jobs"]
    ds = load_splits(Path(job["data"]))
    base = ds.train.images + ds.test.images
    paths = [base[i % len(base)] for i in range(n)]
    from classicx.image import (
        BagOfVisualWords,
        BinaryKMeansVocabulary,
        LocalDescriptors,
    )

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = BagOfVisualWords(
            LocalDescriptors("orb", max_keypoints=MEMORY_KEYPOINTS),
            BinaryKMeansVocabulary(N_WORDS, sample_size=SAMPLE_SIZE),
            verbose=False,
            random_state=0,
            n_jobs=n_jobs,
        ).fit_transform(paths)
    return {"seconds": time.perf_counter() - t, "output_mb": X.nbytes / 2**20}


def _memory_growth(records: list[dict]) -> str:
    """One line per n_jobs: peak growth from the smallest to the largest size, next to the output's growth."""
    lines = []
    for n_jobs in sorted({r["n_jobs"] for r in records}):
        rows = sorted((r for r in records if r["n_jobs"] == n_jobs), key=lambda r: r["n"])
        small, large = rows[0], rows[-1]
        lines.append(
            f"- `n_jobs={n_jobs}`: {large['n']:,} images peak {large['peak_mb'] - small['peak_mb']:+.1f} MB over "
            f"{small['n']:,} images, while the returned matrix alone grows by "
            f"{large['output_mb'] - small['output_mb']:+.1f} MB."
        )
    return "\n".join(lines)


def part_memory(data: Path, sizes: list[int]) -> tuple[str, list[dict]]:
    records = []
    for n_jobs in (1, 2):
        for n in sizes:
            record = common.run_worker(__file__, {"n": n, "n_jobs": n_jobs, "data": str(data)})
            if record.pop("status") != "ok":
                raise RuntimeError(f"memory worker for {n} images, n_jobs={n_jobs}: {record}")
            records.append({k: record[k] for k in ("n", "n_jobs", "peak_mb", "seconds", "output_mb")})
    body = (
        f'Peak resident memory (ru_maxrss) of one process running `BagOfVisualWords(LocalDescriptors("orb", '
        f"max_keypoints={MEMORY_KEYPOINTS}), BinaryKMeansVocabulary({N_WORDS}, sample_size={SAMPLE_SIZE}))"
        ".fit_transform` with `n_jobs=1` and with "
        "`n_jobs=2` (extraction threads with a bounded look-ahead) on the webnews "
        "images replicated to each size (ORB and few keypoints keep the 20,000-image run short; the streaming "
        "code path is the same for every descriptor). `output_mb` is the returned float32 matrix, which "
        "necessarily grows with the number of images. The process imports all of classicx (scikit-learn, "
        "gensim, OpenCV), which accounts for a fixed part of the peak.\n\n"
        + common.markdown_table(records, ["n", "n_jobs", "peak_mb", "output_mb", "seconds"])
        + "\n\n" + _memory_growth(records)
        + f"\n\nMachine at the end: {common.machine_load()} (seconds are wall-clock on a shared machine)."
    )
    return body, records


def part_cache(paths: list[str]) -> tuple[str, list[dict]]:
    records = []
    with tempfile.TemporaryDirectory() as cache:
        for run, words in (("first (cold cache)", 256), ("second (warm cache, other vocabulary)", 512)):
            t = time.perf_counter()
            bovw(n_words=words, cache=cache, n_jobs=1).fit_transform(paths)
            records.append({"run": run, "n_words": words, "seconds": time.perf_counter() - t})
    t = time.perf_counter()
    bovw(n_words=512, n_jobs=1).fit_transform(paths)
    records.append({"run": "same as second, no cache", "n_words": 512, "seconds": time.perf_counter() - t})
    body = (
        f"{len(paths)} images, SIFT, `cache=<dir>` (joblib.Memory keyed on descriptor parameters and file "
        f"path/size/mtime). Second run / first run: **{records[1]['seconds'] / records[0]['seconds']:.2f}**.\n\n"
        + common.markdown_table(records, ["run", "n_words", "seconds"])
        + f"\n\nMachine at the end: {common.machine_load()} (wall-clock seconds on a shared machine)."
    )
    return body, records


def encodings(cache: str, quick: bool) -> dict:
    from sklearn.pipeline import FeatureUnion

    from classicx.image import (
        VLAD,
        BagOfVisualWords,
        ColorHistogram,
        FisherVector,
        LocalDescriptors,
        SpatialPyramid,
    )

    words = 128 if quick else N_WORDS
    gaussians = 16 if quick else 64
    settings = dict(verbose=False, random_state=0, n_jobs=2)
    # One descriptor object per kind: the encodings share its settings (and the descriptor cache).
    rootsift = LocalDescriptors("rootsift", max_keypoints=MAX_KEYPOINTS, cache=cache)
    opponent = LocalDescriptors("rootsift", max_keypoints=MAX_KEYPOINTS, color="opponent", cache=cache)
    orb = LocalDescriptors("orb", max_keypoints=MAX_KEYPOINTS, cache=cache)
    dense = LocalDescriptors("dense_sift", max_keypoints=3000, dense_step=8, dense_sizes=(16, 32), cache=cache)
    return {
        "BoVW RootSIFT 512, hard, L2 (reference)": BagOfVisualWords(rootsift, words, **settings),
        "BoVW RootSIFT 512, tf-idf, Hellinger": BagOfVisualWords(
            rootsift, words, idf=True, normalize="hellinger", **settings
        ),
        "BoVW RootSIFT 512, soft (kernel codebook), L2": BagOfVisualWords(
            rootsift, words, assignment="soft", **settings
        ),
        "Spatial pyramid RootSIFT 512 x (1+4+16), Hellinger": SpatialPyramid(
            rootsift, words, normalize="hellinger", **settings
        ),
        "VLAD RootSIFT 64 words, intra + power + L2": VLAD(rootsift, 16 if quick else 64, **settings),
        "Fisher RootSIFT 64 Gaussians, PCA 64, power + L2": FisherVector(rootsift, gaussians, **settings),
        "BoVW RootSIFT 512 Hellinger + HSV histogram": FeatureUnion(
            [
                ("bovw", BagOfVisualWords(rootsift, words, normalize="hellinger", **settings)),
                ("hsv", ColorHistogram(verbose=False, n_jobs=2)),
            ]
        ),
        "BoVW ORB 512 (Hamming k-majority), Hellinger": BagOfVisualWords(
            orb, words, normalize="hellinger", **settings
        ),
        "BoVW opponent RootSIFT 512, Hellinger": BagOfVisualWords(
            opponent, words, normalize="hellinger", **settings
        ),
        "BoVW dense SIFT 512, Hellinger": BagOfVisualWords(dense, words, normalize="hellinger", **settings),
        "Fisher dense SIFT 64 Gaussians, PCA 64, power + L2": FisherVector(dense, gaussians, **settings),
    }


def part_quality(ds, quick: bool, cache: str, title: str) -> tuple[str, list[dict]]:
    import sklearn
    from sklearn.model_selection import GridSearchCV, KFold

    from classicx.metrics import evaluate_retrieval, relevance_from_labels
    from classicx.model_selection import retrieval_map_scorer
    from classicx.subspace import RegularizedCCA
    from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

    train, test = ds.train, ds.test
    if quick:
        train, test = train.subset(list(range(300))), test.subset(list(range(100)))
    chars = TfidfFeatures(tokenizer=Tokenizer(segmenter="char"))
    lsa = TfidfLSA(n_components=TEXT_DIMS, tfidf=chars, random_state=0, verbose=False)
    T_train = lsa.fit_transform(train.texts)
    T_test = lsa.transform(test.texts)
    grid = {"n_components": [10, 20, 40, 80, 160], "reg": [0.1, 0.5, 0.9], "weight_power": [4.0]}
    relevance = relevance_from_labels(test.labels, test.labels)
    chance = float(relevance.mean())
    records = []
    for name, encoder in encodings(cache, quick).items():
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            I_train = encoder.fit_transform(train.images)
            I_test = encoder.transform(test.images)
        t_feat = time.perf_counter() - t
        with sklearn.config_context(enable_metadata_routing=True):
            search = GridSearchCV(RegularizedCCA(), grid, scoring=retrieval_map_scorer(),
                                  cv=KFold(3, shuffle=True, random_state=0), n_jobs=1)
            search.fit(I_train, T_train, labels=train.labels)
        cca = search.best_estimator_
        # float32 ranking, as the exact searcher by default (the precision these tables were made with)
        report = evaluate_retrieval(*cca.transform(I_test, T_test), test.labels, metric="cosine", dtype="float32")
        row = {"encoding": name, "dim": I_train.shape[1],
               "image_to_text": report.map_image_to_text, "text_to_image": report.map_text_to_image}
        row["cv_map"] = float(search.best_score_)
        row["cca"] = ", ".join(f"{k}={v}" for k, v in sorted(search.best_params_.items()))
        row["feature_s"] = t_feat
        records.append(row)
        print(row, flush=True)
        if not quick:  # the table grows as encodings finish, so a long run leaves partial results
            common.write_section("image-quality", title, _quality_body(train, test, grid, chance, records))
    return _quality_body(train, test, grid, chance, records), records


def _quality_body(train, test, grid: dict, chance: float, records: list[dict]) -> str:
    return (
        f'Train {len(train)} / test {len(test)} pairs. Texts: `TfidfLSA(n_components={TEXT_DIMS}, '
        'tfidf=TfidfFeatures(tokenizer=Tokenizer(segmenter="char")))` (characters + character bigrams). '
        "Aligner: `RegularizedCCA`, its `n_components`, `reg` and "
        f"`weight_power` chosen from {grid} by 3-fold cross-validation on the training pairs only (score: mean of "
        "the two MAPs, category relevance); encoders are fitted on the training images only and their own "
        "settings are fixed by convention, not tuned. MAP over the full test ranking, cosine similarity. "
        f"Chance MAP ~ {chance:.3f} (share of relevant pairs).\n\n"
        + common.markdown_table(
            records, ["encoding", "dim", "image_to_text", "text_to_image", "cv_map", "cca", "feature_s"]
        )
        + "\n\n`cv_map`: the best cross-validated training MAP; `feature_s`: seconds to fit and encode (descriptors "
        "come from a cache shared by the encodings with the same descriptor settings)."
        + "\n\n" + _quality_reading(records, grid)
    )


def _quality_reading(records: list[dict], grid: dict) -> str:
    """Plain-words comparison of every encoding with the reference row (first record)."""
    if len(records) < 2:
        return "Only the reference encoding has finished so far."
    ref = records[0]
    ref_mean = (ref["image_to_text"] + ref["text_to_image"]) / 2

    def delta(r: dict) -> str:
        return f"{r['encoding']} ({r['image_to_text'] - ref['image_to_text']:+.3f} / {r['text_to_image'] - ref['text_to_image']:+.3f})"

    groups: dict[str, list[str]] = {"clearly better (mean MAP +0.02 or more)": [], "slightly better": [],
                                    "within 0.01": [], "worse": []}
    for r in records[1:]:
        d = (r["image_to_text"] + r["text_to_image"]) / 2 - ref_mean
        key = ("clearly better (mean MAP +0.02 or more)" if d >= 0.02 else "slightly better" if d > 0.01
               else "within 0.01" if d >= -0.01 else "worse")
        groups[key].append(delta(r))
    lines = ["Against the reference row (MAP differences image->text / text->image):"]
    lines += [f"- {key}: {', '.join(items)}." for key, items in groups.items() if items]
    edge = [r["encoding"] for r in records if f"n_components={max(grid['n_components'])}" in r["cca"]]
    if edge:
        lines.append(
            f"- CV chose the largest `n_components` of the grid ({max(grid['n_components'])}; the text features "
            f"have {TEXT_DIMS} dimensions) for: {', '.join(edge)}."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=common.DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="small smoke run; RESULTS.md is not written")
    parser.add_argument("--json", type=Path, help="also write every record as JSON")
    parser.add_argument("--parts", default="speed,memory,cache,quality")
    parser.add_argument(
        "--opencv4-python",
        default=os.environ.get("OPENCV4_PYTHON"),
        help="interpreter with opencv-python-headless 4.x for the BOW peer",
    )
    parser.add_argument(
        "--speed-images", type=int, default=None, help="use only the first N images for speed"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        common.worker_main(_memory_job, args.worker)
        return
    ds = load_splits(args.data)
    paths = ds.train.images + ds.test.images
    if args.quick:
        paths = paths[:100]
    parts = args.parts.split(",")
    cache = tempfile.mkdtemp(prefix="classicx-bench-cache-")
    runners = {
        "quality": (
            "Image features: retrieval quality per encoding (webnews)",
            lambda: part_quality(ds, args.quick, cache, runners["quality"][0]),
        ),
        "cache": (
            "Image features: descriptor cache",
            lambda: part_cache(paths[: (60 if args.quick else 300)]),
        ),
        "memory": (
            "Image features: peak memory, 2,000 vs 20,000 images",
            lambda: part_memory(args.data, [200, 2000] if args.quick else [2000, 20000]),
        ),
        "speed": (
            "Image features: speed, classicx vs OpenCV",
            lambda: part_speed(paths[: args.speed_images], args.opencv4_python),
        ),
    }
    all_records = {}
    for part in parts:
        title, run = runners[part]
        gc.collect()
        body, records = run()
        all_records[part] = records
        if part == "speed":
            body = (
                "OpenCV 5 removed `BOWKMeansTrainer`/`BOWImgDescriptorExtractor`; the OpenCV peer runs in a "
                "second interpreter with `opencv-python-headless` 4.x (`--opencv4-python`, e.g. a venv made with "
                "`python -m venv /tmp/cv4 && /tmp/cv4/bin/pip install 'opencv-python-headless<5'`).\n\n"
                + body
            )
        print(f"## {title}\n\n{body}\n", flush=True)
        if not args.quick:
            common.write_section(f"image-{part}", title, body)
    if args.json:
        common.write_json(args.json, [dict(part=k, **r) for k, rs in all_records.items() for r in rs])


if __name__ == "__main__":
    main()
