"""Text for people: shortening by display width, so that Chinese or Japanese text is cut, not emptied."""

from __future__ import annotations

import unicodedata

__all__ = ["display_width", "shorten"]

_ELLIPSIS = "…"


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take 2, combining marks 0.

    Examples
    --------
    >>> display_width("cat"), display_width("猫"), display_width("e\\u0301")
    (3, 2, 1)
    """
    return sum(_char_width(c) for c in text)


def shorten(text: str, width: int = 70) -> str:
    """``text`` on one line, cut to at most ``width`` display columns with a trailing "…".

    Runs of whitespace become one space. The cut falls at a word boundary
    when one lies in the second half of the allowed width, otherwise inside a
    word: text without spaces (Chinese, Japanese, a long URL) keeps as many
    characters as fit, never only the "…" that ``textwrap.shorten`` leaves.
    Width is measured with :func:`display_width` (``unicodedata.east_asian_width``).

    Parameters
    ----------
    text : str
    width : int, default=70
        At least 2 (one character and the "…").

    Returns
    -------
    str

    Examples
    --------
    >>> shorten("a red circle on a striped background", 20)
    'a red circle on a …'
    >>> shorten("一只红色的圆形在条纹背景上面的图片", 12)
    '一只红色的…'
    >>> shorten("short", 20)
    'short'
    """
    if width < 2:
        raise ValueError(f"width must be at least 2; got {width}")
    line = " ".join(text.split())
    if display_width(line) <= width:
        return line
    budget = width - display_width(_ELLIPSIS)
    kept, used = [], 0
    for char in line:
        w = _char_width(char)
        if used + w > budget:
            break
        kept.append(char)
        used += w
    cut = "".join(kept)
    boundary = cut.rfind(" ")
    if boundary > 0 and display_width(cut[:boundary]) >= budget // 2:
        cut = cut[: boundary + 1]  # keep the space: "word …" reads as a cut after a whole word
    return cut + _ELLIPSIS
