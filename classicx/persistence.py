"""Saving and loading fitted estimators as arrays plus JSON, without pickle.

A saved model is a directory with two files:

``classicx.json``
    The format name and version, the classicx version that wrote it, and a
    tree describing the estimator: its qualified class name (looked up in a
    registry of classes defined as classicx estimators, never imported from an
    arbitrary module path), its
    constructor parameters and its fitted attributes (names ending in ``_``).
``arrays.npz``
    Every numpy array of that tree, loaded with ``allow_pickle=False``.

Because classes come only from the registry and arrays are read without
pickle, loading a model received from someone else cannot run code.

Fitted state must therefore consist of numbers, strings, booleans, ``None``,
lists, tuples, string-keyed dicts, numeric numpy arrays, scipy sparse
matrices and nested classicx estimators. Anything else is refused at save time
with an error naming the attribute, so a bad model is never written.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .exceptions import InputTypeError, ModelFormatError

__all__ = ["save", "load", "register", "class_key", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "classicx-model"
FORMAT_VERSION = 2
# Version 1 keyed classes by bare name; its constructors predate classicx 0.2.
_OLDEST_READABLE = 2
_META = "classicx.json"
_ARRAYS = "arrays.npz"

_REGISTRY: dict[str, type] = {}


def class_key(cls: type) -> str:
    """The name under which ``cls`` is saved and looked up.

    classicx's own classes are keyed by their public spelling
    (``"classicx.subspace.RegularizedCCA"``, whatever private module defines
    them); other classes by module and qualified name
    (``"mypackage.features.MyEncoder"``), so that a user class can never take
    the place of a library class with the same name.

    Examples
    --------
    >>> from classicx.subspace import RegularizedCCA
    >>> class_key(RegularizedCCA)
    'classicx.subspace.RegularizedCCA'
    """
    parts = cls.__module__.split(".")
    if parts[0] == "classicx" and len(parts) >= 3:
        return f"classicx.{parts[1]}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type) -> type:
    """Make ``cls`` loadable under :func:`class_key` (done automatically for classicx estimators).

    A class defined outside classicx is loadable once its module has been
    imported by the program that loads the model: loading never imports
    anything itself.
    """
    _REGISTRY[class_key(cls)] = cls
    return cls


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _store(self, array: np.ndarray, where: str) -> dict:
        if array.dtype == object or array.dtype.hasobject:
            raise InputTypeError(f"cannot save {where}: numpy arrays of dtype object are not allowed")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return {"__array__": key, "dtype": array.dtype.str, "shape": list(array.shape)}

    def encode(self, value: Any, where: str) -> Any:
        from .base import ClassicxEstimator

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            return self._store(value, where)
        if sp.issparse(value):
            csr = sp.csr_array(value)
            return {
                "__sparse__": {
                    "shape": list(csr.shape),
                    "data": self._store(csr.data, where + ".data"),
                    "indices": self._store(csr.indices, where + ".indices"),
                    "indptr": self._store(csr.indptr, where + ".indptr"),
                }
            }
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise InputTypeError(f"cannot save {where}: dict key {k!r} is not a string")
                out[k] = self.encode(v, f"{where}[{k!r}]")
            return {"__dict__": out}
        if isinstance(value, ClassicxEstimator):
            return {"__estimator__": self.node(value, where)}
        raise InputTypeError(
            f"cannot save {where}: values of type {type(value).__name__} cannot be stored "
            "without pickle (allowed: numbers, strings, lists, dicts, numpy arrays, "
            "sparse matrices and classicx estimators)"
        )

    def node(self, estimator: Any, where: str) -> dict:
        name = class_key(type(estimator))
        if _REGISTRY.get(name) is not type(estimator):
            raise InputTypeError(f"cannot save {where}: {name} is not a registered classicx class")
        params = {
            k: self.encode(v, f"{where}.{k}") for k, v in estimator.get_params(deep=False).items()
        }
        state = {
            k: self.encode(v, f"{where}.{k}")
            for k, v in sorted(vars(estimator).items())
            if k.endswith("_") and not k.startswith("_")
        }
        return {"class": name, "params": params, "state": state}


class _Decoder:
    def __init__(self, arrays: Any, path: Path) -> None:
        self.arrays = arrays
        self.path = path

    def _fail(self, message: str) -> ModelFormatError:
        return ModelFormatError(f"{self.path}: {message}")

    def _load_array(self, marker: dict) -> np.ndarray:
        key = marker.get("__array__")
        if key not in self.arrays:
            raise self._fail(f"array {key!r} is listed in {_META} but missing from {_ARRAYS}")
        array = self.arrays[key]
        if list(array.shape) != marker.get("shape") or array.dtype.str != marker.get("dtype"):
            raise self._fail(
                f"array {key!r} has shape {list(array.shape)} and dtype {array.dtype.str}, "
                f"but {_META} says {marker.get('shape')} and {marker.get('dtype')}"
            )
        return array

    def decode(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise self._fail(f"unexpected entry {value!r}")
        if "__array__" in value:
            return self._load_array(value)
        if "__float__" in value:
            return float(value["__float__"])
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: self.decode(v) for k, v in value["__dict__"].items()}
        if "__sparse__" in value:
            s = value["__sparse__"]
            return sp.csr_array(
                (self._load_array(s["data"]), self._load_array(s["indices"]), self._load_array(s["indptr"])),
                shape=tuple(s["shape"]),
            )
        if "__estimator__" in value:
            return self.node(value["__estimator__"])
        raise self._fail(f"unknown entry with keys {sorted(value)}")

    def node(self, node: Any) -> Any:
        if not isinstance(node, dict) or not {"class", "params", "state"} <= set(node):
            raise self._fail("an estimator entry lacks 'class', 'params' or 'state'")
        name = node["class"]
        cls = _REGISTRY.get(name) if isinstance(name, str) else None
        if cls is None:
            raise self._fail(
                f"unknown class {name!r} (not a classicx estimator; a class of your own must be "
                "imported before loading)"
            )
        params = {k: self.decode(v) for k, v in node["params"].items()}
        try:
            estimator = cls(**params)
        except TypeError as exc:
            raise self._fail(f"parameters do not fit {node['class']}: {exc}") from exc
        for k, v in node["state"].items():
            if not (k.endswith("_") and not k.startswith("_")):
                raise self._fail(f"{k!r} is not a fitted attribute name")
            setattr(estimator, k, self.decode(v))
        return estimator


def save(estimator: Any, path: str | os.PathLike) -> Path:
    """Save a classicx estimator (fitted or not) to the directory ``path``.

    Parameters
    ----------
    estimator : classicx estimator
        Any estimator defined by classicx, including composites such as
        :class:`classicx.CrossModalRetriever`.
    path : str or path-like
        Directory to write; created if needed. Existing model files in it are
        replaced.

    Returns
    -------
    pathlib.Path
        The directory written.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from classicx import persistence
    >>> from classicx.subspace import RegularizedCCA
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 3))
    >>> cca = RegularizedCCA(n_components=2).fit(X, Y)
    >>> d = persistence.save(cca, tempfile.mkdtemp())
    >>> np.allclose(persistence.load(d).transform(X), cca.transform(X))
    True
    """
    from . import __version__

    path = Path(path)
    encoder = _Encoder()
    tree = encoder.node(estimator, type(estimator).__name__)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "classicx_version": __version__,
        "root": tree,
    }
    path.mkdir(parents=True, exist_ok=True)
    text = json.dumps(meta, indent=1, ensure_ascii=False, allow_nan=False)
    np.savez_compressed(path / _ARRAYS, **encoder.arrays)
    (path / _META).write_text(text, encoding="utf-8")
    return path


def load(path: str | os.PathLike, expected: type | None = None) -> Any:
    """Load an estimator written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
        The model directory.
    expected : type, optional
        If given, the loaded estimator must be an instance of this class.

    Returns
    -------
    estimator

    Raises
    ------
    ModelFormatError
        If the directory is missing files, is not a classicx model, was
        written by a newer format version, or its arrays do not match the
        shapes recorded in the metadata.
    """
    path = Path(path)
    meta_path = path / _META
    if not meta_path.is_file():
        raise ModelFormatError(f"{path}: not a classicx model directory ({_META} not found)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{meta_path}: damaged metadata ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{meta_path}: not a classicx model (format is {meta.get('format') if isinstance(meta, dict) else None!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{meta_path}: format version {version!r} is not supported "
            f"(this classicx reads versions {_OLDEST_READABLE} to {FORMAT_VERSION}; upgrade classicx)"
        )
    if version < _OLDEST_READABLE:
        raise ModelFormatError(
            f"{meta_path}: format version {version} was written by classicx 0.1, whose estimators "
            "took other parameters; fit the model again with this version"
        )
    arrays_path = path / _ARRAYS
    if not arrays_path.is_file():
        raise ModelFormatError(f"{path}: {_ARRAYS} not found")
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ModelFormatError(f"{arrays_path}: damaged array file ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise ModelFormatError(f"{arrays_path}: damaged array file ({exc})") from exc
    estimator = _Decoder(arrays, path).node(meta.get("root"))
    if expected is not None and not isinstance(estimator, expected):
        raise ModelFormatError(
            f"{path}: holds a {type(estimator).__name__}, expected a {expected.__name__}"
        )
    return estimator
