"""Manual grades: a CSV of overrides applied on top of the automatic scores on every run.

Columns ``learner, exercise, score, reason, who, when`` (all required). Each line sets
one exercise's score for one learner, whatever the grader (and the late policy) gave;
the Result keeps its automatic verdict and message and gains a note saying who set
the score, when and why, shown in the gradebook's ``adjusted`` column and the
learner's feedback. A later line for the same learner and exercise replaces an earlier
one (the file is the history; the last word counts). The file is read again on every
run, so an override survives ``--resume`` and regrades.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..exercises import EXERCISES
from .course_file import Course, CourseError, parse_time, read_csv
from .report import Row

COLUMNS = ("learner", "exercise", "score", "reason", "who", "when")


@dataclass(frozen=True)
class Override:
    """One manual grade."""

    learner: str
    exercise: str
    score: float
    reason: str
    who: str
    when: str

    def note(self, points: float) -> str:
        return f"Score set by hand to {self.score:g} / {points:g} by {self.who} on {self.when}: {self.reason}"


def read_overrides(path: Path, course: Course) -> dict[tuple[str, str], Override]:
    """(learner, exercise) -> the last override for it; a CourseError naming the line for anything wrong."""
    overrides = {}
    for line, row in enumerate(read_csv(path, COLUMNS, COLUMNS, "overrides file"), start=2):
        where = f"{path}, line {line}"
        learner, exercise = row["learner"], row["exercise"]
        if learner not in course.roster:
            raise CourseError(f"{where}: {learner!r} is not on the roster of {course.path.name}.")
        if exercise not in course.exercises:
            raise CourseError(f"{where}: {exercise!r} is not an exercise of this course; expected one of "
                              f"{', '.join(course.exercises)}.")
        points = EXERCISES[exercise].spec.points
        try:
            score = float(row["score"])
        except ValueError:
            score = float("nan")
        if not 0 <= score <= points:
            raise CourseError(f"{where}: score {row['score']!r} for {exercise} must be a number from 0 to {points:g}.")
        for column in ("reason", "who"):
            if not row[column]:
                raise CourseError(f"{where}: the {column} is empty; every override says who set it and why.")
        parse_time(row["when"], where)
        overrides[learner, exercise] = Override(learner, exercise, score, row["reason"], row["who"], row["when"])
    return overrides


def apply_overrides(rows: dict[str, Row], overrides: dict[tuple[str, str], Override]) -> dict[str, Row]:
    """Rows with every override's score and note in place."""
    changed = dict(rows)
    for (learner, exercise), override in overrides.items():
        row = changed[learner]
        result = row.results[exercise]
        results = dict(row.results)
        results[exercise] = result.replace(score=override.score,
                                           adjustments=(*result.adjustments, override.note(result.points)))
        changed[learner] = Row(row.learner, results, row.submissions, row.notes)
    return changed
