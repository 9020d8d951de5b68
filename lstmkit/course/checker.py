"""``check(name, fn)`` for notebooks, ``assert_passes(name, fn)`` for hidden tests, and progress.

>>> from lstmkit.course import check
>>> check("learn_gate", learn_gate)     # doctest: +SKIP
✓ learn_gate: passed (3/3 points)
All 4 hidden cases pass: values and gradients match the reference.

The path of one check: :func:`check` takes the exercise from the registry
(:mod:`.exercises`), runs the learner's answer on its hidden cases with the one case
loop (:func:`.compute.run_cases`, the same code the grader's sandbox runs), and folds
the outputs into a :class:`~.result.Result` with the judge (:func:`.judge.judge`, the
same code the grader runs). Every check is recorded in the learner's folder
(``.lstmkit-progress.json``), which :func:`show_progress` reads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..files import write_atomic
from .kernel import in_grading_sandbox, kernel_shell, mark_shown
from .result import Result

PROGRESS_FILE = ".lstmkit-progress.json"


def _grade_here(name: str) -> Result:
    """In the grader's sandbox the grader judges: check() only says so."""
    return Result(str(name), False, 0.0, 0.0, "checked by the grader", kind="deferred")


def run_check(name: str, answer: Any, seed: int = 0) -> Result:
    """The verdict on ``answer`` for exercise ``name``, without showing or recording it."""
    if in_grading_sandbox():
        return _grade_here(name)
    from .compute import run_cases  # noqa: PLC0415  (the secret half loads on the first check)
    from .exercises import get_exercise  # noqa: PLC0415
    from .judge import judge  # noqa: PLC0415
    from .wire import dumps, loads  # noqa: PLC0415

    exercise = get_exercise(name)
    cases = loads(dumps(exercise.cases(seed)))  # the cases as the sandbox receives them: the same types
    return judge(exercise, cases, run_cases(exercise.spec, answer, cases))


def show(result: Result) -> None:
    """Print the feedback (and in Jupyter show it as a small HTML box), once per cell."""
    shell = kernel_shell()
    if shell is None:
        print(result)
        return
    from IPython.display import display  # noqa: PLC0415

    display({"text/plain": str(result), "text/html": result._repr_html_()}, raw=True)
    mark_shown(result)


def check(name: str, fn: Any, seed: int = 0, quiet: bool = False) -> Result:
    """Check ``fn`` (the learner's function or class) against exercise ``name``.

    Runs the hidden cases, compares values and gradients with the reference, shows
    friendly feedback (unless ``quiet``), records it for :func:`show_progress` and returns
    the result: truthy when passed, with ``.score``, ``.message`` and ``.hint``. Never
    raises for the learner's bugs.
    """
    result = run_check(name, fn, seed)
    if result.kind == "deferred":
        return result
    if not quiet:
        show(result)
    mark_shown(result)  # shown or quiet: either way not shown again as this cell's value
    _record(result)
    return result


def assert_passes(name: str, fn: Any, seed: int = 1) -> Result:
    """Like :func:`check`, silent, but raise AssertionError with the feedback on failure.

    Hidden tests use a different seed from the learner's check, so an answer that
    special-cases the visible check's inputs still fails.
    """
    result = run_check(name, fn, seed)
    if result.kind == "deferred":
        return result
    if not result:
        raise AssertionError(str(result))
    mark_shown(result)  # silent: not shown as the cell's value either (a later cell shows it when asked)
    return result


# ------------------------------------------------------------------ progress


def _progress_path() -> Path:
    return Path.cwd() / PROGRESS_FILE


def read_progress(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Exercise name -> the learner's latest check of it (passed, score, points, when)."""
    path = path or _progress_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _record(result: Result) -> None:
    progress = read_progress()
    progress[result.name] = {"passed": result.passed, "score": result.score, "points": result.points,
                             "checked": time.strftime("%Y-%m-%d %H:%M")}
    try:
        write_atomic(_progress_path(), json.dumps(progress, indent=1, sort_keys=True))
    except OSError:  # a read-only folder: feedback still works, progress is not kept
        pass


class Progress:
    """Which exercises pass, from the learner's own checks; shows as a table in Jupyter."""

    def __init__(self, rows: list[tuple[str, str, str, float, float]]):
        self.rows = rows  #: (notebook, exercise, state, score, points)

    def __str__(self) -> str:
        lines = [f"{'notebook':<20} {'exercise':<20} {'state':<12} points"]
        lines += [f"{nb:<20} {name:<20} {state:<12} {score:g}/{points:g}" for nb, name, state, score, points in
                  self.rows]
        done = sum(1 for row in self.rows if row[2] == "passed")
        return "\n".join(lines + [f"{done} of {len(self.rows)} exercises pass."])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html  # noqa: PLC0415

        colors = {"passed": "#1a7f37", "not yet": "#cf222e", "not checked": "#6e7781"}
        body = "".join(
            f"<tr><td>{html.escape(nb)}</td><td><code>{html.escape(name)}</code></td>"
            f'<td style="color:{colors[state]}">{state}</td><td>{score:g}/{points:g}</td></tr>'
            for nb, name, state, score, points in self.rows)
        done = sum(1 for row in self.rows if row[2] == "passed")
        return (f'<table class="lstmkit-progress"><tr><th>notebook</th><th>exercise</th><th>state</th>'
                f"<th>points</th></tr>{body}</table><p>{done} of {len(self.rows)} exercises pass.</p>")


def progress(folder: str | Path | None = None) -> Progress:
    """The course's exercises with the state of the learner's latest check of each."""
    from .exercises import EXERCISES  # noqa: PLC0415

    recorded = read_progress(Path(folder) / PROGRESS_FILE if folder else None)
    rows = []
    for exercise in EXERCISES.values():
        seen = recorded.get(exercise.name, {})
        state = "not checked" if not seen else ("passed" if seen.get("passed") else "not yet")
        score = float(seen.get("score", 0) or 0) if seen else 0.0
        rows.append((exercise.spec.notebook, exercise.name, state, score, float(exercise.spec.points)))
    return Progress(rows)


def show_progress(folder: str | Path | None = None) -> Progress:
    """Show (and return) the course progress table: which exercises pass, from your own checks.

    In the grader's sandbox it shows nothing (the grader keeps the score there).
    """
    if in_grading_sandbox():
        return Progress([])
    table = progress(folder)
    if kernel_shell() is None:
        print(table)
    else:
        from IPython.display import display  # noqa: PLC0415

        display(table)
    return table
