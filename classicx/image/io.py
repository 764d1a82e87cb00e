"""Reading images from paths, numpy arrays or encoded bytes into uint8 pixels.

Every image path in classicx goes through :func:`read_image`, so the rules
for what counts as an image live in one place:

* **paths** (``str`` or :class:`os.PathLike`) are read with
  :func:`numpy.fromfile` and decoded with :func:`cv2.imdecode`, because
  :func:`cv2.imread` fails on non-ASCII file names on some platforms;
* **encoded bytes** (``bytes``, ``bytearray``, ``memoryview``) are decoded
  with :func:`cv2.imdecode`;
* **numpy arrays** are pixels: ``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 3)``
  BGR or ``(H, W, 4)`` BGRA. ``uint8`` is used as is, ``uint16`` is scaled
  by 255/65535, other integer types must already lie in ``[0, 255]``, and
  floating point arrays are taken to be in ``[0, 1]`` when their maximum is
  at most 1 and in ``[0, 255]`` otherwise (values are clipped to that range).
  An alpha channel is dropped (pixels keep their colour, as OpenCV does when
  it decodes a file).

Missing, empty, truncated or undecodable inputs raise
:class:`~classicx.exceptions.ImageReadError` naming the file (or the
``name`` given by the caller, e.g. the row index inside a collection).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..exceptions import ImageReadError, InputTypeError
from ..utils.validation import check_positive_int

__all__ = ["read_image", "describe_item"]

# A JPEG's end-of-image marker; libjpeg silently pads a truncated file with
# grey, so truncation has to be detected before decoding.
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
# Some writers append a few padding bytes after the end-of-image marker.
_JPEG_TAIL = 64


def describe_item(item: Any, index: int | None = None) -> str:
    """A short human-readable name for an image item, used in messages."""
    if isinstance(item, (str, os.PathLike)):
        where = f"{os.fspath(item)!r}"
        return where if index is None else f"row {index} ({where})"
    kind = "array" if isinstance(item, np.ndarray) else type(item).__name__
    return f"{kind} image" if index is None else f"{kind} image at row {index}"


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) from a JPEG's start-of-frame header, or None if not found.

    OpenCV has no header-only read; parsing the markers (a few lines) lets
    huge JPEGs be decoded at 1/2, 1/4 or 1/8 scale by libjpeg directly.
    """
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        # SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[pos + 5 : pos + 7], "big"), int.from_bytes(data[pos + 7 : pos + 9], "big")
        pos += 2 + length
    return None


_REDUCED = {
    (False, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2, (False, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    (False, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8, (True, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (True, 4): cv2.IMREAD_REDUCED_COLOR_4, (True, 8): cv2.IMREAD_REDUCED_COLOR_8,
}


def _decode(buffer: np.ndarray, color: bool, name: str, max_side: int | None = None) -> np.ndarray:
    if buffer.size == 0:
        raise ImageReadError(f"{name}: the image is empty (0 bytes)")
    flags = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    if buffer[:2].tobytes() == _JPEG_SOI:
        if _JPEG_EOI not in buffer[-_JPEG_TAIL:].tobytes():
            raise ImageReadError(f"{name}: the JPEG data is truncated (no end-of-image marker)")
        size = _jpeg_size(buffer[:65536].tobytes()) if max_side is not None else None
        if size is not None:
            # The largest libjpeg scale that still leaves the longer side >= max_side.
            factor = max((f for f in (1, 2, 4, 8) if max(size) // f >= max_side), default=1)
            flags = _REDUCED.get((color, factor), flags)
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        raise ImageReadError(f"{name}: cannot decode the image ({exc})") from exc
    if image is None or image.size == 0:
        raise ImageReadError(f"{name}: not an image, or a damaged one (OpenCV cannot decode it)")
    return image


def _from_array(array: np.ndarray, color: bool, name: str) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageReadError(
            f"{name}: expected an (H, W), (H, W, 3) or (H, W, 4) array, found shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageReadError(f"{name}: the image is empty (shape {array.shape})")
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.uint16:
        pixels = np.round(array.astype(np.float32) * (255.0 / 65535.0)).astype(np.uint8)
    elif kind == "b":
        pixels = array.astype(np.uint8) * 255
    elif kind in "iu":
        low, high = array.min(), array.max()
        if low < 0 or high > 255:
            raise ImageReadError(
                f"{name}: integer pixels of dtype {array.dtype} must lie in [0, 255], found [{low}, {high}]"
            )
        pixels = array.astype(np.uint8)
    elif kind == "f":
        if not np.isfinite(array).all():
            raise ImageReadError(f"{name}: the image holds NaN or infinite pixels")
        scale = 255.0 if array.max() <= 1.0 else 1.0
        pixels = np.round(np.clip(array * scale, 0.0, 255.0)).astype(np.uint8)
    else:
        raise ImageReadError(f"{name}: pixels of dtype {array.dtype} are not supported")
    pixels = np.ascontiguousarray(pixels)
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR) if color else pixels
    if pixels.shape[2] == 4:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR)
    return pixels if color else cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)


def _downscale(image: np.ndarray, max_side: int | None) -> np.ndarray:
    if max_side is None:
        return image
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def read_image(
    item: str | os.PathLike | bytes | bytearray | memoryview | np.ndarray,
    *,
    max_side: int | None = None,
    color: bool = False,
    name: str | None = None,
) -> np.ndarray:
    """Read one image as uint8 pixels.

    Parameters
    ----------
    item : str, path-like, bytes or ndarray
        A file path (non-ASCII names and spaces are fine), encoded image bytes
        (JPEG, PNG, ...), or pixels: ``(H, W)`` gray, ``(H, W, 3)`` BGR or
        ``(H, W, 4)`` BGRA, of dtype uint8, uint16, another integer type with
        values in [0, 255], bool, or float (in [0, 1] if the maximum is at most
        1, else in [0, 255]).
    max_side : int, optional
        If the longer side exceeds it, the image is shrunk (area
        interpolation, aspect ratio kept) so that it equals ``max_side``.
        A large JPEG is first decoded at 1/2, 1/4 or 1/8 scale by libjpeg
        (never below ``max_side``), so a huge photograph never occupies its
        full size in memory.
    color : bool, default=False
        Return ``(H, W, 3)`` BGR pixels instead of ``(H, W)`` gray.
    name : str, optional
        How to name the item in error messages (default: the path, or the
        kind of object). Collections pass e.g. ``"row 7 ('a.jpg')"``.

    Returns
    -------
    ndarray of uint8, shape (H, W) or (H, W, 3)

    Raises
    ------
    ImageReadError
        The file is missing, empty, truncated or not an image; or the array
        has an impossible shape or values.
    InputTypeError
        ``item`` is none of the accepted types.

    See Also
    --------
    classicx.image.LocalDescriptors : extracts local descriptors from these pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import read_image
    >>> rgba = np.zeros((40, 80, 4), dtype=np.uint8)
    >>> read_image(rgba, max_side=20).shape
    (10, 20)
    >>> read_image(np.ones((5, 5)), color=True)[0, 0]
    array([255, 255, 255], dtype=uint8)
    """
    if max_side is not None:
        check_positive_int(max_side, "max_side")
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        label = name or repr(os.fspath(item))
        if not path.is_file():
            what = "is a directory, not an image file" if path.is_dir() else "does not exist"
            raise ImageReadError(f"{label}: the image file {what}")
        try:
            buffer = np.fromfile(path, dtype=np.uint8)
        except OSError as exc:
            raise ImageReadError(f"{label}: cannot read the file ({exc.strerror or exc})") from exc
        image = _decode(buffer, color, label, max_side)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        image = _decode(np.frombuffer(item, dtype=np.uint8), color, name or "encoded image bytes", max_side)
    elif isinstance(item, np.ndarray):
        image = _from_array(item, color, name or "array image")
    else:
        raise InputTypeError(
            f"{name or 'image'}: expected a file path, encoded bytes or a numpy array, "
            f"found {type(item).__name__}"
        )
    return _downscale(image, max_side)
