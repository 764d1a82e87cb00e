"""Benchmark of classicx.search: exact search vs faiss and scikit-learn, and the ANN backends.

Exact part: classicx ``ExactSearcher`` vs faiss ``IndexFlatIP`` vs scikit-learn
``NearestNeighbors(algorithm="brute", metric="cosine")`` on unit vectors (so all
three rank by the same inner product), top-10, on random and clustered data;
throughput, agreement of the results, and the peak working memory of the
classicx search for several chunk sizes (tracemalloc).

Approximate part: recall@10 against the exact top 10 and queries per second
for faiss (HNSW, IVF, IVF-PQ), hnswlib, annoy and LSH configurations.

    python -m benchmarks.bench_search            # 1,000,000 x 64, 1,000 queries
    python -m benchmarks.bench_search --quick    # 100,000 x 64, 200 queries, smoke test
"""

from __future__ import annotations

import argparse
import gc
import os
import tracemalloc
from pathlib import Path

import numpy as np

from classicx.search import ExactSearcher, make_searcher

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common


def blas_info() -> str:
    from threadpoolctl import threadpool_info

    parts = []
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            parts.append(
                f"{lib['internal_api']} {lib.get('version')} ({lib.get('architecture')}, "
                f"{lib['num_threads']} threads) from {Path(lib['filepath']).name}"
            )
    core = os.environ.get("OPENBLAS_CORETYPE")
    return "; ".join(parts) + (f"; OPENBLAS_CORETYPE={core}" if core else "; OPENBLAS_CORETYPE unset")


def exact_part(kind, G, Q, k, repeat, sklearn_queries):
    import faiss
    from sklearn.neighbors import NearestNeighbors

    rows = []
    searcher = ExactSearcher(metric="inner_product").fit(G)
    t_cx1, (_, i_cx1) = common.best_time(lambda: searcher.search(Q, k=k), repeat)
    searcher.set_params(n_jobs=2)
    t_cx, (s_cx, i_cx) = common.best_time(lambda: searcher.search(Q, k=k), repeat)

    index = faiss.IndexFlatIP(G.shape[1])
    index.add(G)
    t_fa, (s_fa, i_fa) = common.best_time(lambda: index.search(Q, k), repeat)

    # scikit-learn is much slower: time it on a subset of queries and scale.
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="cosine", n_jobs=2).fit(G)
    Qs = Q[:sklearn_queries]
    t_sk, (_, i_sk) = common.best_time(lambda: nn.kneighbors(Qs), 1)
    qps_fa, qps_sk = len(Q) / t_fa, len(Qs) / t_sk

    def agree(a, b):
        same_rows = float(np.mean(np.all(a == b, axis=1)))
        recall = float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)]))
        return same_rows, recall

    for name, t, idx in [
        ("classicx ExactSearcher n_jobs=2", t_cx, i_cx),
        ("classicx ExactSearcher (BLAS threads only)", t_cx1, i_cx1),
        ("faiss IndexFlatIP", t_fa, i_fa),
    ]:
        same, rec = agree(idx, i_cx)
        rows.append(
            {
                "data": kind,
                "method": name,
                "QPS": len(Q) / t,
                "time (s)": t,
                "vs faiss": len(Q) / t / qps_fa,
                "vs sklearn": len(Q) / t / qps_sk,
                "identical rows": same,
                "recall@10 vs classicx": rec,
            }
        )
    same, rec = agree(i_sk, i_cx[: len(Qs)])
    rows.append(
        {
            "data": kind,
            "method": f"sklearn brute ({len(Qs)} queries)",
            "QPS": qps_sk,
            "time (s)": t_sk,
            "vs faiss": qps_sk / qps_fa,
            "vs sklearn": 1.0,
            "identical rows": same,
            "recall@10 vs classicx": rec,
        }
    )
    score_diff = float(np.abs(s_cx - s_fa).max())
    qps_cx = len(Q) / t_cx
    return rows, i_cx, qps_cx, score_diff


def memory_part(G, Q, k, chunk_sizes, batch_size):
    rows = []
    for chunk in chunk_sizes:
        searcher = ExactSearcher(metric="inner_product", chunk_size=chunk, batch_size=batch_size).fit(G)
        gc.collect()
        tracemalloc.start()
        searcher.search(Q, k=k)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        block = min(batch_size, len(Q)) * chunk * 4
        rows.append(
            {
                "chunk_size": chunk,
                "batch_size": batch_size,
                "score block (MB)": block / 2**20,
                "peak traced (MB)": peak / 2**20,
            }
        )
    return rows


# (build spec, label, [(search label, parameters to set after the build), ...])
ANN_CONFIGS = [
    ("hnswlib:M=16,ef_construction=100,n_jobs=2", "hnswlib M=16", [(f"ef={e}", {"ef_search": e}) for e in (32, 128)]),
    ("faiss:IVF1024,Flat", "faiss IVF1024,Flat", [(f"nprobe={p}", {"search_params": {"nprobe": p}}) for p in (8, 32)]),
    ("faiss:HNSW32", "faiss HNSW32", [(f"efSearch={e}", {"search_params": {"efSearch": e}}) for e in (16, 64, 128)]),
    ("annoy:n_trees=50,n_jobs=2", "annoy 50 trees", [("search_k=default", {}), ("search_k=20000", {"search_k": 20000})]),
    ("lsh:nbits=256", "LSH 256 bits", [("Hamming ranking", {})]),
    ("lsh:nbits=256,rerank=20", "LSH 256 bits + exact rerank", [("k_factor_rf=20", {})]),
    ("faiss:IVF1024,PQ16,RFlat", "faiss IVF1024,PQ16 + exact rerank",
     [("nprobe=32, k_factor_rf=8", {"search_params": {"nprobe": 32, "k_factor_rf": 8}})]),
]


def ann_part(kind, G, Q, k, truth, exact_qps, rows, publish):
    """Append one row per configuration to ``rows``, publishing after each index."""
    import faiss

    for spec, name, variants in ANN_CONFIGS:
        searcher = make_searcher(spec, metric="cosine")
        # faiss builds run single-threaded: its OpenMP k-means and graph building
        # crawl when the shared machine is oversubscribed; searches use all threads.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            build_time, _ = common.best_time(lambda s=searcher: s.fit(G), 1)
        finally:
            faiss.omp_set_num_threads(threads)
        for label, params in variants:
            searcher.set_params(**params)
            t, (_, idx) = common.best_time(lambda s=searcher: s.search(Q, k=k), 1)
            recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(idx, truth)]))
            qps = len(Q) / t
            rows.append(
                {
                    "data": kind,
                    "index": name,
                    "search": label,
                    "recall@10": recall,
                    "QPS": qps,
                    "speed-up vs exact": qps / exact_qps,
                    "build (s)": build_time,
                }
            )
            print(
                f"  {name} {label}: recall {recall:.3f}, {qps:.0f} QPS, build {build_time:.1f}s", flush=True
            )
        del searcher
        gc.collect()
        publish(final=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 x 64 gallery, 200 queries")
    parser.add_argument("--n", type=int, default=None, help="gallery size (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=None, help="number of queries (default 1,000)")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--data", default="random,clustered")
    parser.add_argument(
        "--ann-data", default="clustered,random", help="datasets for the ANN table ('' to skip)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write all records as JSON")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument("--note", default="", help="free text added to the results (e.g. machine load)")
    parser.add_argument(
        "--section", default="search", help="RESULTS.md section to write (to keep a partial rerun apart)"
    )
    args = parser.parse_args()

    n = args.n or (100_000 if args.quick else 1_000_000)
    nq = args.queries or (200 if args.quick else 1_000)
    k = 10
    sk_queries = min(nq, 100 if args.quick else 200)
    load_before = os.getloadavg()
    print(f"gallery {n} x {args.dim}, {nq} queries; BLAS: {blas_info()}", flush=True)

    exact_rows, memory_rows, ann_rows, extra = [], [], [], []

    def publish(final: bool) -> None:
        """Write what has been measured so far (a long run keeps its partial results)."""
        load_after = os.getloadavg()
        state = "" if final else " (partial: the run was still going when this was written)"

        good = [r for r in ann_rows if r["recall@10"] >= 0.95 and r["speed-up vs exact"] >= 10]
        setup = (
            f"Gallery {n:,} x {args.dim} float32 (unit vectors), {nq:,} queries, top-{k}, inner product "
            f"(= cosine). scikit-learn is `NearestNeighbors(algorithm='brute', metric='cosine', n_jobs=2)` "
            f"timed on the first {sk_queries} queries. Best of {args.repeat} runs for classicx and faiss. "
            "Clustered data: 1,000 Gaussian centres plus noise of 0.6 times their scale. "
            "Speed-ups of the approximate backends are relative to classicx exact with n_jobs=2; "
            "faiss indexes are built single-threaded (build times are not a target)."
        )
        loaded = max(load_before[0], load_after[0]) > 1.5
        body = [
            setup,
            "",
            f"BLAS: {blas_info()}.",
            f"Load average (1 min) before/after: {load_before[0]:.1f} / {load_after[0]:.1f} on "
            f"{os.cpu_count()} cores"
            + (
                " — the machine was shared and loaded; ratios come from one interleaved run and "
                "absolute numbers are pessimistic."
                if loaded
                else "."
            ),
        ]
        if args.note:
            body += ["", args.note]
        body += ["", "### Exact search", "", common.markdown_table(exact_rows, list(exact_rows[0])), ""]
        body += ["- " + e for e in extra] + [""]
        if memory_rows:
            body += [
                "### Peak working memory of the classicx search (random data)",
                "",
                (
                    "tracemalloc peak during `search` with n_jobs=None (the gallery itself excluded); "
                    f"all queries x gallery scores would take {nq * n * 4 / 2**20:,.0f} MB."
                ),
                "",
                common.markdown_table(memory_rows, list(memory_rows[0])),
                "",
            ]
        if ann_rows:
            body += [
                "### Approximate backends (metric cosine): recall@10 vs the exact top 10",
                "",
                common.markdown_table(ann_rows, list(ann_rows[0])),
                "",
                "Configurations with recall@10 >= 0.95 at >= 10x the exact throughput: "
                + (", ".join(f"{r['index']} {r['search']} ({r['data']})" for r in good) or "none"),
            ]
        text = "\n".join(body)
        if final:
            print(text)
        if not args.no_write:
            title = "Search: exact and approximate k-NN (bench_search.py)"
            if args.section != "search":
                title += f", {args.section}"
            common.write_section(args.section, title + state, text)
        if args.json:
            common.write_json(args.json, exact_rows + memory_rows + ann_rows)

    for kind in filter(None, args.data.split(",")):
        G, Q = common.make_unit_vectors(kind, n, nq, args.dim)
        rows, truth, qps, diff = exact_part(kind, G, Q, k, args.repeat, sk_queries)
        exact_rows += rows
        extra.append(f"{kind}: largest |score difference| classicx vs faiss {diff:.2e}")
        print(common.markdown_table(rows, list(rows[0])), flush=True)
        if kind == "random":
            memory_rows = memory_part(G, Q, k, [1024, 4096, 16384], 1024)
            print(common.markdown_table(memory_rows, list(memory_rows[0])), flush=True)
        if kind in args.ann_data.split(","):
            publish(final=False)
            ann_part(kind, G, Q, k, truth, qps, ann_rows, publish)
        publish(final=False)
        del G, Q
        gc.collect()
    publish(final=True)


if __name__ == "__main__":
    main()
