from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import (
    EmptyFeatureWarning, EmptyInputError, ImageReadError, InputError, NotFittedError, SkippedItemsWarning,
)
from classicx.image import (
    BagOfVisualWords, BinaryKMeansVocabulary, ColorHistogram, ImageFeatures, KMeansVocabulary,
    LocalDescriptors, SoftAssignment,
)
from classicx.image import descriptors as descriptors_module


FAST = dict(verbose=False, random_state=0)


def _fast(kind: str = "sift", vocabulary=6, cache=None, **params) -> BagOfVisualWords:
    """A small BoVW: 80 keypoints per image, 6 words."""
    descriptor = LocalDescriptors(kind, max_keypoints=80, dense_sizes=(16,), cache=cache)
    return BagOfVisualWords(descriptor, vocabulary, **{**FAST, **params})


def _two_word_bovw(**params) -> BagOfVisualWords:
    """A BoVW whose vocabulary is set by hand: words at (0, 0) and (10, 0)."""
    bovw = BagOfVisualWords(vocabulary=2, **params)
    voc = KMeansVocabulary(n_words=2)
    voc.centers_ = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
    bovw.vocabulary_ = voc
    soft = params.get("assignment")
    bovw.sigma_ = float(getattr(soft, "sigma", None) or 1.0)
    bovw.idf_ = None
    bovw.n_features_out_ = 2
    return bovw


# Descriptors at distances 1 and 9, 2 and 8, 9 and 1 from the two words.
_FEATS = ImageFeatures(
    np.array([[0.1, 0.1], [0.9, 0.1], [0.6, 0.9]], np.float32),
    np.array([[1.0, 0.0], [2.0, 0.0], [9.0, 0.0]], np.float32),
    (10, 10),
)


@pytest.mark.parametrize("normalize, expected", [
    (None, [2.0, 1.0]),
    ("l1", [2 / 3, 1 / 3]),
    ("l2", [2 / np.sqrt(5), 1 / np.sqrt(5)]),
    ("power", [np.sqrt(2) / np.sqrt(3), 1 / np.sqrt(3)]),
    ("hellinger", [np.sqrt(2 / 3), np.sqrt(1 / 3)]),
])
def test_hard_assignment_oracle(normalize, expected):
    X = _two_word_bovw(normalize=normalize).encode([_FEATS])
    np.testing.assert_allclose(X[0], expected, rtol=1e-6)


def test_soft_assignment_oracle():
    sigma = 5.0
    X = _two_word_bovw(assignment=SoftAssignment(2, sigma=sigma), normalize=None).encode([_FEATS])
    expected = np.zeros(2)
    for d0, d1 in [(1, 9), (2, 8), (9, 1)]:
        w = np.exp(-np.array([d0, d1]) ** 2 / (2 * sigma**2))
        expected += w / w.sum()
    np.testing.assert_allclose(X[0], expected, rtol=1e-5)
    assert X.sum() == pytest.approx(3.0)  # each descriptor votes 1 in total
    far = ImageFeatures(np.zeros((1, 2), np.float32), np.array([[1e4, 0.0]], np.float32), (1, 1))
    tiny = _two_word_bovw(assignment=SoftAssignment(2, sigma=0.01), normalize="l2").encode([far])
    assert np.isfinite(tiny).all() and tiny[0].tolist() == [0.0, 1.0]


def test_empty_features_encode_to_zero_rows():
    empty = ImageFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), (5, 5))
    X = _two_word_bovw(normalize="l2").encode([empty, _FEATS])
    assert X[0].tolist() == [0.0, 0.0] and np.isfinite(X).all()


@pytest.mark.parametrize("descriptor", ["sift", "orb", "dense_sift"])
def test_end_to_end_on_drawn_scenes(scenes, descriptor):
    bovw = _fast(descriptor)
    X = bovw.fit_transform(scenes)
    assert X.shape == (len(scenes), 6) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(bovw.transform(scenes), X, rtol=1e-6)
    if descriptor == "orb":
        assert bovw.vocabulary_.centers_.dtype == np.uint8  # Hamming vocabulary, not float
        assert isinstance(bovw.vocabulary_, BinaryKMeansVocabulary)
    else:
        assert type(bovw.vocabulary_) is KMeansVocabulary


def test_hard_histogram_counts_nearest_words(scenes):
    bovw = _fast(normalize=None).fit(scenes)
    X = bovw.transform(scenes[:2])
    extractor = descriptors_module.LocalDescriptors("sift", max_keypoints=80)
    for row, img in zip(X, scenes[:2]):
        d = extractor.extract(img).descriptors
        dist = ((d[:, None, :] - bovw.vocabulary_.centers_[None]) ** 2).sum(-1)
        np.testing.assert_array_equal(row, np.bincount(dist.argmin(1), minlength=6))


def test_idf_matches_sklearn_tfidf(scenes):
    counts = _fast(normalize=None).fit_transform(scenes)
    tfidf = _fast(normalize=None, idf=True).fit(scenes)
    oracle = TfidfTransformer(norm=None, smooth_idf=True).fit(counts)
    np.testing.assert_allclose(tfidf.idf_, oracle.idf_, rtol=1e-6)
    np.testing.assert_allclose(tfidf.transform(scenes), oracle.transform(counts).toarray(), rtol=1e-5)
    np.testing.assert_allclose(
        _fast(normalize=None, idf=True).fit_transform(scenes),
        tfidf.transform(scenes), rtol=1e-6,
    )


def test_blank_image_gives_zero_row_and_warning(scenes):
    bovw = _fast().fit(scenes)
    with pytest.warns(EmptyFeatureWarning, match="1 image"):
        X = bovw.transform([scenes[0], np.zeros((60, 60), np.uint8)])
    assert np.all(X[1] == 0) and np.isfinite(X).all()


def test_unreadable_images_raise_or_are_skipped(scenes, tmp_path):
    missing = tmp_path / "gone.jpg"
    bovw = _fast()
    with pytest.raises(ImageReadError, match="row 2.*gone.jpg"):
        bovw.fit([scenes[0], scenes[1], missing])
    skip = _fast(on_error="skip")
    with pytest.warns(SkippedItemsWarning, match="gone.jpg"):
        skip.fit(list(scenes) + [missing])
    assert skip.skipped_rows_ == [len(scenes)]
    with pytest.warns(SkippedItemsWarning, match="row 1"):
        X = skip.transform([scenes[0], b"not an image", scenes[1]])
    assert skip.skipped_rows_ == [1] and np.all(X[1] == 0) and X.shape == (3, 6)


def test_parallel_equals_serial_and_save_load(scenes, tmp_path):
    serial = _fast().fit(scenes)
    parallel = _fast(n_jobs=2).fit(scenes)
    np.testing.assert_allclose(parallel.vocabulary_.centers_, serial.vocabulary_.centers_)
    np.testing.assert_allclose(parallel.transform(scenes), serial.transform(scenes), rtol=1e-6)
    loaded = BagOfVisualWords.load(serial.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.transform(scenes), serial.transform(scenes), rtol=1e-6)
    def leaves(estimator):  # nested estimators compare by their own parameters (the deep keys)
        return {k: v for k, v in estimator.get_params(deep=True).items() if not hasattr(v, "get_params")}

    assert leaves(loaded) == leaves(serial) and "descriptor__max_keypoints" in leaves(serial)


def test_parallel_encoding_keeps_rows_in_place_with_skipped_and_empty_images(scenes):
    serial = _fast(on_error="skip").fit(scenes)
    parallel = clone(serial).set_params(n_jobs=2).fit(scenes)
    blank = np.full((64, 64), 128, np.uint8)
    batch = [scenes[0], b"not an image", blank, *scenes[1:], blank]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_serial = serial.transform(batch)
        X_parallel = parallel.transform(batch)
    assert serial.skipped_rows_ == parallel.skipped_rows_ == [1]
    empty = [str(w.message) for w in caught if issubclass(w.category, EmptyFeatureWarning)]
    assert len(empty) == 2 and all(f"row 2, row {len(batch) - 1}" in m for m in empty)
    zero_rows = np.flatnonzero(~X_parallel.any(axis=1)).tolist()
    assert zero_rows == [1, 2, len(batch) - 1]
    np.testing.assert_allclose(X_parallel, X_serial, rtol=1e-6)
    np.testing.assert_allclose(X_parallel[0], serial.transform([scenes[0]])[0], rtol=1e-6)


def test_files_bytes_and_arrays_give_the_same_encoding(scenes, tmp_path):
    bovw = _fast("orb").fit(scenes)
    paths, blobs = [], []
    # gray pixels: a decoder's own BGR->gray rounding would otherwise differ by one level
    grays = [cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) for img in scenes[:3]]
    for i, img in enumerate(grays):
        ok, buf = cv2.imencode(".png", img)
        p = tmp_path / f"图 {i}.png"
        buf.tofile(p)
        paths.append(p)
        blobs.append(buf.tobytes())
    ref = bovw.transform(grays)
    np.testing.assert_allclose(bovw.transform(paths), ref)
    np.testing.assert_allclose(bovw.transform(blobs), ref)


def test_sample_is_bounded_and_stops_reading_early(scenes, monkeypatch):
    calls = []
    original = descriptors_module.LocalDescriptors._compute

    def counting(self, image, name, *background):
        calls.append(name)
        return original(self, image, name, *background)

    monkeypatch.setattr(descriptors_module.LocalDescriptors, "_compute", counting)
    many = list(scenes) * 6  # 48 images of >= 20 descriptors each
    bovw = _fast(vocabulary=KMeansVocabulary(6, sample_size=20)).fit(many)
    assert bovw.n_sampled_ == 20
    assert len(calls) == 32  # one chunk of images gave more than 3 x 20 descriptors


def test_cache_avoids_recomputing_descriptors(scenes, tmp_path, monkeypatch):
    calls = []
    original = descriptors_module.LocalDescriptors._compute

    def counting(self, image, name, *background):
        calls.append(name)
        return original(self, image, name, *background)

    monkeypatch.setattr(descriptors_module.LocalDescriptors, "_compute", counting)
    first = _fast(cache=str(tmp_path / "cache"))
    X1 = first.fit_transform(scenes)
    assert len(calls) == len(scenes)  # fit_transform reads each image once
    second = _fast(vocabulary=4, cache=str(tmp_path / "cache"))
    second.fit(scenes)
    second.transform(scenes)
    assert len(calls) == len(scenes)  # all from the cache
    uncached = _fast().fit(scenes)
    assert len(calls) == 2 * len(scenes)
    np.testing.assert_allclose(uncached.transform(scenes), X1, rtol=1e-6)
    assert len(calls) == 3 * len(scenes)
    other = _fast("orb", cache=str(tmp_path / "cache")).fit(scenes)
    assert len(calls) == 4 * len(scenes)  # other descriptor parameters, other cache entries
    assert other.vocabulary_.centers_.dtype == np.uint8


def test_sklearn_integration(scenes):
    bovw = _fast()
    c = clone(bovw).set_params(vocabulary=3)
    assert c.get_params()["vocabulary"] == 3 and not hasattr(c, "vocabulary_")
    union = FeatureUnion([("bovw", bovw), ("hsv", ColorHistogram(bins=(4, 2, 2), verbose=False))])
    X = Pipeline([("features", union), ("scale", StandardScaler())]).fit_transform(scenes)
    assert X.shape == (len(scenes), 6 + 16)
    with pytest.raises(NotFittedError):
        BagOfVisualWords().transform(scenes)
    with pytest.raises(InputError, match="normalize"):
        _fast(normalize="l3").fit(scenes)
    with pytest.raises(InputError, match="descriptor"):
        BagOfVisualWords("sift", 100000, verbose=False).fit(scenes[:1])
    with pytest.raises(InputError, match="descriptor"):
        BagOfVisualWords("surf", verbose=False).fit(scenes)
    with pytest.raises(InputError, match="kind"):
        BagOfVisualWords(LocalDescriptors("surf"), verbose=False).fit(scenes)


def test_sample_stops_early_and_does_not_depend_on_n_jobs():
    rng = np.random.default_rng(7)
    images = [(rng.random((48, 48)) * 255).astype(np.uint8) for _ in range(80)]
    params = dict(verbose=False, random_state=3)
    descriptor, vocabulary = LocalDescriptors("sift", max_keypoints=20), KMeansVocabulary(4, sample_size=30)
    serial = BagOfVisualWords(descriptor, vocabulary, n_jobs=1, **params)
    X1 = serial.fit_transform(images)
    parallel = BagOfVisualWords(descriptor, vocabulary, n_jobs=2, **params)
    X2 = parallel.fit_transform(images)
    # 3 x 30 descriptors are seen within the first chunk of 32 images: the sample stops there
    assert serial.n_sampled_ == parallel.n_sampled_ == 30
    np.testing.assert_array_equal(serial.vocabulary_.centers_, parallel.vocabulary_.centers_)
    np.testing.assert_allclose(X1, X2, rtol=1e-6)


def test_no_images(scenes):
    bovw = _fast().fit(scenes)
    assert bovw.transform([]).shape == (0, 6)
    with pytest.raises(EmptyInputError, match="no images"):
        _fast().fit([])
    assert ColorHistogram(bins=(2, 2, 2), verbose=False).fit(scenes).transform([]).shape == (0, 8)
