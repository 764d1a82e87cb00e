"""classicx: classical cross-modal retrieval between images and text.

The data flows one way through the subpackages::

    datasets  →  image, text  →  subspace  →  search, metrics  →  retriever  →  cli
    (pairs)      (features)      (shared space) (ranking, scores)  (composition)

:mod:`classicx.spec` builds any stage from a short string
(``"fisher(rootsift,64)+0.5*hsv"``, ``"sm(balanced)"``, ``"faiss:HNSW32"``) and
:mod:`classicx.presets` names whole pipelines (``"fast"``, ``"balanced"``,
``"best"``) that the retriever fills its unset stages from.

The top level holds the subpackages and :class:`CrossModalRetriever`; every
other public name has one spelling, in its subpackage
(``from classicx.subspace import RegularizedCCA``). Subpackages are imported
on first use (PEP 562), so ``import classicx`` loads neither OpenCV nor
gensim, faiss or torch.

Examples
--------
>>> import classicx
>>> classicx.subspace.RegularizedCCA(n_components=2)
RegularizedCCA()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import (  # noqa: F401
        base,
        datasets,
        exceptions,
        image,
        metrics,
        model_selection,
        persistence,
        presets,
        search,
        serve,
        spec,
        subspace,
        text,
        utils,
    )
    from .retriever import CrossModalRetriever, Hit  # noqa: F401

_SUBMODULES = (
    "base",
    "datasets",
    "exceptions",
    "image",
    "metrics",
    "model_selection",
    "persistence",
    "presets",
    "search",
    "serve",
    "spec",
    "subspace",
    "text",
    "utils",
)
_FROM_RETRIEVER = ("CrossModalRetriever", "Hit")

__all__ = ["__version__", *_SUBMODULES, *_FROM_RETRIEVER]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FROM_RETRIEVER:
        return getattr(importlib.import_module(".retriever", __name__), name)
    raise AttributeError(f"module 'classicx' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
