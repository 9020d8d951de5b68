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


def _kernel() -> Any:
    """The running IPython kernel's shell, or None outside Jupyter."""
    module = sys.modules.get("IPython")
    shell = module.get_ipython() if module is not None else None
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def _in_jupyter() -> bool:
    return _kernel() is not None


class Feedback(CheckResult):
    """A CheckResult that knows whether it was already shown in this cell.

    check() shows its feedback itself (so it appears even when the call is not the
    last line of a cell); when it *is* the last line, Jupyter would show the returned
    object a second time, which ``_ipython_display_`` skips. Shown from a later cell
    (``result`` on its own), it displays as usual.
    """

    shown_in: int | None = None  #: the execution count of the cell that showed it

    def _ipython_display_(self) -> None:
        shell = _kernel()
        if shell is not None and shell.execution_count == self.shown_in:
            return
        show(self)

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
    shell = _kernel()  # quiet or shown: either way, not shown again as this cell's result
    feedback.shown_in = shell.execution_count if shell is not None else None
    return feedback


def assert_passes(name: str, fn: Any, seed: int = 1) -> CheckResult:
    """Like :func:`check`, silent, but raise AssertionError with the feedback on failure.

    Returns the (truthy) result, which a notebook shows only when asked for in a later cell.

    Hidden tests use a different seed from the learner's check, so an answer that
    special-cases the visible check's inputs still fails.
    """
    result = check(name, fn, seed=seed, quiet=True)
    if not result:
        raise AssertionError(str(result))
    return result
