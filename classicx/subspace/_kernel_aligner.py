"""What the aligners on kernel feature maps share: parameters, tags, map setup, streamed moments, projection (private).

:class:`KernelMapAligner` is the base of :class:`KernelCCA`,
:class:`GramAlignment` and :class:`KernelTargetAlignment`: the ``kernel`` /
``kernel_y`` parameters and their constraints, the tags they imply (the
histogram kernels need non-negative input) and the resolution of the two
unfitted feature maps from one ``random_state``. :class:`MomentAligner`
adds, for the two learners that solve from the feature moments (Gram
alignment and kernel-target alignment), the fit preamble -- validated pair
and labels, maps fitted, moments streamed, unbiased covariances, the
no-variance check -- and the projection through the maps with the solution
folded in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from ..exceptions import InputError
from ._base import BaseAligner, labels_to_indicator, optional_labels
from ._lowrank import (
    KernelFeatureMap,
    centred_features,
    feature_moments,
    kernel_name,
    resolve_map,
)
from .kernels import HISTOGRAM_KERNELS, KERNELS

__all__ = ["KERNEL_MAP_CONSTRAINTS", "KernelMapAligner", "MomentAligner", "Moments"]

# Rows streamed at a time when neither view has a feature map (raw columns).
_BATCH_SIZE = 4096

KERNEL_MAP_CONSTRAINTS: dict = {
    "kernel": [StrOptions(set(KERNELS)), KernelFeatureMap],
    "kernel_y": [StrOptions(set(KERNELS)), KernelFeatureMap, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class KernelMapAligner(BaseAligner):
    """Base of the aligners whose views go through a :class:`KernelFeatureMap` each.

    A subclass has the parameters ``kernel``, ``kernel_y``, ``random_state``
    and ``verbose`` (constraints in :data:`KERNEL_MAP_CONSTRAINTS`) and says
    what a kernel *name* resolves to: ``_default_method`` (the map's
    ``method``) and ``_linear_is_raw`` (whether ``"linear"`` means the raw
    columns, no map).
    """

    _keeps_sparse = True
    _default_method = "auto"
    _linear_is_raw = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The histogram kernels (chi2, additive_chi2, hellinger) need non-negative features.
        specs = (self.kernel, self.kernel if self.kernel_y is None else self.kernel_y)
        tags.input_tags.positive_only = any(kernel_name(spec) in HISTOGRAM_KERNELS for spec in specs)
        return tags

    def _maps(self) -> tuple[KernelFeatureMap | None, KernelFeatureMap | None]:
        """The unfitted maps of ``X`` and ``Y`` (``None`` for raw columns), seeded from ``random_state``."""
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=2)
        kernel_y = self.kernel if self.kernel_y is None else self.kernel_y
        return (
            resolve_map(self.kernel, self._default_method, int(seeds[0]), linear_is_raw=self._linear_is_raw),
            resolve_map(kernel_y, self._default_method, int(seeds[1]), linear_is_raw=self._linear_is_raw),
        )


@dataclass
class Moments:
    """The fitted maps and the feature moments of the training pairs (covariances normalised by ``n - 1``)."""

    n: int
    map_x: KernelFeatureMap | None
    map_y: KernelFeatureMap | None
    mean_x: np.ndarray
    mean_y: np.ndarray
    cov_xx: np.ndarray
    cov_yy: np.ndarray
    cov_xy: np.ndarray
    # With labels: cross-covariances of each view with the (transformed) label indicator.
    cov_xl: np.ndarray | None = None
    cov_yl: np.ndarray | None = None


class MomentAligner(KernelMapAligner):
    """Base of the aligners solved from the feature moments: :class:`GramAlignment`, :class:`KernelTargetAlignment`.

    A kernel name means 500 Nyström landmarks and ``"linear"`` the raw
    columns. The fitted state is ``x_map_`` / ``y_map_`` (maps with the
    projection folded in, or ``None``), ``x_weights_`` / ``y_weights_``
    (projections of raw columns, or ``None``) and ``x_offset_`` /
    ``y_offset_`` (the projected training means), set by
    :meth:`_set_projection`.
    """

    _default_method = "nystrom"
    _linear_is_raw = True
    # Labels add the label-alignment terms: requested by default from a Pipeline or a search.
    __metadata_request__fit = {"labels": True}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_offset_")

    def _label_target(self, indicator: np.ndarray) -> np.ndarray | None:
        """The matrix, from the 0/1 label indicator, whose cross-covariances with the features the fit needs.

        ``None`` (no label terms) when ``label_weight`` is 0; the indicator itself by default.
        """
        return indicator if self.label_weight > 0 else None

    def _moments(self, X: Any, Y: Any, labels: Any) -> tuple[Any, Any, Moments]:
        """Validate the pair and the labels, fit the maps, stream the moments.

        With labels, the cross-covariances of the features with
        :meth:`_label_target` are computed too (``Moments.cov_xl`` /
        ``cov_yl``; ``None`` without labels or label terms). Returns the
        validated ``X``, ``Y`` and the :class:`Moments`.
        """
        X, Y = self._validate_pair(X, Y, dtype=np.float64)
        n = X.shape[0]
        labels = optional_labels(labels, n)
        map_x, map_y = self._maps()
        for fmap, V in ((map_x, X), (map_y, Y)):
            if fmap is not None:
                fmap.fit(V)
        L = None if labels is None else self._label_target(labels_to_indicator(labels)[0])
        batch_size = next((m.batch_size for m in (map_x, map_y) if m is not None), _BATCH_SIZE)
        raw = feature_moments(map_x, X, map_y, Y, L, batch_size=batch_size, verbose=self.verbose)
        # Unbiased (n - 1) covariances, as RegularizedCCA.
        scale = n / (n - 1)
        moments = Moments(
            n, map_x, map_y, raw["mean_x"], raw["mean_y"], *(raw[key] * scale for key in ("cov_xx", "cov_yy", "cov_xy"))
        )
        if L is not None:
            moments.cov_xl, moments.cov_yl = raw["cov_xl"] * scale, raw["cov_yl"] * scale
        for name, cov, mean in (("X", moments.cov_xx, moments.mean_x), ("Y", moments.cov_yy, moments.mean_y)):
            # relative to the features' second moment, so that rounding noise is not mistaken for variance
            if not np.trace(cov) > 1e-12 * (np.trace(cov) + mean @ mean):
                raise InputError(f"{name} has no variance: every row of {name} is the same")
        return X, Y, moments

    def _set_projection(self, moments: Moments, Wx: np.ndarray, Wy: np.ndarray, X: Any, Y: Any) -> None:
        """Fold the feature-space projections ``Wx`` (m_x, k), ``Wy`` (m_y, k) into the fitted state."""
        map_x, map_y = moments.map_x, moments.map_y
        self.x_map_ = None if map_x is None else map_x.compose(Wx)
        self.y_map_ = None if map_y is None else map_y.compose(Wy)
        self.x_weights_ = Wx if map_x is None else None
        self.y_weights_ = Wy if map_y is None else None
        self.x_offset_ = moments.mean_x @ Wx
        self.y_offset_ = moments.mean_y @ Wy
        self.n_features_in_, self.n_features_y_in_ = int(X.shape[1]), int(Y.shape[1])

    def _project(self, fmap, weights, offset, V) -> np.ndarray:
        if fmap is None:
            return np.asarray(V @ weights) - offset
        return centred_features(fmap, V, offset, verbose=self.verbose)

    def _transform_x(self, X: Any) -> np.ndarray:
        return self._project(self.x_map_, self.x_weights_, self.x_offset_, X)

    def _transform_y(self, Y: Any) -> np.ndarray:
        return self._project(self.y_map_, self.y_weights_, self.y_offset_, Y)
