"""Warnings that point at the user's line, however deep inside classicx they are raised.

Python 3.12's ``warnings.warn(skip_file_prefixes=...)`` does this; classicx
supports 3.10, so the first frame outside the classicx package is found by
walking the stack.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

__all__ = ["warn", "user_stacklevel"]

_PACKAGE = str(Path(__file__).resolve().parents[1])


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by the caller point at the first frame outside classicx.

    Frames of scikit-learn and joblib wrappers called by classicx on the way
    (for example ``TransformerMixin.fit_transform``) are skipped too, since the
    user did not write them either.
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = filename.startswith(_PACKAGE) or "/sklearn/" in filename or "/joblib/" in filename
        if not inside:
            return level
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the user's call (see :func:`user_stacklevel`).

    Examples
    --------
    >>> import warnings
    >>> from classicx.exceptions import ClassicxWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("something to know", ClassicxWarning)
    >>> caught[0].filename.startswith("<doctest")  # this line, not classicx's nor the doctest runner's
    True
    """
    # user_stacklevel counts from its caller, this function: the level warnings.warn needs here.
    # (Adding 1, as this line once did, pointed one frame too far: at the caller's caller.)
    warnings.warn(message, category, stacklevel=user_stacklevel())
