"""The searchers, for tests/test_common.py (scikit-learn's checks) and tests/search/test_contract.py.

Searchers take 2-D numeric arrays, so ``test_common.py`` runs scikit-learn's
``parametrize_with_checks`` on them. They have ``fit(gallery)`` and ``search``
but no ``predict``/``transform``, so the checks of scikit-learn that look at
outputs (idempotence, pickling, subset and order invariance, n_features at
predict time, ...) find nothing to call and pass without testing searching;
the input checks (complex, sparse, NaN/inf, empty, 1-D, dtypes, read-only
memmaps, parameters untouched by fit) do apply and all pass. What the output
checks would have tested is restated for ``search`` in ``test_contract.py``.

No check fails, so ``EXPECTED_FAILURES`` is empty (test_common runs the
checks strictly: an expected failure that passes is an error).

Each approximate backend is listed only when its library is installed.
"""

from __future__ import annotations

import importlib.util

from classicx.distributed import ShardedSearcher
from classicx.search import AnnoySearcher, ExactSearcher, FaissSearcher, HnswlibSearcher


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


ESTIMATORS = [
    ExactSearcher(chunk_size=7, batch_size=5),
    ExactSearcher(metric="euclidean", dtype="float64", n_jobs=2),
    # Without a Dask client its shards live in this process (tests/distributed/ runs it on clusters).
    ShardedSearcher(ExactSearcher(chunk_size=7), n_shards=3),
]
if _installed("faiss"):
    ESTIMATORS += [
        FaissSearcher("Flat", metric="euclidean"),
        FaissSearcher("HNSW16"),
        # random-hyperplane LSH, re-ranked exactly (what make_searcher("lsh:rerank=...") builds)
        FaissSearcher("LSH64r,RFlat", search_params={"k_factor_rf": 4}),
    ]
if _installed("hnswlib"):
    ESTIMATORS.append(HnswlibSearcher(M=8, ef_construction=32, ef_search=16))
if _installed("annoy"):
    ESTIMATORS.append(AnnoySearcher(n_trees=5))

EXPECTED_FAILURES: dict[str, dict[str, str]] = {}
