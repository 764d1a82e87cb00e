"""Base classes shared by the classicx estimators."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from . import persistence

__all__ = ["ClassicxEstimator", "CollectionTransformerMixin"]

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


class CollectionTransformerMixin(TransformerMixin):
    """``fit_transform`` for transformers of images or texts whose ``fit`` learns nothing from them.

    ``fit`` of such a transformer only checks its parameters and loads what
    it runs (a network, a colour space); ``fit_transform`` checks the
    collection once with the subclass's ``_check_collection``
    (:func:`~classicx.utils.validation.check_images` or
    :func:`~classicx.utils.validation.check_texts`, which also turns an
    iterator into a list, so that a generator is consumed once) and passes
    the same list to ``fit`` and ``transform``.
    """

    _check_collection: Callable[..., list]

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then transform the same collection (checked once).

        Parameters
        ----------
        X : sequence of images (paths, bytes or arrays) or of texts
            What ``transform`` takes.
        y : ignored

        Returns
        -------
        ndarray of float32, shape (n_items, n_features_out_)
        """
        items = self._check_collection(X, allow_empty=True)
        return self.fit(items).transform(items)
