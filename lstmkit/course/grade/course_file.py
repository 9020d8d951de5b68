"""The course file (``course.toml``): which notebooks, who is on the roster, deadlines, late policy.

Read with :func:`load_course`; every path in it is relative to the file's folder::

    [course]
    name = "LSTMs from scratch, spring term"
    notebooks = ["02_learn_gate", "03_forget_gate"]  # default: every exercise notebook
    roster = "roster.csv"          # id (required), name, email, lms_id
    overrides = "overrides.csv"    # optional: manual grades (see overrides.py)
    times = "times.csv"            # optional: learner, notebook, submitted; else the files' times

    [deadlines]                    # ISO 8601; a time without an offset is UTC
    default = "2027-03-01T23:59:00+00:00"
    "02_learn_gate" = "2027-02-10T23:59:00+00:00"

    [late]
    grace_minutes = 15             # late by at most this much: no penalty
    per_day = 0.1                  # fraction of an exercise's score lost per started day late
    max_fraction = 0.5             # never more than this fraction (1.0: late work can reach 0)

An exercise's points come from the exercise model (``Spec.points``), never from the file.
Anything wrong in the file is a :class:`CourseError` naming the file, the entry, what
was expected and what was found.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..exercises import EXERCISES, by_notebook

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  (Python 3.10: the instructor extra installs tomli)
    import tomli as tomllib

ROSTER_COLUMNS = ("id", "name", "email", "lms_id")
TIMES_COLUMNS = ("learner", "notebook", "submitted")
_COURSE_KEYS = {"name", "notebooks", "roster", "overrides", "times"}
_LATE_KEYS = {"grace_minutes", "per_day", "max_fraction"}


class CourseError(ValueError):
    """The course file, the roster, the times or the overrides cannot be used; nothing was written."""


@dataclass(frozen=True)
class Learner:
    """One roster line: the id used in submission paths, and what an LMS knows them by."""

    id: str
    name: str = ""
    email: str = ""
    lms_id: str = ""


@dataclass(frozen=True)
class LatePolicy:
    """How lateness costs: ``per_day`` of the score per started day after ``grace_minutes``, at most ``max_fraction``."""

    grace_minutes: float = 0.0
    per_day: float = 0.0
    max_fraction: float = 1.0

    def fraction(self, late: timedelta) -> float:
        """The fraction of the score lost for handing in ``late`` after the deadline (0 when on time)."""
        if late <= timedelta(minutes=self.grace_minutes):
            return 0.0
        days = math.ceil((late - timedelta(minutes=self.grace_minutes)) / timedelta(days=1))
        return min(self.max_fraction, self.per_day * days)


@dataclass(frozen=True)
class Course:
    """A parsed course file: notebooks in course order, their exercises, the roster, deadlines, late policy."""

    path: Path
    name: str
    notebooks: tuple[str, ...]
    roster: dict[str, Learner]
    deadlines: dict[str, datetime] = field(default_factory=dict)  #: notebook -> deadline (UTC)
    late: LatePolicy = field(default_factory=LatePolicy)
    overrides: Path | None = None
    times: Path | None = None

    @property
    def exercises(self) -> list[str]:
        """Every exercise of the course's notebooks, in course order: the gradebook's columns."""
        return [name for name, exercise in EXERCISES.items() if exercise.spec.notebook in self.notebooks]

    def points(self) -> dict[str, float]:
        """Exercise -> points, from the exercise model."""
        return {name: EXERCISES[name].spec.points for name in self.exercises}


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (no offset: UTC); a CourseError naming ``where`` otherwise."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CourseError(f"{where}: {text!r} is not a time; expected ISO 8601 such as "
                          "2027-02-10T23:59:00+00:00") from None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def read_csv(path: Path, required: tuple[str, ...], allowed: tuple[str, ...], what: str) -> list[dict[str, str]]:
    """The rows of a CSV file with a header, checked to hold ``required`` and only ``allowed`` columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CourseError(f"cannot read the {what} {path} ({error}); give a UTF-8 CSV file with a header line.") \
            from error
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in allowed]
    if missing or unknown:
        raise CourseError(f"{path}: the {what} needs the columns {', '.join(required)} (optional: "
                          f"{', '.join(c for c in allowed if c not in required) or 'none'}); found "
                          f"{', '.join(header) or 'no header'}. Fix its first line.")
    return rows


def read_roster(path: Path) -> dict[str, Learner]:
    """learner id -> Learner from a roster CSV (``id`` required; ``name``, ``email``, ``lms_id`` optional)."""
    roster: dict[str, Learner] = {}
    for line, row in enumerate(read_csv(path, ("id",), ROSTER_COLUMNS, "roster"), start=2):
        learner = row.get("id", "")
        if not learner or learner != Path(learner).name or learner.startswith("."):
            raise CourseError(f"{path}, line {line}: the id {learner!r} cannot name a learner's folder; expected "
                              "a non-empty name without '/' (as in the submission folders).")
        if learner in roster:
            raise CourseError(f"{path}, line {line}: {learner!r} is on the roster twice; keep one line per learner.")
        roster[learner] = Learner(learner, row.get("name", ""), row.get("email", ""), row.get("lms_id", ""))
    if not roster:
        raise CourseError(f"{path}: the roster lists no learner; add one line per learner under the header.")
    return roster


def read_times(path: Path, course: Course) -> dict[tuple[str, str], datetime]:
    """(learner, notebook) -> submission time, from a manifest CSV (``learner, notebook, submitted``)."""
    times = {}
    for line, row in enumerate(read_csv(path, TIMES_COLUMNS, TIMES_COLUMNS, "submission times"), start=2):
        where = f"{path}, line {line}"
        if row["learner"] not in course.roster:
            raise CourseError(f"{where}: {row['learner']!r} is not on the roster {course.path.name} names.")
        if row["notebook"] not in course.notebooks:
            raise CourseError(f"{where}: {row['notebook']!r} is not a notebook of the course; expected one of "
                              f"{', '.join(course.notebooks)}.")
        times[row["learner"], row["notebook"]] = parse_time(row["submitted"], where)
    return times


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CourseError(f"{path}: [{key}] must be a table, found {type(value).__name__}.")
    return value


def _number(table: dict[str, Any], key: str, default: float, path: Path, upper: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (upper and value > upper):
        bound = f" and at most {upper:g}" if upper else ""
        raise CourseError(f"{path}: [late] {key} must be a number at least 0{bound}, found {value!r}.")
    return float(value)


def load_course(path: str | Path) -> Course:
    """Read and check a course file (see the module's docstring); a CourseError says what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CourseError(f"cannot read the course file {path} ({error}); give the path of course.toml.") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CourseError(f"{path} is not valid TOML ({error}).") from error
    unknown_tables = sorted(set(data) - {"course", "deadlines", "late"})
    if unknown_tables:
        raise CourseError(f"{path}: unknown entries {', '.join(unknown_tables)}; expected [course], [deadlines], [late].")
    section, late = _table(data, "course", path), _table(data, "late", path)
    for table, allowed, name in ((section, _COURSE_KEYS, "course"), (late, _LATE_KEYS, "late")):
        if set(table) - allowed:
            raise CourseError(f"{path}: unknown keys in [{name}]: {', '.join(sorted(set(table) - allowed))}; "
                              f"expected {', '.join(sorted(allowed))}.")
    known = list(by_notebook())
    notebooks = section.get("notebooks", known)
    if not isinstance(notebooks, list) or not notebooks or any(n not in known for n in notebooks):
        wrong = [n for n in notebooks if n not in known] if isinstance(notebooks, list) else notebooks
        raise CourseError(f"{path}: [course] notebooks must list exercise notebooks from {', '.join(known)}; "
                          f"found {wrong!r}.")
    if "roster" not in section:
        raise CourseError(f"{path}: [course] has no roster; add roster = \"roster.csv\" (a CSV with an id column).")
    folder = path.parent

    def _file(key: str) -> Path | None:
        if key not in section:
            return None
        if not isinstance(section[key], str):
            raise CourseError(f"{path}: [course] {key} must be a file name, found {section[key]!r}.")
        return folder / section[key]

    deadlines_table = _table(data, "deadlines", path)
    wrong = [k for k in deadlines_table if k != "default" and k not in notebooks]
    if wrong:
        raise CourseError(f"{path}: [deadlines] names {', '.join(wrong)}, not notebooks of this course; expected "
                          f"default or one of {', '.join(notebooks)}.")
    parsed = {k: parse_time(str(v), f"{path}: [deadlines] {k}") for k, v in deadlines_table.items()}
    deadlines = {n: parsed.get(n, parsed.get("default")) for n in notebooks if n in parsed or "default" in parsed}
    order = [n for n in known if n in notebooks]
    policy = LatePolicy(_number(late, "grace_minutes", 0.0, path), _number(late, "per_day", 0.0, path, 1.0),
                        _number(late, "max_fraction", 1.0, path, 1.0))
    roster_path = _file("roster")
    assert roster_path is not None
    return Course(path, str(section.get("name", path.parent.name)), tuple(order), read_roster(roster_path),
                  deadlines, policy, _file("overrides"), _file("times"))
