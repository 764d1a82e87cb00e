"""Argument types shared by the ``classicx`` command and its ``serve`` sub-command.

Each turns one command-line word into a value, or raises
:class:`argparse.ArgumentTypeError` with a one-line message that argparse
prints as a usage error (exit status 2).
"""

from __future__ import annotations

import argparse

__all__ = ["positive_int"]


def positive_int(text: str) -> int:
    """A whole number of at least 1.

    Examples
    --------
    >>> positive_int("5")
    5
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive whole number, got 0
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value}")
    return value
