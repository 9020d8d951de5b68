"""Grades for the places a course keeps them: Canvas, Moodle, and nbgrader's own gradebook.

Written into ``OUT/exports/`` on every run with a course file, one grade per learner
and notebook (the sum of that notebook's exercises, after late penalties and
overrides):

* ``canvas.csv`` -- Canvas's gradebook import layout: ``Student, ID, SIS User ID,
  SIS Login ID, Section``, one column per notebook, and a ``Points Possible`` line
  first. ``ID`` is the roster's ``lms_id``, ``SIS User ID`` its ``id``, ``SIS Login
  ID`` its ``email``;
* ``moodle.csv`` -- a file for Moodle's "Import grades: CSV file": ``ID number, Email
  address, Full name`` and one column per notebook (map ``ID number`` or ``Email
  address`` to the user, each notebook column to its grade item);
* ``gradebook.db`` -- an nbgrader gradebook written through nbgrader's API: one
  assignment per notebook (with its deadline), its grade cells ``check_<exercise>``
  (as in the released notebooks), every roster learner as a student, a submission
  per notebook handed in, with ``auto_score`` the grader's score, ``manual_score`` an
  override, and the notebook's ``late_submission_penalty``. formgrader and ``nbgrader
  export`` then work on it as on a gradebook nbgrader filled itself.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ...files import write_atomic
from ..exercises import EXERCISES
from .collect import Entry
from .course_file import Course, CourseError
from .overrides import Override
from .report import Row, csv_cell


def notebook_scores(columns: list[str], row: Row, course: Course) -> dict[str, float]:
    """notebook -> the learner's score on its exercises."""
    return {nb: sum(row.results[n].score for n in columns if EXERCISES[n].spec.notebook == nb)
            for nb in course.notebooks}


def notebook_points(columns: list[str], course: Course) -> dict[str, float]:
    return {nb: sum(EXERCISES[n].spec.points for n in columns if EXERCISES[n].spec.notebook == nb)
            for nb in course.notebooks}


def _csv(lines: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[csv_cell(cell) for cell in line] for line in lines])
    return buffer.getvalue()


def canvas_csv(columns: list[str], rows: dict[str, Row], course: Course) -> str:
    """Canvas's gradebook import layout (see the module's docstring)."""
    points = notebook_points(columns, course)
    lines = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *course.notebooks],
             ["Points Possible", "", "", "", "", *(f"{points[nb]:g}" for nb in course.notebooks)]]
    for learner, row in rows.items():
        person, scores = course.roster[learner], notebook_scores(columns, row, course)
        lines.append([person.name or learner, person.lms_id, learner, person.email, "",
                      *(f"{scores[nb]:g}" for nb in course.notebooks)])
    return _csv(lines)


def moodle_csv(columns: list[str], rows: dict[str, Row], course: Course) -> str:
    """A CSV for Moodle's grade import (see the module's docstring)."""
    lines = [["ID number", "Email address", "Full name", *course.notebooks]]
    for learner, row in rows.items():
        person, scores = course.roster[learner], notebook_scores(columns, row, course)
        lines.append([learner, person.email, person.name, *(f"{scores[nb]:g}" for nb in course.notebooks)])
    return _csv(lines)


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


@contextlib.contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader runs the ``alembic`` command to stamp a new gradebook: find it beside this Python
    when the environment is not activated (its bin folder not on PATH); PATH is restored after."""
    before = os.environ.get("PATH", "")
    beside = str(Path(sys.executable).parent)
    if shutil.which("alembic") is None:
        if shutil.which("alembic", path=beside) is None:
            raise CourseError("writing nbgrader's gradebook needs the alembic command (installed with nbgrader), "
                              "found neither on PATH nor beside this Python; install 'lstmkit[instructor]'.")
        os.environ["PATH"] = os.pathsep.join([beside, before])
    try:
        yield
    finally:
        os.environ["PATH"] = before


def nbgrader_gradebook(path: Path, columns: list[str], rows: dict[str, Row], automatic: dict[str, Row],
                       overrides: dict[tuple[str, str], Override], entries: list[Entry], course: Course) -> None:
    """Fill a new nbgrader gradebook at ``path`` (see the module's docstring)."""
    try:
        from nbgrader.api import Gradebook  # noqa: PLC0415  (instructor extra)
    except ImportError as error:
        raise CourseError(f"writing nbgrader's gradebook needs nbgrader ({error}); install the instructor tools: "
                          "pip install 'lstmkit[instructor]'.") from error
    times = {}
    for entry in entries:
        if entry.notebook and entry.submitted:
            when = datetime.fromisoformat(entry.submitted).replace(tzinfo=None)  # nbgrader stores naive UTC
            times[entry.learner, entry.notebook] = max(when, times.get((entry.learner, entry.notebook), when))
    handed_in = {(e.learner, e.notebook) for e in entries if e.notebook}
    with _alembic_on_path(), warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{path}", course_id=course.path.stem) as book:
        # nbgrader's add_submission builds its objects during an autoflush; SQLAlchemy warns, nothing is lost
        warnings.filterwarnings("ignore", message=".*not in session.*")
        for nb in course.notebooks:
            due = course.deadlines.get(nb)
            book.add_assignment(nb, duedate=due.replace(tzinfo=None) if due else None)
            book.add_notebook(nb, nb)
            for name in columns:
                if EXERCISES[name].spec.notebook == nb:
                    book.add_grade_cell(f"check_{name}", nb, nb, max_score=EXERCISES[name].spec.points,
                                        cell_type="code")
        for person in course.roster.values():
            first, last = _split_name(person.name)
            book.add_student(person.id, first_name=first, last_name=last, email=person.email or None,
                             lms_user_id=person.lms_id or None)
        for learner, row in rows.items():
            for nb in course.notebooks:
                overridden = any((learner, n) in overrides for n in columns if EXERCISES[n].spec.notebook == nb)
                if (learner, nb) not in handed_in and not overridden:
                    continue
                book.add_submission(nb, learner, timestamp=times.get((learner, nb)))
                penalty = 0.0
                for name in columns:
                    if EXERCISES[name].spec.notebook != nb:
                        continue
                    grade = book.find_grade(f"check_{name}", nb, nb, learner)
                    grade.auto_score = automatic[learner].results[name].score
                    if (learner, name) in overrides:
                        grade.manual_score = overrides[learner, name].score
                    else:
                        penalty += grade.auto_score - row.results[name].score
                book.find_submission_notebook(nb, nb, learner).late_submission_penalty = round(penalty, 6)
        book.db.commit()


def write_exports(out: Path, columns: list[str], rows: dict[str, Row], automatic: dict[str, Row],
                  overrides: dict[tuple[str, str], Override], entries: list[Entry], course: Course) -> None:
    """OUT/exports/canvas.csv, moodle.csv and gradebook.db, each replaced whole."""
    folder = out / "exports"
    folder.mkdir(exist_ok=True)
    write_atomic(folder / "canvas.csv", canvas_csv(columns, rows, course))
    write_atomic(folder / "moodle.csv", moodle_csv(columns, rows, course))
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        database = Path(scratch) / "gradebook.db"
        nbgrader_gradebook(database, columns, rows, automatic, overrides, entries, course)
        write_atomic(folder / "gradebook.db", database.read_bytes())
