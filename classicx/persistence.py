"""Saving and loading fitted estimators as arrays plus JSON, without pickle.

A saved model is a directory with two files:

``classicx.json``
    The format name and version, the classicx version that wrote it, and a
    tree describing the estimator: its qualified class name (looked up in a
    registry of classes defined as classicx estimators, never imported from an
    arbitrary module path), its
    constructor parameters and its fitted attributes (names ending in ``_``).
``arrays.npz``
    Every numpy array of that tree, loaded with ``allow_pickle=False``. The
    archive is stored uncompressed, each member's data aligned to 64 bytes,
    so that large arrays (1 MiB and more) are memory-mapped (copy-on-write)
    instead of read: a model opens in a fraction of the time its arrays take
    to read, and processes serving the same model share its pages. Archives
    written compressed (by classicx 0.2) are read as before.

Because classes come only from the registry and arrays are read without
pickle, loading a model received from someone else cannot run code.

Fitted state must therefore consist of numbers, strings, booleans, ``None``,
lists, tuples, string-keyed dicts, numeric numpy arrays, scipy sparse
matrices and nested classicx estimators. Path objects (``pathlib.Path``, any
``os.PathLike``) are stored as their strings and load as ``str``. Anything else
is refused at save time with an error naming the attribute, so a bad model is
never written.
"""

from __future__ import annotations

import ctypes
import io
import json
import math
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import scipy.sparse as sp

from .exceptions import InputTypeError, ModelFormatError, ModelWriteError

__all__ = ["save", "load", "check_writable", "register", "class_key", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "classicx-model"
FORMAT_VERSION = 3
# Version 1 keyed classes by bare name; its constructors predate classicx 0.2.
# Version 2 (classicx 0.2) kept every string in the JSON and compressed the
# arrays; version 3 stores large string collections as arrays and the arrays
# uncompressed and aligned (memory-mapped). Both are read.
_OLDEST_READABLE = 2
# Dicts of str -> int (vocabularies) and lists of str (ids, texts) with at least
# this many entries are stored as arrays of UTF-8 bytes rather than as JSON.
_STRINGS_MIN = 1024
_SEPARATOR = "\0"
_META = "classicx.json"
_ARRAYS = "arrays.npz"
# Arrays of at least this many bytes are memory-mapped rather than read at load time.
_MMAP_MIN = 1 << 20
# Member data starts at a multiple of this in the archive (the .npy header pads to it as well).
_ALIGN = 64
# Zip extra-field id of the alignment padding (the one Android's zipalign uses).
_PADDING_ID = 0xD935

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


def _joinable(strings: Any) -> bool:
    """Whether every item is a str without the separator (a list's items, a dict's keys)."""
    return all(type(item) is str and _SEPARATOR not in item for item in strings)


def _utf8(strings: Any) -> np.ndarray:
    return np.frombuffer(_SEPARATOR.join(strings).encode("utf-8"), dtype=np.uint8)


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        # Lists of strings already stored, by their bytes: a retriever's paired texts, files and
        # ids are the same lists for both galleries (1.4 MB of webnews articles twice), stored
        # and decoded once.
        self._string_lists: dict[bytes, dict] = {}

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
        if isinstance(value, os.PathLike):
            # A path (a cache directory, a model file) is stored as its string and loads as str:
            # JSON has no path type, and every classicx parameter taking a path takes a str too.
            text = os.fspath(value)
            if not isinstance(text, str):
                raise InputTypeError(f"cannot save {where}: the path {value!r} is bytes, not text")
            return text
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
            if len(value) >= _STRINGS_MIN and _joinable(value):
                data = _utf8(value)
                key = data.tobytes()
                if key not in self._string_lists:
                    self._string_lists[key] = {"__strings__": self._store(data, where)}
                return dict(self._string_lists[key])
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if (isinstance(value, dict) and len(value) >= _STRINGS_MIN and _joinable(value)
                and all(type(v) is int for v in value.values())):
            return {"__strdict__": {"keys": self._store(_utf8(value), where + ".keys"),
                                    "values": self._store(np.fromiter(value.values(), np.int64, len(value)),
                                                          where + ".values")}}
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
            "without pickle (allowed: numbers, strings, paths, lists, dicts, numpy arrays, "
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


# Deeper trees than this are not written by classicx; refusing them keeps a
# hand-made file from exhausting the interpreter's stack.
_MAX_DEPTH = 64
# Bytes an .npy member may hold beyond its data (its header).
_NPY_HEADER_SLACK = 4096


def _json_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _all_finite(array: np.ndarray) -> bool:
    """Whether a float or complex array holds no NaN or infinity.

    A sum that is finite proves it (NaN and infinity never leave a sum), at
    the cost of one pass without a temporary array: 14 ms instead of 30 ms
    for the 90 MB of webnews' LSA components. Only a non-finite sum (a NaN,
    an infinity, or an overflow of huge finite values) needs the exact test.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum()):
            return True
    return bool(np.isfinite(array).all())


class _Decoder:
    """Turns the JSON tree back into objects, reading only the arrays it references.

    Every marker is checked for its exact keys and types before use, so a
    hand-edited file gives a :class:`ModelFormatError` naming what is wrong,
    and every array member's uncompressed size is compared with the shape and
    dtype the metadata declares *before* it is inflated.
    """

    def __init__(self, npz: Any, path: Path, handle: BinaryIO | None = None, archive_size: int = 0) -> None:
        self.npz = npz
        self.path = path
        self.members = {info.filename.removesuffix(".npy"): info for info in npz.zip.infolist()}
        self.handle = handle
        self.archive_size = archive_size
        # Lists of strings decoded so far, by marker (the encoder stores a repeated list once).
        self._string_lists: dict[str, list[str]] = {}

    def _fail(self, message: str) -> ModelFormatError:
        return ModelFormatError(f"{self.path}: {message}")

    def _marker(self, value: Any, keys: set[str], what: str) -> dict:
        if not isinstance(value, dict) or set(value) != keys:
            found = sorted(value) if isinstance(value, dict) else type(value).__name__
            raise self._fail(f"malformed {what} entry: expected keys {sorted(keys)}, found {found}")
        return value

    def _load_array(self, marker: Any) -> np.ndarray:
        marker = self._marker(marker, {"__array__", "dtype", "shape"}, "array")
        key, dtype_str, shape = marker["__array__"], marker["dtype"], marker["shape"]
        if not isinstance(key, str) or not isinstance(dtype_str, str) or not isinstance(shape, list):
            raise self._fail(f"malformed array entry {marker!r}")
        if not all(_json_int(n) and n >= 0 for n in shape):
            raise self._fail(f"array {key!r}: shape {shape!r} is not a list of sizes")
        try:
            dtype = np.dtype(dtype_str)
        except TypeError:
            raise self._fail(f"array {key!r}: unknown dtype {dtype_str!r}") from None
        if dtype.hasobject or dtype.kind not in "biufcUS":
            raise self._fail(f"array {key!r}: dtype {dtype_str!r} is not allowed")
        info = self.members.get(key)
        if info is None:
            raise self._fail(f"array {key!r} is listed in {_META} but missing from {_ARRAYS}")
        declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size > declared + _NPY_HEADER_SLACK:
            raise self._fail(
                f"array {key!r} would inflate to {info.file_size} bytes, but {_META} declares "
                f"shape {shape} of {dtype_str} ({declared} bytes): refusing to read it"
            )
        array = None
        if declared >= _MMAP_MIN and info.compress_type == zipfile.ZIP_STORED and self.handle is not None:
            array = self._map(key, info, shape, dtype)
        if array is None:
            try:
                array = self.npz[key]
            except ValueError as exc:  # pickled (object) arrays, refused by allow_pickle=False
                raise self._fail(f"array {key!r} cannot be read without pickle ({exc})") from None
            except Exception as exc:  # zipfile/zlib errors of a damaged member
                raise self._fail(f"array {key!r} is damaged ({exc})") from None
        if list(array.shape) != shape or array.dtype.str != dtype_str:
            raise self._fail(
                f"array {key!r} has shape {list(array.shape)} and dtype {array.dtype.str}, "
                f"but {_META} says {shape} and {dtype_str}"
            )
        if array.dtype.kind in "fc" and not _all_finite(array):
            raise self._fail(f"array {key!r} holds NaN or infinity: a fitted model never does")
        return array

    def _map(self, key: str, info: zipfile.ZipInfo, shape: list[int], dtype: np.dtype) -> np.ndarray | None:
        """Memory-map an uncompressed member (copy-on-write); ``None`` when it is not aligned.

        The member's local header and its .npy header are parsed here and
        checked against the central directory and the metadata, and the data
        must lie wholly inside the member, before anything is mapped.
        """
        handle = self.handle
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise self._fail(f"array {key!r} is damaged (no local header at its offset)")
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        if int.from_bytes(local[8:10], "little") != zipfile.ZIP_STORED or start + info.file_size > self.archive_size:
            raise self._fail(f"array {key!r} is damaged (its member runs past the end of {_ARRAYS})")
        handle.seek(start)
        try:
            version = np.lib.format.read_magic(handle)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy version {version}")
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            header_shape, fortran, header_dtype = reader(handle)
        except (ValueError, OSError, SyntaxError) as exc:
            raise self._fail(f"array {key!r} is damaged ({exc})") from None
        offset = handle.tell()
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if list(header_shape) != shape or header_dtype != dtype or offset - start + nbytes != info.file_size:
            raise self._fail(
                f"array {key!r}: its .npy header (shape {list(header_shape)}, {header_dtype.str}) or size "
                f"does not match {_META} (shape {shape}, {dtype.str})"
            )
        if offset % _ALIGN:
            return None  # not written by classicx: read it the ordinary way
        mapped = np.memmap(handle, dtype=dtype, mode="c", offset=offset, shape=tuple(shape),
                           order="F" if fortran else "C")
        # A plain ndarray (keeping the mapping alive): copies and pickles of the model hold the values.
        return mapped.view(np.ndarray)

    def _strings(self, marker: Any) -> list[str]:
        data = self._load_array(marker)
        if data.ndim != 1 or data.dtype != np.uint8:
            raise self._fail(f"malformed strings: expected 1-D uint8 bytes, got {data.dtype} of shape {data.shape}")
        try:
            return data.tobytes().decode("utf-8").split(_SEPARATOR)
        except UnicodeDecodeError as exc:
            raise self._fail(f"malformed strings: not UTF-8 ({exc})") from None

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self._fail(f"entries are nested more than {_MAX_DEPTH} deep")
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if not np.isfinite(value):
                raise self._fail(f"non-finite number {value!r} outside a __float__ marker")
            return value
        if isinstance(value, list):
            if all(type(v) is str for v in value):  # ids, texts, paths: nothing to decode
                return list(value)
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise self._fail(f"unexpected entry {value!r}")
        if "__array__" in value:
            return self._load_array(value)
        if "__float__" in value:
            text = self._marker(value, {"__float__"}, "float")["__float__"]
            if text not in ("nan", "inf", "-inf"):
                raise self._fail(f"malformed float entry {value!r}")
            return float(text)
        if "__tuple__" in value:
            items = self._marker(value, {"__tuple__"}, "tuple")["__tuple__"]
            if not isinstance(items, list):
                raise self._fail(f"malformed tuple entry {value!r}")
            return tuple(self.decode(v, depth + 1) for v in items)
        if "__dict__" in value:
            items = self._marker(value, {"__dict__"}, "dict")["__dict__"]
            if not isinstance(items, dict):
                raise self._fail(f"malformed dict entry {value!r}")
            if all(type(v) is int for v in items.values()):  # vocabularies: term -> column
                return dict(items)
            return {k: self.decode(v, depth + 1) for k, v in items.items()}
        if "__strings__" in value:
            marker = self._marker(value, {"__strings__"}, "strings")["__strings__"]
            # Only an identical marker (array, dtype and shape) reuses what was decoded and checked.
            key = repr(sorted(marker.items())) if isinstance(marker, dict) else None
            if key not in self._string_lists:
                strings = self._strings(marker)
                if key is not None:
                    self._string_lists[key] = strings
                return strings
            return list(self._string_lists[key])  # a list of its own: the attributes stay independent
        if "__strdict__" in value:
            s = self._marker(self._marker(value, {"__strdict__"}, "strdict")["__strdict__"], {"keys", "values"},
                             "strdict")
            keys, values = self._strings(s["keys"]), self._load_array(s["values"])
            if values.ndim != 1 or values.dtype.kind not in "iu" or len(values) != len(keys):
                raise self._fail(f"malformed strdict: {len(keys)} keys but values of shape {values.shape}")
            mapping = dict(zip(keys, values.tolist()))
            if len(mapping) != len(keys):
                raise self._fail("malformed strdict: repeated keys")
            return mapping
        if "__sparse__" in value:
            s = self._marker(self._marker(value, {"__sparse__"}, "sparse")["__sparse__"],
                             {"shape", "data", "indices", "indptr"}, "sparse")
            shape = s["shape"]
            if not (isinstance(shape, list) and len(shape) == 2 and all(_json_int(n) and n >= 0 for n in shape)):
                raise self._fail(f"malformed sparse shape {shape!r}")
            data, indices, indptr = (self._load_array(s[k]) for k in ("data", "indices", "indptr"))
            try:
                matrix = sp.csr_array((data, indices, indptr), shape=tuple(shape))
                matrix.check_format(full_check=True)
            except (ValueError, TypeError) as exc:
                raise self._fail(f"malformed sparse matrix ({exc})") from None
            return matrix
        if "__estimator__" in value:
            return self.node(self._marker(value, {"__estimator__"}, "estimator")["__estimator__"], depth + 1)
        raise self._fail(f"unknown entry with keys {sorted(value)}")

    def node(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self._fail(f"estimators are nested more than {_MAX_DEPTH} deep")
        if not isinstance(node, dict) or not {"class", "params", "state"} <= set(node):
            raise self._fail("an estimator entry lacks 'class', 'params' or 'state'")
        name = node["class"]
        cls = _REGISTRY.get(name) if isinstance(name, str) else None
        if cls is None and isinstance(name, str):
            cls = _import_own(name)
        if cls is None:
            raise self._fail(
                f"unknown class {name!r} (not a classicx estimator; a class of your own must be "
                "imported before loading)"
            )
        if not isinstance(node["params"], dict) or not isinstance(node["state"], dict):
            raise self._fail(f"{name}: 'params' and 'state' must be objects")
        params = {k: self.decode(v, depth + 1) for k, v in node["params"].items()}
        try:
            estimator = cls(**params)
        except TypeError as exc:
            raise self._fail(f"parameters do not fit {name}: {exc}") from None
        for k, v in node["state"].items():
            if not (k.endswith("_") and not k.startswith("_")):
                raise self._fail(f"{k!r} is not a fitted attribute name")
            setattr(estimator, k, self.decode(v, depth + 1))
        check = getattr(estimator, "_check_loaded_state", None)
        if check is not None:
            try:
                check()
            except ModelFormatError:
                raise
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                raise self._fail(f"{name}: fitted state is inconsistent ({exc})") from None
        return estimator


def _import_own(name: str) -> type | None:
    """The classicx class keyed ``name`` once its subpackage is imported (``classicx.spec.ConcatFeatures``).

    Subpackages load lazily, so a model of classes whose subpackage this
    process has not imported yet (the retriever builds its stages from spec
    strings) would otherwise be refused. Only classicx's own subpackages, by
    the fixed list of the top level, and the submodule a subpackage's fixed
    table names for the class are ever imported: never a module named by the file.
    """
    import importlib

    import classicx

    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "classicx" or parts[1] not in classicx._SUBMODULES:
        return None
    package = importlib.import_module(f"classicx.{parts[1]}")
    if name not in _REGISTRY:
        # The subpackage's own lazy table (classicx.utils._lazy) imports the one submodule
        # defining this public name; a name outside that fixed table imports nothing.
        getattr(package, parts[2], None)
    return _REGISTRY.get(name)


def _is_model_dir(path: Path) -> bool:
    # A link named classicx.json still marks a model directory: it is replaced, never written through.
    return os.path.lexists(path / _META)


def check_writable(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check, before any work, that a model can be saved to ``path``.

    The target must be absent, an empty directory, or a classicx model
    directory (which :func:`save` replaces); a file, a link, or a non-empty
    directory that is not a classicx model is refused unless ``overwrite``.
    The parent must be a writable directory (it is created if missing).

    Returns
    -------
    pathlib.Path
        The target path.

    Raises
    ------
    ModelWriteError
        Naming the path and why it cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> check_writable(target) == target
    True
    """
    path = Path(path)
    if path.is_symlink():
        raise ModelWriteError(f"{path}: is a symbolic link; save to the real directory instead")
    if path.exists():
        if not path.is_dir():
            if not overwrite:
                raise ModelWriteError(f"{path}: is a file, not a model directory (pass overwrite=True to replace it)")
        elif any(path.iterdir()) and not _is_model_dir(path) and not overwrite:
            raise ModelWriteError(
                f"{path}: is a non-empty directory that is not a classicx model; refusing to replace it "
                "(pass overwrite=True, or choose another directory)"
            )
    parent = path.absolute().parent
    for ancestor in [parent, *parent.parents]:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise ModelWriteError(f"{path}: {ancestor} is a file, not a directory")
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise ModelWriteError(f"{path}: directory {ancestor} is not writable")
            break
    return path


def _write_file(path: Path, data: bytes | Any) -> None:
    """Write ``data`` (bytes, or a function writing into the file) to the new file ``path``, flushed to disk."""
    # O_EXCL | O_NOFOLLOW: the file is new in a directory of our own, never a link to elsewhere.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as handle:
        if isinstance(data, bytes):
            handle.write(data)
        else:
            data(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _write_archive(handle: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """An uncompressed .npz whose members' data start at multiples of ``_ALIGN`` bytes.

    Hand-written because ``np.savez`` cannot align members, and mapping an
    array needs its data aligned. Each member's local header carries a
    padding extra field, which zip readers (numpy's included) skip.
    """
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            data = buffer.getbuffer()
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            name_size = len(info.filename.encode("utf-8"))
            # Local header (30 bytes), name, then the padding field (4 bytes + padding).
            pad = -(handle.tell() + 30 + name_size + 4) % _ALIGN
            info.extra = _PADDING_ID.to_bytes(2, "little") + pad.to_bytes(2, "little") + b"\0" * pad
            archive.writestr(info, data)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exchange(new: Path, target: Path) -> bool:
    """Atomically swap two directory entries (Linux ``renameat2(RENAME_EXCHANGE)``).

    Hand-written with ctypes because Python exposes no atomic exchange; where
    it is unavailable the caller falls back to two renames.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(target), rename_exchange)
    return result == 0


def save(estimator: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save a classicx estimator (fitted or not) to the directory ``path``.

    The model is written into a new temporary directory beside ``path``,
    flushed to disk, then swapped in with an atomic rename, so that ``path``
    holds either the previous complete model or the new complete one at every
    moment, even if the process is killed while saving. Files are created
    afresh (never opened through links found in the target), and the old
    directory is removed only after the swap.

    Parameters
    ----------
    estimator : classicx estimator
        Any estimator defined by classicx, including composites such as
        :class:`classicx.CrossModalRetriever`.
    path : str or path-like
        Directory to write: absent, empty, or an earlier classicx model (which
        is replaced). A file or a non-empty directory that is not a classicx
        model is refused unless ``overwrite=True``.
    overwrite : bool, default=False
        Replace whatever is at ``path``.

    Returns
    -------
    pathlib.Path
        The directory written.

    Raises
    ------
    ModelWriteError
        If ``path`` cannot be written (see :func:`check_writable`).
    InputTypeError
        If the estimator holds state that cannot be saved without pickle.

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

    path = check_writable(path, overwrite=overwrite)
    encoder = _Encoder()
    tree = encoder.node(estimator, type(estimator).__name__)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "classicx_version": __version__,
        "root": tree,
    }
    # Compact: the metadata of a model holds its vocabulary and gallery texts (megabytes), read at every load.
    text = json.dumps(meta, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    parent = path.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.saving-", dir=parent))
    except OSError as exc:
        raise ModelWriteError(f"{path}: cannot create a directory beside it ({exc.strerror or exc})") from None
    try:
        _write_file(staging / _ARRAYS, lambda handle: _write_archive(handle, encoder.arrays))
        _write_file(staging / _META, text.encode("utf-8"))
        os.chmod(staging, 0o755)
        _fsync_dir(staging)
        _swap_in(staging, path)
        _fsync_dir(parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelWriteError(f"{path}: cannot write the model ({exc.strerror or exc})") from None
    return path


def _swap_in(staging: Path, path: Path) -> None:
    """Put the complete ``staging`` directory at ``path``; remove what was there after."""
    if not os.path.lexists(path):
        os.rename(staging, path)
        return
    if path.is_dir() and not path.is_symlink() and _exchange(staging, path):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous model
        return
    # No atomic exchange here: move the old entry aside, then the new one in. The old
    # model stays complete on disk (as .<name>.old-*) until the new one is in place.
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.absolute().parent))
    aside = old / "previous"
    os.rename(path, aside)
    os.rename(staging, path)
    shutil.rmtree(old, ignore_errors=True)


def load(path: str | os.PathLike, expected: type | None = None) -> Any:
    """Load an estimator written by :func:`save`.

    Loading a model from someone else cannot run code: classes come only from
    the registry of classicx estimators, arrays are read without pickle, only
    the arrays the metadata references are read, and each one's size is
    checked against its declared shape before it is inflated. Every fitted
    array is checked for shape, dtype and finiteness, and estimators check
    the consistency of their fitted state, at load time rather than at first
    use.

    Arrays of 1 MiB and more stored uncompressed (as :func:`save` writes
    them) are memory-mapped copy-on-write rather than read: changing them in
    memory never touches the file. Replacing the model with :func:`save`
    while it is loaded is safe (a new directory is swapped in; the mapped
    file stays intact), but truncating or rewriting ``arrays.npz`` in place
    while a process uses the model is not, as for any mapped file. The
    CRC-32 of mapped members is not computed (it would read every byte
    again); their sizes, headers, shapes, dtypes and finiteness are checked.

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
        written by another format version, or its content does not match
        its metadata.
    """
    path = Path(path)
    meta_path = path / _META
    if not meta_path.is_file():
        raise ModelFormatError(f"{path}: not a classicx model directory ({_META} not found)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"{meta_path}: damaged metadata ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelFormatError(f"{meta_path}: not a classicx model (format is {found!r})")
    version = meta.get("format_version")
    if not _json_int(version) or version > FORMAT_VERSION:
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
    with open(arrays_path, "rb") as handle:
        try:
            npz = np.load(handle, allow_pickle=False)
        except Exception as exc:  # zipfile.BadZipFile, OSError, ValueError and friends
            raise ModelFormatError(f"{arrays_path}: damaged array file ({exc})") from None
        if not hasattr(npz, "zip"):  # an .npy file read as a plain array, not an archive
            raise ModelFormatError(f"{arrays_path}: damaged array file (not an .npz archive)")
        with npz:
            size = os.fstat(handle.fileno()).st_size
            estimator = _Decoder(npz, path, handle, size).node(meta.get("root"))
    if expected is not None and not isinstance(estimator, expected):
        raise ModelFormatError(
            f"{path}: holds a {type(estimator).__name__}, expected a {expected.__name__}"
        )
    return estimator
