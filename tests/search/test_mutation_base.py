"""BaseSearcher (add, labels, messages) and the searchers' documented defaults: tests written from
the survivors of the session-5 mutation run of ``search/base.py`` and the backends (see
tests/README.md, "Session 5")."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import InputError, InputTypeError, NonFiniteError, ShapeMismatchError
from classicx.search import AnnoySearcher, ExactSearcher, FaissSearcher, HnswlibSearcher


def _gallery(n=10, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_add_validates_the_vectors_by_name_and_in_the_searchers_dtype():
    searcher = ExactSearcher().fit(_gallery())  # float32 by default
    with pytest.raises(NonFiniteError) as info:
        searcher.add(np.full((2, 3), np.nan))
    assert str(info.value).startswith("ExactSearcher: vectors holds NaN or infinity in 2 row(s); first at row 0")
    # finite in float64, infinite once converted to the searcher's float32
    with pytest.raises(NonFiniteError) as info:
        searcher.add(np.array([[1.0, 2.0, 3.0], [1e39, 0.0, 0.0]]))
    assert str(info.value) == (
        "ExactSearcher: vectors holds NaN or infinity in 1 row(s); first at row 1 (after conversion to "
        "float32, whose values end at 3.4e+38: larger ones became infinite)"
    )
    with pytest.raises(ShapeMismatchError):
        searcher.add(_gallery(2, 2))
    assert len(searcher) == 10


def test_labels_of_added_vectors():
    G = _gallery(12)
    searcher = ExactSearcher(metric="euclidean").fit(G[:10], labels=np.arange(10) % 2)
    with pytest.raises(InputError) as info:
        searcher.add(G[10:])
    assert str(info.value) == "labels must be given to add() exactly when the searcher was fitted with labels"
    with pytest.raises(ShapeMismatchError) as info:
        searcher.add(G[10:], labels=np.eye(3, dtype=int)[[0, 1]])
    assert str(info.value) == "labels have shape (3,) per item but the gallery labels have ()"
    multi = ExactSearcher().fit(G[:10], labels=np.eye(3, dtype=int)[np.arange(10) % 3])
    with pytest.raises(ShapeMismatchError) as info:
        multi.add(G[10:], labels=np.eye(4, dtype=int)[[0, 1]])
    assert str(info.value) == "labels have shape (4,) per item but the gallery labels have (3,)"
    with pytest.raises(ShapeMismatchError):
        multi.add(G[10:], labels=[0, 1])
    # the new labels join the old ones, in order: an added item is found by its label
    searcher.add(G[10:], labels=[5, 0])
    np.testing.assert_array_equal(searcher.labels_, list(np.arange(10) % 2) + [5, 0])
    _, indices = searcher.search(G[10:11], k=3, allow_labels=5)
    np.testing.assert_array_equal(indices, [[10]])
    assert len(searcher) == 12
    unlabelled = ExactSearcher().fit(G[:10])
    with pytest.raises(InputError, match="exactly when"):
        unlabelled.add(G[10:], labels=[0, 1])
    assert unlabelled.add(G[10:]).labels_ is None and len(unlabelled) == 12


@pytest.mark.parametrize(
    "cls,defaults",
    [
        (FaissSearcher, {"index": "HNSW32", "metric": "cosine", "search_params": None, "verbose": False}),
        (HnswlibSearcher, {"metric": "cosine", "M": 16, "ef_construction": 200, "ef_search": 64, "n_jobs": 1, "random_state": 0}),
        (AnnoySearcher, {"metric": "cosine", "n_trees": 50, "search_k": -1, "n_jobs": 1, "random_state": 0}),
    ],
)
def test_documented_defaults(cls, defaults):
    assert cls().get_params() == defaults


def test_filter_messages_name_the_offending_entry():
    G = _gallery()
    searcher = ExactSearcher().fit(G)
    cases = [
        ({"allow_ids": [0, 10]}, InputError, "allow_ids[1] = 10 is not a gallery index (0 to 9)"),
        ({"allow_ids": [[3], [-1]]}, InputError, "allow_ids[1] = -1 is not a gallery index (0 to 9)"),
        ({"allow_ids": [1.0]}, InputTypeError, "allow_ids must hold integer gallery indices; got float64"),
        ({"allow_labels": 1}, InputError, "allow_labels needs gallery labels: pass labels= to fit()"),
        ({"allow_ids": np.ones(3, bool)}, ShapeMismatchError,
         "a boolean allow_ids must have one entry per gallery item (10); got shape (3,)"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error) as info:
            searcher.search(G[:1], **kwargs)
        assert str(info.value) == message
    # index 0 and the last index are gallery indices
    assert set(searcher.search(G[:1], k=5, allow_ids=[0, 9])[1][0].tolist()) == {0, 9}
    multi = ExactSearcher().fit(G, labels=np.eye(3, dtype=int)[np.arange(10) % 3])
    for wanted in (3, -1, [[0], [3]]):
        with pytest.raises(InputError, match="not a column of the 3-column label indicators"):
            multi.search(G[:1], allow_labels=wanted)
    np.testing.assert_array_equal(np.sort(multi.search(G[:1], k=None, allow_labels=[[0], [2]])[1][0]), [0, 2, 3, 5, 6, 8, 9])


def test_an_empty_allow_list_gives_empty_typed_results_and_k_defaults_to_ten():
    G = _gallery(n=20)
    for searcher in (ExactSearcher().fit(G), ExactSearcher(dtype="float64").fit(G)):
        scores, indices = searcher.search(G[:2], allow_ids=np.zeros(20, bool))
        assert scores.shape == indices.shape == (2, 0)
        assert scores.dtype == np.dtype(searcher.dtype) and indices.dtype == np.int64
        assert searcher.search(G[:2])[1].shape == (2, 10)


def test_tags_of_every_searcher():
    for searcher in (ExactSearcher(), ExactSearcher(metric="kl"), FaissSearcher()):
        tags = searcher.__sklearn_tags__()
        assert tags.input_tags.allow_nan is False and tags.target_tags.required is False
        assert tags.input_tags.positive_only is (searcher.metric == "kl")
