from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import InputError, NotFittedError, ParameterError
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


# ------------------------------------------------------------------ spatial layout
def _hist(**params) -> ColorHistogram:
    return ColorHistogram(bins=(6, 2, 2), verbose=False, **params)


def _patchwork(height: int, width: int, seed: int = 0) -> np.ndarray:
    """An image of random pure colours (saturation and value 255, six hues 30 OpenCV units apart), one per
    pixel: every pixel falls clearly inside one histogram cell."""
    bgr = np.array([[0, 0, 255], [0, 255, 255], [0, 255, 0], [255, 255, 0], [255, 0, 0], [255, 0, 255]], np.uint8)
    return bgr[np.random.default_rng(seed).integers(0, 6, size=(height, width))]


@pytest.mark.parametrize("layout", [(1,), ((1, 1),), [1]])
def test_a_one_cell_layout_is_the_plain_histogram(layout):
    images = [_patchwork(7, 5, seed) for seed in range(3)]
    for normalize in ("l1", "hellinger"):
        spatial = _hist(layout=layout, normalize=normalize).fit(images)
        np.testing.assert_array_equal(spatial.transform(images), _hist(normalize=normalize).fit_transform(images))
        assert spatial.get_feature_names_out()[0] == "hsv_h0_s0_v0" and spatial.n_features_out_ == 24


def test_region_blocks_are_the_histograms_of_the_cropped_regions():
    # 12 x 8 pixels: the three strips are 4 rows each, the 2 x 2 cells 6 x 4 (no pixel on a border).
    image = _patchwork(12, 8)
    crops = [image, image[:4], image[4:8], image[8:], image[:6, :4], image[:6, 4:], image[6:, :4], image[6:, 4:]]
    for normalize in ("l1", "hellinger"):
        row = _hist(layout=(1, (3, 1), 2), normalize=normalize).fit_transform([image])[0]
        plain = _hist(normalize=normalize).fit_transform(crops)
        # Each region normalised on its own, then the row again (l1: sum 1; hellinger: the root of the l1 row).
        scale = 8.0 if normalize == "l1" else np.sqrt(8.0)
        np.testing.assert_allclose(row.reshape(8, 24) * scale, plain, rtol=1e-6, atol=1e-7)
    l1 = _hist(layout=(1, (3, 1), 2), normalize="l1").fit_transform([image])[0]
    assert l1.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(_hist(layout=(1, (3, 1), 2)).fit_transform([image])[0], np.sqrt(l1), rtol=1e-6)


def test_a_pixel_belongs_to_the_region_of_its_centre():
    # 7 x 5 pixels in 3 x 2 cells: region borders fall inside pixels; the oracle places each pixel by its
    # centre in exact integer arithmetic (row r = floor((i + 1/2) * 3 / 7)), and bins it by its colour.
    image = _patchwork(7, 5, seed=1)
    colour_bin = {tuple(c): int(np.argmax(_hist(normalize="l1").fit_transform([c[None, None]])[0]))
                  for c in image.reshape(-1, 3)}
    expected = np.zeros((6, 24))
    for i in range(7):
        for j in range(5):
            cell = ((2 * i + 1) * 3 // 14) * 2 + (2 * j + 1) * 2 // 10
            expected[cell, colour_bin[tuple(image[i, j])]] += 1
    expected /= expected.sum(axis=1, keepdims=True) * 6
    got = _hist(layout=((3, 2),), normalize="l1").fit_transform([image])[0]
    np.testing.assert_allclose(got.reshape(6, 24), expected, rtol=1e-6)


def test_a_region_without_pixels_is_a_zero_block():
    # Two pixel rows in three strips: the centres (1/4, 3/4) fall in the top and bottom strips only.
    image = _patchwork(2, 4)
    row = _hist(layout=((3, 1),), normalize="l1").fit_transform([image])[0].reshape(3, 24)
    assert not row[1].any() and np.isfinite(row).all() and row.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(row[0] * 2, _hist(normalize="l1").fit_transform([image[:1]])[0], rtol=1e-6)


@pytest.mark.parametrize("layout", [(), (0,), ((3, 1, 2),), ((3, 0),), (True,), ("3x1",)])
def test_a_bad_layout_is_a_parameter_error_that_shows_it(layout):
    with pytest.raises(ParameterError, match=r"ColorHistogram: layout .*" + re.escape(repr(layout))):
        ColorHistogram(layout=layout, verbose=False).fit([_patchwork(4, 4)])


def test_spatial_histogram_names_spec_and_saved_copy(tmp_path):
    from classicx.spec import build, to_spec

    images = [_patchwork(9, 6, seed) for seed in range(4)]
    hist = _hist(layout=(1, (3, 1))).fit(images)
    X = hist.transform(images)
    assert X.shape == (4, 96) and hist.n_features_out_ == 96
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-6)
    names = hist.get_feature_names_out()
    assert len(names) == 96 and names[24] == "grid3x1_cell0_hsv_h0_s0_v0" and names[-1] == "grid3x1_cell2_hsv_h5_s1_v1"
    loaded = ColorHistogram.load(hist.save(tmp_path / "hsv"))
    assert loaded.get_params()["layout"] == (1, (3, 1))
    np.testing.assert_array_equal(loaded.transform(images), X)
    # The spec: as FisherVector's layout, a list of grids with (rows, columns) pairs as lists.
    spec = "fisher(rootsift,64,layout=[1,[3,1]])+0.5*hsv(layout=[1,[3,1]])"
    built = build(spec, "image")
    assert built.transformers[1][1].layout == (1, (3, 1))
    assert to_spec(built) == spec and to_spec(build(to_spec(built), "image")) == spec
    assert to_spec(build("hsv(4,2,2,layout=[2])", "image")) == "hsv(4,2,2,layout=[2])"
    assert to_spec(build("hsv(layout=[1])", "image")) == "hsv"


def test_a_histogram_saved_before_layout_existed_loads_as_the_whole_image(tmp_path):
    import json

    images = [_patchwork(9, 6, seed) for seed in range(3)]
    hist = _hist().fit(images)
    path = hist.save(tmp_path / "hsv")
    # What 0.3.0 wrote before ``layout``: no such parameter, no ``grids_``.
    document = json.loads((path / "classicx.json").read_text())
    del document["root"]["params"]["layout"], document["root"]["state"]["grids_"]
    (path / "classicx.json").write_text(json.dumps(document))
    loaded = ColorHistogram.load(path)
    assert loaded.grids_ == ((1, 1),)
    np.testing.assert_array_equal(loaded.transform(images), hist.transform(images))
    assert loaded.get_feature_names_out().tolist() == hist.get_feature_names_out().tolist()
