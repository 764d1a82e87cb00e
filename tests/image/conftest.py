"""Small synthetic images drawn with OpenCV for the image tests."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


def draw_scene(seed: int, size: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A BGR image with random filled circles, rectangle outlines and a textured band."""
    rng = np.random.default_rng(seed)
    img = np.full((*size, 3), 25, np.uint8)
    h, w = size
    for _ in range(6):
        colour = tuple(int(v) for v in rng.integers(60, 255, 3))
        centre = (int(rng.integers(10, w - 10)), int(rng.integers(10, h - 10)))
        cv2.circle(img, centre, int(rng.integers(6, 22)), colour, -1)
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.rectangle(img, p1, p2, colour, 2)
    stripes = (np.arange(w) // 4 % 2 * 200).astype(np.uint8)
    img[h - 20 : h - 10, :, 1] = stripes
    return img


@pytest.fixture(scope="session")
def scenes() -> list[np.ndarray]:
    """Eight small BGR scenes."""
    return [draw_scene(i) for i in range(8)]
