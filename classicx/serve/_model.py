"""The served model: one fitted retriever, read-only, shared by every request thread."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._fusion import fuse_vectors
from ..exceptions import InputError
from ..utils.parallel import limit_threads
from ._batch import TextBatcher
from ._images import ImageRefused, ImageTooLarge, inspect_image
from ._limits import Limits

__all__ = ["NoImageSource", "ServedModel", "UnknownItem"]

logger = logging.getLogger(__name__)

#: Longest text shown inside a hit; the whole text is at ``/api/items/{id}``.
SNIPPET_CHARS = 600
#: Gallery image files larger than this are not read for thumbnails.
MAX_GALLERY_FILE_BYTES = 64 * 2**20


def _single_threaded() -> Any:
    """While any model call of the service runs, OpenCV, BLAS and OpenMP on one thread.

    One thread each is what the service wants: its calls are small (one
    image, one batch of queries), a small matrix product over OpenBLAS
    threads was far slower on the busy 2-core machine than on one (a batch
    of 10 queries x 100,000 items: 509 ms on 2 threads, 19 ms on 1), and its
    parallelism comes from running several calls at once. The limits are
    classicx's process-wide, reference-counted ones
    (:func:`classicx.utils.parallel.limit_threads`), the same the encoders
    and searchers take inside: however the requests overlap, the process
    gets back its own settings when the last call ends. (A limiter of the
    service's own, saving and restoring beside that one, restored the two
    in the wrong order and left the process at one BLAS thread.)
    """
    return limit_threads(blas=1, openmp=1, opencv=1)


class UnknownItem(InputError):
    """No gallery item has the requested id (HTTP 404)."""


class NoImageSource(InputError):
    """A gallery image exists but its pixels are not available to the service (HTTP 404)."""


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


def _first_index(ids: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        index.setdefault(str(item_id), i)
    return index


def _label_list(labels: Any, n: int) -> list | None:
    """Labels as JSON-ready values: an int per item, or a list of ints for indicator rows."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if len(labels) != n:
        return None
    if labels.ndim == 1:
        return [int(v) for v in labels]
    return [[int(j) for j in np.flatnonzero(row)] for row in labels]


def _chance(query_labels: Any, gallery_labels: Any, n_gallery: int) -> tuple[float, str]:
    """Expected MAP of a random ranking of the gallery, for the gallery's own items as queries."""
    from ..metrics import chance_average_precision, relevance_from_labels

    if query_labels is None or gallery_labels is None:
        row = np.zeros((1, n_gallery), dtype=bool)
        row[0, 0] = True
        return float(chance_average_precision(row, average=True)), "the paired item"
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    if query_labels.ndim == 1 and gallery_labels.ndim == 1:
        # Exact and cheap: the chance AP depends only on how many gallery items share the label.
        values, counts = np.unique(query_labels, return_counts=True)
        total = 0.0
        for value, count in zip(values, counts):
            row = (gallery_labels == value)[None, :]
            total += count * float(chance_average_precision(row, average=True))
        return total / len(query_labels), "same label"
    # Multi-label rows: estimated on a fixed sample of at most 200 queries.
    rng = np.random.default_rng(0)
    sample = rng.choice(len(query_labels), size=min(200, len(query_labels)), replace=False)
    relevance = relevance_from_labels(query_labels[np.sort(sample)], gallery_labels)
    return float(chance_average_precision(relevance, average=True)), "a shared label"


def _display(description: str) -> str:
    # An absolute path says where the server keeps its files; the file name says enough.
    return Path(description).name if os.path.isabs(description) else description


class ServedModel:
    """A fitted retriever with what the service needs around it.

    Parameters
    ----------
    retriever : fitted CrossModalRetriever
        Used read-only: the service calls its ``transform_*`` methods and its
        gallery searchers' ``search``, never ``fit``, ``index`` or ``set_params``.
    images : sequence, optional
        The gallery images (paths, arrays or encoded bytes), aligned with
        ``retriever.image_ids_``: the source of thumbnails. Given in code by
        whoever starts the service, so paths here are trusted.
    image_root : path, optional
        Without ``images``: a directory; a gallery image whose recorded
        description is a path (relative paths taken from ``image_root``) that
        resolves to a file inside ``image_root`` is served from there.
        Nothing outside it is ever opened.
    label_names : sequence of str, optional
        Names of the label indices (default: the retriever's ``label_names_``
        or ``categories_`` attribute when it has one).
    report : dict, optional
        A recorded evaluation (``RetrievalReport.to_dict()``, e.g. from
        ``classicx evaluate --json``); default: the retriever's
        ``evaluation_`` attribute when it has one.
    limits : Limits, optional
    """

    def __init__(
        self,
        retriever: Any,
        *,
        images: Sequence[Any] | None = None,
        image_root: str | os.PathLike | None = None,
        label_names: Sequence[str] | None = None,
        report: dict | None = None,
        limits: Limits | None = None,
    ) -> None:
        for name in ("image_gallery_", "text_gallery_", "image_ids_", "text_ids_"):
            if not hasattr(retriever, name):
                raise InputError(f"the service needs a fitted retriever; this one has no {name}")
        self.retriever = retriever
        self.limits = limits or Limits()
        self.n_images = len(retriever.image_ids_)
        self.n_texts = len(retriever.text_ids_)
        if images is not None and len(images) != self.n_images:
            raise InputError(f"images has {len(images)} items but the gallery has {self.n_images} images")
        self.images = images
        self.image_root = None if image_root is None else Path(os.path.realpath(image_root))
        if self.image_root is not None and not self.image_root.is_dir():
            raise InputError(f"image_root {str(image_root)!r} is not a directory")
        names = label_names
        if names is None:
            names = getattr(retriever, "label_names_", None) or getattr(retriever, "categories_", None)
        self.label_names = None if names is None else [str(n) for n in names]
        self.report = report if report is not None else getattr(retriever, "evaluation_", None)
        self._image_index = _first_index(retriever.image_ids_)
        self._text_index = _first_index(retriever.text_ids_)
        self._image_labels = _label_list(getattr(retriever, "image_labels_", None), self.n_images)
        self._text_labels = _label_list(getattr(retriever, "text_labels_", None), self.n_texts)
        t2i, relevance = _chance(
            getattr(retriever, "text_labels_", None), getattr(retriever, "image_labels_", None), self.n_images
        )
        i2t, _ = _chance(
            getattr(retriever, "image_labels_", None), getattr(retriever, "text_labels_", None), self.n_texts
        )
        self.chance = {"text_to_image": t2i, "image_to_text": i2t, "relevance": relevance}
        self._thumbnails = _LRU(2048)
        self._gallery_vectors = _LRU(4096)
        self._text_batcher = TextBatcher(self._rank_texts)
        # Work on images (decoding, encoding, thumbnails) runs on a few threads of its own,
        # one per core up to 2, not in the request threads: each thread doing large
        # allocations costs glibc a memory arena (the server grew from 218 to 429 MiB under
        # 10 upload clients in the request threads; flat with MALLOC_ARENA_MAX=2, and here).
        self._image_worker = ThreadPoolExecutor(
            max_workers=max(1, min(2, os.cpu_count() or 1)), thread_name_prefix="classicx-image"
        )

    # ------------------------------------------------------------- lookups
    def image_index(self, item_id: str) -> int:
        index = self._image_index.get(item_id)
        if index is None:
            raise UnknownItem(f"no gallery image has id {item_id!r}")
        return index

    def text_index(self, item_id: str) -> int:
        index = self._text_index.get(item_id)
        if index is None:
            raise UnknownItem(f"no gallery text has id {item_id!r}")
        return index

    def _label(self, labels: list | None, index: int) -> tuple[Any, Any]:
        if labels is None:
            return None, None
        label = labels[index]
        if self.label_names is None:
            return label, None
        name = lambda j: self.label_names[j] if 0 <= j < len(self.label_names) else str(j)
        return label, ([name(j) for j in label] if isinstance(label, list) else name(label))

    def has_image_source(self, index: int) -> bool:
        return self.images is not None or self._gallery_path(index) is not None

    def _gallery_path(self, index: int) -> Path | None:
        if self.image_root is None:
            return None
        description = self.retriever.image_descriptions_[index]
        candidate = Path(description)
        if not candidate.is_absolute():
            candidate = self.image_root / candidate
        resolved = Path(os.path.realpath(candidate))
        if os.path.commonpath([resolved, self.image_root]) != str(self.image_root) or not resolved.is_file():
            return None
        return resolved

    def image_item(self, index: int) -> dict:
        label, label_name = self._label(self._image_labels, index)
        item_id = self.retriever.image_ids_[index]
        return {
            "id": item_id,
            "label": label,
            "label_name": label_name,
            "description": _display(self.retriever.image_descriptions_[index]),
            "thumbnail_url": f"/api/thumbnails/{item_id}" if self.has_image_source(index) else None,
        }

    def text_item(self, index: int, snippet: bool = False) -> dict:
        label, label_name = self._label(self._text_labels, index)
        text = self.retriever.gallery_texts_[index]
        truncated = snippet and len(text) > SNIPPET_CHARS
        return {
            "id": self.retriever.text_ids_[index],
            "label": label,
            "label_name": label_name,
            "text": text[:SNIPPET_CHARS].rstrip() + " …" if truncated else text,
            "truncated": truncated,
        }

    def item(self, item_id: str) -> dict:
        """The gallery image and the gallery text with this id (either may be missing)."""
        image = self._image_index.get(item_id)
        text = self._text_index.get(item_id)
        if image is None and text is None:
            raise UnknownItem(f"no gallery image or text has id {item_id!r}")
        return {
            "id": item_id,
            "image": None if image is None else self.image_item(image),
            "text": None if text is None else self.text_item(text),
        }

    # ------------------------------------------------------------ searching
    def _hits(self, scores: np.ndarray, indices: np.ndarray, target: str) -> list[dict]:
        """One query's row of search results as hits, in the fields and order of the API's ``Hit``.

        Built from the arrays straight away: going through the retriever's
        ``Hit`` objects built each hit twice and named its label a second
        time (the service has its own label lists).
        """
        out = []
        image = target == "images"
        for rank, (score, index) in enumerate(zip(scores.tolist(), indices.tolist()), start=1):
            item = self.image_item(index) if image else self.text_item(index, snippet=True)
            out.append({
                "rank": rank,
                "id": item["id"],
                "score": score if math.isfinite(score) else None,
                "modality": "image" if image else "text",
                "label": item["label"],
                "label_name": item["label_name"],
                "description": item.get("description"),
                "thumbnail_url": item.get("thumbnail_url"),
                "text": item.get("text"),
                "truncated": item.get("truncated"),
            })
        return out

    def _check_k(self, k: int) -> int:
        if not 1 <= k <= self.limits.max_k:
            raise InputError(f"k must be between 1 and {self.limits.max_k}; got {k}")
        return k

    def _check_text(self, text: str) -> str:
        if not text.strip():
            raise InputError("the text query is empty")
        if len(text) > self.limits.max_text_chars:
            raise InputError(
                f"the text query has {len(text)} characters; the limit is {self.limits.max_text_chars}"
            )
        return text

    def _search(self, queries: np.ndarray, target: str, k: int) -> list[list[dict]]:
        """Hits of each row of shared-space ``queries`` in the ``target`` gallery (as ``rank_gallery``)."""
        with _single_threaded():
            scores, indices = self.retriever._search_gallery(target, np.atleast_2d(queries), k)
        return [self._hits(row_scores, row_indices, target) for row_scores, row_indices in zip(scores, indices)]

    def _rank(self, query: np.ndarray, target: str, k: int) -> list[dict]:
        return self._search(query, target, k)[0]

    def text_vector(self, text: str) -> np.ndarray:
        return self.retriever._query_vectors("text", [self._check_text(text)])

    def upload_vector(self, data: bytes) -> np.ndarray:
        """Shared-space vector of uploaded image bytes, after the header checks."""
        inspect_image(data, max_bytes=self.limits.max_upload_bytes, max_pixels=self.limits.max_pixels)
        # bytes, never str: the retriever would take a str for a file path.
        with _single_threaded():
            return self.retriever.transform_images([bytes(data)])

    def _gallery_source(self, index: int) -> Any:
        if self.images is not None:
            return self.images[index]
        path = self._gallery_path(index)
        if path is None:
            raise NoImageSource(
                f"the pixels of gallery image {self.retriever.image_ids_[index]!r} are not available "
                "to this service (start it with the gallery's image directory)"
            )
        if path.stat().st_size > MAX_GALLERY_FILE_BYTES:
            raise ImageTooLarge(f"gallery image {self.retriever.image_ids_[index]!r} is too large to read")
        data = path.read_bytes()
        inspect_image(data, max_bytes=MAX_GALLERY_FILE_BYTES, max_pixels=self.limits.max_pixels)
        return data

    def gallery_image_vector(self, item_id: str) -> np.ndarray:
        """Shared-space vector of a gallery image: from its pixels, or the exact searcher's copy."""
        index = self.image_index(item_id)
        cached = self._gallery_vectors.get(index)
        if cached is not None:
            return cached
        if self.has_image_source(index):
            source = self._gallery_source(index)
            with _single_threaded():
                vector = self.retriever.transform_images([source])
        else:
            gallery = self.retriever.image_gallery_
            stored = getattr(gallery, "gallery_", None)
            # An exact cosine searcher keeps the unit-length gallery vectors: ranking with
            # one of them is ranking with the image itself.
            if stored is None or getattr(gallery, "metric", None) != "cosine":
                raise NoImageSource(
                    f"gallery image {item_id!r} cannot be a query: neither its pixels nor its vector "
                    "are available to this service"
                )
            vector = np.array(stored[index : index + 1])
        self._gallery_vectors.put(index, vector)
        return vector

    def _rank_texts(self, texts: list[str], k: int) -> list[list[dict]]:
        """Text queries -> their best ``k`` gallery images, in one projection and one search."""
        with _single_threaded():
            vectors = self.retriever._query_vectors("text", texts)
        return self._search(vectors, "images", k)

    def submit_text(self, text: str, k: int) -> Future:
        """A future of the text query's hits, answered together with concurrent text queries."""
        return self._text_batcher.submit(self._check_text(text), self._check_k(k))

    def submit_text_async(self, text: str, k: int) -> Any:
        """The same as an asyncio future of the running loop (call from the loop's thread)."""
        return self._text_batcher.submit_async(self._check_text(text), self._check_k(k))

    def search_text(self, text: str, k: int) -> list[dict]:
        return self.submit_text(text, k).result()

    def submit_image_work(self, function: Any, *args: Any, **kwargs: Any) -> Future:
        """A future of ``function(*args, **kwargs)`` run on the image threads."""
        return self._image_worker.submit(function, *args, **kwargs)

    def search_upload(self, data: bytes, k: int) -> list[dict]:
        k = self._check_k(k)
        return self._rank(self.upload_vector(data), "texts", k)

    def search_gallery_image(self, item_id: str, k: int) -> list[dict]:
        k = self._check_k(k)
        return self._rank(self.gallery_image_vector(item_id), "texts", k)

    def search_fused(
        self,
        *,
        text: str | None,
        upload: bytes | None,
        image_id: str | None,
        weight: float,
        target: str,
        k: int,
    ) -> list[dict]:
        k = self._check_k(k)
        if target not in ("images", "texts"):
            raise InputError(f"target must be 'images' or 'texts'; got {target!r}")
        if upload is not None and image_id is not None:
            raise InputError("give either an uploaded image or a gallery image id, not both")
        if text is None and upload is None and image_id is None:
            raise InputError("a fused query needs a text, an image, or both")
        t = None if text is None else self.text_vector(text)
        if upload is not None:
            i = self.upload_vector(upload)
        elif image_id is not None:
            i = self.gallery_image_vector(image_id)
        else:
            i = None
        if t is None:
            query = i
        elif i is None:
            query = t
        else:
            query = fuse_vectors(t, i, weight)
        return self._rank(query, target, k)

    # ------------------------------------------------------------ thumbnails
    def thumbnail(self, item_id: str) -> bytes:
        """A JPEG of the gallery image, its longer side at most ``limits.thumbnail_side``."""
        import cv2

        from ..image import read_image

        index = self.image_index(item_id)
        cached = self._thumbnails.get(index)
        if cached is not None:
            return cached
        source = self._gallery_source(index)
        pixels = read_image(source, max_side=self.limits.thumbnail_side, color=True, name=f"gallery image {item_id!r}")
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
            raise ImageRefused(f"cannot encode a thumbnail of gallery image {item_id!r}")
        data = encoded.tobytes()
        self._thumbnails.put(index, data)
        return data

    # ------------------------------------------------------------------ info
    def info(self) -> dict:
        from .._version import __version__

        stages = {}
        for name in ("image_features_", "text_features_", "aligner_", "image_gallery_"):
            stage = getattr(self.retriever, name, None)
            if stage is not None:
                stages[name.rstrip("_")] = type(stage).__name__
        return {
            "classicx_version": __version__,
            "n_images": self.n_images,
            "n_texts": self.n_texts,
            "stages": stages,
            "label_names": self.label_names,
            "chance": self.chance,
            "report": _json_report(self.report),
            "limits": {
                "max_k": self.limits.max_k,
                "max_upload_bytes": self.limits.max_upload_bytes,
                "max_pixels": self.limits.max_pixels,
                "max_text_chars": self.limits.max_text_chars,
            },
        }


def _json_report(report: Any) -> dict | None:
    """The numeric and short text fields of a recorded report (anything else is dropped)."""
    if not isinstance(report, dict):
        return None
    out = {}
    for key, value in report.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(float(value)):
            out[str(key)] = value.item() if isinstance(value, np.generic) else value
        elif isinstance(value, str) and len(value) <= 200:
            out[str(key)] = value
    return out or None
