"""``CrossModalRetriever.fit`` on bags of images and texts (private).

The stages are those of the in-memory fit, chosen the same way: a stage
left at ``None`` comes from the preset, recorded in ``preset_stages_`` (with
the warning about the unsupervised aligner when there are no labels), so
``classicx fit DATASET --scheduler local:2`` runs the default preset,
``"balanced"``, on the cluster. ``preset="auto"`` cross-validates in memory
and is refused here unless every stage is given. Every stage is checked
before any work starts (:mod:`._stages` lists what runs on a cluster).

Each stage then runs on the workers: the image stage learns its vocabulary
from per-partition samples and encodes every image where it is read (a
``ConcatFeatures`` such as ``"fisher(rootsift,64)+0.5*hsv"`` applies its
fitted parts to each partition on its worker); the text stage counts terms
per partition and reduces by randomised SVD; the aligner reduces its
statistics. The image and text features stay in the workers' memory
(``persist``) while the aligner reads them -- semantic matching reads them
at every optimisation step -- and while the galleries are projected, so the
images are encoded once.

Semantic matching, the presets' supervised aligner, is trained on chunks
(:mod:`._semantic`: only the parameters go out and only gradients come
back), not on gathered features: in the presets it works on the features as
given (Fisher + HSV, 8,000-17,000 columns; LSA, 200 or 500), where there is
no small projection to gather, and n rows of them are what does not fit on
one machine. The projected galleries (``n x n_components``), the texts, the
image paths and the ids come back to the client, because the fitted
retriever is an ordinary one that searches, saves and loads in one process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputTypeError, ParameterError, ShapeMismatchError
from ..utils.parallel import progress
from ..utils.validation import check_labels, validate_params
from ._compute import active_client, require_dask
from ._stages import (
    check_aligner,
    check_feature_stage,
    fit_features,
    transform_features,
)
from ._text import partition_lengths

__all__ = ["fit_retriever"]

_STAGES = ("image_features", "text_features", "aligner", "searcher")


def _as_bag(items: Any, name: str, like: Any = None) -> Any:
    import dask.bag as db

    if isinstance(items, db.Bag):
        return items
    if like is not None and not hasattr(items, "dask"):
        return db.from_sequence(list(items), npartitions=like.npartitions)
    raise InputTypeError(f"{name} must be a dask.bag (or a list, with the other one a bag); got {type(items).__name__}")


def _file_of(item: Any) -> str | None:
    # The retriever's rule (retriever._image_files): paths are files, arrays and bytes are not.
    return str(item) if isinstance(item, (str, Path)) else None


def _wait_for(*persisted: Any, verbose: bool) -> None:
    """Progress of the features being computed on the workers (the longest step of a fit)."""
    client = active_client()
    if client is None:
        return  # Dask's local scheduler computed them in persist
    from distributed import as_completed, futures_of

    futures = [future for collection in persisted for future in futures_of(collection)]
    for _ in progress(as_completed(futures), total=len(futures), desc="image and text features", verbose=verbose):
        pass


def fit_retriever(
    model: Any,
    images: Any,
    texts: Any,
    labels: Any = None,
    *,
    ids: Any = None,
    descriptions: Any = None,
    categories: Any = None,
) -> Any:
    """Fit a :class:`~classicx.CrossModalRetriever` on bags (see the module docstring)."""
    dask = require_dask()
    import dask.bag as db

    from ..retriever import _consumes_labels

    validate_params(model)
    if model.preset == "auto" and any(getattr(model, name) is None for name in _STAGES):
        missing = [name for name in _STAGES if getattr(model, name) is None]
        raise ParameterError(
            f"preset='auto' chooses the stages {missing} by cross-validation in memory, which a fit on a Dask "
            "cluster does not do: give a fixed preset ('fast', 'balanced', 'best') or every stage"
        )
    # The preset's bookkeeping, as in memory: preset_stages_ and the no-labels warning (a fixed
    # preset only asks whether there are labels). Then every stage is checked, before any work.
    model._fill_stages(None, None, labels)
    image_stage, text_stage, aligner = (model._stage(name) for name in ("image_features", "text_features", "aligner"))
    check_feature_stage(image_stage, "image_features")
    check_feature_stage(text_stage, "text_features")
    check_aligner(aligner)
    first = images if isinstance(images, db.Bag) else texts
    images, texts = _as_bag(images, "images", first), _as_bag(texts, "texts", first)
    n_images, n_texts = partition_lengths(images), partition_lengths(texts)
    if n_images != n_texts:
        raise ShapeMismatchError(
            f"images and texts must be paired partition by partition; their partitions hold {n_images} and {n_texts} items"
        )
    n = sum(n_images)
    labels = None if labels is None else check_labels(labels.compute() if hasattr(labels, "compute") else labels, n)
    model.image_features_ = fit_features(image_stage, images, "image_features")
    model.text_features_ = fit_features(text_stage, texts, "text_features")
    model.aligner_ = aligner
    X, Y = dask.persist(transform_features(model.image_features_, images), transform_features(model.text_features_, texts))
    _wait_for(X, Y, verbose=bool(model.verbose))
    routed = {"labels": labels} if labels is not None and _consumes_labels(aligner) else {}
    aligner.fit(X, Y, **routed)
    model.supervised_ = bool(routed)
    X_proj, Y_proj, gallery_texts, files = dask.compute(
        aligner.transform(X), aligner.transform_y(Y), texts, images.map(_file_of)
    )
    del X, Y  # the features leave the workers' memory
    files = list(files)
    if descriptions is None:
        descriptions = [f"image #{k}" if f is None else f for k, f in enumerate(files)]
    model._set_gallery(np.asarray(X_proj), np.asarray(Y_proj), list(gallery_texts), labels, ids, descriptions)
    model.categories_ = None if categories is None else [str(c) for c in categories]
    model.image_files_ = files
    model.image_texts_ = list(model.gallery_texts_)
    model.text_files_ = list(files)
    return model
