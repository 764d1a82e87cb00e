"""Hypothesis profiles and the one rule every fuzz case checks."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from classicx.exceptions import ClassicxError

#: Few, fixed examples in the normal suite (deterministic, no example database on disk).
FAST = settings(
    max_examples=15, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)
#: Many random examples, on request (CLASSICX_FUZZ=exhaustive).
EXHAUSTIVE = settings(FAST, max_examples=400, derandomize=False)

_EXHAUSTIVE_ON = os.environ.get("CLASSICX_FUZZ") == "exhaustive"

#: Parametrize a property over the two modes.
MODES = [
    pytest.param(FAST, id="fast"),
    pytest.param(
        EXHAUSTIVE,
        id="exhaustive",
        marks=[
            pytest.mark.slow,
            pytest.mark.skipif(not _EXHAUSTIVE_ON, reason="exhaustive fuzzing: set CLASSICX_FUZZ=exhaustive"),
        ],
    ),
]


def explore(profile: settings, check: Callable[..., None], *strategies: Any) -> None:
    """Run ``check`` on examples drawn from ``strategies`` under ``profile``."""
    profile(given(*strategies)(check))()


def outcome(call: Callable[[], Any], *, names: str | None = None) -> Any:
    """The result of ``call()``, or the classicx error it raised (whose message must contain ``names``).

    Any other exception propagates, failing the test: that is a raw exception.
    """
    try:
        return call()
    except ClassicxError as exc:
        if names is not None:
            assert names in str(exc), f"the error does not name {names!r}: {exc}"
        return exc
