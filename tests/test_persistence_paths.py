"""Path-valued parameters (a cache directory, a model file) save as strings and load as str (issue #13)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from classicx import persistence
from classicx.exceptions import InputTypeError
from classicx.image import BagOfVisualWords, LocalDescriptors


def _images(n: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [cv2.GaussianBlur(rng.integers(0, 256, (96, 96), dtype=np.uint8), (3, 3), 0) for _ in range(n)]


def test_a_path_parameter_of_a_nested_estimator_saves_and_loads_as_its_string(tmp_path):
    images = _images()
    cache = tmp_path / "descriptor cache"
    model = BagOfVisualWords(LocalDescriptors("sift", cache=cache), 4, verbose=False, random_state=0).fit(images)
    persistence.save(model, tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "classicx.json").read_text(encoding="utf-8"))
    # The plain string, no marker: any reader of format 3 opens it.
    assert meta["root"]["params"]["descriptor"]["__estimator__"]["params"]["cache"] == str(cache)
    loaded = persistence.load(tmp_path / "model")
    assert loaded.descriptor.cache == str(cache) and type(loaded.descriptor.cache) is str
    np.testing.assert_array_equal(loaded.transform(images), model.transform(images))
    # Saving the loaded model again gives the same file (str and Path are stored alike).
    persistence.save(loaded, tmp_path / "again")
    assert json.loads((tmp_path / "again" / "classicx.json").read_text(encoding="utf-8"))["root"] == meta["root"]


class _BytesPath:
    def __fspath__(self) -> bytes:
        return b"/tmp/somewhere"


@pytest.mark.filterwarnings("ignore:Instantiating a backend using a bytes")  # joblib's, about the cache
def test_a_bytes_path_is_refused_with_the_parameter_named(tmp_path):
    model = BagOfVisualWords(LocalDescriptors("sift", cache=_BytesPath()), 4, verbose=False, random_state=0)
    model.fit(_images())
    with pytest.raises(InputTypeError, match=r"BagOfVisualWords\.descriptor\.cache.*bytes"):
        persistence.save(model, tmp_path / "model")
    assert not Path(tmp_path / "model").exists()
