"""The recommender's evaluation notebook runs top to bottom (its cells assert the targets)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = (
    Path(__file__).resolve().parents[2] / "notebooks" / "3.0-kinerja-recommender-evaluation.ipynb"
)


@pytest.mark.slow
def test_the_recommender_evaluation_notebook_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_NOTEBOOK_EMPLOYEES", "1200")
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "over the better baseline" in printed
    assert "of the oracle's" in printed
