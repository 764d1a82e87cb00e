"""Estimators of classicx.subspace for tests/test_common.py (scikit-learn's checks).

``MultiviewCCA`` takes a list of views, not one 2-D array: its tags say so
(``two_d_array=False``), so it gets scikit-learn's data-free checks only; its
data behaviour is tested in test_multiview.py.

The supervised aligners that *need* labels (``ThreeViewCCA``,
``SemanticMatching``, ``SemanticCorrelationMatching``) cannot be fitted by
scikit-learn's checks, which never pass ``labels``: every check that fits
them is an expected failure below. test_supervised_checks.py runs the same
checks on them with labels supplied, and expects them all to pass.
"""

from __future__ import annotations

from classicx.subspace import (
    PLSSVD,
    GramAlignment,
    KernelCCA,
    KernelFeatureMap,
    KernelTargetAlignment,
    MMDAlignment,
    MMDKernel,
    MultiviewCCA,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)

# One component, as scikit-learn's own checks run its CCA: the checks fit on a
# 1-D second view (one feature), which has one canonical pair.
ESTIMATORS = [
    RegularizedCCA(n_components=1),
    PLSSVD(n_components=1),
    ThreeViewCCA(n_components=1),
    MultiviewCCA(n_components=1),
    KernelFeatureMap(n_components=20, random_state=0),
    KernelCCA(n_components=1, kernel=KernelFeatureMap(n_components=20), random_state=0, verbose=False),
    GramAlignment(n_components=1),
    KernelTargetAlignment(n_components=1),
    MMDAlignment(
        n_components=1, kernel=MMDKernel(n_random_features=16), max_iter=5, random_state=0, verbose=False
    ),
    MMDKernel(n_random_features=16, random_state=0),
    SemanticMatching(),
    SemanticCorrelationMatching(RegularizedCCA(n_components=1)),
]

# Every check of scikit-learn's that fits the estimator on (X, y).
CHECKS_THAT_FIT = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)

_NEEDS_LABELS = {
    "ThreeViewCCA": "fit needs labels (they are the third view) and scikit-learn's checks never pass them",
    "SemanticMatching": "fit needs labels (one classifier per view) and scikit-learn's checks never pass them",
    "SemanticCorrelationMatching": (
        "fit needs labels (its semantic-matching stage) and scikit-learn's checks never pass them"
    ),
}

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    name: dict.fromkeys(CHECKS_THAT_FIT, reason) for name, reason in _NEEDS_LABELS.items()
}
EXPECTED_FAILURES["SemanticMatching"]["check_transformer_n_iter"] = _NEEDS_LABELS["SemanticMatching"]
# scikit-learn recognises its cross-decomposition estimators by class name, and for the
# name "PLSSVD" it expects fit_transform(X, y) to return the pair, like transform(X, y).
# classicx's fit_transform(X, Y) is fit(X, Y).transform(X), as for every other transformer
# (so that an aligner can be an intermediate Pipeline step), for PLSSVD as for the others.
_PAIR_BY_NAME = (
    "sklearn expects the pair from fit_transform for the class name PLSSVD (its own cross-decomposition)"
)
EXPECTED_FAILURES["PLSSVD"] = {
    "check_transformer_general": _PAIR_BY_NAME,
    "check_transformer_data_not_an_array": _PAIR_BY_NAME,
}
