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

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
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

# Public name -> submodule, imported on first use (PEP 562): a model loads only its own stages.
_EXPORTS = {
    "KernelTargetAlignment": "._kta",
    "class_mean_indicator": "._kta",
    "KernelFeatureMap": "._lowrank",
    "RegularizedCCA": ".cca",
    "GramAlignment": ".gram",
    "centered_alignment": ".gram",
    "KernelCCA": ".kcca",
    "KERNELS": ".kernels",
    "median_heuristic_gamma": ".kernels",
    "pairwise_kernel": ".kernels",
    "resolve_kernel_params": ".kernels",
    "MMDAlignment": ".mmd",
    "MMDKernel": ".mmd",
    "rbf_mmd2": ".mmd",
    "MultiviewCCA": ".multiview",
    "ThreeViewCCA": ".multiview",
    "PLSSVD": ".pls",
    "SemanticCorrelationMatching": ".semantic",
    "SemanticMatching": ".semantic",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
