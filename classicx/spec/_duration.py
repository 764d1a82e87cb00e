"""Durations written the way people write them: ``"90"``, ``"90s"``, ``"10m"``, ``"1h30m"``, ``"1.5h"``."""

from __future__ import annotations

import math
import re
from numbers import Real

from ..exceptions import ParameterError

__all__ = ["parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(h|min|m|sec|s)?", re.IGNORECASE)
_SECONDS = {"h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "sec": 1.0, None: 1.0}


def parse_duration(value: str | float | int) -> float:
    """Seconds in a duration: a number of seconds, or a string such as ``"10m"``, ``"1h30m"``, ``"45s"``.

    A bare number is seconds. Units: ``h``, ``m`` (or ``min``), ``s`` (or
    ``sec``), combined largest first without separators (``"1h30m"``).

    Parameters
    ----------
    value : str or float
        The duration; must be positive and finite.

    Returns
    -------
    float
        Seconds.

    Raises
    ------
    ParameterError
        For anything else (the message quotes the value).

    Examples
    --------
    >>> from classicx.spec import parse_duration
    >>> parse_duration("10m"), parse_duration("1h30m"), parse_duration("1.5h"), parse_duration(45)
    (600.0, 5400.0, 5400.0, 45.0)
    """
    if isinstance(value, Real) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        pos, seconds, units = 0, 0.0, []
        while pos < len(text):
            match = _PART.match(text, pos)
            if match is None or match.end() == pos:
                raise ParameterError(f"cannot read the duration {value!r}; write e.g. '90', '45s', '10m' or '1h30m'")
            unit = match.group(2).lower() if match.group(2) else None
            if unit is None and match.end() != len(text):
                raise ParameterError(f"cannot read the duration {value!r}: a number without a unit must come last")
            units.append(unit)
            seconds += float(match.group(1)) * _SECONDS[unit]
            pos = match.end()
            while pos < len(text) and text[pos] == " ":
                pos += 1
        if not units:
            raise ParameterError(f"cannot read the duration {value!r}; write e.g. '90', '45s', '10m' or '1h30m'")
        if len([u for u in units if u is not None]) != len({_SECONDS[u] for u in units if u is not None}):
            raise ParameterError(f"cannot read the duration {value!r}: a unit is given twice")
    else:
        raise ParameterError(f"a duration must be a number of seconds or a string such as '10m'; got {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ParameterError(f"a duration must be positive and finite; got {value!r}")
    return seconds
