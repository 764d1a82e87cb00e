"""Helpers shared by the image transformers: their scikit-learn tags and the warning about skipped images."""

from __future__ import annotations

from typing import Any

from ..exceptions import SkippedItemsWarning
from ..utils.messages import warn

# How many skipped items a warning spells out before summarising.
_LIST_LIMIT = 20


def image_tags(tags: Any) -> Any:
    """scikit-learn tags of a transformer of images (paths, bytes, pixel arrays), not of a 2-D array of numbers."""
    tags.input_tags.two_d_array = False
    tags.transformer_tags.preserves_dtype = []
    return tags


class SkippedImagesMixin:
    """``_warn_skipped``: record the rows skipped with ``on_error="skip"`` and list them in one warning."""

    def _warn_skipped(self, messages: dict[int, str]) -> None:
        self.skipped_rows_ = sorted(messages)
        if not messages:
            return
        listed = "; ".join(messages[i] for i in self.skipped_rows_[:_LIST_LIMIT])
        more = "" if len(messages) <= _LIST_LIMIT else f"; and {len(messages) - _LIST_LIMIT} more"
        warn(
            f"{type(self).__name__}: skipped {len(messages)} unreadable image(s) (rows listed in "
            f"skipped_rows_): {listed}{more}",
            SkippedItemsWarning,
        )
