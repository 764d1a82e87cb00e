"""Single-query latency, load time and size of any fitted model on the webnews test split (issue #15).

``bench_query.py`` compares classicx's query path with a hand-written minimal path, which exists only for
TF-IDF + LSA + CCA models; this script measures any model (for example the default preset's) the same
way: ``search_text`` over the first 100 test texts (3 rounds) and ``search_image`` over 25 test photos
(2 rounds) against the model's own gallery, timed as ``bench_query.py`` times (``_common.query_rounds``:
medians over rounds of p50/p99 wall clock and of CPU time), load in a fresh
process and again once its modules are imported (the median of 5 loads), and the size on disk.

Run: ``python benchmarks/latency_of_model.py MODEL_DIR [WEBNEWS_DIR]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings

from classicx.datasets import load_dataset
from classicx import CrossModalRetriever

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

DATA = common.DEFAULT_DATA


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    model_dir = argv[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_dataset(argv[1] if len(argv) > 1 else str(DATA), on_error="skip")
    texts, images = list(data.test.texts[:100]), [str(p) for p in data.test.images[:25]]
    start = time.perf_counter()
    model = CrossModalRetriever.load(model_dir)
    cold = time.perf_counter() - start
    warm_loads = []
    for _ in range(5):  # the median of 5, as bench_query.py's load rows are medians over rounds
        start = time.perf_counter()
        CrossModalRetriever.load(model_dir)
        warm_loads.append(time.perf_counter() - start)
    warm = statistics.median(warm_loads)
    for query in texts[:10]:  # warm-up
        model.search_text(query, k=10)
    model.search_image(images[0], k=10)
    print(f"load: {cold:.3f} s in a fresh process, {warm:.3f} s once its modules are imported")
    text = common.query_rounds({"text": lambda query: model.search_text(query, k=10)}, texts, 3)["text"]
    image = common.query_rounds({"image": lambda path: model.search_image(path, k=10)}, images, 2)["image"]
    print(f"text  query: p50 {text['p50']:.2f} ms, p99 {text['p99']:.2f} ms, CPU {text['cpu']:.2f} ms")
    print(f"image query: p50 {image['p50']:.1f} ms, p99 {image['p99']:.1f} ms, CPU {image['cpu']:.1f} ms")
    size = sum(os.path.getsize(os.path.join(model_dir, name)) for name in os.listdir(model_dir))
    print(f"model size on disk: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
