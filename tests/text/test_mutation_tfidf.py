"""TfidfFeatures and TfidfLSA: the checks of a loaded model, the dask dispatch, the one-text row
and the float32 LSA, written from the survivors of the session-6 mutation run of
``classicx/text/tfidf.py`` (see tests/README.md, "Session 6 runs").

The oracles: scikit-learn's ``TfidfVectorizer`` and ``TruncatedSVD``, numpy's SVD, and the
documented messages of ``_check_loaded_state`` (loading turns its ``ValueError`` into a
``ModelFormatError`` naming the model directory, with the message inside).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import ModelFormatError, ParameterError
from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

TEXTS = ["red circle red", "blue square", "red square green", "green circle blue", "yellow star"]


def _features():
    return TfidfFeatures(verbose=False).fit(TEXTS)


def _lsa(**params):
    return TfidfLSA(n_components=2, random_state=0, verbose=False, **params).fit(TEXTS)


def _refused(estimator, message):
    """``_check_loaded_state`` raises a ValueError whose whole message is ``message``."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        estimator._check_loaded_state()


# --- TfidfFeatures._check_loaded_state -------------------------------------------------------


def test_features_unfitted_state_passes_and_a_half_fitted_state_is_refused():
    TfidfFeatures()._check_loaded_state()  # saved unfitted: nothing to check
    only_vocabulary = TfidfFeatures(verbose=False)
    only_vocabulary.tokenizer_, only_vocabulary.vocabulary_ = _features().tokenizer_, {"red": 0}
    _refused(only_vocabulary, "TfidfFeatures: idf_ must be 1 floats, one per term; found NoneType")
    only_idf = TfidfFeatures(verbose=False)
    only_idf.tokenizer_, only_idf.idf_ = _features().tokenizer_, np.ones(1)
    _refused(only_idf, "TfidfFeatures: vocabulary_ must be a non-empty dict, found NoneType")


def test_features_parameters_are_checked_at_load():
    tf = _features()
    tf._check_loaded_state()
    tf.norm = "l3"
    with pytest.raises(ParameterError, match="'norm' parameter of TfidfFeatures"):
        tf._check_loaded_state()


@pytest.mark.parametrize("tokenizer, found", [(None, "NoneType"), ("word", "str"), (False, "missing")])
def test_features_tokenizer_must_be_callable(tokenizer, found):
    tf = _features()
    if found == "missing":
        del tf.tokenizer_
        found = "NoneType"
    else:
        tf.tokenizer_ = tokenizer
    _refused(tf, f"TfidfFeatures: tokenizer_ must be a fitted tokenizer, found {found}")


@pytest.mark.parametrize("vocabulary, message", [
    ({}, "vocabulary_ must be a non-empty dict, found dict"),
    (["red"], "vocabulary_ must be a non-empty dict, found list"),
    ({"red": 0, "blue": True}, "vocabulary_ must map str terms to int columns"),
    ({"red": 0, "blue": -1}, "vocabulary_ columns must be 0..n_terms-1, each once"),
])
def test_features_vocabulary_is_checked_whole(vocabulary, message):
    tf = _features()
    tf.vocabulary_ = vocabulary
    tf.idf_ = np.ones(len(vocabulary))
    _refused(tf, f"TfidfFeatures: {message}")


@pytest.mark.parametrize("idf, found", [
    ([1.0, 2.0], "list"),
    (np.ones(3), "(3,)"),
    (np.ones((2, 1)), "(2, 1)"),
    (np.ones(2, dtype=np.int64), "(2,)"),
])
def test_features_idf_must_be_one_float_per_term(idf, found):
    tf = TfidfFeatures(verbose=False).fit(["red", "blue"])
    tf.idf_ = idf
    _refused(tf, f"TfidfFeatures: idf_ must be 2 floats, one per term; found {found}")


def test_features_load_reports_the_check_as_a_model_format_error(tmp_path):
    tf = _features()
    tf.save(tmp_path)
    loaded = type(tf).load(tmp_path)
    np.testing.assert_array_equal(loaded.transform(TEXTS).toarray(), tf.transform(TEXTS).toarray())


# --- TfidfLSA._check_loaded_state -------------------------------------------------------------


def test_lsa_unfitted_passes_and_parameters_are_checked():
    TfidfLSA()._check_loaded_state()
    lsa = _lsa()
    lsa.n_iter = -1
    with pytest.raises(ParameterError, match="'n_iter' parameter of TfidfLSA"):
        lsa._check_loaded_state()


@pytest.mark.parametrize("tfidf, found", [(object(), "object"), ("tfidf", "str"), (None, "NoneType")])
def test_lsa_tfidf_step_must_have_transform(tfidf, found):
    lsa = _lsa()
    lsa.tfidf_ = tfidf
    _refused(lsa, f"TfidfLSA: tfidf_ must be a fitted TF-IDF step, found {found}")


def _n_terms():
    return len(_features().vocabulary_)


@pytest.mark.parametrize("edit", ["rows", "columns", "float_n", "no_n", "ints", "three_d", "list"])
def test_lsa_components_must_fit_n_components_and_the_terms(edit):
    lsa = _lsa()
    t = _n_terms()
    shape = (2, t)
    if edit == "rows":
        lsa.components_, shape = np.asfortranarray(np.ones((3, t))), (3, t)
    elif edit == "columns":
        lsa.components_, shape = np.asfortranarray(np.ones((2, t + 1))), (2, t + 1)
    elif edit == "float_n":
        lsa.n_components_ = 2.0
    elif edit == "no_n":
        del lsa.n_components_
    elif edit == "ints":
        lsa.components_ = np.asfortranarray(np.ones((2, t), dtype=np.int64))
    elif edit == "three_d":
        lsa.components_, shape = np.ones((2, t, 1)), (2, t, 1)
    elif edit == "list":
        lsa.components_, shape = np.ones((2, t)).tolist(), None
    n = {"float_n": 2.0, "no_n": None}.get(edit, 2)
    _refused(lsa, f"TfidfLSA: components_ of shape {shape} do not fit n_components_={n!r} "
                  f"and the {t} terms of tfidf_")


def test_lsa_components_of_another_float_type_are_refused():
    lsa = _lsa()
    lsa.components_ = lsa.components_.astype(np.float16)
    _refused(lsa, "TfidfLSA: components_ must be float32 or float64, found float16")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lsa_c_ordered_components_are_put_in_fortran_order_at_load(dtype):
    lsa = _lsa(dtype=dtype)
    expected = lsa.transform(TEXTS)
    c_ordered = np.ascontiguousarray(lsa.components_)
    assert not c_ordered.flags.f_contiguous
    lsa.components_ = c_ordered
    lsa.dtype = "float64" if dtype == "float32" else "float32"  # what an older model would say
    lsa._check_loaded_state()
    assert lsa.components_.flags.f_contiguous and lsa.dtype == dtype
    np.testing.assert_array_equal(lsa.components_, c_ordered)
    np.testing.assert_array_equal(lsa.transform(TEXTS), expected)


def test_a_tampered_lsa_is_a_model_format_error_naming_the_check(tmp_path):
    lsa = _lsa()
    lsa.save(tmp_path)
    import json

    meta_file = next(p for p in tmp_path.iterdir() if p.suffix == ".json")
    meta = json.loads(meta_file.read_text())
    meta["root"]["state"]["n_components_"] = 3
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match=r"do not fit n_components_=3"):
        TfidfLSA.load(tmp_path)


# --- the dask dispatch (local synchronous scheduler, no cluster) -------------------------------


def test_dask_bags_go_to_the_distributed_fit_and_transform(monkeypatch):
    dask = pytest.importorskip("dask")
    db = pytest.importorskip("dask.bag")
    import classicx.text.tfidf as tfidf_module

    fitted = []

    def recording_dask_fit(estimator, *args):
        fitted.append(type(estimator).__name__)
        return dask_fit(estimator, *args)

    dask_fit = tfidf_module.dask_fit
    monkeypatch.setattr(tfidf_module, "dask_fit", recording_dask_fit)
    with dask.config.set(scheduler="synchronous"):
        bag = db.from_sequence(TEXTS, npartitions=2)
        tf = TfidfFeatures(verbose=False)
        assert tf.fit(bag) is tf
        # Through the per-partition counts, not by iterating the bag here (which would also work).
        assert fitted == ["TfidfFeatures"]
        reference = TfidfFeatures(verbose=False).fit(TEXTS)
        assert tf.vocabulary_ == reference.vocabulary_
        np.testing.assert_allclose(tf.idf_, reference.idf_, rtol=1e-12)
        X = TfidfFeatures(verbose=False).fit_transform(bag)
        X = X.compute() if hasattr(X, "compute") else X
        np.testing.assert_allclose(X.toarray(), reference.transform(TEXTS).toarray(), rtol=1e-12)
        Xt = reference.transform(bag)
        Xt = Xt.compute() if hasattr(Xt, "compute") else Xt
        np.testing.assert_allclose(Xt.toarray(), reference.transform(TEXTS).toarray(), rtol=1e-12)

        lsa = TfidfLSA(n_components=2, random_state=0, verbose=False)
        assert lsa.fit(bag) is lsa
        Z = lsa.fit_transform(bag)
        assert fitted == ["TfidfFeatures", "TfidfFeatures", "TfidfLSA", "TfidfLSA"]
        Z = np.asarray(Z.compute() if hasattr(Z, "compute") else Z)
        np.testing.assert_allclose(Z, lsa.transform(TEXTS), rtol=1e-10, atol=1e-12)
        # The workers' randomized SVD spans the top right singular vectors of the TF-IDF matrix.
        _, _, Vt = np.linalg.svd(reference.transform(TEXTS).toarray(), full_matrices=False)
        np.testing.assert_allclose(np.abs(lsa.components_), np.abs(Vt[:2]), atol=1e-5)
