"""The ``classicx serve`` sub-command: its arguments and what it runs.

``classicx.cli`` adds it with two lines::

    from .serve import add_serve_command, run_serve_command
    add_serve_command(sub)                    # sub: the parser's sub-parsers
    _COMMANDS["serve"] = run_serve_command

Nothing here imports FastAPI or uvicorn until the command runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
from pathlib import Path
from typing import Any

from ..exceptions import BackendUnavailableError, InputError
from ..utils.arguments import positive_int
from ..utils.messages import warn
from ._limits import Limits

__all__ = ["add_serve_command", "check_host", "is_loopback", "run_serve_command", "worker_app"]

logger = logging.getLogger(__name__)

#: How the parent process hands the command's arguments to the worker processes it starts.
_WORKER_ARGS = "CLASSICX_SERVE_ARGS"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or ``localhost``).

    Examples
    --------
    >>> from classicx.serve._command import is_loopback
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> None:
    """Warn when the service would be reachable from other machines."""
    if is_loopback(host):
        return
    where = "every network interface" if host in ("0.0.0.0", "::", "") else f"{host!r}"
    warn(
        f"classicx serve listens on {where}: other machines can query the model and see its gallery; "
        "the service has no authentication. Use --host 127.0.0.1 (the default) unless that is intended.",
        UserWarning,
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port lies between 0 and 65535, got {value}")
    return value


def _workers(text: str) -> int:
    if text == "auto":
        return _cores()
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive whole number, got {text!r}") from None


def _cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def add_serve_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to the sub-parsers of the ``classicx`` command; returns its parser.

    Examples
    --------
    >>> import argparse
    >>> from classicx.serve import add_serve_command
    >>> parser = argparse.ArgumentParser(prog="classicx")
    >>> _ = add_serve_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["serve", "model_dir"])
    >>> args.host, args.port, args.max_k, args.workers
    ('127.0.0.1', 8000, 100, 1)
    """
    defaults = Limits()
    serve = subparsers.add_parser(
        "serve",
        help="serve a saved model: a JSON search API and a web page",
        description="Serve MODEL_DIR over HTTP: a page at / (text → images, image → texts, fused queries) "
        "and a JSON API described at /openapi.json. Needs the 'serve' extra: pip install 'classicx[serve]'.",
    )
    serve.add_argument("model", type=Path, metavar="MODEL_DIR", help="model directory written by 'classicx fit'")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default: %(default)s)")
    serve.add_argument("--images", type=Path, metavar="DIR",
                       help="directory holding the gallery images: thumbnails are served for gallery images "
                       "whose recorded path lies inside it (nothing outside it is opened)")
    serve.add_argument("--report", type=Path, metavar="JSON",
                       help="the model's evaluation as written by 'classicx evaluate --json', shown on the page")
    serve.add_argument("--labels", type=Path, metavar="FILE",
                       help="label names, one a line, in label order (e.g. a dataset's categories.list)")
    serve.add_argument("--max-k", type=positive_int, default=defaults.max_k,
                       help="most results per query (default: %(default)s)")
    serve.add_argument("--max-upload-mb", type=positive_int, default=defaults.max_upload_bytes // 2**20,
                       help="largest uploaded image in MiB (default: %(default)s)")
    serve.add_argument("--max-pixels", type=positive_int, default=defaults.max_pixels,
                       help="most pixels of an uploaded image, read from its header (default: %(default)s)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="allow browser pages from ORIGIN to call the API (repeatable; default: none)")
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="server processes answering on the same port, each with the model opened "
                       "memory-mapped ('auto': one per core; default: %(default)s, see the README)")
    return serve


def _read_json(path: Path) -> dict:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"--report {str(path)!r}: cannot read a JSON report ({exc})") from None
    if not isinstance(report, dict):
        raise InputError(f"--report {str(path)!r}: expected a JSON object as written by 'classicx evaluate --json'")
    return report


def _read_labels(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--labels {str(path)!r}: cannot read it ({exc})") from None
    return [line.strip() for line in lines if line.strip()]


def _require_serve_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailableError(
            f"classicx serve needs the 'serve' extra ({exc.name} is missing): pip install 'classicx[serve]'"
        ) from None


def build_app_from_args(args: argparse.Namespace) -> Any:
    """The application ``classicx serve`` would run for these arguments."""
    _require_serve_extra()
    from ..retriever import CrossModalRetriever
    from ._app import create_app

    model = CrossModalRetriever.load(args.model)
    return create_app(
        model,
        image_root=args.images,
        label_names=None if args.labels is None else _read_labels(args.labels),
        report=None if args.report is None else _read_json(args.report),
        limits=Limits(max_k=args.max_k, max_upload_bytes=args.max_upload_mb * 2**20, max_pixels=args.max_pixels),
        cors_origins=args.cors_origin,
    )


def _worker_argv(args: argparse.Namespace) -> str:
    """The arguments a worker process needs to build the same application, as JSON."""
    return json.dumps({
        "model": str(args.model),
        "images": None if args.images is None else str(args.images),
        "report": None if args.report is None else str(args.report),
        "labels": None if args.labels is None else str(args.labels),
        "max_k": args.max_k,
        "max_upload_mb": args.max_upload_mb,
        "max_pixels": args.max_pixels,
        "cors_origin": list(args.cors_origin),
    })


def worker_app() -> Any:
    """The application of one worker process of ``classicx serve --workers N`` (a uvicorn factory).

    uvicorn starts each worker as a fresh interpreter (``spawn``) and calls
    this there; the arguments come from the parent through the environment.
    Each worker loads the model itself: its arrays are memory-mapped
    (:mod:`classicx.persistence`), so the workers share them through the page
    cache; the Python objects of the gallery (ids, texts, labels) are each
    worker's own.
    """
    from ._process import prepare_process

    try:
        values = json.loads(os.environ[_WORKER_ARGS])
    except (KeyError, ValueError):
        raise InputError(f"worker_app is started by 'classicx serve --workers N' ({_WORKER_ARGS} is not set)") from None
    paths = {"model", "images", "report", "labels"}
    args = argparse.Namespace(**{k: Path(v) if k in paths and v is not None else v for k, v in values.items()})
    app = build_app_from_args(args)
    prepare_process()
    return app


def _exit_with(parent: int) -> None:
    # A parent stopped by a signal (SIGTERM's default action runs no clean-up) would leave the
    # checking process loading a model for nobody: it ends as soon as its parent is gone.
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="classicx-serve-check-watch", daemon=True).start()


def _check_args(argv: str, conn: Any, parent: int) -> None:
    """In a process of its own: build the application once, send back the gallery's sizes or the error."""
    from ..exceptions import ClassicxError

    _exit_with(parent)
    os.environ[_WORKER_ARGS] = argv
    try:
        app = worker_app()
    except ClassicxError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent in one line, which exits with it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        conn.send(("ok", app.state.served.n_images, app.state.served.n_texts))
    finally:
        conn.close()


def _check_in_a_process(args: argparse.Namespace) -> tuple[int, int]:
    """Build the workers' application once in a short-lived process; its gallery sizes, or the error.

    A bad model, report or label file is then reported in one line before any
    worker starts, and the watching parent never holds a model: a model
    loaded there and let go kept its memory (235 MiB resident for a
    100,000-item gallery after ``del`` and ``gc.collect()``).
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_check_args, args=(_worker_argv(args), sender, os.getpid()),
                              name="classicx-serve-check")
    process.start()
    sender.close()
    try:
        answer = receiver.recv()
    except EOFError:  # it died without a word (killed, out of memory)
        answer = None
    process.join()
    if answer is None:
        raise InputError(f"the process checking the model stopped with exit status {process.exitcode}")
    if answer[0] == "error":
        raise InputError(answer[1])
    return answer[1], answer[2]


def run_serve_command(args: argparse.Namespace, out: Any) -> int:
    """Run ``classicx serve`` until interrupted; returns the exit status.

    With ``--workers 1`` (the default) one process answers every request: its
    event loop parses requests while a thread of its own answers the text
    queries waiting at that moment in one batch, and two more threads work on
    images. With ``--workers N``, uvicorn starts N such processes on the same
    socket (and restarts one that dies); the parent only watches them. The
    application is first built once in a short-lived process, so that a bad
    model is a one-line error.

    The default is 1 worker: one process already keeps more than one core
    busy (the search and the image decoding release the GIL), every further
    worker holds its own copy of the gallery's Python objects (2 workers took
    2.4 times the memory of 1 for a 100,000-item gallery), and on the shared
    2-core benchmark machine 2 workers answered text queries at 50 clients
    0.85 to 1.33 times as fast as 1 (``benchmarks/RESULTS.md``, issue #17).
    ``--workers auto`` is for a machine given to the service.
    """
    check_host(args.host)
    workers = args.workers
    if workers == 1:
        app = build_app_from_args(args)
        n_images, n_texts = app.state.served.n_images, app.state.served.n_texts
    else:
        _require_serve_extra()
        n_images, n_texts = _check_in_a_process(args)
    import uvicorn  # present: checked above

    print(f"classicx serve: {args.model} ({n_images} images, {n_texts} texts) "
          f"on http://{args.host}:{args.port}/ (API schema at /openapi.json; "
          f"{workers} worker process{'es' if workers > 1 else ''}; Ctrl-C stops)", file=out, flush=True)
    if workers == 1:
        from ._process import prepare_process

        prepare_process()
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
        return 0
    os.environ[_WORKER_ARGS] = _worker_argv(args)
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, host=args.host, port=args.port,
                log_level="warning", access_log=False)
    return 0
