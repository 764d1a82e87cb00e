"""How ``classicx fit`` loaded its training data, and which evaluation pairs are training pairs.

``classicx fit`` stores a record on the model (``retriever.dataset_record_``,
saved with it): the dataset path, the loader and the loader options (policy
for missing files, CSV columns, test size, split seed) and a content hash of
every training pair. ``classicx evaluate`` loads its dataset with the same
options unless told otherwise and compares hashes to find evaluation pairs
that the model was trained on.

A pair's hash covers its content, not its id: the bytes of the image (the
file's bytes, or the pixels and shape of an array) and the text with runs of
whitespace made one space. Ids are not used because they are local to a file
(a CSV without an id column numbers its rows from 0 in every file), while a
training pair copied into another collection under another id still inflates
the scores. Two pairs with the same image but a different text are different
pairs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .utils.parallel import progress

__all__ = ["LOADERS", "loader_of", "pair_hashes", "make_record", "overlapping"]

#: Loader name -> the options of the loader that the record keeps (and the CLI can set).
LOADERS: dict[str, tuple[str, ...]] = {
    "csv": ("on_error", "test_size", "random_state", "image_column", "text_column", "label_column",
            "split_column", "id_column"),
    "folder": ("on_error", "test_size", "random_state"),
    "wikipedia": ("on_error",),
}


def loader_of(path: str | os.PathLike) -> str:
    """Which loader :func:`classicx.datasets.load_dataset` uses for ``path`` (same rules)."""
    path = Path(path).expanduser()
    if path.is_dir():
        return "wikipedia" if (path / "trainset_txt_img_cat.list").is_file() else "folder"
    return "csv"


def _image_bytes(image: Any) -> bytes:
    if isinstance(image, (str, os.PathLike)):
        return Path(image).read_bytes()
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    array = np.ascontiguousarray(image)
    return f"{array.dtype.str}{array.shape}".encode() + array.tobytes()


def pair_hashes(images: Sequence[Any], texts: Sequence[str], *, verbose: bool = False) -> np.ndarray:
    """A 64-bit content hash (BLAKE2b) of each image-text pair, as a uint64 array.

    Examples
    --------
    >>> import numpy as np
    >>> a = pair_hashes([np.zeros((2, 2), np.uint8)], ["a  red circle"])
    >>> b = pair_hashes([np.zeros((2, 2), np.uint8)], ["a red circle"])
    >>> bool(a[0] == b[0]), a.dtype
    (True, dtype('uint64'))
    """
    out = np.empty(len(texts), dtype=np.uint64)
    pairs = progress(zip(images, texts), total=len(texts), desc="hashing pairs", verbose=verbose)
    for i, (image, text) in enumerate(pairs):
        digest = hashlib.blake2b(digest_size=8)
        digest.update(hashlib.blake2b(_image_bytes(image), digest_size=16).digest())
        digest.update(" ".join(str(text).split()).encode("utf-8"))
        out[i] = int.from_bytes(digest.digest(), "little")
    return out


def make_record(path: str | os.PathLike, loader: str, options: dict[str, Any], split: Any,
                *, verbose: bool = False) -> dict[str, Any]:
    """The record ``classicx fit`` saves: where and how the data was loaded, and the training pairs' hashes."""
    return {
        "path": str(Path(path).expanduser().resolve()),
        "loader": loader,
        "options": dict(options),
        "n_train": len(split),
        "train_hashes": pair_hashes(split.images, split.texts, verbose=verbose),
    }


def overlapping(record: dict[str, Any], images: Sequence[Any], texts: Sequence[str],
                *, verbose: bool = False) -> np.ndarray:
    """Rows of the evaluation pairs whose content hash is one of the record's training pairs."""
    hashes = pair_hashes(images, texts, verbose=verbose)
    return np.flatnonzero(np.isin(hashes, np.asarray(record["train_hashes"], dtype=np.uint64)))
