"""From graded submissions to every file in OUT: late penalties, gradebook, overrides, report, exports.

Run at the end of every grading run, on all the submissions the gradebook is made of
(graded now or kept from earlier runs). Late penalties and overrides are applied here,
each time, from the course file: they are never part of the resume state, so
``--resume`` and regrades cannot lose them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .class_report import write_report
from .collect import Entry, NotGraded
from .course_file import Course
from .exports import write_exports
from .late import apply_late
from .overrides import Override, apply_overrides, read_overrides
from .report import Row, SubmissionResult, gradebook, write_outputs


@dataclass(frozen=True)
class ClassRows:
    """The gradebook as the instructor sees it (``rows``: penalties and overrides applied), and what
    the grader alone gave (``automatic``), for exports that keep the two apart."""

    columns: list[str]
    rows: dict[str, Row]
    automatic: dict[str, Row]
    overrides: dict[tuple[str, str], Override]


def class_rows(results: list[SubmissionResult], entries: list[Entry], not_graded: list[NotGraded],
               course: Course | None) -> ClassRows:
    """The gradebook's rows with the course's late penalties, overrides and files not graded."""
    if course is None:
        columns, rows = gradebook(results)
        return ClassRows(columns, rows, rows, {})
    _, automatic = gradebook(results, course.exercises, list(course.roster))
    submitted = {e.key: e.submitted for e in entries}
    results = [apply_late(r, submitted.get(r.key, ""), course) for r in results]
    columns, rows = gradebook(results, course.exercises, list(course.roster))
    overrides = read_overrides(course.overrides, course) if course.overrides is not None else {}
    rows = apply_overrides(rows, overrides)
    for left_out in not_graded:
        learner = _learner_of(left_out, course)
        if learner in rows:
            row = rows[learner]
            note = f"{Path(left_out.path).name} was not graded: {left_out.reason}"
            rows[learner] = dataclasses.replace(row, notes=(*row.notes, note))
    return ClassRows(columns, rows, automatic, overrides)


def _learner_of(left_out: NotGraded, course: Course) -> str:
    path = Path(left_out.path)
    return path.parent.name if path.parent.name in course.roster else path.stem


def write_everything(out: Path, results: list[SubmissionResult], entries: list[Entry], not_graded: list[NotGraded],
                     settings: dict[str, Any], course: Course | None) -> ClassRows:
    """gradebook.csv, results.json, feedback/, report.html and report.md, and (with a course) exports/."""
    book = class_rows(results, entries, not_graded, course)
    names = {learner.id: learner.name for learner in course.roster.values()} if course else None
    pairs = [(n.path, n.reason) for n in not_graded] if course else None
    write_outputs(out, book.columns, book.rows, results, settings, pairs, names)
    write_report(out, book.columns, book.rows, pairs or [], course.name if course else out.name)
    if course is not None:
        write_exports(out, book.columns, book.rows, book.automatic, book.overrides, entries, course)
    return book
