"""Every notebook runs top to bottom in a fresh kernel, and is stored clean.

Notebooks are product: CI executes each one here. They are kept without
outputs or execution counts so a diff shows only what a person wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {index} has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {index} has a count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails


def _text(notebook: dict, kind: str) -> str:
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"]
                     if cell["cell_type"] == kind)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_lesson(path: Path) -> None:
    """Each opens with what you will learn, what you need and how long it takes,
    asks for predictions, has exercises checked by notebooks/exercises.py whose
    solutions are collapsed, and ends with a recap."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    opening = "".join(notebook["cells"][0]["source"])
    for promise in ("will learn", "need", "Time:"):
        assert promise in opening, f"{path.name}: the opening does not say {promise!r}"
    prose, code = _text(notebook, "markdown"), _text(notebook, "code")
    assert "## Recap" in prose, f"{path.name}: no recap"
    assert "🤔 Predict, then run" in prose, f"{path.name}: no predict-then-run prompt"
    assert "✎ Your turn" in prose, f"{path.name}: no exercise"
    assert "from exercises import" in code, f"{path.name}: no exercise check"
    solutions = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"
                 and "".join(cell["source"]).startswith("# Solution")]
    assert solutions, f"{path.name}: no solution cell"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), \
            f"{path.name}: a solution cell is not collapsed"
