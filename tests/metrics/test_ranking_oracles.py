"""Ranking metrics against independent oracles: plain-Python loops written from the definitions,
scikit-learn's ``average_precision_score`` / ``ndcg_score``, and exhaustive enumeration.

These tests were written from the survivors of a mutation run (see tests/README.md): each one
pins a value that a small change of the code (an off-by-one cut, a swapped denominator, a
dropped empty-slot rule) would move.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, ndcg_score

from classicx.exceptions import ClassicxWarning
from classicx.metrics import (
    average_precision,
    bidirectional_caption_recall,
    caption_recall,
    chance_average_precision,
    first_relevant_rank,
    interpolated_precision_recall,
    map_at_r,
    mean_average_precision,
    ndcg,
    precision_at_k,
    precision_recall_curve,
    recall_at_k,
    relevance_from_labels,
    relevance_from_pairs,
)

# --------------------------------------------------------------------------- oracles


def ap_loop(ranked, relevant, cutoff=None, denominator="relevant"):
    """AP of one query, straight from the definition (``ranked``: list of ids, -1 = empty slot)."""
    ranked = list(ranked)[: len(ranked) if cutoff is None else cutoff]
    found, total = 0, 0.0
    for i, item in enumerate(ranked, start=1):
        if item >= 0 and item in relevant:
            found += 1
            total += found / i
    d = {"relevant": len(relevant), "retrieved": found, "min": min(len(relevant), len(ranked))}[denominator]
    return total / d if d else 0.0


def random_case(rng, n_queries=7, n_gallery=12, width=None, empty_slots=False, min_relevant=1):
    """Random relevance with R >= min_relevant per query and rankings of distinct items."""
    rel = rng.random((n_queries, n_gallery)) < 0.35
    for q in range(n_queries):
        while rel[q].sum() < min_relevant:
            rel[q, rng.integers(n_gallery)] = True
    width = n_gallery if width is None else width
    ranking = np.array([rng.permutation(n_gallery)[:width] for _ in range(n_queries)])
    if empty_slots:
        # Empty slots (-1) only at the end, as a searcher returns them.
        for q in range(n_queries):
            cut = rng.integers(1, width + 1)
            ranking[q, cut:] = -1
    return ranking, rel


def per_query_ap(ranking, rel, **kwargs):
    """Per-query AP through mean_average_precision on one-row slices.

    ``average_precision``'s default is moving from per-query to averaged (issue #10); a MAP of a
    single query is its AP under either default.
    """
    ranking, rel = np.asarray(ranking), np.asarray(rel)
    return np.array([mean_average_precision(ranking[q : q + 1], rel[q : q + 1], **kwargs) for q in range(len(rel))])


def single_ap(ranking, rel, **kwargs):
    """AP of a one-query problem (a float under either default of ``average_precision``)."""
    return float(np.mean(average_precision(ranking, rel, **kwargs)))


def relevant_sets(rel):
    return [set(np.flatnonzero(row)) for row in rel]


# --------------------------------------------------------------------------- AP / MAP


@pytest.mark.parametrize("seed", range(5))
def test_full_ranking_ap_equals_sklearn_average_precision_score(seed):
    rng = np.random.default_rng(seed)
    ranking, rel = random_case(rng)
    ours = per_query_ap(ranking, rel)
    for q in range(len(rel)):
        scores = np.empty(rel.shape[1])
        scores[ranking[q]] = -np.arange(rel.shape[1])  # best first = highest score, no ties
        assert ours[q] == pytest.approx(average_precision_score(rel[q], scores), abs=1e-12)
    assert mean_average_precision(ranking, rel) == pytest.approx(ours.mean(), abs=1e-12)


@pytest.mark.parametrize("denominator", ["relevant", "retrieved", "min"])
@pytest.mark.parametrize("k", [None, 1, 3, 5, 9])
@pytest.mark.parametrize("empty_slots", [False, True])
def test_truncated_ap_equals_loop_for_every_denominator(denominator, k, empty_slots):
    rng = np.random.default_rng(11)
    ranking, rel = random_case(rng, n_queries=9, n_gallery=15, width=9, empty_slots=empty_slots)
    ours = per_query_ap(ranking, rel, k=k, denominator=denominator)
    sets = relevant_sets(rel)
    expected = [ap_loop(ranking[q], sets[q], k, denominator) for q in range(len(rel))]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    assert mean_average_precision(ranking, rel, k=k, denominator=denominator) == pytest.approx(
        np.mean(expected), abs=1e-12
    )


def test_min_denominator_uses_the_cutoff_not_the_width():
    # R = 3, ranking width 5, k = 2: D = min(3, 2) = 2; hits at ranks 1 and 2 -> AP = 1.
    rel = np.array([[True, True, True, False, False]])
    ranking = np.array([[0, 1, 3, 4, 2]])
    assert single_ap(ranking, rel, k=2, denominator="min") == pytest.approx(1.0)
    # Without k the cut is the width (5): D = 3.
    assert single_ap(ranking, rel, denominator="min") == pytest.approx((1 + 1 + 3 / 5) / 3)


def test_empty_slot_is_not_read_as_gallery_item_zero():
    # Item 0 is the only relevant one; -1 slots must not count as hits on item 0.
    rel = np.array([[True, False, False, False]])
    ranking = np.array([[-1, -1, 2, 0]])
    assert single_ap(ranking, rel) == pytest.approx(1 / 4)
    assert precision_at_k(ranking, rel, 2) == 0.0
    assert recall_at_k(ranking, rel, 3) == 0.0


def test_query_without_relevant_items_scores_zero_and_warns():
    rel = np.array([[False, False, False], [True, False, False]])
    ranking = np.array([[0, 1, 2], [1, 0, 2]])
    with pytest.warns(ClassicxWarning, match=r"1 query has no relevant gallery item \(first: row 0\)"):
        ap = per_query_ap(ranking, rel)
    np.testing.assert_allclose(ap, [0.0, 0.5])
    with pytest.warns(ClassicxWarning, match="2 queries have"):
        average_precision(ranking, np.zeros((2, 3), bool))


def test_no_warning_when_every_query_has_a_relevant_item():
    rng = np.random.default_rng(0)
    ranking, rel = random_case(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        average_precision(ranking, rel)
        map_at_r(ranking, rel)
        recall_at_k(ranking, rel, 3)
        precision_recall_curve(ranking, rel)


# --------------------------------------------------------------------------- MAP@R


@pytest.mark.parametrize("seed", range(6))
def test_map_at_r_equals_brute_force(seed):
    """The planted bug of issue #10: a cut at R + 1 instead of R."""
    rng = np.random.default_rng(seed)
    ranking, rel = random_case(rng, n_queries=10, n_gallery=10)
    sets = relevant_sets(rel)
    expected = np.mean([ap_loop(ranking[q], sets[q], cutoff=len(sets[q])) for q in range(len(rel))])
    assert map_at_r(ranking, rel) == pytest.approx(expected, abs=1e-12)


def test_map_at_r_counts_nothing_past_rank_r():
    # R = 2; hits at ranks 1 and 3: only rank 1 is within the top R.
    rel = np.array([[True, False, True, False]])
    assert map_at_r([[0, 1, 2, 3]], rel) == pytest.approx(0.5)
    # A hit exactly at rank R counts.
    assert map_at_r([[1, 0, 2, 3]], rel) == pytest.approx(0.5 * (0 + 1 / 2))
    assert map_at_r([[0, 2, 1, 3]], rel) == pytest.approx(1.0)


def test_map_at_r_accepts_a_ranking_of_exactly_r_items_and_refuses_fewer():
    rel = np.array([[True, True, False, False]])
    assert map_at_r([[1, 0]], rel) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="R=2"):
        map_at_r([[1]], rel)


# --------------------------------------------------------------------------- P@k, R@k


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_precision_and_recall_at_k_equal_loops(k):
    rng = np.random.default_rng(5)
    ranking, rel = random_case(rng, n_queries=8, n_gallery=11, width=7, empty_slots=True)
    sets = relevant_sets(rel)
    found = [sum(1 for item in ranking[q, :k] if item >= 0 and item in sets[q]) for q in range(len(rel))]
    np.testing.assert_allclose(precision_at_k(ranking, rel, k, average=False), np.array(found) / k)
    np.testing.assert_allclose(
        recall_at_k(ranking, rel, k, average=False), [f / len(s) for f, s in zip(found, sets)]
    )
    assert precision_at_k(ranking, rel, k, average=True) == pytest.approx(np.mean(found) / k)
    assert recall_at_k(ranking, rel, k, average=True) == pytest.approx(
        np.mean([f / len(s) for f, s in zip(found, sets)])
    )


def test_recall_of_a_query_without_relevant_items_is_zero():
    rel = np.array([[False, False], [True, False]])
    with pytest.warns(ClassicxWarning):
        r = recall_at_k([[0, 1], [0, 1]], rel, 1, average=False)
    np.testing.assert_array_equal(r, [0.0, 1.0])


@pytest.mark.parametrize("bad_k", [0, -1, 1.0, True, 4])
def test_k_outside_one_to_width_is_refused(bad_k):
    rel = np.array([[True, False, False]])
    with pytest.raises(ValueError, match="k"):
        precision_at_k([[0, 1, 2]], rel, bad_k)
    with pytest.raises(ValueError, match="k"):
        average_precision([[0, 1, 2]], rel, k=bad_k)


def test_k_equal_to_the_width_is_accepted():
    rel = np.array([[True, False, True]])
    assert precision_at_k([[0, 1, 2]], rel, 3) == pytest.approx(2 / 3)
    assert single_ap([[0, 1, 2]], rel, k=3) == pytest.approx((1 + 2 / 3) / 2)


# --------------------------------------------------------------------------- chance level


def chance_by_enumeration(row):
    n = len(row)
    aps = [ap_loop(perm, set(np.flatnonzero(row))) for perm in itertools.permutations(range(n))]
    return float(np.mean(aps))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_chance_average_precision_equals_enumeration_of_all_rankings(n):
    rows = [np.arange(n) < r for r in range(1, n + 1)]
    rel = np.array(rows)
    expected = [chance_by_enumeration(row) for row in rows]
    np.testing.assert_allclose(chance_average_precision(rel, average=False), expected, rtol=1e-12)
    assert chance_average_precision(rel, average=True) == pytest.approx(np.mean(expected), rel=1e-12)


def test_chance_average_precision_of_a_query_without_relevant_items_is_zero():
    rel = np.array([[False, False, False], [True, False, False]])
    with pytest.warns(ClassicxWarning):
        chance = chance_average_precision(rel, average=False)
    np.testing.assert_allclose(chance, [0.0, chance_by_enumeration(rel[1])])
    with pytest.warns(ClassicxWarning):
        assert chance_average_precision(np.zeros((1, 1), bool), average=False)[0] == 0.0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("width", [2, 3, 10])
def test_duplicate_items_in_a_ranking_are_refused_for_short_and_full_rankings(width):
    # width 2 and 3 of a gallery of 10 take the sorting path, width 10 the counting path.
    rel = np.zeros((2, 10), bool)
    rel[:, 0] = True
    ranking = np.tile(np.arange(width), (2, 1))
    average_precision(ranking, rel)  # distinct items: fine
    ranking[1, width - 1] = ranking[1, 0]
    with pytest.raises(ValueError, match=f"row 1 lists gallery item {ranking[1, 0]} twice"):
        average_precision(ranking, rel)


def test_repeated_empty_slots_are_not_duplicates():
    rel = np.zeros((1, 10), bool)
    rel[0, 3] = True
    for ranking in ([[3, -1, -1]], [[3] + [-1] * 9]):
        assert single_ap(ranking, rel) == 1.0


def test_out_of_range_indices_are_refused_but_the_last_item_and_minus_one_are_not():
    rel = np.array([[False, False, True]])
    assert single_ap([[2, -1]], rel) == 1.0
    with pytest.raises(ValueError, match=r"ranking\[0, 1\] = 3 is not a gallery index \(0 to 2"):
        average_precision([[2, 3]], rel)
    with pytest.raises(ValueError, match=r"ranking\[0, 0\] = -2"):
        average_precision([[-2, 1]], rel)


def test_integer_zero_one_relevance_is_read_as_bool_and_other_values_refused():
    ranking = [[1, 0, 2]]
    assert single_ap(ranking, np.array([[0, 1, 1]])) == pytest.approx(
        single_ap(ranking, np.array([[False, True, True]]))
    )
    with pytest.raises(TypeError):
        average_precision(ranking, np.array([[0, 2, 1]]))
    with pytest.raises(TypeError):
        average_precision(ranking, np.array([[0.0, 1.0, 1.0]]))


# --------------------------------------------------------------------------- NDCG, curves


@pytest.mark.parametrize("k", [None, 1, 3, 6])
def test_ndcg_equals_sklearn_ndcg_score(k):
    rng = np.random.default_rng(3)
    n_queries, n_gallery = 6, 8
    gains = rng.integers(0, 4, size=(n_queries, n_gallery))
    gains[:, 0] = np.maximum(gains[:, 0], 1)
    ranking = np.array([rng.permutation(n_gallery) for _ in range(n_queries)])
    scores = np.empty((n_queries, n_gallery))
    for q in range(n_queries):
        scores[q, ranking[q]] = -np.arange(n_gallery)
    ours = ndcg(ranking, gains, k=k, average=False)
    for q in range(n_queries):
        ref = ndcg_score(gains[q : q + 1], scores[q : q + 1], k=k)
        assert ours[q] == pytest.approx(ref, abs=1e-12)
    assert ndcg(ranking, gains, k=k) == pytest.approx(ours.mean(), abs=1e-12)


def test_ndcg_of_a_short_ranking_uses_the_ideal_of_the_whole_gallery():
    gains = np.array([[3, 0, 2, 1]])
    ranking = np.array([[2, -1]])
    # DCG = 2/log2(2); ideal over the best two of the gallery: 3/log2(2) + 2/log2(3)
    assert ndcg(ranking, gains, average=False)[0] == pytest.approx(2 / (3 + 2 / math.log2(3)))
    assert ndcg(ranking, np.zeros((1, 4), int), average=False)[0] == 0.0


def test_precision_recall_curve_equals_loops():
    rng = np.random.default_rng(8)
    ranking, rel = random_case(rng, n_queries=5, n_gallery=9, width=6, empty_slots=True)
    sets = relevant_sets(rel)
    p, r = precision_recall_curve(ranking, rel, average=False)
    for q in range(len(rel)):
        for n in range(1, 7):
            found = sum(1 for item in ranking[q, :n] if item >= 0 and item in sets[q])
            assert p[q, n - 1] == pytest.approx(found / n)
            assert r[q, n - 1] == pytest.approx(found / len(sets[q]))
    pm, rm = precision_recall_curve(ranking, rel)
    np.testing.assert_allclose(pm, p.mean(axis=0))
    np.testing.assert_allclose(rm, r.mean(axis=0))


@pytest.mark.parametrize("n_points", [2, 5, 11])
def test_interpolated_precision_equals_loop(n_points):
    rng = np.random.default_rng(9)
    ranking, rel = random_case(rng, n_queries=6, n_gallery=10, width=7)
    sets = relevant_sets(rel)
    levels, interp = interpolated_precision_recall(ranking, rel, n_points=n_points, average=False)
    np.testing.assert_allclose(levels, np.linspace(0, 1, n_points))
    for q in range(len(rel)):
        points = []
        found = 0
        for n, item in enumerate(ranking[q], start=1):
            found += item in sets[q]
            points.append((found / len(sets[q]), found / n))
        for j, level in enumerate(levels):
            reached = [prec for rec, prec in points if rec >= level - 1e-9]
            assert interp[q, j] == pytest.approx(max(reached) if reached else 0.0)
    _, mean = interpolated_precision_recall(ranking, rel, n_points=n_points)
    np.testing.assert_allclose(mean, interp.mean(axis=0))


def test_interpolated_precision_reaches_recall_three_tenths_exactly():
    # R = 10, 3 hits in the first 3 ranks: recall 0.3 must count for level linspace(0, 1, 11)[3].
    rel = np.zeros((1, 20), bool)
    rel[0, :10] = True
    ranking = np.array([[0, 1, 2] + list(range(10, 20))])
    _, interp = interpolated_precision_recall(ranking, rel, average=False)
    assert interp[0, 3] == pytest.approx(1.0)
    assert interp[0, 4] == 0.0


@pytest.mark.parametrize("bad", [1, 0, 2.0, True])
def test_interpolated_precision_refuses_fewer_than_two_points(bad):
    with pytest.raises(ValueError, match="n_points"):
        interpolated_precision_recall([[0]], np.array([[True]]), n_points=bad)


# --------------------------------------------------------------------------- relevance, captions


def test_relevance_from_labels_equals_loops_single_and_multi_label():
    rng = np.random.default_rng(4)
    q, g = rng.integers(0, 3, 5), rng.integers(0, 3, 7)
    rel = relevance_from_labels(q, g)
    assert rel.dtype == bool
    np.testing.assert_array_equal(rel, [[a == b for b in g] for a in q])
    np.testing.assert_array_equal(relevance_from_labels(q, g, graded=True), rel.astype(int))
    Q, G = rng.integers(0, 2, (5, 4)), rng.integers(0, 2, (7, 4))
    shared = [[int(np.sum((a != 0) & (b != 0))) for b in G] for a in Q]
    np.testing.assert_array_equal(relevance_from_labels(Q, G, graded=True), shared)
    np.testing.assert_array_equal(relevance_from_labels(Q, G), np.array(shared) > 0)
    np.testing.assert_array_equal(
        relevance_from_pairs(["a", "b", "a"], ["b", "a"]), [[False, True], [True, False], [False, True]]
    )


def test_caption_metrics_equal_loops():
    rng = np.random.default_rng(6)
    ranking, rel = random_case(rng, n_queries=8, n_gallery=10, width=10)
    sets = relevant_sets(rel)
    first = [next(i for i, item in enumerate(ranking[q], start=1) if item in sets[q]) for q in range(len(rel))]
    np.testing.assert_array_equal(first_relevant_rank(ranking, rel), first)
    out = caption_recall(ranking, rel, ks=(1, 2, 5, 20))  # a full ranking answers any K
    for k in (1, 2, 5, 20):
        assert out[f"R@{k}"] == pytest.approx(100 * np.mean([f <= k for f in first]))
    assert out["median_rank"] == pytest.approx(np.median(first))
    assert out["mean_rank"] == pytest.approx(np.mean(first))
    with pytest.raises(ValueError, match="every K"):
        caption_recall(ranking[:, :4], rel, ks=(5,))
    with pytest.raises(ValueError, match="every K"):
        caption_recall(ranking, rel, ks=(0,))
    assert caption_recall(ranking[:, :4], rel, ks=(4,))["R@4"] == pytest.approx(
        100 * np.mean([f <= 4 for f in first])
    )


def test_first_relevant_rank_is_inf_when_the_ranking_misses_every_relevant_item():
    rel = np.array([[False, False, True], [True, False, False]])
    np.testing.assert_array_equal(first_relevant_rank([[0, 1], [1, 0]], rel), [np.inf, 2.0])


def test_bidirectional_caption_recall_equals_both_directions_and_their_sum():
    image_ids, text_ids = np.array([0, 1, 2]), np.array([0, 0, 1, 1, 2, 2])
    rng = np.random.default_rng(7)
    i2t = np.array([rng.permutation(6) for _ in range(3)])
    t2i = np.array([rng.permutation(3) for _ in range(6)])
    rel = image_ids[:, None] == text_ids[None, :]
    out = bidirectional_caption_recall(i2t, t2i, image_ids, text_ids, ks=(1, 2))
    assert out["image_to_text"] == caption_recall(i2t, rel, ks=(1, 2))
    assert out["text_to_image"] == caption_recall(t2i, rel.T, ks=(1, 2))
    expected = sum(out[d][f"R@{k}"] for d in ("image_to_text", "text_to_image") for k in (1, 2))
    assert out["rsum"] == pytest.approx(expected)


# --------------------------------------------------------------------------- second round (survivors)


def test_a_duplicate_of_a_larger_item_is_found_too():
    rel = np.zeros((1, 20), bool)
    rel[0, 0] = True
    with pytest.raises(ValueError, match="lists gallery item 7 twice"):
        mean_average_precision([[3, 7, 5, 7]], rel)


def test_graded_relevance_must_be_numeric_finite_and_non_negative():
    ranking = [[0, 1, 2]]
    with pytest.raises(ValueError, match=r"relevance\[0, 2\] = -1"):
        ndcg(ranking, np.array([[1, 0, -1]]))
    with pytest.raises(ValueError, match=r"relevance\[1, 0\] = nan"):
        ndcg([[0, 1, 2], [0, 1, 2]], np.array([[1.0, 0.0, 2.0], [np.nan, 0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"relevance\[0, 1\] = -0.5"):
        ndcg(ranking, np.array([[1.0, -0.5, 2.0]]))
    with pytest.raises(TypeError, match="numeric"):
        ndcg(ranking, np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="2-D"):
        ndcg(ranking, np.array([1, 0, 2]))
    # Float gains and bool relevance are accepted.
    gains = np.array([[0.5, 0.0, 2.0]])
    expected = (0.5 + 2.0 / math.log2(4)) / (2.0 + 0.5 / math.log2(3))
    assert ndcg(ranking, gains, average=False)[0] == pytest.approx(expected)
    assert ndcg([[1, 0]], np.array([[True, False]]), average=False)[0] == pytest.approx(1 / math.log2(3))


def test_graded_gains_of_empty_slots_are_zero():
    gains = np.array([[3, 1, 2]])
    assert ndcg([[-1, 2, -1]], gains, average=False)[0] == pytest.approx(
        (2 / math.log2(3)) / (3 + 2 / math.log2(3) + 1 / 2)
    )


def test_rankings_must_be_two_dimensional_integer_arrays():
    rel = np.array([[True, False]])
    with pytest.raises(ValueError, match="2-D"):
        precision_at_k([0, 1], rel, 1)
    with pytest.raises(TypeError, match="integer"):
        precision_at_k(np.array([[0.0, 1.0]]), rel, 1)
    with pytest.raises(ValueError, match="2 rows"):
        precision_at_k([[0, 1], [1, 0]], rel, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda r, rel: average_precision(r, rel),
        lambda r, rel: map_at_r(r, rel),
        lambda r, rel: recall_at_k(r, rel, 1),
        lambda r, rel: precision_recall_curve(r, rel),
        lambda r, rel: chance_average_precision(rel, average=False),
    ],
)
@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ, reason="mutmut's trampolines add stack frames between caller and metric"
)
def test_no_relevant_item_warning_points_at_the_callers_line(call):
    rel = np.array([[False, False], [True, False]])
    with pytest.warns(ClassicxWarning) as record:
        call(np.array([[0, 1], [0, 1]]), rel)
    assert record[0].filename == __file__


def test_recall_curve_of_a_query_without_relevant_items_is_zero():
    rel = np.array([[False, False, False], [False, True, False]])
    with pytest.warns(ClassicxWarning):
        p, r = precision_recall_curve([[0, 1, 2], [0, 1, 2]], rel, average=False)
    np.testing.assert_array_equal(r[0], 0.0)
    np.testing.assert_allclose(r[1], [0, 1, 1])
    np.testing.assert_allclose(p[1], [0, 1 / 2, 1 / 3])


def test_chance_level_is_float_also_for_a_single_item_gallery():
    chance = chance_average_precision(np.array([[True]]), average=False)
    assert chance.dtype == np.float64 and chance[0] == 1.0


@pytest.mark.parametrize("bad", [1.5, True, 0])
def test_caption_recall_refuses_non_integer_or_non_positive_k_even_for_a_full_ranking(bad):
    with pytest.raises(ValueError, match="every K"):
        caption_recall([[0, 1]], np.array([[True, False]]), ks=(bad,))


def test_relevance_dtypes_are_bool_or_int64():
    q, g = np.array([0, 1]), np.array([1, 0, 1])
    assert relevance_from_labels(q, g).dtype == bool
    assert relevance_from_labels(q, g, graded=True).dtype == np.int64
    Q, G = np.array([[1, 0], [1, 1]]), np.array([[0, 1], [1, 1]])
    assert relevance_from_labels(Q, G, graded=True).dtype == np.int64
    np.testing.assert_array_equal(relevance_from_labels(Q, G, graded=True), [[0, 1], [1, 2]])
    assert relevance_from_labels(np.array([True, False]), np.array([True])).dtype == bool


@pytest.mark.parametrize(
    "query, gallery, error, name",
    [
        (np.zeros((1, 1, 1), int), np.array([1]), ValueError, "query_labels"),
        (np.array([], int), np.array([1]), ValueError, "query_labels"),
        (np.array([0.5]), np.array([1]), (TypeError, ValueError), "query_labels"),
        (np.array([1]), np.zeros((1, 1, 1), int), ValueError, "gallery_labels"),
        (np.array([1]), np.array([], int), ValueError, "gallery_labels"),
        (np.array([1]), np.array(["a"]), TypeError, "gallery_labels"),
    ],
)
def test_bad_labels_are_refused_naming_the_argument(query, gallery, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        relevance_from_labels(query, gallery)


@pytest.mark.parametrize(
    "query, gallery, name",
    [([["a"]], ["a"], "query_ids"), ([], ["a"], "query_ids"), (["a"], [["a"]], "gallery_ids"), (["a"], [], "gallery_ids")],
)
def test_bad_pair_ids_are_refused_naming_the_argument(query, gallery, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        relevance_from_pairs(query, gallery)


def test_single_pair_ids_are_fine():
    np.testing.assert_array_equal(relevance_from_pairs(["a"], ["a"]), [[True]])
    np.testing.assert_array_equal(relevance_from_labels([3], [3]), [[True]])


def test_precision_and_recall_at_k_average_by_default():
    rel = np.array([[True, False, True], [False, True, False]])
    ranking = [[0, 1, 2], [0, 1, 2]]
    assert precision_at_k(ranking, rel, 2) == pytest.approx(0.5)
    assert recall_at_k(ranking, rel, 2) == pytest.approx((1 / 2 + 1) / 2)
    assert isinstance(precision_at_k(ranking, rel, 2), float)
    assert isinstance(recall_at_k(ranking, rel, 2), float)
