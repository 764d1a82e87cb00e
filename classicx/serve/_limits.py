"""The bounds the service enforces on every request."""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import InputError

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask of the service.

    Parameters
    ----------
    max_k : int, default=100
        Most results per query; a larger ``k`` is refused with a 422 error.
    max_upload_bytes : int, default=10 MiB
        Largest uploaded image file; a larger upload is refused with 413
        before it is decoded (the whole request body is bounded by this plus
        64 KiB for the other form fields).
    max_pixels : int, default=40_000_000
        Most pixels (width x height, read from the file's header before
        decoding) of an uploaded or gallery image: a small file that would
        decode to gigabytes (a decompression bomb) is refused with 413.
    max_text_chars : int, default=2000
        Longest text query.
    thumbnail_side : int, default=256
        Longer side of the thumbnails, in pixels.

    Examples
    --------
    >>> from classicx.serve import Limits
    >>> Limits(max_k=20).max_k
    20
    """

    max_k: int = 100
    max_upload_bytes: int = 10 * 2**20
    max_pixels: int = 40_000_000
    max_text_chars: int = 2000
    thumbnail_side: int = 256

    def __post_init__(self) -> None:
        for name in ("max_k", "max_upload_bytes", "max_pixels", "max_text_chars", "thumbnail_side"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"Limits.{name} must be a positive integer; got {value!r}")

    @property
    def max_body_bytes(self) -> int:
        """Largest request body: one upload plus room for the other form fields."""
        return self.max_upload_bytes + 64 * 1024
