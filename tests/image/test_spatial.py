from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import InputError
from classicx.image import ImageFeatures, KMeansVocabulary, LocalDescriptors, SpatialPyramid


def _pyramid(**params) -> SpatialPyramid:
    spm = SpatialPyramid(vocabulary=2, **params)
    voc = KMeansVocabulary(n_words=2)
    voc.centers_ = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
    spm.vocabulary_, spm.sigma_, spm.idf_ = voc, 1.0, None
    spm.n_features_out_ = 2 * sum(g * g for g in spm._grid_levels())
    return spm


# words 0, 0, 1 in cells (x=0, y=0), (x=1, y=0), (x=1, y=1) of the 2x2 grid
_FEATS = ImageFeatures(
    np.array([[0.1, 0.1], [0.9, 0.1], [0.6, 0.9]], np.float32),
    np.array([[1.0, 0.0], [2.0, 0.0], [9.0, 0.0]], np.float32),
    (10, 10),
)


def test_two_level_pyramid_oracle():
    X = _pyramid(levels=(1, 2), normalize=None).encode([_FEATS])[0]
    whole = [2, 1]
    cells = [1, 0, 1, 0, 0, 0, 0, 1]  # cell 0, 1 (top row), 2, 3 (bottom row)
    np.testing.assert_allclose(X, 0.5 * np.array(whole + cells))  # Lazebnik, L=1: 1/2, 1/2
    unweighted = _pyramid(levels=((1, 1.0), (2, 1.0)), normalize=None).encode([_FEATS])[0]
    np.testing.assert_allclose(unweighted, whole + cells)
    weighted = _pyramid(levels=((1, 2.0), (2, 0.5)), normalize=None).encode([_FEATS])[0]
    np.testing.assert_allclose(weighted, np.array([2.0] * 2 + [0.5] * 8) * (whole + cells))


def test_lazebnik_weights_and_default_size():
    spm = _pyramid()
    np.testing.assert_allclose(spm._level_weights(), [0.25, 0.25, 0.5])
    X = spm.encode([_FEATS])
    assert X.shape == (1, 2 * 21)
    assert np.linalg.norm(X) == pytest.approx(1.0)
    # each level's histogram holds all 3 descriptors
    raw = _pyramid(normalize=None, levels=((1, 1), (2, 1), (4, 1))).encode([_FEATS])[0]
    assert raw[:2].sum() == raw[2:10].sum() == raw[10:].sum() == 3


def test_point_on_the_border_goes_to_the_last_cell():
    feats = ImageFeatures(np.array([[1.0, 1.0]], np.float32), np.array([[0.0, 0.0]], np.float32), (4, 4))
    X = _pyramid(levels=((1, 1.0), (4, 1.0)), normalize=None).encode([feats])[0]
    assert X[2 + 15 * 2] == 1.0


def test_end_to_end_and_round_trip(scenes, tmp_path):
    spm = SpatialPyramid(LocalDescriptors("sift", max_keypoints=80), 5, verbose=False, random_state=0, idf=True)
    X = spm.fit_transform(scenes)
    assert X.shape == (len(scenes), 5 * 21) and np.isfinite(X).all()
    loaded = SpatialPyramid.load(spm.save(tmp_path / "spm"))
    np.testing.assert_allclose(loaded.transform(scenes), X, rtol=1e-5)


@pytest.mark.parametrize("levels", [(2, 1), ((1, 1.0), 2), ((1, -1.0), (2, 1.0)), ((1, 1.0, 2.0),), ()])
def test_bad_levels(levels, scenes):
    with pytest.raises(InputError, match="levels|weights"):
        _pyramid(levels=levels).encode([_FEATS])
    with pytest.raises(InputError, match="levels|weights"):
        SpatialPyramid(levels=levels, verbose=False).fit(scenes)
