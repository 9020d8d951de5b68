"""What the grader sends into the sandbox and what comes back: public halves and plain arrays.

A :class:`Job` holds the learner's code cells and, per exercise, only its public
:class:`~..model.Spec` and the hidden cases' inputs; it crosses as one
:mod:`~..wire` file (``job.npz``). Each exercise's outputs come back as one wire file
(``out/<name>.npz``) holding :class:`ExerciseOutputs`. References, mistakes and the
case generators never cross.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Case, Outputs, Spec
from ..wire import register


@register
@dataclass(frozen=True)
class Cell:
    """One code cell of a submission: its index among all cells, and its source (magics commented out)."""

    index: int
    source: str


@register
@dataclass(frozen=True)
class ExerciseJob:
    """One exercise to run: its public half and its hidden cases."""

    spec: Spec
    cases: tuple[Case, ...]


@register
@dataclass(frozen=True)
class Job:
    """Everything the sandboxed process needs, and nothing secret."""

    cells: tuple[Cell, ...]
    skip_cells: tuple[int, ...]
    exercises: tuple[ExerciseJob, ...]
    cpu_seconds: int
    memory_mb: int
    blocked_imports: tuple[str, ...]
    cell_timeout: float  #: seconds a cell may run before it is interrupted
    seccomp: bool  #: the grader found libseccomp: the process must load the filter or stop


@register
@dataclass(frozen=True)
class ExerciseOutputs:
    """What one exercise's answer produced on its cases (:func:`~..compute.run_cases`)."""

    name: str
    outputs: tuple[Outputs, ...]
