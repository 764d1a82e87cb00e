"""Ranking metrics against brute-force definitions written out loop by loop.

Each oracle below follows the textbook definition one query and one rank at a
time, shares no code with :mod:`classicx.metrics`, and is checked on random
rankings (truncated, with empty slots, with queries that have more relevant
items than the ranking holds), so an off-by-one in a cutoff changes the result.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from classicx.metrics import (
    average_precision,
    chance_average_precision,
    map_at_r,
    mean_average_precision,
    ndcg,
    precision_at_k,
    recall_at_k,
)


def oracle_ap(ranked, relevant, cutoff, denominator):
    """AP of one query: precision at each relevant rank within the cutoff, divided by D."""
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked[:cutoff], start=1):
        if item >= 0 and relevant[item]:
            hits += 1
            total += hits / rank
    n_relevant = int(sum(bool(r) for r in relevant))
    d = {"relevant": n_relevant, "retrieved": hits, "min": min(n_relevant, len(ranked[:cutoff]))}[denominator]
    return total / d if d else 0.0


def oracle_ap_at_r(ranked, relevant):
    """AP@R of one query (Musgrave et al. 2020): only ranks 1..R count, divided by R."""
    n_relevant = int(sum(bool(r) for r in relevant))
    if n_relevant == 0:
        return 0.0
    hits, total = 0, 0.0
    for rank in range(1, n_relevant + 1):
        item = ranked[rank - 1]
        if item >= 0 and relevant[item]:
            hits += 1
            total += hits / rank
    return total / n_relevant


def oracle_precision(ranked, relevant, k):
    return sum(1 for item in ranked[:k] if item >= 0 and relevant[item]) / k


def oracle_recall(ranked, relevant, k):
    n_relevant = int(sum(bool(r) for r in relevant))
    found = sum(1 for item in ranked[:k] if item >= 0 and relevant[item])
    return found / n_relevant if n_relevant else 0.0


def random_problem(seed, n_queries=5, n_gallery=12, width=None, empty_slots=False):
    rng = np.random.default_rng(seed)
    rel = rng.random((n_queries, n_gallery)) < rng.uniform(0.1, 0.7)
    rel[:, rng.integers(n_gallery)] = True  # every query has a relevant item
    width = n_gallery if width is None else width
    ranking = np.array([rng.permutation(n_gallery)[:width] for _ in range(n_queries)])
    if empty_slots and width > 1:
        # an approximate searcher pads with -1 at the end of a row
        ranking[0, -1] = -1
    return ranking, rel


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 15), nq=st.integers(1, 6))
def test_map_at_r_equals_the_definition(seed, n, nq):
    ranking, rel = random_problem(seed, nq, n)
    expected = [oracle_ap_at_r(ranking[q], rel[q]) for q in range(nq)]
    np.testing.assert_allclose(map_at_r(ranking, rel, average=False), expected, rtol=0, atol=1e-12)
    assert map_at_r(ranking, rel) == pytest.approx(np.mean(expected), abs=1e-12)


def test_map_at_r_counts_exactly_r_ranks():
    # R = 2 and the only relevant items sit at ranks 2 and 3: rank 3 is beyond R.
    rel = np.array([[False, True, True, False]])
    ranking = np.array([[0, 1, 2, 3]])
    assert map_at_r(ranking, rel) == pytest.approx((1 / 2) / 2)
    # R = 1 with the relevant item at rank 2: nothing within the cutoff.
    assert map_at_r([[0, 1, 2, 3]], np.array([[False, True, False, False]])) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 15),
    width=st.integers(1, 15),
    k=st.integers(1, 15),
    denominator=st.sampled_from(["relevant", "retrieved", "min"]),
    empty=st.booleans(),
)
def test_average_precision_equals_the_definition(seed, n, width, k, denominator, empty):
    width = min(width, n)
    k = min(k, width)
    ranking, rel = random_problem(seed, 4, n, width=width, empty_slots=empty)
    expected = [oracle_ap(ranking[q], rel[q], k, denominator) for q in range(4)]
    got = average_precision(ranking, rel, k=k, denominator=denominator, average=False)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert mean_average_precision(ranking, rel, k=k, denominator=denominator) == pytest.approx(
        np.mean(expected), abs=1e-12
    )
    full = [oracle_ap(ranking[q], rel[q], width, "relevant") for q in range(4)]
    assert average_precision(ranking, rel) == pytest.approx(np.mean(full), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 15), k=st.integers(1, 15), empty=st.booleans())
def test_precision_and_recall_at_k_equal_the_definition(seed, n, k, empty):
    k = min(k, n)
    ranking, rel = random_problem(seed, 4, n, empty_slots=empty)
    p = [oracle_precision(ranking[q], rel[q], k) for q in range(4)]
    r = [oracle_recall(ranking[q], rel[q], k) for q in range(4)]
    np.testing.assert_allclose(precision_at_k(ranking, rel, k, average=False), p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(recall_at_k(ranking, rel, k, average=False), r, rtol=0, atol=1e-12)
    assert precision_at_k(ranking, rel, k) == pytest.approx(np.mean(p), abs=1e-12)
    assert recall_at_k(ranking, rel, k) == pytest.approx(np.mean(r), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 15), k=st.integers(1, 15))
def test_ndcg_per_query_equals_sklearn(seed, n, k):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    gains = rng.integers(0, 4, size=(3, n))
    gains[:, 0] += 1  # no all-zero query (sklearn and classicx agree on 0 there too)
    ranking = np.array([rng.permutation(n) for _ in range(3)])
    per_query = ndcg(ranking, gains, k=k, average=False)
    for q in range(3):
        scores = np.empty(n)
        scores[ranking[q]] = -np.arange(n)
        assert per_query[q] == pytest.approx(ndcg_score(gains[q : q + 1], scores[None, :], k=k), abs=1e-12)
    assert ndcg(ranking, gains, k=k) == pytest.approx(per_query.mean(), abs=1e-15)


def test_chance_average_precision_is_the_mean_of_random_rankings():
    # Monte Carlo over uniformly random full rankings agrees with the closed form.
    rng = np.random.default_rng(0)
    rel = np.zeros((1, 9), dtype=bool)
    rel[0, [1, 4, 7]] = True
    rankings = np.array([rng.permutation(9) for _ in range(20000)])
    sampled = average_precision(rankings, np.repeat(rel, len(rankings), axis=0))
    assert chance_average_precision(rel) == pytest.approx(sampled, abs=5e-3)


@pytest.mark.parametrize(
    "func",
    [
        lambda r, rel, **kw: average_precision(r, rel, **kw),
        lambda r, rel, **kw: average_precision(r, rel, k=3, denominator="retrieved", **kw),
        lambda r, rel, **kw: map_at_r(r, rel, **kw),
        lambda r, rel, **kw: precision_at_k(r, rel, 3, **kw),
        lambda r, rel, **kw: recall_at_k(r, rel, 3, **kw),
        lambda r, rel, **kw: ndcg(r, rel, k=3, **kw),
        lambda r, rel, **kw: chance_average_precision(rel, **kw),
    ],
    ids=["average_precision", "map_at_k", "map_at_r", "precision_at_k", "recall_at_k", "ndcg", "chance"],
)
def test_every_per_query_metric_averages_by_default(func):
    ranking, rel = random_problem(3, n_queries=6, n_gallery=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every query has a relevant item: no warning either way
        per_query = func(ranking, rel, average=False)
        mean = func(ranking, rel)
    assert isinstance(per_query, np.ndarray) and per_query.shape == (6,)
    assert isinstance(mean, float) and math.isclose(mean, float(per_query.mean()), abs_tol=1e-15)
