"""The learner table shared by ``wikipedia_features.py`` and ``bench_learners.py``.

Every shared-subspace learner of classicx with its cross-validation grid
(:func:`learner_specs`), the input representations they work on
(:func:`prepare`), the protocol (:func:`run_learners`: ``GridSearchCV`` on
the training split, scored by :class:`classicx.model_selection.RetrievalMAPScorer`
with the labels routed to each fold, refit, one evaluation on the test
split) and the Markdown of the result table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV, KFold

from classicx.metrics import (
    chance_average_precision,
    evaluate_retrieval,
    relevance_from_labels,
)
from classicx.model_selection import RetrievalMAPScorer
from classicx.subspace import (
    PLSSVD,
    GramAlignment,
    KernelCCA,
    KernelFeatureMap,
    KernelTargetAlignment,
    MMDAlignment,
    MMDKernel,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)

if __package__:
    from . import _common as common
else:  # run from a script started as a file: this folder is sys.path[0]
    import _common as common

# The similarity of the paper ("normalised correlation"): cosine of the mean-centred vectors.
PAPER_METRIC = "correlation"
# classicx's learners may rank by either; cross-validation on the training split picks one.
METRICS = ("correlation", "inner_product")
# Rasiwasia et al. 2010 on the Wikipedia collection (image->text, text->image MAP).
PAPER = {"CCA": (0.249, 0.196), "SM": (0.225, 0.223), "SCM": (0.277, 0.226)}


@dataclass
class Views:
    """Training and test features of both modalities with their 0-based category labels."""

    X_train: np.ndarray
    Y_train: np.ndarray
    labels_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    labels_test: np.ndarray
    image_histograms: bool = True
    text_histograms: bool = True



# ---------------------------------------------------------------------------
# webnews features (bench_learners.py, bench_partial.py): computed once, cached as .npz

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "classicx-bench"
IMAGE_ENCODINGS = ("fisher+hsv", "fisher", "bovw", "vlad")
# Weight of the HSV histogram block next to the Fisher vector (both have unit L2 norm).
COLOR_WEIGHT = 0.5


def image_encoder(kind: str, quick: bool, n_jobs: int, cache: Path):
    """The image feature transformer (fitted on the training images only)."""
    # Imported here: the Wikipedia script, which shares this module, needs no image code.
    from sklearn.pipeline import FeatureUnion

    from classicx.image import (
        VLAD,
        BagOfVisualWords,
        ColorHistogram,
        FisherVector,
        LocalDescriptors,
    )

    rootsift = LocalDescriptors("rootsift", cache=str(cache / "descriptors"))
    settings = dict(n_jobs=n_jobs, verbose=True, random_state=0)
    if kind == "bovw":
        return BagOfVisualWords(rootsift, 64 if quick else 512, normalize="l1", **settings)
    if kind == "vlad":
        return VLAD(rootsift, 16 if quick else 64, **settings)
    if kind == "fisher":
        return FisherVector(rootsift, 8 if quick else 64, **settings)
    if kind == "fisher+hsv":
        color = ColorHistogram(normalize="hellinger", n_jobs=n_jobs, verbose=True)
        return FeatureUnion(
            [("fisher", image_encoder("fisher", quick, n_jobs, cache)), ("hsv", color)],
            transformer_weights={"hsv": COLOR_WEIGHT},
        )
    raise ValueError(f"unknown image encoding {kind!r}")


def feature_config(args: argparse.Namespace) -> dict:
    return {
        "data_dir": str(Path(args.data_dir).resolve()),
        "image": args.image,
        "text": "tfidf-lsa-char",
        "text_dim": 50 if args.quick else 200,
        "quick": bool(args.quick),
        "version": 1,
    }


def cache_path(config: dict, cache_dir: Path) -> Path:
    data_dir = Path(config["data_dir"])
    stamp = [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(data_dir.glob("*.list"))]
    key = hashlib.sha1(json.dumps([config, stamp], sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"webnews-features-{key}.npz"


def quick_subset(split, n: int):
    """The first ``n`` pairs of each category in turn (a stratified, deterministic subsample)."""
    order = np.argsort(split.labels, kind="stable")
    rank_in_class = np.empty(len(order), dtype=int)
    for label in np.unique(split.labels):
        rows = order[split.labels[order] == label]
        rank_in_class[rows] = np.arange(len(rows))
    keep = np.sort(np.argsort(rank_in_class, kind="stable")[:n])
    return split.subset(keep)


def compute_features(args: argparse.Namespace, config: dict) -> Views:
    """Load the collection, encode both splits of both modalities, return the views."""
    from classicx.datasets import load_wikipedia_layout
    from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_wikipedia_layout(args.data_dir, on_error="skip")
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)
    train, test = data.train, data.test
    if args.quick:
        train, test = quick_subset(train, 200), quick_subset(test, 100)
    start = time.perf_counter()
    images = image_encoder(args.image, args.quick, args.jobs, args.cache_dir)
    X_train = images.fit(train.images).transform(train.images)
    X_test = images.transform(test.images)
    print(f"image features {X_train.shape[1]}-d in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    chars = TfidfFeatures(tokenizer=Tokenizer(segmenter="char"))
    texts = TfidfLSA(n_components=config["text_dim"], tfidf=chars, random_state=0)
    Y_train = texts.fit(train.texts).transform(train.texts)
    Y_test = texts.transform(test.texts)
    print(f"text features {Y_train.shape[1]}-d in {time.perf_counter() - start:.0f} s")
    return Views(
        np.asarray(X_train, np.float64),
        np.asarray(Y_train, np.float64),
        np.asarray(train.labels),
        np.asarray(X_test, np.float64),
        np.asarray(Y_test, np.float64),
        np.asarray(test.labels),
        image_histograms=bool(np.all(X_train >= 0) and np.all(X_test >= 0)),
        text_histograms=bool(np.all(Y_train >= 0) and np.all(Y_test >= 0)),
    )


def load_or_compute(args: argparse.Namespace) -> Views:
    config = feature_config(args)
    path = cache_path(config, args.cache_dir)
    if path.is_file():
        print(f"features from the cache {path}")
        with np.load(path) as f:
            return Views(
                f["X_train"],
                f["Y_train"],
                f["labels_train"],
                f["X_test"],
                f["Y_test"],
                f["labels_test"],
                bool(f["image_histograms"]),
                bool(f["text_histograms"]),
            )
    views = compute_features(args, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: np.asarray(v) for k, v in vars(views).items()})
    print(f"features cached in {path}")
    return views


# ---------------------------------------------------------------------------
# Input representations of the two views


def hellinger(X: np.ndarray) -> np.ndarray:
    """Square root of the L1-normalised histogram: linear algebra on it is the Hellinger kernel."""
    sums = X.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return np.sqrt(X / sums)


def l2_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X / norms


def histogram_kernel(is_histogram: bool) -> str:
    """Exponential chi-square for histograms (bag of words, topic proportions), RBF for signed features."""
    return "chi2" if is_histogram else "rbf"


def prepare(views: Views, representation: str, rank: int, random_state: int = 0) -> tuple[np.ndarray, ...]:
    """The four matrices (X_train, Y_train, X_test, Y_test) in one input representation.

    ``"raw"`` as given; ``"hellinger"`` the square-rooted L1-normalised
    histograms (L2-normalised rows for a signed view, the cosine analogue);
    ``"kmap"`` an explicit Nystroem map of the chi-square (RBF for a signed
    view) kernel with ``rank`` landmarks, fitted on the training rows.
    """
    out = []
    for train, test, is_hist, seed in (
        (views.X_train, views.X_test, views.image_histograms, random_state),
        (views.Y_train, views.Y_test, views.text_histograms, random_state + 1),
    ):
        if representation == "raw":
            out.append((train, test))
        elif representation == "hellinger":
            f = hellinger if is_hist else l2_rows
            out.append((f(train), f(test)))
        elif representation == "kmap":
            fmap = KernelFeatureMap(
                histogram_kernel(is_hist), method="nystrom", n_components=rank, random_state=seed
            )
            fmap.fit(train)
            out.append((fmap.transform(train), fmap.transform(test)))
        else:
            raise ValueError(f"unknown representation {representation!r}")
    (X_train, X_test), (Y_train, Y_test) = out
    return X_train, Y_train, X_test, Y_test


# ---------------------------------------------------------------------------
# Learners, their grids, cross-validation and evaluation


@dataclass
class LearnerSpec:
    """One table row: an aligner template, its CV grid and the input representation it works on."""

    name: str
    representation: str
    estimator: Any
    grid: dict = field(default_factory=dict)
    paper: tuple[float, float] | None = None
    metrics: tuple[str, ...] = METRICS

    def __post_init__(self) -> None:
        if self.paper is not None:
            # The paper's rows keep the paper's similarity.
            self.metrics = (PAPER_METRIC,)


def _components(limit: int, candidates: list[int]) -> list[int]:
    """The candidate numbers of components that the rank allows (clipped, deduplicated)."""
    return sorted({min(c, limit) for c in candidates})


def learner_specs(
    n_classes: int,
    text_rank: int,
    quick: bool,
    image_histograms: bool = True,
    text_histograms: bool = True,
    kernel_rank: int = 500,
    random_state: int = 0,
    compact: bool = False,
) -> list[LearnerSpec]:
    """The learners of the table, paper rows first, each with its CV grid.

    ``text_rank`` is the rank of the centred text view (the largest number of
    linear CCA components); ``n_classes - 1`` bounds three-view CCA. Kernels
    are exponential chi-square for histogram views and RBF for signed views
    (:func:`histogram_kernel`), with the median-heuristic bandwidth and
    ``kernel_rank`` Nystroem landmarks. With ``quick`` every grid shrinks to
    one or two points (a smoke test, not a benchmark).
    """

    def grid(quick_values: list, full_values: list, compact_values: list | None = None) -> list:
        if quick:
            return quick_values
        return compact_values if compact and compact_values is not None else full_values

    # Full grids are kept to a few points per parameter so that a run fits in ~15 minutes on
    # 2 free cores; ``compact`` keeps two points around the usual optima, for loaded machines.
    cca_k = _components(text_rank, grid([4, 9], [9, 16, 64], [16, 64]))
    top_k = cca_k[-1:]
    regs = grid([1e-2, 0.3], [1e-2, 0.1, 0.3, 0.6], [0.1, 0.3])
    Cs = grid([1.0], [0.01, 0.1, 1.0], [0.01, 0.1])
    mv_k = _components(n_classes - 1, grid([n_classes - 1], [6, n_classes - 1], [n_classes - 1]))
    kx, ky = histogram_kernel(image_histograms), histogram_kernel(text_histograms)
    kernels = f"{kx}/{ky}"
    views = "Hellinger" if image_histograms else "L2-normalised"
    maps = dict(kernel=KernelFeatureMap(kx, method="nystrom", n_components=kernel_rank),
                kernel_y=KernelFeatureMap(ky, method="nystrom", n_components=kernel_rank))
    kcca = KernelCCA(**maps, random_state=random_state, verbose=False)
    gram = GramAlignment(**maps, random_state=random_state, verbose=False)
    mmd = MMDAlignment(max_iter=grid(3, 50), random_state=random_state, verbose=False)
    return [
        LearnerSpec("CCA", "raw", RegularizedCCA(), {"n_components": cca_k, "reg": regs}, PAPER["CCA"]),
        LearnerSpec("SM", "raw", SemanticMatching(), {"C": Cs}, PAPER["SM"]),
        LearnerSpec(
            "SCM",
            "raw",
            SemanticCorrelationMatching(RegularizedCCA(), SemanticMatching()),
            {
                "aligner__n_components": top_k,
                "aligner__reg": grid([0.3], [0.1, 0.3], [0.3]),
                "semantic__C": grid([1.0], [0.1, 1.0]),
            },
            PAPER["SCM"],
        ),
        LearnerSpec("PLS", "raw", PLSSVD(), {"n_components": grid(top_k, cca_k)}),
        LearnerSpec(
            f"CCA on {views} features, weighted",
            "hellinger",
            RegularizedCCA(),
            {
                "n_components": grid(top_k, cca_k, top_k),
                "reg": grid([0.3], [0.1, 0.3, 0.6], [0.3, 0.6]),
                "weight_power": [4.0],
            },
        ),
        LearnerSpec(
            f"KCCA ({kernels}, Nystroem {kernel_rank})",
            "raw",
            kcca,
            {"n_components": grid([8], [16, 64], [64]), "reg": grid([0.1], [0.1, 0.3])},
        ),
        LearnerSpec(
            f"KCCA-SCM ({kernels})",
            "raw",
            SemanticCorrelationMatching(clone(kcca), SemanticMatching()),
            {
                "aligner__n_components": grid([8], [32]),
                "aligner__reg": grid([0.1], [0.1, 0.3], [0.3]),
                "semantic__C": grid([1.0], [0.1, 1.0]),
                "semantic__class_weight": grid(["balanced"], [None, "balanced"], ["balanced"]),
            },
        ),
        LearnerSpec(f"kernel SM ({kernels} maps)", "kmap", SemanticMatching(), {"C": Cs}),
        LearnerSpec(
            f"three-view CCA ({kernels} maps)",
            "kmap",
            ThreeViewCCA(),
            {"n_components": mv_k, "reg": grid([0.1], [0.1, 0.3, 0.6], [0.3, 0.6]), "weight_power": [4.0]},
        ),
        LearnerSpec(
            f"three-view CCA-SCM ({views} features)",
            "hellinger",
            SemanticCorrelationMatching(ThreeViewCCA(n_components=n_classes - 1), SemanticMatching()),
            {
                "aligner__reg": grid([0.1], [0.3, 0.6], [0.6]),
                "semantic__C": grid([1.0], [0.1, 1.0]),
                "semantic__class_weight": grid(["balanced"], [None, "balanced"], ["balanced"]),
            },
        ),
        # Semantic matching with the classifier tuned for ranking: on normalised features as given
        # (standardising them drowns the strong directions), and class weights chosen by CV.
        LearnerSpec(
            f"SM ({views} features as given, class weights by CV)",
            "hellinger",
            SemanticMatching(standardize=False),
            {
                "C": grid([10.0], [1.0, 10.0, 100.0], [10.0, 100.0]),
                "class_weight": grid(["balanced"], [None, "balanced"]),
            },
        ),
        LearnerSpec(
            f"MMD alignment ({kernels} maps, class-conditional)",
            "kmap",
            mmd,
            {
                "n_components": grid([8], [16]),
                "reg": grid([0.1], [0.3, 0.9]),
                "mmd_weight": grid([1.0], [0.1, 1.0, 10.0], [1.0, 10.0]),
            },
        ),
        LearnerSpec(
            f"Gram alignment ({kernels}, labels)",
            "raw",
            gram,
            {"n_components": grid([8], [16, 32], [16]), "label_weight": grid([1.0], [0.0, 1.0])},
        ),
        # Issue #14: the supervised Gram objective (HSIC with the labels under whitening), and
        # semantic matching on top of the Gram and MMD aligners (as SCM does for CCA).
        LearnerSpec(
            f"KTA: supervised Gram alignment ({kernels} maps)",
            "kmap",
            KernelTargetAlignment(n_components=grid(8, 16), reg=0.3, verbose=False),
            {"label_weight": grid([1.0], [1.0, 3.0]), "weight_power": grid([4.0], [0.0, 4.0])},
        ),
        LearnerSpec(
            f"KTA-SCM ({kernels} maps)",
            "kmap",
            SemanticCorrelationMatching(
                KernelTargetAlignment(n_components=grid(8, 16), reg=0.3, verbose=False),
                SemanticMatching(class_weight="balanced"),
            ),
            {"aligner__label_weight": grid([1.0], [1.0, 3.0]), "semantic__C": grid([1.0], [0.1, 1.0])},
        ),
        LearnerSpec(
            f"MMD-SCM ({kernels} maps, class-conditional)",
            "kmap",
            SemanticCorrelationMatching(
                MMDAlignment(
                    n_components=grid(8, 16), mmd_weight=10.0,
                    kernel=MMDKernel(n_random_features=grid(32, 128)), max_iter=grid(3, 30),
                    random_state=random_state, verbose=False,
                ),
                SemanticMatching(class_weight="balanced"),
            ),
            # reg by CV: at 0.3 the pairs are fitted almost exactly in the 500-d kernel maps (mean
            # training correlation 1.02; bench_learners.py --diagnose), so a stronger shrinkage is searched too.
            {"aligner__reg": grid([0.9], [0.3, 0.9]), "semantic__C": grid([1.0], [0.1, 1.0])},
        ),
    ]


class InFoldKernelMaps(BaseEstimator):
    """An aligner on explicit kernel maps of both views, the maps fitted in ``fit``.

    The ``"kmap"`` rows used to be cross-validated on maps fitted once on the
    whole training split, so every validation fold held landmarks of the map.
    With a peaked kernel a landmark's Nystroem row is nearly a coordinate axis
    of its own, which the classifiers of the other folds never saw: semantic
    matching scored 0.22-0.39 held-out MAP where the test split gave
    0.26-0.74 (RESULTS.md, issue #13). Fitting the maps here makes each
    fold's maps come from that fold's training rows only; the refit on the
    whole training split fits them as before.
    """

    # The labels go to the aligner (GridSearchCV routes them here with metadata routing on).
    __metadata_request__fit = {"labels": True}

    def __init__(self, aligner: Any, kernel: Any, kernel_y: Any) -> None:
        self.aligner = aligner
        self.kernel = kernel
        self.kernel_y = kernel_y

    def fit(self, X: np.ndarray, Y: np.ndarray, labels: np.ndarray | None = None) -> "InFoldKernelMaps":
        self.map_x_ = clone(self.kernel).fit(X)
        self.map_y_ = clone(self.kernel_y).fit(Y)
        self.aligner_ = clone(self.aligner).fit(self.map_x_.transform(X), self.map_y_.transform(Y), labels=labels)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.aligner_.transform(self.map_x_.transform(X))

    def transform_y(self, Y: np.ndarray) -> np.ndarray:
        return self.aligner_.transform_y(self.map_y_.transform(Y))


def in_fold_maps(spec: LearnerSpec, views: Views, rank: int, random_state: int = 0) -> LearnerSpec:
    """``spec`` (a ``"kmap"`` row) on the raw views, its kernel maps fitted inside every fit.

    The maps are those of :func:`prepare` (same kernels, rank and seeds), so
    the refitted model and its test MAP are what the precomputed maps gave.
    """
    maps = {
        name: KernelFeatureMap(histogram_kernel(is_hist), method="nystrom", n_components=rank, random_state=seed)
        for name, is_hist, seed in (
            ("kernel", views.image_histograms, random_state),
            ("kernel_y", views.text_histograms, random_state + 1),
        )
    }
    return replace(
        spec,
        representation="raw",
        estimator=InFoldKernelMaps(spec.estimator, **maps),
        grid={f"aligner__{key}": values for key, values in spec.grid.items()},
    )


def select(
    spec: LearnerSpec,
    X: np.ndarray,
    Y: np.ndarray,
    labels: np.ndarray,
    folds: int,
    n_jobs: int,
    random_state: int = 0,
) -> tuple[Any, dict, str, float]:
    """``GridSearchCV`` over ``spec.grid`` and ``spec.metrics`` on the training pairs.

    Every candidate is fitted once per fold and scored with each similarity
    of ``spec.metrics`` (multi-metric scoring); the best (parameters,
    similarity) pair by mean held-out MAP is refitted on all the pairs.

    Returns
    -------
    (refitted estimator, best parameters, best similarity, its CV MAP)
    """
    scoring = {m: RetrievalMAPScorer(direction="both", metric=m) for m in spec.metrics}

    def best_index(results: dict) -> int:
        return int(np.nanargmax(np.max([results[f"mean_test_{m}"] for m in spec.metrics], axis=0)))

    cv = KFold(n_splits=folds, shuffle=True, random_state=random_state)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            clone(spec.estimator),
            spec.grid or {},
            scoring=scoring,
            cv=cv,
            n_jobs=n_jobs,
            error_score="raise",
            refit=best_index,
        )
        with warnings.catch_warnings():
            # A category absent from a small fold only warns (its queries have no relevant item).
            warnings.simplefilter("ignore", UserWarning)
            search.fit(X, Y, labels=labels)
    index = search.best_index_
    scores = {m: float(search.cv_results_[f"mean_test_{m}"][index]) for m in spec.metrics}
    metric = max(spec.metrics, key=lambda m: scores[m])
    return search.best_estimator_, search.best_params_, metric, scores[metric]


def evaluate(
    estimator: Any, X: np.ndarray, Y: np.ndarray, labels: np.ndarray, metric: str = PAPER_METRIC
) -> tuple[float, float]:
    """Test MAP image->text and text->image over the full ranking of the other modality."""
    report = evaluate_retrieval(estimator.transform(X), estimator.transform_y(Y), labels, metric=metric)
    return report.map_image_to_text, report.map_text_to_image


def _format_params(params: dict) -> str:
    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    # SCM's classifier settings print as the classifier's own (C, class_weight), in the order of old tables.
    params = {k.replace("semantic__", ""): v for k, v in params.items()}
    return ", ".join(f"{k.replace('aligner__', '')}={fmt(v)}" for k, v in sorted(params.items())) or "-"


def run_learners(
    views: Views,
    specs: list[LearnerSpec],
    folds: int,
    n_jobs: int,
    kernel_rank: int,
    log: Callable[[str], None] = print,
    random_state: int = 0,
) -> list[dict]:
    """Cross-validate, refit and test every learner; returns one record per learner."""
    cache: dict[str, tuple[np.ndarray, ...]] = {}
    records = []
    for spec in specs:
        if spec.representation == "kmap":
            spec = in_fold_maps(spec, views, kernel_rank, random_state)
        if spec.representation not in cache:
            cache[spec.representation] = prepare(views, spec.representation, kernel_rank, random_state)
        X_train, Y_train, X_test, Y_test = cache[spec.representation]
        start = time.perf_counter()
        best, params, metric, cv_map = select(
            spec, X_train, Y_train, views.labels_train, folds, n_jobs, random_state
        )
        i2t, t2i = evaluate(best, X_test, Y_test, views.labels_test, metric)
        seconds = time.perf_counter() - start
        record = {
            "method": spec.name,
            "image_to_text": round(i2t, 4),
            "text_to_image": round(t2i, 4),
            "mean": round((i2t + t2i) / 2, 4),
            "similarity": metric,
            "cv_map": round(cv_map, 4),
            "params": _format_params(params),
            "seconds": round(seconds, 1),
        }
        if spec.paper is not None:
            record["paper_image_to_text"], record["paper_text_to_image"] = spec.paper
        records.append(record)
        log(
            f"{spec.name:48s} image->text {i2t:.4f}  text->image {t2i:.4f}  "
            f"(CV {cv_map:.4f}; {metric}; {params}; {seconds:.1f} s)"
        )
    return records


def chance_map(labels_query: np.ndarray, labels_gallery: np.ndarray) -> float:
    """Expected MAP of a uniformly random ranking of the gallery for these queries (category relevance)."""
    return float(chance_average_precision(relevance_from_labels(labels_query, labels_gallery)))


def best_row(records: list[dict]) -> dict:
    return max(records, key=lambda r: r["mean"])


def goal_sentence(records: list[dict], goal: tuple[float, float]) -> str:
    best = best_row(records)
    top_i2t = max(records, key=lambda r: r["image_to_text"])
    top_t2i = max(records, key=lambda r: r["text_to_image"])
    met = top_i2t["image_to_text"] >= goal[0] and top_t2i["text_to_image"] >= goal[1]
    return (
        f"Goal >= {goal[0]} image->text and >= {goal[1]} text->image: "
        f"{'met' if met else 'NOT met'} "
        f"(best image->text {top_i2t['image_to_text']:.3f} by {top_i2t['method']}, "
        f"best text->image {top_t2i['text_to_image']:.3f} by {top_t2i['method']}; best mean "
        f"{best['mean']:.3f} by {best['method']})."
    )


def grids_note(compact: bool) -> str:
    """A sentence for RESULTS.md saying which CV grids were searched."""
    if compact:
        return " CV grids: compact (two points per searched parameter, --compact-grids)."
    return " CV grids: full."


def results_markdown(
    records: list[dict], chance: tuple[float, float], folds: int, note: str, goal: tuple[float, float]
) -> str:
    """The RESULTS.md section: protocol, the paper's rows side by side (if any), every learner, the goal."""
    paper_rows = [r for r in records if "paper_image_to_text" in r]
    similarity = (
        "CCA, SM and SCM (the methods of Rasiwasia et al.) rank by centred correlation, as the paper; "
        "for the other rows the same cross-validation also chooses between centred correlation and the "
        "inner product (`similarity` column)."
    )
    columns = [
        "method",
        "paper image->text",
        "classicx image->text",
        "paper text->image",
        "classicx text->image",
    ]
    paper = ""
    if paper_rows:
        table = common.markdown_table(
            [
                dict(
                    zip(
                        columns,
                        (
                            r["method"],
                            r["paper_image_to_text"],
                            r["image_to_text"],
                            r["paper_text_to_image"],
                            r["text_to_image"],
                        ),
                    )
                )
                for r in paper_rows
            ],
            columns,
        )
        paper = f"The paper's rows (Rasiwasia et al., ACM MM 2010):\n\n{table}\n\n"
    table_all = common.markdown_table(
        records,
        ["method", "image_to_text", "text_to_image", "mean", "similarity", "cv_map", "params", "seconds"],
    )
    return (
        f"{note}\n\nProtocol: MAP over the full ranking of the test set of the other modality, "
        f"relevant = same category. Chance: {chance[0]:.3f} image->text, {chance[1]:.3f} "
        f"text->image. Hyperparameters: GridSearchCV on the training split only ({folds}-fold shuffled "
        "K-fold, retrieval MAP of both directions on the held-out fold via "
        "classicx.model_selection.RetrievalMAPScorer); `cv_map` is the best held-out score, "
        f"`seconds` includes the CV. Similarity: {similarity}\n\n"
        f"{paper}All learners:\n\n{table_all}\n\n{goal_sentence(records, goal)}\n"
    )


def select_specs(specs: list[LearnerSpec], names: str | None) -> list[LearnerSpec]:
    """The learners whose name contains one of the comma-separated ``names`` (any case); all if None."""
    if not names:
        return specs
    wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
    chosen = [s for s in specs if any(w in s.name.lower() for w in wanted)]
    if not chosen:
        raise SystemExit(f"--methods {names!r} matches none of: {', '.join(s.name for s in specs)}")
    return chosen


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with bench_learners.py."""
    parser.add_argument(
        "--json", type=Path, help="write the table as JSON (method, image_to_text, text_to_image)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: subsampled splits, one- or two-point grids, 2 folds; never writes RESULTS.md",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel CV fits (default 2)")
    parser.add_argument("--methods", help="comma-separated parts of learner names to run (default: all)")
    parser.add_argument(
        "--compact-grids", action="store_true", help="two points per searched parameter (for loaded machines)"
    )
    parser.add_argument("--no-results", action="store_true", help="do not write benchmarks/RESULTS.md")
    parser.add_argument(
        "--results", type=Path, default=common.RESULTS, help="results file (default benchmarks/RESULTS.md)"
    )


def print_tables(records: list[dict], chance: float, goal: tuple[float, float]) -> None:
    paper_rows = [r for r in records if "paper_image_to_text" in r]
    if paper_rows:
        print()
        print(
            common.markdown_table(
                paper_rows,
                ["method", "paper_image_to_text", "image_to_text", "paper_text_to_image", "text_to_image"],
            )
        )
    print()
    print(common.markdown_table(records, ["method", "image_to_text", "text_to_image", "mean", "params"]))
    print(f"\nchance {chance:.3f}. {goal_sentence(records, goal)}")


def json_records(records: list[dict]) -> list[dict]:
    return [
        {"method": r["method"], "image_to_text": r["image_to_text"], "text_to_image": r["text_to_image"]}
        for r in records
    ]


