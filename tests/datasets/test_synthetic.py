"""Tests of the built-in synthetic dataset (classicx.datasets._synthetic)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.datasets import SHAPES, Dataset, Scene, describe_scene, load_synthetic, make_scene, render_scene
from classicx.datasets._synthetic import _COLOURS, _SHAPE_WORDS, _VAGUE_WORDS, BACKGROUNDS
from classicx.exceptions import InputError


def test_sizes_and_fields():
    data = load_synthetic(n_train=24, n_test=10, image_size=48, random_state=3)
    assert isinstance(data, Dataset)
    assert (len(data.train), len(data.test)) == (24, 10)
    assert data.categories == list(SHAPES)
    for split in (data.train, data.test):
        assert all(img.shape == (48, 48, 3) and img.dtype == np.uint8 for img in split.images)
        assert split.labels.dtype.kind == "i" and split.labels.ndim == 1
        assert len(set(split.ids)) == len(split)
        assert all(isinstance(t, str) and t for t in split.texts)
    assert not set(data.train.ids) & set(data.test.ids)


def test_labels_balanced_and_in_range():
    data = load_synthetic(n_train=80, n_test=16, image_size=32)
    counts = np.bincount(data.train.labels, minlength=len(SHAPES))
    assert counts.tolist() == [10] * len(SHAPES)
    assert data.test.labels.min() >= 0 and data.test.labels.max() < len(SHAPES)


def test_deterministic_under_random_state():
    a = load_synthetic(n_train=12, n_test=4, image_size=40, random_state=7)
    b = load_synthetic(n_train=12, n_test=4, image_size=40, random_state=7)
    c = load_synthetic(n_train=12, n_test=4, image_size=40, random_state=8)
    for sa, sb in ((a.train, b.train), (a.test, b.test)):
        assert all(x.tobytes() == y.tobytes() for x, y in zip(sa.images, sb.images))
        assert sa.texts == sb.texts and sa.descriptions == sb.descriptions
        np.testing.assert_array_equal(sa.labels, sb.labels)
    assert a.train.texts != c.train.texts
    assert any(x.tobytes() != y.tobytes() for x, y in zip(a.train.images, c.train.images))


def test_descriptions_match_labels():
    data = load_synthetic(n_train=40, n_test=0, image_size=32)
    for label, description in zip(data.train.labels, data.train.descriptions):
        # Description starts with "<size> <colour> <shape> ..." and names the true main shape.
        assert description.split()[2] == SHAPES[label]


def test_clean_captions_name_the_true_shape_and_colour():
    rng = np.random.RandomState(0)
    for _ in range(60):
        scene = make_scene(rng, max_distractors=0)
        caption = describe_scene(scene, rng, caption_noise=0.0)
        assert any(re.search(rf"\b{re.escape(w)}\b", caption) for w in _SHAPE_WORDS[scene.main.shape]), caption
        other = [w for s in SHAPES if s != scene.main.shape for w in _SHAPE_WORDS[s]
                 if not any(w in own for own in _SHAPE_WORDS[scene.main.shape])]
        assert not any(re.search(rf"\b{re.escape(w)}\b", caption) for w in other), caption


def test_caption_noise_one_never_names_true_shape_plainly():
    rng = np.random.RandomState(1)
    wrong_or_vague = 0
    for _ in range(40):
        scene = make_scene(rng, shape="hexagon", max_distractors=0)
        caption = describe_scene(scene, rng, caption_noise=1.0)
        assert not any(w in caption for w in _SHAPE_WORDS["hexagon"] if w != "polygon"), caption
        wrong_or_vague += any(re.search(rf"\b{w}\b", caption) for w in _VAGUE_WORDS)
    assert 0 < wrong_or_vague < 40


def test_captions_vary_in_wording():
    data = load_synthetic(n_train=64, n_test=0, image_size=32)
    assert len(set(data.train.texts)) == 64
    first_words = {t.split()[0] for t in data.train.texts}
    assert len(first_words) > 5


def test_make_scene_attributes():
    scene = make_scene(5, shape="ring", max_distractors=3, distractor_prob=1.0, occlusion_prob=1.0)
    assert isinstance(scene, Scene)
    assert scene.main.shape == "ring" and scene.label == SHAPES.index("ring")
    assert len(scene.distractors) == 3 and all(d.shape != "ring" for d in scene.distractors)
    assert scene.occlusion is not None and "partly occluded" in scene.description
    assert scene.background in BACKGROUNDS
    assert scene.main.colour not in scene.background_colours
    with pytest.raises(InputError, match="'shape' parameter must be one of"):
        make_scene(0, shape="blob")
    with pytest.raises(InputError, match="max_distractors"):
        make_scene(0, max_distractors=-1)


def test_render_is_pure_function_of_scene():
    scene = make_scene(11)
    a, b = render_scene(scene, 64), render_scene(scene, 64)
    assert a.tobytes() == b.tobytes()


def test_render_draws_the_main_shape_in_its_colour():
    # No noise, no occlusion, no distractors, plain background: the pixel at the centre
    # of a filled shape is the shape's colour and a corner pixel is the background colour.
    for shape in ("circle", "square", "hexagon", "star"):
        scene = make_scene(2, shape=shape, max_distractors=0, occlusion_prob=0.0, noise_level=0.0)
        scene = Scene(**{**scene.__dict__, "background": "plain"})
        image = render_scene(scene, 96)
        cx, cy = (int(v * 96) for v in scene.main.center)
        np.testing.assert_array_equal(image[cy, cx], _COLOURS[scene.main.colour])
        far = (0, 0) if (cx > 48 or cy > 48) else (95, 95)
        if np.hypot(far[0] - cy, far[1] - cx) > scene.main.scale * 96 + 2:
            np.testing.assert_array_equal(image[far], _COLOURS[scene.background_colours[0]])


def test_ring_has_a_hole_and_noise_changes_pixels():
    scene = make_scene(3, shape="ring", max_distractors=0, occlusion_prob=0.0, noise_level=0.0)
    scene = Scene(**{**scene.__dict__, "background": "plain"})
    image = render_scene(scene, 96)
    cx, cy = (int(v * 96) for v in scene.main.center)
    np.testing.assert_array_equal(image[cy, cx], _COLOURS[scene.background_colours[0]])
    noisy = render_scene(Scene(**{**scene.__dict__, "noise_level": 0.1}), 96)
    assert np.abs(noisy.astype(int) - image.astype(int)).std() > 10


@pytest.mark.parametrize("kwargs", [dict(n_train=0), dict(n_train=-1), dict(n_test=2.5),
                                    dict(noise_level=2.0), dict(caption_noise=-0.1), dict(image_size=8)])
def test_bad_arguments(kwargs):
    with pytest.raises(InputError):
        load_synthetic(**{"n_train": 4, "n_test": 2, **kwargs})


def test_empty_test_split():
    data = load_synthetic(n_train=8, n_test=0, image_size=32)
    assert len(data.test) == 0 and data.test.labels.shape == (0,)
