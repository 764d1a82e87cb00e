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

from .annoy_backend import AnnoySearcher
from .approximate import ApproximateSearcher
from .base import BaseSearcher
from .exact import ExactSearcher
from .factory import make_searcher
from .faiss_backend import FaissSearcher
from .hnswlib_backend import HnswlibSearcher
from .similarity import SIMILARITY_METRICS, pairwise_scores

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
