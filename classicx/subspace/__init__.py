"""classicx.subspace: shared-subspace learners mapping image and text features into one space.

Every aligner follows the two-view API of scikit-learn's ``CCA``:
``fit(X, Y, labels=None)``, ``transform(X, Y=None)`` (``X`` projected, or
the pair when ``Y`` is given) and ``transform_y(Y)``.
"""

from .cca import RegularizedCCA
from .multiview import MultiviewCCA, ThreeViewCCA
from .pls import PLSSVD
from .semantic import SemanticCorrelationMatching, SemanticMatching

__all__ = [
    "RegularizedCCA",
    "PLSSVD",
    "SemanticMatching",
    "SemanticCorrelationMatching",
    "MultiviewCCA",
    "ThreeViewCCA",
]
