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


def _encode(images: Any, encoder: Any, partition: int) -> np.ndarray:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(encoder.transform(list(images)), dtype=np.float32)
    for w in caught:
        # Row numbers in the encoder's warnings count from the start of the partition.
        warnings.warn(f"partition {partition}: {w.message}", w.category, stacklevel=2)
    return out


def transform_images(encoder: Any, bag: Any) -> Any:
    """``encoder.transform`` per partition: a dask array of shape (n_images, n_features_out_), float32."""
    dask = require_dask()
    import dask.array as da

    lengths = partition_lengths(bag)
    width = int(encoder.n_features_out_)
    block = dask.delayed(_encode, pure=True)
    parts = [
        da.from_delayed(block(part, encoder, p), shape=(n, width), dtype=np.float32)
        for p, (part, n) in enumerate(zip(bag.to_delayed(), lengths))
        if n
    ]
    if not parts:
        return da.zeros((0, width), dtype=np.float32)
    return da.concatenate(parts)


# Descriptors seen per descriptor kept, in each partition (as the in-memory sampling's 3).
_OVERSAMPLE = 3


def _partition_sample(images: Any, encoder: Any, seed: int, quota: int) -> tuple[np.ndarray, list[str]]:
    """A uniform sample of at most ``quota`` descriptors of one partition, from its images in random order.

    Images are read until ``_OVERSAMPLE * quota`` descriptors have been seen
    (or the partition is exhausted); only the sample leaves the worker.
    """
    images = list(images)
    rng = np.random.RandomState(seed)
    blocks, seen, skipped = [], 0, []
    for index in rng.permutation(len(images)):
        result = encoder._features(int(index), images[index])
        if isinstance(result, str):
            skipped.append(result)
            continue
        if len(result.descriptors):
            blocks.append(result.descriptors)
            seen += len(result.descriptors)
        if seen >= _OVERSAMPLE * quota:
            break
    if not blocks:
        return np.zeros((0, 0), np.float32), skipped
    pool = np.concatenate(blocks)
    if len(pool) > quota:
        pool = pool[np.sort(rng.choice(len(pool), quota, replace=False))]
    return pool, skipped


def fit_encoder(encoder: Any, bag: Any) -> Any:
    """``encoder.fit`` on a ``dask.bag`` of images: the vocabulary learns from a sample drawn on every partition.

    Each partition sends at most ``sample_size / n_partitions`` descriptors
    (seeded from the encoder's ``random_state`` and the partition's number,
    so the same seed and partitions give the same sample, hence the same
    vocabulary, on any cluster); the merged sample is clustered on the
    client. Encoders that also learn weights from the encodings (BoVW with
    ``idf=True``) encode every image on the workers for them.
    """
    import warnings

    from sklearn.utils import check_random_state

    from ..exceptions import InputError, SkippedItemsWarning
    from ..utils.validation import validate_params

    dask = require_dask()
    validate_params(encoder)
    encoder._check_params()
    encoder.descriptor_ = encoder._resolve_descriptor()
    vocabulary = encoder._resolve_vocabulary(encoder.descriptor_)
    rng = check_random_state(encoder.random_state)
    parts = bag.to_delayed()
    quota = max(1, -(-int(vocabulary.sample_size) // len(parts)))
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(parts))
    sample_of = dask.delayed(_partition_sample, pure=True)
    results = dask.compute(*[sample_of(part, encoder, int(s), quota) for part, s in zip(parts, seeds)])
    skipped = [message for _, messages in results for message in messages]
    if skipped:
        warnings.warn(f"{type(encoder).__name__}: {len(skipped)} image(s) skipped while sampling: {skipped[0]}",
                      SkippedItemsWarning, stacklevel=4)
    samples = [s for s, _ in results if len(s)]
    if not samples:
        raise InputError(f"{type(encoder).__name__}.fit: none of the images gave any descriptor "
                         "(images too small or uniform?)")
    sample = np.concatenate(samples)
    if vocabulary.random_state is None:
        vocabulary.set_params(random_state=int(rng.randint(2**31 - 1)))
    encoder.vocabulary_ = vocabulary.fit(sample)
    encoder._fit_encoding(sample)
    encoder.n_sampled_ = len(sample)
    encoder.skipped_rows_ = []
    if encoder._needs_fit_encoding:
        raw = dask.compute(*[dask.delayed(_raw_encodings)(part, encoder) for part in parts])
        encoder._fit_weights(np.concatenate([r for r in raw if len(r)]))
    return encoder


def _raw_encodings(images: Any, encoder: Any) -> np.ndarray:
    return encoder._encode_all(list(images))
