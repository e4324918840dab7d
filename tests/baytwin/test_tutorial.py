"""The tutorial notebook (docs/tutorial.ipynb) runs from top to bottom, as a reader would run it.

A tutorial whose cells fail teaches nothing; executing it here keeps it in step with the API. It is kept
without outputs, so what a reader sees is what their own run shows, and the file's history shows only
edits of its text.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbclient
import nbformat

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"


def test_the_tutorial_is_kept_without_outputs() -> None:
    notebook = nbformat.read(TUTORIAL, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_tutorial_runs_top_to_bottom_within_a_minute(tmp_path: Path) -> None:
    notebook = nbformat.read(TUTORIAL, as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # a failing cell raises
    took = time.perf_counter() - started
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    shown = "\n".join(str(output.get("data", {}).get("text/plain", "")) for output in outputs)
    assert "Results(scenario='workplace-garage-enforced'" in shown
    assert "America/Los_Angeles" in shown and "-08:00" in shown  # violations on the garage's clock
    assert "grace 5 min" in shown and "grace_min=30,idle_fee_per_min=0.5" in shown
    assert "accepted" in shown and "not a readable image" in shown
    assert not [output for output in outputs if output.output_type == "stream" and output.name == "stderr"]
    assert took < 120, f"the tutorial took {took:.0f} s; it should stay under a minute on an idle machine"
