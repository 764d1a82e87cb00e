"""File helpers shared by the loaders: finding images, reporting pairs that cannot be loaded.

Text documents are read by :func:`classicx.utils.documents.read_text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..exceptions import DatasetError, MissingFileError, SkippedItemsWarning
from ..utils.messages import warn

#: File name endings treated as images when scanning folders (compared in lower case).
IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm")

_MAX_LISTED = 50


@dataclass(frozen=True)
class Problem:
    """One pair that cannot be loaded: its split, id, the file at fault and why."""

    split: str
    item_id: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.split} id {self.item_id}: {self.reason} ({self.path})"


def handle_problems(problems: list[Problem], on_error: str, source: Path) -> list[str]:
    """Raise for, or warn about, pairs that cannot be loaded; return the ids skipped.

    All problems are listed at once, so that a user fixes a collection in one pass.
    """
    if not problems:
        return []
    # Long listings are cut so that a broken collection does not flood the terminal;
    # the ids of every skipped pair stay available on Dataset.skipped_ids.
    listing = "\n  ".join(str(p) for p in problems[:_MAX_LISTED])
    if len(problems) > _MAX_LISTED:
        listing += f"\n  ... and {len(problems) - _MAX_LISTED} more"
    if on_error == "raise":
        cls = MissingFileError if all(p.reason.startswith("missing") for p in problems) else DatasetError
        raise cls(
            f"{len(problems)} pair(s) of {source} cannot be loaded:\n  {listing}\n"
            f'Pass on_error="skip" to leave them out.'
        )
    warn(
        f"skipped {len(problems)} pair(s) of {source} that cannot be loaded:\n  {listing}",
        SkippedItemsWarning,
    )
    return [p.item_id for p in problems]
