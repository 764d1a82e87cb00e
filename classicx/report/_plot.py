"""Precision-recall curves of both directions as an image file (matplotlib, the ``plot`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..exceptions import BackendUnavailableError

__all__ = ["plot_precision_recall"]


def plot_precision_recall(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str | os.PathLike, *, title: str = ""
) -> Path:
    """Draw precision against recall for each direction and save the figure (PNG, SVG, PDF by suffix).

    Parameters
    ----------
    curves : dict
        Direction (``"image_to_text"``, ``"text_to_image"``) -> ``(precision, recall)``,
        as in :attr:`EvaluationDetails.curves`.
    path : str or path-like
        The image file to write.
    title : str, default=""

    Returns
    -------
    Path

    Raises
    ------
    BackendUnavailableError
        matplotlib is not installed (``pip install 'classicx[plot]'``).
    """
    try:
        # A Figure without pyplot: no global backend is chosen or changed (a notebook keeps its own).
        from matplotlib.figure import Figure
    except ImportError:
        raise BackendUnavailableError(
            "drawing precision-recall curves needs matplotlib, which is not installed: "
            "pip install 'classicx[plot]'"
        ) from None
    figure = Figure(figsize=(5, 4.2), dpi=100)
    axes = figure.subplots()
    for direction, (precision, recall) in curves.items():
        axes.plot(recall, precision, label=direction.replace("_to_", "→"), linewidth=2)
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = Path(path).expanduser()
    figure.savefig(path)
    return path
