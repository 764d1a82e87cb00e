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

import contextlib
import os
from collections.abc import Iterable
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..distributed import dask_fit, dask_transform, is_dask_collection
from ..exceptions import (
    EmptyFeatureWarning,
    EmptyInputError,
    ImageReadError,
    InputError,
    InputTypeError,
    ShapeMismatchError,
)
from ..utils.messages import warn
from ..utils.parallel import limit_threads, progress, thread_imap
from ..utils.validation import check_array, check_images, check_is_fitted, validate_params
from ._common import _LIST_LIMIT, SkippedImagesMixin
from .descriptors import DESCRIPTOR_KINDS, ImageFeatures, LocalDescriptors
from .io import describe_item
from .normalization import normalize_rows
from .vocabulary import BinaryKMeansVocabulary, KMeansVocabulary

__all__ = ["LocalFeatureEncoder"]

# Descriptors seen per descriptor kept when sampling for the vocabulary.
_OVERSAMPLE = 3
# Images read per step while sampling; fixed (not per worker) so that the
# sample, hence the vocabulary, does not depend on n_jobs.
_SAMPLE_CHUNK = 32
# Final normalisations of the residual encodings (VLAD, Fisher vectors).
POWER_NORMALIZE = [StrOptions({"l2", "power"}), None]


def _power_normalize(X: np.ndarray, normalize: str | None, alpha: float) -> np.ndarray:
    """Signed power then L2 (``"power"``), L2 only, or none (``None``), as float32."""
    if normalize is None:
        return X.astype(np.float32, copy=False)
    return normalize_rows(X, normalize, alpha=float(alpha))


def _single_threaded_libraries() -> contextlib.AbstractContextManager:
    """OpenCV, BLAS and OpenMP with one thread each for the duration, then as before.

    Parallelism comes from ``n_jobs`` threads of ours. OpenCV's SIFT alone
    uses a thread per core (1.56x faster than one thread on this project's
    2-core machine), so leaving it on would make ``n_jobs=1`` use every core
    and ``n_jobs=2`` start four threads on two cores. The settings are
    process-wide: :func:`~classicx.utils.parallel.limit_threads` restores
    them correctly when encoders run at the same time in several threads.
    """
    return limit_threads(blas=1, openmp=1, opencv=1)


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


class LocalFeatureEncoder(SkippedImagesMixin, TransformerMixin, ClassicxEstimator):
    """Base class of encoders that turn each image's local descriptors into one vector.

    An encoder is composed of two parts, given as estimators (or as the
    shorthands below), which ``fit`` clones into ``descriptor_`` and
    ``vocabulary_`` (the objects passed in are never modified):

    ``descriptor``
        a :class:`~classicx.image.LocalDescriptors`, or its ``kind`` as a
        string (``"rootsift"`` means ``LocalDescriptors("rootsift")``). The
        descriptor also holds the disk ``cache`` of descriptors.
    ``vocabulary``
        a vocabulary estimator, or its number of words as an int, in which
        case ``fit`` picks the vocabulary that suits the descriptor (the
        binary k-majority one for ORB). The vocabulary holds
        ``sample_size``, the number of descriptors it learns from: ``fit``
        draws that many from the images. Its ``random_state`` and
        ``n_jobs``, when left at ``None``, are taken from the encoder (a
        seed drawn from the encoder's ``random_state``, the encoder's
        ``n_jobs``), so ``random_state`` of the encoder alone makes a fit
        reproducible.

    Subclasses define ``__init__`` and ``_parameter_constraints`` and implement:

    ``_new_vocabulary(n_words, descriptor)``
        the vocabulary an int ``vocabulary`` stands for;
    ``_fit_encoding(sample)``
        learn what the encoding needs besides ``vocabulary_`` from the
        sample, and set ``n_features_out_``;
    ``_encode(features)``
        the raw (unnormalised) vector of one image's :class:`ImageFeatures`;
    ``_finalize(raw)``
        weighting and normalisation of the stacked raw vectors;
    and may set ``_needs_fit_encoding = True`` with ``_fit_weights(raw)`` to
    learn statistics (e.g. idf) from the encoded training images.
    """

    _needs_fit_encoding = False
    _float_only = False
    _vocabularies: tuple[type, ...] = (KMeansVocabulary, BinaryKMeansVocabulary)

    _parameter_constraints: dict = {
        "descriptor": [StrOptions(set(DESCRIPTOR_KINDS)), LocalDescriptors],
        "vocabulary": [Interval(Integral, 1, None, closed="left"), KMeansVocabulary, BinaryKMeansVocabulary],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "on_error": [StrOptions({"raise", "skip"})],
    }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # Images (paths, bytes, pixel arrays), not a 2-D array of numbers.
        tags.input_tags.two_d_array = False
        # float32 whatever the pixels' type.
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------------ parts
    def _resolve_descriptor(self) -> LocalDescriptors:
        descriptor = self.descriptor
        resolved = LocalDescriptors(descriptor) if isinstance(descriptor, str) else clone(descriptor)
        resolved.fit()
        if self._float_only and resolved.binary:
            raise InputError(
                f"{type(self).__name__} needs float descriptors; descriptor {resolved.kind!r} is binary "
                "(use 'sift', 'rootsift' or 'dense_sift')"
            )
        return resolved

    def _new_vocabulary(self, n_words: int, descriptor: LocalDescriptors) -> Any:
        return (BinaryKMeansVocabulary if descriptor.binary else KMeansVocabulary)(n_words)

    def _resolve_vocabulary(self, descriptor: LocalDescriptors) -> Any:
        """An unfitted vocabulary for ``descriptor``: a clone of ``vocabulary``, or the one its size stands for."""
        if isinstance(self.vocabulary, Integral):
            vocabulary = self._new_vocabulary(int(self.vocabulary), descriptor)
        else:
            vocabulary = clone(self.vocabulary)
            if vocabulary.binary != descriptor.binary:
                have, need = ("binary", "float") if vocabulary.binary else ("float", "binary")
                suggestion = "BinaryKMeansVocabulary" if descriptor.binary else "KMeansVocabulary"
                raise InputError(
                    f"{type(self).__name__}: {type(vocabulary).__name__} clusters {have} descriptors, but "
                    f"descriptor {descriptor.kind!r} gives {need} ones: use a {suggestion}, or give "
                    "vocabulary as a number of words to have the right one chosen"
                )
        validate_params(vocabulary)
        if vocabulary.n_jobs is None:
            vocabulary.set_params(n_jobs=self.n_jobs)
        return vocabulary

    # -------------------------------------------------------------- extraction
    def _features(self, index: int, item: Any) -> ImageFeatures | str:
        """Features of one image, or the error message when it is unreadable and skipped."""
        try:
            return self.descriptor_._extract(item, describe_item(item, index))
        except (ImageReadError, InputTypeError) as exc:
            if self.on_error == "raise":
                raise
            return str(exc)

    # ---------------------------------------------------------------- sampling
    def _sample(
        self, images: list, rng: np.random.RandomState, size: int, keep: bool = False
    ) -> tuple[np.ndarray, dict[int, ImageFeatures]]:
        """A uniform random sample of at most ``size`` descriptors, streamed over the images.

        Images are visited in random order until, at the end of a chunk of
        ``_SAMPLE_CHUNK`` images, ``_OVERSAMPLE x size`` descriptors have
        been seen (or every image has): k-means needs a representative
        sample, not every image, and this keeps fitting from costing a
        second full extraction pass. With ``keep``, the features of the
        visited images are returned too (at most ``_OVERSAMPLE x size``
        descriptors, whatever the collection's size) so that
        ``fit_transform`` does not extract them again.
        """
        order = rng.permutation(len(images))
        chunk = _SAMPLE_CHUNK

        # Items carry the image itself, so that a cluster backend ships one image per task.
        def one(item: tuple[int, Any]) -> ImageFeatures | str:
            return self._features(*item)

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
        n_dims = self.n_features_out_

        def encode(feats: ImageFeatures | str) -> tuple[np.ndarray | None, str | None]:
            if isinstance(feats, str):
                return None, feats
            if len(feats.descriptors) == 0:
                return None, None
            return self._encode(feats).astype(np.float32, copy=False), None

        def one(item: tuple[int, Any, ImageFeatures | None]) -> tuple[np.ndarray | None, str | None]:
            index, image, feats = item
            if feats is None:
                feats = self._features(index, image)
            return encode(feats)

        raw = np.zeros((len(images), n_dims), dtype=np.float32)
        skipped: dict[int, str] = {}
        empty = []

        def store(index: int, vector: np.ndarray | None, error: str | None) -> None:
            if error is not None:
                skipped[index] = error
            elif vector is None:
                empty.append(index)
            else:
                raw[index] = vector

        if len(images) == 1:
            # One image (a query): encoded in this thread, without a pool, a
            # progress bar or a cluster round trip, which would cost more than they share.
            with _single_threaded_libraries():
                store(0, *one((0, images[0], known.pop(0, None))))
        else:
            # Features kept from the sampling pass travel with their item (and leave ``known``).
            items = ((index, images[index], known.pop(index, None)) for index in range(len(images)))
            # Rows are written into ``raw`` as they arrive (bounded look-ahead), so
            # peak memory is the output plus a few images, whatever the collection size.
            with _single_threaded_libraries(), thread_imap(one, items, n_jobs=self.n_jobs) as stream:
                results = progress(
                    stream, total=len(images), desc=f"{type(self).__name__}: encoding images", verbose=self.verbose
                )
                for index, (vector, error) in enumerate(results):
                    store(index, vector, error)
        self._warn_skipped(skipped)
        if empty:
            # Files by name (what the user can open), arrays by row.
            shown = ", ".join(
                describe_item(images[i]) if isinstance(images[i], (str, os.PathLike)) else f"row {i}"
                for i in empty[:_LIST_LIMIT]
            ) + (f" and {len(empty) - _LIST_LIMIT} more" if len(empty) > _LIST_LIMIT else "")
            warn(
                f"{type(self).__name__}: {len(empty)} image(s) gave no keypoints and were encoded as "
                f"all-zero rows: {shown}",
                EmptyFeatureWarning,
            )
        return raw

    # ------------------------------------------------------------- public API
    def _fit(self, images: Iterable[Any], keep: bool = False) -> tuple[list, dict[int, ImageFeatures]]:
        validate_params(self)
        self._check_params()
        images = check_images(images, allow_empty=True)
        if not images:
            raise EmptyInputError(f"{type(self).__name__}.fit: no images given")
        self.descriptor_ = self._resolve_descriptor()
        vocabulary = self._resolve_vocabulary(self.descriptor_)
        rng = check_random_state(self.random_state)
        sample, known = self._sample(images, rng, int(vocabulary.sample_size), keep=keep)
        if len(sample) == 0:
            raise InputError(
                f"{type(self).__name__}.fit: none of the {len(images)} images gave any descriptor "
                "(images too small or uniform?)"
            )
        if vocabulary.random_state is None:
            # An int seed (not the RandomState) keeps the fitted vocabulary's params saveable.
            vocabulary.set_params(random_state=int(rng.randint(2**31 - 1)))
        self.vocabulary_ = vocabulary.fit(sample)
        self._fit_encoding(sample)
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
        if is_dask_collection(images):
            return dask_fit(self, images)
        if self._needs_fit_encoding:
            images, known = self._fit(images, keep=True)
            self._fit_weights(self._encode_all(images, known))
        else:
            self._fit(images)
        return self

    def fit_transform(self, images: Iterable[Any], y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then encode the same images; images read for the vocabulary sample are read only once.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays
        y : ignored

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out_)
        """
        if is_dask_collection(images):
            return self.fit(images).transform(images)
        images, known = self._fit(images, keep=True)
        raw = self._encode_all(images, known)
        if self._needs_fit_encoding:
            self._fit_weights(raw)
        return self._finalize(raw)

    def transform(self, images: Iterable[Any]) -> np.ndarray:
        """Encode each image.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays, or a ``dask.bag`` of them
            A bag is encoded partition by partition on the workers of the
            active Dask client, into a ``dask.array`` (see :mod:`classicx.distributed`).

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out_)
            Images without keypoints, and images skipped with
            ``on_error="skip"``, are all-zero rows.
        """
        check_is_fitted(self)
        if is_dask_collection(images):
            return dask_transform(self, images)
        # No images give an empty (0, n_features_out_) array, as before the validation layer.
        return self._finalize(self._encode_all(check_images(images, allow_empty=True)))

    def encode(self, features: Iterable[ImageFeatures]) -> np.ndarray:
        """Encode precomputed local features (one :class:`ImageFeatures` per image).

        The same weighting and normalisation as :meth:`transform`, for
        descriptors computed elsewhere (they must match the vocabulary's type
        and length). Features with no descriptors give all-zero rows.

        Parameters
        ----------
        features : iterable of ImageFeatures

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out_)
        """
        check_is_fitted(self)
        n_dims = self.n_features_out_
        expected = getattr(self.vocabulary_, "n_features_in_", None)
        rows = []
        for row, feats in enumerate(features):
            descriptors = check_array(
                feats.descriptors, name=f"features[{row}].descriptors", estimator=self, dtype=None,
                ensure_min_samples=0,
            )
            if len(descriptors) == 0:
                rows.append(np.zeros(n_dims, np.float32))
                continue
            if expected is not None and descriptors.shape[1] != expected:
                raise ShapeMismatchError(
                    f"{type(self).__name__}.encode: features[{row}] has descriptors of length "
                    f"{descriptors.shape[1]}, but the vocabulary was learned on length {expected}"
                )
            rows.append(self._encode(feats._replace(descriptors=descriptors)))
        raw = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, n_dims), np.float32)
        return self._finalize(raw)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the encoding's dimensions.

        Parameters
        ----------
        input_features : ignored
            Images have no input feature names.

        Returns
        -------
        ndarray of str objects, shape (n_features_out_,)
        """
        check_is_fitted(self)
        return np.asarray(self._feature_names(), dtype=object)

    # Subclass hooks ----------------------------------------------------------
    def _check_params(self) -> None:
        """Checks of the parameters that ``_parameter_constraints`` cannot express."""

    def _fit_encoding(self, sample: np.ndarray) -> None:
        raise NotImplementedError

    def _encode(self, features: ImageFeatures) -> np.ndarray:
        raise NotImplementedError

    def _finalize(self, raw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fit_weights(self, raw: np.ndarray) -> None:
        raise NotImplementedError

    def _feature_names(self) -> list[str]:
        raise NotImplementedError
