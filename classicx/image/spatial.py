"""Spatial pyramid of visual-word histograms (Lazebnik, Schmid & Ponce 2006)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError
from .bovw import BagOfVisualWords

__all__ = ["SpatialPyramid"]


class SpatialPyramid(BagOfVisualWords):
    """Bag of visual words computed in the cells of successively finer grids, concatenated.

    Level ``g`` splits the image into ``g x g`` equal cells and computes one
    word histogram per cell (cells in row-major order, top row first); the
    levels are concatenated (coarsest first), weighted, and the whole vector
    is normalised. With the default levels the encoding has
    ``(1 + 4 + 16) * n_words`` dimensions.

    Parameters
    ----------
    descriptor, n_words, max_keypoints, max_side, color, dense_step, dense_sizes, \
sample_size, assignment, soft_knn, soft_sigma, idf, normalize, vocabulary_algorithm, \
n_jobs, verbose, random_state, on_error, cache
        As in :class:`~classicx.image.BagOfVisualWords` (the idf of a word is
        shared by all cells).
    levels : tuple of int, default=(1, 2, 4)
        Grid sizes, strictly increasing.
    level_weights : "lazebnik", None or sequence of float, default="lazebnik"
        ``"lazebnik"`` weights level ``l`` of ``L + 1`` levels by ``1 / 2^L``
        for ``l = 0`` and ``1 / 2^(L - l + 1)`` otherwise (finer grids count
        more, as in the pyramid match kernel); ``None`` weights all levels 1.

    Attributes
    ----------
    vocabulary_, sigma_, idf_, n_features_out_, n_sampled_, skipped_rows_
        As in :class:`~classicx.image.BagOfVisualWords`.

    See Also
    --------
    BagOfVisualWords : the one-cell case.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import SpatialPyramid
    >>> images = [np.full((64, 64), 30, np.uint8) for _ in range(3)]
    >>> for i, img in enumerate(images):
    ...     _ = cv2.circle(img, (20 + 10 * i, 32), 12, 220, -1)
    >>> spm = SpatialPyramid("dense_sift", n_words=4, levels=(1, 2), dense_sizes=(16,),
    ...                      verbose=False, random_state=0)
    >>> spm.fit_transform(images).shape
    (3, 20)
    """

    def __init__(
        self,
        descriptor: str = "sift",
        *,
        n_words: int = 512,
        levels: tuple[int, ...] = (1, 2, 4),
        level_weights: Any = "lazebnik",
        max_keypoints: int | None = 1000,
        max_side: int | None = 1024,
        color: str = "gray",
        dense_step: int = 8,
        dense_sizes: tuple[int, ...] = (16, 24, 32),
        sample_size: int = 100_000,
        assignment: str = "hard",
        soft_knn: int = 5,
        soft_sigma: float | None = None,
        idf: bool = False,
        normalize: str | None = "l2",
        vocabulary_algorithm: str = "minibatch",
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: Any = None,
        on_error: str = "raise",
        cache: Any = None,
    ) -> None:
        super().__init__(
            descriptor, n_words=n_words, max_keypoints=max_keypoints, max_side=max_side, color=color,
            dense_step=dense_step, dense_sizes=dense_sizes, sample_size=sample_size,
            assignment=assignment, soft_knn=soft_knn, soft_sigma=soft_sigma, idf=idf,
            normalize=normalize, vocabulary_algorithm=vocabulary_algorithm, n_jobs=n_jobs,
            verbose=verbose, random_state=random_state, on_error=on_error, cache=cache,
        )
        self.levels = levels
        self.level_weights = level_weights

    def _grid_levels(self) -> tuple[int, ...]:
        levels = tuple(int(g) for g in self.levels)
        if not levels or min(levels) < 1 or any(b <= a for a, b in zip(levels, levels[1:])):
            raise InputError(f"levels must be increasing positive grid sizes, got {self.levels!r}")
        return levels

    def _level_weights(self) -> np.ndarray:
        n = len(self._grid_levels())
        if self.level_weights is None:
            return np.ones(n, np.float32)
        if isinstance(self.level_weights, str):
            if self.level_weights != "lazebnik":
                raise InputError(f"level_weights must be 'lazebnik', None or numbers, got {self.level_weights!r}")
            top = n - 1
            return np.array([2.0**-top] + [2.0 ** -(top - l + 1) for l in range(1, n)], np.float32)
        weights = np.asarray(self.level_weights, dtype=np.float32)
        if weights.shape != (n,) or (weights < 0).any():
            raise InputError(f"level_weights needs {n} non-negative numbers, got {self.level_weights!r}")
        return weights

    def _check_encoding_params(self) -> None:
        super()._check_encoding_params()
        self._level_weights()
