"""Tools for instructors writing exercise notebooks in ``solutions/``.

``solutions/NN_name.ipynb`` is the single source of an exercise notebook: the
instructor's version with solutions between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` and hidden tests between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``. The cell builders below give every cell the nbgrader
schema-v3 metadata that :mod:`lstmkit.course.release` and nbgrader expect, and
:func:`execute_in_place` runs a notebook and stores its outputs (``pytest --nbval``
compares them on every test run)::

    python -m lstmkit.course.authoring solutions/02_learn_gate.ipynb

Execution is deterministic: the checks draw their hidden cases from fixed seeds,
and the notebook metadata is reduced to the kernel's name and language.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_METADATA = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}


def nbgrader_metadata(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: float = 0
) -> dict[str, Any]:
    """nbgrader's schema-v3 cell metadata (``points`` only on grade cells)."""
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def markdown_cell(source: str, grade_id: str) -> NotebookNode:
    """A read-only text cell."""
    cell = nbformat.v4.new_markdown_cell(source.strip("\n"))
    cell.id = grade_id
    cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, locked=True)
    return cell


def locked_code_cell(source: str, grade_id: str) -> NotebookNode:
    """A read-only code cell (set-up, demonstrations)."""
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    cell.id = grade_id
    cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, locked=True)
    return cell


def solution_cell(source: str, grade_id: str) -> NotebookNode:
    """The learner's cell: everything between BEGIN/END SOLUTION becomes a stub on release."""
    if "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
        raise ValueError(
            f"solution cell {grade_id!r} has no '### BEGIN SOLUTION' ... '### END SOLUTION' region; "
            "mark the part the learner writes."
        )
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    cell.id = grade_id
    cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, solution=True)
    return cell


def check_cell(name: str, points: float, answer: str | None = None) -> NotebookNode:
    """The graded, locked cell: check(...) for the learner, assert_passes(...) hidden."""
    answer = answer or name
    source = (
        f'check("{name}", {answer})\n'
        "### BEGIN HIDDEN TESTS\n"
        f'assert_passes("{name}", {answer})\n'
        "### END HIDDEN TESTS"
    )
    grade_id = f"check_{name}"
    cell = nbformat.v4.new_code_cell(source)
    cell.id = grade_id
    cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, grade=True, locked=True, points=points)
    return cell


def new_notebook(cells: list[NotebookNode]) -> NotebookNode:
    """A v4 notebook with the course's fixed metadata."""
    nb = nbformat.v4.new_notebook(cells=cells, metadata=dict(NOTEBOOK_METADATA))
    nbformat.validate(nb)
    return nb


def execute_in_place(path: str | Path, timeout: int = 120) -> NotebookNode:
    """Run the notebook top to bottom in its folder and store its outputs in the file."""
    from nbclient import NotebookClient  # noqa: PLC0415  (authoring tools only)

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb.metadata = NotebookNode(dict(NOTEBOOK_METADATA))
    nbformat.write(nb, path)
    return nb


def main(argv: list[str] | None = None) -> int:
    """``python -m lstmkit.course.authoring NOTEBOOK...``: execute and store outputs."""
    parser = argparse.ArgumentParser(prog="python -m lstmkit.course.authoring", description=main.__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path, help="solution notebooks to execute in place")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            print(f"error: {path} does not exist; give paths of .ipynb files in solutions/.", file=sys.stderr)
            return 2
        execute_in_place(path)
        print(f"executed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
