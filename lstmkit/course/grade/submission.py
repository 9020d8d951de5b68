"""Reading a submission: its learner, its exercises, its code, its forbidden names.

Everything here runs on the notebook *as text*: nothing of the learner's is executed
or imported. An exercise's points come from its own notebook: a file whose place names
the notebook (the layouts below) is graded for that notebook's exercises only, so a
``learn_gate`` pasted as a helper into the remember-gate notebook earns nothing for
the learn-gate exercise. Only a file whose place names no notebook has its exercises
found from the functions and classes its code defines. Cell metadata is never used (a
learner can delete, duplicate or retype cells and their metadata).

Layouts (see docs/grading.md):

* ``alice/02_learn_gate.ipynb`` -- a folder per learner (the file names the notebook);
* ``02_learn_gate/alice.ipynb`` -- a folder per assignment (the folder names it);
* ``alice.ipynb`` -- the notebook found from the functions it defines.

The notebook is untrusted: it is parsed with its size already bounded (the task
carries at most ``MAX_NOTEBOOK_BYTES``), and a parse that runs out of stack or memory
(100,000 nested lists; a cell of 100,000 chained additions or unary minuses, which
:func:`~..forbidden.parse` turns into "does not parse") costs that one row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import EXERCISES, by_notebook
from ..forbidden import Forbidden, defined_names, in_source, parse
from .job import Cell

MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)


class NotebookError(ValueError):
    """The submission is not a readable notebook."""


@dataclass
class Submission:
    """One notebook file of one learner, as read by the grader."""

    path: str
    learner: str
    notebook: str | None  #: the exercise notebook's stem, None when unknown
    cells: list[Cell] = field(default_factory=list)
    error: str = ""  #: why it could not be read ("" when it could)
    exercises: list[str] = field(default_factory=list)
    forbidden: dict[str, list[str]] = field(default_factory=dict)  #: exercise -> forbidden names its answer uses


COPY_MARKS = re.compile(r"^(?:Copy of )+|(?: \(\d+\)| - Copy(?: \(\d+\))?|-Copy\d+)+$")


def notebook_stem(stem: str) -> str:
    """The exercise notebook a renamed copy names (``02_learn_gate (1)``, ``Copy of 05_use_gate``,
    ``03_forget_gate-Copy1`` -> the notebook's stem); any other stem unchanged."""
    bare = COPY_MARKS.sub("", stem)
    return bare if bare in by_notebook() else stem


def learner_and_notebook(path: Path) -> tuple[str, str | None]:
    """(learner, notebook stem or None) from the file's place, per the documented layouts;
    a renamed copy of a notebook (:func:`notebook_stem`) names that notebook."""
    stems = by_notebook()
    stem = notebook_stem(path.stem)
    if stem in stems:
        return path.parent.name or stem, stem
    if path.parent.name in stems:
        return path.stem, path.parent.name
    return path.stem, None


def code_cells(data: bytes) -> list[Cell]:
    """The code cells of a notebook file; a NotebookError for text that is not a notebook."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"not a valid notebook: the file is not JSON ({error})") from error
    except (RecursionError, MemoryError) as error:  # untrusted JSON: 100,000 nested lists cost this row only
        raise NotebookError("not a valid notebook: its JSON nests too deeply or is too large to read "
                            f"({type(error).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a valid notebook: no list of cells (expected a Jupyter .ipynb file)")
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if isinstance(source, str):
            cells.append(Cell(index, MAGIC.sub(r"\1pass  # \2", source)))
    return cells


def read_submission(path: Path, data: bytes) -> Submission:
    """Read one submission file (never raises for its content: ``error`` says what is wrong)."""
    learner, notebook = learner_and_notebook(path)
    submission = Submission(str(path), learner, notebook)
    stems = {notebook} if notebook else set()
    try:
        submission.cells = code_cells(data)
    except NotebookError as error:
        submission.error = str(error)
        submission.exercises = [n for n, ex in EXERCISES.items() if ex.spec.notebook in stems]
        return submission
    trees = [tree for tree in (parse(cell.source) for cell in submission.cells) if tree is not None]
    if not stems:  # a file that names no notebook: its exercises are found from what its code defines
        defined = defined_names(trees)
        stems = {ex.spec.notebook for name, ex in EXERCISES.items() if name in defined}
    submission.exercises = [name for name, ex in EXERCISES.items() if ex.spec.notebook in stems]
    if submission.notebook is None and submission.exercises:
        submission.notebook = EXERCISES[submission.exercises[0]].spec.notebook
    for name in submission.exercises:
        submission.forbidden[name] = in_source(name, trees, Forbidden(EXERCISES[name].spec.forbidden))
    return submission
