"""Containers returned by every dataset loader: :class:`Split` and :class:`Dataset`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import ShapeMismatchError

__all__ = ["Split", "Dataset"]


@dataclass
class Split:
    """Aligned image-text pairs of one split (train or test).

    Row ``i`` of every field describes the same pair.

    Parameters
    ----------
    images : list
        Image file paths (``str``) for loaded collections, or ``uint8`` BGR
        arrays for the synthetic data. Files are not read by the loaders.
    texts : list of str
        The text of each pair, already read from disk.
    labels : ndarray or None
        1-D ``int`` category indices (0-based), a 2-D 0/1 indicator array of
        shape ``(n, n_categories)`` for multi-label data, or ``None`` when the
        collection has no labels.
    ids : list of str
        Pair identifiers (the text id for the Wikipedia layout).
    image_ids : list of str
        Image identifiers.
    descriptions : list of str
        A short human-readable description of each image (its scene
        attributes for synthetic data, its relative path for files), used
        when showing results.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.datasets import Split
    >>> split = Split(images=["a.jpg", "b.jpg"], texts=["a cat", "a dog"],
    ...               labels=np.array([0, 1]), ids=["1", "2"], image_ids=["a", "b"],
    ...               descriptions=["a.jpg", "b.jpg"])
    >>> len(split)
    2
    >>> split.subset([1]).texts
    ['a dog']
    """

    images: list[Any]
    texts: list[str]
    labels: np.ndarray | None
    ids: list[str]
    image_ids: list[str]
    descriptions: list[str]

    def __post_init__(self) -> None:
        n = len(self.texts)
        for name in ("images", "ids", "image_ids", "descriptions"):
            if len(getattr(self, name)) != n:
                raise ShapeMismatchError(
                    f"Split fields must have one entry per pair: {n} texts but "
                    f"{len(getattr(self, name))} {name}"
                )
        if self.labels is not None:
            self.labels = np.asarray(self.labels)
            if self.labels.ndim not in (1, 2) or len(self.labels) != n:
                raise ShapeMismatchError(
                    f"labels must have shape ({n},) or ({n}, n_categories); got {self.labels.shape}"
                )

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int] | np.ndarray) -> Split:
        """Return a new :class:`Split` holding the pairs at ``indices``, in that order.

        Parameters
        ----------
        indices : sequence of int or boolean mask
            Rows to keep.

        Returns
        -------
        Split
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if len(idx) != len(self):
                raise ShapeMismatchError(f"boolean mask has {len(idx)} entries for {len(self)} pairs")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp).ravel()
        return Split(
            images=[self.images[i] for i in idx],
            texts=[self.texts[i] for i in idx],
            labels=None if self.labels is None else self.labels[idx],
            ids=[self.ids[i] for i in idx],
            image_ids=[self.image_ids[i] for i in idx],
            descriptions=[self.descriptions[i] for i in idx],
        )

    def to_bag(self, npartitions: int | None = None) -> tuple[Any, Any]:
        """The images and the texts as two ``dask.bag`` collections with the same partitions.

        For :meth:`classicx.CrossModalRetriever.fit` (or an encoder) on a Dask
        cluster: the workers read the image files themselves. Needs the
        ``dask`` extra.

        Parameters
        ----------
        npartitions : int, optional
            Number of partitions; default about 100 pairs per partition, at
            most 1,000 partitions.

        Returns
        -------
        images, texts : dask.bag.Bag

        Examples
        --------
        >>> import numpy as np
        >>> from classicx.datasets import Split
        >>> split = Split(["a.jpg", "b.jpg"], ["a cat", "a dog"], np.array([0, 1]), ["1", "2"],
        ...               ["a", "b"], ["a.jpg", "b.jpg"])
        >>> images, texts = split.to_bag(npartitions=2)  # doctest: +SKIP
        >>> texts.compute()  # doctest: +SKIP
        ['a cat', 'a dog']
        """
        import dask.bag as db

        n = max(len(self), 1)
        parts = npartitions or min(1000, max(1, n // 100))
        parts = max(1, min(int(parts), n))
        return db.from_sequence(self.images, npartitions=parts), db.from_sequence(self.texts, npartitions=parts)

    @property
    def is_multilabel(self) -> bool:
        """True when :attr:`labels` is a 2-D indicator array."""
        return self.labels is not None and self.labels.ndim == 2


@dataclass
class Dataset:
    """A paired image-text collection with a train and a test split.

    Parameters
    ----------
    train, test : Split
        The two splits; ``test`` may be empty.
    categories : list of str
        Category names; label ``k`` means ``categories[k]``. Empty when the
        collection has no labels.
    name : str
        Short name of the collection.
    description : str
        One-line description (origin, sizes).
    skipped_ids : list of str
        Ids of the pairs left out because of missing or unusable files
        (``on_error="skip"``); empty when nothing was skipped.

    Examples
    --------
    >>> from classicx.datasets import load_synthetic
    >>> data = load_synthetic(n_train=16, n_test=8, image_size=64)
    >>> len(data.train), len(data.test), data.categories[:3]
    (16, 8, ['circle', 'square', 'triangle'])
    """

    train: Split
    test: Split
    categories: list[str]
    name: str = ""
    description: str = ""
    skipped_ids: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={len(self.train)} pairs, test={len(self.test)} pairs, "
            f"categories={len(self.categories)}, skipped={len(self.skipped_ids)})"
        )


def empty_split(n_categories: int | None, multilabel: bool = False) -> Split:
    """An empty :class:`Split` whose label array matches the other split's shape."""
    if n_categories is None:
        labels = None
    elif multilabel:
        labels = np.zeros((0, n_categories), dtype=np.int64)
    else:
        labels = np.zeros(0, dtype=np.int64)
    return Split(images=[], texts=[], labels=labels, ids=[], image_ids=[], descriptions=[])
