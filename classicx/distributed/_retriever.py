"""``CrossModalRetriever.fit`` on bags of images and texts (private).

Each stage runs on the workers: the image encoder learns its vocabulary from
per-partition samples and encodes every image where it is read; the text
stage counts terms per partition and reduces by randomised SVD; the aligner
reduces its statistics. The projected galleries (``n x n_components``), the
texts and the ids come back to the client, because the fitted retriever is
an ordinary one that searches, saves and loads in one process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.metadata_routing import get_routing_for_object

from ..exceptions import InputTypeError, ShapeMismatchError
from ..utils.validation import check_labels, validate_params
from ._compute import require_dask
from ._text import partition_lengths

__all__ = ["fit_retriever"]


def _as_bag(items: Any, name: str, like: Any = None) -> Any:
    import dask.bag as db

    if isinstance(items, db.Bag):
        return items
    if like is not None and not hasattr(items, "dask"):
        return db.from_sequence(list(items), npartitions=like.npartitions)
    raise InputTypeError(f"{name} must be a dask.bag (or a list, with the other one a bag); got {type(items).__name__}")


def fit_retriever(model: Any, images: Any, texts: Any, labels: Any = None, *, ids: Any = None, descriptions: Any = None) -> Any:
    """Fit a :class:`~classicx.CrossModalRetriever` on bags (see the module docstring)."""
    dask = require_dask()
    import dask.bag as db

    validate_params(model)
    first = images if isinstance(images, db.Bag) else texts
    images, texts = _as_bag(images, "images", first), _as_bag(texts, "texts", first)
    n_images, n_texts = partition_lengths(images), partition_lengths(texts)
    if n_images != n_texts:
        raise ShapeMismatchError(
            f"images and texts must be paired partition by partition; their partitions hold {n_images} and {n_texts} items"
        )
    n = sum(n_images)
    labels = None if labels is None else check_labels(labels.compute() if hasattr(labels, "compute") else labels, n)
    model.image_features_ = model._stage("image_features")
    model.text_features_ = model._stage("text_features")
    model.aligner_ = model._stage("aligner")
    X = model.image_features_.fit(images).transform(images)
    Y = model.text_features_.fit(texts).transform(texts)
    wants_labels = "labels" in get_routing_for_object(model.aligner_).consumes("fit", ["labels"])
    routed = {"labels": labels} if labels is not None and wants_labels else {}
    model.aligner_.fit(X, Y, **routed)
    X_proj, Y_proj, gallery_texts, gallery_images = dask.compute(
        model.aligner_.transform(X), model.aligner_.transform_y(Y), texts, images if descriptions is None else None
    )
    if descriptions is None:
        descriptions = [str(i) if isinstance(i, str) else f"image #{k}" for k, i in enumerate(gallery_images)]
    model._set_gallery(np.asarray(X_proj), np.asarray(Y_proj), list(gallery_texts), labels, ids, descriptions)
    return model
