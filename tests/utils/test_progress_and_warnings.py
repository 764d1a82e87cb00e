"""Progress off a terminal is one line per step; warnings point at the user's line and name files (issue #11)."""

from __future__ import annotations

import inspect
import io
import re
import warnings

import cv2
import numpy as np
import pytest

from classicx.exceptions import ClassicxWarning, EmptyFeatureWarning
from classicx.utils import parallel
from classicx.utils.messages import warn


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_off_a_terminal_writes_one_line_per_step(monkeypatch, capsys):
    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    assert list(parallel.progress(range(500), total=500, desc="encoding images")) == list(range(500))
    err = capsys.readouterr().err
    assert "\r" not in err and err.splitlines() == [err.strip()]
    assert err.startswith("encoding images: 500/500 in ")


def test_progress_line_when_the_consumer_stops_early(monkeypatch, capsys):
    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    steps = parallel.progress(range(100), total=100, desc="sampling")
    for i in steps:
        if i == 9:
            break
    steps.close()
    assert capsys.readouterr().err.startswith("sampling: 9/100 in ")  # 10th item taken, 9 consumed


def test_quick_steps_and_quiet_steps_write_nothing(monkeypatch, capsys):
    list(parallel.progress(range(10), desc="quick"))  # under a second
    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    items = [1, 2]
    assert parallel.progress(items, verbose=False) is items
    assert capsys.readouterr().err == ""


def test_progress_on_a_terminal_is_a_bar(monkeypatch):
    from tqdm.auto import tqdm

    monkeypatch.setattr("sys.stderr", _Terminal())
    bar = parallel.progress(range(3), total=3, desc="x")
    assert isinstance(bar, tqdm)
    bar.close()


def _line_of(call_text: str) -> int:
    source, start = inspect.getsourcelines(inspect.currentframe().f_back.f_code)
    return start + next(i for i, line in enumerate(source) if call_text in line)


def test_warn_points_at_the_callers_line_exactly():
    def library_function():  # stands for classicx code: warn() skips only classicx/sklearn/joblib frames
        warn("note", ClassicxWarning)

    with pytest.warns(ClassicxWarning) as record:
        library_function()
    # This test file is outside classicx, so the nearest frame outside is warn()'s caller here.
    assert record[0].filename == __file__
    assert record[0].lineno == _line_of("warn(\"note\", ClassicxWarning)")


def test_a_warning_raised_under_sklearns_set_output_points_at_the_user(tmp_path):
    """TfidfLSA.fit_transform is wrapped by scikit-learn's _set_output: the warning still points here."""
    from classicx.text import TfidfLSA

    # "the" is a stop word: that text has no term, and fit_transform warns about its empty row.
    with pytest.warns(ClassicxWarning, match="1 of 7") as record:
        TfidfLSA(n_components=2).set_params(verbose=False).fit_transform(["a red circle", "a blue square"] * 3 + ["the"])
    assert record[0].filename == __file__
    assert record[0].lineno == _line_of("TfidfLSA(n_components=2).set_params")


def test_no_keypoint_warning_names_the_files(tmp_path):
    from classicx.datasets import load_synthetic
    from classicx.image import BagOfVisualWords

    data = load_synthetic(n_train=24, n_test=0, image_size=64, random_state=0)
    paths = []
    for i, image in enumerate(data.train.images[:3]):
        paths.append(str(tmp_path / f"shape {i}.png"))
        cv2.imwrite(paths[-1], image)
    flat = str(tmp_path / "flat grey.png")
    cv2.imwrite(flat, np.full((64, 64, 3), 128, np.uint8))
    encoder = BagOfVisualWords(vocabulary=8, verbose=False, random_state=0).fit(data.train.images)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        encoder.transform([*paths, flat])
    empty = [w for w in record if issubclass(w.category, EmptyFeatureWarning)]
    assert len(empty) == 1 and empty[0].filename == __file__
    assert repr(flat) in str(empty[0].message) and not re.search(r"\brow \d", str(empty[0].message))
    with pytest.warns(EmptyFeatureWarning, match=r"row 1\b"):  # arrays have no name: their row
        encoder.transform([data.train.images[0], np.full((64, 64, 3), 128, np.uint8)])


def test_verbose_false_reaches_an_encoder_nested_in_a_feature_union(monkeypatch, capsys):
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import Normalizer

    from classicx import CrossModalRetriever
    from classicx.datasets import load_synthetic
    from classicx.image import BagOfVisualWords, ColorHistogram
    from classicx.subspace import RegularizedCCA
    from classicx.text import TfidfLSA

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)  # every step would write its line
    data = load_synthetic(n_train=40, n_test=0, image_size=64, random_state=0)
    union = FeatureUnion([("bovw", BagOfVisualWords(vocabulary=8, verbose=True)), ("hsv", ColorHistogram())])
    model = CrossModalRetriever(image_features=make_pipeline(union, Normalizer()),
                                text_features=TfidfLSA(n_components=8, verbose=True),
                                aligner=RegularizedCCA(n_components=2), verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts)
    nested = model.image_features_.get_params(deep=True)
    assert nested["featureunion__bovw__verbose"] is False
    assert capsys.readouterr().err == ""
    assert union.get_params()["bovw__verbose"] is True  # the user's object is not changed
