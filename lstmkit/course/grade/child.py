"""The sandboxed side: run a learner's cells, then each exercise's cases, into result files.

Started by :mod:`.sandbox` as ``python -I -c BOOT CONTROL_FD PARENT_PID`` in a fresh
folder holding ``job.npz`` (a :class:`~.job.Job`), inside bubblewrap where it runs.
Before any learner code it asks to die with its parent, reads the job, and confines
itself (:func:`confine`): resource limits, Landlock where the kernel has it
(:mod:`.landlock`), the seccomp filter (:mod:`.syscalls`), the audit hook
(:mod:`.guard`). Each cell runs under an interval timer: a cell that runs past the
cell time limit is interrupted as a Jupyter kernel is (``KeyboardInterrupt``), and
what it defined before stays. It reports progress on the control pipe as JSON lines
(``{"cell": i}``, ``{"start": name}``, ``{"done": name}``) so that the grader knows
whom to blame for a hang or a crash, and writes each exercise's outputs to
``out/<name>.npz``. It runs the same case loop as ``check()``
(:func:`~..compute.run_cases`). Nothing it says is trusted: the grader validates every
message and file, sets every deadline itself, and judges the arrays itself.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from .. import checker  # noqa: F401  (the learner's `from lstmkit.course import check` finds it loaded)
from ..compute import compile_cell, run_cases
from ..model import Failure, Outputs
from ..wire import dumps, load
from . import guard, landlock, syscalls
from .job import ExerciseJob, ExerciseOutputs, Job


class Control:
    """JSON lines on the control pipe (a learner may write there too; the grader validates them)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, **message: Any) -> None:
        os.write(self.fd, (json.dumps(message) + "\n").encode())


class CellTimer:
    """Interrupts the running cell after ``seconds`` with KeyboardInterrupt, as Jupyter's interrupt does."""

    def __init__(self, seconds: float):
        self.seconds, self.fired = seconds, False
        signal.signal(signal.SIGALRM, self._interrupt)

    def _interrupt(self, _signum: int, _frame: object) -> None:
        self.fired = True
        raise KeyboardInterrupt(f"the cell was interrupted after {self.seconds:g} s")

    def start(self) -> None:
        self.fired = False
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_cells(job: Job, namespace: dict[str, Any], control: Control) -> list[str]:
    """Execute the learner's code cells in order; notes on the cells that raised or were interrupted."""
    notes = []
    skip = set(job.skip_cells)
    timer = CellTimer(job.cell_timeout)
    for cell in job.cells:
        if cell.index in skip:
            continue
        control.send(cell=cell.index)
        try:
            timer.start()
            try:
                exec(compile_cell(cell.source, cell.index), namespace)  # noqa: S102
            finally:
                timer.stop()
        except BaseException as error:  # noqa: BLE001  (SystemExit, KeyboardInterrupt: the cell ends, grading goes on)
            if timer.fired and isinstance(error, KeyboardInterrupt):
                notes.append(f"cell {cell.index}: the cell was interrupted after {job.cell_timeout:g} s, as a "
                             "kernel interrupt would (an infinite loop?); what it defined before was kept.")
            else:
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


def confine(job: Job) -> None:
    """Every fence of this process, before learner code: limits, Landlock, seccomp, the audit hook.

    A layer the grader counts on (seccomp, when it found libseccomp) that cannot be
    loaded stops the process before any learner code runs: that costs the submission
    its points, and never lets it run with less than the grader reports.
    """
    if job.seccomp:
        syscalls.library()  # load libseccomp while its finder may still run ldconfig
    guard.set_limits(job.cpu_seconds, job.memory_mb)
    os.makedirs("out", exist_ok=True)
    try:
        landlock.restrict(guard.read_roots(), [os.getcwd(), "/dev/null"])
    except OSError:  # the ruleset was not applied: the other layers fence (the grader reports Landlock's ABI)
        pass
    if job.seccomp:
        try:
            syscalls.install()
        except OSError as error:
            os.write(2, f"the grading sandbox could not load its seccomp filter: {error}\n".encode())
            os._exit(71)
    guard.install(os.getcwd(), job.blocked_imports)


def main() -> None:
    """Entry point of the sandboxed process (argv[1]: the control pipe's fd; argv[2]: the grader's pid or 0)."""
    guard.die_with_parent(int(sys.argv[2]))
    control = Control(int(sys.argv[1]))
    job = load("job.npz", Job)
    confine(job)
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
