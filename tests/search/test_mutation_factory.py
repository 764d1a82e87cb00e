"""make_searcher and its spec parser: tests written from the survivors of the session-5 mutation
run of ``search/factory.py`` (see tests/README.md, "Session 5"). Every spec is compared with the
object its docstring says it builds (constructor parameters, compared whole)."""

from __future__ import annotations

import pytest

from classicx.exceptions import InputError
from classicx.search import AnnoySearcher, ExactSearcher, FaissSearcher, HnswlibSearcher, make_searcher
from classicx.search.factory import _options, _value


@pytest.mark.parametrize(
    "text,expected",
    [
        ("true", True),
        (" TRUE ", True),
        ("False", False),
        (" false", False),
        ("12", 12),
        (" 12 ", 12),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (" abc ", "abc"),
        ("float64", "float64"),
        ("Flat", "Flat"),
    ],
)
def test_value_parses_booleans_ints_floats_and_strips_strings(text, expected):
    value = _value(text)
    assert value == expected and type(value) is type(expected)


def test_options_skip_empty_items_strip_names_and_split_at_the_first_equals_sign():
    assert _options(" a = 1 ,, b=x=y ,", ",", "spec") == {"a": 1, "b": "x=y"}
    assert _options("", ",", "spec") == {}
    assert _options("nprobe=4;efSearch=16", ";", "spec") == {"nprobe": 4, "efSearch": 16}


def test_options_error_names_the_spec_and_the_item():
    with pytest.raises(InputError) as info:
        _options("M=8, 32", ",", "hnswlib:M=8, 32")
    assert str(info.value) == "searcher spec 'hnswlib:M=8, 32': expected name=value, got '32'"


def _params(searcher):
    return type(searcher), searcher.get_params()


@pytest.mark.parametrize(
    "spec,metric,params,expected",
    [
        ("exact", "cosine", {}, ExactSearcher(metric="cosine")),
        (" Exact ", "euclidean", {}, ExactSearcher(metric="euclidean")),
        ("exact:chunk_size=128, dtype=float64", "kl", {}, ExactSearcher(metric="kl", chunk_size=128, dtype="float64")),
        ("HNSWLIB:M=8,ef_search=20", "cosine", {"ef_search": 30}, HnswlibSearcher(M=8, ef_search=30)),
        ("annoy:n_trees=7,search_k=100", "euclidean", {}, AnnoySearcher(metric="euclidean", n_trees=7, search_k=100)),
        ("annoy", "cosine", {}, AnnoySearcher()),
        ("faiss", "cosine", {}, FaissSearcher("HNSW32")),
        ("faiss:", "cosine", {}, FaissSearcher("HNSW32")),
        ("faiss: IVF8,Flat ", "euclidean", {}, FaissSearcher("IVF8,Flat", metric="euclidean")),
        ("faiss:IVF8,Flat;  ", "cosine", {}, FaissSearcher("IVF8,Flat")),
        (
            "faiss:IVF8,Flat;nprobe=4,k_factor_rf=2",
            "cosine",
            {},
            FaissSearcher("IVF8,Flat", search_params={"nprobe": 4, "k_factor_rf": 2}),
        ),
        ("faiss:HNSW16", "cosine", {"verbose": True}, FaissSearcher("HNSW16", verbose=True)),
        ("lsh", "cosine", {}, FaissSearcher("LSH256r")),
        ("lsh:nbits=64", "euclidean", {}, FaissSearcher("LSH64r", metric="euclidean")),
        ("lsh:rerank=0", "cosine", {}, FaissSearcher("LSH256r")),
        ("lsh:nbits=128,rerank=8", "cosine", {}, FaissSearcher("LSH128r,RFlat", search_params={"k_factor_rf": 8})),
        (" LSH :rerank=3", "cosine", {}, FaissSearcher("LSH256r,RFlat", search_params={"k_factor_rf": 3})),
    ],
)
def test_each_spec_builds_the_documented_searcher(spec, metric, params, expected):
    assert _params(make_searcher(spec, metric=metric, **params)) == _params(expected)


def test_defaults_are_an_exact_cosine_searcher():
    assert _params(make_searcher()) == _params(ExactSearcher(metric="cosine"))


def test_keyword_parameters_override_the_spec_but_metric_is_the_argument():
    searcher = make_searcher("exact:chunk_size=8", chunk_size=16, metric="euclidean")
    assert (searcher.chunk_size, searcher.metric) == (16, "euclidean")


def test_the_docstring_reprs():
    # scikit-learn wraps a long repr; the doctest normalises whitespace, so does this test
    assert " ".join(repr(make_searcher("faiss:IVF256,Flat;nprobe=16", metric="euclidean")).split()) == (
        "FaissSearcher(index='IVF256,Flat', metric='euclidean', search_params={'nprobe': 16})"
    )
    assert repr(make_searcher("hnswlib:M=32")) == "HnswlibSearcher(M=32)"


def test_errors_name_the_spec():
    with pytest.raises(InputError) as info:
        make_searcher(32)
    assert str(info.value) == "searcher spec must be a string such as 'faiss:HNSW32'; got 32"
    with pytest.raises(InputError) as info:
        make_searcher("scann:n=1")
    assert str(info.value) == (
        "unknown searcher backend 'scann' in spec 'scann:n=1'; expected one of "
        "'exact', 'faiss', 'hnswlib', 'annoy', 'lsh'"
    )
    with pytest.raises(InputError) as info:
        make_searcher("lsh:nbits=64,bits=3,x=1")
    assert str(info.value) == "searcher spec 'lsh:nbits=64,bits=3,x=1': lsh takes nbits and rerank, not ['bits', 'x']"
    with pytest.raises(InputError) as info:
        make_searcher("hnswlib:efs=3")
    message = str(info.value)
    assert message.startswith("searcher spec 'hnswlib:efs=3': ") and "efs" in message
    assert isinstance(info.value.__cause__, TypeError)
    with pytest.raises(InputError, match="expected name=value, got 'nprobe'"):
        make_searcher("faiss:IVF8,Flat;nprobe")


@pytest.mark.parametrize(
    "spec,item",
    [("exact:chunk_size", "chunk_size"), ("hnswlib:M=8,32", "32"), ("faiss:IVF8,Flat;nprobe", "nprobe"),
     ("lsh:nbits=64,rerank", "rerank")],
)
def test_option_errors_through_make_searcher_name_the_whole_spec(spec, item):
    with pytest.raises(InputError) as info:
        make_searcher(spec)
    assert str(info.value) == f"searcher spec {spec!r}: expected name=value, got {item!r}"
