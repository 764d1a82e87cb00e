"""Texts from files (:func:`read_text`, from :mod:`classicx.utils.documents`) and checks of text collections."""

from __future__ import annotations

import os

from ..exceptions import InputTypeError
from ..utils.documents import read_text, read_texts

__all__ = ["check_texts", "read_text", "read_texts"]

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
