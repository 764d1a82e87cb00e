"""``n_jobs`` is the core budget: OpenCV runs single-threaded inside the encoders."""

from __future__ import annotations

import cv2
import numpy as np

from classicx.image import BagOfVisualWords
from classicx.image import _base


def test_opencv_threads_limited_during_extraction_and_restored(monkeypatch):
    seen = []
    original = _base._extract

    def spy(params, signature, item, name):
        seen.append(cv2.getNumThreads())
        return original(params, signature, item, name)

    monkeypatch.setattr(_base, "_extract", spy)
    rng = np.random.default_rng(0)
    images = [(rng.random((64, 64)) * 255).astype(np.uint8) for _ in range(3)]
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        BagOfVisualWords("sift", n_words=2, verbose=False, random_state=0).fit_transform(images)
        assert seen and set(seen) == {1}
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)
