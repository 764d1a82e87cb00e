"""Load on ``classicx serve``: throughput and latency of text and image queries, on loopback only.

The server is ``python -m classicx.serve`` in a child process, bound to 127.0.0.1, over a model with
a 100,000-item gallery. For each query kind (a text query -> images; an uploaded webnews-size JPEG ->
texts) and each number of concurrent clients (1, 10, 50), the clients (asyncio + httpx, in this
process) send requests back to back for a fixed time. Reported: requests per second, p50/p99
latency, errors, and the server's resident memory at start and end.

How the 100,000-item gallery is made (a fitted model's gallery is what it was fitted or indexed
on, and encoding 100,000 images would take longer than the benchmark): a retriever is fitted on
synthetic pairs; the text gallery is ``index(texts=...)`` on 100,000 captions (the fitted captions
with a running number appended); the image gallery is an ``ExactSearcher`` over 100,000 vectors
drawn around the fitted images' shared-space vectors (each a fitted vector plus 5 % Gaussian noise),
with ids, labels and descriptions to match. Search cost depends on the gallery's size and
dimension, not on where its vectors came from.

Every request goes to 127.0.0.1; the number of requests and the time are bounded.

``--baseline REV`` runs every row first against the server of a git revision (the package extracted
from git into a temporary directory, one process, the same saved model), for ratios in the same run.
``--workers 1 2`` runs every row once per number of server processes (``classicx serve --workers N``);
server CPU and memory are then those of the whole process tree (the watching parent and its workers),
memory both as resident (RSS, shared pages counted in every process) and as proportional set size
(PSS, each shared page divided among the processes sharing it).

The load comes from Debian's ``wrk`` when it is installed (``apt-get install wrk``: C, a few
microseconds of CPU per request), else from asyncio + httpx in this process, which spends more CPU
per request than the server at 50 clients and so measures itself as much as the server.

Run: ``python benchmarks/bench_serve.py`` (about 5 minutes), ``--quick`` for a smoke run,
``--results`` to write its section of ``benchmarks/RESULTS.md``, ``--json PATH`` for the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__:
    from . import _common as common
else:  # run as a file: benchmarks/ is the first entry of sys.path
    import _common as common

ROOT = Path(__file__).resolve().parents[1]
WEBNEWS = Path(os.environ.get("CLASSICX_WEBNEWS", ROOT.parent / "shared" / "data" / "webnews"))
HOST = "127.0.0.1"  # loopback only, never configurable


def build_model(n_gallery: int, n_train: int, seed: int = 0, image: str | None = None):
    from classicx import CrossModalRetriever, datasets
    from classicx.search import ExactSearcher

    data = datasets.load_synthetic(n_train=n_train, n_test=50, random_state=seed)
    model = CrossModalRetriever(image_features=image, verbose=False, random_state=seed).fit(
        data.train.images, data.train.texts, labels=data.train.labels,
        ids=data.train.ids, descriptions=data.train.descriptions,
    )
    rng = np.random.default_rng(seed)
    rows = np.arange(n_gallery) % n_train
    texts = [f"{data.train.texts[r]} {i}" for i, r in enumerate(rows)]
    ids = [f"g{i:06d}" for i in range(n_gallery)]
    labels = np.asarray(data.train.labels)[rows]
    model.index(texts=texts, text_ids=ids, text_labels=labels)
    base = model.transform_images(data.train.images)
    scale = 0.05 * np.linalg.norm(base, axis=1, keepdims=True) / np.sqrt(base.shape[1])
    vectors = (base[rows] + rng.normal(size=(n_gallery, base.shape[1])) * scale[rows]).astype(np.float32)
    model.image_gallery_ = ExactSearcher(metric="cosine").fit(vectors)
    model.image_ids_ = list(ids)
    model.image_descriptions_ = [f"{data.train.descriptions[r]} ({i})" for i, r in enumerate(rows)]
    model.image_labels_ = labels
    model.image_files_, model.image_texts_ = [None] * n_gallery, None  # vectors only: no files, no paired texts
    queries = list(data.test.texts)
    return model, queries


def query_photo() -> tuple[bytes, str]:
    """A webnews-size JPEG: the median-size photo of the webnews data when present, else a synthetic one."""
    photos = sorted((WEBNEWS / "images").glob("*/*.jpg")) if WEBNEWS.is_dir() else []
    if photos:
        sizes = sorted(photos[:400], key=lambda p: p.stat().st_size)
        photo = sizes[len(sizes) // 2]
        return photo.read_bytes(), f"webnews {photo.parent.name}/{photo.name}"
    import cv2

    from classicx import datasets

    image = datasets.load_synthetic(n_train=1, n_test=1, image_size=400, random_state=1).train.images[0]
    image = cv2.resize(image, (400, 266))
    _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return data.tobytes(), "synthetic 400x266 JPEG"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(model_dir: Path, workers: int = 1, tree: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``python -m classicx.serve`` of the classicx in ``tree`` (this one, or a baseline's copy)."""
    import httpx

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    extra = [] if workers == 1 else ["--workers", str(workers)]  # a baseline may predate --workers
    # Run from ``tree``: ``python -m`` puts the working directory first on sys.path.
    process = subprocess.Popen([sys.executable, "-m", "classicx.serve", str(model_dir), "--host", HOST,
                                "--port", str(port), *extra], env=env, stdout=subprocess.DEVNULL, cwd=tree)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start within 300 s")


def _tree(pid: int) -> list:
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def rss_mb(pid: int) -> float:
    """Resident memory of the server's process tree (shared pages counted in every process)."""
    return sum(p.memory_info().rss for p in _tree(pid)) / 2**20


def pss_mb(pid: int) -> float:
    """Proportional set size of the server's process tree (each shared page counted once overall)."""
    try:
        return sum(p.memory_full_info().pss for p in _tree(pid)) / 2**20
    except AttributeError:  # no PSS outside Linux
        return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time of the server's process tree so far (workers included)."""
    return common.process_tree_cpu_seconds(pid)


async def phase(url: str, kind: str, clients: int, duration: float, max_requests: int,
                texts: list[str], photo: bytes, server_pid: int) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        async def client(number: int) -> None:
            i = number
            while time.perf_counter() < stop_at and len(latencies) + sum(errors.values()) < max_requests:
                start = time.perf_counter()
                try:
                    if kind == "text":
                        response = await http.post("/api/search/text", json={"text": texts[i % len(texts)], "k": 10})
                    else:
                        response = await http.post("/api/search/image", files={"file": ("photo.jpg", photo)},
                                                   data={"k": "10"})
                    if response.status_code == 200:
                        latencies.append(time.perf_counter() - start)
                    else:
                        errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                i += clients

        began, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - began
        server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    ms = sorted(1000 * x for x in latencies)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else float("nan")
    return {
        "kind": kind, "clients": clients, "seconds": round(elapsed, 1), "ok": len(ms),
        "errors": sum(errors.values()), "error_kinds": errors,
        "throughput": len(ms) / elapsed if elapsed else 0.0,
        "p50_ms": pick(0.50), "p99_ms": pick(0.99), "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        # CPU time per answered request: what the work costs, whatever else the machine is doing.
        "server_cpu_ms": 1000 * server_cpu / max(1, len(ms)), "client_cpu_ms": 1000 * client_cpu / max(1, len(ms)),
        "server_rss_mb": rss_mb(server_pid),
    }


_WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""


def wrk_script(kind: str, texts: list[str], photo: bytes, folder: Path) -> Path:
    """A wrk Lua script sending text queries (in turn) or the photo as a multipart upload."""
    if kind == "text":
        bodies = ",\n".join(f"[==[{json.dumps({'text': t, 'k': 10})}]==]" for t in texts)
        body = (f"local bodies = {{{bodies}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
                '  return wrk.format("POST", "/api/search/text", {["Content-Type"] = "application/json"}, '
                "bodies[(i % #bodies) + 1])\nend\n")
    else:
        boundary = "classicxbenchboundary"
        upload = folder / "upload.bin"
        upload.write_bytes(
            f'--{boundary}\r\nContent-Disposition: form-data; name="k"\r\n\r\n10\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + f"\r\n--{boundary}--\r\n".encode()
        )
        body = (f'local f = io.open([==[{upload}]==], "rb")\nwrk.body = f:read("*all")\nf:close()\n'
                'wrk.method = "POST"\nwrk.path = "/api/search/image"\n'
                f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={boundary}"\n')
    script = folder / f"{kind}.lua"
    script.write_text(body + _WRK_DONE)
    return script


def phase_wrk(url: str, kind: str, clients: int, duration: float, texts: list[str], photo: bytes,
              server_pid: int) -> dict:
    """One row with wrk as the load generator (C, a few microseconds of CPU per request)."""
    import resource

    with tempfile.TemporaryDirectory(prefix="bench-serve-wrk-") as tmp:
        script = wrk_script(kind, texts, photo, Path(tmp))
        server_cpu = cpu_seconds(server_pid)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{duration:g}s", "--timeout", "60s",
             "-s", str(script), url], capture_output=True, text=True, check=True, timeout=duration + 120,
        ).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = cpu_seconds(server_pid) - server_cpu
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, micros, p50, p99, *errors = (int(v) for v in line.split()[1:])
    ok = requests - errors[0]
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "kind": kind, "clients": clients, "seconds": round(micros / 1e6, 1), "ok": ok, "errors": sum(errors),
        "error_kinds": dict(zip(("status", "connect", "read", "write", "timeout"), errors)),
        "throughput": ok / (micros / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "mean_ms": float("nan"),
        "server_cpu_ms": 1000 * server_cpu / max(1, ok), "client_cpu_ms": 1000 * client_cpu / max(1, ok),
        "server_rss_mb": rss_mb(server_pid),
    }


def baseline_tree(revision: str, folder: Path) -> Path:
    """The package as it was at a git ``revision``, extracted under ``folder`` (nothing written into the repository)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "classicx"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def table(rows: list[dict]) -> str:
    head = ("| server | query | workers | clients | requests/s | p50 ms | p99 ms | errors | requests | server CPU ms/req "
            "| client CPU ms/req | server RSS after, MiB |")
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = "text → images" if r["kind"] == "text" else "image upload → texts"
        lines.append(f"| {r.get('server', 'this tree')} | {name} | {r.get('workers', 1)} | {r['clients']} | {r['throughput']:.1f} | {r['p50_ms']:.1f} "
                     f"| {r['p99_ms']:.1f} | {r['errors']} | {r['ok'] + r['errors']} | {r['server_cpu_ms']:.2f} "
                     f"| {r['client_cpu_ms']:.2f} | {r['server_rss_mb']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gallery", type=int, default=100_000, help="gallery size (default: %(default)s)")
    parser.add_argument("--train", type=int, default=300, help="synthetic pairs fitted (default: %(default)s)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="server processes (classicx serve --workers N), one run each (default: 1)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also run every row against the server of this git revision (1 process), same model")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase (default: %(default)s)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound per phase (default: %(default)s)")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="load generator: wrk (Debian's wrk, default when installed) or asyncio+httpx here")
    parser.add_argument("--image", metavar="SPEC",
                        help="image features of the served model (a spec, e.g. 'hsv'; default: the default preset's): "
                             "an image query costs what its descriptor costs, so this sets the upload capacity")
    parser.add_argument("--quick", action="store_true", help="10,000 items, 1 and 10 clients, 3 s each")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--results", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.gallery, args.train, args.clients, args.duration = 10_000, 120, [1, 10], 3.0

    began = time.perf_counter()
    print(f"building a model with a {args.gallery:,}-item gallery ...", flush=True)
    model, texts = build_model(args.gallery, args.train, image=args.image)
    from classicx.spec import to_spec

    image_spec = to_spec(model.image_features_)
    texts_dim = model.image_gallery_.n_features_in_
    photo, photo_name = query_photo()
    load_start = os.getloadavg()
    rows, memory = [], []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        model.save(Path(tmp) / "model")
        del model
        servers = [("this tree", workers, ROOT) for workers in args.workers]
        if args.baseline:
            (Path(tmp) / "baseline").mkdir()
            servers.insert(0, (args.baseline, 1, baseline_tree(args.baseline, Path(tmp) / "baseline")))
        for server, workers, tree in servers:
            process, url = start_server(Path(tmp) / "model", workers, tree)
            try:
                import httpx

                # A few requests of each kind first (every worker gets some), so that first-call
                # costs are not in the numbers.
                for _ in range(2 * workers):
                    httpx.post(url + "/api/search/text", json={"text": texts[0]}, timeout=120)
                    httpx.post(url + "/api/search/image", files={"file": ("p.jpg", photo)}, timeout=120)
                start = (rss_mb(process.pid), pss_mb(process.pid))
                for kind in ("text", "image"):
                    for clients in args.clients:
                        if args.client == "wrk":
                            row = phase_wrk(url, kind, clients, args.duration, texts, photo, process.pid)
                        else:
                            row = asyncio.run(phase(url, kind, clients, args.duration, args.max_requests, texts,
                                                    photo, process.pid))
                        row["workers"], row["server"] = workers, server
                        rows.append(row)
                        print(f"  {server}: {workers} worker(s) {kind:5s} {clients:3d} clients: {row['throughput']:7.1f}/s  "
                              f"p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}  "
                              f"server CPU {row['server_cpu_ms']:.2f} ms/req  RSS {row['server_rss_mb']:.0f} MiB",
                              flush=True)
                end = (rss_mb(process.pid), pss_mb(process.pid))
                memory.append({"server": server, "workers": workers, "rss_start_mb": start[0], "pss_start_mb": start[1],
                               "rss_end_mb": end[0], "pss_end_mb": end[1]})
            finally:
                process.terminate()
                process.wait(timeout=30)
    load_end = os.getloadavg()
    memory_lines = "\n".join(
        f"- {m['server']}, {m['workers']} worker(s): RSS {m['rss_start_mb']:.0f} MiB after warm-up, {m['rss_end_mb']:.0f} MiB at "
        f"the end; PSS {m['pss_start_mb']:.0f} -> {m['pss_end_mb']:.0f} MiB" for m in memory
    )
    body = (
        f"Gallery: {args.gallery:,} images and {args.gallery:,} texts ({texts_dim}-dimensional shared space, exact "
        f"search); image features `{image_spec}`; image query: {photo_name} ({len(photo):,} bytes); "
        f"{args.duration:g} s per row; load from "
        f"{'wrk' if args.client == 'wrk' else 'asyncio + httpx'}; server and clients on the same "
        f"{os.cpu_count()} cores, loopback only. Load average (1/5/15 min) "
        f"{' / '.join(f'{x:.2f}' for x in load_start)} at the start, {' / '.join(f'{x:.2f}' for x in load_end)} "
        f"at the end.\n\n{table(rows)}\n\nServer memory (process tree):\n\n{memory_lines}\n"
    )
    print("\n" + body)
    print(f"done in {time.perf_counter() - began:.0f} s")
    if args.json:
        common.write_json(args.json, {"rows": rows, "memory": memory, "memory_start_mb": memory[0]["rss_start_mb"],
                                      "memory_end_mb": memory[-1]["rss_end_mb"], "gallery": args.gallery, "image": image_spec,
                                      "photo": photo_name, "load_start": load_start, "load_end": load_end})
    if args.results:
        common.write_section("bench_serve", "Search service under load (`classicx serve`, issue #17)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
