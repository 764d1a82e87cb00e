from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import EmptyInputError, InputError, InputTypeError
from classicx.image import BagOfVisualWords, GeometricVerifier, LocalDescriptors
from classicx.image._base import _Reservoir


def test_reservoir_is_uniform_and_bounded():
    n, size, trials = 1000, 50, 400
    hits = np.zeros(n)
    for seed in range(trials):
        res = _Reservoir(size, np.random.RandomState(seed))
        stream = np.arange(n)[:, None]
        for start in range(0, n, 37):  # uneven blocks
            res.add(stream[start : start + 37])
        sample = res.sample()
        assert sample.shape == (size, 1) and len(np.unique(sample)) == size
        hits[sample[:, 0]] += 1
    # each row is kept with probability size / n = 5%; deciles must agree within noise
    deciles = hits.reshape(10, -1).sum(axis=1) / (trials * size / 10)
    np.testing.assert_allclose(deciles, 1.0, atol=0.1)


def test_reservoir_keeps_everything_when_stream_is_short():
    res = _Reservoir(10, np.random.RandomState(0))
    res.add(np.arange(6)[:, None])
    np.testing.assert_array_equal(res.sample()[:, 0], np.arange(6))


def test_input_validation(scenes):
    with pytest.raises(EmptyInputError):
        BagOfVisualWords(verbose=False).fit([])
    with pytest.raises(InputTypeError, match="single"):
        BagOfVisualWords(verbose=False).fit(scenes[0])
    with pytest.raises(InputTypeError, match="single"):
        BagOfVisualWords(verbose=False).fit("image.jpg")
    with pytest.raises(InputError, match="on_error"):
        BagOfVisualWords(on_error="ignore", verbose=False).fit(scenes)
    with pytest.raises(InputError, match="no.*descriptor|none of"):
        BagOfVisualWords(verbose=False).fit([np.zeros((40, 40), np.uint8)] * 2)


def test_verifier_cache_gives_same_counts(tmp_path):
    rng = np.random.default_rng(0)
    import cv2

    img = cv2.GaussianBlur(rng.integers(0, 255, (120, 120), dtype=np.uint8), (0, 0), 1.5)
    plain = GeometricVerifier("sift", verbose=False).count_inliers(img, np.roll(img, 5, axis=0))
    cached = GeometricVerifier(LocalDescriptors("sift", cache=str(tmp_path / "c")), verbose=False)
    assert cached.count_inliers(img, np.roll(img, 5, axis=0)) == plain > 0
    assert any((tmp_path / "c").rglob("output.pkl"))
    assert cached.count_inliers(img, np.roll(img, 5, axis=0)) == plain


def test_reservoir_matches_sequential_algorithm_r():
    """The vectorised replacement equals Vitter's row-by-row algorithm R on the same draws."""
    size, n, block = 20, 500, 64
    stream = np.arange(n)[:, None]
    res = _Reservoir(size, np.random.RandomState(3))
    rng = np.random.RandomState(3)
    rows, seen = [None] * size, 0
    for start in range(0, n, block):
        res.add(stream[start : start + block])
        chunk = list(stream[start : start + block, 0])
        take = min(size - min(seen, size), len(chunk))
        for v in chunk[:take]:
            rows[seen] = v
            seen += 1
        rest = chunk[take:]
        if rest:
            slots = rng.randint(0, seen + 1 + np.arange(len(rest)))
            seen += len(rest)
            for v, j in zip(rest, slots):
                if j < size:
                    rows[j] = v
    np.testing.assert_array_equal(res.sample()[:, 0], rows)


def test_normalize_rows_refuses_unknown_methods():
    from classicx.exceptions import ParameterError
    from classicx.image import normalize_rows

    with pytest.raises(ParameterError, match="'normalize' parameter must be one of"):
        normalize_rows(np.ones((2, 2)), "l3")
