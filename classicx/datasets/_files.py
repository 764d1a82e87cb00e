"""File helpers shared by the loaders: reading text documents, finding images, reporting missing files."""

from __future__ import annotations

import html
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import DatasetError, InputError, MissingFileError, SkippedItemsWarning, TextReadError

#: File name endings treated as images when scanning folders (compared in lower case).
IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm")

_MAX_LISTED = 50
_TEXT_TAG = re.compile(r"<text\b[^>]*>(.*?)</text\s*>", re.DOTALL | re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def read_text_file(path: Path, *, text_format: str = "auto", encoding: str = "utf-8", errors: str = "strict") -> str:
    """Read one text document: plain text, or the ``<text>`` element of an XML document.

    ``text_format="auto"`` treats files ending in ``.xml`` as XML. Raises
    :class:`TextReadError` naming the file when it cannot be read or decoded.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise MissingFileError(f"text file not found: {path}") from exc
    except OSError as exc:
        raise TextReadError(f"cannot read text file {path}: {exc}") from exc
    try:
        content = raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        raise TextReadError(
            f"cannot decode text file {path} as {encoding} (byte {exc.start}: {exc.reason}); "
            f"pass encoding=... or errors='replace'"
        ) from exc
    except LookupError as exc:
        raise InputError(f"unknown text encoding {encoding!r} or errors handler {errors!r}") from exc
    content = content.lstrip("\ufeff")
    is_xml = text_format == "xml" or (text_format == "auto" and path.suffix.lower() == ".xml")
    return _xml_text(content, path) if is_xml else content


def _xml_text(content: str, path: Path) -> str:
    """Text of the ``<text>`` element(s) of an XML document.

    The original Wikipedia dataset's documents are not always well-formed
    (unescaped ``&``, stray ``<``), so a parse failure falls back to a regular
    expression over the raw markup instead of rejecting the document.
    """
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        content = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), content)
        parts = [html.unescape(_ANY_TAG.sub(" ", m)) for m in _TEXT_TAG.findall(content)]
        if not parts:
            raise TextReadError(f"XML text file {path} has no <text> element") from None
        return "\n".join(p.strip() for p in parts)
    nodes = [root] if root.tag.lower() == "text" else [n for n in root.iter() if n.tag.lower() == "text"]
    if not nodes:
        raise TextReadError(f"XML text file {path} has no <text> element")
    return "\n".join("".join(n.itertext()).strip() for n in nodes)


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {list(choices)}; got {value!r}")


@dataclass(frozen=True)
class Problem:
    """One pair that cannot be loaded: its split, id, the file at fault and why."""

    split: str
    item_id: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.split} id {self.item_id}: {self.reason} ({self.path})"


def handle_problems(problems: list[Problem], on_missing: str, source: Path) -> list[str]:
    """Raise for, or warn about, pairs that cannot be loaded; return the ids dropped.

    All problems are listed at once, so that a user fixes a collection in one pass.
    """
    if not problems:
        return []
    # Long listings are cut so that a broken collection does not flood the terminal;
    # the ids of every dropped pair stay available on Dataset.dropped_ids.
    listing = "\n  ".join(str(p) for p in problems[:_MAX_LISTED])
    if len(problems) > _MAX_LISTED:
        listing += f"\n  ... and {len(problems) - _MAX_LISTED} more"
    if on_missing == "raise":
        cls = MissingFileError if all(p.reason.startswith("missing") for p in problems) else DatasetError
        raise cls(
            f"{len(problems)} pair(s) of {source} cannot be loaded:\n  {listing}\n"
            f"Pass on_missing='drop' to leave them out."
        )
    warnings.warn(
        f"dropped {len(problems)} pair(s) of {source} that cannot be loaded:\n  {listing}",
        SkippedItemsWarning,
        stacklevel=3,
    )
    return [p.item_id for p in problems]
