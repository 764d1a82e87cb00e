"""End-to-end retrieval quality of the default classicx pipeline on a Wikipedia-layout dataset.

Usage::

    python -m benchmarks.bench_pipeline [DATA_DIR] [--json PATH] [--jobs N] [--quick]

``DATA_DIR`` defaults to ``../shared/data/webnews`` (relative to the repository).
Fits each configuration on the training split, ranks the whole test split of
the other modality for every query, and writes a MAP table to
``benchmarks/RESULTS.md`` (section ``pipeline``). Rows whose image file is
missing are skipped with a warning (the webnews lists name seven such rows).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from classicx import CrossModalRetriever
from classicx.datasets import load_wikipedia_layout
from classicx.image import BagOfVisualWords
from classicx.subspace import RegularizedCCA
from classicx.text import TfidfLSA

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common


def configurations(quick: bool) -> list[tuple[str, CrossModalRetriever]]:
    words = 128 if quick else 512
    text_dim = 50 if quick else 200
    configs = [
        (f"SIFT BoVW {words} + TF-IDF/LSA {text_dim} + CCA", "sift"),
        (f"RootSIFT BoVW {words} + TF-IDF/LSA {text_dim} + CCA", "rootsift"),
    ]
    if not quick:
        configs.append((f"ORB BoVW {words} + TF-IDF/LSA {text_dim} + CCA", "orb"))
    return [
        (
            name,
            CrossModalRetriever(
                image_features=BagOfVisualWords(descriptor=descriptor, vocabulary=words),
                text_features=TfidfLSA(n_components=text_dim),
                aligner=RegularizedCCA(n_components=10 if quick else 32, reg=0.3, weight_power=4.0),
            ),
        )
        for name, descriptor in configs
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=common.DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="also write the table as JSON records")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="small vocabularies, fewer configurations")
    args = parser.parse_args(argv)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_wikipedia_layout(args.data_dir, on_error="skip")
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)

    records = []
    for name, model in configurations(args.quick):
        model.set_params(n_jobs=args.jobs, random_state=0)
        start = time.perf_counter()
        model.fit(data.train.images, data.train.texts, labels=data.train.labels)
        report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
        seconds = time.perf_counter() - start
        record = {
            "method": name,
            "image_to_text": round(report.map_image_to_text, 4),
            "text_to_image": round(report.map_text_to_image, 4),
            "chance": round(report.chance_image_to_text, 4),
            "seconds": round(seconds, 1),
        }
        print(record, flush=True)
        records.append(record)

    body = (
        f"Dataset: `{args.data_dir.name}` ({len(data.train)} training / {len(data.test)} test pairs after "
        "skipping rows whose image is missing); MAP over the full ranking of the other modality, "
        "relevant = same category; fit + evaluate time with "
        f"`n_jobs={args.jobs}`. The aligner is the retriever's default, `RegularizedCCA(n_components=32, "
        "reg=0.3, weight_power=4)` (settings that 3-fold CV on the training split chose in the text "
        "benchmark below); nothing here is tuned on the test split.\n\n"
        + common.markdown_table(records, ["method", "image_to_text", "text_to_image", "chance", "seconds"])
    )
    common.write_section("pipeline" + ("-quick" if args.quick else ""), "End-to-end pipeline (issue 2)", body)
    if args.json:
        common.write_json(args.json, [{k: r[k] for k in ("method", "image_to_text", "text_to_image")} for r in records])
    return 0


if __name__ == "__main__":
    sys.exit(main())
