"""The registry: every exercise of the course, one module per exercise notebook.

>>> from lstmkit.course.exercises import get_exercise
>>> get_exercise("learn_gate").spec.signature
('stm_prev', 'event', 'W_n', 'b_n', 'W_i', 'b_i')

This package is the secret half of the course (references, typical mistakes, hidden
cases): ``check()`` and the grader's judge import it; the grading sandbox never does.
"""

from __future__ import annotations

from ..model import Exercise
from . import (
    e01_autograd,
    e02_learn_gate,
    e03_forget_gate,
    e04_remember_gate,
    e05_use_gate,
    e06_lstm_cell,
    e07_clip_grad_norm,
    e08_ctc_decoding,
)

MODULES = (e01_autograd, e02_learn_gate, e03_forget_gate, e04_remember_gate, e05_use_gate, e06_lstm_cell,
           e07_clip_grad_norm, e08_ctc_decoding)

#: name -> Exercise, in course order
EXERCISES: dict[str, Exercise] = {exercise.name: exercise for module in MODULES for exercise in module.EXERCISES}


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; a KeyError listing the known names otherwise."""
    try:
        return EXERCISES[name]
    except (KeyError, TypeError):
        raise KeyError(f"there is no exercise called {name!r}; the exercises are: {', '.join(EXERCISES)}. "
                       "Check the first argument of check(...).") from None


def by_notebook() -> dict[str, list[Exercise]]:
    """Exercise notebook stem -> its exercises, in course order."""
    grouped: dict[str, list[Exercise]] = {}
    for exercise in EXERCISES.values():
        grouped.setdefault(exercise.spec.notebook, []).append(exercise)
    return grouped
