"""classicx: classical cross-modal retrieval between images and text.

The data flows one way through the subpackages::

    datasets  →  image, text  →  subspace  →  search, metrics  →  retriever  →  cli
    (pairs)      (features)      (shared space) (ranking, scores)  (composition)

Every public name of the subpackages is re-exported here, so
``from classicx import BagOfVisualWords, TfidfLSA, RegularizedCCA`` works.
"""

from ._version import __version__
from . import exceptions, persistence
from .base import ClassicxEstimator
from . import datasets, image, text, subspace, search, metrics
from .image import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .subspace import *  # noqa: F401,F403
from .search import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from . import model_selection
from .model_selection import RetrievalMAPScorer, retrieval_map_scorer
from .retriever import CrossModalRetriever, Hit, RetrievalReport

__all__ = [
    "__version__",
    "exceptions",
    "persistence",
    "datasets",
    "image",
    "text",
    "subspace",
    "search",
    "metrics",
    "model_selection",
    "ClassicxEstimator",
    "RetrievalMAPScorer",
    "retrieval_map_scorer",
    "CrossModalRetriever",
    "Hit",
    "RetrievalReport",
    *image.__all__,
    *text.__all__,
    *subspace.__all__,
    *search.__all__,
    *metrics.__all__,
]
