"""Every notebook in notebooks/ runs from top to bottom without error."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    # The kernel starts in the repository root so that it imports the classicx under test
    # whether or not it is installed; the notebooks write only to temporary directories.
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
    if path.name.startswith("02_"):
        _check_choosing_a_pipeline(notebook)


def _check_choosing_a_pipeline(notebook) -> None:
    """Notebook 02 shows a leaderboard of every pipeline, auto's own leaderboard and (with matplotlib) PR curves."""
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    for name in ("BoVW + LSA + CCA (as 0.2.0)", "BoVW + LSA + semantic matching", 'preset="auto", 20 s', "chosen:"):
        assert name in text, name
    assert "[done]" in text  # auto's leaderboard lists what it tried
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert any("image/png" in o.get("data", {}) for o in outputs if o.output_type == "display_data")
