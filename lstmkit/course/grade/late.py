"""Late penalties: a submission handed in after its notebook's deadline loses part of each exercise's score.

The penalty is applied on every run from the submission's time and the course's
policy (never stored in the resume state), and shown beside each exercise it changed,
in the gradebook's ``adjusted`` column and in the learner's feedback.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from ..exercises import EXERCISES
from ..result import Result
from .course_file import Course
from .report import SubmissionResult


def duration(span: timedelta) -> str:
    """``1 day 2 h 5 min`` for a positive span."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    return " ".join(parts + [f"{minutes} min"]) if minutes or not parts else " ".join(parts)


def penalised(result: Result, submitted: datetime, due: datetime, course: Course) -> Result:
    """``result`` with the late policy applied (unchanged when handed in on time)."""
    if submitted <= due:
        return result
    late, fraction = submitted - due, course.late.fraction(submitted - due)
    when = f"handed in {submitted:%Y-%m-%d %H:%M} UTC, {duration(late)} after the deadline {due:%Y-%m-%d %H:%M} UTC"
    if fraction == 0:
        why = "within the grace period" if late <= timedelta(minutes=course.late.grace_minutes) else "the late " \
            "policy takes nothing"
        return result.replace(adjustments=(*result.adjustments, f"Late: {when}, {why}: no penalty."))
    score = round(result.score * (1 - fraction), 6)
    text = (f"Late: {when}; the late policy takes {fraction:.0%} of the score: "
            f"{result.score:g} → {score:g} / {result.points:g}.")
    return result.replace(score=score, adjustments=(*result.adjustments, text))


def apply_late(result: SubmissionResult, submitted: str, course: Course) -> SubmissionResult:
    """One submission with the penalty applied to each exercise whose notebook has a deadline it missed."""
    if not submitted:
        return result
    when = datetime.fromisoformat(submitted)
    changed = {}
    for name, verdict in result.results.items():
        due = course.deadlines.get(EXERCISES[name].spec.notebook)
        changed[name] = penalised(verdict, when, due, course) if due else verdict
    return dataclasses.replace(result, results=changed)
