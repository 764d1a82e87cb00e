"""A smoke run of benchmarks/bench_serve.py: a tiny gallery, one client, one second per row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, SERVE_EXTRA

pytest.importorskip("fastapi", reason=SERVE_EXTRA)
pytest.importorskip("httpx", reason=SERVE_EXTRA)
pytest.importorskip("psutil", reason="bench_serve needs psutil (the 'dev' extra)")


@pytest.mark.slow
@pytest.mark.parametrize(("client", "image"), [("python", "hsv"), ("wrk", None)])
def test_bench_serve_smoke(tmp_path, client, image):
    if client == "wrk" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = tmp_path / "numbers.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"), "--gallery", "500", "--train", "120",
         "--clients", "1", "--duration", "1", "--client", client, "--json", str(out),
         *(["--image", image] if image else [])],
        check=True, env=env, timeout=600, capture_output=True,
    )
    numbers = json.loads(out.read_text())
    assert [(r["kind"], r["clients"]) for r in numbers["rows"]] == [("text", 1), ("image", 1)]
    for row in numbers["rows"]:
        assert row["ok"] > 0 and row["errors"] == 0 and row["p50_ms"] <= row["p99_ms"]
    assert numbers["memory_end_mb"] > 0
    # --image sets the served model's image features; without it, the default preset's
    assert numbers["image"].startswith("hsv(" if image else "fisher(rootsift,64")
