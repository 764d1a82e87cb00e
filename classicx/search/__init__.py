"""k-nearest-neighbour search over the shared space: exact and approximate backends.

Every searcher has the same small interface (modelled on faiss's index API):
``fit(gallery, labels=None)``, ``add(vectors)``,
``search(queries, k, allow_ids=None, allow_labels=None) -> (scores, indices)``
with scores higher-is-better and ties broken by gallery index, and
``len(searcher)``. :func:`make_searcher` builds any of them from a short spec
string such as ``"exact"``, ``"faiss:IVF256,Flat"`` or ``"hnswlib:M=32"``.
The approximate backends are optional (``pip install 'classicx[ann]'``) and
imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .annoy_backend import AnnoySearcher
    from .approximate import ApproximateSearcher
    from .base import BaseSearcher
    from .exact import ExactSearcher
    from .factory import make_searcher
    from .faiss_backend import FaissSearcher
    from .hnswlib_backend import HnswlibSearcher
    from .similarity import SIMILARITY_METRICS, pairwise_scores

# Public name -> submodule, imported on first use (PEP 562): a model loads only its own stages.
_EXPORTS = {
    "AnnoySearcher": ".annoy_backend",
    "ApproximateSearcher": ".approximate",
    "BaseSearcher": ".base",
    "ExactSearcher": ".exact",
    "make_searcher": ".factory",
    "FaissSearcher": ".faiss_backend",
    "HnswlibSearcher": ".hnswlib_backend",
    "SIMILARITY_METRICS": ".similarity",
    "pairwise_scores": ".similarity",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "SIMILARITY_METRICS",
    "AnnoySearcher",
    "ApproximateSearcher",
    "BaseSearcher",
    "ExactSearcher",
    "FaissSearcher",
    "HnswlibSearcher",
    "make_searcher",
    "pairwise_scores",
]
