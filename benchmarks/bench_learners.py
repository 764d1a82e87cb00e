"""Every classicx shared-subspace learner on one real image-text collection (webnews by default).

Usage::

    python -m benchmarks.bench_learners [DATA_DIR] [--json PATH] [--quick] [--jobs N]
                                         [--image {fisher+hsv,fisher,bovw,vlad}] [--image-pca N]
                                         [--cache-dir DIR] [--methods NAMES] [--compact-grids]
                                         [--no-results] [--results PATH] [--diagnose]
                                         [--time-mmd [--baseline REV]]

``DATA_DIR`` (default ``../shared/data/webnews`` next to the repository) is a
collection in the layout of the Wikipedia cross-modal dataset, loaded with
``classicx.datasets.load_wikipedia_layout(path, on_error="skip")``: pairs
whose image is missing are skipped with a warning (webnews names seven).

Features are computed once, fitted on the training split only, and cached
in a ``.npz`` under ``--cache-dir`` (default: the system temporary folder,
never the repository). Images, by default (``--image fisher+hsv``):
``classicx.image.FisherVector`` (RootSIFT, 64 Gaussians on PCA-64
descriptors, power- and L2-normalised) joined by a ``FeatureUnion`` with
``classicx.image.ColorHistogram`` (HSV 8x4x4, Hellinger, so unit L2 norm)
weighted 0.5. Colour is what the local descriptors miss on news photos:
semantic matching gains about 3 MAP points in both directions over Fisher
vectors alone in 3-fold CV on the training split, where the weight 0.5 also
scored a little above 1. ``--image fisher``, ``bovw`` (RootSIFT, 512 visual
words, L1-normalised histograms) and ``vlad`` give one encoding alone.
Texts: ``classicx.text.TfidfLSA`` (characters and character bigrams, LSA
with 200 dimensions). Descriptors are cached too (``joblib.Memory``), so a
second encoding does not extract them again.

The learners get the image features as they are by default. ``--image-pca``
rotates them onto principal axes fitted on the training images, which makes
every cross-validation fit about five times cheaper: ``all`` keeps all
``n_train - 1`` axes (a change of basis, lossless for the training images),
a number keeps the leading axes. It is not the default because it changes
what standardising learners see: semantic matching with standardised
features (the paper's SM classifier) and PLS (which scales its inputs)
bring every axis to unit variance, and the trailing axes, with almost no
training variance, then blow up the test images' noise. On webnews with
``all`` the paper's SM fell from 0.37 / 0.28 MAP (image->text /
text->image, features as they are) to 0.19 / 0.14, and PLS from 0.24 /
0.22 to 0.14 / 0.13.

Then every learner of ``_learners.learner_specs`` -- CCA, PLS, SM,
SCM, kernel CCA (chi-square kernel for histogram views, RBF for signed
features), KCCA-SCM, kernel SM, three-view CCA, three-view CCA-SCM,
semantic matching on unstandardised features with class weights, MMD
alignment, Gram alignment, and (issue #14) kernel-target alignment (KTA,
supervised Gram alignment), KTA-SCM and MMD-SCM -- is tuned by ``GridSearchCV`` on the training split only
(3-fold, retrieval MAP on the held-out fold; the similarity, centred
correlation or inner product, is chosen the same way), refitted on the
whole training split and evaluated on the test split: MAP over the full
ranking of the other modality, relevant = same category.

``--diagnose`` measures instead what the MMD and Gram terms do (issue
#14: objective parts at the warm start and at the end, steps, how far the
subspace moved, held-out MAP) on a held-out third of the training split,
prints it and stops (see :func:`diagnose`). ``--time-mmd`` times one
``MMDAlignment`` CV candidate, with ``--baseline REV`` against the
``mmd.py`` of a git revision in the same run (see :func:`time_mmd`).

The table goes to ``benchmarks/RESULTS.md`` (section ``learners-webnews``)
after a full run; ``--quick`` (a subsample of the pairs, small vocabularies
and grids) and ``--no-results`` never write it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

if __package__:
    from . import _common as common
    from . import _learners as learners
else:  # run as a file: this folder is sys.path[0]
    import _common as common
    import _learners as learners

GOAL = (0.34, 0.30)
# Published-style reference points for this collection (issue 5), for the text of RESULTS.md.
REFERENCE = (
    "plain RootSIFT BoVW + TF-IDF/LSA + regularised CCA about 0.21 / 0.19; "
    "semantic matching about 0.29 / 0.23"
)


# The webnews features live in _learners.py (shared with bench_partial.py); these names are kept here.
DEFAULT_CACHE = learners.DEFAULT_CACHE
IMAGE_ENCODINGS = learners.IMAGE_ENCODINGS
COLOR_WEIGHT = learners.COLOR_WEIGHT
image_encoder = learners.image_encoder
feature_config = learners.feature_config
cache_path = learners.cache_path
quick_subset = learners.quick_subset


def load_or_compute(args: argparse.Namespace) -> learners.Views:
    """The webnews views, from the feature cache or computed (see :func:`_learners.load_or_compute`)."""
    return learners.load_or_compute(args)


def reduce_images(views: learners.Views, n_components: int | None = None) -> learners.Views:
    """Project the image features on their first principal axes, fitted on the training images only.

    Fisher vectors have 8,192 dimensions but the centred training images
    span at most ``n_train - 1`` of them. ``n_components=None`` keeps all
    of those axes: the training images lose nothing (a rotation), test
    images lose only their part outside the training span, and every
    learner's cross-validation is about five times cheaper. A smaller
    number keeps the leading axes only.
    """
    start = time.perf_counter()
    if n_components is None:
        n_components = min(views.X_train.shape[0] - 1, views.X_train.shape[1])
        pca = PCA(n_components=n_components, svd_solver="full")
    else:
        pca = PCA(n_components=n_components, svd_solver="randomized", random_state=0)
    pca.fit(views.X_train)
    print(
        f"image PCA {views.X_train.shape[1]} -> {n_components} dimensions "
        f"({pca.explained_variance_ratio_.sum():.1%} of the variance) in {time.perf_counter() - start:.0f} s"
    )
    return replace(
        views,
        X_train=pca.transform(views.X_train),
        X_test=pca.transform(views.X_test),
        image_histograms=False,
    )


def diagnose(views: learners.Views, kernel_rank: int, n_components: int = 16, log=print) -> list[dict]:
    """What the MMD and Gram terms do (issue #14), measured on a held-out third of the *training* split.

    The training pairs are split 2:1 (stratified, seed 0); the test split
    is not used. On the RBF (chi-square for histograms) Nystroem maps of
    the learner table: for ``MMDAlignment`` at each ``mmd_weight`` and
    ``label_weight``, the objective's parts at the CCA warm start
    (``max_iter=0``) and after 50 steps, the steps taken, the smallest
    cosine of the principal angles between the warm-start and the final
    image subspaces and the held-out MAP (inner product) of both; for
    ``GramAlignment`` at each ``label_weight``, the HSIC terms, the mean
    correlation of the projected pairs, the share of the projected
    variance explained by the class means, and the held-out MAP.
    """
    from sklearn.model_selection import train_test_split

    from classicx.metrics import evaluate_retrieval
    from classicx.subspace import GramAlignment, KernelFeatureMap, MMDAlignment

    labels = views.labels_train
    fit, held = train_test_split(
        np.arange(len(labels)), test_size=1 / 3, stratify=labels, random_state=0
    )
    sub = learners.Views(views.X_train[fit], views.Y_train[fit], labels[fit], views.X_train[held],
                         views.Y_train[held], labels[held], views.image_histograms, views.text_histograms)
    Xk, Yk, Xk_held, Yk_held = learners.prepare(sub, "kmap", kernel_rank)
    k = min(n_components, Xk.shape[1] - 1, Yk.shape[1] - 1)

    def held_map(model, X, Y):
        report = evaluate_retrieval(model.transform(X), model.transform_y(Y), labels[held], metric="inner_product")
        return round(report.map_image_to_text, 3), round(report.map_text_to_image, 3)

    def class_r2(V, lab):
        Vc = V - V.mean(axis=0)
        means = np.array([Vc[lab == c].mean(axis=0) if np.any(lab == c) else np.zeros(V.shape[1])
                          for c in range(int(lab.max()) + 1)])
        return float(np.sum(means[lab] ** 2) / np.sum(Vc**2))

    rows = []
    for weight in (0.1, 1.0, 10.0):
        for label_weight in (0.0, 1.0):
            params = {"n_components": k, "reg": 0.3, "mmd_weight": weight, "label_weight": label_weight,
                          "random_state": 0, "verbose": False}
            start = MMDAlignment(max_iter=0, **params).fit(Xk, Yk, labels=labels[fit])
            seconds = time.perf_counter()
            end = MMDAlignment(max_iter=50, **params).fit(Xk, Yk, labels=labels[fit])
            seconds = time.perf_counter() - seconds
            P0, P1 = start.transform(Xk), end.transform(Xk)
            Q0, Q1 = (np.linalg.qr(P - P.mean(axis=0))[0] for P in (P0, P1))
            row = {
                "learner": "MMDAlignment", "mmd_weight": weight, "label_weight": label_weight,
                "start_corr": round(float(start.correlations_.mean()), 3), "start_mmd2": start.mmd2_,
                "start_class_mmd2": start.class_mmd2_, "steps": end.n_iter_,
                "end_corr": round(float(end.correlations_.mean()), 3), "end_mmd2": end.mmd2_,
                "end_class_mmd2": end.class_mmd2_,
                "min_cos_start_end": round(float(np.linalg.svd(Q0.T @ Q1, compute_uv=False).min()), 4),
                "held_map_start": held_map(start, Xk_held, Yk_held), "held_map_end": held_map(end, Xk_held, Yk_held),
                "seconds": round(seconds, 1),
            }
            rows.append(row)
            log(row)
    kx, ky = (learners.histogram_kernel(h) for h in (views.image_histograms, views.text_histograms))
    maps = {"kernel": KernelFeatureMap(kx, method="nystrom", n_components=kernel_rank),
            "kernel_y": KernelFeatureMap(ky, method="nystrom", n_components=kernel_rank)}
    L = np.eye(int(labels.max()) + 1)[labels[fit]]
    Lc = L - L.mean(axis=0)
    for label_weight in (0.0, 1.0, 10.0):
        gram = GramAlignment(k, label_weight=label_weight, random_state=0, verbose=False, **maps)
        gram.fit(views.X_train[fit], views.Y_train[fit], labels=labels[fit])
        P, Q = gram.transform(views.X_train[fit], views.Y_train[fit])
        n = len(P)
        row = {
            "learner": "GramAlignment", "label_weight": label_weight, "solves": gram.n_iter_,
            "hsic_cross": float(np.sum((P.T @ Q) ** 2)) / (n - 1) ** 2,
            "hsic_label_x": float(np.sum((P.T @ Lc) ** 2)) / (n - 1) ** 2,
            "hsic_label_y": float(np.sum((Q.T @ Lc) ** 2)) / (n - 1) ** 2,
            "pair_corr": round(float(np.mean([np.corrcoef(P[:, j], Q[:, j])[0, 1] for j in range(k)])), 3),
            "class_r2_x": round(class_r2(P, labels[fit]), 3), "class_r2_y": round(class_r2(Q, labels[fit]), 3),
            "held_map": held_map(gram, views.X_train[held], views.Y_train[held]),
        }
        rows.append(row)
        log(row)
    return rows


def baseline_mmd(revision: str):
    """``MMDAlignment`` and ``MMDKernel`` as ``classicx/subspace/mmd.py`` was at a git ``revision``.

    The old file is imported as ``classicx.subspace._mmd_at_<revision>`` (so
    that its relative imports resolve against the current package) from a
    temporary copy; nothing is written into the repository.
    """
    import importlib.util
    import subprocess
    import tempfile

    source = subprocess.run(
        ["git", "-C", str(common.ROOT), "show", f"{revision}:classicx/subspace/mmd.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    name = "classicx.subspace._mmd_at_" + "".join(c if c.isalnum() else "_" for c in revision)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mmd.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.MMDAlignment, module.MMDKernel


def time_mmd(views: learners.Views, kernel_rank: int, baseline: str | None, steps: int = 40,
             n_components: int = 16, log=print) -> list[dict]:
    """Seconds of one ``MMDAlignment`` CV candidate on webnews, now and (with ``baseline``) at a git revision.

    A candidate is one fit on a training fold of the 3-fold CV (two thirds
    of the training pairs, stratified, seed 0) with the class-conditional
    terms, ``mmd_weight=10``, 3 x 128 random features and ``steps`` gradient
    steps (``tol=0``, so every version takes the same number), on the
    learner table's RBF Nystroem maps and on the raw 8,320-d image / 200-d
    text features. ``max_iter=0`` (whitening, CCA warm start, kernel) is
    timed too; the difference divided by the steps is the time per step.
    """
    from sklearn.model_selection import train_test_split

    from classicx.subspace import MMDAlignment, MMDKernel

    labels = views.labels_train
    fold, _ = train_test_split(np.arange(len(labels)), test_size=1 / 3, stratify=labels, random_state=0)
    Xk, Yk, _, _ = learners.prepare(views, "kmap", kernel_rank)
    inputs = {"kernel maps": (Xk[fold], Yk[fold]), "raw features": (views.X_train[fold], views.Y_train[fold])}
    versions = {"now": (MMDAlignment, MMDKernel)}
    if baseline:
        versions[baseline] = baseline_mmd(baseline)
    rows = []
    for input_name, (X, Y) in inputs.items():
        for version, (aligner, kernel) in versions.items():
            times = {}
            for max_iter in (0, steps):
                model = aligner(n_components, reg=0.9, mmd_weight=10.0, max_iter=max_iter, tol=0.0,
                                kernel=kernel(n_random_features=128), random_state=0, verbose=False)
                start = time.perf_counter()
                model.fit(X, Y, labels=labels[fold])
                times[max_iter] = time.perf_counter() - start
            row = {
                "input": f"{input_name} {X.shape[1]} + {Y.shape[1]}-d, {len(X)} pairs", "code": version,
                "steps": model.n_iter_, "seconds_no_steps": round(times[0], 2),
                "seconds_per_candidate": round(times[steps], 2),
                "seconds_per_step": round((times[steps] - times[0]) / max(model.n_iter_, 1), 3),
                "load": common.machine_load(),
            }
            rows.append(row)
            log(row)
    return rows


def image_pca_setting(value: str) -> int | str:
    """``--image-pca``: ``"all"`` or a non-negative number of principal axes."""
    if value == "all":
        return value
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected 'all' or a non-negative integer; got {value!r}")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=common.DEFAULT_DATA)
    learners.add_common_arguments(parser)
    parser.add_argument(
        "--image",
        choices=IMAGE_ENCODINGS,
        default="fisher+hsv",
        help="image encoding (default: RootSIFT Fisher vectors joined with an HSV colour histogram)",
    )
    parser.add_argument(
        "--image-pca",
        type=image_pca_setting,
        default=0,
        help="rotate image features with more dimensions than training images onto their principal "
        "axes fitted on the training images, for speed: 'all' of them (n_train - 1), a number of "
        "leading axes, or 0 to keep the features as they are (the default)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where the feature .npz is cached (default {DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="issue #14: measure what the MMD and Gram terms do on a held-out third of the training "
        "split (the test split is not used), print it, and stop",
    )
    parser.add_argument(
        "--time-mmd",
        action="store_true",
        help="issue #14: time one MMDAlignment CV candidate (a training fold) on the kernel maps and the raw "
        "features, print it, and stop",
    )
    parser.add_argument("--baseline", help="with --time-mmd: also time mmd.py as it was at this git revision")
    args = parser.parse_args(argv)

    views = load_or_compute(args)
    if args.time_mmd:
        rows = time_mmd(views, 50 if args.quick else 500, args.baseline, steps=3 if args.quick else 40)
        if args.json:
            common.write_json(args.json, rows)
        return 0
    if args.diagnose:
        diagnose(views, 50 if args.quick else 500, n_components=8 if args.quick else 16)
        return 0
    image_dim = views.X_train.shape[1]
    n_axes = len(views.labels_train) - 1 if args.image_pca == "all" else args.image_pca
    reduced = bool(n_axes) and image_dim > n_axes
    if reduced:
        views = reduce_images(views, None if args.image_pca == "all" else n_axes)
    n_classes = int(max(views.labels_train.max(), views.labels_test.max()) + 1)
    text_rank = int(np.linalg.matrix_rank(views.Y_train - views.Y_train.mean(axis=0)))
    folds = 2 if args.quick else 3
    kernel_rank = 50 if args.quick else 500
    print(
        f"{len(views.labels_train)} training and {len(views.labels_test)} test pairs, "
        f"{n_classes} categories; image {views.X_train.shape[1]}-d, text {views.Y_train.shape[1]}-d; "
        f"{folds}-fold CV on the training split"
    )
    specs = learners.learner_specs(
        n_classes,
        text_rank,
        args.quick,
        views.image_histograms,
        views.text_histograms,
        kernel_rank=kernel_rank,
        compact=args.compact_grids,
    )
    for spec in specs:
        # The paper's numbers are for the Wikipedia collection, not this one; its rows keep its similarity.
        spec.paper = None
    specs = learners.select_specs(specs, args.methods)
    records = learners.run_learners(views, specs, folds, args.jobs, kernel_rank)
    chance = learners.chance_map(views.labels_test, views.labels_test)
    learners.print_tables(records, chance, GOAL)

    if args.json:
        common.write_json(args.json, learners.json_records(records))
    if not (args.quick or args.no_results):
        encoding = {
            "bovw": "RootSIFT bag of visual words (512 words, L1)",
            "vlad": "RootSIFT VLAD (64 words)",
            "fisher": "RootSIFT Fisher vectors (64 Gaussians)",
            "fisher+hsv": "RootSIFT Fisher vectors (64 Gaussians) joined with an HSV colour histogram "
            f"(8x4x4, Hellinger, weight {COLOR_WEIGHT:g})",
        }[args.image]
        if reduced:
            encoding += (
                f", {image_dim}-d, rotated onto {views.X_train.shape[1]} principal axes "
                "fitted on the training images"
                + (" (all of them: lossless on the training images)" if args.image_pca == "all" else "")
            )
        note = (
            f"{Path(args.data_dir).name}: {len(views.labels_train)} training and "
            f"{len(views.labels_test)} test pairs (rows with a missing image skipped), {n_classes} "
            f"categories. Images: {encoding}; texts: TF-IDF of "
            f"characters and character bigrams, LSA {views.Y_train.shape[1]}. Reference points (issue 5): "
            f"{REFERENCE}. Machine at the end of the run: {common.machine_load()} (the 2 cores were shared "
            "with other engineers' jobs)."
        )
        body = learners.results_markdown(
            records, (chance, chance), folds, note + learners.grids_note(args.compact_grids), goal=GOAL
        )
        common.write_section("learners-webnews", "Shared-subspace learners on webnews", body, path=args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
