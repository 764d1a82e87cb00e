"""The default preset on a Dask cluster: ``classicx fit DATASET --scheduler local:2`` with no other options.

The cluster fit runs the preset's stages ("balanced": Fisher vectors of
RootSIFT + 0.5 x HSV, LSA 200 with L2-normalised rows, semantic matching,
inner-product search) and records what an in-memory fit records; its numbers
equal the in-memory fit's stage by stage:

* the text stage: the same vocabulary and idf, and LSA vectors equal up to a
  rotation of the LSA space (the two randomised SVDs may pick different bases
  of it; every later step -- the row norms, semantic matching without
  standardisation, whose L2 penalty is rotation-invariant -- sees only their
  inner products, which agree to 1e-10);
* the image stage: the colour histogram part identical; the Fisher part's
  vocabulary is learned from per-partition samples (its equality with the
  in-memory vocabulary of the same samples is tested in test_retriever.py),
  so the oracle below encodes the images with the cluster-fitted stage;
* semantic matching on chunks: class posteriors within 3e-3 of the in-memory
  fit, which stops at scikit-learn's default tol=1e-4 (the fit on chunks stops
  at 1e-6 in the same units, and is within 1e-4 of the posteriors of a
  logistic regression converged to tol=1e-12).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

db = pytest.importorskip("dask.bag")

from classicx.cli import main
from classicx.distributed._stages import (
    check_aligner,
    check_feature_stage,
    fit_features,
    transform_features,
)
from classicx.exceptions import ParameterError
from classicx.presets import AUTO_CANDIDATES, PRESETS, missing_modules, preset_specs
from classicx.retriever import CrossModalRetriever
from classicx.spec import ConcatFeatures, build, to_spec
from classicx.subspace import SemanticMatching

_BOOKKEEPING = ("preset_stages_", "supervised_", "categories_", "image_ids_", "text_ids_", "image_descriptions_",
                "gallery_texts_", "image_files_", "image_texts_", "text_files_")


@pytest.fixture(scope="module")
def fits(collection, tmp_path_factory):
    """The same dataset fitted by ``classicx fit`` on a local cluster of 2 processes and in memory."""
    root, *_ = collection
    out = tmp_path_factory.mktemp("models")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LSA's 200 components clipped to the 30 texts, on both sides
        assert main(["fit", str(root / "pairs.csv"), "-o", str(out / "cluster"), "-q", "--scheduler", "local:2"]) == 0
        assert main(["fit", str(root / "pairs.csv"), "-o", str(out / "memory"), "-q"]) == 0
    return CrossModalRetriever.load(out / "cluster"), CrossModalRetriever.load(out / "memory")


def test_the_default_preset_runs_on_the_cluster_with_the_in_memory_bookkeeping(fits, collection):
    cluster, memory = fits
    _, paths, _, _, categories = collection
    assert cluster.preset_stages_ == preset_specs("balanced", labels=True)
    for name in _BOOKKEEPING:
        assert getattr(cluster, name) == getattr(memory, name), name
    assert cluster.categories_ == categories and cluster.image_files_ == paths and cluster.supervised_
    np.testing.assert_array_equal(cluster.image_labels_, memory.image_labels_)
    for stage in ("image_features", "text_features", "aligner"):
        assert to_spec(getattr(cluster, f"{stage}_")) == to_spec(getattr(memory, f"{stage}_"))
    assert cluster.image_gallery_.metric == memory.image_gallery_.metric == "inner_product"
    record, record_memory = cluster.dataset_record_, memory.dataset_record_
    np.testing.assert_array_equal(record.pop("train_hashes"), record_memory.pop("train_hashes"))
    assert record == record_memory


def test_the_default_preset_on_the_cluster_equals_the_in_memory_fit(fits, collection):
    from sklearn.linear_model import LogisticRegression

    cluster, memory = fits
    _, paths, texts, labels, _ = collection
    lsa, lsa_memory = cluster.text_features_.transformers_[0][1], memory.text_features_.transformers_[0][1]
    assert lsa.tfidf_.vocabulary_ == lsa_memory.tfidf_.vocabulary_
    np.testing.assert_allclose(lsa.tfidf_.idf_, lsa_memory.tfidf_.idf_, rtol=1e-12)
    Y, Y_memory = cluster.text_features_.transform(texts), memory.text_features_.transform(texts)
    np.testing.assert_allclose(np.linalg.norm(Y, axis=1), 1.0, rtol=1e-12)
    # The two SVDs agree to about 1e-13; the components are kept in float32 (TfidfLSA's dtype),
    # whose rounding of the two can differ by one unit in the last place (6e-8).
    assert lsa.components_.dtype == lsa_memory.components_.dtype == np.float32
    np.testing.assert_allclose(Y @ Y.T, Y_memory @ Y_memory.T, atol=1e-6)
    hsv, hsv_memory = cluster.image_features_.transformers_[1][1], memory.image_features_.transformers_[1][1]
    np.testing.assert_array_equal(hsv.transform(paths), hsv_memory.transform(paths))
    X = cluster.image_features_.transform(paths)
    assert X.shape[1] == memory.image_features_.n_features_out_
    in_memory = SemanticMatching(C=10.0, class_weight="balanced", standardize=False).fit(X, Y, labels=labels)
    np.testing.assert_allclose(cluster.image_gallery_.gallery_, in_memory.transform(X), atol=3e-3)
    np.testing.assert_allclose(cluster.text_gallery_.gallery_, in_memory.transform_y(Y), atol=3e-3)
    # Closer to the optimum than that: the in-memory fit stops early. (The same check on the
    # 8,000-column image features is test_subspace's L-BFGS test, at a size that is quick to converge.)
    optimum = LogisticRegression(C=10.0, class_weight="balanced", tol=1e-12, max_iter=100_000).fit(Y, labels)
    np.testing.assert_allclose(cluster.text_gallery_.gallery_, optimum.predict_proba(Y), atol=1e-4)
    # The fitted model is an ordinary one: queries rank the gallery as the in-memory fit's stages would.
    hits = cluster.search_text(texts[0], k=3)
    assert [h.rank for h in hits] == [1, 2, 3] and hits[0].label in cluster.categories_


# The CNN features of the 'deep' preset have no Dask path by design (the deep plug-ins are for
# offline comparison): that preset is refused on a cluster, see the refusal test below.
CNN_EXTRA_MISSING = bool(missing_modules("cnn"))


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "no-labels"])
@pytest.mark.parametrize("preset", sorted(set(PRESETS) - {"deep"}))
def test_every_preset_stage_has_a_dask_path(preset, labels):
    specs = preset_specs(preset, labels)
    check_feature_stage(build(specs["image_features"], "image_features"), "image_features")
    check_feature_stage(build(specs["text_features"], "text_features"), "text_features")
    check_aligner(build(specs["aligner"], "aligner"))


def test_every_auto_candidate_has_a_dask_path():
    for image, text, aligner, _ in AUTO_CANDIDATES:
        check_feature_stage(build(image, "image_features"), "image_features")
        check_feature_stage(build(text, "text_features"), "text_features")
        check_aligner(build(aligner, "aligner"))


@pytest.mark.parametrize(
    "stages, match",
    [
        ({"text_features": "lda(5)"}, r"text_features stage 'lda\(5.*' \(LdaTopics\) cannot run on a Dask cluster"),
        pytest.param({"image_features": "hsv+0.5*cnn"},
                     r"image_features stage .* its part 'cnn' \(CNNFeatures\) has no Dask path",
                     marks=pytest.mark.skipif(CNN_EXTRA_MISSING, reason="the spec 'cnn' needs the cnn extra")),
        pytest.param({"preset": "deep"}, r"image_features stage .*CNNFeatures.* Dask",
                     marks=pytest.mark.skipif(CNN_EXTRA_MISSING, reason="the deep preset needs the cnn extra")),
        ({"aligner": "mmd(4)"}, r"aligner stage 'mmd\(4.* cannot run on a Dask cluster"),
        ({"aligner": "scm(mmd(4))"}, r"aligner's inner aligner stage 'mmd\(4"),
        ({"preset": "auto"}, r"preset='auto' chooses the stages .* by cross-validation in memory"),
    ],
    ids=["text", "image-part", "deep-preset", "aligner", "inner-aligner", "auto"],
)
def test_stages_without_a_dask_path_are_refused_before_any_work(stages, match):
    # The image files do not exist: reading one would raise another error than the one expected.
    images = db.from_sequence(["missing-1.png", "missing-2.png"], npartitions=1)
    texts = db.from_sequence(["a red circle", "a blue square"], npartitions=1)
    with pytest.raises(ParameterError, match=match):
        CrossModalRetriever(verbose=False, **stages).fit(images, texts, labels=[0, 1])


def test_concatenated_stages_on_bags_equal_in_memory(thread_client, collection):
    from classicx.image import ColorHistogram

    _, paths, texts, _, _ = collection
    images = db.from_sequence(paths, npartitions=3)
    union = ConcatFeatures([("a", ColorHistogram(verbose=False)), ("b", ColorHistogram(bins=(4, 2, 2), verbose=False))],
                           weights={"b": 0.5}, normalize="l2")
    out = union.fit(images).transform(images)
    assert out.dtype == np.float64 and union.n_features_out_ == 128 + 16
    np.testing.assert_array_equal(out.compute(), union.fit_transform(paths))
    # A stage that learns nothing from the images, as a whole stage.
    hsv = fit_features(ColorHistogram(verbose=False), images)
    np.testing.assert_array_equal(transform_features(hsv, images).compute(), hsv.transform(paths))
    # A sparse part made dense, then rows normalised: the in-memory numbers (the idf summed in another order).
    text_stage = build("tfidf|l2", "text_features").set_params(tfidf__verbose=False)
    bag = db.from_sequence(texts, npartitions=2)
    Z = text_stage.fit_transform(bag).compute()
    Z_memory = build("tfidf|l2", "text_features").set_params(tfidf__verbose=False).fit_transform(texts)
    np.testing.assert_allclose(Z, Z_memory, rtol=1e-14, atol=1e-15)
