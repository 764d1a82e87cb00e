"""classicx.subspace: shared-subspace learners mapping image and text features into one space.

Every aligner follows the two-view API of scikit-learn's ``CCA``:
``fit(X, Y, labels=None)``, ``transform(X, Y=None)`` (``X`` projected, or
the pair when ``Y`` is given) and ``transform_y(Y)``.

Linear: :class:`RegularizedCCA`, :class:`PLSSVD`, :class:`ThreeViewCCA`
(and :class:`MultiviewCCA` for any number of views, with a list API).
Kernel: :class:`KernelCCA`, :class:`MMDAlignment`, :class:`GramAlignment`,
:class:`KernelTargetAlignment` (supervised Gram alignment: HSIC with the labels).
Semantic: :class:`SemanticMatching`, :class:`SemanticCorrelationMatching`.
"""

from ._kta import KernelTargetAlignment, class_mean_indicator
from ._lowrank import KernelFeatureMap
from .cca import RegularizedCCA
from .gram import GramAlignment, centered_alignment
from .kcca import KernelCCA
from .kernels import (
    KERNELS,
    median_heuristic_gamma,
    pairwise_kernel,
    resolve_kernel_params,
)
from .mmd import MMDAlignment, MMDKernel, rbf_mmd2
from .multiview import MultiviewCCA, ThreeViewCCA
from .pls import PLSSVD
from .semantic import SemanticCorrelationMatching, SemanticMatching

__all__ = [
    "KERNELS",
    "PLSSVD",
    "GramAlignment",
    "KernelCCA",
    "KernelFeatureMap",
    "KernelTargetAlignment",
    "MMDAlignment",
    "MMDKernel",
    "MultiviewCCA",
    "RegularizedCCA",
    "SemanticCorrelationMatching",
    "SemanticMatching",
    "ThreeViewCCA",
    "centered_alignment",
    "class_mean_indicator",
    "median_heuristic_gamma",
    "pairwise_kernel",
    "rbf_mmd2",
    "resolve_kernel_params",
]
