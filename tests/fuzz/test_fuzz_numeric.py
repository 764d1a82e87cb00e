"""Features: NaN, infinities, huge and tiny magnitudes, constant columns, through the learners and searchers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from classicx.exceptions import ClassicxError, NonFiniteError
from classicx.search import ExactSearcher
from classicx.subspace import (
    PLSSVD,
    GramAlignment,
    KernelCCA,
    MMDAlignment,
    RegularizedCCA,
    SemanticCorrelationMatching,
    ThreeViewCCA,
)
from classicx.utils.validation import magnitude_limit

from .conftest import MODES, explore, outcome

_LEARNERS = {
    "RegularizedCCA": lambda: RegularizedCCA(n_components=1),
    "PLSSVD": lambda: PLSSVD(n_components=1),
    "MMDAlignment": lambda: MMDAlignment(n_components=1),
    "KernelCCA": lambda: KernelCCA(n_components=1),
    "GramAlignment": lambda: GramAlignment(n_components=1),
    "SemanticCorrelationMatching": lambda: SemanticCorrelationMatching(),
    "ThreeViewCCA": lambda: ThreeViewCCA(n_components=1),
}
_LABELLED = {"SemanticCorrelationMatching", "ThreeViewCCA"}

# Values a feature extractor should never give, mixed with ordinary ones.
_NASTY = st.sampled_from([np.nan, np.inf, -np.inf, 1e200, -1e200, 1e-300, 5e-324, 0.0, 1e30, -7.5])
_ORDINARY = st.floats(-1e3, 1e3, allow_nan=False)


def _views(elements):
    """Paired views X (n x 1..4) and Y (n x 1..3) and n labels in 0..2."""
    return st.integers(2, 10).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, st.tuples(st.just(n), st.integers(1, 4)), elements=elements),
            hnp.arrays(np.float64, st.tuples(st.just(n), st.integers(1, 3)), elements=elements),
            st.lists(st.integers(0, 2), min_size=n, max_size=n),
        )
    )


def _fit_and_project(name, X, Y, labels):
    learner = _LEARNERS[name]()
    kwargs = {"labels": np.array(labels)} if name in _LABELLED else {}
    fitted = outcome(lambda: learner.fit(X, Y, **kwargs))
    if isinstance(fitted, ClassicxError):
        return fitted
    projected = outcome(lambda: fitted.transform(X, Y))
    if not isinstance(projected, ClassicxError):
        for view in projected:
            assert np.isfinite(view).all(), f"{name} returned non-finite projections"
    return projected


@pytest.mark.parametrize("profile", MODES)
@pytest.mark.parametrize("name", list(_LEARNERS))
def test_learners_on_hostile_features(profile, name):
    def check(views):
        X, Y, labels = views
        _fit_and_project(name, X, Y, labels)

    explore(profile, check, _views(_NASTY | _ORDINARY))


@pytest.mark.parametrize("name", list(_LEARNERS))
def test_features_around_1e200_are_refused_naming_the_view_and_row(name):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(30, 4))
    labels = rng.integers(0, 3, 30)
    Y[7, 2] = 3e200
    kwargs = {"labels": labels} if name in _LABELLED else {}
    with pytest.raises(NonFiniteError, match=rf"{name}: Y holds values too large .* at row 7"):
        _LEARNERS[name]().fit(X, Y, **kwargs)
    with pytest.raises(NonFiniteError, match=rf"{name}: X holds values too large .* at row 0"):
        _LEARNERS[name]().fit(X * 1e200, Y / 1e200, **kwargs)


@pytest.mark.parametrize("name", ["RegularizedCCA", "PLSSVD", "MMDAlignment", "ThreeViewCCA"])
def test_the_largest_accepted_magnitude_still_computes(name):
    # Just below the documented bound the learners give finite projections (the bound is not too loose).
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(30, 4))
    X = X / np.abs(X).max() * magnitude_limit(np.float64, 30, 5) * 0.99
    projected = _fit_and_project(name, X, Y, list(rng.integers(0, 3, 30)))
    assert not isinstance(projected, ClassicxError), projected


@pytest.mark.parametrize("profile", MODES)
def test_exact_search_on_hostile_galleries_and_queries(profile):
    def check(gallery, query, k):
        searcher = outcome(lambda: ExactSearcher().fit(gallery))
        if isinstance(searcher, ClassicxError):
            return
        found = outcome(lambda: searcher.search(query, k=k))
        if isinstance(found, ClassicxError):
            return
        scores, indices = found
        assert np.isfinite(scores).all() and ((0 <= indices) & (indices < len(gallery))).all()

    arrays = hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=_NASTY | _ORDINARY)
    explore(profile, check, arrays, arrays, st.integers(1, 8))
