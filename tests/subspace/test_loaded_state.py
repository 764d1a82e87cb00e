"""Loading checks that a fitted aligner's arrays fit together (issue #12: hand-edited models)."""

import json

import numpy as np
import pytest

from classicx.exceptions import ModelFormatError
from classicx.persistence import load, save
from classicx.subspace import PLSSVD, RegularizedCCA, SemanticMatching


def _views(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    Y = X[:, :3] + 0.1 * rng.normal(size=(n, 3))
    return X, Y, (X[:, 0] > 0).astype(int)


def _edit(path, attribute, value):
    meta_file = path / "classicx.json"
    meta = json.loads(meta_file.read_text())
    meta["root"]["state"][attribute] = value
    meta_file.write_text(json.dumps(meta))


@pytest.mark.parametrize("attribute", ["x_weights_", "y_weights_", "x_mean_", "y_std_"])
def test_a_null_fitted_array_is_refused_at_load_naming_the_model(tmp_path, attribute):
    X, Y, _ = _views()
    save(RegularizedCCA(n_components=2).fit(X, Y), tmp_path / "m")
    _edit(tmp_path / "m", attribute, None)
    with pytest.raises(ModelFormatError, match="cannot project a row") as info:
        load(tmp_path / "m")
    assert "m" in str(info.value)


def test_a_width_that_does_not_fit_the_weights_is_refused(tmp_path):
    X, Y, _ = _views()
    save(PLSSVD(n_components=2).fit(X, Y), tmp_path / "m")
    _edit(tmp_path / "m", "n_features_in_", 7)
    with pytest.raises(ModelFormatError, match="cannot project a row"):
        load(tmp_path / "m")


@pytest.mark.parametrize("make", [lambda: RegularizedCCA(n_components=2), lambda: PLSSVD(n_components=2),
                                  lambda: SemanticMatching()])
def test_untouched_models_still_load_and_project_as_before(tmp_path, make):
    X, Y, labels = _views()
    model = make()
    model = model.fit(X, Y, labels=labels) if isinstance(model, SemanticMatching) else model.fit(X, Y)
    save(model, tmp_path / "m")
    loaded = load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    np.testing.assert_array_equal(loaded.transform_y(Y), model.transform_y(Y))
