"""Reading texts from files: plain UTF-8 files and the Wikipedia dataset's XML documents."""

from __future__ import annotations

import html
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..exceptions import EmptyInputError, InputTypeError, TextReadError

__all__ = ["check_texts", "read_text", "read_texts"]

# The Wikipedia cross-modal dataset (Rasiwasia et al. 2010) ships texts as
# ``<document><docno>..</docno><title>..</title><text>..</text></document>``,
# several of them with unescaped ``&`` or ``<`` that a strict XML parser refuses.
_TEXT_ELEMENT = re.compile(r"<text\b[^>]*>(.*?)</text\s*>", re.DOTALL | re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]+>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def _looks_like_xml(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<?xml") or (
        head.startswith("<") and "<text" in text.lower()
    )


def _text_from_xml(document: str, source: str) -> str:
    """The content of the first ``<text>`` element, strict parse first, tolerant regex second."""
    try:
        root = ET.fromstring(document)
    except (ET.ParseError, ValueError):
        root = None
    if root is not None:
        node = (
            root
            if root.tag.lower() == "text"
            else next(
                (
                    el
                    for el in root.iter()
                    if isinstance(el.tag, str) and el.tag.lower() == "text"
                ),
                None,
            )
        )
        if node is not None:
            return "".join(node.itertext()).strip()
    match = _TEXT_ELEMENT.search(document)
    if match is None:
        raise TextReadError(f"{source}: XML document has no <text> element")
    body = _CDATA.sub(lambda m: m.group(1), match.group(1))
    # html.unescape leaves a bare "&" alone, which is exactly the malformed case.
    return html.unescape(_ANY_TAG.sub(" ", body)).strip()


def read_text(
    item: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict"
) -> str:
    """Read one text from a file path or a Wikipedia-style XML document.

    Parameters
    ----------
    item : str or path-like
        A path to a text file (``.txt`` or the Wikipedia dataset's ``.xml``
        documents), or an XML document given as a string (starting with
        ``<``). For XML, the content of the ``<text>`` element is returned;
        malformed XML (unescaped ``&``, stray ``<``) is read tolerantly.
    encoding : str, default="utf-8"
        Encoding of the file.
    errors : str, default="strict"
        How undecodable bytes are handled, as in :func:`open` (``"strict"``
        raises, ``"replace"`` substitutes U+FFFD, ``"ignore"`` drops them).

    Returns
    -------
    str
        The text.

    Raises
    ------
    TextReadError
        If the file is missing, unreadable, does not decode with ``encoding``
        (the message names the file and the byte offset), or is an XML
        document without a ``<text>`` element.
    InputTypeError
        If ``item`` is neither a string nor a path.

    See Also
    --------
    read_texts : read many items, naming the row of a failing one.

    Examples
    --------
    >>> read_text("<document><title>T</title><text>Fish & chips</text></document>")
    'Fish & chips'
    """
    if isinstance(item, str) and item.lstrip().startswith("<"):
        return _text_from_xml(item, "XML string")
    if not isinstance(item, (str, os.PathLike)):
        raise InputTypeError(
            f"read_text expects a file path or an XML string, got {type(item).__name__}"
        )
    path = Path(item)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise TextReadError(f"{path}: text file not found") from exc
    except OSError as exc:
        raise TextReadError(
            f"{path}: cannot read text file ({exc.strerror or exc})"
        ) from exc
    try:
        text = raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        raise TextReadError(
            f"{path}: cannot decode as {encoding} (byte {exc.start}: {exc.reason}); "
            "pass encoding=... for another encoding or errors='replace' to substitute bad bytes"
        ) from exc
    except LookupError as exc:
        raise TextReadError(
            f"{path}: unknown encoding or error handler ({exc})"
        ) from exc
    text = text.removeprefix("\ufeff")
    if path.suffix.lower() == ".xml" or _looks_like_xml(text):
        return _text_from_xml(text, str(path))
    return text


def read_texts(
    items: Sequence[str | os.PathLike], encoding: str = "utf-8", errors: str = "strict"
) -> list[str]:
    """Read several texts with :func:`read_text`; an error names the failing row.

    Examples
    --------
    >>> read_texts(["<doc><text>a</text></doc>", "<doc><text>b</text></doc>"])
    ['a', 'b']
    """
    out = []
    for row, item in enumerate(items):
        try:
            out.append(read_text(item, encoding=encoding, errors=errors))
        except TextReadError as exc:
            raise TextReadError(f"row {row}: {exc}") from exc
        except InputTypeError as exc:
            raise InputTypeError(f"row {row}: {exc}") from exc
    return out


def check_texts(texts: object, name: str = "texts") -> list[str]:
    """Validate a collection of texts: a sequence whose items are all ``str``.

    Empty and whitespace-only strings are valid. ``None`` or any other type
    raises :class:`~classicx.exceptions.InputTypeError` naming the first bad row.
    A single string is refused (it would be read as a sequence of characters).

    Examples
    --------
    >>> check_texts(("a", ""))
    ['a', '']
    """
    if isinstance(texts, (str, bytes)):
        raise InputTypeError(
            f"{name} must be a sequence of strings, got a single {type(texts).__name__}; "
            "wrap it in a list"
        )
    try:
        texts = list(texts)  # type: ignore[call-overload]
    except TypeError as exc:
        raise InputTypeError(
            f"{name} must be a sequence of strings, got {type(texts).__name__}"
        ) from exc
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            hint = (
                " (read files with classicx.text.read_text first)"
                if isinstance(text, os.PathLike)
                else ""
            )
            raise InputTypeError(
                f"{name}[{row}] is {type(text).__name__}, expected str{hint}"
            )
    return texts


def _check_fit_texts(texts: object) -> list[str]:
    """:func:`check_texts`, refusing an empty collection (nothing to fit on)."""
    texts = check_texts(texts)
    if not texts:
        raise EmptyInputError("no texts given: fit needs at least one text")
    return texts
