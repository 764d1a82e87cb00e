"""Rasiwasia et al. (ACM Multimedia 2010) reproduced from the Wikipedia dataset's published features.

Usage::

    python -m benchmarks.wikipedia_features DATA_DIR [--json PATH] [--quick] [--jobs N]
                                             [--methods NAMES] [--no-results] [--results PATH]

``DATA_DIR`` is the unpacked Wikipedia cross-modal dataset: it must hold
``raw_features.mat`` (MATLAB v5 with ``I_tr`` 2173x128 and ``I_te`` 693x128
SIFT bag-of-words histograms, ``T_tr`` 2173x10 and ``T_te`` 693x10 LDA topic
proportions, rows in the order of the split lists) and the split lists
``trainset_txt_img_cat.list`` / ``testset_txt_img_cat.list``, whose third
column is the category (1-based).

Protocol (the paper's): every test image queries the whole test text set and
every test text the whole test image set; an item is relevant when its
category equals the query's, and MAP is taken over the full ranking. The
paper's rows (CCA, SM, SCM) rank by centred correlation, as the paper, and
come first; then classicx's stronger learners, for which the
cross-validation also chooses the similarity (centred correlation or inner
product -- the inner product of class posteriors is the probability that two
items share a category).

Every hyperparameter is chosen by ``GridSearchCV`` on the *training split
only* (shuffled K-fold, 3 folds, 2 with ``--quick``), scored by
:class:`classicx.model_selection.RetrievalMAPScorer` -- the retrieval MAP
(mean of both directions) on the held-out fold, with the category labels
routed to each fold by scikit-learn's metadata routing. The best setting is
refitted on the whole training split and evaluated once on the test split.
Explicit kernel feature maps (Nystroem landmarks) used as inputs are fitted
on the training split without labels.

The table is written to ``benchmarks/RESULTS.md`` (section
``wikipedia-features``) only by a full run: ``--quick`` (small grids, for
smoke tests on synthetic files) and ``--no-results`` never touch it.

The learner table (``_learners.py``) is shared with ``bench_learners.py``,
which runs the same learners on features computed from raw images and texts.
"""


from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.io

if __package__:
    from . import _common as common
    from . import _learners as learners
else:  # run as a file: this folder is sys.path[0]
    import _common as common
    import _learners as learners

GOAL = (0.35, 0.26)
SHAPES = {"I_tr": (2173, 128), "I_te": (693, 128), "T_tr": (2173, 10), "T_te": (693, 10)}
LISTS = {"train": "trainset_txt_img_cat.list", "test": "testset_txt_img_cat.list"}


def read_split_labels(path: Path) -> np.ndarray:
    """Categories from the third tab/space-separated column of a split list, as in the file (1-based)."""
    labels = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) < 3:
                raise ValueError(
                    f"{path}, line {number}: expected text_id, image_id, category; got {line.strip()!r}"
                )
            try:
                labels.append(int(fields[2]))
            except ValueError:
                raise ValueError(f"{path}, line {number}: category {fields[2]!r} is not an integer") from None
    if not labels:
        raise ValueError(f"{path} lists no pairs")
    return np.asarray(labels, dtype=np.int64)


def load_features(data_dir: Path) -> learners.Views:
    """Read ``raw_features.mat`` and the split lists; check names, shapes and row counts."""
    data_dir = Path(data_dir)
    mat_path = data_dir / "raw_features.mat"
    if not mat_path.is_file():
        raise FileNotFoundError(
            f"{mat_path} not found: DATA_DIR must be the unpacked Wikipedia dataset (wikipedia_dataset) "
            "holding raw_features.mat and the two *_txt_img_cat.list files"
        )
    mat = scipy.io.loadmat(mat_path)
    arrays = {}
    for name, (_, width) in SHAPES.items():
        if name not in mat:
            raise ValueError(
                f"{mat_path} has no variable {name!r} "
                f"(found {sorted(k for k in mat if not k.startswith('__'))})"
            )
        value = np.asarray(mat[name], dtype=np.float64)
        if value.ndim != 2 or value.shape[1] != width:
            raise ValueError(f"{mat_path}: {name} has shape {value.shape}; expected (n, {width})")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{mat_path}: {name} holds NaN or infinite values")
        arrays[name] = value
    labels = {split: read_split_labels(data_dir / LISTS[split]) for split in LISTS}
    for split, suffix in (("train", "tr"), ("test", "te")):
        for name in (f"I_{suffix}", f"T_{suffix}"):
            if len(arrays[name]) != len(labels[split]):
                raise ValueError(
                    f"{mat_path}: {name} has {len(arrays[name])} rows but {LISTS[split]} lists "
                    f"{len(labels[split])} pairs"
                )
    # 1-based in the files; the smallest category of both splits together becomes 0.
    base = min(labels["train"].min(), labels["test"].min())
    histograms = [bool(np.all(arrays[n] >= 0)) for n in ("I_tr", "T_tr")]
    return learners.Views(
        arrays["I_tr"],
        arrays["T_tr"],
        labels["train"] - base,
        arrays["I_te"],
        arrays["T_te"],
        labels["test"] - base,
        image_histograms=histograms[0] and bool(np.all(arrays["I_te"] >= 0)),
        text_histograms=histograms[1] and bool(np.all(arrays["T_te"] >= 0)),
    )



def subsample(views: learners.Views, n_train: int, n_test: int, random_state: int = 0) -> learners.Views:
    """A random subset of each split (``--quick``: a smoke test must not cost a full benchmark)."""
    rng = np.random.default_rng(random_state)
    tr = np.sort(rng.permutation(len(views.labels_train))[:n_train])
    te = np.sort(rng.permutation(len(views.labels_test))[:n_test])
    return learners.Views(
        views.X_train[tr],
        views.Y_train[tr],
        views.labels_train[tr],
        views.X_test[te],
        views.Y_test[te],
        views.labels_test[te],
        views.image_histograms,
        views.text_histograms,
    )




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="folder with raw_features.mat and the split lists")
    learners.add_common_arguments(parser)
    args = parser.parse_args(argv)

    views = load_features(args.data_dir)
    if args.quick:
        views = subsample(views, 400, 200)
    n_classes = int(max(views.labels_train.max(), views.labels_test.max()) + 1)
    text_rank = int(np.linalg.matrix_rank(views.Y_train - views.Y_train.mean(axis=0)))
    folds = 2 if args.quick else 3
    kernel_rank = 50 if args.quick else 500
    print(
        f"{len(views.labels_train)} training and {len(views.labels_test)} test pairs, "
        f"{n_classes} categories; "
        f"{folds}-fold CV on the training split{' (--quick: subsampled, tiny grids)' if args.quick else ''}"
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
    specs = learners.select_specs(specs, args.methods)
    records = learners.run_learners(views, specs, folds, args.jobs, kernel_rank)
    chance = learners.chance_map(views.labels_test, views.labels_test)
    learners.print_tables(records, chance, GOAL)

    if args.json:
        common.write_json(args.json, learners.json_records(records))
    if not (args.quick or args.no_results):
        note = (
            "Wikipedia cross-modal dataset (Rasiwasia et al. 2010), published features raw_features.mat: "
            f"{len(views.labels_train)} training and {len(views.labels_test)} test pairs, "
            f"{n_classes} categories. "
            f"Machine at the end of the run: {common.machine_load()} (the 2 cores may have been shared)."
        )
        common.write_section(
            "wikipedia-features",
            "Wikipedia features: Rasiwasia et al. 2010 reproduced",
            learners.results_markdown(
                records, (chance, chance), folds, note + learners.grids_note(args.compact_grids), GOAL
            ),
            path=args.results,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
