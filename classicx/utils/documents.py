"""Reading text documents: plain UTF-8 files and the Wikipedia dataset's XML documents.

This is the one reader of text files in classicx: the dataset loaders use it
(``classicx.datasets`` sits below ``classicx.text`` and may not import it) and
:mod:`classicx.text` re-exports it as :func:`classicx.text.read_text`.

XML semantics
-------------
The Wikipedia cross-modal dataset (Rasiwasia et al. 2010) ships texts as
``<document><docno>..</docno><title>..</title><text>..</text></document>``.

* The text of a document is the content of **all** its ``<text>`` elements,
  each stripped, joined by a newline (a ``<text>`` inside another one is part
  of the outer one, not counted twice). Markup inside an element is dropped,
  its text kept.
* ``<![CDATA[...]]>`` sections are taken literally (``x <y> & z`` stays so).
* Malformed documents (unescaped ``&`` or ``<``, unclosed elements), which a
  strict XML parser refuses and which several of the original files are, are
  read with a tolerant fallback: the ``<text>`` elements are found by a
  regular expression, other tags become a space and entities are unescaped.
* A document without any ``<text>`` element is an error
  (:class:`~classicx.exceptions.TextReadError`).

Size limit
----------
A text file larger than ``4 * max_chars`` bytes is refused before it is
read, and a decoded text longer than ``max_chars`` characters after it
(default :data:`~classicx.utils.validation.MAX_TEXT_CHARS`, ten million), with
:class:`~classicx.exceptions.TextReadError` naming the file: a "text" of
gigabytes is a wrong file, not a document.

Errors
------
A missing file raises :class:`~classicx.exceptions.MissingFileError`; any
other file that cannot be read, decoded or parsed raises
:class:`~classicx.exceptions.TextReadError`. Both are :class:`OSError`, so
``except OSError`` catches every problem with the file itself. An unknown
``encoding`` or ``errors`` name is a bad argument, not a bad file, and raises
:class:`~classicx.exceptions.InputError` before any file is opened.
"""

from __future__ import annotations

import codecs
import html
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from ..exceptions import InputError, InputTypeError, MissingFileError, TextReadError
from .validation import MAX_TEXT_CHARS

__all__ = ["DOCUMENT_FORMATS", "read_text", "read_texts"]

#: Values of the ``format`` parameter of :func:`read_text`.
DOCUMENT_FORMATS = ("auto", "txt", "xml")

_TEXT_ELEMENT = re.compile(r"<text\b[^>]*>(.*?)</text\s*>", re.DOTALL | re.IGNORECASE)
# A tag holds no "<": a bare "<" in malformed text ("a < b <i>c</i>") is not the start of one.
_ANY_TAG = re.compile(r"<[^<>]+>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def _looks_like_xml(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<?xml") or (head.startswith("<") and "<text" in text.lower())


def _outer_text_elements(node: ET.Element) -> list[ET.Element]:
    if isinstance(node.tag, str) and node.tag.lower() == "text":
        return [node]
    return [found for child in node for found in _outer_text_elements(child)]


def _text_from_xml(document: str, source: str) -> str:
    """Text of every ``<text>`` element of ``document``: strict parse first, tolerant regex second."""
    try:
        root = ET.fromstring(document)
    except (ET.ParseError, ValueError):
        root = None
    if root is not None:
        parts = ["".join(node.itertext()).strip() for node in _outer_text_elements(root)]
    else:
        # CDATA content is escaped first so that the tag stripping below leaves it intact
        # and the final unescaping restores it literally.
        escaped = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), document)
        # html.unescape leaves a bare "&" alone, which is exactly the malformed case.
        parts = [html.unescape(_ANY_TAG.sub(" ", body)).strip() for body in _TEXT_ELEMENT.findall(escaped)]
    if not parts:
        raise TextReadError(f"{source}: XML document has no <text> element")
    return "\n".join(parts)


def _check_codec(encoding: str, errors: str) -> None:
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as exc:
        raise InputError(f"unknown text encoding {encoding!r}") from exc
    try:
        codecs.lookup_error(errors)
    except (LookupError, TypeError) as exc:
        raise InputError(
            f"unknown decoding error handler errors={errors!r} (use 'strict', 'replace' or 'ignore')"
        ) from exc


def read_text(
    item: str | os.PathLike,
    encoding: str = "utf-8",
    errors: str = "strict",
    *,
    format: str = "auto",
    max_chars: int | None = MAX_TEXT_CHARS,
) -> str:
    """Read one text from a file, or from a Wikipedia-style XML document.

    Parameters
    ----------
    item : str or path-like
        A path to a text file (``.txt``, or the Wikipedia dataset's ``.xml``
        documents), or an XML document given as a string (starting with ``<``).
    encoding : str, default="utf-8"
        Encoding of the file. A leading byte-order mark is removed.
    errors : str, default="strict"
        How undecodable bytes are handled, as in :func:`open` (``"strict"``
        raises, ``"replace"`` substitutes U+FFFD, ``"ignore"`` drops them).
    format : {"auto", "txt", "xml"}, default="auto"
        ``"xml"`` returns the text of the document's ``<text>`` elements (see
        :mod:`classicx.utils.documents` for the exact rules: all elements
        joined by a newline, CDATA taken literally, malformed XML read
        tolerantly); ``"txt"`` returns the file's content as it is;
        ``"auto"`` reads a file as XML when its name ends in ``.xml`` or its
        content starts like an XML document holding a ``<text>`` element.
    max_chars : int or None, default=MAX_TEXT_CHARS
        Longest text accepted (ten million characters); ``None`` for no limit.

    Returns
    -------
    str
        The text.

    Raises
    ------
    MissingFileError
        If the file does not exist.
    TextReadError
        If the file cannot be read, does not decode with ``encoding`` (the
        message names the file and the byte offset), is an XML document
        without a ``<text>`` element, or is longer than ``max_chars``.
    InputError
        If ``encoding``, ``errors`` or ``format`` is not a known value.
    InputTypeError
        If ``item`` is neither a string nor a path.

    See Also
    --------
    read_texts : read many items, naming the row of a failing one.

    Examples
    --------
    >>> from classicx.text import read_text
    >>> read_text("<document><title>T</title><text>Fish & chips</text></document>")
    'Fish & chips'
    >>> read_text("<doc><text>part one</text><text><![CDATA[x <y>]]></text></doc>")
    'part one\\nx <y>'
    """
    if format not in DOCUMENT_FORMATS:
        raise InputError(f"format must be one of {list(DOCUMENT_FORMATS)}, got {format!r}")
    if isinstance(item, str) and item.lstrip().startswith("<"):
        if max_chars is not None and len(item) > max_chars:
            raise TextReadError(f"XML string of {len(item):,} characters, above the limit of {max_chars:,}")
        return _text_from_xml(item, "XML string")
    if not isinstance(item, (str, os.PathLike)):
        raise InputTypeError(f"read_text expects a file path or an XML string, got {type(item).__name__}")
    _check_codec(encoding, errors)
    path = Path(item)
    if max_chars is not None and path.is_file() and path.stat().st_size > 4 * max_chars:
        # UTF-8 needs at most 4 bytes a character: this file cannot decode within the limit.
        raise TextReadError(
            f"{path}: text file of {path.stat().st_size:,} bytes, above the limit of {max_chars:,} "
            "characters (classicx.utils.validation.MAX_TEXT_CHARS)"
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise MissingFileError(f"{path}: text file not found") from exc
    except OSError as exc:
        raise TextReadError(f"{path}: cannot read text file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        raise TextReadError(
            f"{path}: cannot decode as {encoding} (byte {exc.start}: {exc.reason}); "
            "pass encoding=... for another encoding or errors='replace' to substitute bad bytes"
        ) from exc
    text = text.removeprefix("\ufeff")
    if max_chars is not None and len(text) > max_chars:
        raise TextReadError(
            f"{path}: the text has {len(text):,} characters, above the limit of {max_chars:,} "
            "(classicx.utils.validation.MAX_TEXT_CHARS); split long documents into passages"
        )
    is_xml = format == "xml" or (
        format == "auto" and (path.suffix.lower() == ".xml" or _looks_like_xml(text))
    )
    return _text_from_xml(text, str(path)) if is_xml else text


def read_texts(
    items: Iterable[str | os.PathLike],
    encoding: str = "utf-8",
    errors: str = "strict",
    *,
    format: str = "auto",
) -> list[str]:
    """Read several texts with :func:`read_text`; an error names the failing row.

    Parameters
    ----------
    items : iterable of str or path-like
        Paths or XML strings, as for :func:`read_text`.
    encoding, errors, format : str
        As for :func:`read_text`.

    Returns
    -------
    list of str

    Raises
    ------
    MissingFileError, TextReadError, InputTypeError
        As :func:`read_text`, with the message prefixed by ``row <i>:``.

    See Also
    --------
    read_text

    Examples
    --------
    >>> from classicx.text import read_texts
    >>> read_texts(["<doc><text>a</text></doc>", "<doc><text>b</text></doc>"])
    ['a', 'b']
    """
    out = []
    for row, item in enumerate(items):
        try:
            out.append(read_text(item, encoding=encoding, errors=errors, format=format))
        except (MissingFileError, TextReadError, InputTypeError) as exc:
            raise type(exc)(f"row {row}: {exc}") from exc
    return out
