from __future__ import annotations

import cv2
import numpy as np
import pytest

from classicx.exceptions import ImageReadError, InputError
from classicx.image import LocalDescriptors, rootsift

from .conftest import draw_scene


@pytest.mark.parametrize("kind, dim, dtype", [
    ("sift", 128, np.float32), ("rootsift", 128, np.float32),
    ("dense_sift", 128, np.float32), ("orb", 32, np.uint8),
])
def test_kinds_shapes_positions(kind, dim, dtype):
    img = draw_scene(3, size=(160, 200))
    feats = LocalDescriptors(kind, max_keypoints=50, dense_sizes=(16, 24)).extract(img)
    assert feats.descriptors.shape[1] == dim and feats.descriptors.dtype == dtype
    assert 0 < len(feats.descriptors) <= 50
    assert feats.positions.shape == (len(feats.descriptors), 2)
    assert (feats.positions >= 0).all() and (feats.positions <= 1).all()
    assert feats.size == (160, 200)


def test_sift_keeps_the_strongest_keypoints():
    img = cv2.cvtColor(draw_scene(4), cv2.COLOR_BGR2GRAY)
    kps = cv2.SIFT_create().detect(img, None)
    top = sorted(kps, key=lambda k: -k.response)[:10]
    feats = LocalDescriptors("sift", max_keypoints=10, max_side=None).extract(img)
    expected = {(round(k.pt[0] / 160, 4), round(k.pt[1] / 120, 4)) for k in top}
    got = {(round(float(x), 4), round(float(y), 4)) for x, y in feats.positions}
    assert got == expected


def test_rootsift_is_sqrt_of_l1_normalised_sift():
    img = draw_scene(5)
    sift = LocalDescriptors("sift", max_keypoints=30).extract(img)
    root = LocalDescriptors("rootsift", max_keypoints=30).extract(img)
    np.testing.assert_allclose(root.positions, sift.positions)
    d = sift.descriptors.astype(np.float64)
    oracle = np.sqrt(d / d.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(root.descriptors, oracle, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(root.descriptors, axis=1), 1.0, atol=1e-5)
    assert np.all(rootsift(np.zeros((2, 128))) == 0)


def test_dense_grid_matches_hand_count():
    img = cv2.cvtColor(draw_scene(6, size=(64, 80)), cv2.COLOR_BGR2GRAY)
    feats = LocalDescriptors("dense_sift", dense_step=8, dense_sizes=(16,), max_keypoints=None).extract(img)
    # centres from 8 to 72 in x (9) and from 8 to 56 in y (7)
    assert len(feats.descriptors) == 63
    xs = np.unique(np.round(feats.positions[:, 0] * 80))
    ys = np.unique(np.round(feats.positions[:, 1] * 64))
    np.testing.assert_array_equal(xs, np.arange(8, 73, 8))
    np.testing.assert_array_equal(ys, np.arange(8, 57, 8))
    two = LocalDescriptors("dense_sift", dense_step=8, dense_sizes=(16, 32), max_keypoints=None).extract(img)
    assert len(two.descriptors) == 63 + 7 * 5  # size 32: x 16..64, y 16..48
    capped = LocalDescriptors("dense_sift", dense_step=8, dense_sizes=(16,), max_keypoints=10).extract(img)
    assert len(capped.descriptors) == 10


def test_dense_sift_works_on_a_featureless_gradient():
    ramp = np.tile(np.linspace(0, 255, 96).astype(np.uint8), (96, 1))
    assert len(LocalDescriptors("sift").extract(ramp).descriptors) == 0
    assert len(LocalDescriptors("dense_sift", dense_sizes=(16,)).extract(ramp).descriptors) > 0


def test_color_descriptors():
    bgr = draw_scene(7)
    gray = LocalDescriptors("sift", max_keypoints=20).extract(bgr)
    opp = LocalDescriptors("sift", max_keypoints=20, color="opponent").extract(bgr)
    assert opp.descriptors.shape == (len(gray.descriptors), 384)
    # With equal channels, each per-channel block is the gray descriptor.
    g = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    same = cv2.merge([g, g, g])
    rgb = LocalDescriptors("sift", max_keypoints=20, color="rgb").extract(same)
    ref = LocalDescriptors("sift", max_keypoints=20).extract(g)
    for block in range(3):
        np.testing.assert_allclose(rgb.descriptors[:, block * 128 : (block + 1) * 128], ref.descriptors)
    orb = LocalDescriptors("orb", color="rgb").extract(bgr)
    assert orb.descriptors.shape[1] == 96 and orb.descriptors.dtype == np.uint8


def test_blank_image_gives_empty_arrays_and_resize_reported():
    feats = LocalDescriptors("orb").extract(np.zeros((50, 50), np.uint8))
    assert feats.descriptors.shape == (0, 32) and feats.positions.shape == (0, 2)
    big = LocalDescriptors("sift", max_side=100).extract(np.zeros((400, 200), np.uint8))
    assert big.size == (100, 50)


def test_bad_parameters_and_unreadable_items(tmp_path):
    with pytest.raises(InputError, match="kind"):
        LocalDescriptors("surf").fit()
    with pytest.raises(InputError, match="color"):
        LocalDescriptors(color="hsv").extract(np.zeros((30, 30), np.uint8))
    with pytest.raises(ImageReadError, match="nope.png"):
        LocalDescriptors().extract(tmp_path / "nope.png")


def test_dense_keypoint_octave_matches_what_the_detector_assigns():
    from classicx.image.descriptors import _sift_octave

    img = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8), (0, 0), 2)
    kps = cv2.SIFT_create().detect(img, None)
    agree = np.mean([_sift_octave(k.size) == (k.octave & 0xFFFF) for k in kps])
    # sub-layer interpolation moves a few detected sizes across a layer boundary
    assert len(kps) > 30 and agree > 0.75
    assert _sift_octave(16.0) == 2 | (1 << 8)  # 3.2 * 2 ** (2 + 1/3) = 16.1
