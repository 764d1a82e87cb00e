"""What the benchmark scripts share: RESULTS.md sections, timing, machine load, workers, synthetic data.

Only the standard library is imported at module level, so that a worker run
by another interpreter (``--mvlearn-python``, ``--opencv4-python``) needs
nothing but NumPy.

Importing this module from a script
-----------------------------------
The scripts run both as ``python -m benchmarks.bench_x`` (from the repository
root) and as ``python benchmarks/bench_x.py``. Python puts the package on
the path in the first case and the script's own folder in the second, so a
script imports its neighbours with::

    if __package__:
        from . import _common as common
    else:  # run as a file: this folder is sys.path[0]
        import _common as common

No script edits ``sys.path``, and no script imports another script: what two
scripts share lives here (or in ``_learners.py`` for the learner table).
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
# The collection the image, text, learner and pipeline benchmarks default to (next to the repository).
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "webnews"

# ---------------------------------------------------------------------------
# RESULTS.md: each script owns the text between <!-- NAME:start --> and <!-- NAME:end -->


def command_line() -> str:
    """The command that ran this script, for the record."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name not in (None, "__main__"):
        program = ["-m", spec.name]
    else:
        program = [Path(sys.argv[0]).as_posix()]
    return "python " + " ".join(shlex.quote(a) for a in [*program, *sys.argv[1:]])


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, title: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body``; other sections stay as they are."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"{start}\n## {title}\n\nCommand: `{command_line()}`  \nDate: {stamp}; machine: {machine()}\n\n"
        f"{body.rstrip()}\n{end}"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n" \
        "Each section is written by the script named in its command line; rerun it to refresh.\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """Render ``rows`` (dicts) as a Markdown table with the given columns."""
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def write_json(path: str | Path, records: Any) -> None:
    """Write ``records`` (JSON-able) to ``path``, creating its folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------------------
# Timing and the state of the (shared) machine


def best_time(func: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall-clock time of ``repeat`` calls of ``func`` (after a garbage collection each), and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def machine_load() -> str:
    """The 1- and 5-minute load averages and the number of cores, as a phrase for RESULTS.md."""
    if not hasattr(os, "getloadavg"):
        return f"load average unknown on {os.cpu_count()} cores"
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def process_tree_cpu_seconds(pid: int, children_only: bool = False) -> float:
    """User + system CPU seconds so far of process ``pid`` and its live descendants (psutil).

    A descendant that exits between the listing and the reading is skipped;
    ``children_only`` leaves ``pid`` itself out.
    """
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in root.children(recursive=True) if children_only else [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


# ---------------------------------------------------------------------------
# Workers: one measurement in a fresh (optionally memory-capped) interpreter

RESULT_PREFIX = "RESULT "


def _cap_address_space(gigabytes: float) -> Callable[[], None]:
    def apply() -> None:
        limit = int(gigabytes * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_worker(
    script: str | Path,
    job: dict,
    *,
    mem_gb: float | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    python: str = sys.executable,
) -> dict:
    """Run ``job`` by ``python -m benchmarks.<script> --worker JSON`` in a fresh process; return its record.

    The child answers through :func:`worker_main`. A fresh process measures
    peak memory cleanly, and ``mem_gb`` caps its address space
    (``RLIMIT_AS``), so a method that builds n x n matrices fails there
    instead of exhausting the shared machine. ``threads`` sets the BLAS and
    OpenMP thread counts of the child. The repository root goes first on the
    child's ``PYTHONPATH``, so it imports this ``benchmarks`` package and the
    repository's classicx, whichever interpreter runs it.

    Returns
    -------
    dict
        ``job`` updated with the child's result and ``"status": "ok"``, or
        with a ``"status"`` saying what went wrong: ``"timeout (> T s)"``,
        ``"out of memory (cap G GB)"``, ``"not installed"`` (an import
        failed) or ``"failed: <last line of stderr>"``.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if threads is not None:
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    cmd = [python, "-m", f"{HERE.name}.{Path(script).stem}", "--worker", json.dumps(job)]
    record = {**job, "status": "ok"}
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False,
            preexec_fn=None if mem_gb is None else _cap_address_space(mem_gb),
        )
    except subprocess.TimeoutExpired:
        return {**record, "status": f"timeout (> {timeout:.0f} s)"}
    lines = [line for line in out.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if out.returncode == 0 and lines:
        return {**record, **json.loads(lines[-1][len(RESULT_PREFIX):])}
    err = out.stderr.strip().splitlines()
    if mem_gb is not None and (
        "MemoryError" in out.stderr or "Unable to allocate" in out.stderr or out.returncode in (-9, 137)
    ):
        return {**record, "status": f"out of memory (cap {mem_gb:g} GB)"}
    if "ModuleNotFoundError" in out.stderr:
        return {**record, "status": "not installed"}
    return {**record, "status": "failed: " + (err[-1] if err else f"exit code {out.returncode}")[:160]}


def worker_main(run_job: Callable[[dict], dict], spec: str) -> None:
    """The child's side of :func:`run_worker`: run ``run_job(json.loads(spec))`` and print its record.

    ``peak_mb`` (the process's peak resident memory, MB) is added unless the
    job measured its own.
    """
    result = run_job(json.loads(spec))
    result.setdefault("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------
# Synthetic data with known structure (NumPy imported on use: see the module docstring)


def make_cca_views(n: int, n_test: int, dx: int, dy: int, k: int, seed: int = 0):
    """Views whose population canonical correlations are ``rho`` (k values from 0.9 to 0.3) and zero beyond.

    Latent pairs (z, rho z + sqrt(1 - rho^2) e) plus independent noise
    columns are scaled per column (variances spread over two decades) and
    rotated by a random orthogonal matrix, which leaves the canonical
    correlations unchanged.

    Returns
    -------
    X, Y, X_test, Y_test, rho
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    rho = np.linspace(0.9, 0.3, k)
    mix = []
    for d in (dx, dy):
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        mix.append(np.exp(rng.uniform(np.log(0.3), np.log(3.0), size=d))[:, None] * Q)
    offsets = [rng.normal(size=dx) * 5, rng.normal(size=dy) * 5]

    def sample(m: int):
        z = rng.normal(size=(m, k))
        ly = rho * z + np.sqrt(1 - rho**2) * rng.normal(size=(m, k))
        X = np.hstack([z, rng.normal(size=(m, dx - k))]) @ mix[0] + offsets[0]
        Y = np.hstack([ly, rng.normal(size=(m, dy - k))]) @ mix[1] + offsets[1]
        return X, Y

    X, Y = sample(n)
    X_test, Y_test = sample(n_test)
    return X, Y, X_test, Y_test, rho


def make_nonlinear_views(n: int, seed: int = 0):
    """Views (8 and 6 columns) sharing three latent variables through non-linear maps, plus nuisance columns.

    The mixing matrices are fixed (the same for every ``seed``), so training
    and test samples drawn with different seeds share one relation.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    mix = np.random.default_rng(12345)
    Rx, Ry = mix.normal(size=(8, 8)), mix.normal(size=(6, 6))
    z = rng.uniform(-1.5, 1.5, size=(n, 3))
    X = np.hstack([z, 0.5 * rng.normal(size=(n, 5))]) @ Rx
    Y = np.hstack([z[:, :1] ** 2, np.cos(2 * z[:, 1:2]), np.abs(z[:, 2:3]), 0.5 * rng.normal(size=(n, 3))])
    Y = (Y + 0.1 * rng.normal(size=Y.shape)) @ Ry
    return X, Y


def make_unit_vectors(kind: str, n: int, n_queries: int, dim: int, seed: int = 0):
    """Unit-normalised float32 gallery and queries: i.i.d. Gaussian (``"random"``) or 1,000 Gaussian clusters."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind == "random":
        X = rng.standard_normal((n + n_queries, dim), dtype=np.float32)
    else:
        centres = rng.standard_normal((1000, dim), dtype=np.float32)
        X = centres[rng.integers(len(centres), size=n + n_queries)]
        X += 0.6 * rng.standard_normal((n + n_queries, dim), dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X[:n], X[n:]


def make_token_corpus(n_docs: int, vocab_size: int, dim: int, seed: int = 0):
    """Word vectors and token lists: 5-59 Zipf-distributed tokens per document, 10 % out of vocabulary.

    Returns
    -------
    words : list of str, vectors : ndarray (vocab_size, dim) float32, docs : list of token lists
        ``docs[0]`` holds no known word.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab_size)]
    vectors = rng.normal(0.0, 0.3, size=(vocab_size, dim)).astype(np.float32)
    lengths = rng.integers(5, 60, size=n_docs)
    ids = (rng.zipf(1.3, size=int(lengths.sum())) - 1) % vocab_size
    oov = rng.random(len(ids)) < 0.1
    tokens = np.where(oov, np.char.add("x", ids.astype(str)), np.char.add("w", ids.astype(str))).tolist()
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    docs = [tokens[bounds[i]: bounds[i + 1]] for i in range(n_docs)]
    docs[0] = ["x1", "x2"]
    return words, vectors, docs


# ------------------------------------------------------------------ single-query timing
def _percentiles_ms(seconds: list[float]) -> dict:
    import numpy as np

    ms = np.asarray(seconds) * 1e3
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99))}


def query_rounds(funcs: dict, items: list, repeats: int) -> dict:
    """Alternate rounds of each function over all items; per function the median over rounds of p50 and p99.

    ``cpu`` is the median CPU time of this process per call (all its threads): on a machine with
    many more runnable processes than cores, wall-clock times of a few milliseconds mostly measure
    the scheduler, CPU time the work.
    """
    per = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            times, cpu = [], []
            for item in items:
                start, start_cpu = time.perf_counter(), time.process_time()
                func(item)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            per[name].append({**_percentiles_ms(times), "cpu": statistics.median(cpu) * 1e3})
    return {name: {key: statistics.median(r[key] for r in runs) for key in ("p50", "p99", "cpu")}
            for name, runs in per.items()}
