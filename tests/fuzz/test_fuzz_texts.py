"""Texts: non-UTF-8 and oversized files, oversized inline texts, arbitrary Unicode through the estimators."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from classicx import CrossModalRetriever
from classicx.datasets import load_synthetic
from classicx.exceptions import ClassicxError, InputError, TextReadError
from classicx.text import TfidfFeatures, TfidfLSA, read_text
from classicx.utils.validation import MAX_TEXT_CHARS, check_texts

from .conftest import MODES, explore, outcome

_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=60)


@pytest.mark.parametrize("profile", MODES)
def test_text_files_of_arbitrary_bytes(tmp_path, profile):
    def check(raw, encoding):
        path = tmp_path / "doc.txt"
        path.write_bytes(raw)
        result = outcome(lambda: read_text(path, encoding=encoding, format="txt"), names="doc.txt")
        try:
            expected = raw.decode(encoding)
        except UnicodeDecodeError:
            assert isinstance(result, TextReadError) and "cannot decode" in str(result)
        else:
            assert result == expected.removeprefix("\ufeff")
        # errors="replace" always reads, exactly as bytes.decode does
        replaced = read_text(path, encoding=encoding, errors="replace", format="txt")
        assert replaced == raw.decode(encoding, errors="replace").removeprefix("\ufeff")

    explore(profile, check, st.binary(max_size=200), st.sampled_from(["utf-8", "gbk", "latin-1", "utf-16"]))


def test_a_text_file_above_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(4 * MAX_TEXT_CHARS + 1)   # a sparse file: nothing is written
    with pytest.raises(TextReadError, match=r"huge\.txt: text file of 40,000,001 bytes, above the limit"):
        read_text(path)


def test_a_decoded_text_above_the_limit_is_refused(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("ab" * 60, encoding="utf-8")
    with pytest.raises(TextReadError, match=r"long\.txt: the text has 120 characters, above the limit of 100"):
        read_text(path, max_chars=100)
    assert read_text(path, max_chars=None) == "ab" * 60
    with pytest.raises(TextReadError, match="XML string of"):
        read_text("<doc><text>" + "x" * 200 + "</text></doc>", max_chars=100)


def test_inline_texts_above_the_limit_name_the_row():
    texts = ["short", "x" * (MAX_TEXT_CHARS + 1)]
    with pytest.raises(InputError, match=r"texts\[1\] has 10,000,001 characters, above the limit of 10,000,000"):
        check_texts(texts)
    with pytest.raises(InputError, match=r"texts\[1\] has 10,000,001 characters"):
        TfidfFeatures().fit(texts)


@pytest.mark.parametrize("profile", MODES)
def test_text_estimators_on_arbitrary_unicode(profile):
    def check(texts):
        for estimator in (TfidfFeatures(), TfidfLSA(n_components=2, random_state=0)):
            model = outcome(lambda est=estimator: est.fit(texts))
            if isinstance(model, ClassicxError):
                continue
            Z = outcome(lambda m=model: m.transform(texts))
            if not isinstance(Z, ClassicxError):
                values = Z.toarray() if hasattr(Z, "toarray") else Z
                assert values.shape[0] == len(texts) and np.isfinite(values).all()

    explore(profile, check, st.lists(_ANY_TEXT | st.sampled_from(["red", "red red", "blue car", ""]), max_size=6))


def test_identical_training_texts_give_a_saveable_lsa(tmp_path):
    # All rows alike: no variance to explain. The ratio is 0, not NaN (a NaN attribute would make
    # the saved model unloadable, since loading refuses non-finite fitted arrays).
    model = TfidfLSA(n_components=1, random_state=0).fit(["red blue", "red blue"])
    assert np.isfinite(model.explained_variance_ratio_).all()
    model.save(tmp_path / "lsa")
    np.testing.assert_allclose(TfidfLSA.load(tmp_path / "lsa").transform(["red"]), model.transform(["red"]))


def test_a_one_word_vocabulary_is_a_clear_error():
    with pytest.raises(InputError, match=r"TfidfLSA: the 3 training texts hold 1 distinct term\(s\) \('red'\)"):
        TfidfLSA().fit(["red", "red red", "Red!"])
    with pytest.raises(InputError, match="no tokens found in any text"):
        TfidfLSA().fit(["!!", "??"])


@pytest.fixture(scope="module")
def retriever():
    data = load_synthetic(n_train=60, n_test=10, random_state=0)
    return CrossModalRetriever(verbose=False, random_state=0).fit(
        data.train.images, data.train.texts, labels=data.train.labels
    )


@pytest.mark.parametrize("query, k, message", [
    (None, 10, "text must be a sequence of strings, got None"),
    ([], 10, "no text given"),
    ("red", None, "'k' parameter must be a positive integer. Got None"),
    ("red", 0, "'k' parameter must be a positive integer"),
    ("red", 2.5, "'k' parameter must be a positive integer"),
    (["red", 3], 5, r"text\[1\] is int, expected str"),
    (b"red", 5, "single bytes"),
])
def test_bad_text_queries_are_classicx_errors(retriever, query, k, message):
    with pytest.raises(ClassicxError, match=message):
        retriever.search_text(query, k=k)


@pytest.mark.parametrize("profile", MODES)
def test_arbitrary_text_queries_give_hits_or_a_classicx_error(retriever, profile):
    n_gallery = len(retriever.image_ids_)

    def check(query, k):
        hits = outcome(lambda: retriever.search_text(query, k=k))
        if isinstance(hits, ClassicxError):
            return
        assert [h.rank for h in hits] == list(range(1, min(k, n_gallery) + 1))
        assert all(np.isfinite(h.score) for h in hits)

    explore(profile, check, _ANY_TEXT, st.integers(1, 100))


@pytest.mark.parametrize("image, k, message", [
    (None, 5, "NoneType image at row 0"),
    ([], 5, "no images given"),
    ("IMAGE", None, "'k' parameter must be a positive integer. Got None"),
])
def test_bad_image_queries_are_classicx_errors(retriever, image, k, message):
    image = np.zeros((32, 32, 3), np.uint8) if isinstance(image, str) else image
    with pytest.raises(ClassicxError, match=message):
        retriever.search_image(image, k=k)
