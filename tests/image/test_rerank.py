from __future__ import annotations

import cv2
import numpy as np
import pytest

from classicx.exceptions import InputError, ShapeMismatchError
from classicx.image import GeometricVerifier


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 255, (180, 180), dtype=np.uint8), (0, 0), 1.5)


def _warped(img: np.ndarray) -> np.ndarray:
    m = cv2.getRotationMatrix2D((90, 90), 12, 0.9)
    return cv2.warpAffine(img, m, (180, 180), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("descriptor, matcher", [("rootsift", "flann"), ("sift", "bf"), ("orb", "bf"), ("orb", "flann")])
def test_rerank_puts_the_true_view_first(descriptor, matcher):
    query = _texture(0)
    gallery = [_texture(1), _texture(2), _warped(query), _texture(3)]
    gv = GeometricVerifier(descriptor, matcher=matcher, verbose=False)
    scores, order = gv.rerank([query], gallery, np.array([[0, 1, 2, 3]]))
    assert order[0, 0] == 2
    assert scores[0, 0] >= 20 and (scores[0, 1:] == 0).all()
    # ties (all zeros) keep the original order
    assert order[0, 1:].tolist() == [0, 1, 3]


def test_identical_image_all_matches_are_inliers():
    img = _texture(4)
    gv = GeometricVerifier("sift", matcher="bf", verbose=False, min_inliers=1)
    feats = gv._descriptor().extract(img)
    matches = gv._match(feats.descriptors, feats.descriptors)
    assert gv.inliers(feats, feats) == len(matches) > 50


def test_bad_arguments():
    gv = GeometricVerifier(verbose=False)
    with pytest.raises(ShapeMismatchError):
        gv.rerank([_texture(0)], [_texture(1)], np.array([0]))
    with pytest.raises(InputError):
        gv.rerank([_texture(0)], [_texture(1)], np.array([[3]]))
    with pytest.raises(InputError):
        GeometricVerifier("dense_sift").fit()
    with pytest.raises(InputError):
        GeometricVerifier(matcher="annoy").fit()
