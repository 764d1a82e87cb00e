import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer

from classicx.exceptions import (
    EmptyFeatureWarning,
    EmptyInputError,
    InputError,
    InputTypeError,
    MissingFileError,
    NotFittedError,
)
from classicx.text import (
    PretrainedEmbedding,
    Word2VecEmbedding,
    Tokenizer,
    load_word_vectors,
    pool_word_vectors,
)
from classicx.text.embeddings import SIF_ALPHA

VOCAB = {
    "red": [1.0, 0.0, 0.0],
    "blue": [0.0, 2.0, 0.0],
    "circle": [0.0, 0.0, 3.0],
    "square": [1.0, 1.0, 1.0],
}
TEXTS = ["red circle red", "blue square", "red blue circle square circle", "red"]


@pytest.fixture
def glove_file(tmp_path):
    p = tmp_path / "glove.txt"
    p.write_text(
        "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in VOCAB.items()),
        encoding="utf-8",
    )
    return p


def _tokens(text):
    return text.split()


def test_mean_oracle(glove_file):
    emb = PretrainedEmbedding(str(glove_file), pooling="mean").fit(TEXTS)
    new = ["red circle zebra", "square square blue"]
    expected = np.array(
        [np.mean([VOCAB[w] for w in _tokens(t) if w in VOCAB], axis=0) for t in new]
    )
    np.testing.assert_allclose(emb.transform(new), expected, atol=1e-12)


def test_tfidf_weighted_mean_oracle(glove_file):
    emb = PretrainedEmbedding(str(glove_file), pooling="tfidf").fit(TEXTS)
    ref = TfidfVectorizer(analyzer=str.split, norm=None, sublinear_tf=False).fit(TEXTS)
    new = ["red circle circle zebra", "square blue"]
    expected = []
    for t in new:
        w = {term: ref.transform([t])[0, i] for term, i in ref.vocabulary_.items()}
        total = sum(w.values())
        expected.append(sum(w[term] * np.array(VOCAB[term]) for term in w) / total)
    np.testing.assert_allclose(emb.transform(new), np.array(expected), atol=1e-12)
    # idf really weights: "red" (3 of 4 texts) counts less than "circle" (2 of 4) relative to the mean
    mean = np.mean([VOCAB["red"], VOCAB["circle"]], axis=0)
    assert not np.allclose(emb.transform(["red circle"])[0], mean)


def test_sif_oracle(glove_file):
    a = SIF_ALPHA
    assert a == 1e-3
    emb = PretrainedEmbedding(str(glove_file), pooling="sif").fit(TEXTS)
    tokens = [w for t in TEXTS for w in _tokens(t)]
    p = {w: tokens.count(w) / len(tokens) for w in VOCAB}

    def raw(text):
        ws = [w for w in _tokens(text) if w in VOCAB]
        return np.sum([a / (a + p[w]) * np.array(VOCAB[w]) for w in ws], axis=0) / len(
            ws
        )

    V = np.array([raw(t) for t in TEXTS])
    u = np.linalg.svd(V, full_matrices=False)[2][0]
    new = ["red circle", "blue blue square zebra"]
    expected = np.array([raw(t) - u * (u @ raw(t)) for t in new])
    np.testing.assert_allclose(
        emb.transform(new), expected, atol=1e-6
    )  # float32 vectors
    np.testing.assert_allclose(np.abs(emb.sif_component_), np.abs(u), atol=1e-6)
    # removal really happened: the fitted vectors have no component along u
    np.testing.assert_allclose(emb.transform(TEXTS) @ u, 0, atol=1e-6)
    # switching the pooling after fit needs no refit and gives the fresh fit's result
    switched = emb.set_params(pooling="sif").transform(new)
    fresh = (
        PretrainedEmbedding(str(glove_file), pooling="mean")
        .fit(TEXTS)
        .set_params(pooling="sif")
    )
    np.testing.assert_allclose(fresh.transform(new), switched)


def test_oov_counted_and_empty_docs_zero(glove_file):
    emb = PretrainedEmbedding(str(glove_file), pooling="sif").fit(TEXTS + ["zebra"])
    assert emb.oov_rate_ == pytest.approx(1 / 12)
    stats = emb.oov_statistics(["red zebra lion", "", "tiger"])
    assert stats == {"n_tokens": 4, "n_oov": 3, "oov_rate": 0.75, "n_empty": 2}
    for pooling in ("mean", "tfidf", "sif"):
        emb.set_params(pooling=pooling).fit(TEXTS)
        with pytest.warns(EmptyFeatureWarning, match="2 of 3"):
            D = emb.transform(["", "zebra lion", "red"])
        assert np.all(D[:2] == 0) and np.all(np.isfinite(D)) and np.any(D[2] != 0)


def test_transform_tokens_matches_transform(glove_file):
    emb = PretrainedEmbedding(str(glove_file), pooling="tfidf").fit(TEXTS)
    np.testing.assert_allclose(
        emb.transform_tokens([t.split() for t in TEXTS]), emb.transform(TEXTS)
    )
    with pytest.raises(InputTypeError, match=r"docs\[1\]"):
        emb.transform_tokens([["red"], "blue"])


def _gensim_vectors():
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    words = ["red", "blue", "circle", "北京", "naïve", "x-ray"]
    kv = KeyedVectors(vector_size=5)
    kv.add_vectors(words, rng.normal(size=(len(words), 5)).astype(np.float32))
    return words, kv


@pytest.mark.parametrize(
    "fmt, binary, header",
    [
        ("word2vec-binary", True, True),
        ("word2vec-text", False, True),
        ("glove", False, False),
    ],
)
def test_round_trip_gensim_written_files(tmp_path, fmt, binary, header):
    words, kv = _gensim_vectors()
    path = tmp_path / f"vectors.{fmt}"
    kv.save_word2vec_format(str(path), binary=binary, write_header=header)
    for requested in (fmt, "auto"):
        got_words, got = load_word_vectors(path, format=requested)
        assert got_words == words
        tol = 0 if binary else 1e-6  # text formats print floats with limited digits
        np.testing.assert_allclose(got, kv.vectors, atol=tol)
    emb = PretrainedEmbedding(str(path), format="auto", pooling="mean").fit(
        ["red circle", "北京"]
    )
    np.testing.assert_allclose(emb.transform(["北京"])[0], kv["北京"], atol=1e-6)


def test_load_errors(tmp_path):
    with pytest.raises(MissingFileError, match="nothere"):
        load_word_vectors(tmp_path / "nothere.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\nred 1 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.txt"):
        load_word_vectors(bad, format="word2vec-text")
    with pytest.raises(InputError, match="format"):
        load_word_vectors(bad, format="fasttext")


def test_pool_word_vectors_is_sparse_product():
    E = np.arange(6, dtype=float).reshape(3, 2)
    C = sp.csr_matrix([[1, 0, 3], [0, 0, 0]])
    np.testing.assert_allclose(pool_word_vectors(C, E), [(E[0] + 3 * E[2]) / 4, [0, 0]])
    with pytest.raises(InputError, match="columns"):
        pool_word_vectors(C, E[:2])
    with pytest.raises(InputError, match="idf"):
        pool_word_vectors(C, E, pooling="tfidf")
    with pytest.raises(InputError, match="pooling"):
        pool_word_vectors(C, E, pooling="max")


CORPUS = ["the red apple is sweet", "a red cherry is sweet", "sweet red fruit"] * 10 + [
    "the blue sea is deep",
    "a blue ocean is deep",
    "deep blue water",
] * 10


@pytest.mark.parametrize("architecture", ["skip-gram", "cbow"])
def test_word2vec_trains_and_is_reproducible(architecture):
    kw = {
        "vector_size": 16,
        "min_count": 2,
        "epochs": 20,
        "window": 3,
        "random_state": 0,
        "architecture": architecture,
    }
    a = Word2VecEmbedding(**kw).fit(CORPUS)
    b = Word2VecEmbedding(**kw).fit(CORPUS)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    assert a.vectors_.dtype == np.float32 and a.vectors_.shape == (
        len(a.vocabulary_),
        16,
    )
    assert {"red", "blue", "sweet", "deep"} <= set(a.vocabulary_)
    assert a.vocabulary_[:1] in (
        ["red"],
        ["blue"],
        ["sweet"],
        ["deep"],
    )  # most frequent first


def test_word2vec_threads_and_pooling():
    w2v = Word2VecEmbedding(
        vector_size=16, min_count=1, epochs=30, n_jobs=2, random_state=0, pooling="sif"
    )
    D = w2v.fit_transform(CORPUS)
    assert D.shape == (60, 16) and np.all(np.isfinite(D))
    Dn = D / np.linalg.norm(D, axis=1, keepdims=True)
    sim = Dn @ Dn.T
    same = sim[:30, :30].mean() + sim[30:, 30:].mean()
    cross = 2 * sim[:30, 30:].mean()
    assert same > cross


def test_word2vec_errors():
    with pytest.raises(EmptyInputError, match="min_count"):
        Word2VecEmbedding(min_count=5).fit(["one two", "three four"])
    with pytest.raises(InputError, match="architecture"):
        Word2VecEmbedding(architecture="glove").fit(CORPUS)
    with pytest.raises(InputError, match="pooling"):
        Word2VecEmbedding(pooling="max").fit(CORPUS)
    with pytest.raises(InputError, match="tokenizer"):
        Word2VecEmbedding(tokenizer="chinese").fit(CORPUS)
    with pytest.raises(InputTypeError, match=r"texts\[0\]"):
        Word2VecEmbedding().fit([None])
    with pytest.raises(NotFittedError):
        Word2VecEmbedding().transform(["a"])


@pytest.mark.parametrize("pooling", ["mean", "tfidf", "sif"])
def test_save_load_round_trip(tmp_path, glove_file, pooling):
    for est in (
        PretrainedEmbedding(str(glove_file), pooling=pooling),
        Word2VecEmbedding(
            vector_size=8, min_count=1, epochs=2, random_state=0, pooling=pooling
        ),
    ):
        est.fit(CORPUS[:6] + TEXTS)
        d = est.save(tmp_path / f"{type(est).__name__}-{pooling}")
        loaded = type(est).load(d)
        np.testing.assert_array_equal(loaded.transform(TEXTS), est.transform(TEXTS))
        assert loaded.vocabulary_ == est.vocabulary_


def test_loaded_pretrained_model_does_not_need_the_file(tmp_path, glove_file):
    est = PretrainedEmbedding(str(glove_file)).fit(TEXTS)
    est.save(tmp_path / "m")
    glove_file.unlink()
    np.testing.assert_array_equal(
        PretrainedEmbedding.load(tmp_path / "m").transform(TEXTS), est.transform(TEXTS)
    )


def test_clone_get_params_pipeline(glove_file):
    est = Word2VecEmbedding(
        vector_size=8, min_count=1, epochs=2, random_state=0, pooling="tfidf"
    )
    assert clone(est).get_params() == est.get_params()
    tuned = clone(est).set_params(tokenizer__stop_words=None)
    assert tuned.tokenizer.stop_words is None and est.tokenizer is None
    pipe = Pipeline([("emb", est), ("norm", Normalizer())]).fit(CORPUS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pipe.transform(["red apple"])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)
    pre = PretrainedEmbedding(str(glove_file), pooling="sif")
    assert clone(pre).get_params()["path"] == str(glove_file)


def test_feature_names(glove_file):
    emb = PretrainedEmbedding(str(glove_file)).fit(TEXTS)
    assert list(emb.get_feature_names_out()) == [
        "pretrainedembedding0",
        "pretrainedembedding1",
        "pretrainedembedding2",
    ]


MOSTLY_ENGLISH = "北京 is the capital city of the country"
ZH = ["今天北京天气很好", "北京的新闻", "上海天气不好", "北京足球比赛新闻"] * 3


def test_transform_uses_the_fitted_language_not_auto(tmp_path):
    # fitted on Chinese: the bigram 北京 is a word; auto-detection of this text alone says English
    words = ["北京", "北", "京", "capital", "city", "country"]
    path = tmp_path / "zh.txt"
    path.write_text("".join(f"{w} {i} {i % 2}\n" for i, w in enumerate(words, 1)), encoding="utf-8")
    for make in (
        lambda tok: PretrainedEmbedding(str(path), tokenizer=tok, verbose=False),
        lambda tok: Word2VecEmbedding(vector_size=4, min_count=1, epochs=1, tokenizer=tok, random_state=0,
                                      verbose=False),
    ):
        auto, chinese = make(None).fit(ZH), make(Tokenizer("chinese")).fit(ZH)
        assert auto.tokenizer_.language_ == "chinese"
        np.testing.assert_array_equal(auto.transform([MOSTLY_ENGLISH]), chinese.transform([MOSTLY_ENGLISH]))
        assert auto.oov_statistics([MOSTLY_ENGLISH]) == chinese.oov_statistics([MOSTLY_ENGLISH])
    # the planted bug this guards against: tokenising the text in its own auto-detected language
    fitted = PretrainedEmbedding(str(path), verbose=False).fit(ZH)
    english = PretrainedEmbedding(str(path), tokenizer=Tokenizer("english"), verbose=False).fit(ZH)
    assert not np.allclose(english.transform([MOSTLY_ENGLISH]), fitted.transform([MOSTLY_ENGLISH]))
