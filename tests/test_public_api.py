"""The public API: every name is importable from the top level, and the layers import one way."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import classicx

PACKAGE = Path(classicx.__file__).resolve().parent
# datasets → image, text → subspace → search, metrics → model_selection, retriever → cli
LAYER = {
    "utils": -1, "exceptions": -1, "persistence": -1, "base": -1,
    "datasets": 0, "image": 1, "text": 1, "subspace": 2, "search": 3, "metrics": 3,
    "model_selection": 4, "retriever": 4, "spec": 4, "presets": 4, "_autoselect": 4, "serve": 5, "cli": 6,
}


SUBPACKAGES = ("datasets", "image", "text", "subspace", "search", "metrics", "utils", "spec")


def test_top_level_holds_subpackages_and_the_retriever():
    assert set(classicx.__all__) == {
        "__version__", "base", "datasets", "exceptions", "image", "metrics", "model_selection",
        "persistence", "presets", "search", "serve", "spec", "subspace", "text", "utils", "CrossModalRetriever", "Hit",
    }
    for name in classicx.__all__:
        assert hasattr(classicx, name), name
    with pytest.raises(AttributeError, match="no attribute 'RegularizedCCA'"):
        classicx.RegularizedCCA  # noqa: B018 - one spelling: classicx.subspace.RegularizedCCA


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_every_subpackage_name_is_exported(sub):
    module = getattr(classicx, sub)
    for name in module.__all__:
        assert hasattr(module, name), f"classicx.{sub}.{name}"


def test_one_spelling_per_public_class():
    """A public class is exported by one subpackage only (no second path to the same object)."""
    owners: dict[int, list[str]] = {}
    for sub in SUBPACKAGES:
        module = getattr(classicx, sub)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type):
                owners.setdefault(id(value), []).append(f"classicx.{sub}.{name}")
    shared = [names for names in owners.values() if len(names) > 1]
    assert not shared, shared


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (nothing imported yet) from the repository root."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=PACKAGE.parent)


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported once it has run ``code``."""
    probe = f"{code}; import sys; print(','.join(m for m in {modules!r} if m in sys.modules))"
    return [m for m in _fresh_python(probe).stdout.strip().split(",") if m]


def test_import_classicx_loads_no_heavy_library():
    """``import classicx`` imports neither OpenCV, gensim, faiss nor torch (PEP 562 lazy subpackages)."""
    assert _loaded_after("import classicx", ("cv2", "gensim", "faiss", "torch", "hnswlib", "annoy")) == []


def test_subspace_and_search_load_no_opencv():
    code = "import sys, classicx.subspace, classicx.search, classicx.metrics; print('cv2' in sys.modules)"
    out = _fresh_python(code)
    assert out.stdout.strip() == "False"


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            parts = (node.module or "").split(".")
            if node.level == 1 and path.parent != PACKAGE:
                continue  # a sibling inside the same subpackage
            head = parts[0] if parts[0] else None
            names = [head] if head else [a.name for a in node.names]
            found.update(n for n in names if n in LAYER)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("classicx."):
            head = node.module.split(".")[1]
            if head in LAYER:
                found.add(head)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_lower_layer_imports_a_higher_one(path):
    rel = path.relative_to(PACKAGE)
    own = rel.parts[0].removesuffix(".py")
    if own not in LAYER:
        return
    for other in _imported_layers(path):
        assert LAYER[other] <= LAYER[own] or other == own, f"{rel} ({own}) imports {other}"


LAZY_SUBPACKAGES = ("image", "text", "subspace", "search")


@pytest.mark.parametrize("sub", LAZY_SUBPACKAGES)
def test_lazy_names_are_the_objects_of_their_submodules(sub):
    """Each lazily exported name is the very object its submodule defines, and ``dir`` lists it."""
    module = getattr(classicx, sub)
    for name, where in module._EXPORTS.items():
        source = importlib.import_module(where, module.__name__)
        assert getattr(module, name) is getattr(source, name), f"classicx.{sub}.{name}"
        assert name in dir(module)
    assert set(module._EXPORTS) <= set(module.__all__)


def test_lazy_exports_refuse_a_name_equal_to_its_submodule():
    from classicx.utils._lazy import lazy_exports

    with pytest.raises(ValueError, match="tokenize"):
        lazy_exports("classicx.text", {"tokenize": ".tokenize"})
    getattr_, _ = lazy_exports("classicx.text", {"TfidfLSA": ".tfidf"})
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        getattr_("Nope")


def test_a_text_query_on_a_loaded_model_imports_no_fitting_machinery(tmp_path):
    """Loading a model and answering one text query imports neither scikit-learn's clustering,
    mixtures nor PCA: they are needed only to fit (issue #15: the query path's imports)."""
    from classicx.datasets import load_synthetic
    from classicx.retriever import CrossModalRetriever

    data = load_synthetic(n_train=48, n_test=8, image_size=64, random_state=0)
    CrossModalRetriever(image_features="fisher(sift,4)+0.5*hsv", text_features="lsa(4)|l2",
                        aligner="sm(balanced)", random_state=0).fit(
        data.train.images, data.train.texts, labels=data.train.labels).save(tmp_path / "m")
    code = (
        "from classicx import CrossModalRetriever; "
        f"r = CrossModalRetriever.load({str(tmp_path / 'm')!r}); r.search_text('a red circle', k=2)"
    )
    fitting = ("sklearn.cluster", "sklearn.mixture", "sklearn.decomposition", "sklearn.feature_extraction")
    # OpenCV neither: the image stages import it at their first image (classicx.utils._lazy.LazyModule).
    assert _loaded_after(code, (*fitting, "cv2")) == []
    # ... and an image query then does, and answers.
    image = "import numpy as np; assert len(r.search_image(np.full((64, 64, 3), 200, np.uint8), k=2)) == 2"
    assert _loaded_after(f"{code}; {image}", ("cv2",)) == ["cv2"]


def test_a_lazy_module_is_the_module_at_first_use_and_keeps_what_it_looked_up():
    import json

    from classicx.utils._lazy import LazyModule

    lazy = LazyModule("json")
    assert "dumps" not in vars(lazy)
    assert lazy.dumps is json.dumps and vars(lazy)["dumps"] is json.dumps
    assert "json" in repr(lazy)
    with pytest.raises(AttributeError):
        lazy.__wrapped__  # dunder probes (copy, pickle, inspect) are not forwarded
    with pytest.raises(AttributeError, match="no_such_name"):
        lazy.no_such_name


def test_english_stop_words_are_scikit_learns_without_importing_its_text_module():
    code = ("import sys; from classicx.text import ENGLISH_STOP_WORDS as ours; "
            "print(len(ours), 'sklearn.feature_extraction' in sys.modules)")
    out = _fresh_python(code)
    assert out.stdout.split() == ["318", "False"]
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert classicx.text.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS
