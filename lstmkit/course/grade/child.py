"""The sandboxed side: run a learner's cells, then each exercise's cases, into result files.

Started by :mod:`.sandbox` as ``python -I -c BOOT CONTROL_FD`` in a fresh folder
holding ``job.npz`` (a :class:`~.job.Job`). Before any learner code it reads the job,
lowers its resource limits, confines itself with Landlock where the kernel has it
(:mod:`.landlock`) and installs the audit hooks of :mod:`.guard`. It reports progress
on the control pipe as JSON lines (``{"cell": i}``, ``{"start": name}``,
``{"done": name}``) so that the grader knows whom to blame for a hang or a crash, and
writes each exercise's outputs to ``out/<name>.npz``. It runs the same case loop as
``check()`` (:func:`~..compute.run_cases`). Nothing it says is trusted: the grader
validates every file and judges the arrays itself.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from .. import checker  # noqa: F401  (the learner's `from lstmkit.course import check` finds it loaded)
from ..compute import run_cases
from ..model import Failure, Outputs
from ..wire import dumps, load
from . import guard, landlock
from .job import ExerciseJob, ExerciseOutputs, Job


class Control:
    """JSON lines on the control pipe (a learner may write there too; the grader validates them)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, **message: Any) -> None:
        os.write(self.fd, (json.dumps(message) + "\n").encode())


def run_cells(job: Job, namespace: dict[str, Any], control: Control) -> list[str]:
    """Execute the learner's code cells in order; notes on the cells that raised."""
    notes = []
    skip = set(job.skip_cells)
    for cell in job.cells:
        if cell.index in skip:
            continue
        control.send(cell=cell.index)
        try:
            exec(compile(cell.source, f"<cell {cell.index}>", "exec"), namespace)  # noqa: S102
        except BaseException as error:  # noqa: BLE001  (SystemExit, KeyboardInterrupt: the cell ends, grading goes on)
            notes.append(f"cell {cell.index} raised {type(error).__name__}: {str(error)[:300]}")
    return notes


def run_exercise(exercise: ExerciseJob, namespace: dict[str, Any]) -> ExerciseOutputs:
    """Every case of one exercise on the learner's answer (the same loop as check())."""
    name = exercise.spec.name
    answer = namespace.get(name)
    if answer is None:
        missing = Failure("error", f"{name} is not defined in the notebook: its cell was deleted, retyped, or "
                          "raised an error before the definition ran.", f"NameError: name '{name}' is not defined")
        return ExerciseOutputs(name, tuple(Outputs(failure=missing) for _ in exercise.cases))
    try:
        outputs = run_cases(exercise.spec, answer, exercise.cases)
    except BaseException as error:  # noqa: BLE001  (sys.exit and friends inside the answer)
        detail = f"{type(error).__name__}: {str(error)[:300]}"
        outputs = [Outputs(failure=Failure("error", detail, detail)) for _ in exercise.cases]
    return ExerciseOutputs(name, tuple(outputs))


def _write(name: str, data: bytes) -> None:
    part = os.path.join("out", f".{name}.part")
    with open(part, "wb") as handle:
        handle.write(data)
    os.replace(part, os.path.join("out", f"{name}.npz"))


def main() -> None:
    """Entry point of the sandboxed process (argv[1]: the control pipe's fd)."""
    control = Control(int(sys.argv[1]))
    job = load("job.npz", Job)
    guard.set_limits(job.cpu_seconds, job.memory_mb)
    os.makedirs("out", exist_ok=True)
    try:
        landlock.restrict(guard.read_roots(), [os.getcwd(), "/dev/null"])
    except OSError:  # the ruleset was not applied: the audit hook alone fences (the grader reports which)
        pass
    guard.install(os.getcwd(), job.blocked_imports)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    notes = run_cells(job, namespace, control)
    _write("cell-notes", dumps(tuple(notes)))
    for exercise in job.exercises:
        control.send(start=exercise.spec.name)
        _write(exercise.spec.name, dumps(run_exercise(exercise, namespace)))
        control.send(done=exercise.spec.name)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers, no finalizers the learner registered
