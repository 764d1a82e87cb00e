"""Spatial grids over an image: the cells of a layout, and the cell of each position.

Shared by the spatial pyramid (:class:`~classicx.image.BagOfVisualWords`), the spatial
Fisher vector and the spatial colour histogram, so that the three read a layout and
place a point the same way. Depends on nothing else in :mod:`classicx.image`, so every
encoder (the colour histogram included, which ``descriptors.py`` imports) can import it
at the top.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ..exceptions import ParameterError

__all__ = ["grid_cells", "layout_grids"]


def grid_cells(positions: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Row-major cell of each keypoint in a ``rows x columns`` grid over the image.

    ``positions`` are (x, y) in [0, 1] (:class:`~classicx.image.ImageFeatures`): x picks the
    column, y the row; a position of exactly 1 falls in the last cell. Shared
    by the spatial pyramid (square grids), the spatial Fisher vector and the
    spatial colour histogram (pixel centres).
    """
    column = np.minimum((positions[:, 0] * columns).astype(np.intp), columns - 1)
    row = np.minimum((positions[:, 1] * rows).astype(np.intp), rows - 1)
    return row * columns + column


def layout_grids(layout: Any, owner: str) -> tuple[tuple[int, int], ...]:
    """A spatial ``layout`` as (rows, columns) pairs, checked; ``owner`` names the estimator in the error.

    A grid is a size ``g`` (``g x g`` cells) or a (rows, columns) pair of positive ints, e.g.
    ``(1, (3, 1))``: the whole image and three horizontal strips. Shared by the spatial Fisher vector
    and the spatial colour histogram, so that both read a layout the same way.
    """
    grids = []
    for grid in tuple(layout):
        pair = (grid, grid) if isinstance(grid, Integral) and not isinstance(grid, bool) else grid
        if (
            not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in pair)
        ):
            raise ParameterError(
                f"{owner}: layout must hold grid sizes g (g x g cells) or (rows, columns) pairs of "
                f"positive ints, e.g. (1, (3, 1)); got {layout!r}"
            )
        grids.append((int(pair[0]), int(pair[1])))
    if not grids:
        raise ParameterError(f"{owner}: layout needs at least one grid, e.g. (1,); got {layout!r}")
    return tuple(grids)
