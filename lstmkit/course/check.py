"""``check(name, fn)`` for notebooks and ``assert_passes(name, fn)`` for hidden tests.

>>> from lstmkit.course import check
>>> check("learn_gate", learn_gate)     # doctest: +SKIP
✓ learn_gate: passed (3/3 points)
learn_gate passed all 4 hidden cases.
"""

from __future__ import annotations

import sys
from typing import Any

from .exercises import get_exercise
from .judge import check_answer
from .spec import CheckResult


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and getattr(ipython, "kernel", None) is not None


class Feedback(CheckResult):
    """A CheckResult that was already shown: displaying it again shows nothing.

    check() shows its feedback itself (so it appears even when the call is not the
    last line of a cell); when it *is* the last line, Jupyter would show the returned
    object a second time, which ``_ipython_display_`` prevents.
    """

    def _ipython_display_(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<check {self.name}: {'passed' if self.passed else 'not passed'}, score {self.score:g}/{self.points:g}>"


def show(result: CheckResult) -> None:
    """Print the feedback (and in Jupyter show it as a small HTML box)."""
    if _in_jupyter():
        from IPython.display import display  # noqa: PLC0415

        display({"text/plain": str(result), "text/html": result._repr_html_()}, raw=True)
    else:
        print(result)


def check(name: str, fn: Any, seed: int = 0, quiet: bool = False) -> CheckResult:
    """Check ``fn`` (the learner's function or class) against exercise ``name``.

    Runs the hidden cases, compares values and gradients with the reference, shows
    friendly feedback (unless ``quiet``) and returns the result: truthy when passed,
    with ``.score``, ``.message`` and ``.hint``. Never raises for the learner's bugs.
    """
    exercise = get_exercise(name)
    result = check_answer(exercise, fn, seed=seed)
    feedback = Feedback(**{field: getattr(result, field) for field in result.__dataclass_fields__})
    if not quiet:
        show(feedback)
    return feedback


def assert_passes(name: str, fn: Any, seed: int = 1) -> CheckResult:
    """Like :func:`check`, silent, but raise AssertionError with the feedback on failure.

    Hidden tests use a different seed from the learner's check, so an answer that
    special-cases the visible check's inputs still fails.
    """
    result = check(name, fn, seed=seed, quiet=True)
    if not result:
        raise AssertionError(str(result))
    return result
