"""What a run grades and what it keeps: files checked against the course, times, the output folder's index.

* :func:`classify` decides, from a file's place only, whose notebook it is and which
  notebook of the course, or why it is not graded (not a notebook, not on the roster,
  not a notebook of the course);
* :func:`submission_time` is when a file was handed in: the course's times manifest,
  else the file's modification time;
* :class:`Index` (``OUT/state/index.json``) remembers which submissions the gradebook
  is made of. A run is authoritative for the files under the paths it was given; every
  other entry of the previous index is kept, so regrading one learner into an existing
  folder keeps everyone else's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ...files import write_atomic
from ..exercises import by_notebook
from ..wire import WireError, from_json, register, to_json
from .course_file import Course
from .submission import notebook_stem

INDEX = "index.json"


@register
@dataclass(frozen=True)
class Entry:
    """One submission in the gradebook: its state key, where it was, whose, and when it was handed in."""

    key: str
    path: str
    resolved: str  #: the absolute path, to compare runs started from different folders
    learner: str
    notebook: str | None
    submitted: str = ""  #: ISO 8601 (UTC), "" when unknown


@register
@dataclass(frozen=True)
class NotGraded:
    """A file that was not graded, and why."""

    path: str
    resolved: str
    reason: str


@register
@dataclass(frozen=True)
class Index:
    """The submissions a gradebook is made of, the files left out, and the settings they were graded with."""

    digest: str
    entries: tuple[Entry, ...] = ()
    not_graded: tuple[NotGraded, ...] = ()


def classify(path: Path, course: Course) -> tuple[str, str | None, str]:
    """(learner, notebook or None, reason not graded or "") for a file, from its place and the course."""
    if path.suffix != ".ipynb":
        return "", None, "not a notebook (only .ipynb files are graded)"
    stem, parent, known = notebook_stem(path.stem), path.parent.name, by_notebook()
    roster, notebooks = course.roster, course.notebooks
    listed = f"the course's notebooks are {', '.join(notebooks)}"
    if parent in roster:  # a folder per learner
        if stem in notebooks:
            return parent, stem, ""
        if stem in known:
            return parent, None, f"{stem} is not a notebook of this course ({listed})"
        return parent, None, f"unknown notebook {path.name}: {listed}"
    if parent in known:  # a folder per assignment
        if parent not in notebooks:
            return path.stem, None, f"{parent} is not a notebook of this course ({listed})"
        if path.stem in roster:
            return path.stem, parent, ""
        return path.stem, None, f"{path.stem} is not on the roster ({course_roster_name(course)})"
    if stem in known:
        return parent, None, f"{parent} is not on the roster ({course_roster_name(course)})"
    if path.stem in roster:  # one file per learner: its notebook is found from its code
        return path.stem, None, ""
    return path.stem, None, f"{path.stem} is not on the roster ({course_roster_name(course)}) and names no notebook"


def course_roster_name(course: Course) -> str:
    return f"the roster of {course.path.name}"


def strays(paths: list[str | Path]) -> list[Path]:
    """Files under the given folders that are not notebooks (hidden files and checkpoints aside)."""
    found = []
    for raw in paths:
        folder = Path(raw)
        if folder.is_dir() and not folder.is_symlink():
            found += [p for p in folder.rglob("*") if p.suffix != ".ipynb" and (p.is_file() or p.is_symlink())
                      and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
        elif folder.suffix != ".ipynb" and (folder.is_file() or folder.is_symlink()):
            found.append(folder)
    return sorted(found)


def submission_time(path: Path, learner: str, notebook: str | None,
                    manifest: dict[tuple[str, str], datetime] | None) -> str:
    """When the file was handed in (ISO 8601, UTC): from the manifest when it has a line, else the file's mtime."""
    if manifest is not None and notebook and (learner, notebook) in manifest:
        return manifest[learner, notebook].isoformat()
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime, tz=timezone.utc).isoformat()
    except OSError:
        return ""


def resolved(path: str | Path) -> str:
    return str(Path(path).absolute().resolve())


def within(path: str, roots: list[str]) -> bool:
    """True when the resolved ``path`` is one of ``roots`` or lies under one."""
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def load_index(state: Path) -> Index | None:
    """The index of an earlier run into this folder (None when there is none or it cannot be read)."""
    try:
        return from_json((state / INDEX).read_text(encoding="utf-8"), Index)
    except (OSError, WireError):
        return None


def save_index(state: Path, index: Index) -> None:
    write_atomic(state / INDEX, to_json(index))


def merge(previous: Index | None, roots: list[str], entries: list[Entry], not_graded: list[NotGraded],
          digest: str) -> tuple[Index, list[Entry]]:
    """(the new index, the entries kept from ``previous``): this run replaces everything under ``roots``."""
    kept = [e for e in previous.entries if not within(e.resolved, roots)] if previous else []
    ours = {e.resolved for e in entries}
    kept = [e for e in kept if e.resolved not in ours]
    old_left_out = [n for n in previous.not_graded if not within(n.resolved, roots)] if previous else []
    index = Index(digest, tuple(sorted([*kept, *entries], key=lambda e: e.path)),
                  tuple(sorted([*old_left_out, *not_graded], key=lambda n: n.path)))
    return index, kept
