"""scikit-learn's output checks, restated for ``search`` on every searcher of tests/search/_checks.py.

scikit-learn's own checks call ``predict``/``transform``, which searchers do not
have (see _checks.py); these do the same for ``search``: fitting returns self and
leaves parameters alone, results are reproducible, survive clone/pickle/save,
do not depend on the order or grouping of the queries, do not modify the input,
and an unfitted or mis-shaped call fails with scikit-learn's exception types.
"""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import get_tags

from classicx.exceptions import NotFittedError, ShapeMismatchError

from ._checks import ESTIMATORS


def _data(estimator, n=120, nq=9, d=6, seed=0):
    rng = np.random.default_rng(seed)
    G, Q = rng.normal(size=(n, d)), rng.normal(size=(nq, d))
    if get_tags(estimator).input_tags.positive_only:
        G, Q = np.abs(G), np.abs(Q)
    return G, Q


def _id(estimator):
    return f"{type(estimator).__name__}({estimator.get_params().get('index', estimator.metric)})"


def _deterministic(estimator):
    return not get_tags(estimator).non_deterministic


@pytest.fixture(params=ESTIMATORS, ids=_id)
def searcher(request):
    return clone(request.param)


def test_fit_returns_self_and_keeps_params(searcher):
    G, _ = _data(searcher)
    before = joblib.hash(searcher.get_params(deep=True))
    names = set(vars(searcher))
    assert searcher.fit(G) is searcher
    assert joblib.hash(searcher.get_params(deep=True)) == before
    added = set(vars(searcher)) - names
    assert all(n.endswith("_") or n.startswith("_") for n in added), added
    assert searcher.n_features_in_ == G.shape[1] and len(searcher) == len(G)


def test_unfitted_search_raises_not_fitted(searcher):
    _, Q = _data(searcher)
    with pytest.raises(NotFittedError) as info:
        searcher.search(Q)
    assert isinstance(info.value, SklearnNotFittedError)


def test_wrong_number_of_features_at_search(searcher):
    G, Q = _data(searcher)
    searcher.fit(G)
    with pytest.raises(ShapeMismatchError, match=f"X has 5 features, but {type(searcher).__name__} is expecting 6"):
        searcher.search(Q[:, :5])


def test_search_does_not_modify_its_input(searcher):
    G, Q = _data(searcher)
    G0, Q0 = G.copy(), Q.copy()
    searcher.fit(G).search(Q, k=4)
    np.testing.assert_array_equal(G, G0)
    np.testing.assert_array_equal(Q, Q0)


def test_results_are_reproducible_and_survive_clone_pickle_and_save(searcher, tmp_path):
    G, Q = _data(searcher)
    fitted = searcher.fit(G)
    scores, indices = fitted.search(Q, k=5)
    assert scores.shape == indices.shape == (len(Q), 5)
    assert np.all(np.diff(scores, axis=1) <= 0), "scores must come best first"
    again = fitted.search(Q, k=5)
    np.testing.assert_array_equal(indices, again[1])
    for copy in (pickle.loads(pickle.dumps(fitted)), type(fitted).load(fitted.save(tmp_path / "s"))):
        s, i = copy.search(Q, k=5)
        np.testing.assert_array_equal(i, indices)
        np.testing.assert_allclose(s, scores, rtol=1e-6, atol=1e-6)
    if _deterministic(searcher):
        s, i = clone(searcher).fit(G).search(Q, k=5)
        np.testing.assert_array_equal(i, indices)
        np.testing.assert_allclose(s, scores, rtol=1e-6, atol=1e-6)


def test_results_do_not_depend_on_query_order_or_grouping(searcher):
    G, Q = _data(searcher)
    searcher.fit(G)
    scores, indices = searcher.search(Q, k=5)
    order = np.random.default_rng(1).permutation(len(Q))
    s, i = searcher.search(Q[order], k=5)
    np.testing.assert_array_equal(i, indices[order])
    np.testing.assert_allclose(s, scores[order], rtol=1e-6, atol=1e-6)
    for row in (0, len(Q) - 1):  # one query at a time, as a (1, d) array
        s, i = searcher.search(Q[row : row + 1], k=5)
        np.testing.assert_array_equal(i[0], indices[row])


def test_gallery_items_find_themselves(searcher):
    # A gallery vector is its own best match for every metric the searchers offer
    # (exact for ExactSearcher and faiss Flat; the small test graphs/forests find it too).
    G, _ = _data(searcher)
    searcher.fit(G)
    _, indices = searcher.search(G[:20], k=1)
    np.testing.assert_array_equal(indices[:, 0], np.arange(20))


def test_dtypes_and_lists_are_accepted(searcher):
    G, Q = _data(searcher)
    searcher.fit(G.astype(np.float32))
    ref = searcher.search(Q, k=3)[1]
    np.testing.assert_array_equal(searcher.search(Q.tolist(), k=3)[1], ref)
    np.testing.assert_array_equal(searcher.search(np.asfortranarray(Q), k=3)[1], ref)
