"""Benchmark of classicx.distributed: CCA statistics, a sharded gallery and image features on a Dask cluster.

* CCA on synthetic pairs (512 + 300 float32 features) generated block by block
  on the workers of a 2-worker ``LocalCluster`` (3 GB memory limit each) and
  never gathered, against ``RegularizedCCA.partial_fit`` over the same blocks
  (generated from the same seeds) in one process on the same two cores: fit
  time, peak memory of the client and of each worker, agreement of the
  canonical correlations, and the per-block costs the paper model below uses.
* Sharded exact search: a gallery of unit vectors generated on the workers in
  2 shards (``ShardedSearcher``) against one ``ExactSearcher(n_jobs=2)`` over
  the same gallery in this process: agreement of the top 10 and throughput.
* Image features: the webnews images encoded from a ``dask.bag`` of paths by 2
  worker processes against ``n_jobs=2`` threads in one process.
* On paper: a fit of 100 million pairs on 8, 32 and 128 workers, from the
  measured per-block costs, and the bytes that cross the network.

    nice python -m benchmarks.bench_distributed                 # 4,000,000 pairs, 4,000,000 x 64 gallery
    python -m benchmarks.bench_distributed --quick              # small sizes, smoke test (writes nothing)
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from pathlib import Path

import numpy as np

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

DX, DY, LATENT = 512, 300, 16


def _rng(seed: int, block: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, block, stream])


def _loadings(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(seed, -1 % 2**31, 0)
    return (rng.normal(size=(LATENT, DX)) / 4).astype(np.float32), (rng.normal(size=(LATENT, DY)) / 4).astype(np.float32)


def block_x(seed: int, block: int, rows: int) -> np.ndarray:
    """Block ``block`` of the first view: a shared latent signal plus noise (float32)."""
    z = _rng(seed, block, 0).standard_normal((rows, LATENT), dtype=np.float32)
    return z @ _loadings(seed)[0] + _rng(seed, block, 1).standard_normal((rows, DX), dtype=np.float32)


def block_y(seed: int, block: int, rows: int) -> np.ndarray:
    z = _rng(seed, block, 0).standard_normal((rows, LATENT), dtype=np.float32)
    return z @ _loadings(seed)[1] + _rng(seed, block, 2).standard_normal((rows, DY), dtype=np.float32)


def gallery_block(seed: int, block: int, rows: int, dim: int) -> np.ndarray:
    G = _rng(seed, block, 3).standard_normal((rows, dim), dtype=np.float32)
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    return G


def _blocks(n: int, rows: int) -> list[int]:
    return [min(rows, n - start) for start in range(0, n, rows)]


def block_xy(seed: int, block: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    return block_x(seed, block, rows), block_y(seed, block, rows)


def dask_views(n: int, rows: int, seed: int):
    import dask
    import dask.array as da

    sizes = _blocks(n, rows)
    # One task makes both views of a block, so that the two land on the same worker.
    pairs = [dask.delayed(block_xy, nout=2)(seed, b, r) for b, r in enumerate(sizes)]
    X = da.concatenate([da.from_delayed(p[0], shape=(r, DX), dtype=np.float32) for p, r in zip(pairs, sizes)])
    Y = da.concatenate([da.from_delayed(p[1], shape=(r, DY), dtype=np.float32) for p, r in zip(pairs, sizes)])
    return X, Y


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _bytes_sent(dask_worker) -> int:
    """Bytes this worker sent to other workers (statistics for the merges)."""
    return int(dask_worker.transfer_outgoing_bytes_total)


def cluster(memory_limit: str):
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory_limit, dashboard_address=":0",
        silence_logs=40,
    )


def cca_part(n: int, rows: int, seed: int, memory_limit: str, n_components: int) -> dict:
    from distributed import Client

    from classicx.subspace import RegularizedCCA

    with cluster(memory_limit) as lc, Client(lc) as client:
        X, Y = dask_views(n, rows, seed)
        start = time.perf_counter()
        cca = RegularizedCCA(n_components=n_components, reg=1e-3).fit(X, Y)
        t_dask = time.perf_counter() - start
        workers = sorted(client.run(peak_rss_bytes).values())
        moved = sum(client.run(_bytes_sent).values())
    client_peak = peak_rss_bytes()
    stream = RegularizedCCA(n_components=n_components, reg=1e-3)
    start = time.perf_counter()
    for b, r in enumerate(_blocks(n, rows)):
        stream.partial_fit(block_x(seed, b, r), block_y(seed, b, r))
    t_stream = time.perf_counter() - start
    rel = float(np.max(np.abs(cca.canonical_correlations_ - stream.canonical_correlations_) / stream.canonical_correlations_))
    return {
        "n": n, "rows": rows, "t_dask": t_dask, "t_partial_fit": t_stream, "overhead": t_dask / t_stream - 1,
        "client_peak": client_peak, "worker_peaks": workers, "max_rel_corr_diff": rel,
        "corr": cca.canonical_correlations_[:4].tolist(), "moved_bytes": moved,
    }


def per_block_costs(rows: int, seed: int) -> dict:
    """Single-threaded cost of one block: generation, statistics, merge; and the solve on the client."""
    from threadpoolctl import threadpool_limits

    from classicx.distributed._stats import block_moments, merge_moments
    from classicx.subspace import RegularizedCCA

    pairs = [(0, 0), (1, 1), (0, 1)]
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        X, Y = block_x(seed, 0, rows), block_y(seed, 0, rows)
        t_gen = time.perf_counter() - start
        start = time.perf_counter()
        a = block_moments([X, Y], pairs, np.float32, 0, ["X", "Y"])
        t_stats = time.perf_counter() - start
        b = block_moments([X[::-1], Y[::-1]], pairs, np.float32, 0, ["X", "Y"])
        start = time.perf_counter()
        for _ in range(5):
            merged = merge_moments([a, b])
        t_merge = (time.perf_counter() - start) / 5
        cca = RegularizedCCA(n_components=10)
        start = time.perf_counter()
        cca._set_stats(merged.n, *merged.means, merged.scatter[(0, 0)], merged.scatter[(1, 1)], merged.scatter[(0, 1)])
        cca._solve_from_stats((1e-3, 1e-3), np.float32, strict=True)
        t_solve = time.perf_counter() - start
    stats_bytes = sum(S.nbytes for S in a.scatter.values()) + sum(m.nbytes for m in a.means)
    return {"rows": rows, "t_gen": t_gen, "t_stats": t_stats, "t_merge": t_merge, "t_solve": t_solve,
            "stats_bytes": stats_bytes, "data_bytes": X.nbytes + Y.nbytes}


def paper_model(costs: dict, n_pairs: int, workers: list[int], task_overhead: float = 1e-3) -> list[dict]:
    """Time and network bytes of a fit of ``n_pairs`` on W workers, from the per-block costs.

    Assumptions (written out in RESULTS.md): a block is produced (read or
    generated) by the worker that processes it, at the measured generation
    cost, so no data crosses the network; the leaves are merged 8 at a time
    in leaf order, by the worker holding most of a group's inputs, so at the
    first level a share (W - 1) / W of the leaf statistics moves to another
    worker, and each higher level moves an eighth as many; links of 10
    Gbit/s; the scheduler spends ``task_overhead`` seconds per task (leaves
    and merges); the solve runs on the client.
    """
    rows = costs["rows"]
    n_blocks = math.ceil(n_pairs / rows)
    per_block = costs["t_gen"] + costs["t_stats"]
    n_merges = sum(math.ceil(n_blocks / 8**level) for level in range(1, max(2, math.ceil(math.log(n_blocks, 8)) + 1)))
    out = []
    for w in workers:
        compute = math.ceil(n_blocks / w) * per_block + math.ceil(n_merges / w) * 7 * costs["t_merge"]
        moved = (w - 1) / w * (n_blocks + n_merges) * costs["stats_bytes"]
        # Transfers overlap with compute except along the tree's last levels: counted in full anyway.
        network_s = moved / (w * 1.25e9)
        scheduler = (n_blocks + n_merges) * task_overhead
        total = max(compute, scheduler) + network_s + costs["t_solve"]
        out.append({
            "workers": w, "blocks": n_blocks, "compute_s": compute, "scheduler_s": scheduler,
            "network_s": network_s, "solve_s": costs["t_solve"], "total_s": total,
            "network_GB": moved / 1e9, "to_client_MB": costs["stats_bytes"] / 1e6,
            "with_reading_GB": n_pairs * (DX + DY) * 4 / 1e9,
        })
    return out


def search_part(n: int, dim: int, n_queries: int, rows: int, seed: int, memory_limit: str, k: int = 10) -> dict:
    import dask
    import dask.array as da
    from distributed import Client

    from classicx.distributed import ShardedSearcher
    from classicx.search import ExactSearcher

    sizes = _blocks(n, rows)
    Q = gallery_block(seed + 1, 0, n_queries, dim)
    with cluster(memory_limit) as lc, Client(lc) as client:
        G = da.concatenate([
            da.from_delayed(dask.delayed(gallery_block)(seed, b, r, dim), shape=(r, dim), dtype=np.float32)
            for b, r in enumerate(sizes)
        ])
        start = time.perf_counter()
        sharded = ShardedSearcher(ExactSearcher(metric="inner_product"), n_shards=2).fit(G)
        t_build = time.perf_counter() - start
        sharded.search(Q[:10], k=k)  # warm-up
        t_sharded, (s_sh, i_sh) = common.best_time(lambda: sharded.search(Q, k=k), 2)
        del client
    G = np.concatenate([gallery_block(seed, b, r, dim) for b, r in enumerate(sizes)])
    single = ExactSearcher(metric="inner_product", n_jobs=2).fit(G)
    t_single, (s_one, i_one) = common.best_time(lambda: single.search(Q, k=k), 2)
    same_rows = float(np.mean(np.all(i_sh == i_one, axis=1)))
    differ = np.flatnonzero(~np.all(i_sh == i_one, axis=1))
    # Where the lists differ, are the scores tied to float32 rounding?
    tie_gap = float(np.max(np.abs(s_sh[differ] - s_one[differ]))) if len(differ) else 0.0
    return {"n": n, "dim": dim, "queries": n_queries, "t_build": t_build, "qps_sharded": n_queries / t_sharded,
            "qps_single": n_queries / t_single, "ratio": t_single / t_sharded, "same_rows": same_rows,
            "max_score_gap_where_different": tie_gap}


def image_part(data: Path, limit: int | None, memory_limit: str) -> dict | None:
    import dask.bag as db
    from distributed import Client

    from classicx.image import BagOfVisualWords

    folder = data / "images"
    if not folder.is_dir():
        return None
    paths = sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if limit:
        paths = paths[:limit]
    encoder = BagOfVisualWords(vocabulary=256, random_state=0, verbose=False, n_jobs=2).fit(paths[: min(200, len(paths))])
    t_threads, A = common.best_time(lambda: encoder.transform(paths))
    with cluster(memory_limit) as lc, Client(lc):
        bag = db.from_sequence(paths, partition_size=max(1, len(paths) // 16))
        start = time.perf_counter()
        B = encoder.transform(bag).compute()
        t_dask = time.perf_counter() - start
    return {"images": len(paths), "t_threads": t_threads, "t_dask": t_dask, "ratio": t_threads / t_dask,
            "max_abs_diff": float(np.max(np.abs(A - B)))}


def report(cca: dict | None, costs: dict, model: list[dict], search: dict | None, images: dict | None, load: list[str]) -> str:
    gb = 1024**3
    lines = [f"Machine load: {'; '.join(load)}.", ""]
    if cca:
        size = cca["n"] * (DX + DY) * 4 / 1e9
        lines += [
            f"**CCA statistics on the workers.** {cca['n']:,} pairs of {DX} + {DY} float32 features "
            f"({size:.1f} GB), generated in blocks of {cca['rows']:,} rows on a 2-worker `LocalCluster` "
            "(processes, 1 thread each, 3 GB memory limit per worker) and never gathered:",
            "",
            common.markdown_table(
                [
                    {"run": "RegularizedCCA.fit(dask arrays), 2 workers", "time (s)": cca["t_dask"],
                     "peak memory": f"client {cca['client_peak'] / gb:.2f} GB; workers "
                     + ", ".join(f"{w / gb:.2f} GB" for w in cca["worker_peaks"])},
                    {"run": "RegularizedCCA.partial_fit over the same blocks, one process (2 BLAS threads)",
                     "time (s)": cca["t_partial_fit"], "peak memory": "one block + d x d statistics"},
                ],
                ["run", "time (s)", "peak memory"],
            ),
            "",
            f"Overhead of the cluster against in-process `partial_fit`: {100 * cca['overhead']:+.1f}% "
            f"(target at most +30%). Canonical correlations agree to {cca['max_rel_corr_diff']:.1e} relative "
            f"(first four: {', '.join(f'{c:.6f}' for c in cca['corr'])}). `partial_fit` re-solves the "
            "eigenproblem after every block, the Dask fit once. Bytes sent between the workers: "
            f"{cca['moved_bytes'] / 1e6:.0f} MB (statistics only; the {size:.1f} GB of features never moved).",
            "",
        ]
    if search:
        lines += [
            f"**Sharded exact search.** {search['n']:,} x {search['dim']} float32 unit vectors generated on the "
            f"workers in 2 shards (`ShardedSearcher(ExactSearcher(metric='inner_product'), n_shards=2)`, "
            f"built in {search['t_build']:.1f} s), {search['queries']} queries, top 10, against one "
            "`ExactSearcher(n_jobs=2)` over the same gallery in this process:",
            "",
            common.markdown_table(
                [{"searcher": "sharded, 2 worker processes", "queries/s": search["qps_sharded"]},
                 {"searcher": "single process, n_jobs=2", "queries/s": search["qps_single"]}],
                ["searcher", "queries/s"],
            ),
            "",
            f"Throughput ratio (sharded / single): {search['ratio']:.2f}. Identical top-10 lists for "
            f"{100 * search['same_rows']:.2f}% of the queries; where they differ the scores differ by at "
            f"most {search['max_score_gap_where_different']:.1e} (items tied to float32 rounding, whose order "
            "depends on the shape of the matrix product).",
            "",
        ]
    if images:
        lines += [
            f"**Image features.** {images['images']} webnews images, `BagOfVisualWords(vocabulary=256)`: "
            f"`transform(paths)` with `n_jobs=2` threads {images['t_threads']:.1f} s; `transform(dask.bag)` "
            f"through 2 worker processes {images['t_dask']:.1f} s (ratio {images['ratio']:.2f}); largest "
            f"difference between the two {images['max_abs_diff']:.1e}.",
            "",
        ]
    lines += [
        "**Per block (measured, one thread):** "
        f"{costs['rows']:,} rows: generating {costs['t_gen']:.2f} s, statistics {costs['t_stats']:.2f} s, "
        f"one merge {1000 * costs['t_merge']:.1f} ms, the client's solve {costs['t_solve']:.2f} s; "
        f"statistics {costs['stats_bytes'] / 1e6:.1f} MB per block (d x d, whatever the rows) against "
        f"{costs['data_bytes'] / 1e6:.0f} MB of data.",
        "",
        "**On paper: 100 million pairs** (blocks of the measured size). Model: a block is produced (read "
        "or generated, at the measured generation cost) by the worker that processes it, so no feature "
        "crosses the network; the leaf statistics are merged 8 at a time in leaf order by the worker "
        "holding most of a group's inputs, so a share (W - 1)/W of them moves to another worker at each "
        "level (counted in full, although transfers overlap the computing); 10 Gbit/s links; about 1 ms "
        "of scheduler time per task; the solve (d = 512 + 300) on the client. Time = max(compute, "
        "scheduler) + network + solve.",
        "",
        common.markdown_table(
            model,
            ["workers", "blocks", "compute_s", "scheduler_s", "network_s", "solve_s", "total_s", "network_GB",
             "to_client_MB"],
        ),
        "",
        f"The features themselves are {model[0]['with_reading_GB']:.0f} GB, read by the workers where they "
        "are stored; what crosses the network is statistics only (d x d per block, whatever its rows), and "
        "the client receives one statistics object. Larger blocks divide both the scheduler time and the "
        "network bytes.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=4_000_000)
    parser.add_argument("--rows", type=int, default=50_000, help="rows per block")
    parser.add_argument("--gallery", type=int, default=4_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--images", type=int, default=None, help="use only the first N webnews images")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_DATA)
    parser.add_argument("--parts", default="cca,search,images")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--quick", action="store_true", help="small sizes; prints, writes nothing")
    parser.add_argument("--results", type=Path, default=common.RESULTS)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.pairs, args.rows, args.gallery, args.queries, args.images = 40_000, 10_000, 50_000, 50, 12
    parts = set(args.parts.split(","))
    load = [f"start: {common.machine_load()}"]
    cca = cca_part(args.pairs, args.rows, 0, args.memory_limit, 10) if "cca" in parts else None
    load.append(f"after CCA: {common.machine_load()}")
    costs = per_block_costs(args.rows, 0)
    model = paper_model(costs, 100_000_000, [8, 32, 128])
    search = search_part(args.gallery, 64, args.queries, 250_000 if not args.quick else 10_000, 0,
                         args.memory_limit) if "search" in parts else None
    load.append(f"after search: {common.machine_load()}")
    images = image_part(args.data, args.images, args.memory_limit) if "images" in parts else None
    load.append(f"end: {common.machine_load()}")
    body = report(cca, costs, model, search, images, load)
    print(body)
    if args.json:
        common.write_json(args.json, [{"cca": cca, "costs": costs, "model": model, "search": search, "images": images}])
    if not args.quick:
        common.write_section("dask", "Dask (issue #16)", body, args.results)


if __name__ == "__main__":
    main()
