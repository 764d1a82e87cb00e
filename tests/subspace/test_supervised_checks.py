"""scikit-learn's estimator checks on the aligners that need labels, with labels supplied.

scikit-learn's checks never pass ``labels``, so tests/test_common.py lists every
check that fits ``ThreeViewCCA``, ``SemanticMatching`` and
``SemanticCorrelationMatching`` as an expected failure. Here each is wrapped so
that ``fit(X, Y)`` derives labels from the rows of ``X`` (a function of each row
alone, so that reordering or subsetting the rows keeps every row's label), and
the same checks must all pass.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from classicx.subspace import RegularizedCCA, SemanticCorrelationMatching, SemanticMatching, ThreeViewCCA

from ._checks import CHECKS_THAT_FIT


def row_labels(X) -> np.ndarray:
    """Two or three categories from each row's own values."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)
    with np.errstate(invalid="ignore"):  # the checks' NaN rows: refused by the aligner, not here
        return np.nan_to_num(np.floor(np.abs(X).sum(axis=1) * 7.0) % 3).astype(int)


class LabelledThreeViewCCA(ThreeViewCCA):
    def fit(self, X, Y, labels=None):
        return super().fit(X, Y, labels=row_labels(X) if labels is None else labels)


class LabelledSemanticMatching(SemanticMatching):
    def fit(self, X, Y, labels=None):
        return super().fit(X, Y, labels=row_labels(X) if labels is None else labels)


class LabelledSemanticCorrelationMatching(SemanticCorrelationMatching):
    def fit(self, X, Y, labels=None):
        return super().fit(X, Y, labels=row_labels(X) if labels is None else labels)


@parametrize_with_checks(
    [
        LabelledThreeViewCCA(n_components=1),
        LabelledSemanticMatching(),
        LabelledSemanticCorrelationMatching(RegularizedCCA(n_components=1)),
    ],
    xfail_strict=True,
)
def test_supervised_aligners_pass_sklearn_checks_given_labels(estimator, check):
    name = getattr(check, "func", check).__name__
    if name not in CHECKS_THAT_FIT and name != "check_transformer_n_iter":
        # The checks that do not fit already run (and pass) in tests/test_common.py.
        return
    check(estimator)
