"""Reading a submission: its learner, its exercises, its code, its forbidden names.

Everything here runs in the grader's process on the notebook *as text*: nothing of
the learner's is executed or imported. Exercises are found from the functions and
classes the code defines and from the file's name, never from cell metadata (a
learner can delete, duplicate or retype cells and their metadata).

Layouts (see docs/grading.md):

* ``alice/02_learn_gate.ipynb`` -- a folder per learner (the file names the notebook);
* ``02_learn_gate/alice.ipynb`` -- a folder per assignment (the folder names it);
* ``alice.ipynb`` -- the notebook found from the functions it defines.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exercises import EXERCISES, by_notebook
from ..spec import Exercise

MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)
SAFE_CALLS = {"check", "assert_passes"}


class NotebookError(ValueError):
    """The submission is not a readable notebook."""


@dataclass
class Submission:
    """One notebook file of one learner, as read by the grader."""

    path: str
    learner: str
    notebook: str | None  #: the exercise notebook's stem, None when unknown
    data: bytes
    cells: list[dict[str, Any]] = field(default_factory=list)  #: code cells: index, source
    error: str = ""  #: why it could not be read ("" when it could)
    exercises: list[str] = field(default_factory=list)


def learner_and_notebook(path: Path) -> tuple[str, str | None]:
    """(learner, notebook stem or None) from the file's place, per the documented layouts."""
    stems = by_notebook()
    if path.stem in stems:
        return path.parent.name or path.stem, path.stem
    if path.parent.name in stems:
        return path.stem, path.parent.name
    return path.stem, None


def code_cells(data: bytes) -> list[dict[str, Any]]:
    """The code cells of a notebook file: [{index, source}], magics commented out.

    Raises NotebookError for text that is not a notebook (invalid JSON, no cells).
    """
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"not a valid notebook: the file is not JSON ({error})") from error
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a valid notebook: no list of cells (expected a Jupyter .ipynb file)")
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if not isinstance(source, str):
            continue
        cells.append({"index": index, "source": MAGIC.sub(r"\1pass  # \2", source)})
    return cells


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def defined_names(cells: list[dict[str, Any]]) -> set[str]:
    """Top-level names the cells define (def, class, assignment, import)."""
    names: set[str] = set()
    for cell in cells:
        tree = _parse(cell["source"])
        for node in tree.body if tree else ():
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def exercises_of(notebook: str | None, cells: list[dict[str, Any]]) -> list[str]:
    """The exercises to grade: the named notebook's, plus those of every notebook whose
    exercises the code defines (course order)."""
    defined = defined_names(cells)
    stems = {notebook} if notebook else set()
    stems |= {ex.notebook for name, ex in EXERCISES.items() if name in defined}
    return [name for name, ex in EXERCISES.items() if ex.notebook in stems]


def read_submission(path: Path, data: bytes | None = None) -> Submission:
    """Read one submission file (never raises for its content: ``error`` says what is wrong)."""
    learner, notebook = learner_and_notebook(path)
    data = path.read_bytes() if data is None else data
    submission = Submission(str(path), learner, notebook, data)
    try:
        submission.cells = code_cells(data)
    except NotebookError as error:
        submission.error = str(error)
        submission.exercises = exercises_of(notebook, [])
        return submission
    submission.exercises = exercises_of(notebook, submission.cells)
    if submission.notebook is None and submission.exercises:
        submission.notebook = EXERCISES[submission.exercises[0]].notebook
    return submission


# ------------------------------------------------------------------ static forbidden-name scan


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    root = aliases.get(node.id, node.id)
    return ".".join([root, *reversed(parts)])


def _bindings(cells: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, ast.AST]]:
    """Module-level import aliases (name -> dotted) and the last definition of each name."""
    aliases: dict[str, str] = {}
    defs: dict[str, ast.AST] = {}
    for cell in cells:
        tree = _parse(cell["source"])
        for node in tree.body if tree else ():
            if isinstance(node, ast.Import):
                for a in node.names:
                    name = a.asname or a.name.split(".")[0]
                    aliases[name] = a.name if a.asname else a.name.split(".")[0]
                    defs.pop(name, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if node.module == "lstmkit.course" and a.name in SAFE_CALLS:
                        continue  # the notebook's own set-up cell
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                    defs.pop(a.asname or a.name, None)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defs[node.name] = node
                aliases.pop(node.name, None)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        defs[t.id] = node
                        aliases.pop(t.id, None)
    return aliases, defs


def _matches(name: str, entry: str) -> bool:
    return name == entry or name.startswith(entry + ".")


def forbidden_in_source(exercise: Exercise, cells: list[dict[str, Any]]) -> list[str]:
    """Forbidden names the learner's definition of ``exercise`` (and its helpers) uses.

    Reads the last definition of the exercise's name and, transitively, of every
    top-level name it refers to; resolves import aliases (``import lstmkit as lk``
    makes ``lk.gates.learn_gate`` read ``lstmkit.gates.learn_gate``); flags dotted
    prefixes, bare attribute names, and ``__import__("...")`` / ``import_module``.
    """
    if not exercise.forbidden:
        return []
    aliases, defs = _bindings(cells)
    bare = {e for e in exercise.forbidden if "." not in e}
    found: set[str] = set()

    def flag(dotted: str | None) -> None:
        if dotted and any(_matches(dotted, e) for e in exercise.forbidden):
            found.add(dotted)

    todo, seen = [exercise.name], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in aliases:
            flag(aliases[name])
        node = defs.get(name)
        if node is None:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                flag(aliases.get(sub.id))
                if sub.id in bare:
                    found.add(sub.id)
                if sub.id in defs or sub.id in aliases:
                    todo.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                flag(_dotted(sub, aliases))
                if sub.attr in bare:
                    found.add(sub.attr)
            elif isinstance(sub, ast.Import):
                for a in sub.names:
                    flag(a.name)
            elif isinstance(sub, ast.ImportFrom) and sub.module:
                for a in sub.names:
                    flag(f"{sub.module}.{a.name}")
            elif isinstance(sub, ast.Call) and sub.args and isinstance(sub.args[0], ast.Constant):
                callee = _dotted(sub.func, aliases) or ""
                if callee.split(".")[-1] in ("__import__", "import_module") and isinstance(sub.args[0].value, str):
                    flag(sub.args[0].value)
    return sorted(n for n in found if not any(o.startswith(n + ".") for o in found))
