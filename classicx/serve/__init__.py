"""A search service and a web page over a fitted :class:`~classicx.CrossModalRetriever`.

``classicx serve MODEL_DIR`` (the ``serve`` extra: ``pip install "classicx[serve]"``)
starts a JSON API with an OpenAPI schema (``/openapi.json``) and a page at ``/``
where a text finds images, an image finds texts, and a text and an image
together make a fused query.

* :func:`create_app` builds the ASGI application (FastAPI) around one fitted
  retriever, shared read-only by every request;
* :class:`Limits` holds the service's bounds (results per query, upload size,
  decoded pixels, query length);
* :func:`fused_search`, :func:`fuse_vectors` and :func:`rank_gallery` are the
  fused queries of the library, usable without the service;
* :func:`add_serve_command` and :func:`run_serve_command` are the ``classicx serve``
  sub-command, wired into ``classicx.cli``.

Importing this package needs neither FastAPI nor uvicorn; :func:`create_app` does.

Examples
--------
>>> from classicx.serve import Limits
>>> Limits().max_k
100
"""

from __future__ import annotations

import importlib
from typing import Any

from .._fusion import TARGETS, fuse_vectors, fused_search, rank_gallery
from ._command import add_serve_command, run_serve_command
from ._limits import Limits

__all__ = [
    "TARGETS",
    "Limits",
    "add_serve_command",
    "create_app",
    "fuse_vectors",
    "fused_search",
    "rank_gallery",
    "run_serve_command",
]


def __getattr__(name: str) -> Any:
    # create_app needs the 'serve' extra (FastAPI); it is imported on first use only.
    if name == "create_app":
        return importlib.import_module("._app", __name__).create_app
    raise AttributeError(f"module 'classicx.serve' has no attribute {name!r}")
