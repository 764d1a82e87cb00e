"""Helpers shared by the subspace tests."""

from __future__ import annotations

from typing import Any


def comparable_params(estimator: Any) -> dict:
    """``get_params(deep=True)`` with nested estimators replaced by their class name.

    Estimators do not compare equal by value, but their settings do: the deep
    parameters list every nested setting (``kernel__gamma``) separately.
    """
    return {
        name: type(value).__name__ if hasattr(value, "get_params") else value
        for name, value in estimator.get_params(deep=True).items()
    }
