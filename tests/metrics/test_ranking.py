"""Tests for classicx.metrics.ranking: hand-computed examples and scikit-learn oracles."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score

from classicx.exceptions import (
    ClassicxWarning,
    InputError,
    InputTypeError,
    ShapeMismatchError,
)
from classicx.metrics import (
    average_precision,
    chance_average_precision,
    map_at_r,
    mean_average_precision,
    precision_at_k,
    recall_at_k,
)

# One query, gallery of 6; relevant items 1, 3, 4 (R = 3).
REL = np.array([[False, True, False, True, True, False]])
RANK = np.array([[1, 0, 3, 5, 2, 4]])  # hits at ranks 1, 3, 6


def test_average_precision_hand_computed():
    # precision at the hits: 1/1, 2/3, 3/6
    np.testing.assert_allclose(average_precision(RANK, REL, average=False), [(1 + 2 / 3 + 1 / 2) / 3])


def test_map_at_k_denominators_hand_computed():
    # top 3 holds hits at ranks 1 and 3: sum of precisions = 1 + 2/3
    s = 1 + 2 / 3
    assert mean_average_precision(RANK, REL, k=3) == pytest.approx(s / 3)  # R = 3
    assert mean_average_precision(RANK, REL, k=3, denominator="retrieved") == pytest.approx(s / 2)
    assert mean_average_precision(RANK, REL, k=2, denominator="min") == pytest.approx(1 / 2)
    assert mean_average_precision(RANK, REL, k=4, denominator="min") == pytest.approx(s / 3)


def test_map_at_r_hand_computed():
    # R = 3: the top 3 holds hits at ranks 1 and 3
    assert map_at_r(RANK, REL) == pytest.approx((1 + 2 / 3) / 3)
    with pytest.raises(InputError, match="query 0 has R=3"):
        map_at_r(RANK[:, :2], REL)


def test_precision_recall_at_k_hand_computed():
    assert precision_at_k(RANK, REL, 3) == pytest.approx(2 / 3)
    assert recall_at_k(RANK, REL, 3) == pytest.approx(2 / 3)
    assert recall_at_k(RANK, REL, 6) == 1.0
    np.testing.assert_allclose(precision_at_k(np.vstack([RANK, RANK]), np.vstack([REL, ~REL]), 1, average=False), [1, 0])


def test_truncated_ranking_and_empty_slots():
    # Only 3 returned, the last one empty (-1): hit at rank 1 only; R = 3 from the relevance.
    ranking = np.array([[1, 0, -1]])
    assert average_precision(ranking, REL) == pytest.approx(1 / 3)
    assert precision_at_k(ranking, REL, 3) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, REL, 3) == pytest.approx(1 / 3)


def test_query_without_relevant_items_scores_zero_with_warning():
    rel = np.vstack([REL, np.zeros_like(REL)])
    ranking = np.vstack([RANK, RANK])
    with pytest.warns(ClassicxWarning, match="row 1"):
        ap = average_precision(ranking, rel, average=False)
    assert ap[1] == 0 and ap[0] > 0
    with pytest.warns(ClassicxWarning):
        assert chance_average_precision(rel, average=False)[1] == 0


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    frac=st.floats(0.05, 1.0),
)
def test_full_ranking_ap_equals_sklearn(n, seed, frac):
    rng = np.random.default_rng(seed)
    rel = rng.random((3, n)) < frac
    rel[:, rng.integers(n)] = True  # every query has a relevant item
    ranking = np.array([rng.permutation(n) for _ in range(3)])
    ap = average_precision(ranking, rel, average=False)
    for q in range(3):
        scores = np.empty(n)
        scores[ranking[q]] = -np.arange(n)  # distinct scores: no ties for sklearn to average
        assert ap[q] == pytest.approx(average_precision_score(rel[q], scores))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 25), k=st.integers(1, 25), seed=st.integers(0, 2**32 - 1))
def test_truncated_ap_properties(n, k, seed):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    rel = rng.random((4, n)) < 0.4
    rel[:, 0] = True
    ranking = np.array([rng.permutation(n) for _ in range(4)])
    full = average_precision(ranking, rel, average=False)
    top = average_precision(ranking, rel, k=k, average=False)
    retrieved = average_precision(ranking, rel, k=k, denominator="retrieved", average=False)
    # Truncating can only lose terms; dividing by fewer relevant items can only raise it.
    assert np.all(top <= full + 1e-12)
    assert np.all(retrieved >= top - 1e-12)
    assert np.all((0 <= retrieved) & (retrieved <= 1))
    np.testing.assert_allclose(average_precision(ranking, rel, k=n, average=False), full)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_chance_ap_is_exact_over_all_permutations(n):
    for r in range(1, n + 1):
        rel = np.zeros((1, n), dtype=bool)
        rel[0, :r] = True
        rankings = np.array(list(itertools.permutations(range(n))))
        expected = average_precision(rankings, np.repeat(rel, len(rankings), axis=0))
        assert chance_average_precision(rel) == pytest.approx(expected)


def test_chance_ap_large_gallery_close_to_prevalence():
    rel = np.zeros((2, 10000), dtype=bool)
    rel[0, :100] = True
    rel[1, :5000] = True
    chance = chance_average_precision(rel, average=False)
    harmonic = sum(1 / i for i in range(1, 10001))
    assert chance[0] == pytest.approx((harmonic + 99 / 9999 * (10000 - harmonic)) / 10000)
    assert 0.01 < chance[0] < 0.012 and 0.5 < chance[1] < 0.501
    assert chance_average_precision(rel, average=True) == pytest.approx(chance.mean())
    assert math.isfinite(chance_average_precision(np.ones((1, 1), dtype=bool)))


def test_input_validation():
    with pytest.raises(ShapeMismatchError, match="2 rows"):
        average_precision(np.zeros((2, 3), dtype=int), np.ones((3, 4), dtype=bool))
    with pytest.raises(InputError, match=r"ranking\[0, 1\] = 9"):
        average_precision([[0, 9]], np.ones((1, 4), dtype=bool))
    with pytest.raises(InputError, match="twice"):
        average_precision([[1, 1]], np.ones((1, 4), dtype=bool))
    with pytest.raises(InputTypeError):
        average_precision([[0.5, 1.0]], np.ones((1, 4), dtype=bool))
    with pytest.raises(InputTypeError, match="bool"):
        average_precision([[0, 1]], np.full((1, 4), 2))
    with pytest.raises(InputError, match="k=5"):
        precision_at_k([[0, 1]], np.ones((1, 4), dtype=bool), 5)
    with pytest.raises(InputError, match="denominator"):
        mean_average_precision([[0, 1]], np.ones((1, 4), dtype=bool), k=1, denominator="R")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert precision_at_k([[0, 1]], np.array([[1, 0, 0, 1]]), 2) == 0.5


def test_duplicates_found_in_full_rankings():
    rel = np.ones((2, 5), dtype=bool)
    with pytest.raises(InputError, match="row 1 lists gallery item 3 twice"):
        average_precision([[0, 1, 2, 3, 4], [3, 1, 2, 3, 4]], rel)
