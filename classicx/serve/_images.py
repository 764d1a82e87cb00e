"""Checking uploaded image bytes before anything decodes them."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from ..exceptions import ClassicxError, InputError

__all__ = ["ImageHeader", "ImageRefused", "ImageTooLarge", "UnsupportedImage", "inspect_image"]

#: Formats accepted, as Pillow names them after reading the first bytes (MPO is
#: the multi-picture JPEG many phone cameras write; OpenCV decodes its first picture).
FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "BMP")


class ImageRefused(InputError):
    """An uploaded image the service will not decode."""


class UnsupportedImage(ImageRefused):
    """The bytes are not an image of a supported format (HTTP 415)."""


class ImageTooLarge(ImageRefused):
    """The file or its decoded size exceeds the service's limits (HTTP 413)."""


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, read without decoding its pixels."""

    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def inspect_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageHeader:
    """Sniff the format of ``data`` and read its size from the header only.

    The format comes from the bytes themselves, never from a file name or a
    declared content type. Pillow's ``Image.open`` parses the header and
    stops: the pixels are decoded later (by OpenCV, as classicx decodes any
    image) only when the header's width x height is within ``max_pixels``.

    Raises
    ------
    ImageTooLarge
        More than ``max_bytes`` bytes, or more than ``max_pixels`` pixels.
    UnsupportedImage
        Empty, or not a JPEG, PNG, WebP or BMP image.
    """
    from PIL import Image, UnidentifiedImageError

    Image.init()  # registers every plugin (MPO among them) before ``formats`` is looked up
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the image file has {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data:
        raise UnsupportedImage("the uploaded file is empty")
    try:
        with warnings.catch_warnings():
            # Our own pixel bound below is the one that applies, and it is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[f for f in FORMATS if f in Image.OPEN]) as image:
                header = ImageHeader(format=str(image.format), width=int(image.width), height=int(image.height))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"the image would decode to too many pixels ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnsupportedImage(
            "the uploaded file is not a JPEG, PNG, WebP or BMP image (its content was checked, "
            f"not its name or declared type): {type(exc).__name__}"
        ) from None
    if header.width < 1 or header.height < 1:
        raise UnsupportedImage(f"the image header gives an empty size {header.width}x{header.height}")
    if header.pixels > max_pixels:
        raise ImageTooLarge(
            f"the image is {header.width}x{header.height} = {header.pixels:,} pixels; "
            f"the limit is {max_pixels:,} (checked from its header, before decoding)"
        )
    return header


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` is a classicx error a client caused (answered with 4xx)."""
    return isinstance(exc, ClassicxError)
