"""nbgrader's own generate_assignment and autograde on one of our exercise notebooks.

Proves the released notebooks carry the metadata and checksums nbgrader expects:
nbgrader, given our stub, generates exactly ``exercises/02_learn_gate.ipynb``; its
autograde restores the hidden tests (SaveCells at generation, OverwriteCells at
autograde) and gives the reference answer full marks and the stub zero, even when
the learner replaced the check cell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lstmkit.course.release import stub_for

pytest.importorskip("nbgrader", reason="nbgrader (the instructor extra) is not installed")

ROOT = Path(__file__).resolve().parents[1]
STEM, EXERCISE = "02_learn_gate", "learn_gate"


def _nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "source" / "ps1" / f"{STEM}.ipynb").write_bytes((ROOT / "solutions" / f"{STEM}.ipynb").read_bytes())
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.db_assignments = [dict(name='ps1')]\n"
        "c.CourseDirectory.db_students = [dict(id='alice'), dict(id='bob')]\n"
        f"c.ClearSolutions.code_stub = {{'python': {stub_for(EXERCISE)!r}}}\n"
    )
    _nbgrader(course, "generate_assignment", "ps1")
    return course


def test_nbgrader_generates_exactly_our_released_notebook(course):
    theirs = nbformat.read(course / "release" / "ps1" / f"{STEM}.ipynb", as_version=4)
    ours = nbformat.read(ROOT / "exercises" / f"{STEM}.ipynb", as_version=4)
    assert [c.source for c in theirs.cells] == [c.source for c in ours.cells]
    assert [c.metadata for c in theirs.cells] == [c.metadata for c in ours.cells]  # checksums included
    assert theirs.metadata == ours.metadata


def _submit(course: Path, learner: str, answer: bool) -> None:
    nb = nbformat.read(course / "release" / "ps1" / f"{STEM}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / f"{STEM}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if answer and grade_id == EXERCISE:
            source = next(c.source for c in solution.cells if c.metadata["nbgrader"]["grade_id"] == EXERCISE)
            cell.source = "\n".join(line for line in source.splitlines() if "### " not in line)
        if grade_id == f"check_{EXERCISE}":
            cell.source = "print('all tests passed')"  # a learner's tampering: nbgrader puts the cell back
    folder = course / "submitted" / learner / "ps1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{STEM}.ipynb")


def test_nbgrader_autograde_restores_hidden_tests_and_scores_reference_full_and_stub_zero(course):
    from nbgrader.api import Gradebook

    _submit(course, "alice", answer=True)
    _submit(course, "bob", answer=False)
    _nbgrader(course, "autograde", "ps1")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s: (gradebook.find_submission("ps1", s).score, gradebook.find_submission("ps1", s).max_score)
                  for s in ("alice", "bob")}
    assert scores == {"alice": (3.0, 3.0), "bob": (0.0, 3.0)}
    graded = nbformat.read(course / "autograded" / "alice" / "ps1" / f"{STEM}.ipynb", as_version=4)
    check = next(c for c in graded.cells if c.metadata["nbgrader"]["grade_id"] == f"check_{EXERCISE}")
    assert f'assert_passes("{EXERCISE}", {EXERCISE})' in check.source
