"""The public API: every name is importable from the top level, and the layers import one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import classicx

PACKAGE = Path(classicx.__file__).resolve().parent
# datasets → image, text → subspace → search, metrics → model_selection, retriever → cli
LAYER = {
    "datasets": 0, "image": 1, "text": 1, "subspace": 2, "search": 3, "metrics": 3,
    "model_selection": 4, "retriever": 4, "cli": 5,
}


def test_every_public_name_is_exported():
    for name in classicx.__all__:
        assert hasattr(classicx, name), name
    for sub in ("datasets", "image", "text", "subspace", "search", "metrics"):
        module = getattr(classicx, sub)
        for name in module.__all__:
            assert hasattr(module, name), f"classicx.{sub}.{name}"
            if sub != "datasets":
                assert getattr(classicx, name) is getattr(module, name), name


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
