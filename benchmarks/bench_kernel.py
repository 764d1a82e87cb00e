"""Kernel CCA: classicx (exact and low-rank) against cca-zoo's KCCA and mvlearn's KMCCA.

Synthetic views share three latent variables through non-linear maps (so a
linear CCA misses most of the relation). Every fit runs in its own
subprocess whose address space is capped (``resource.setrlimit(RLIMIT_AS)``,
4 GB by default), so a peer that builds n x n kernel matrices fails with a
MemoryError there instead of exhausting the shared machine. Reported per run:
fit time, peak resident memory of the worker, and the canonical correlations
on 2,000 held-out pairs (mean of the 3 components).

Usage::

    python -m benchmarks.bench_kernel            # full run, writes RESULTS.md section "kernel"
    python -m benchmarks.bench_kernel --quick    # small smoke run, does not touch RESULTS.md
    python -m benchmarks.bench_kernel --json out.json

cca-zoo and mvlearn are optional (``pip install cca-zoo mvlearn``); missing
peers are reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__:
    from . import _common as common
else:  # run as a file: this folder is sys.path[0]
    import _common as common

N_COMPONENTS = 3
N_TEST = 2000
REG = 1e-4  # classicx shrinkage toward trace(C) * I
PEER_REG = 1e-3  # cca-zoo "shrinkage" / mvlearn "regs" (their own conventions, see the notes)


def _held_out(P, Q) -> list[float]:
    import numpy as np

    return [float(abs(np.corrcoef(P[:, j], Q[:, j])[0, 1])) for j in range(P.shape[1])]


def run_job(job: dict) -> dict:
    """Fit one model in this (memory-capped) process and measure it."""
    import numpy as np

    from classicx.subspace.kernels import median_heuristic_gamma

    X, Y = common.make_nonlinear_views(job["n"], seed=1)
    Xt, Yt = common.make_nonlinear_views(N_TEST, seed=2)
    gx, gy = median_heuristic_gamma(X, random_state=0), median_heuristic_gamma(Y, random_state=0)
    lib, method = job["lib"], job.get("method")
    start, cpu_start = time.perf_counter(), time.process_time()
    if lib == "classicx":
        from classicx.subspace import KernelCCA, KernelFeatureMap

        rank = job.get("rank", 500)
        model = KernelCCA(
            N_COMPONENTS,
            kernel=KernelFeatureMap("rbf", method=method, n_components=rank, gamma=gx),
            kernel_y=KernelFeatureMap("rbf", method=method, n_components=rank, gamma=gy),
            reg=REG,
            random_state=0,
            verbose=False,
        ).fit(X, Y)
        fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        P, Q = model.transform(Xt, Yt)
    elif lib == "cca-zoo":
        from cca_zoo.nonparametric import KCCA

        model = KCCA(N_COMPONENTS, kernel="rbf", gamma=[gx, gy], shrinkage=PEER_REG).fit([X, Y])
        fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        P, Q = model.transform([Xt, Yt])
    elif lib == "mvlearn":
        from mvlearn.embed import KMCCA

        model = KMCCA(
            N_COMPONENTS,
            kernel="rbf",
            kernel_params=[{"gamma": gx}, {"gamma": gy}],
            regs=PEER_REG,
            pgso=method == "pgso",
        ).fit([X, Y])
        fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        P, Q = model.transform([Xt, Yt])
    else:
        raise ValueError(lib)
    corr = _held_out(np.asarray(P), np.asarray(Q))
    return {"fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "corr": corr, "mean_corr": float(np.mean(corr))}


def exact_kernel_gb(n: int) -> float:
    """Memory of the two n x n float64 kernel matrices an exact solver holds at least."""
    return 2 * 8 * n * n / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; RESULTS.md is not written")
    parser.add_argument("--json", metavar="PATH", help="also write the records as JSON")
    parser.add_argument("--mem-gb", type=float, default=4.0, help="address-space cap per fit (GB)")
    parser.add_argument("--timeout", type=float, default=900.0, help="time cap per fit (s)")
    parser.add_argument(
        "--probe-timeout",
        type=float,
        default=120.0,
        help="time cap for a peer at sizes above one where it timed out (s)",
    )
    parser.add_argument(
        "--mvlearn-python",
        default=sys.executable,
        help="interpreter with mvlearn (mvlearn 0.5 needs scikit-learn < 1.6)",
    )
    parser.add_argument(
        "--render-json",
        metavar="PATH",
        help="do not run: write the RESULTS.md section from the records of an earlier --json run",
    )
    parser.add_argument("--load", default="", help="with --render-json: the machine load during that run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        common.worker_main(run_job, args.worker)
        return

    if args.render_json:
        records = json.loads(Path(args.render_json).read_text(encoding="utf-8"))
        render(records, args, args.load or "not recorded", 5000, 500)
        return

    if args.quick:
        n_exact, sizes, peer_sizes, rank_big = 600, [600, 2000], [600], 200
        low_rank = [("nystrom", 200), ("icd", 200), ("rff", 400)]
    else:
        # The peers are O(n^3) in time: they are timed at 1,000 pairs and probed at the
        # sizes where their n x n matrices approach the memory cap.
        n_exact, rank_big = 5000, 500
        sizes, peer_sizes = [1000, 5000, 10000, 20000, 100000], [1000, 10000, 20000, 100000]
        low_rank = [("nystrom", 500), ("nystrom", 1000), ("icd", 500), ("rff", 1000)]
    load_before = os.getloadavg()
    records: list[dict] = []

    def run(job: dict, timeout: float = args.timeout) -> dict:
        python = args.mvlearn_python if job["lib"] == "mvlearn" else sys.executable
        rec = common.run_worker(__file__, job, mem_gb=args.mem_gb, timeout=timeout, threads=2, python=python)
        records.append(rec)
        print(json.dumps(rec), flush=True)
        return rec

    # 1. Accuracy at n_exact: low-rank vs exact, same kernel and regularisation.
    exact = run({"part": "accuracy", "lib": "classicx", "method": "exact", "n": n_exact})
    for method, rank in low_rank:
        rec = run({"part": "accuracy", "lib": "classicx", "method": method, "rank": rank, "n": n_exact})
        if exact.get("mean_corr") and rec.get("mean_corr"):
            rec["vs_exact"] = rec["mean_corr"] / exact["mean_corr"]
    # 2. Scaling: where the exact-kernel peers stop, and classicx low-rank up to 100,000 pairs.
    # Above the smallest size a peer gets a short time cap, enough to see whether its
    # n x n matrices fit in memory; one that ran out of memory is not retried at larger n.
    stopped: dict[str, str] = {}
    for n in sizes:
        run({"part": "scaling", "lib": "classicx", "method": "nystrom", "rank": rank_big, "n": n})
        if n not in peer_sizes:
            continue
        for lib, method in (("cca-zoo", None), ("mvlearn", None), ("mvlearn", "pgso")):
            key = f"{lib}{'-' + method if method else ''}"
            if key in stopped:
                records.append(
                    {
                        "part": "scaling",
                        "lib": lib,
                        "method": method,
                        "n": n,
                        "status": f"skipped ({stopped[key]} at smaller n)",
                    }
                )
                continue
            timeout = args.timeout if n == peer_sizes[0] else args.probe_timeout
            rec = run({"part": "scaling", "lib": lib, "method": method, "n": n}, timeout)
            if rec["status"].startswith("out of memory"):
                stopped[key] = rec["status"]
    load_after = os.getloadavg()

    for rec in records:
        rec["exact_kernels_gb"] = round(exact_kernel_gb(rec["n"]), 2)
    if args.json:
        common.write_json(args.json, records)
    if args.quick:
        return
    load = f"{load_before[0]:.1f} before / {load_after[0]:.1f} after"
    render(records, args, load, n_exact, rank_big)


def render(records: list[dict], args: argparse.Namespace, load: str, n_exact: int, rank_big: int) -> None:
    """Write the "kernel" section of RESULTS.md from the run's records."""
    cols = [
        "lib",
        "method",
        "rank",
        "n",
        "status",
        "fit_s",
        "fit_cpu_s",
        "peak_mb",
        "mean_corr",
        "vs_exact",
        "exact_kernels_gb",
    ]
    records = [{**r, "method": r.get("method") or "exact"} for r in records]
    accuracy = common.markdown_table([r for r in records if r["part"] == "accuracy"], cols)
    scaling = common.markdown_table([r for r in records if r["part"] == "scaling"], cols)
    body = f"""Synthetic views (8 + 6 dimensions) sharing 3 latent variables through non-linear maps; RBF
kernels with median-heuristic bandwidths (the same `gamma` passed to every library); {N_COMPONENTS}
components; `mean_corr` = mean held-out canonical correlation on {N_TEST} test pairs. Each fit runs in a
subprocess capped at {args.mem_gb:g} GB of address space (`RLIMIT_AS`) and {args.timeout:.0f} s.
`fit_cpu_s` is the CPU time of the fit over all threads (less sensitive to the load than the wall
time `fit_s`; recorded from the n = 20,000 scaling row on, added while the run was in progress).
`peak_mb` is the worker's peak RSS (about 200 MB of it is the interpreter and imports).
`exact_kernels_gb` is the size of the two n x n float64 kernel matrices an exact solver must hold.
classicx uses `reg={REG}` (shrinkage toward trace(C) I); the peers use their own regularisation
conventions (`shrinkage={PEER_REG}` for cca-zoo, `regs={PEER_REG}` for mvlearn), so their correlations
are indicative only. mvlearn's `pgso=True` is an incomplete-Cholesky approximation, but it decomposes the
full n x n kernel, so it stops where the exact solvers stop. Peers are timed at n = 1,000 and, above
that, probed with a {args.probe_timeout:.0f} s cap (enough to see whether their n x n matrices fit in memory;
"timeout" there means they were still running, not that they failed).
Machine load (1-minute load average): {load}, on 2 cores shared with other engineers, so wall
times are pessimistic.

### Low-rank vs exact kernel CCA at n = {n_exact:,}

{accuracy}

Target: low-rank held-out correlations within 2% of exact (`vs_exact` >= 0.98).

### Scaling (classicx Nystroem rank {rank_big} vs exact-kernel peers)

{scaling}

Target: classicx low-rank at n = 100,000 in under 60 s and 4 GB.
"""
    common.write_section("kernel", "Kernel CCA: classicx vs cca-zoo KCCA and mvlearn KMCCA", body)


if __name__ == "__main__":
    main()
