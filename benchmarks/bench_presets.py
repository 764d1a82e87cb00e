"""How the presets were chosen, and what each costs: candidate pipelines on three kinds of data (issue #11).

Usage::

    python -m benchmarks.bench_presets [--collections webnews,synthetic,icons] [--data DIR]
                                       [--part candidates,presets,cv] [--presets NAMES] [--budget 10m]
                                       [--jobs N] [--cache-dir DIR]
                                       [--quick] [--json PATH] [--no-results] [--results PATH]

Collections, of three different kinds:

``webnews``
    news photos with Chinese texts, 10 categories (``DIR``, default
    ``../shared/data/webnews``; pairs whose image is missing are dropped).
``synthetic``
    the built-in rendered shape scenes with English captions
    (``classicx.datasets.load_synthetic``, 600 training / 200 test pairs, as
    ``classicx demo``); the category is the shape, the colour is random.
``icons``
    small (48x48) colour icons rendered here, 9 categories (sun, heart,
    house, tree, fish, key, cup, umbrella, car) with short English names
    ("small orange sun icon", "weather: sunny"); colour is informative, as in
    real icon sets (half the trees are green, half the hearts red or pink), but not
    decisive; textured backgrounds with clutter, rotation, pixel noise; one name
    in five says nothing ("icon 17") and one in ten names another class.
    540 training / 180 test pairs.

Part ``candidates``: every image and text spec is computed once per
collection (encoders fitted on the training split only) and cached in
``--cache-dir`` (default: the system temporary folder; local descriptors
too, and a concatenation is assembled from its parts' cached features), then each aligner spec
is fitted on the training features (with labels) and evaluated on the test
split: MAP over the full ranking of the other modality, relevant = same
category, ranked as the presets rank: inner product for the supervised
aligners (their outputs are class posteriors), cosine otherwise. Every hyperparameter is
fixed by the spec (the values come from cross-validation on webnews' training
split in ``bench_learners.py``); nothing is tuned on a test split.

Part ``cv`` (not run by default; needs ``--images``, ``--texts`` and ``--aligners``): every combination
scored by 3-fold cross-validation on the training split (the folds and the score of ``preset="auto"``)
and on the test split; the best CV MAP of each collection is marked ``chosen``, so a preset can be
chosen without looking at the test split. Semantic matching's per-view classifiers are fitted once per exact
input and shared by the rows that differ only in the other view (``shared_classifiers``: the same numbers);
sparse features (``tfidf``) are cached and passed on as CSR.

Part ``presets``: each preset (and the previous default, for reference) as a
user gets it: ``CrossModalRetriever(preset=...)`` fitted from scratch (no
cache) with ``n_jobs``, then evaluated; fit seconds per 1,000 pairs, query
latency (p50/p99 of single text and single image queries against a gallery of
the training set), model size on disk. ``--presets auto`` fits ``preset="auto"``
with ``time_budget=--budget`` (its fit seconds include the cross-validation;
its leaderboard is kept in the JSON row); with ``--classical-only`` it tries the classical candidates
only (``AUTO_CANDIDATES``), as for a user without the ``cnn`` and ``deep-text`` extras. ``fit_cpu_s`` counts this process and
its joblib worker processes.

Results go to ``benchmarks/RESULTS.md`` (section ``presets``) unless
``--no-results`` or ``--quick`` (subsampled pairs; a smoke test).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from classicx import CrossModalRetriever
from classicx.datasets import load_synthetic, load_wikipedia_layout
from classicx.metrics import evaluate_retrieval
from classicx.presets import PRESETS
from classicx.spec import build, to_spec

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "classicx-bench-presets"
COLLECTIONS = ("webnews", "synthetic", "icons")
# The default of classicx 0.2.0, for reference: what `classicx fit` gave before the presets.
PREVIOUS_DEFAULT = ("bovw(sift,256)", "lsa(100)", "cca(32,reg=0.3,weight_power=4.0)")
SM = "sm(balanced,C=10.0,standardize=false)"
IMAGE_SPECS = ("bovw(sift,256)", "bovw(sift,256)+0.5*hsv", "fisher(rootsift,64)", "fisher(rootsift,64)+0.5*hsv")
ALIGNERS = (
    "cca(32,reg=0.3,weight_power=4.0)",
    "cca(16,reg=0.6,weight_power=4.0)",
    SM,
    "sm(balanced,C=1.0,standardize=false)",
    "scm(cca(64,reg=0.3,weight_power=4.0),sm(balanced,C=10.0,standardize=false))",
)


# ---------------------------------------------------------------------------- icons
ICON_CLASSES = ("sun", "heart", "house", "tree", "fish", "key", "cup", "umbrella", "car")
_ICON_COLOURS = {  # BGR; the first colours of each class are its usual ones
    "red": (40, 40, 220), "pink": (180, 130, 250), "orange": (30, 140, 245), "yellow": (40, 220, 235),
    "green": (60, 170, 50), "blue": (210, 80, 30), "brown": (40, 80, 130), "grey": (128, 128, 128),
    "purple": (160, 50, 130),
}
_USUAL = {
    "sun": ("yellow", "orange"), "heart": ("red", "pink"), "house": ("brown", "red"), "tree": ("green",),
    "fish": ("blue", "orange"), "key": ("yellow", "grey"), "cup": ("brown", "blue"),
    "umbrella": ("purple", "blue", "red"), "car": ("red", "blue", "grey"),
}
_NAMES = {
    "sun": ("sun", "sunny weather", "sunshine"), "heart": ("heart", "love", "favourite"),
    "house": ("house", "home", "building"), "tree": ("tree", "forest", "nature"),
    "fish": ("fish", "aquarium", "sea animal"), "key": ("key", "lock", "password"),
    "cup": ("cup", "coffee", "mug"), "umbrella": ("umbrella", "rain", "rainy weather"),
    "car": ("car", "vehicle", "traffic"),
}


def _draw_icon(cv2, canvas, kind: str, colour, c: float, s: float) -> None:
    """One icon drawn with OpenCV primitives, centre ``c`` pixels, scale ``s`` (1 = the full 48 px)."""
    def p(x, y):
        return (int(c + s * x), int(c + s * y))

    if kind == "sun":
        cv2.circle(canvas, p(0, 0), int(9 * s), colour, -1)
        for a in np.linspace(0, 2 * np.pi, 8, endpoint=False):
            cv2.line(canvas, p(13 * np.cos(a), 13 * np.sin(a)), p(19 * np.cos(a), 19 * np.sin(a)), colour, 2)
    elif kind == "heart":
        cv2.circle(canvas, p(-7, -5), int(8 * s), colour, -1)
        cv2.circle(canvas, p(7, -5), int(8 * s), colour, -1)
        cv2.fillPoly(canvas, [np.array([p(-15, -2), p(15, -2), p(0, 16)])], colour)
    elif kind == "house":
        cv2.rectangle(canvas, p(-12, -2), p(12, 16), colour, -1)
        cv2.fillPoly(canvas, [np.array([p(-16, -2), p(16, -2), p(0, -17)])], colour)
        cv2.rectangle(canvas, p(-3, 6), p(3, 16), (255, 255, 255), -1)
    elif kind == "tree":
        cv2.rectangle(canvas, p(-3, 6), p(3, 18), (40, 80, 130), -1)
        cv2.circle(canvas, p(0, -4), int(13 * s), colour, -1)
    elif kind == "fish":
        cv2.ellipse(canvas, p(-3, 0), (int(13 * s), int(8 * s)), 0, 0, 360, colour, -1)
        cv2.fillPoly(canvas, [np.array([p(8, 0), p(18, -9), p(18, 9)])], colour)
        cv2.circle(canvas, p(-9, -2), max(1, int(2 * s)), (255, 255, 255), -1)
    elif kind == "key":
        cv2.circle(canvas, p(-10, 0), int(7 * s), colour, 3)
        cv2.line(canvas, p(-3, 0), p(17, 0), colour, 3)
        cv2.line(canvas, p(12, 0), p(12, 6), colour, 3)
        cv2.line(canvas, p(17, 0), p(17, 6), colour, 3)
    elif kind == "cup":
        cv2.rectangle(canvas, p(-11, -10), p(7, 14), colour, -1)
        cv2.ellipse(canvas, p(10, 2), (int(6 * s), int(6 * s)), 0, -90, 90, colour, 3)
    elif kind == "umbrella":
        cv2.ellipse(canvas, p(0, 0), (int(17 * s), int(13 * s)), 0, 180, 360, colour, -1)
        cv2.line(canvas, p(0, 0), p(0, 15), (60, 60, 60), 2)
        cv2.ellipse(canvas, p(-4, 15), (int(4 * s), int(3 * s)), 0, 0, 180, (60, 60, 60), 2)
    elif kind == "car":
        cv2.rectangle(canvas, p(-17, -2), p(17, 8), colour, -1)
        cv2.rectangle(canvas, p(-9, -10), p(8, -2), colour, -1)
        for x in (-10, 10):
            cv2.circle(canvas, p(x, 9), int(4 * s), (30, 30, 30), -1)


def make_icons(n_per_class: int, seed: int = 0) -> tuple[list, list[str], np.ndarray]:
    """``n_per_class`` rendered 48x48 icons of each of :data:`ICON_CLASSES`, with short names and labels."""
    import cv2

    rng = np.random.default_rng(seed)
    images, texts, labels = [], [], []
    for label, kind in enumerate(ICON_CLASSES):
        for _ in range(n_per_class):
            background = rng.integers(0, 256, size=3)
            canvas = np.empty((48, 48, 3), np.uint8)
            canvas[:] = background
            for _ in range(rng.integers(0, 4)):  # clutter: lines and dots in random colours
                clutter = tuple(int(v) for v in rng.integers(0, 256, size=3))
                a, b = rng.integers(0, 48, size=2), rng.integers(0, 48, size=2)
                if rng.random() < 0.5:
                    cv2.line(canvas, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), clutter, 1)
                else:
                    cv2.circle(canvas, (int(a[0]), int(a[1])), int(rng.integers(2, 6)), clutter, -1)
            usual = rng.random() < 0.5
            colour_name = rng.choice(_USUAL[kind]) if usual else rng.choice(list(_ICON_COLOURS))
            scale = rng.uniform(0.6, 1.1)
            _draw_icon(cv2, canvas, kind, _ICON_COLOURS[str(colour_name)], 24 + rng.uniform(-5, 5), scale)
            angle = rng.uniform(-30, 30)
            rotation = cv2.getRotationMatrix2D((24, 24), angle, 1.0)
            canvas = cv2.warpAffine(canvas, rotation, (48, 48), borderValue=tuple(int(b) for b in background))
            noise = rng.normal(0, 14, canvas.shape)
            images.append(np.clip(canvas + noise, 0, 255).astype(np.uint8))
            size = "small " if scale < 0.8 else ("large " if scale > 1.0 else "")
            draw = rng.random()
            if draw < 0.2:  # an uninformative name, as icon files often have
                name = str(rng.choice(["icon", "symbol", "pictogram", "glyph", "clip art"])) + f" {rng.integers(100)}"
            elif draw < 0.3:  # a wrong name
                name = str(rng.choice(_NAMES[str(rng.choice(ICON_CLASSES))]))
            else:
                name = str(rng.choice(_NAMES[kind]))
            texts.append(str(rng.choice([f"{size}{colour_name} {name} icon", f"{name}", f"icon: {name}, {colour_name}",
                                         f"{colour_name} {name}"])))
            labels.append(label)
    order = rng.permutation(len(images))
    return [images[i] for i in order], [texts[i] for i in order], np.asarray(labels)[order]


# ----------------------------------------------------------------------- collections
def load_collection(name: str, data_dir: Path, quick: bool) -> dict:
    """``{"train": (images, texts, labels), "test": (...), "kind": ...}`` of one collection."""
    if name == "webnews":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = load_wikipedia_layout(data_dir, on_error="skip")
        for w in caught:
            print(f"note: {w.message}", file=sys.stderr)
        splits = [(list(s.images), list(s.texts), np.asarray(s.labels)) for s in (data.train, data.test)]
    elif name == "synthetic":
        data = load_synthetic(n_train=600, n_test=200, random_state=0)
        splits = [(list(s.images), list(s.texts), np.asarray(s.labels)) for s in (data.train, data.test)]
    elif name == "icons":
        images, texts, labels = make_icons(80, seed=0)
        cut = 540
        splits = [(images[:cut], texts[:cut], labels[:cut]), (images[cut:], texts[cut:], labels[cut:])]
    else:
        raise SystemExit(f"unknown collection {name!r}; expected one of {', '.join(COLLECTIONS)}")
    if quick:
        splits = [tuple(part[:n] for part in split) for split, n in zip(splits, (90, 45))]
    return {"train": splits[0], "test": splits[1]}


def _cache_key(collection: str, spec: str, quick: bool, data_dir: Path) -> str:
    stamp = ""
    if collection == "webnews":
        stamp = str([(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(data_dir.glob("*.list"))])
    return hashlib.sha1(json.dumps([collection, spec, quick, stamp, 1]).encode()).hexdigest()[:16]


def _with_descriptor_cache(estimator, cache: Path):
    """The same estimator with its descriptors read from a disk cache (identical features, computed once)."""
    from classicx.image import LocalDescriptors

    for key, value in list(estimator.get_params().items()):
        if key.rsplit("__", 1)[-1] == "descriptor" and isinstance(value, str):
            estimator.set_params(**{key: LocalDescriptors(value, cache=str(cache))})
    return estimator


def features(collection: str, data: dict, spec: str, stage: str, args) -> tuple[np.ndarray, np.ndarray, float]:
    """Training and test features of one spec (fitted on the training split), from the disk cache if there.

    A concatenation (``a+0.5*b|l2``) is assembled from the cached features of its parts, as
    :class:`classicx.spec.ConcatFeatures` combines them (weights, then the row norm).
    """
    from classicx.spec import ConcatFeatures

    estimator = build(spec, stage)
    if isinstance(estimator, ConcatFeatures):
        blocks = [features(collection, data, to_spec(part), stage, args) for _, part in estimator.transformers]
        weights = estimator.weights or {}
        combined = []
        for split in (0, 1):
            parts = [weights.get(name, 1.0) * block[split] for (name, _), block in zip(estimator.transformers, blocks)]
            if any(sp.issparse(part) for part in parts):
                from sklearn.preprocessing import normalize

                out = sp.hstack(parts, format="csr")
                combined.append(out if estimator.normalize is None else normalize(out, norm=estimator.normalize))
                continue
            out = np.hstack(parts)
            if estimator.normalize is not None:
                norms = np.abs(out).sum(axis=1) if estimator.normalize == "l1" else np.linalg.norm(out, axis=1)
                norms[norms == 0] = 1.0
                out = out / norms[:, None]
            combined.append(out)
        return combined[0], combined[1], sum(block[2] for block in blocks)
    path = args.cache_dir / f"{collection}-{_cache_key(collection, spec, args.quick, args.data)}.npz"
    if path.is_file():
        with np.load(path) as f:
            if "train_indptr" in f:  # sparse features (TF-IDF): CSR parts
                return (*(_csr_from(f, split) for split in ("train", "test")), float(f["seconds"]))
            return f["train"], f["test"], float(f["seconds"])
    estimator.set_params(**{k: args.jobs for k, v in estimator.get_params().items()
                            if k.rsplit("__", 1)[-1] == "n_jobs" and v is None})
    estimator.set_params(**{k: 0 for k, v in estimator.get_params().items()
                            if k.rsplit("__", 1)[-1] == "random_state" and v is None})
    estimator.set_params(**{k: False for k in estimator.get_params() if k.rsplit("__", 1)[-1] == "verbose"})
    if stage == "image":
        _with_descriptor_cache(estimator, args.cache_dir / "descriptors")
    column = 0 if stage == "image" else 1
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train = estimator.fit_transform(data["train"][column])
        test = estimator.transform(data["test"][column])
    seconds = time.perf_counter() - start
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"  {collection}: {stage} {spec}: {np.shape(train)[1]}-d in {seconds:.0f} s", flush=True)
    if sp.issparse(train):  # kept sparse (a TF-IDF matrix has ~10^5 columns): the aligner decides what to do
        train, test = (sp.csr_matrix(m, dtype=np.float64) for m in (train, test))
        np.savez(path, seconds=seconds, **{f"{split}_{part}": value for split, m in (("train", train), ("test", test))
                                           for part, value in (("data", m.data), ("indices", m.indices),
                                                               ("indptr", m.indptr), ("shape", np.array(m.shape)))})
        return train, test, seconds
    np.savez(path, train=np.asarray(train, np.float64), test=np.asarray(test, np.float64), seconds=seconds)
    return np.asarray(train, np.float64), np.asarray(test, np.float64), seconds


def _csr_from(f, split: str) -> sp.csr_matrix:
    """The CSR matrix ``features`` saved as its parts under ``split_data`` etc."""
    return sp.csr_matrix((f[f"{split}_data"], f[f"{split}_indices"], f[f"{split}_indptr"]),
                         shape=tuple(f[f"{split}_shape"]))


def ranking_metric(aligner) -> str:
    """The presets' rule: inner product for a supervised aligner (class posteriors), cosine otherwise."""
    from classicx.retriever import _consumes_labels

    return "inner_product" if _consumes_labels(aligner) else "cosine"


def score_aligner(spec: str, X, Y, labels, X_test, Y_test, labels_test) -> tuple[float, float, float]:
    aligner = build(spec, "aligner")
    metric = ranking_metric(aligner)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aligner.fit(X, Y, labels=labels)
    seconds = time.perf_counter() - start
    report = evaluate_retrieval(aligner.transform(X_test), aligner.transform_y(Y_test), labels_test, metric=metric)
    return report.map_image_to_text, report.map_text_to_image, seconds


def candidate_grid(args) -> list[tuple[str, str, str]]:
    """(image, text, aligner) triples: every aligner on every image spec with the first text spec, then the
    other text specs with semantic matching on the last image spec."""
    images = args.images or (IMAGE_SPECS[:2] if args.quick else IMAGE_SPECS)
    texts = args.texts or ("lsa(200)|l2", "lsa(100)", "lsa(100)|l2", "lsa(500)|l2")
    aligners = args.aligners or (ALIGNERS[:3] if args.quick else ALIGNERS)
    grid = [(PREVIOUS_DEFAULT[0], PREVIOUS_DEFAULT[1], PREVIOUS_DEFAULT[2])]
    for image in images:
        for aligner in aligners:
            grid.append((image, texts[0], aligner))
    for text in texts[1:]:
        grid.append((images[-1], text, SM))
    seen, out = set(), []
    for row in grid:
        if row not in seen:
            seen.add(row)
            out.append(row)
    return out


def run_candidates(collection: str, data: dict, args) -> list[dict]:
    rows = []
    labels, labels_test = data["train"][2], data["test"][2]
    for image, text, aligner in candidate_grid(args):
        X, X_test, image_s = features(collection, data, image, "image", args)
        Y, Y_test, text_s = features(collection, data, text, "text", args)
        i2t, t2i, align_s = score_aligner(aligner, X, Y, labels, X_test, Y_test, labels_test)
        rows.append({"collection": collection, "image": image, "text": text, "aligner": aligner, "metric": ranking_metric(build(aligner, "aligner")),
                     "image_to_text": round(i2t, 4), "text_to_image": round(t2i, 4),
                     "mean": round((i2t + t2i) / 2, 4), "feature_s": round(image_s + text_s, 1),
                     "aligner_s": round(align_s, 1)})
        print(f"{collection:9s} {image:30s} {text:12s} {aligner:45s} {i2t:.4f} {t2i:.4f} ({align_s:.1f} s)",
              flush=True)
    return rows


class shared_classifiers:
    """While active, semantic matching's logistic regressions are computed once per exact input and reused.

    Semantic matching fits one classifier per view, each on its own view only: two CV rows with the same image
    features, folds and ``C`` fit the same image classifier (lbfgs from zeros, deterministic). This memoises
    ``classicx.subspace.semantic._fit_logistic`` by a hash of its array (dense bytes, or the CSR parts), the
    labels and its settings, so that a grid over text sides pays for the image classifiers once; the results
    are those of a fresh fit (tested). Used by ``--part cv`` only.
    """

    def __enter__(self):
        from classicx.subspace import semantic

        self.module, self.original, self.memo, self.hits = semantic, semantic._fit_logistic, {}, 0

        def fit(V, labels, C, max_iter, class_weight=None):
            digest = hashlib.sha1()
            arrays = (V.data, V.indices, V.indptr) if sp.issparse(V) else (np.ascontiguousarray(V),)
            for a in (*arrays, np.ascontiguousarray(labels)):
                digest.update(str((a.dtype, a.shape)).encode())
                digest.update(a.tobytes())
            key = (digest.hexdigest(), V.shape, float(C), int(max_iter), class_weight)
            if key in self.memo:
                self.hits += 1
            else:
                self.memo[key] = self.original(V, labels, C, max_iter, class_weight)
            coef, intercept, n_iter = self.memo[key]
            return coef.copy(), intercept.copy(), n_iter

        semantic._fit_logistic = fit
        return self

    def __exit__(self, *exc):
        self.module._fit_logistic = self.original
        return False


def run_cv(collection: str, data: dict, args, on_row=lambda rows: None) -> list[dict]:
    """Every (image, text, aligner) combination of ``--images/--texts/--aligners`` scored by cross-validation on
    the training split, and on the test split; the row with the best CV MAP is marked ``chosen``.

    The folds are those of ``preset="auto"`` (3-fold, stratified by label, shuffled with seed 0), scored as
    auto scores them (MAP of both directions on the held-out fold, each aligner with its ranking metric). As
    in auto, the (unsupervised) encoders are fitted on the whole training split once and the folds share
    their features. The test columns are reported, never used to choose. ``on_row`` is called with the rows
    so far after each one.
    """
    from sklearn.model_selection import StratifiedKFold

    from classicx._autoselect import _FOLDS

    if not (args.images and args.texts and args.aligners):
        raise SystemExit("--part cv needs --images, --texts and --aligners (the grid to cross-validate)")
    labels, labels_test = data["train"][2], data["test"][2]
    folds = list(StratifiedKFold(_FOLDS, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels))
    rows = []
    with shared_classifiers():
        _cv_grid(collection, data, args, folds, rows, on_row)
    best = max(rows, key=lambda r: r["cv_mean"])
    best["chosen"] = "yes"
    return rows


def _cv_grid(collection, data, args, folds, rows, on_row) -> None:
    labels, labels_test = data["train"][2], data["test"][2]
    for image in args.images:
        X, X_test, _ = features(collection, data, image, "image", args)
        for text in args.texts:
            Y, Y_test, _ = features(collection, data, text, "text", args)
            for aligner in args.aligners:
                start = time.perf_counter()
                cv = [score_aligner(aligner, X[tr], Y[tr], labels[tr], X[te], Y[te], labels[te])[:2]
                      for tr, te in folds]
                cv_i2t, cv_t2i = (float(np.mean(v)) for v in zip(*cv))
                i2t, t2i, _ = score_aligner(aligner, X, Y, labels, X_test, Y_test, labels_test)
                rows.append({"collection": collection, "image": image, "text": text, "aligner": aligner,
                             "cv_image_to_text": round(cv_i2t, 4), "cv_text_to_image": round(cv_t2i, 4),
                             "cv_mean": round((cv_i2t + cv_t2i) / 2, 4), "image_to_text": round(i2t, 4),
                             "text_to_image": round(t2i, 4), "mean": round((i2t + t2i) / 2, 4),
                             "seconds": round(time.perf_counter() - start, 1), "chosen": ""})
                print(f"{collection:9s} cv {image:40s} {text:12s} {aligner:45s} CV {rows[-1]['cv_mean']:.4f} "
                      f"test {i2t:.4f} / {t2i:.4f}", flush=True)
                on_row(rows)


# --------------------------------------------------------------------------- presets
def _cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its child processes: the work done, which the other jobs
    on a shared machine do not inflate.

    Children count because what a fit runs through ``joblib.Parallel`` (``ColorHistogram``'s images) runs
    in loky worker processes, whose CPU time ``time.process_time`` does not see: live workers are read with
    psutil (when installed), workers that have exited and were waited for with
    ``getrusage(RUSAGE_CHILDREN)``. The sum only grows, so the difference of two readings is the work in
    between.
    """
    import resource

    total = time.process_time()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total += reaped.ru_utime + reaped.ru_stime
    try:
        import psutil  # noqa: F401
    except ImportError:  # pragma: no cover - psutil is in the dev environment; without it, no live workers
        return total
    return total + common.process_tree_cpu_seconds(os.getpid(), children_only=True)


def _directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class classical_only:
    """While active, ``preset="auto"`` has no deep candidates (``classicx._autoselect.deep_candidates`` returns
    none), as when the ``cnn`` and ``deep-text`` extras are not installed: issue #11's target for ``auto`` is
    about classical features."""

    def __enter__(self):
        from classicx import _autoselect

        self.module, self.original = _autoselect, _autoselect.deep_candidates
        _autoselect.deep_candidates = lambda texts=None: ()
        return self

    def __exit__(self, *exc):
        self.module.deep_candidates = self.original
        return False


def run_preset(collection: str, data: dict, name: str, args) -> dict:
    images, texts, labels = data["train"]
    if name == "previous default":
        model = CrossModalRetriever(*PREVIOUS_DEFAULT, searcher="exact", n_jobs=args.jobs, verbose=False,
                                    random_state=getattr(args, "seed", 0))
    else:
        budget = {"time_budget": args.budget} if name == "auto" else {}
        model = CrossModalRetriever(preset=name, n_jobs=args.jobs, verbose=False,
                                    random_state=getattr(args, "seed", 0), **budget)
    load_before = common.machine_load()
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    restrict = classical_only() if name == "auto" and getattr(args, "classical_only", False) else contextlib.nullcontext()
    with warnings.catch_warnings(), restrict:
        warnings.simplefilter("ignore")
        model.fit(images, texts, labels=labels)
    fit_s, fit_cpu_s = time.perf_counter() - start, _cpu_seconds() - cpu_start
    if name == "auto" and getattr(args, "classical_only", False):
        name = "auto (classical)"
    report = model.evaluate(*data["test"][:2], labels=data["test"][2])
    rng = np.random.default_rng(0)
    picks = rng.choice(len(data["test"][0]), size=min(args.queries, len(data["test"][0])), replace=False)
    text_ms, image_ms, text_cpu_ms, image_cpu_ms = [], [], [], []
    for i in picks:
        for search, query, wall, cpu in ((model.search_text, data["test"][1][i], text_ms, text_cpu_ms),
                                         (model.search_image, data["test"][0][i], image_ms, image_cpu_ms)):
            # A single query runs in this process: process_time, not the children's walk of _cpu_seconds.
            t, c = time.perf_counter(), time.process_time()
            search(query, k=10)
            wall.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
    with tempfile.TemporaryDirectory() as tmp:
        size = _directory_bytes(model.save(Path(tmp) / "model"))
    stages = {k: (v if isinstance(v, str) else to_spec(v)) for k, v in
              {"image_features": model.image_features, "text_features": model.text_features,
               "aligner": model.aligner}.items() if v is not None}
    stages.update(model.preset_stages_)
    row = {
        "collection": collection, "preset": name, "random_state": getattr(args, "seed", 0),
        "image_to_text": round(report.map_image_to_text, 4), "text_to_image": round(report.map_text_to_image, 4),
        "fit_s": round(fit_s, 1), "fit_s_per_1000": round(1000 * fit_s / len(images), 1),
        "fit_cpu_s": round(fit_cpu_s, 1),
        "text_query_cpu_ms_p50": round(float(np.percentile(text_cpu_ms, 50)), 2),
        "image_query_cpu_ms_p50": round(float(np.percentile(image_cpu_ms, 50)), 1),
        "text_query_ms_p50": round(float(np.percentile(text_ms, 50)), 1),
        "text_query_ms_p99": round(float(np.percentile(text_ms, 99)), 1),
        "image_query_ms_p50": round(float(np.percentile(image_ms, 50)), 1),
        "image_query_ms_p99": round(float(np.percentile(image_ms, 99)), 1),
        "model_mb": round(size / 1e6, 2), "stages": " / ".join(stages[k] for k in
                                                               ("image_features", "text_features", "aligner")),
        "load": f"{load_before} before the fit; {common.machine_load()} after the queries",
    }
    if name.startswith("auto"):  # what it tried, scored by CV on the training split, and what it kept
        row["leaderboard"] = [{k: v for k, v in e.items()} for e in model.leaderboard_]
    print(f"{collection:9s} {name:17s} {row['image_to_text']:.4f} {row['text_to_image']:.4f} fit {fit_s:.0f} s "
          f"({row['fit_s_per_1000']} s/1000) text p50 {row['text_query_ms_p50']} ms, image p50 "
          f"{row['image_query_ms_p50']} ms, {row['model_mb']} MB; load {row['load']}", flush=True)
    return row


# ---------------------------------------------------------------------------- report
HOW_CHOSEN = (
    "How the presets were chosen: the candidates are the learners that won `bench_learners.py` on webnews "
    "(semantic matching on normalised features with class weights, SCM, weighted CCA for data without "
    "labels) on the image encodings of `bench_image.py`, with their hyperparameters fixed at the values "
    "that cross-validation on webnews' training split chose there. Each was measured on three collections "
    "of different kinds (news photos with Chinese texts; rendered shapes whose colour is random; small "
    "colour icons whose colour is informative), and a preset is the cheapest candidate that is within reach "
    "of the best on all three, not the best on webnews alone: `fast` is the cheapest encoding that keeps "
    "most of the gain, `balanced` the best trade-off, `best` the highest mean MAP over the collections."
)


def preset_rows_from_candidates(candidates: list[dict]) -> list[dict]:
    """The candidate rows whose three specs are a preset's (same seeds: the preset's scores), as preset rows.

    ``fit_s`` is then the candidate's feature seconds (fitting the encoders on the training split and
    encoding both splits) plus the aligner's fit: an upper bound of the preset's fit time.
    """
    wanted = {"previous default": PREVIOUS_DEFAULT,
              **{name: (p.image_features, p.text_features, p.aligner) for name, p in PRESETS.items()}}
    rows = []
    for name, specs in wanted.items():
        for r in candidates:
            if (r["image"], r["text"], r["aligner"]) == specs:
                rows.append({"collection": r["collection"], "preset": name, "image_to_text": r["image_to_text"],
                             "text_to_image": r["text_to_image"], "fit_s": round(r["feature_s"] + r["aligner_s"], 1),
                             "load": "see the candidate table", "source": "candidates"})
    return rows


def goals(presets: list[dict], candidates: list[dict] = ()) -> list[str]:
    """The issue's targets, checked against the rows measured in this run (preset rows first, else candidates)."""
    rows = {(r["collection"], r["preset"]): r for r in preset_rows_from_candidates(list(candidates))}
    rows.update({(r["collection"], r["preset"]): r for r in presets})
    lines = []
    old, new = rows.get(("webnews", "previous default")), rows.get(("webnews", "balanced"))
    if new is not None:
        ok = new["image_to_text"] >= 0.38 and new["text_to_image"] >= 0.30
        ratio = f"{new['fit_s'] / old['fit_s']:.2f}x the previous default's seconds" if old else "no timing reference"
        met = ok and old is not None and new["fit_s"] <= 2 * old["fit_s"]
        if old is not None and new.get("fit_cpu_s") and old.get("fit_cpu_s"):
            # CPU seconds measure the work: wall seconds on a shared machine also measure the other jobs.
            ratio += f", {new['fit_cpu_s'] / old['fit_cpu_s']:.2f}x its CPU seconds"
        lines.append(f"- webnews, default (`balanced`) >= 0.38 / 0.30 within 2x the previous default's fit time: "
                     f"{'met' if met else 'NOT met'} ({new['image_to_text']:.3f} / {new['text_to_image']:.3f}, "
                     f"{ratio}, measured the same way in the same run).")
    best = rows.get(("webnews", "best"))
    if best is not None:
        met = best["image_to_text"] >= 0.42 and best["text_to_image"] >= 0.33
        lines.append(f"- webnews, `best` >= 0.42 / 0.33: {'met' if met else 'NOT met'} "
                     f"({best['image_to_text']:.3f} / {best['text_to_image']:.3f}).")
    synthetic = rows.get(("synthetic", "balanced"))
    if synthetic is not None:
        met = synthetic["image_to_text"] >= 0.60 and synthetic["text_to_image"] >= 0.60
        lines.append(f"- synthetic (600/200 pairs, as `classicx demo`), default >= 0.60 both ways: "
                     f"{'met' if met else 'NOT met'} ({synthetic['image_to_text']:.3f} / "
                     f"{synthetic['text_to_image']:.3f}; "
                     + (f"fit {synthetic['fit_s']:.0f} s under {synthetic['load']}"
                        if synthetic.get("source") != "candidates" else
                        f"{synthetic['fit_s']:.0f} s of features and aligner in the candidate table")
                     + "; the under-60-s part of the target cannot be judged at this load).")
    for collection in ("synthetic", "icons"):
        old, new = rows.get((collection, "previous default")), rows.get((collection, "balanced"))
        if old and new:
            lines.append(f"- {collection}: the default gains {new['image_to_text'] - old['image_to_text']:+.3f} / "
                         f"{new['text_to_image'] - old['text_to_image']:+.3f} over the previous default.")
    return lines


def _table(rows: list[dict], columns: list[str]) -> str:
    """``common.markdown_table`` with the spec columns as code, their ``|`` escaped (a bare one splits the cell)."""
    specs = ("image", "text", "aligner")
    rows = [{k: (f"`{v}`".replace("|", "\\|") if k in specs and isinstance(v, str) else v) for k, v in r.items()}
            for r in rows]
    return common.markdown_table(rows, columns)


def markdown(candidates: list[dict], presets: list[dict], cv_rows: list[dict] = ()) -> str:
    parts = [HOW_CHOSEN]
    if presets:
        parts.append(
            "Each preset as a user gets it (`CrossModalRetriever(preset=...)`, fitted from scratch with "
            "`n_jobs=2`, labels given), next to the previous default (`bovw(sift,256)` / `lsa(100)` / "
            "`cca(32,reg=0.3,weight_power=4.0)`). MAP over the full test ranking, category relevance; "
            "query latency of single queries against the training gallery (k=10, image queries include "
            "feature extraction; `cpu` columns: CPU seconds of the process, all threads, which the other jobs "
            "of a shared machine do not inflate); model size of the saved directory. `load` is the "
            "1/5-minute load average before the fit and after the queries of each row.\n\n"
            + _table(presets, ["collection", "preset", "image_to_text", "text_to_image", "fit_s",
                                              "fit_s_per_1000", "fit_cpu_s", "text_query_ms_p50",
                                              "text_query_ms_p99", "text_query_cpu_ms_p50", "image_query_ms_p50",
                                              "image_query_ms_p99", "image_query_cpu_ms_p50", "model_mb", "load"])
        )
        stages = {}
        for row in presets:
            stages.setdefault(row["preset"], row["stages"])
        parts.append("Stages (image / text / aligner with labels):\n\n"
                     + "\n".join(f"- `{k}`: `{v}`" for k, v in stages.items()))
    if cv_rows:
        parts.append(
            "Cross-validated candidates (3-fold CV on the training split, the folds of `preset=\"auto\"`; "
            "`chosen` is the best CV MAP of its collection; the test columns are reported, not used to "
            "choose):\n\n"
            + _table(cv_rows, ["collection", "image", "text", "aligner", "cv_image_to_text",
                                              "cv_text_to_image", "cv_mean", "image_to_text", "text_to_image",
                                              "mean", "chosen"])
        )
    checked = goals(presets, candidates)
    if checked:
        parts.append("Targets of issue #11 (a row from the candidate table when the preset was not run end to end; "
                     "its seconds then include encoding the test split):\n\n" + "\n".join(checked))
    if candidates:
        parts.append(
            "Candidates (features computed once per collection and cached; aligner fitted on the training "
            "split with labels; fixed hyperparameters):\n\n"
            + _table(candidates, ["collection", "image", "text", "aligner", "metric", "image_to_text",
                                                 "text_to_image", "mean", "feature_s", "aligner_s"])
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collections", default="webnews,synthetic,icons")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_DATA, help="the webnews directory")
    parser.add_argument("--part", default="candidates,presets")
    parser.add_argument("--presets", default="previous default,fast,balanced,best",
                        help="comma-separated: previous default, the names of classicx.presets.PRESETS, auto")
    parser.add_argument("--budget", default="10m", help="time_budget of the auto preset (its fit time includes the CV)")
    parser.add_argument("--classical-only", action="store_true",
                        help="auto without its deep candidates (as without the cnn and deep-text extras)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="random_state of the retrievers of --part presets")
    for stage in ("images", "texts", "aligners"):
        parser.add_argument(f"--{stage}", type=lambda text: tuple(t.strip() for t in text.split(";") if t.strip()),
                            help=f"';'-separated {stage[:-1]} specs of the candidate grid (default: the built-in grid)")
    parser.add_argument("--queries", type=int, default=200,
                        help="single queries timed per direction (p99 needs a hundred or more)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--quick", action="store_true", help="smoke test: subsampled pairs; never writes RESULTS.md")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--results", type=Path, default=common.RESULTS)
    parser.add_argument("--note", type=Path, help="a Markdown file put first in the RESULTS.md section (with --from-json)")
    parser.add_argument("--from-json", type=Path, nargs="+",
                        help="write RESULTS.md from the --json files of earlier runs (one per collection)")
    args = parser.parse_args(argv)
    if args.from_json:
        records = [r for path in args.from_json for r in json.loads(path.read_text(encoding="utf-8"))]
        for r in records:  # rows written before the metric column ranked every candidate by cosine
            if "aligner" in r:
                r.setdefault("metric", "cosine")
        body = markdown([r for r in records if "aligner" in r and "cv_mean" not in r],
                        [r for r in records if "preset" in r], [r for r in records if "cv_mean" in r])
        if args.note is not None:
            body = args.note.read_text(encoding="utf-8").strip() + "\n\n" + body
        print(body)
        if not args.no_results:
            common.write_section("presets", "Presets (issue #11)", body, args.results)
        return 0
    collections = [c.strip() for c in args.collections.split(",") if c.strip()]
    parts = {p.strip() for p in args.part.split(",")}
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    for name in presets:
        if name not in ("previous default", "auto") and name not in PRESETS:
            raise SystemExit(f"unknown preset {name!r}; expected previous default, {', '.join(PRESETS)}, auto")
    candidates, preset_rows, cv_rows = [], [], []

    def checkpoint(*new_rows: list[dict]) -> None:
        """After every row: a run stopped half way keeps what it measured."""
        if args.json:
            common.write_json(args.json, [*candidates, *preset_rows, *cv_rows, *(r for rows in new_rows for r in rows)])
    for collection in collections:
        if collection == "webnews" and not args.data.is_dir():
            print(f"skipping webnews: {args.data} does not exist", file=sys.stderr)
            continue
        data = load_collection(collection, args.data, args.quick)
        print(f"{collection}: {len(data['train'][0])} training / {len(data['test'][0])} test pairs; "
              f"load {common.machine_load()}", flush=True)
        if "candidates" in parts:
            candidates += run_candidates(collection, data, args)
        if "cv" in parts:
            cv_rows += run_cv(collection, data, args, on_row=checkpoint)
        if "presets" in parts:
            for name in presets:
                preset_rows.append(run_preset(collection, data, name, args))
                checkpoint()
    if args.json:
        common.write_json(args.json, candidates + preset_rows + cv_rows)
    body = markdown(candidates, preset_rows, cv_rows)
    print("\n" + body)
    if not (args.quick or args.no_results):
        common.write_section("presets", "Presets (issue #11)", body, args.results)
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.nice(0)
    sys.exit(main())
