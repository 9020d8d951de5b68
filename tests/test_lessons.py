"""The lesson notebooks in notebooks/: present, valid, executed cleanly, pointing to their exercises,
and exactly what tools/build_lessons.py builds from tools/lessons/ (so they never drift).

Executing the lessons and comparing their outputs is nbval's job (pytest collects notebooks/
with --nbval); these tests check the files themselves and run in well under a second.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = (
    "00_start_here",
    "01_autograd",
    "02_learn_gate",
    "03_forget_gate",
    "04_remember_gate",
    "05_use_gate",
    "06_full_cell",
    "07_gradients_through_time",
    "08_train_on_gpu",
)
IGNORE = "# NBVAL_IGNORE_OUTPUT"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_lessons", ROOT / "tools" / "build_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
MODULES = {module.NAME: module for module in builder.lesson_modules()}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_builder_knows_exactly_the_course_lessons():
    assert tuple(MODULES) == LESSONS


def test_notebooks_folder_holds_only_the_lessons():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(LESSONS)


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_is_valid_nbformat_4(name):
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", LESSONS)
def test_builder_reproduces_the_committed_sources(name):
    built = builder.sources(builder.build(MODULES[name]))
    committed = builder.sources(_read(name))
    assert committed == built, f"{name}.ipynb differs from tools/lessons; run python tools/build_lessons.py {name[:2]}"


@pytest.mark.parametrize("name", LESSONS)
def test_every_code_cell_was_executed_without_errors(name):
    for cell in _read(name).cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"{name}: cell {cell.id} has no stored output; rebuild the lesson"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name}: cell {cell.id} stored an error: {errors[0].get('ename')}"
        streams = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        if not cell.source.startswith(IGNORE):
            assert "Warning" not in streams, f"{name}: cell {cell.id} stored a warning: {streams[:200]}"


@pytest.mark.parametrize("name", LESSONS)
def test_no_leftover_todo(name):
    for cell in _read(name).cells:
        outputs = "".join(str(o) for o in cell.get("outputs", []))
        assert "TODO" not in cell.source + outputs, f"{name}: cell {cell.id} says TODO"


@pytest.mark.parametrize("name", [n for n in LESSONS if MODULES[n].EXERCISE])
def test_lesson_points_to_its_exercise_notebook(name):
    exercise = MODULES[name].EXERCISE
    markdown = "".join(c.source for c in _read(name).cells if c.cell_type == "markdown")
    assert f"`{exercise}`" in markdown
    assert (ROOT / exercise).exists(), f"{name} points to {exercise}, which does not exist"


def test_exercise_pointers_match_the_course_registry():
    from lstmkit.course import EXERCISES

    registered = {ex.lesson: f"exercises/{ex.notebook}.ipynb" for ex in _exercises(EXERCISES)}
    pointed = {int(name[:2]): MODULES[name].EXERCISE for name in LESSONS if MODULES[name].EXERCISE}
    assert pointed == registered


def _exercises(registry):
    return registry.values() if isinstance(registry, dict) else registry


@pytest.mark.parametrize("name", LESSONS)
def test_machine_dependent_cells_are_ignored_and_followed_by_a_check(name):
    """Cells that train, time, draw widgets or name the device must not have their output compared."""
    cells = [c for c in _read(name).cells if c.cell_type == "code"]
    variable = re.compile(r"train\.fit\(|_explorer\(|SequencePlayer\(|draw_graph\(|LivePlot\(")
    for cell in cells:
        if cell.source.startswith(IGNORE):
            continue
        shows_widget = any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs)
        assert not shows_widget, f"{name}: cell {cell.id} displays a widget but its output is compared"
        last_line = cell.source.strip().splitlines()[-1]
        assert not variable.search(last_line), f"{name}: cell {cell.id} ends in a machine-dependent display"
    ignored_training = [i for i, c in enumerate(cells) if c.source.startswith(IGNORE) and "train.fit(" in c.source]
    for index in ignored_training:
        following = "".join(c.source for c in cells[index + 1 : index + 3])
        assert "assert " in following, f"{name}: training cell {cells[index].id} is not followed by an assertion"
