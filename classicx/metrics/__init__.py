"""Ranking metrics for retrieval: MAP (full, @k, @R), precision/recall@k, PR curves, NDCG,
caption-retrieval R@K and median rank, chance level; :func:`evaluate_retrieval` scores
image↔text retrieval in both directions at once.

A ``ranking`` is an ``(n_queries, k)`` int array of gallery indices best first
(what a searcher returns) and ``relevance`` an ``(n_queries, n_gallery)`` bool
matrix (see :func:`relevance_from_labels` and :func:`relevance_from_pairs`).
"""

from .caption import bidirectional_caption_recall, caption_recall, first_relevant_rank
from .curves import interpolated_precision_recall, precision_recall_curve
from .evaluation import EXTRA_METRICS, RetrievalReport, evaluate_retrieval
from .ndcg import ndcg
from .ranking import (
    average_precision,
    chance_average_precision,
    map_at_r,
    mean_average_precision,
    precision_at_k,
    recall_at_k,
)
from .relevance import relevance_from_labels, relevance_from_pairs

__all__ = [
    "EXTRA_METRICS",
    "RetrievalReport",
    "average_precision",
    "bidirectional_caption_recall",
    "caption_recall",
    "chance_average_precision",
    "evaluate_retrieval",
    "first_relevant_rank",
    "interpolated_precision_recall",
    "map_at_r",
    "mean_average_precision",
    "ndcg",
    "precision_at_k",
    "precision_recall_curve",
    "recall_at_k",
    "relevance_from_labels",
    "relevance_from_pairs",
]
