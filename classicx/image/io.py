"""Reading images from paths, numpy arrays or encoded bytes into uint8 pixels.

Every image in classicx goes through :func:`read_image` (the local
descriptors and every encoder built on them, :class:`~classicx.image.ColorHistogram`,
:class:`~classicx.image.CNNFeatures`, the geometric verifier, the retriever,
the command line and the search service), so the rules for what counts as an
image live in one place:

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

Transparency
------------
Icons, logos and emoji keep their shape in the alpha channel: dropping it
would leave, for black strokes on a transparent black background, a
uniformly black image without a single descriptor. So an image with
transparency (a BGRA array; a PNG with an alpha channel, gray + alpha, a
palette with transparent entries, 8 or 16 bits; a WebP, TIFF or BMP with
alpha) is **composited onto a background** before anything else sees it:
``pixel = alpha * colour + (1 - alpha) * background``, on white by default.
The background is a process-wide reading option, the same for every image
transformer: :func:`set_read_options` (``background="white"``, ``"black"``,
a gray level 0-255, ``"#rrggbb"``, or ``"drop"`` to ignore alpha as
classicx 0.2 did), or :func:`read_options` for a ``with`` block. An alpha
channel that is 0 everywhere is taken as unused (32-bit BMP writers store 0
there) and ignored. The colour-key transparency of gray and truecolour PNGs
(a ``tRNS`` chunk without a palette) is not applied, as OpenCV does not.
Images with an alpha channel are decoded as stored, so an EXIF orientation
tag is not applied to them (JPEG files, which have no alpha, are rotated as before).

Pixel budget
------------
A small file can declare a huge image (a decompression bomb: a 1 MB PNG of
20,000 x 20,000 pixels decodes to 1.2 GB). Before decoding, the width and
height are read from the file's header (PNG, JPEG, GIF, BMP, WebP, TIFF and
PNM headers are parsed here, because OpenCV has no header-only read and
Pillow is not a dependency) and an image of more than ``max_pixels``
pixels (64 megapixels by default, :func:`set_read_options`) is refused with
:class:`~classicx.exceptions.ImageReadError` naming the file. For a JPEG read
with ``max_side``, what counts is the size libjpeg decodes at (1/2 to 1/8
scale). Arrays above the budget are refused too. A format whose header is
not parsed here is decoded first and its size checked afterwards (OpenCV
itself refuses more than 2**30 pixels).

Missing, empty, truncated or undecodable inputs raise
:class:`~classicx.exceptions.ImageReadError` naming the file (or the
``name`` given by the caller, e.g. the row index inside a collection).
"""

from __future__ import annotations

import os
import re
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import ImageReadError, InputTypeError, ParameterError
from ..utils._lazy import LazyModule
from ..utils.validation import check_positive_int

cv2 = LazyModule("cv2")  # OpenCV at the first image, not at import (issue #15)

__all__ = ["read_image", "describe_item", "ReadOptions", "get_read_options", "set_read_options", "read_options"]

#: Default pixel budget of :func:`read_image`: 64 megapixels (192 MB as BGR uint8).
DEFAULT_MAX_PIXELS = 64_000_000

# A JPEG's end-of-image marker; libjpeg silently pads a truncated file with
# grey, so truncation has to be detected before decoding.
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
# Some writers append a few padding bytes after the end-of-image marker.
_JPEG_TAIL = 64
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0)}
_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})")


@dataclass(frozen=True)
class ReadOptions:
    """How :func:`read_image` treats transparency and how large an image it decodes.

    Attributes
    ----------
    background : str or int
        What transparent pixels are composited onto: ``"white"`` (default),
        ``"black"``, a gray level 0-255, ``"#rrggbb"``, or ``"drop"`` to
        ignore the alpha channel (the colour of transparent pixels is kept).
    max_pixels : int
        Most pixels (width x height) an image may have; default 64,000,000.
    """

    background: str | int = "white"
    max_pixels: int = DEFAULT_MAX_PIXELS

    @property
    def background_bgr(self) -> tuple[int, int, int] | None:
        """The background as a BGR triple, or None for ``"drop"``."""
        return _parse_background(self.background)


def _parse_background(value: Any) -> tuple[int, int, int] | None:
    if isinstance(value, str):
        if value == "drop":
            return None
        if value in _BACKGROUNDS:
            return _BACKGROUNDS[value]
        match = _HEX_COLOUR.fullmatch(value)
        if match:
            r, g, b = (int(part, 16) for part in match.groups())
            return (b, g, r)
    elif isinstance(value, Integral) and not isinstance(value, bool) and 0 <= value <= 255:
        return (int(value),) * 3
    raise ParameterError(
        "The 'background' read option must be 'white', 'black', a gray level 0-255, '#rrggbb' or 'drop'. "
        f"Got {value!r} instead."
    )


_options = ReadOptions()
_options_lock = threading.Lock()


def get_read_options() -> ReadOptions:
    """The reading options in force (see :func:`set_read_options`).

    Examples
    --------
    >>> from classicx.image import get_read_options
    >>> get_read_options().background, get_read_options().max_pixels
    ('white', 64000000)
    """
    return _options


def set_read_options(*, background: str | int | None = None, max_pixels: int | None = None) -> ReadOptions:
    """Set how every image is read, for the whole process; return the previous options.

    The options apply to every image transformer (and to threads they
    start); they are not estimator parameters and are not saved with a
    model: a model fitted with another background should be queried with
    the same one. With a joblib cluster backend (dask), set them in the
    workers too. Cached descriptors and CNN features are keyed on them.

    Parameters
    ----------
    background : "white", "black", int, "#rrggbb" or "drop", optional
        What transparent pixels are composited onto (see :mod:`classicx.image.io`).
    max_pixels : int, optional
        The pixel budget: larger images are refused before they are decoded.

    Returns
    -------
    ReadOptions
        The options before the call (pass their fields back to restore them).

    Examples
    --------
    >>> from classicx.image import set_read_options
    >>> previous = set_read_options(background="black")
    >>> _ = set_read_options(background=previous.background)
    """
    global _options
    with _options_lock:
        previous = _options
        changes: dict[str, Any] = {}
        if background is not None:
            _parse_background(background)
            changes["background"] = background
        if max_pixels is not None:
            changes["max_pixels"] = check_positive_int(max_pixels, "max_pixels")
        _options = replace(previous, **changes)
    return previous


@contextmanager
def read_options(*, background: str | int | None = None, max_pixels: int | None = None) -> Iterator[ReadOptions]:
    """:func:`set_read_options` for the duration of a ``with`` block.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import read_image, read_options
    >>> transparent = np.zeros((2, 2, 4), np.uint8)
    >>> transparent[0, 0] = (0, 0, 0, 255)               # one opaque black pixel
    >>> read_image(transparent).tolist()                  # on white by default
    [[0, 255], [255, 255]]
    >>> with read_options(background=128):
    ...     read_image(transparent).tolist()
    [[0, 128], [128, 128]]
    """
    previous = set_read_options(background=background, max_pixels=max_pixels)
    try:
        yield _options
    finally:
        set_read_options(background=previous.background, max_pixels=previous.max_pixels)


def describe_item(item: Any, index: int | None = None) -> str:
    """A short human-readable name for an image item, used in messages."""
    if isinstance(item, (str, os.PathLike)):
        where = f"{os.fspath(item)!r}"
        return where if index is None else f"row {index} ({where})"
    kind = "array" if isinstance(item, np.ndarray) else type(item).__name__
    return f"{kind} image" if index is None else f"{kind} image at row {index}"


# ----------------------------------------------------------------- headers
# OpenCV has no header-only read (imdecode allocates the full image first) and
# Pillow is not a core dependency, so the few bytes that give an image's size
# are parsed here, for the formats classicx meets in practice.

def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) from a JPEG's start-of-frame header, or None if not found.

    Markers are skipped by their lengths, so a large EXIF or ICC segment
    before the frame header costs nothing.
    """
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        # SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[pos + 5 : pos + 7], "big"), int.from_bytes(data[pos + 7 : pos + 9], "big")
        if length < 2:
            return None
        pos += 2 + length
    return None


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start of data, length) of each PNG chunk up to the first IDAT."""
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        yield kind, pos + 8, length
        if kind == b"IDAT":
            return
        pos += 12 + length


def _png_has_alpha(data: bytes) -> bool:
    """Whether a PNG stores alpha: colour type 4 or 6, or a palette with transparent entries (tRNS)."""
    color_type = data[25] if len(data) > 25 else 0
    if color_type in (4, 6):
        return True
    return color_type == 3 and any(kind == b"tRNS" for kind, _, _ in _png_chunks(data))


def _may_have_alpha(kind: str, data: bytes) -> bool:
    """Whether a WebP, BMP, TIFF or GIF header allows an alpha channel (TIFF and GIF: checked after decoding)."""
    try:
        if kind == "WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return bool(data[20] & 0x10)  # the "alpha" flag of the extended header
            if chunk == b"VP8L":
                return bool((int.from_bytes(data[21:25], "little") >> 28) & 1)  # alpha_is_used
            return False  # simple lossy WebP: no alpha
        if kind == "BMP":
            return struct.unpack("<H", data[28:30])[0] == 32
    except (IndexError, struct.error):
        return False
    return kind in ("TIFF", "GIF")


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset : offset + 2])
    found: dict[int, int] = {}
    for i in range(count):
        entry = data[offset + 2 + 12 * i : offset + 14 + 12 * i]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            fmt = "H" if kind == 3 else "I"
            found[tag] = struct.unpack(order + fmt, entry[8 : 8 + struct.calcsize(fmt)])[0]
    if 256 in found and 257 in found:
        return found[257], found[256]
    return None


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    # P1-P6: magic, then width and height as decimal tokens (comments start with #).
    text = re.sub(rb"#[^\n]*", b" ", data[2:256])
    tokens = text.split()
    if data[:2] == b"P7":  # PAM: WIDTH/HEIGHT keywords
        fields = dict(zip(tokens[::2], tokens[1::2]))
        return int(fields[b"HEIGHT"]), int(fields[b"WIDTH"])
    return int(tokens[1]), int(tokens[0])


def header_size(data: bytes) -> tuple[str, int, int] | None:
    """``(format, height, width)`` read from an encoded image's header, or None when not recognised.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> from classicx.image.io import header_size
    >>> header_size(cv2.imencode(".png", np.zeros((3, 5), np.uint8))[1].tobytes())
    ('PNG', 3, 5)
    """
    try:
        if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return "PNG", height, width
        if data.startswith(_JPEG_SOI):
            size = _jpeg_size(data)
            return None if size is None else ("JPEG", *size)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return "GIF", height, width
        if data[:2] == b"BM":
            (header,) = struct.unpack("<I", data[14:18])
            if header == 12:
                width, height = struct.unpack("<HH", data[18:22])
            else:
                width, height = struct.unpack("<ii", data[18:26])
            return "BMP", abs(height), abs(width)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind = data[12:16]
            if kind == b"VP8X":
                width = int.from_bytes(data[24:27], "little") + 1
                height = int.from_bytes(data[27:30], "little") + 1
            elif kind == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            elif kind == b"VP8 ":
                width, height = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
            else:
                return None
            return "WEBP", height, width
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            size = _tiff_size(data)
            return None if size is None else ("TIFF", *size)
        if len(data) > 2 and data[0:1] == b"P" and data[1:2] in b"1234567":
            return "PNM", *_pnm_size(data)
    except (struct.error, ValueError, IndexError, KeyError):
        # A header too short or garbled to give a size: the decoder will refuse the data itself.
        return None
    return None


# ------------------------------------------------------------------ pixels
def _composite(bgra: np.ndarray, background: tuple[int, int, int] | None) -> np.ndarray:
    """BGR uint8 pixels of a BGRA uint8 image laid over ``background`` (None: alpha dropped)."""
    alpha = bgra[:, :, 3]
    if background is None or not alpha.any():
        # No background wanted, or an alpha channel left at 0 everywhere (unused, as in 32-bit BMPs).
        return cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR)
    a = alpha.astype(np.uint16)[:, :, None]
    bg = np.asarray(background, np.uint16)
    # Integer alpha blending, rounded: (c * a + bg * (255 - a) + 127) // 255.
    mixed = (bgra[:, :, :3].astype(np.uint16) * a + bg * (255 - a) + 127) // 255
    return mixed.astype(np.uint8)


def _check_budget(height: int, width: int, name: str, max_pixels: int, what: str = "image") -> None:
    if height * width > max_pixels:
        raise ImageReadError(
            f"{name}: the {what} is {width} x {height} = {width * height:,} pixels, above the pixel budget of "
            f"{max_pixels:,} (classicx.image.set_read_options(max_pixels=...) raises it); a small file "
            "declaring a huge image is a decompression bomb"
        )


def _reduced_flag(color: bool, factor: int) -> int:
    """OpenCV's ``IMREAD_REDUCED_*`` flag that decodes at 1/``factor`` of the size (2, 4 or 8)."""
    kind = "COLOR" if color else "GRAYSCALE"
    return getattr(cv2, f"IMREAD_REDUCED_{kind}_{factor}")


def _imdecode(buffer: np.ndarray, flags: int, name: str) -> np.ndarray:
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        raise ImageReadError(f"{name}: cannot decode the image ({exc})") from exc
    if image is None or image.size == 0:
        raise ImageReadError(f"{name}: not an image, or a damaged one (OpenCV cannot decode it)")
    return image


def _decode(
    buffer: np.ndarray, color: bool, name: str, max_side: int | None, options: ReadOptions
) -> np.ndarray:
    if buffer.size == 0:
        raise ImageReadError(f"{name}: the image is empty (0 bytes)")
    data = buffer.tobytes() if buffer.size <= 1 << 16 else buffer[: 1 << 16].tobytes()
    flags = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    header = header_size(data)
    if header is None and data.startswith(_JPEG_SOI):
        # The frame header may follow more than 64 KiB of metadata.
        header = header_size(buffer.tobytes())
    unchanged = False
    if header is not None:
        kind, height, width = header
        if height < 1 or width < 1:
            raise ImageReadError(f"{name}: the {kind} header gives an empty size {width} x {height}")
        if kind == "JPEG":
            if _JPEG_EOI not in buffer[-_JPEG_TAIL:].tobytes():
                raise ImageReadError(f"{name}: the JPEG data is truncated (no end-of-image marker)")
            factor = 1
            if max_side is not None:
                # The largest libjpeg scale that still leaves the longer side >= max_side.
                factor = max((f for f in (1, 2, 4, 8) if max(height, width) // f >= max_side), default=1)
                if factor > 1:
                    flags = _reduced_flag(color, factor)
            height, width = -(-height // factor), -(-width // factor)
        elif kind == "PNG":
            # The whole buffer, without a copy: a tRNS chunk may follow long metadata.
            unchanged = options.background_bgr is not None and _png_has_alpha(buffer.data)
        else:
            unchanged = options.background_bgr is not None and _may_have_alpha(kind, data)
        _check_budget(height, width, name, options.max_pixels)
    elif buffer[:2].tobytes() == _JPEG_SOI and _JPEG_EOI not in buffer[-_JPEG_TAIL:].tobytes():
        raise ImageReadError(f"{name}: the JPEG data is truncated (no end-of-image marker)")
    if not unchanged:
        image = _imdecode(buffer, flags, name)
        _check_budget(image.shape[0], image.shape[1], name, options.max_pixels)
        return image
    image = _imdecode(buffer, cv2.IMREAD_UNCHANGED, name)
    has_alpha = image.ndim == 3 and image.shape[2] == 4 and image[:, :, 3].any()
    if not has_alpha or image.dtype not in (np.uint8, np.uint16):
        # No alpha after all (or alpha left at 0, or float/signed samples): decode as without
        # alpha, so that such images read exactly as before (OpenCV's conversion, EXIF orientation).
        image = _imdecode(buffer, flags, name)
        _check_budget(image.shape[0], image.shape[1], name, options.max_pixels)
        return image
    return _from_array(image, color, name, options)


def _from_array(array: np.ndarray, color: bool, name: str, options: ReadOptions) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageReadError(
            f"{name}: expected an (H, W), (H, W, 3) or (H, W, 4) array, found shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageReadError(f"{name}: the image is empty (shape {array.shape})")
    _check_budget(array.shape[0], array.shape[1], name, options.max_pixels)
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
        pixels = _composite(pixels, options.background_bgr)
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
    background: str | int | None = None,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Read one image as uint8 pixels, transparency composited onto a background.

    Parameters
    ----------
    item : str, path-like, bytes or ndarray
        A file path (non-ASCII names and spaces are fine), encoded image bytes
        (JPEG, PNG, ...), or pixels: ``(H, W)`` gray, ``(H, W, 3)`` BGR or
        ``(H, W, 4)`` BGRA, of dtype uint8, uint16, another integer type with
        values in [0, 255], bool, or float (in [0, 1] if the maximum is at most
        1, else in [0, 255]). Files and bytes with transparency and BGRA
        arrays are composited onto ``background``.
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
    background : "white", "black", int, "#rrggbb" or "drop", optional
        What transparent pixels are composited onto; default: the process-wide
        read option (:func:`set_read_options`, white unless changed).
    max_pixels : int, optional
        The pixel budget (width x height, read from the header before
        decoding); default: the read option (64,000,000 unless changed).

    Returns
    -------
    ndarray of uint8, shape (H, W) or (H, W, 3)

    Raises
    ------
    ImageReadError
        The file is missing, empty, truncated or not an image, or it (or
        the array) is above the pixel budget; or the array has an impossible
        shape or values.
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
    >>> half = np.zeros((1, 1, 4), np.uint8); half[..., 3] = 128  # black at 50 % opacity
    >>> read_image(half, color=True)[0, 0], read_image(half, color=True, background="black")[0, 0]
    (array([127, 127, 127], dtype=uint8), array([0, 0, 0], dtype=uint8))
    >>> read_image(np.zeros((300, 300), np.uint8), max_pixels=10_000)
    Traceback (most recent call last):
    ...
    classicx.exceptions.ImageReadError: array image: the image is 300 x 300 = 90,000 pixels, above the pixel budget ...
    """
    if max_side is not None:
        check_positive_int(max_side, "max_side")
    options = _options
    if background is not None or max_pixels is not None:
        if background is not None:
            _parse_background(background)
            options = replace(options, background=background)
        if max_pixels is not None:
            options = replace(options, max_pixels=check_positive_int(max_pixels, "max_pixels"))
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
        image = _decode(buffer, color, label, max_side, options)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        buffer = np.frombuffer(item, dtype=np.uint8)
        image = _decode(buffer, color, name or "encoded image bytes", max_side, options)
    elif isinstance(item, np.ndarray):
        image = _from_array(item, color, name or "array image", options)
    else:
        raise InputTypeError(
            f"{name or 'image'}: expected a file path, encoded bytes or a numpy array, "
            f"found {type(item).__name__}"
        )
    return _downscale(image, max_side)
