"""What the instructor opens: the gradebook, results.json, feedback files, the summary table.

Everything is built from :class:`~..result.Result` (one per exercise of every
submission) grouped into a :class:`Row` per learner, and written with the package's
one atomic write. Text that came from a learner is neutralised: CSV cells cannot start
a formula, feedback markdown cannot carry markup, file names cannot collide.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...files import write_atomic
from ..exercises import EXERCISES
from ..result import Result, failed, md_escape
from ..wire import register, to_json


@register
@dataclass(frozen=True)
class SubmissionResult:
    """One graded submission file: whose, which notebook, a Result per exercise, notes."""

    key: str
    path: str
    learner: str
    notebook: str | None
    results: dict[str, Result]
    notes: tuple[str, ...] = ()
    error: str = ""
    internal_error: bool = False
    sandbox: dict[str, Any] = field(default_factory=dict)


@register
@dataclass(frozen=True)
class Row:
    """One learner's line of the gradebook: a Result per exercise column, their files and notes."""

    learner: str
    results: dict[str, Result]
    submissions: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> float:
        return sum(r.score for r in self.results.values())

    @property
    def max(self) -> float:
        return sum(r.points for r in self.results.values())


def gradebook(results: list[SubmissionResult], exercises: list[str] | None = None,
              learners: list[str] | None = None) -> tuple[list[str], dict[str, Row]]:
    """(exercise columns in course order, learner -> Row) from per-submission results.

    Without ``exercises`` the columns are the exercises submitted; without ``learners``
    the rows are the learners who submitted, sorted. With them (a course file), every
    exercise is a column and every learner a row, in the course's order, submitted or not.
    """
    seen = {name for r in results for name in r.results}
    columns = exercises if exercises is not None else [name for name in EXERCISES if name in seen]
    grouped: dict[str, dict[str, Any]] = {learner: {"results": {}, "files": {}, "notes": []}
                                          for learner in learners or []}
    for result in sorted(results, key=lambda r: r.path):
        row = grouped.setdefault(result.learner, {"results": {}, "files": {}, "notes": []})
        name = Path(result.path).name
        if result.error:
            row["notes"].append(f"{name}: {result.error}")
        row["notes"] += [f"{name}: {note}" for note in result.notes]
        for exercise, verdict in result.results.items():
            if exercise not in columns:
                row["notes"].append(f"{name}: {exercise} is not an exercise of this course; not graded")
                continue
            if exercise in row["results"]:
                row["notes"].append(f"{exercise} was submitted twice; graded {result.path} (the last by path)")
            row["results"][exercise], row["files"][exercise] = verdict, result.path
    rows = {}
    for learner, row in (grouped.items() if learners is not None else sorted(grouped.items())):
        for name in columns:
            if name not in row["results"]:
                spec = EXERCISES[name].spec
                row["results"][name] = failed(name, spec.points, "missing", "no submission for this exercise",
                                              spec.title)
        ordered = {name: row["results"][name] for name in columns}
        rows[learner] = Row(learner, ordered, tuple(sorted(set(row["files"].values()))), tuple(row["notes"]))
    return columns, rows


def csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ tab or CR is neutralised (OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def feedback_name(learner: str) -> str:
    """A file name for a learner's feedback: readable, safe, and distinct for distinct learners."""
    ascii_name = unicodedata.normalize("NFKD", learner).encode("ascii", "ignore").decode()
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name).strip("._")[:60] or "learner"
    if readable == learner:
        return readable
    return f"{readable}-{hashlib.sha256(learner.encode()).hexdigest()[:8]}"


def feedback_markdown(row: Row) -> str:
    """One learner's feedback: the total, then per exercise what passed, what failed, hints."""
    lines = [f"# Feedback for {md_escape(row.learner)}", "", f"**Total: {row.total:g} / {row.max:g} points**", ""]
    lines += [result.to_markdown() for result in row.results.values()]
    if row.notes:
        lines += ["## Notes", ""] + [f"- {md_escape(note)}" for note in row.notes] + [""]
    return "\n".join(lines)


MAX_ROW = "points possible"  #: the first line under the header of a course's gradebook.csv


def adjusted(row: Row) -> str:
    """What changed a row's automatic scores, one ``exercise: note`` per adjustment ("" when nothing did)."""
    return "; ".join(f"{name}: {note}" for name, result in row.results.items() for note in result.adjustments)


def gradebook_csv(columns: list[str], rows: dict[str, Row], names: dict[str, str] | None = None) -> str:
    """``learner, <exercise>..., total``; with ``names`` (a course's roster) also ``name``, a
    ``points possible`` line first, and an ``adjusted`` column (late penalties, overrides)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if names is None:
        writer.writerow(["learner", *columns, "total"])
    else:
        writer.writerow(["learner", "name", *columns, "total", "adjusted"])
        points = [EXERCISES[n].spec.points for n in columns]
        writer.writerow([MAX_ROW, "", *(f"{p:g}" for p in points), f"{sum(points):g}", ""])
    for learner, row in rows.items():
        scores = [f"{row.results[n].score:g}" for n in columns]
        if names is None:
            writer.writerow([csv_cell(learner), *scores, f"{row.total:g}"])
        else:
            writer.writerow([csv_cell(learner), csv_cell(names.get(learner, "")), *scores, f"{row.total:g}",
                             csv_cell(adjusted(row))])
    return buffer.getvalue()


def write_outputs(out: Path, columns: list[str], rows: dict[str, Row], results: list[SubmissionResult],
                  settings: dict[str, Any], not_graded: list[tuple[str, str]] | None = None,
                  names: dict[str, str] | None = None) -> None:
    """gradebook.csv, results.json and feedback/<learner>.md, each written atomically.

    ``not_graded`` lists (file, reason) for files left out; ``names`` is the roster's
    learner -> name when there is a course file (see :func:`gradebook_csv`).
    """
    write_atomic(out / "gradebook.csv", gradebook_csv(columns, rows, names))
    sandboxes = sorted({json.dumps(r.sandbox, sort_keys=True) for r in results if r.sandbox})
    document = {
        "settings": settings,
        "columns": columns,
        "points": {n: EXERCISES[n].spec.points for n in columns},
        "sandbox": [json.loads(s) for s in sandboxes],
        "learners": {learner: json.loads(to_json(row)) for learner, row in rows.items()},
    }
    if not_graded is not None:
        document["not_graded"] = [{"path": path, "reason": reason} for path, reason in not_graded]
    write_atomic(out / "results.json", json.dumps(document, indent=1, sort_keys=True))
    for learner, row in rows.items():
        write_atomic(out / "feedback" / f"{feedback_name(learner)}.md", feedback_markdown(row))


def summary_table(columns: list[str], rows: dict[str, Row]) -> str:
    """A plain-text table: one line per learner, the total, and passes per exercise."""
    width = max([len("learner"), *(len(name) for name in rows)])
    head = f"{'learner':<{width}}  " + "  ".join(f"{c[:12]:>12}" for c in columns) + f"  {'total':>7}"
    lines = [head, "-" * len(head)]
    for learner, row in rows.items():
        cells = "  ".join(f"{row.results[c].score:>12g}" for c in columns)
        lines.append(f"{learner:<{width}}  {cells}  {row.total:>7g}")
    if rows:
        passes = "  ".join(f"{sum(r.results[c].passed for r in rows.values()):>12d}" for c in columns)
        lines += ["-" * len(head), f"{'passed':<{width}}  {passes}  {len(rows):>7d}"]
    return "\n".join(lines)
