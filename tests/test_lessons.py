"""The lesson notebooks in notebooks/ and the solutions in solutions/: present, valid, executed
cleanly, pointing to their exercises, and exactly what tools/build_notebooks.py builds from
sources/ (so a stale notebook fails here).

Executing the lessons and comparing their outputs is nbval's job (pytest collects notebooks/
and solutions/ with --nbval); these tests check the files themselves.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
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
    "09_reading_text",
)
IGNORE_TAG = "nbval-ignore-output"
EXERCISE_POINTER = re.compile(r"exercises/(\d\d_\w+)\.ipynb")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
TARGETS = {t.notebook.relative_to(ROOT).as_posix(): t for t in builder.targets()}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _ignored(cell) -> bool:
    return IGNORE_TAG in cell.metadata.get("tags", [])


def test_builder_knows_exactly_the_course_lessons_and_solutions():
    lessons = [Path(p).stem for p in TARGETS if p.startswith("notebooks/")]
    solutions = sorted(Path(p).stem for p in TARGETS if p.startswith("solutions/"))
    assert tuple(lessons) == LESSONS
    assert solutions == sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
    assert solutions == sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))


def test_notebooks_folder_holds_only_the_lessons():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(LESSONS)


def test_no_notebook_is_stale():
    """The check the builder's --check runs: every stored notebook is built from its source."""
    stale = builder.stale(list(TARGETS.values()))
    assert not stale, f"stale: {stale}; run: python tools/build_notebooks.py, then lstmkit release solutions exercises"


def test_check_exits_1_and_names_a_stale_notebook(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    edited = tmp_path / "sources" / "lessons" / "03_forget_gate.py"
    text = edited.read_text()
    assert "# # Lesson 3" in text
    edited.write_text(text.replace("# # Lesson 3", "# # Lesson 3 (edited)", 1))
    monkeypatch.setattr(builder, "SOURCES", tmp_path / "sources")
    assert builder.main(["--check", "03"]) == 1
    assert builder.main(["--check", "02", "--lessons"]) == 0


def test_check_sees_changed_cell_metadata(tmp_path, monkeypatch):
    source = TARGETS["solutions/02_learn_gate.ipynb"].source
    edited = tmp_path / "sources" / "solutions" / source.name
    edited.parent.mkdir(parents=True)
    edited.write_text(source.read_text().replace('"points": 3', '"points": 4', 1))
    monkeypatch.setattr(builder, "SOURCES", tmp_path / "sources")
    assert builder.stale(builder.targets(("solutions",))) == ["solutions/02_learn_gate.ipynb"]


def test_builder_check_command_passes_on_the_committed_tree():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sources_are_ruff_clean():
    ruff = Path(sys.executable).with_name("ruff")
    command = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    done = subprocess.run([*command, "check", "sources", "tools"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cell_ids_are_stable_and_solutions_are_named_by_grade_id():
    for path, target in TARGETS.items():
        nb = builder.build(target.source)
        ids = [c.id for c in nb.cells]
        assert len(set(ids)) == len(ids), path
        for cell in nb.cells:
            if "nbgrader" in cell.metadata:
                assert cell.id == cell.metadata["nbgrader"]["grade_id"]
            else:
                assert re.fullmatch(rf"{target.name[:2]}-\d\d", cell.id), (path, cell.id)


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_is_valid_nbformat_4(name):
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata == {"kernelspec": builder.KERNELSPEC, "language_info": {"name": "python"}}


@pytest.mark.parametrize("path", list(TARGETS))
def test_every_code_cell_was_executed_without_errors(path):
    for cell in nbformat.read(ROOT / path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"{path}: cell {cell.id} has no stored output; rebuild it"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{path}: cell {cell.id} stored an error: {errors[0].get('ename')}"
        streams = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        if not _ignored(cell):
            assert "Warning" not in streams, f"{path}: cell {cell.id} stored a warning: {streams[:200]}"


@pytest.mark.parametrize("path", list(TARGETS))
def test_no_nbval_marker_in_what_the_learner_reads(path):
    for cell in nbformat.read(ROOT / path, as_version=4).cells:
        assert "NBVAL" not in cell.source, f"{path}: cell {cell.id} carries an nbval comment; use the tag"


@pytest.mark.parametrize("name", LESSONS)
def test_no_leftover_todo(name):
    for cell in _read(name).cells:
        outputs = "".join(str(o) for o in cell.get("outputs", []))
        assert "TODO" not in cell.source + outputs, f"{name}: cell {cell.id} says TODO"


def _pointed_exercise(name: str) -> str | None:
    """The exercise named in the lesson's "Your turn" section (lesson 0's course map names them all)."""
    markdown = "".join(c.source[c.source.index("## Your turn"):] for c in _read(name).cells
                       if c.cell_type == "markdown" and "## Your turn" in c.source)
    found = {m.group(1) for m in EXERCISE_POINTER.finditer(markdown)}
    assert len(found) <= 1, f"{name} points to several exercise notebooks: {sorted(found)}"
    return found.pop() if found else None


def test_exercise_pointers_match_the_course_registry_and_exist():
    from lstmkit.course import EXERCISES

    exercises = EXERCISES.values() if isinstance(EXERCISES, dict) else EXERCISES
    registered = {ex.lesson: ex.notebook for ex in exercises}
    pointed = {int(name[:2]): _pointed_exercise(name) for name in LESSONS if _pointed_exercise(name)}
    pointed = {int(stem[:2]) if stem == "08_ctc_decoding" else lesson: stem  # lesson 9 points to exercise 8
               for lesson, stem in pointed.items()}
    assert pointed == registered
    for stem in pointed.values():
        assert (ROOT / "exercises" / f"{stem}.ipynb").exists(), f"lessons point to exercises/{stem}.ipynb"


@pytest.mark.parametrize("name", LESSONS)
def test_machine_dependent_cells_are_ignored_and_followed_by_a_check(name):
    """Cells that train, time, draw widgets or name the device must not have their output compared."""
    cells = [c for c in _read(name).cells if c.cell_type == "code"]
    variable = re.compile(r"train\.fit\(|_explorer\(|SequencePlayer\(|draw_graph\(|LivePlot\(")
    for cell in cells:
        if _ignored(cell):
            continue
        last_line = cell.source.strip().splitlines()[-1]
        assert not variable.search(last_line), f"{name}: cell {cell.id} ends in a machine-dependent display"
    ignored_training = [i for i, c in enumerate(cells) if _ignored(c) and "train.fit(" in c.source]
    for index in ignored_training:
        following = "".join(c.source for c in cells[index + 1 : index + 3])
        assert "assert " in following, f"{name}: training cell {cells[index].id} is not followed by an assertion"


@pytest.mark.parametrize("path", list(TARGETS))
def test_no_widget_output_is_stored(path):
    """A stored widget view shows as its text repr until the kernel runs: none is kept."""
    for cell in nbformat.read(ROOT / path, as_version=4).cells:
        for output in cell.get("outputs", []):
            assert WIDGET_VIEW not in output.get("data", {}), f"{path}: cell {cell.id} stored a widget view"
