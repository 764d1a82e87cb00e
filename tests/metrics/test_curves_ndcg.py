"""Tests for PR curves and NDCG against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score
from sklearn.metrics import precision_recall_curve as sk_pr_curve

from classicx.exceptions import InputError
from classicx.metrics import (
    interpolated_precision_recall,
    ndcg,
    precision_recall_curve,
    relevance_from_labels,
)

REL = np.array([[False, True, False, True, True, False]])
RANK = np.array([[1, 0, 3, 5, 2, 4]])  # hits at ranks 1, 3, 6


def test_full_curve_hand_computed():
    p, r = precision_recall_curve(RANK, REL)
    np.testing.assert_allclose(p, [1, 1 / 2, 2 / 3, 2 / 4, 2 / 5, 3 / 6])
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1])


def test_eleven_point_hand_computed():
    levels, p = interpolated_precision_recall(RANK, REL)
    np.testing.assert_allclose(levels, np.linspace(0, 1, 11))
    # recall 1/3 reached at rank 1 (p=1); 2/3 at rank 3 (p=2/3); 1 at rank 6 (p=1/2)
    expected = [1, 1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 1 / 2, 1 / 2, 1 / 2, 1 / 2]
    np.testing.assert_allclose(p, expected)


def test_eleven_point_exact_level_and_truncation():
    # 10 relevant, hits at ranks 1..3: recall 0.3 exactly must count for level 0.3
    rel = np.zeros((1, 20), dtype=bool)
    rel[0, :10] = True
    _levels, p = interpolated_precision_recall(np.arange(3)[None, :], rel)
    np.testing.assert_allclose(p, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 30), seed=st.integers(0, 2**32 - 1))
def test_full_curve_matches_sklearn(n, seed):
    rng = np.random.default_rng(seed)
    rel = rng.random((1, n)) < 0.4
    rel[0, rng.integers(n)] = True
    ranking = rng.permutation(n)[None, :]
    scores = np.empty(n)
    scores[ranking[0]] = -np.arange(n)
    sk_p, sk_r, _ = sk_pr_curve(rel[0], scores, drop_intermediate=False)
    p, r = precision_recall_curve(ranking, rel, average=False)
    # sklearn lists thresholds from the lowest (whole list) up and appends (1, 0)
    np.testing.assert_allclose(p[0], sk_p[:-1][::-1])
    np.testing.assert_allclose(r[0], sk_r[:-1][::-1])
    # interpolated precision never increases with recall and dominates the raw curve
    _, ip = interpolated_precision_recall(ranking, rel, average=False)
    assert np.all(np.diff(ip[0]) <= 1e-12)


def test_curves_average_over_queries():
    rel = np.vstack([REL, ~REL])
    ranking = np.vstack([RANK, RANK])
    p, r = precision_recall_curve(ranking, rel, average=False)
    pm, rm = precision_recall_curve(ranking, rel)
    np.testing.assert_allclose(pm, p.mean(axis=0))
    np.testing.assert_allclose(rm, r.mean(axis=0))
    with pytest.raises(InputError, match="n_points"):
        interpolated_precision_recall(ranking, rel, n_points=1)


def test_ndcg_hand_computed():
    rel = np.array([[0, 2, 1, 3]])
    ranking = np.array([[3, 0, 1]])  # gains 3, 0, 2
    dcg = 3 + 0 + 2 / np.log2(4)
    idcg = 3 + 2 / np.log2(3) + 1 / np.log2(4)
    assert ndcg(ranking, rel) == pytest.approx(dcg / idcg)
    assert ndcg(ranking, rel, k=1) == pytest.approx(1.0)
    assert ndcg([[0, 1]], np.zeros((1, 4))) == 0.0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 25), seed=st.integers(0, 2**32 - 1), k=st.integers(1, 25))
def test_ndcg_matches_sklearn(n, seed, k):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    labels_q = rng.random((3, 4)) < 0.5
    labels_g = rng.random((n, 4)) < 0.5
    rel = relevance_from_labels(labels_q, labels_g, graded=True)
    ranking = np.array([rng.permutation(n) for _ in range(3)])
    scores = np.empty((3, n))
    for q in range(3):
        scores[q, ranking[q]] = -np.arange(n)
    expected = ndcg_score(rel, scores, k=k)
    assert ndcg(ranking, rel, k=k) == pytest.approx(expected)
    # a ranking of only the top k gives the same NDCG@k
    assert ndcg(ranking[:, :k], rel) == pytest.approx(expected)


def test_ndcg_rejects_negative_gains():
    with pytest.raises(InputError, match="non-negative"):
        ndcg([[0]], np.array([[-1.0, 2.0]]))
