"""The shape of the text estimators: composed parts, short constructors, scikit-learn's base order and tags."""

import inspect

import pytest
from sklearn.base import TransformerMixin
from sklearn.utils import get_tags

import classicx.text as text
from classicx.base import ClassicxEstimator

CLASSES = [getattr(text, name) for name in text.__all__ if isinstance(getattr(text, name), type)]
TRANSFORMERS = [cls for cls in CLASSES if cls is not text.Tokenizer]
TOKENIZER_SETTINGS = {"language", "segmenter", "lowercase", "stop_words", "ngram_range"}


def test_every_estimator_is_listed():
    assert {cls.__name__ for cls in CLASSES} == {
        "LdaTopics", "PretrainedEmbedding", "SentenceEmbedding", "TfidfFeatures", "TfidfLSA", "Tokenizer",
        "Word2VecEmbedding",
    }


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_at_most_ten_constructor_parameters(cls):
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert len(params) <= 10, params


@pytest.mark.parametrize("cls", TRANSFORMERS, ids=lambda c: c.__name__)
def test_tokenizer_settings_live_only_in_the_tokenizer(cls):
    params = set(inspect.signature(cls.__init__).parameters)
    assert not params & TOKENIZER_SETTINGS
    if cls is text.SentenceEmbedding:
        return  # a sentence model brings its own (subword) tokenizer; it has no classicx one
    assert ("tfidf" if cls is text.TfidfLSA else "tokenizer") in params
    assert set(cls._parameter_constraints) == params - {"self"}


@pytest.mark.parametrize("cls", TRANSFORMERS, ids=lambda c: c.__name__)
def test_mixin_order_and_string_input_tags(cls):
    mro = cls.__mro__
    assert mro.index(TransformerMixin) < mro.index(ClassicxEstimator)
    est = cls("unused.txt") if cls is text.PretrainedEmbedding else cls()
    tags = get_tags(est)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert hasattr(est, "get_feature_names_out")


def test_tokenizer_constraints_cover_its_parameters():
    assert set(text.Tokenizer._parameter_constraints) == TOKENIZER_SETTINGS
