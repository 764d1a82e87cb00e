"""evaluate_retrieval and RetrievalReport against measures written out from their definitions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    ShapeMismatchError,
)
from classicx.metrics import EXTRA_METRICS, RetrievalReport, evaluate_retrieval


def oracle_rankings(queries, gallery, metric):
    """Every gallery index for each query, best first, ties by the smaller index (scipy scores)."""
    distance = {"cosine": "cosine", "correlation": "correlation", "euclidean": "euclidean"}[metric]
    d = cdist(queries, gallery, distance)
    return [sorted(range(len(row)), key=lambda j: (row[j], j)) for row in d]


def oracle_scores(order, relevant, k):
    """AP over the full ranking, precision@k, AP@R and recall@k of one query."""
    hits, total, total_r = 0, 0.0, 0.0
    n_relevant = int(sum(relevant))
    for rank, j in enumerate(order, start=1):
        if relevant[j]:
            hits += 1
            total += hits / rank
            if rank <= n_relevant:
                total_r += hits / rank
    precision = sum(bool(relevant[j]) for j in order[:k]) / k
    recall = sum(bool(relevant[j]) for j in order[:k]) / n_relevant
    return total / n_relevant, precision, total_r / n_relevant, recall


def oracle_chance(n, r):
    """E[AP] of a random ranking, by linearity of expectation over the ranks.

    Rank i holds a relevant item with probability r/n; given that, the expected
    precision at i is (1 + (i - 1)(r - 1)/(n - 1)) / i.
    """
    if n == 1:
        return 1.0
    return sum((1 + (i - 1) * (r - 1) / (n - 1)) / i for i in range(1, n + 1)) / n


def expected_report(images, texts, relevance, metric, k):
    out = {}
    for name, q, g, rel in (("image_to_text", images, texts, relevance), ("text_to_image", texts, images, relevance.T)):
        rows = [oracle_scores(o, rel[i], k) for i, o in enumerate(oracle_rankings(q, g, metric))]
        out[f"map_{name}"] = np.mean([r[0] for r in rows])
        out[f"precision_{name}"] = np.mean([r[1] for r in rows])
        out[f"map_at_r_{name}"] = np.mean([r[2] for r in rows])
        out[f"recall_at_k_{name}"] = np.mean([r[3] for r in rows])
        out[f"chance_{name}"] = np.mean([oracle_chance(rel.shape[1], int(r.sum())) for r in rel])
    return out


def paired_data(n=40, seed=0, n_classes=4):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    centres = rng.normal(size=(n_classes, 6))
    images = centres[labels] + 0.8 * rng.normal(size=(n, 6))
    texts = centres[labels] + 0.8 * rng.normal(size=(n, 6))
    return images, texts, labels


def check_against_oracle(report, expected):
    for name in ("map", "precision", "chance"):
        for direction in ("image_to_text", "text_to_image"):
            key = f"{name}_{direction}"
            assert getattr(report, key) == pytest.approx(expected[key], abs=1e-12), key


@pytest.mark.parametrize("metric", ["cosine", "correlation", "euclidean"])
def test_label_relevance_equals_the_definitions(metric):
    images, texts, labels = paired_data()
    report = evaluate_retrieval(images, texts, labels, metric=metric, k=5, extra=["map_at_r", "recall_at_k"])
    expected = expected_report(images, texts, labels[:, None] == labels[None, :], metric, 5)
    check_against_oracle(report, expected)
    for key in ("map_at_r_image_to_text", "map_at_r_text_to_image", "recall_at_k_text_to_image"):
        assert report.extra[key] == pytest.approx(expected[key], abs=1e-12)
    assert (report.k, report.n_queries, report.relevance) == (5, 40, "same label")
    # 10 relevant items of 40 in every query: the chance level is known in closed form too
    assert report.chance_image_to_text == pytest.approx(oracle_chance(40, 10), abs=1e-12)
    assert report.map_image_to_text > report.chance_image_to_text + 0.3


def test_pair_relevance_equals_the_definitions():
    images, texts, _ = paired_data(seed=1)
    report = evaluate_retrieval(images, texts, k=3)
    check_against_oracle(report, expected_report(images, texts, np.eye(40, dtype=bool), "cosine", 3))
    assert report.relevance == "the paired item"
    # one relevant item among 40: chance MAP is the mean reciprocal rank of a random position
    assert report.chance_text_to_image == pytest.approx(np.mean(1 / np.arange(1, 41)), abs=1e-12)


def test_multilabel_relevance_is_sharing_a_label():
    images, texts, labels = paired_data(seed=2)
    rng = np.random.default_rng(2)
    indicators = np.eye(4, dtype=int)[labels]
    indicators[rng.random(40) < 0.3, 0] = 1  # some pairs carry label 0 as well
    relevance = (indicators @ indicators.T) > 0
    report = evaluate_retrieval(images, texts, indicators, k=4)
    check_against_oracle(report, expected_report(images, texts, relevance, "cosine", 4))
    assert report.relevance == "shared label"


def test_whole_float_labels_and_clipped_k():
    images, texts, labels = paired_data(n=12, seed=3)
    as_int = evaluate_retrieval(images, texts, labels, k=50)
    as_float = evaluate_retrieval(images, texts, labels.astype(float), k=50)
    assert as_int == as_float
    assert as_int.k == 12
    assert as_int.precision_image_to_text == pytest.approx(3 / 12)  # every query: 3 relevant of 12


def test_float32_and_float64_agree_on_separated_data():
    images, texts, labels = paired_data(seed=4)
    a = evaluate_retrieval(images, texts, labels)
    b = evaluate_retrieval(images, texts, labels, dtype="float32")
    assert a.map_image_to_text == pytest.approx(b.map_image_to_text, abs=1e-6)
    assert a.chance_image_to_text == b.chance_image_to_text


def test_extras_ndcg_and_map_at_k():
    from sklearn.metrics import ndcg_score

    images, texts, labels = paired_data(n=20, seed=5)
    report = evaluate_retrieval(images, texts, labels, k=4, extra=("ndcg_at_k", "map_at_k"))
    relevance = labels[:, None] == labels[None, :]
    scores = 1 - cdist(images, texts, "cosine")
    assert report.extra["ndcg_at_k_image_to_text"] == pytest.approx(
        ndcg_score(relevance.astype(int), scores, k=4), abs=1e-9
    )
    # MAP@k: precisions at the hits within the top k, divided by R (5 per query here)
    expected = []
    for i, order in enumerate(oracle_rankings(images, texts, "cosine")):
        hits = [relevance[i, j] for j in order[:4]]
        expected.append(sum(sum(hits[: r + 1]) / (r + 1) for r in range(4) if hits[r]) / 5)
    assert report.extra["map_at_k_image_to_text"] == pytest.approx(np.mean(expected), abs=1e-12)
    assert set(report.extra) == {f"{m}_{d}" for m in ("ndcg_at_k", "map_at_k") for d in ("image_to_text", "text_to_image")}


def test_report_table_dict_and_json():
    images, texts, labels = paired_data(seed=6)
    report = evaluate_retrieval(images, texts, labels, k=5, extra=["map_at_r", "recall_at_k"])
    table = report.to_table()
    lines = table.splitlines()
    assert lines[0].split() == ["image→text", "text→image"]
    assert [line.split()[0] for line in lines[1:-1]] == ["MAP", "P@5", "chance", "MAP@R", "R@5"]
    assert f"{report.map_text_to_image:.4f}" in lines[1]
    assert lines[-1] == "(40 queries each way; relevant = same label)"
    assert str(report) == table
    d = json.loads(json.dumps(report.to_dict()))
    assert d["map_image_to_text"] == report.map_image_to_text
    assert d["extra"]["map_at_r_text_to_image"] == report.extra["map_at_r_text_to_image"]
    assert RetrievalReport(**d) == report
    plain = evaluate_retrieval(images, texts, labels, k=5)
    assert len(plain.to_table().splitlines()) == 5
    assert set(EXTRA_METRICS) == {"map_at_k", "map_at_r", "recall_at_k", "ndcg_at_k"}


def test_input_errors_name_the_argument():
    images, texts, labels = paired_data(n=8, seed=7)
    with pytest.raises(ShapeMismatchError, match="8 image_vectors and 7 text_vectors"):
        evaluate_retrieval(images, texts[:7])
    with pytest.raises(ShapeMismatchError, match="same shared space"):
        evaluate_retrieval(images, texts[:, :3])
    with pytest.raises(ShapeMismatchError, match="labels"):
        evaluate_retrieval(images, texts, labels[:5])
    with pytest.raises(InputError, match="labels"):
        evaluate_retrieval(images, texts, labels + 0.5)
    bad = texts.copy()
    bad[3, 0] = np.nan
    with pytest.raises(NonFiniteError, match="text_vectors.*row 3"):
        evaluate_retrieval(images, bad)
    with pytest.raises(InputError, match="[Cc]omplex"):
        evaluate_retrieval(images + 1j, texts)
    with pytest.raises((EmptyInputError, InputError)):
        evaluate_retrieval(np.empty((0, 6)), np.empty((0, 6)))
    with pytest.raises(InputError, match="'k'"):
        evaluate_retrieval(images, texts, k=0)
    with pytest.raises(InputError, match="extra"):
        evaluate_retrieval(images, texts, extra=["map@r"])
    with pytest.raises(InputError, match="not a string"):
        evaluate_retrieval(images, texts, extra="map_at_r")
    with pytest.raises(InputError, match="dtype"):
        evaluate_retrieval(images, texts, dtype="float16")
    with pytest.raises(InputError, match="'metric' parameter must be one of"):
        evaluate_retrieval(images, texts, metric="manhattan")
    with pytest.raises(InputTypeError):
        import scipy.sparse as sp

        evaluate_retrieval(sp.csr_matrix(images), texts)
