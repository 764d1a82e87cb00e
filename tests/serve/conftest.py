"""Fixtures of the service tests: one small synthetic model, fitted once per session."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE_EXTRA = "needs the 'serve' extra (pip install 'classicx[serve]')"


@pytest.fixture(scope="session")
def data():
    from classicx import datasets

    return datasets.load_synthetic(n_train=120, n_test=40, random_state=0)


@pytest.fixture(scope="session")
def model(data):
    from classicx import CrossModalRetriever

    # The stages of classicx 0.2.0's default, written out: these tests are about serving a model (their
    # oracles rank by cosine in a CCA space), not about the default preset.
    return CrossModalRetriever(image_features="bovw(sift,256)", text_features="lsa(100)",
                               aligner="cca(32,reg=0.3,weight_power=4.0)", searcher="exact",
                               verbose=False, random_state=0).fit(
        data.train.images, data.train.texts, labels=data.train.labels,
        ids=data.train.ids, descriptions=data.train.descriptions,
    )


@pytest.fixture(scope="session")
def app(model, data):
    from classicx.serve import create_app

    return create_app(model, images=data.train.images, label_names=data.categories)


@pytest.fixture()
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


@pytest.fixture(scope="session")
def gallery_dir(tmp_path_factory, data):
    """The training images written as PNG files named ``<id>.png``."""
    root = tmp_path_factory.mktemp("gallery")
    for item_id, image in zip(data.train.ids, data.train.images):
        (root / f"{item_id}.png").write_bytes(encode(image))
    return root


@pytest.fixture(scope="session")
def file_model(model, data):
    """A shallow copy of the model whose image descriptions are the file names in ``gallery_dir``.

    Only the copy's own list is replaced; the session model is not touched.
    """
    other = copy.copy(model)
    other.image_descriptions_ = [f"{item_id}.png" for item_id in data.train.ids]
    return other


@pytest.fixture(scope="session")
def saved(tmp_path_factory, file_model, data):
    """The file-backed model saved, with a report and a label file beside it."""
    root = tmp_path_factory.mktemp("served")
    file_model.save(root / "model")
    report = file_model.evaluate(data.test.images, data.test.texts, labels=data.test.labels).to_dict()
    (root / "report.json").write_text(json.dumps(report))
    (root / "labels.txt").write_text("\n".join(data.categories) + "\n")
    return root, report


@contextmanager
def running(app):
    """``app`` served by uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model_dir, *extra):
    """``python -m classicx.serve`` in a child process; returns (process, base url) once it answers."""
    httpx = pytest.importorskip("httpx", reason=SERVE_EXTRA)
    pytest.importorskip("uvicorn", reason=SERVE_EXTRA)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "classicx.serve", str(model_dir), "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {process.stderr.read()}")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(process)  # terminate first: a parent killed outright would leave its workers behind
    raise TimeoutError("the server did not answer within 120 s")


def stop_server(process) -> tuple[str, str]:
    process.terminate()
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return out, err
