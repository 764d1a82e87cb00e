"""Hand-built image files for the bad-input tests.

OpenCV writes PNGs with 1, 3 or 4 channels only; gray + alpha, palettes with
transparent entries, headers that lie about the size and damaged chunks have
to be assembled by hand (the PNG format is a signature plus CRC-checked chunks,
RFC 2083), which is what this module does.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(
    pixels: np.ndarray,
    color_type: int,
    bit_depth: int = 8,
    *,
    palette: list | None = None,
    trns: bytes | None = None,
    size: tuple[int, int] | None = None,
    extra: bytes = b"",
) -> bytes:
    """A PNG of ``pixels`` (rows of samples) with the given colour type (0 gray, 2 RGB, 3 palette,
    4 gray + alpha, 6 RGBA); ``size=(width, height)`` writes another size into the header (a liar);
    ``extra`` are chunks placed before the image data."""
    height, width = pixels.shape[:2]
    if size is not None:
        width, height = size
    rows = pixels.astype(">u2") if bit_depth == 16 else pixels.astype(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    out = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    out += extra
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def strokes_in_alpha(size: int = 96) -> np.ndarray:
    """Opaque black strokes on a fully transparent black background (BGRA, uint8).

    Without its alpha channel this image is uniformly black; composited on
    white it is a line drawing.
    """
    bgra = np.zeros((size, size, 4), np.uint8)
    cv2.circle(bgra, (size // 2, size // 2), size // 3, (0, 0, 0, 255), 3)
    cv2.line(bgra, (size // 10, size * 5 // 6), (size * 7 // 8, size // 6), (0, 0, 0, 255), 2)
    cv2.rectangle(bgra, (size // 5, size // 5), (size * 2 // 5, size * 2 // 5), (0, 0, 0, 255), 2)
    return bgra


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


def jpeg_with_size(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to declare ``width`` x ``height``."""
    data = bytearray(encode(np.full((16, 16, 3), 90, np.uint8), ".jpg"))
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        pos += 2 + length
    raise AssertionError("no frame header")
