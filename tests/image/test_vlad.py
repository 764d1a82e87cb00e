from __future__ import annotations

import numpy as np
import pytest

from classicx.image import VLAD, BinaryKMeansVocabulary, ImageFeatures, KMeansVocabulary, LocalDescriptors


def _vlad(centers, **params) -> VLAD:
    vlad = VLAD(vocabulary=len(centers), **params)
    if centers.dtype == np.uint8:
        voc = BinaryKMeansVocabulary(n_words=len(centers))
    else:
        voc = KMeansVocabulary(n_words=len(centers))
    voc.centers_ = centers
    vlad.vocabulary_ = voc
    vlad.n_features_out_ = len(centers) * voc.centers_float().shape[1]
    return vlad


_CENTERS = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
_FEATS = ImageFeatures(
    np.zeros((3, 2), np.float32), np.array([[1.0, 0.0], [2.0, 1.0], [9.0, 0.0]], np.float32), (1, 1)
)


def test_residual_sums_oracle():
    raw = _vlad(_CENTERS, intra_norm=False, normalize=None).encode([_FEATS])[0]
    np.testing.assert_allclose(raw, [3.0, 1.0, -1.0, 0.0])  # (1,0)+(2,1) - 2*(0,0); (9,0)-(10,0)


def test_intra_power_l2_oracle():
    X = _vlad(_CENTERS).encode([_FEATS])[0]
    v0 = np.array([3.0, 1.0]) / np.sqrt(10.0)
    v1 = np.array([-1.0, 0.0])
    v = np.concatenate([v0, v1])
    v = np.sign(v) * np.sqrt(np.abs(v))
    np.testing.assert_allclose(X, v / np.linalg.norm(v), rtol=1e-6)
    plain = _vlad(_CENTERS, intra_norm=False, normalize="l2").encode([_FEATS])[0]
    np.testing.assert_allclose(plain, np.array([3, 1, -1, 0]) / np.sqrt(11), rtol=1e-6)


def test_binary_residuals_are_taken_between_bits():
    centers = np.packbits(np.array([[1] * 8, [0] * 8], np.uint8), axis=1)  # 0xFF and 0x00
    desc = np.array([[0b11111110], [0b00000001]], np.uint8)
    feats = ImageFeatures(np.zeros((2, 2), np.float32), desc, (1, 1))
    raw = _vlad(centers, intra_norm=False, normalize=None).encode([feats])[0]
    expected = np.zeros(16)
    expected[7] = -1.0   # last bit of 0xFE differs from word 0xFF
    expected[15] = 1.0   # last bit of 0x01 differs from word 0x00
    np.testing.assert_allclose(raw, expected)


@pytest.mark.parametrize("descriptor, d", [("rootsift", 128), ("orb", 256)])
def test_end_to_end_and_round_trip(scenes, tmp_path, descriptor, d):
    vlad = VLAD(LocalDescriptors(descriptor, max_keypoints=80), 4, verbose=False, random_state=0)
    X = vlad.fit_transform(scenes)
    assert X.shape == (len(scenes), 4 * d) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    loaded = VLAD.load(vlad.save(tmp_path / "vlad"))
    np.testing.assert_allclose(loaded.transform(scenes), X, rtol=1e-5, atol=1e-6)
