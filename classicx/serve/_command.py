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
from pathlib import Path
from typing import Any

from ..exceptions import BackendUnavailableError, InputError
from ..utils.arguments import positive_int
from ..utils.messages import warn
from ._limits import Limits

__all__ = ["add_serve_command", "check_host", "is_loopback", "run_serve_command"]

logger = logging.getLogger(__name__)


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


def add_serve_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to the sub-parsers of the ``classicx`` command; returns its parser.

    Examples
    --------
    >>> import argparse
    >>> from classicx.serve import add_serve_command
    >>> parser = argparse.ArgumentParser(prog="classicx")
    >>> _ = add_serve_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["serve", "model_dir"])
    >>> args.host, args.port, args.max_k
    ('127.0.0.1', 8000, 100)
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


def build_app_from_args(args: argparse.Namespace) -> Any:
    """The application ``classicx serve`` would run for these arguments."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailableError(
            f"classicx serve needs the 'serve' extra ({exc.name} is missing): pip install 'classicx[serve]'"
        ) from None
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


def run_serve_command(args: argparse.Namespace, out: Any) -> int:
    """Run ``classicx serve`` until interrupted; returns the exit status."""
    app = build_app_from_args(args)
    import uvicorn  # present: build_app_from_args checked

    check_host(args.host)
    # The model's gallery is hundreds of thousands of long-lived Python objects (ids, texts, labels);
    # every full garbage collection walked them all, a pause of tens of milliseconds that stalled
    # every request in flight (text p99 at 10 clients 10x its p50 in bench_serve). Frozen here, once,
    # they are never traversed again; requests' own garbage is collected as before.
    import gc

    gc.collect()
    gc.freeze()
    served = app.state.served
    print(f"classicx serve: {args.model} ({served.n_images} images, {served.n_texts} texts) "
          f"on http://{args.host}:{args.port}/ (API schema at /openapi.json; Ctrl-C stops)", file=out, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
