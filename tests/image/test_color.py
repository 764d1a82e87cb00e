from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import InputError, NotFittedError
from classicx.image import ColorHistogram, opponent_channels


def test_hsv_histogram_oracle():
    img = np.zeros((4, 4, 3), np.uint8)
    img[:, :2, 2] = 255   # pure red: hue 0
    img[:, 2:, 0] = 255   # pure blue: OpenCV hue 120
    # bins (6, 2, 2): hue bins of 30 -> red in 0, blue in 4; s = v = 255 -> bin 1
    h = ColorHistogram(bins=(6, 2, 2), normalize="l1", verbose=False).fit_transform([img])[0]
    expected = np.zeros(24)
    expected[0 * 4 + 3] = expected[4 * 4 + 3] = 0.5
    np.testing.assert_allclose(h, expected)
    hell = ColorHistogram(bins=(6, 2, 2), verbose=False).fit_transform([img])[0]
    np.testing.assert_allclose(hell, np.sqrt(expected), rtol=1e-6)


def test_opponent_channels_oracle():
    bgr = np.array([[[10, 20, 30]]], np.uint8)
    o1, o2, o3 = opponent_channels(bgr)
    b, g, r = 10.0, 20.0, 30.0
    assert o1[0, 0] == round((r - g + 255) / 510 * 255)
    assert o2[0, 0] == round((r + g - 2 * b + 510) / 1020 * 255)
    assert o3[0, 0] == round((r + g + b) / 765 * 255)


def test_errors():
    with pytest.raises(NotFittedError):
        ColorHistogram().transform([np.zeros((2, 2), np.uint8)])
    with pytest.raises(InputError):
        ColorHistogram(bins=(0, 2, 2)).fit([])
    with pytest.raises(InputError):
        ColorHistogram(normalize="l2").fit([])
