"""Common machinery of the local-feature encoders (BoVW, spatial pyramid, VLAD, Fisher).

One pass over the images samples descriptors for the vocabulary (images are
read and described in workers, a chunk at a time, until a bounded number of
descriptors has been seen; the main process keeps a reservoir sample), a
second pass encodes image by image. Both passes are joblib-parallel,
optionally cached on disk, and handle unreadable images (``on_error``) and
images without keypoints the same way for every encoder.

``n_jobs`` is the number of cores used. Reading, describing and encoding
images runs in ``n_jobs`` threads of this process: OpenCV and BLAS release
the GIL, so threads run in parallel without shipping descriptors between
processes; OpenCV and BLAS are set to one thread each meanwhile (OpenCV
would otherwise start a thread per core under every one of ours). Clustering
uses ``n_jobs`` BLAS/OpenMP threads.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np
from joblib import Memory
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._utils import progress, thread_imap
from ..base import ClassicxEstimator
from ..exceptions import (
    EmptyFeatureWarning,
    EmptyInputError,
    ImageReadError,
    InputError,
    InputTypeError,
    NotFittedError,
    SkippedItemsWarning,
)
from .descriptors import ImageFeatures, LocalDescriptors, file_signature
from .io import describe_item
from .normalization import normalize_rows
from .vocabulary import BinaryKMeansVocabulary, KMeansVocabulary

__all__ = ["LocalFeatureEncoder"]

_ON_ERROR = ("raise", "skip")
# How many skipped items a warning spells out before summarising.
_LIST_LIMIT = 20
# Descriptors seen per descriptor kept when sampling for the vocabulary.
_OVERSAMPLE = 3
# Images read per step while sampling; fixed (not per worker) so that the
# sample, hence the vocabulary, does not depend on n_jobs.
_SAMPLE_CHUNK = 32
# Final normalisations of the residual encodings (VLAD, Fisher vectors).
_POWER_NORMALIZE = (None, "l2", "power")


def _check_power_normalize(normalize: Any) -> None:
    if normalize not in _POWER_NORMALIZE:
        raise InputError(f"normalize must be one of {_POWER_NORMALIZE}, got {normalize!r}")


def _power_normalize(X: np.ndarray, normalize: str | None, alpha: float) -> np.ndarray:
    """Signed power then L2 (``"power"``), L2 only, or none (``None``), as float32."""
    if normalize is None:
        return X.astype(np.float32, copy=False)
    return normalize_rows(X, normalize, alpha=float(alpha))


def _fit_word_vocabulary(
    sample: np.ndarray, rng: np.random.RandomState, n_words: int, algorithm: str, n_jobs: int | None
) -> KMeansVocabulary | BinaryKMeansVocabulary:
    """Visual words of ``sample``: k-majority for binary (uint8) descriptors, k-means otherwise."""
    # An int seed (not the RandomState) keeps the nested vocabulary's params saveable.
    seed = int(rng.randint(2**31 - 1))
    if sample.dtype == np.uint8:
        vocabulary: Any = BinaryKMeansVocabulary(n_words=n_words, n_jobs=n_jobs, random_state=seed)
    else:
        vocabulary = KMeansVocabulary(n_words=n_words, algorithm=algorithm, n_jobs=n_jobs, random_state=seed)
    return vocabulary.fit(sample)


@contextmanager
def _single_threaded_libraries() -> Iterator[None]:
    """OpenCV and BLAS with one thread each for the duration, then as before.

    Parallelism comes from ``n_jobs`` threads of ours. OpenCV's SIFT alone
    uses a thread per core (1.56x faster than one thread on this project's
    2-core machine), so leaving it on would make ``n_jobs=1`` use every core
    and ``n_jobs=2`` start four threads on two cores. Called from the main
    thread only: both settings are process-wide.
    """
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        cv2.setNumThreads(previous)


def _extract(params: dict, signature: Any, item: Any, name: str) -> ImageFeatures:
    """Descriptors of one image; ``signature`` is what the disk cache keys on."""
    return LocalDescriptors(**params).extract(item, name=name)


class _Reservoir:
    """Uniform random sample of at most ``size`` rows from a stream (Vitter's algorithm R)."""

    def __init__(self, size: int, rng: np.random.RandomState) -> None:
        self.size = size
        self.rng = rng
        self.seen = 0
        self.rows: np.ndarray | None = None
        self.filled = 0

    def add(self, block: np.ndarray) -> None:
        if len(block) == 0:
            return
        if self.rows is None:
            self.rows = np.empty((self.size, block.shape[1]), dtype=block.dtype)
        take = min(self.size - self.filled, len(block))
        self.rows[self.filled : self.filled + take] = block[:take]
        self.filled += take
        self.seen += take
        rest = block[take:]
        if len(rest) == 0:
            return
        # Row t (0-based, in stream order) replaces slot j ~ U{0..t} when j < size;
        # applied in order so that later rows win, as in the sequential algorithm.
        slots = self.rng.randint(0, self.seen + 1 + np.arange(len(rest)))
        self.seen += len(rest)
        hit = np.flatnonzero(slots < self.size)[::-1]
        # Vectorised: of the rows aimed at the same slot only the last counts.
        _, last = np.unique(slots[hit], return_index=True)
        self.rows[slots[hit[last]]] = rest[hit[last]]

    def sample(self) -> np.ndarray:
        if self.rows is None:
            return np.zeros((0, 0), np.float32)
        return self.rows[: self.filled]


class LocalFeatureEncoder(ClassicxEstimator, TransformerMixin):
    """Base class of encoders that turn each image's local descriptors into one vector.

    Subclasses define ``__init__`` (with the common parameters documented in
    :class:`~classicx.image.BagOfVisualWords`) and implement:

    ``_fit_vocabulary(sample, rng)``
        learn ``self.vocabulary_`` (and any other state) from the sample;
    ``_encode(features)``
        the raw (unnormalised) vector of one image's :class:`ImageFeatures`;
    ``_n_dims()``
        the length of that vector (by default ``self.n_features_out_``, set
        by ``_fit_vocabulary``);
    ``_finalize(raw)``
        weighting and normalisation of the stacked raw vectors;
    and may set ``_needs_fit_encoding = True`` with ``_fit_weights(raw)`` to
    learn statistics (e.g. idf) from the encoded training images.
    """

    _needs_fit_encoding = False
    _float_only = False

    # ----------------------------------------------------------------- params
    def _extractor(self) -> LocalDescriptors:
        return LocalDescriptors(
            kind=self.descriptor,
            max_keypoints=self.max_keypoints,
            max_side=self.max_side,
            color=self.color,
            dense_step=self.dense_step,
            dense_sizes=tuple(self.dense_sizes),
        )

    def _check_common(self) -> LocalDescriptors:
        if self.on_error not in _ON_ERROR:
            raise InputError(f"on_error must be one of {_ON_ERROR}, got {self.on_error!r}")
        if int(self.sample_size) < 1:
            raise InputError(f"sample_size must be positive, got {self.sample_size!r}")
        if self.cache is not None and not isinstance(self.cache, (str, os.PathLike)):
            raise InputTypeError(f"cache must be None or a directory path, got {type(self.cache).__name__}")
        extractor = self._extractor()
        extractor.fit()
        if self._float_only and extractor.binary:
            raise InputError(
                f"{type(self).__name__} needs float descriptors; descriptor={self.descriptor!r} is binary "
                "(use 'sift', 'rootsift' or 'dense_sift')"
            )
        return extractor

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit first")

    # -------------------------------------------------------------- extraction
    def _extract_fn(self) -> Any:
        if self.cache is None:
            return _extract
        memory = Memory(location=os.fspath(self.cache), verbose=0)
        return memory.cache(_extract, ignore=["item", "name"])

    def _features(self, extract: Any, params: dict, index: int, item: Any) -> ImageFeatures | str:
        """Features of one image, or the error message when it is unreadable and skipped."""
        name = describe_item(item, index)
        try:
            return extract(params, file_signature(item), item, name)
        except (ImageReadError, InputTypeError) as exc:
            if self.on_error == "raise":
                raise
            return str(exc)

    def _warn_skipped(self, messages: dict[int, str]) -> None:
        self.skipped_rows_ = sorted(messages)
        if not messages:
            return
        listed = "; ".join(messages[i] for i in self.skipped_rows_[:_LIST_LIMIT])
        more = "" if len(messages) <= _LIST_LIMIT else f"; and {len(messages) - _LIST_LIMIT} more"
        warnings.warn(
            f"{type(self).__name__}: skipped {len(messages)} unreadable image(s) (rows listed in "
            f"skipped_rows_): {listed}{more}",
            SkippedItemsWarning,
            stacklevel=3,
        )

    # ---------------------------------------------------------------- sampling
    def _sample(
        self, images: list, rng: np.random.RandomState, keep: bool = False
    ) -> tuple[np.ndarray, dict[int, ImageFeatures]]:
        """A uniform random sample of at most ``sample_size`` descriptors, streamed over the images.

        Images are visited in random order until, at the end of a chunk of
        ``_SAMPLE_CHUNK`` images,
        ``_OVERSAMPLE x sample_size`` descriptors have been seen (or every
        image has): k-means needs a representative sample, not every image,
        and this keeps fitting from costing a second full extraction pass.
        With ``keep``, the features of the visited images are returned too
        (at most ``_OVERSAMPLE x sample_size`` descriptors, whatever the
        collection's size) so that ``fit_transform`` does not extract them again.
        """
        extractor = self._check_common()
        params = extractor.get_params()
        extract = self._extract_fn()
        size = int(self.sample_size)
        order = rng.permutation(len(images))
        chunk = _SAMPLE_CHUNK

        # Items carry the image itself, so that a cluster backend ships one image per task.
        def one(item: tuple[int, Any]) -> ImageFeatures | str:
            return self._features(extract, params, *item)

        reservoir = _Reservoir(size, rng)
        skipped: dict[int, str] = {}
        known: dict[int, ImageFeatures] = {}
        indices = [int(i) for i in order]
        # One stream over all images (no barrier between chunks: the threads run
        # ahead while results are consumed in order); stopping is checked at
        # fixed chunk boundaries, so the sample does not depend on n_jobs.
        items = ((index, images[index]) for index in indices)
        with _single_threaded_libraries(), thread_imap(one, items, n_jobs=self.n_jobs) as stream:
            results = progress(
                stream, total=len(indices), desc=f"{type(self).__name__}: sampling descriptors", verbose=self.verbose
            )
            for position, (index, result) in enumerate(zip(indices, results), start=1):
                if isinstance(result, str):
                    skipped[index] = result
                else:
                    reservoir.add(result.descriptors)
                    if keep:
                        known[index] = result
                if position % chunk == 0 and reservoir.seen >= _OVERSAMPLE * size:
                    break
        self._warn_skipped(skipped)
        return reservoir.sample(), known

    # ---------------------------------------------------------------- encoding
    def _encode_all(self, images: list, known: dict[int, ImageFeatures] | None = None) -> np.ndarray:
        """Raw encodings of all images; ``known`` holds features already extracted (it is emptied)."""
        known = {} if known is None else known
        extractor = self._check_common()
        params = extractor.get_params()
        extract = self._extract_fn()
        n_dims = self._n_dims()

        def encode(feats: ImageFeatures | str) -> tuple[np.ndarray | None, str | None]:
            if isinstance(feats, str):
                return None, feats
            if len(feats.descriptors) == 0:
                return None, None
            return self._encode(feats).astype(np.float32, copy=False), None

        def one(item: tuple[int, Any, ImageFeatures | None]) -> tuple[np.ndarray | None, str | None]:
            index, image, feats = item
            if feats is None:
                feats = self._features(extract, params, index, image)
            return encode(feats)

        raw = np.zeros((len(images), n_dims), dtype=np.float32)
        skipped: dict[int, str] = {}
        empty = []
        # Features kept from the sampling pass travel with their item (and leave ``known``).
        items = ((index, images[index], known.pop(index, None)) for index in range(len(images)))
        # Rows are written into ``raw`` as they arrive (bounded look-ahead), so
        # peak memory is the output plus a few images, whatever the collection size.
        with _single_threaded_libraries(), thread_imap(one, items, n_jobs=self.n_jobs) as stream:
            results = progress(
                stream, total=len(images), desc=f"{type(self).__name__}: encoding images", verbose=self.verbose
            )
            for index, (vector, error) in enumerate(results):
                if error is not None:
                    skipped[index] = error
                elif vector is None:
                    empty.append(index)
                else:
                    raw[index] = vector
        self._warn_skipped(skipped)
        if empty:
            shown = ", ".join(str(i) for i in empty[:_LIST_LIMIT]) + (" ..." if len(empty) > _LIST_LIMIT else "")
            warnings.warn(
                f"{type(self).__name__}: {len(empty)} image(s) gave no keypoints and were encoded as "
                f"all-zero rows (rows {shown})",
                EmptyFeatureWarning,
                stacklevel=3,
            )
        return raw

    # ------------------------------------------------------------- public API
    @staticmethod
    def _as_list(images: Iterable[Any]) -> list:
        if isinstance(images, (str, bytes, np.ndarray)) and not (
            isinstance(images, np.ndarray) and images.ndim == 4
        ):
            raise InputTypeError(
                "images must be a sequence of images (paths, arrays or bytes), not a single "
                f"{type(images).__name__}; wrap one image in a list"
            )
        return list(images)

    def _fit(self, images: Iterable[Any], keep: bool = False) -> tuple[list, dict[int, ImageFeatures]]:
        images = self._as_list(images)
        if not images:
            raise EmptyInputError(f"{type(self).__name__}.fit: no images given")
        rng = check_random_state(self.random_state)
        sample, known = self._sample(images, rng, keep=keep)
        if len(sample) == 0:
            raise InputError(
                f"{type(self).__name__}.fit: none of the {len(images)} images gave any descriptor "
                "(images too small or uniform?)"
            )
        self._fit_vocabulary(sample, rng)
        self.n_sampled_ = len(sample)
        return images, known

    def fit(self, images: Iterable[Any], y: Any = None) -> "LocalFeatureEncoder":
        """Learn the vocabulary from a bounded random sample of the images' descriptors.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays
        y : ignored

        Returns
        -------
        self
        """
        if self._needs_fit_encoding:
            images, known = self._fit(images, keep=True)
            self._fit_weights(self._encode_all(images, known))
        else:
            self._fit(images)
        return self

    def fit_transform(self, images: Iterable[Any], y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then encode the same images; images read for the vocabulary sample are read only once."""
        images, known = self._fit(images, keep=True)
        raw = self._encode_all(images, known)
        if self._needs_fit_encoding:
            self._fit_weights(raw)
        return self._finalize(raw)

    def transform(self, images: Iterable[Any]) -> np.ndarray:
        """Encode each image.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out)
            Images without keypoints, and images skipped with
            ``on_error="skip"``, are all-zero rows.
        """
        self._check_fitted()
        images = self._as_list(images)
        return self._finalize(self._encode_all(images))

    def encode(self, features: Iterable[ImageFeatures]) -> np.ndarray:
        """Encode precomputed local features (one :class:`ImageFeatures` per image).

        The same weighting and normalisation as :meth:`transform`, for
        descriptors computed elsewhere (they must match the vocabulary's type
        and length). Features with no descriptors give all-zero rows.

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out)
        """
        self._check_fitted()
        rows = [
            np.zeros(self._n_dims(), np.float32) if len(f.descriptors) == 0 else self._encode(f)
            for f in features
        ]
        raw = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, self._n_dims()), np.float32)
        return self._finalize(raw)

    # Subclass hooks ----------------------------------------------------------
    def _fit_vocabulary(self, sample: np.ndarray, rng: np.random.RandomState) -> None:
        raise NotImplementedError

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        raise NotImplementedError

    def _n_dims(self) -> int:
        return self.n_features_out_

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fit_weights(self, raw: np.ndarray) -> None:
        raise NotImplementedError
