"""``python -m classicx.serve MODEL_DIR [--host 127.0.0.1] [--port 8000]``: the same as ``classicx serve``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from ._command import add_serve_command, run_serve_command


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the ``serve`` arguments and run the service; returns the exit status."""
    from ..exceptions import ClassicxError

    parser = argparse.ArgumentParser(prog="python -m classicx.serve")
    add_serve_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            return run_serve_command(args, sys.stdout)
    except ClassicxError as exc:
        print(f"classicx serve: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
