"""Releasing solutions/ into exercises/ with nbgrader's preprocessors."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import compute_checksum

from lstmkit.course import EXERCISES, by_notebook
from lstmkit.course.release import ReleaseError, main, release, release_notebook, stale_files

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISE_DIR = ROOT / "solutions", ROOT / "exercises"


def test_exercises_folder_is_exactly_what_release_produces(tmp_path):
    release(SOLUTIONS, tmp_path)
    produced = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    committed = {p.name: p.read_bytes() for p in EXERCISE_DIR.glob("*.ipynb")}
    assert sorted(committed) == sorted(produced), "run: lstmkit release solutions exercises"
    stale = [name for name in produced if produced[name] != committed[name]]
    assert not stale, f"exercises/ is stale ({stale}); run: lstmkit release solutions exercises"


def test_release_is_byte_identical_on_rerun(tmp_path):
    first = {p.name: p.read_bytes() for p in release(SOLUTIONS, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in release(SOLUTIONS, tmp_path / "b")}
    assert first == second


def test_every_registered_exercise_has_one_solution_and_one_check_cell():
    for stem, exercises in by_notebook().items():
        nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
        for ex in exercises:
            assert ids.count(ex.name) == 1 and ids.count(f"check_{ex.name}") == 1


@pytest.mark.parametrize("stem", list(by_notebook()))
def test_released_notebook_has_stubs_locked_checks_and_nbgrader_checksums(stem):
    nb = nbformat.read(EXERCISE_DIR / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    graded = 0
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        assert meta["schema_version"] == 3 and meta["task"] is False
        assert meta["checksum"] == compute_checksum(cell)
        assert "BEGIN SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source
        assert "assert_passes(" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if meta["grade"]:
            graded += 1
            name = meta["grade_id"].removeprefix("check_")
            assert meta["locked"] and cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            assert meta["points"] == EXERCISES[name].points
            assert cell.source == f'check("{name}", {name})'
        if meta["solution"]:
            assert f'raise NotImplementedError("{meta["grade_id"]} is not implemented yet")' in cell.source
            assert "# YOUR CODE HERE" in cell.source
    assert graded == len(by_notebook()[stem])
    assert nb.metadata == {"kernelspec": nb.metadata["kernelspec"], "language_info": {"name": "python"}}


def _broken_solution(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    nb = nbformat.read(SOLUTIONS / "03_forget_gate.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata["nbgrader"]["solution"]:
            cell.source = cell.source.replace("### END SOLUTION", "")
    nbformat.write(nb, source / "03_forget_gate.ipynb")
    return source


def test_broken_solution_raises_a_clear_error_and_writes_nothing(tmp_path):
    source = _broken_solution(tmp_path)
    with pytest.raises(ReleaseError, match="03_forget_gate.*end solution"):
        release(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_check_cell_for_unknown_exercise_is_refused():
    nb = nbformat.read(SOLUTIONS / "02_learn_gate.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade"])
    cell.metadata["nbgrader"]["grade_id"] = "check_lern_gate"
    with pytest.raises(ReleaseError, match="names no registered exercise"):
        release_notebook(nb, "02_learn_gate.ipynb")


def test_command_line_writes_then_reports_up_to_date_or_stale(tmp_path, capsys):
    dest = tmp_path / "ex"
    assert main([str(SOLUTIONS), str(dest)]) == 0
    assert main([str(SOLUTIONS), str(dest), "--check"]) == 0
    page = dest / "02_learn_gate.ipynb"
    data = json.loads(page.read_text())
    data["cells"][0]["source"] = "edited by hand"
    page.write_text(json.dumps(data))
    assert stale_files(SOLUTIONS, dest) == ["02_learn_gate.ipynb"]
    assert main([str(SOLUTIONS), str(dest), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert main([str(tmp_path / "missing"), str(dest)]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("stem", list(by_notebook()))
def test_solution_notebook_stores_one_passing_feedback_per_check(stem):
    nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata["nbgrader"]["grade"]:
            assert "### BEGIN HIDDEN TESTS" in cell.source and "assert_passes(" in cell.source
            assert [out.output_type for out in cell.outputs] == ["display_data"]
            assert "passed" in cell.outputs[0].data["text/plain"]


def test_release_refuses_to_leave_an_exercise_without_its_solution_stale_unless_pruned(tmp_path, capsys):
    import shutil

    source, dest = tmp_path / "solutions", tmp_path / "exercises"
    source.mkdir()
    for name in ("02_learn_gate.ipynb", "03_forget_gate.ipynb"):
        shutil.copy(SOLUTIONS / name, source / name)
    release(source, dest)
    (source / "03_forget_gate.ipynb").unlink()
    (dest / "02_learn_gate.ipynb").write_text("edited")  # would be rewritten by a release
    with pytest.raises(ReleaseError, match=r"holds 03_forget_gate.ipynb, which no notebook .* would go stale"):
        release(source, dest)
    assert main([str(source), str(dest)]) == 2
    assert "pass --prune to remove them" in capsys.readouterr().err
    assert (dest / "02_learn_gate.ipynb").read_text() == "edited" and (dest / "03_forget_gate.ipynb").exists()
    assert main([str(source), str(dest), "--prune"]) == 0
    assert "removed" in capsys.readouterr().out and sorted(p.name for p in dest.iterdir()) == ["02_learn_gate.ipynb"]
    assert stale_files(source, dest) == []
