"""Base class shared by every classicx estimator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from sklearn.base import BaseEstimator

from . import persistence

__all__ = ["ClassicxEstimator"]

_T = TypeVar("_T", bound="ClassicxEstimator")


class ClassicxEstimator(BaseEstimator):
    """scikit-learn ``BaseEstimator`` that can be saved without pickle.

    Subclasses are registered for :mod:`classicx.persistence` under their
    qualified name (:func:`classicx.persistence.class_key`).
    Their fitted attributes (names ending in ``_``) must be arrays, sparse
    matrices, JSON values or nested classicx estimators.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        persistence.register(cls)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Save this estimator to the directory ``path``, atomically (see :func:`classicx.persistence.save`)."""
        return persistence.save(self, path, overwrite=overwrite)

    @classmethod
    def load(cls: type[_T], path: str | os.PathLike) -> _T:
        """Load an estimator of this class saved with :meth:`save`."""
        return persistence.load(path, expected=cls)
