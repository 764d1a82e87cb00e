"""Write one benchmark's section into benchmarks/RESULTS.md without touching the others.

Each script owns the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
a section that does not exist yet is appended.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def command_line() -> str:
    """The command that ran this script, for the record."""
    return "python " + " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).as_posix(), *sys.argv[1:]])


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, title: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body``."""
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


def write_json(path: str | Path, records: list[dict]) -> None:
    Path(path).write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
