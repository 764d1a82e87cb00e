"""Feature stages on a ``dask.bag``: which ones run on a cluster, fitting them, transforming by partition (private).

A retriever's feature stage runs on the workers when it is one of

* an estimator with a Dask path of its own: the local-feature image encoders
  (``bovw``, ``sp``, ``vlad``, ``fisher``; vocabulary from per-partition
  samples), :class:`~classicx.text.TfidfFeatures` and
  :class:`~classicx.text.TfidfLSA` (counts per partition, randomised SVD);
* :class:`~classicx.image.ColorHistogram` (``hsv``), which learns nothing from
  the images: it is fitted without them and applied partition by partition;
* a :class:`~classicx.spec.ConcatFeatures` of those (``"fisher(rootsift,64)+0.5*hsv"``,
  ``"lsa(200)|l2"``): every part is fitted on the bag as above, and the fitted
  whole is applied to each partition on its worker, so that the weights and
  the row normalisation are exactly those of the in-memory ``transform``.

Anything else (CNN or sentence embeddings, LDA, word vectors, a scikit-learn
``Pipeline``) is refused before any work starts, with the stage named; an
aligner is checked the same way (:func:`check_aligner`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import clone

from ..exceptions import InputTypeError, ParameterError
from ._compute import require_dask
from ._text import partition_lengths

__all__ = ["check_aligner", "check_feature_stage", "fit_concat", "fit_features", "transform_by_partition",
           "transform_concat", "transform_features"]

_SUPPORTED_FEATURES = ("bovw, sp, vlad, fisher, hsv, tfidf, lsa, and sums of them (a+0.5*b, a|l2)")
_SUPPORTED_ALIGNERS = "cca, pls, 3cca, kcca, sm, scm"


def _own_path() -> tuple[type, ...]:
    """Feature estimators whose own ``fit``/``transform`` take a ``dask.bag``."""
    from ..image._base import LocalFeatureEncoder
    from ..text import TfidfFeatures, TfidfLSA

    return (LocalFeatureEncoder, TfidfFeatures, TfidfLSA)


def _stateless() -> tuple[type, ...]:
    """Feature estimators that learn nothing from their input (fitted without it)."""
    from ..image import ColorHistogram

    return (ColorHistogram,)


def _describe(stage: Any) -> str:
    from ..spec import to_spec

    try:
        return f"{to_spec(stage)!r} ({type(stage).__name__})"
    except (ValueError, TypeError):  # a stage of the user's own has no spec: its class says what it is
        return type(stage).__name__


def check_feature_stage(stage: Any, name: str) -> None:
    """Raise :class:`ParameterError` naming ``name`` unless ``stage`` can be fitted on a bag (see the module)."""
    from ..spec import ConcatFeatures

    if isinstance(stage, ConcatFeatures):
        for part_name, part in stage.transformers:
            if isinstance(part, ConcatFeatures) or not isinstance(part, _own_path() + _stateless()):
                raise ParameterError(
                    f"the {name} stage {_describe(stage)} cannot run on a Dask cluster: its part {part_name!r} "
                    f"({type(part).__name__}) has no Dask path; on a cluster use {_SUPPORTED_FEATURES}"
                )
        return
    if not isinstance(stage, _own_path() + _stateless()):
        raise ParameterError(
            f"the {name} stage {_describe(stage)} cannot run on a Dask cluster (it has no Dask path); "
            f"on a cluster use {_SUPPORTED_FEATURES}, or fit in memory"
        )


def check_aligner(aligner: Any, name: str = "aligner") -> None:
    """Raise :class:`ParameterError` naming ``name`` unless ``aligner`` fits on dask arrays."""
    from ..subspace import (
        PLSSVD,
        KernelCCA,
        RegularizedCCA,
        SemanticCorrelationMatching,
        SemanticMatching,
        ThreeViewCCA,
    )

    if isinstance(aligner, SemanticCorrelationMatching):
        if aligner.aligner is not None:
            check_aligner(aligner.aligner, f"{name}'s inner aligner")
        if aligner.semantic is not None and not isinstance(aligner.semantic, SemanticMatching):
            raise ParameterError(f"the {name} stage's semantic part {type(aligner.semantic).__name__} cannot "
                                 "run on a Dask cluster; it must be a SemanticMatching")
        return
    if not isinstance(aligner, (RegularizedCCA, PLSSVD, ThreeViewCCA, KernelCCA, SemanticMatching)):
        raise ParameterError(
            f"the {name} stage {_describe(aligner)} cannot run on a Dask cluster (it has no Dask path); "
            f"on a cluster use {_SUPPORTED_ALIGNERS}, or fit in memory"
        )


def fit_features(stage: Any, bag: Any, name: str = "features") -> Any:
    """Fit a feature stage on a ``dask.bag`` (checked by :func:`check_feature_stage`); returns it."""
    from ..spec import ConcatFeatures

    check_feature_stage(stage, name)
    if isinstance(stage, ConcatFeatures):
        return fit_concat(stage, bag)
    if isinstance(stage, _stateless()):
        return stage.fit(None)  # nothing is learned from the data: only the parameters are checked
    return stage.fit(bag)


def transform_features(stage: Any, bag: Any) -> Any:
    """A fitted feature stage applied to a ``dask.bag``: a dask array, one row per item."""
    if isinstance(stage, _own_path()):
        return stage.transform(bag)
    return transform_by_partition(stage, bag, _width(stage), np.float32 if isinstance(stage, _stateless()) else np.float64)


def _width(stage: Any) -> int:
    """The number of columns ``stage.transform`` gives (known from its fitted attributes)."""
    for attribute in ("n_features_out_", "n_components_"):
        if hasattr(stage, attribute):
            return int(getattr(stage, attribute))
    if hasattr(stage, "vocabulary_") and hasattr(stage, "idf_"):
        return len(stage.vocabulary_)
    return len(stage.get_feature_names_out())


def fit_concat(est: Any, bag: Any) -> Any:
    """:meth:`ConcatFeatures.fit <classicx.spec.ConcatFeatures.fit>` on a ``dask.bag``: each part fitted on the bag."""
    require_dask()
    est._check_parts()
    check_feature_stage(est, "ConcatFeatures")
    fitted = [(name, fit_features(clone(part), bag, f"part {name!r}")) for name, part in est.transformers]
    est.transformers_ = fitted
    est.n_features_out_ = int(sum(_width(part) for _, part in fitted))
    return est


def transform_concat(est: Any, bag: Any) -> Any:
    """:meth:`ConcatFeatures.transform <classicx.spec.ConcatFeatures.transform>` of a ``dask.bag``: float64 dask array."""
    from ..utils.validation import check_is_fitted

    check_is_fitted(est, "transformers_")
    return transform_by_partition(est, bag, int(est.n_features_out_), np.float64)


def _apply(items: Any, stage: Any, partition: int, dtype: Any) -> np.ndarray:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(stage.transform(list(items)), dtype=dtype)
    for w in caught:
        if "Inside a Dask worker with daemon=True" in str(w.message):
            # joblib runs a part's own pool serially inside a worker process, as it should: the
            # worker's threads already run one partition each.
            continue
        # Row numbers in the stage's warnings count from the start of the partition.
        warnings.warn(f"partition {partition}: {w.message}", w.category, stacklevel=2)
    return out


def transform_by_partition(stage: Any, bag: Any, width: int, dtype: Any) -> Any:
    """``stage.transform(list(partition))`` on the worker of every partition, as one dask array.

    The fitted stage travels with the graph; each partition is transformed
    exactly as the same items would be in memory.
    """
    dask = require_dask()
    import dask.array as da
    import dask.bag as db

    if not isinstance(bag, db.Bag):
        raise InputTypeError(f"{type(stage).__name__}.transform on a cluster takes a dask.bag of images or texts; "
                             f"got {type(bag).__name__}")
    block = dask.delayed(_apply, pure=True)
    parts = [
        da.from_delayed(block(part, stage, p, dtype), shape=(n, width), dtype=dtype)
        for p, (part, n) in enumerate(zip(bag.to_delayed(), partition_lengths(bag)))
        if n
    ]
    return da.concatenate(parts) if parts else da.zeros((0, width), dtype=dtype)
