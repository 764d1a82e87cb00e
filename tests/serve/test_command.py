"""The ``classicx serve`` sub-command: arguments, loopback default, and a real run on a saved model."""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import time
import warnings

import pytest

from classicx.serve import add_serve_command
from classicx.serve._command import check_host, is_loopback

from .conftest import ROOT, SERVE_EXTRA, start_server, stop_server


def parse(*argv):
    parser = argparse.ArgumentParser(prog="classicx")
    add_serve_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", *argv])


def test_defaults_bind_loopback():
    args = parse("model_dir")
    assert (args.host, args.port, args.images, args.report, args.cors_origin) == ("127.0.0.1", 8000, None, None, [])
    assert (args.max_k, args.max_upload_mb, args.max_pixels, args.workers) == (100, 10, 40_000_000, 1)


def test_workers_argument():
    assert parse("m", "--workers", "3").workers == 3
    assert parse("m", "--workers", "auto").workers == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("argv", [["m", "--port", "70000"], ["m", "--port", "http"], ["m", "--max-k", "0"],
                                  ["m", "--workers", "0"], ["m", "--workers", "many"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(*argv)
    assert stop.value.code == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_is_quiet(host):
    assert is_loopback(host)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_other_addresses_warn(host):
    assert not is_loopback(host)
    with pytest.warns(UserWarning, match="no authentication"):
        check_host(host)


def test_build_app_from_args(saved, gallery_dir, data):
    pytest.importorskip("fastapi", reason=SERVE_EXTRA)
    from fastapi.testclient import TestClient

    from classicx.serve._command import build_app_from_args

    root, report = saved
    args = parse(str(root / "model"), "--images", str(gallery_dir), "--report", str(root / "report.json"),
                 "--labels", str(root / "labels.txt"), "--max-k", "7")
    client = TestClient(build_app_from_args(args))
    info = client.get("/api/info").json()
    assert info["report"]["map_text_to_image"] == report["map_text_to_image"]
    assert info["label_names"] == data.categories and info["limits"]["max_k"] == 7
    assert client.get(f"/api/thumbnails/{data.train.ids[0]}").status_code == 200
    assert client.post("/api/search/text", json={"text": "circle", "k": 8}).status_code == 422


def test_bad_report_file_is_a_clear_error(saved, tmp_path):
    pytest.importorskip("fastapi", reason=SERVE_EXTRA)
    from classicx.exceptions import InputError
    from classicx.serve._command import build_app_from_args

    root, _ = saved
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object"):
        build_app_from_args(parse(str(root / "model"), "--report", str(tmp_path / "bad.json")))
    with pytest.raises(InputError, match="cannot read a JSON report"):
        build_app_from_args(parse(str(root / "model"), "--report", str(tmp_path / "missing.json")))


def test_serve_runs_on_loopback(saved, gallery_dir):
    httpx = pytest.importorskip("httpx", reason=SERVE_EXTRA)
    root, _ = saved
    process, url = start_server(root / "model", "--images", str(gallery_dir))
    try:
        assert httpx.get(url + "/api/health").json()["n_images"] == 120
        hits = httpx.post(url + "/api/search/text", json={"text": "a red circle", "k": 3}).json()["hits"]
        assert len(hits) == 3 and hits[0]["thumbnail_url"]
        assert httpx.get(url + hits[0]["thumbnail_url"]).headers["content-type"] == "image/jpeg"
    finally:
        out, err = stop_server(process)
    assert f"on {url}/" in out
    assert "warn" not in err.lower()


def test_missing_model_is_one_line_and_status_1(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "classicx.serve", str(tmp_path / "none")],
                            check=False, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("classicx serve: error:") and "Traceback" not in result.stderr


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    children = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")
def test_serve_with_two_workers(saved, model):
    """``--workers 2``: two processes on one loopback port, each answering as the model does."""
    httpx = pytest.importorskip("httpx", reason=SERVE_EXTRA)
    root, _ = saved
    try:
        process, url = start_server(root / "model", "--workers", "2")
    except TimeoutError as exc:  # a machine too busy to start three interpreters in time
        pytest.skip(str(exc))
    try:
        assert url.startswith("http://127.0.0.1:")
        # The parent watches; two of its children serve (uvicorn also starts a resource tracker).
        workers = [pid for pid in _children(process.pid)
                   if "multiprocessing.spawn" in pathlib.Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(workers) == 2
        texts = ["a red circle", "a blue star", "green square on stripes", "ring"]
        with httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("/api/health").json()["n_images"] == 120
            for i in range(12):
                text = texts[i % 4]
                hits = http.post("/api/search/text", json={"text": text, "k": 5}).json()["hits"]
                assert [h["id"] for h in hits] == [h.id for h in model.search_text(text, k=5)]
    finally:
        out, err = stop_server(process)
    assert "2 worker processes" in out and "Traceback" not in err
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the server"


def test_workers_with_a_bad_model_is_one_line_and_status_1(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    (tmp_path / "classicx.json").write_text("{}")
    # Two interpreters start (the command and the process checking the model): a few seconds on a
    # quiet machine, minutes on a crowded one at nice 19.
    result = subprocess.run([sys.executable, "-m", "classicx.serve", str(tmp_path), "--workers", "2"],
                            check=False, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("classicx serve: error:") and "not a classicx model" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_app_needs_the_parent(monkeypatch):
    from classicx.exceptions import InputError
    from classicx.serve._command import worker_app

    monkeypatch.delenv("CLASSICX_SERVE_ARGS", raising=False)
    with pytest.raises(InputError, match="--workers"):
        worker_app()
