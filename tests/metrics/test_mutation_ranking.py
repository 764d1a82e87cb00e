"""Ranking metrics, relevance and curves: the cases left open by the session-6 mutation run of
``classicx/metrics/`` (see tests/README.md, "Session 6 runs"): a query without relevant items
has recall 0, empty 2-D labels and a bad ``n_points`` are refused by name.

Oracles: recall written out per query (found / relevant, 0 without relevant items) and the
messages of the validation layer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import EmptyInputError, ParameterError
from classicx.metrics import interpolated_precision_recall, recall_at_k, relevance_from_labels


def test_recall_is_zero_for_queries_without_relevant_items():
    rng = np.random.default_rng(0)
    for n_queries in (3, 17, 64):
        relevance = rng.random((n_queries, 9)) < 0.3
        relevance[::2] = False  # every other query has no relevant item
        ranking = np.argsort(rng.random((n_queries, 9)), axis=1)
        # Leave non-zero bytes in freed memory of the result's size, where an uninitialised
        # output would show them: several blocks, since the intermediate arrays of the same size
        # (the hit counts, the relevant counts) take the first ones (an `out=None` mutant then
        # shows 7.5 in 200 of 200 trials, against a few with one block).
        junk = [np.full(n_queries, 7.5) for _ in range(8)]
        del junk
        per_query = recall_at_k(ranking, relevance, k=4, average=False)
        expected = [
            relevance[q, ranking[q, :4]].sum() / relevance[q].sum() if relevance[q].any() else 0.0
            for q in range(n_queries)
        ]
        np.testing.assert_allclose(per_query, expected, rtol=0, atol=1e-15)
        assert recall_at_k(ranking, relevance, k=4) == pytest.approx(np.mean(expected), abs=1e-15)


@pytest.mark.parametrize("which", ["query_labels", "gallery_labels"])
def test_empty_indicator_labels_are_refused_by_name(which):
    empty, full = np.zeros((0, 3), dtype=bool), np.eye(3, dtype=bool)
    args = (empty, full) if which == "query_labels" else (full, empty)
    with pytest.raises(EmptyInputError, match=f"^{which} is empty$"):
        relevance_from_labels(*args)


@pytest.mark.parametrize("n_points", [1.5, 0, True])
def test_a_bad_n_points_is_refused_by_name(n_points):
    message = f"The 'n_points' parameter must be a positive integer. Got {n_points!r} instead."
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        interpolated_precision_recall([[0, 1]], np.array([[True, False]]), n_points=n_points)


@pytest.mark.parametrize("k", [0, 2.5, True])
def test_a_bad_k_is_refused_by_name(k):
    from classicx.metrics import precision_at_k

    message = f"The 'k' parameter must be a positive integer. Got {k!r} instead."
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        precision_at_k([[0, 1]], np.array([[True, False]]), k=k)
