"""The encoders are composed of a descriptor and a vocabulary, the scikit-learn way."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import classicx.image as image_module
from classicx.exceptions import InputError
from classicx.image import (
    VLAD, BagOfVisualWords, BinaryKMeansVocabulary, FisherVector, GaussianMixtureVocabulary,
    KMeansVocabulary, LocalDescriptors, SoftAssignment, SpatialPyramid,
)


# Encodings computed by the code before composition (commit 2dda8bf, where every encoder
# copied the descriptor's settings): the old spelling of each case is in its comment. The
# fingerprint of a case is its 8 x d encoding (6 fitted images, then 2 more transformed)
# times the first d entries of a fixed random vector, rounded to 6 decimals.
_D = dict(max_keypoints=80)
_OLD = {
    # BagOfVisualWords("sift", n_words=6, max_keypoints=80)
    "bovw_sift": (
        BagOfVisualWords(LocalDescriptors("sift", **_D), 6),
        (8, 6), [0.737113, 0.653384, 0.728368, 0.817848, 0.625718, 0.764632, 0.78156, 0.690373],
    ),
    # BagOfVisualWords("orb", n_words=6, normalize="hellinger", max_keypoints=80)
    "bovw_orb_hellinger": (
        BagOfVisualWords(LocalDescriptors("orb", **_D), 6, normalize="hellinger"),
        (8, 6), [0.768614, 0.349356, 0.440594, 0.333601, 0.94086, 0.764005, 0.376725, 0.302402],
    ),
    # BagOfVisualWords("rootsift", n_words=6, assignment="soft", idf=True, max_keypoints=80)
    "bovw_rootsift_soft_idf": (
        BagOfVisualWords(LocalDescriptors("rootsift", **_D), 6, assignment="soft", idf=True),
        (8, 6), [0.513165, 0.424692, 0.608934, 0.653485, 0.432697, 0.399921, 0.474372, 0.457341],
    ),
    # BagOfVisualWords("dense_sift", n_words=5, dense_sizes=(16,), sample_size=300,
    #                  vocabulary_algorithm="full", max_keypoints=80)
    "bovw_dense_full_sample": (
        BagOfVisualWords(
            LocalDescriptors("dense_sift", dense_sizes=(16,), **_D),
            KMeansVocabulary(5, algorithm="full", sample_size=300),
        ),
        (8, 5), [1.003067, 0.933729, 0.805769, 0.012707, 0.336427, 0.171701, 1.023529, 0.976671],
    ),
    # SpatialPyramid("sift", n_words=5, idf=True, max_keypoints=80)
    "spm_sift_idf": (
        SpatialPyramid(LocalDescriptors("sift", **_D), 5, idf=True),
        (8, 105), [0.416384, 0.577623, 0.133577, 0.655028, 0.238845, -0.178921, 0.203155, 0.735895],
    ),
    # SpatialPyramid("sift", n_words=4, levels=(1, 2), level_weights=None, assignment="soft",
    #                soft_knn=2, soft_sigma=0.5, max_keypoints=80)
    "spm_uniform_soft": (
        SpatialPyramid(
            LocalDescriptors("sift", **_D), 4, levels=((1, 1.0), (2, 1.0)), assignment=SoftAssignment(2, sigma=0.5)
        ),
        (8, 20), [0.672673, 0.095677, 0.59247, 0.502867, 0.310722, -0.09954, 0.378374, 0.127189],
    ),
    # VLAD("rootsift", n_words=4, max_keypoints=80)
    "vlad_rootsift": (
        VLAD(LocalDescriptors("rootsift", **_D), 4),
        (8, 512), [-0.830486, 0.126226, -1.09839, -0.950294, -0.046824, 1.122418, -0.712838, 0.035313],
    ),
    # VLAD("orb", n_words=3, intra_norm=False, normalize="l2", max_keypoints=80)
    "vlad_orb": (
        VLAD(LocalDescriptors("orb", **_D), 3, intra_norm=False, normalize="l2"),
        (8, 768), [1.697738, 1.998581, 3.163909, 2.911049, 3.442247, 1.562299, 1.681795, 2.902304],
    ),
    # FisherVector("rootsift", n_components=3, pca_components=16, max_keypoints=80)
    "fisher_rootsift_pca": (
        FisherVector(LocalDescriptors("rootsift", **_D), GaussianMixtureVocabulary(3, pca_components=16)),
        (8, 96), [-0.795081, 0.441055, 0.236812, -0.284473, 0.186742, 0.019415, 0.172089, 0.883347],
    ),
    # FisherVector("sift", n_components=2, pca_components=None, color="opponent", max_keypoints=80)
    "fisher_opponent_nopca": (
        FisherVector(
            LocalDescriptors("sift", color="opponent", **_D), GaussianMixtureVocabulary(2, pca_components=None)
        ),
        (8, 1536), [0.803925, 0.924478, -1.32034, -0.890935, -0.05202, -0.95663, -0.57956, -0.381651],
    ),
}


@pytest.mark.parametrize("case", sorted(_OLD))
def test_composed_encoders_give_the_encodings_of_the_old_code(scenes, case):
    encoder, shape, fingerprint = _OLD[case]
    encoder = clone(encoder).set_params(verbose=False, random_state=0)
    Z = np.vstack([encoder.fit_transform(scenes[:6]), encoder.transform(scenes[6:])]).astype(np.float64)
    assert Z.shape == shape
    weights = np.random.default_rng(123).standard_normal(10000)[: shape[1]]
    np.testing.assert_allclose(Z @ weights, fingerprint, rtol=0, atol=5e-6)


_PUBLIC_CLASSES = [
    obj for _, obj in inspect.getmembers(image_module, inspect.isclass) if obj.__module__.startswith("classicx.image")
]


@pytest.mark.parametrize("cls", _PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_no_public_constructor_has_more_than_ten_parameters(cls):
    if cls.__name__ == "ImageFeatures":  # a record (NamedTuple), not an estimator
        return
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert len(params) <= 10, params


def test_parts_are_cloned_into_fitted_attributes_and_never_mutated(scenes):
    descriptor = LocalDescriptors("sift", max_keypoints=60)
    vocabulary = KMeansVocabulary(5)
    bovw = BagOfVisualWords(descriptor, vocabulary, n_jobs=1, verbose=False, random_state=0).fit(scenes)
    assert bovw.descriptor is descriptor and bovw.vocabulary is vocabulary
    assert bovw.descriptor_ is not descriptor and bovw.vocabulary_ is not vocabulary
    assert not hasattr(vocabulary, "centers_")
    assert vocabulary.get_params() == KMeansVocabulary(5).get_params()
    assert bovw.descriptor_.get_params() == descriptor.get_params()
    # the copy's unset seed and thread budget come from the encoder
    assert isinstance(bovw.vocabulary_.random_state, int) and bovw.vocabulary_.n_jobs == 1
    assert bovw.vocabulary_.centers_.shape == (5, 128)


def test_a_seed_set_on_the_vocabulary_is_kept(scenes):
    fitted = [
        BagOfVisualWords("sift", KMeansVocabulary(5, random_state=7), verbose=False, random_state=seed).fit(scenes)
        for seed in (0, 0, 1)
    ]
    assert all(b.vocabulary_.random_state == 7 for b in fitted)
    np.testing.assert_array_equal(fitted[0].vocabulary_.centers_, fitted[1].vocabulary_.centers_)


def test_kind_strings_are_resolved_in_fit_not_in_init(scenes):
    bovw = BagOfVisualWords("orb", 4, verbose=False, random_state=0)
    assert bovw.get_params()["descriptor"] == "orb" and bovw.get_params()["vocabulary"] == 4
    bovw.fit(scenes)
    assert bovw.descriptor_.get_params() == LocalDescriptors("orb").get_params()
    assert type(bovw.vocabulary_) is BinaryKMeansVocabulary and bovw.vocabulary_.n_words == 4


def test_the_vocabulary_must_suit_the_descriptor(scenes):
    with pytest.raises(InputError, match="KMeansVocabulary clusters float descriptors.*'orb'.*BinaryKMeansVocabulary"):
        BagOfVisualWords("orb", KMeansVocabulary(4), verbose=False).fit(scenes)
    with pytest.raises(InputError, match="BinaryKMeansVocabulary clusters binary descriptors.*'sift'"):
        VLAD("sift", BinaryKMeansVocabulary(4), verbose=False).fit(scenes)
    with pytest.raises(InputError, match="vocabulary"):
        FisherVector("sift", KMeansVocabulary(4), verbose=False).fit(scenes)
    with pytest.raises(InputError, match="binary"):
        FisherVector(LocalDescriptors("orb"), 4, verbose=False).fit(scenes)


def test_nested_parameters_are_tuned_by_grid_search(scenes):
    # The score is the longer side the fitted copy of the descriptor resized to: it proves
    # that each candidate's setting reached the descriptor inside the encoder.
    def reached(estimator, images, y=None):
        return float(estimator.descriptor_.max_side)

    bovw = BagOfVisualWords(LocalDescriptors("sift", max_keypoints=40), 3, verbose=False, random_state=0)
    search = GridSearchCV(bovw, {"descriptor__max_side": [64, 100]}, scoring=reached, cv=2).fit(scenes)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], [64.0, 100.0])
    assert search.best_params_ == {"descriptor__max_side": 100}
    assert bovw.descriptor.max_side == 1024  # the user's descriptor is untouched


def test_nested_parameters_through_a_pipeline(scenes):
    labels = np.array([0, 1] * 4)
    pipe = Pipeline([
        ("image_features", BagOfVisualWords(LocalDescriptors("sift", max_keypoints=40), 3, verbose=False,
                                            random_state=0)),
        ("classifier", LogisticRegression()),
    ])
    grid = {"image_features__descriptor__max_side": [64, 100], "image_features__vocabulary": [3, 4]}
    search = GridSearchCV(pipe, grid, cv=2).fit(scenes, labels)
    assert [p["image_features__descriptor__max_side"] for p in search.cv_results_["params"]] == [64, 64, 100, 100]
    best = search.best_estimator_.named_steps["image_features"]
    assert best.descriptor_.max_side == search.best_params_["image_features__descriptor__max_side"]
    assert best.vocabulary_.n_words == search.best_params_["image_features__vocabulary"]
    assert best.transform(scenes).shape == (8, best.vocabulary_.n_words)


def test_sample_size_is_the_vocabularys():
    rng = np.random.default_rng(0)
    images = [(rng.random((48, 48)) * 255).astype(np.uint8) for _ in range(40)]
    bovw = BagOfVisualWords(LocalDescriptors("sift", max_keypoints=20), KMeansVocabulary(3, sample_size=25),
                            verbose=False, random_state=0).fit(images)
    assert bovw.n_sampled_ == 25
    # direct use: a larger sample is subsampled to sample_size rows
    X = rng.normal(size=(300, 4))
    voc = KMeansVocabulary(3, sample_size=50, algorithm="full", random_state=0).fit(X)
    chosen = np.sort(np.random.RandomState(0).choice(300, 50, replace=False))
    ref = KMeansVocabulary(3, algorithm="full", random_state=0).fit(X[chosen])
    np.testing.assert_allclose(voc.centers_, ref.centers_)


def test_feature_names(scenes):
    bovw = BagOfVisualWords("sift", 3, verbose=False, random_state=0).fit(scenes)
    assert bovw.get_feature_names_out().tolist() == ["word0", "word1", "word2"]
    vlad = VLAD("orb", 2, verbose=False, random_state=0).fit(scenes)
    names = vlad.get_feature_names_out()
    assert len(names) == vlad.n_features_out_ == 512 and names[256] == "word1_dim0"
    fisher = FisherVector("sift", GaussianMixtureVocabulary(2, pca_components=3), verbose=False, random_state=0)
    names = fisher.fit(scenes).get_feature_names_out()
    assert names.tolist()[:4] == ["word0_mean0", "word0_mean1", "word0_mean2", "word1_mean0"]
    assert names[6] == "word0_var0" and len(names) == fisher.n_features_out_


@pytest.mark.parametrize("cls", [BagOfVisualWords, SpatialPyramid, VLAD, FisherVector])
def test_tags_say_images(cls):
    tags = cls().__sklearn_tags__()
    assert tags.input_tags.two_d_array is False and tags.transformer_tags is not None
    assert [c.__name__ for c in cls.__mro__].index("TransformerMixin") < [
        c.__name__ for c in cls.__mro__
    ].index("ClassicxEstimator")
