"""Helpers shared by the text estimators: parts with defaults, string-input tags, empty-row warnings."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from ..exceptions import EmptyFeatureWarning, EmptyInputError, InputError
from ..utils.messages import warn


class DefaultParts:
    """Mixin: a part left at ``None`` is built from its default when a nested parameter is set.

    ``TfidfLSA()`` stores ``tfidf=None`` (meaning ``TfidfFeatures()``), yet
    ``TfidfLSA().set_params(tfidf__tokenizer__ngram_range=(1, 2))`` (what
    ``GridSearchCV`` does) must work: the part is built from its default first
    and then set, so the estimator afterwards holds the part it will use.
    Subclasses list their parts in ``_default_parts`` (name -> factory).
    """

    _default_parts: dict[str, Callable[[], Any]] = {}

    def set_params(self, **params: Any):
        for key in params:
            part, nested, _ = key.partition("__")
            if nested and part in self._default_parts and getattr(self, part, None) is None:
                setattr(self, part, self._default_parts[part]())
        return super().set_params(**params)

    def _part(self, name: str) -> Any:
        """An unfitted copy of part ``name`` (its default when ``None``): never the user's object."""
        given = getattr(self, name)
        return self._default_parts[name]() if given is None else clone(given)


def n_empty_rows(X: sp.csr_matrix) -> int:
    """Number of rows of the CSR matrix ``X`` without any stored entry."""
    return int(np.sum(np.diff(X.indptr) == 0))


def terms(vocabulary: dict[str, int]) -> np.ndarray:
    """The terms of ``vocabulary`` (term -> column) in column order, as an object array."""
    out = np.empty(len(vocabulary), dtype=object)
    for term, i in vocabulary.items():
        out[i] = term
    return out


def warn_empty_rows(n_empty: int, n_rows: int) -> None:
    if n_empty:
        warn(
            f"{n_empty} of {n_rows} texts have no term of the fitted vocabulary (empty, "
            "whitespace-only, only stop words or only unseen words): their vectors are all zero",
            EmptyFeatureWarning,
        )


def wrap_vocabulary_error(exc: ValueError) -> Exception:
    message = str(exc)
    if "empty vocabulary" in message:
        return EmptyInputError(
            "no tokens found in any text (all texts are empty, whitespace or stop words): "
            "nothing to build a vocabulary from"
        )
    return InputError(f"cannot build the vocabulary: {message}")


def text_tags(tags):
    """Tags of an estimator that takes a sequence of strings (not a 2-D array)."""
    tags.input_tags.string = True
    tags.input_tags.two_d_array = False
    return tags

