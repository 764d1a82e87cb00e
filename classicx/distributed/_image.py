"""Image encoders on a ``dask.bag`` of paths or bytes (private).

Each partition is encoded on a worker by the fitted encoder (which travels
with the graph), exactly as ``encoder.transform(list_of_images)`` would do
it in memory; the result is a dask array with one row per image.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._compute import require_dask
from ._text import partition_lengths

__all__ = ["transform_images"]


def _encode(images: Any, encoder: Any) -> np.ndarray:
    return np.asarray(encoder.transform(list(images)), dtype=np.float32)


def transform_images(encoder: Any, bag: Any) -> Any:
    """``encoder.transform`` per partition: a dask array of shape (n_images, n_features_out_), float32."""
    dask = require_dask()
    import dask.array as da

    lengths = partition_lengths(bag)
    width = int(encoder.n_features_out_)
    block = dask.delayed(_encode, pure=True)
    parts = [
        da.from_delayed(block(part, encoder), shape=(n, width), dtype=np.float32)
        for part, n in zip(bag.to_delayed(), lengths)
        if n
    ]
    if not parts:
        return da.zeros((0, width), dtype=np.float32)
    return da.concatenate(parts)
