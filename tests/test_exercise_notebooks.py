"""The released exercise notebooks, run as a learner would run them.

Untouched, every notebook runs top to bottom without an error output and each
check cell says its exercise is not implemented yet. With the instructor's
solutions spliced back into the solution cells, every check passes.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lstmkit.course import by_notebook

ROOT = Path(__file__).resolve().parents[1]
STEMS = list(by_notebook())


def _execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    return nb


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{cell.id}: {out.ename}: {out.evalue}" for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def _check_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.metadata["nbgrader"].get("grade")]


@pytest.mark.parametrize("stem", STEMS)
def test_untouched_notebook_says_not_implemented_at_each_check_and_never_errors(stem):
    nb = _execute(nbformat.read(ROOT / "exercises" / f"{stem}.ipynb", as_version=4))
    assert _errors(nb) == []
    checks = _check_cells(nb)
    assert len(checks) == len(by_notebook()[stem])
    for cell in checks:
        name = cell.metadata["nbgrader"]["grade_id"].removeprefix("check_")
        text = _text(cell)
        assert f"{name} is not implemented yet" in text
        assert "Traceback" not in text
        kinds = [out.output_type for out in cell.outputs]
        assert kinds == ["display_data"]  # shown once, no second copy as the cell's result
        assert "text/html" in cell.outputs[0].data


@pytest.mark.parametrize("stem", STEMS)
def test_notebook_with_solutions_spliced_back_passes_every_check(stem):
    released = nbformat.read(ROOT / "exercises" / f"{stem}.ipynb", as_version=4)
    solutions = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solutions.cells
               if c.metadata["nbgrader"].get("solution")}
    spliced = 0
    for cell in released.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id in answers:
            cell.source = answers[grade_id]
            spliced += 1
    assert spliced == len(by_notebook()[stem])
    nb = _execute(released)
    assert _errors(nb) == []
    for cell in _check_cells(nb):
        assert "passed" in _text(cell) and "not yet right" not in _text(cell)


def test_feedback_shows_once_per_check_and_again_when_asked_for_later():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "from lstmkit.course import check\n"
            "def learn_gate(*args):\n    raise NotImplementedError('learn_gate is not implemented yet')"
        ),
        nbformat.v4.new_code_cell('result = check("learn_gate", learn_gate)'),
        nbformat.v4.new_code_cell('check("learn_gate", learn_gate)'),
        nbformat.v4.new_code_cell("result"),
    ])
    nb = _execute(nb)
    assert _errors(nb) == []
    for cell in nb.cells[1:]:
        assert [out.output_type for out in cell.outputs] == ["display_data"], cell.source
        assert "not implemented yet" in _text(cell)
