"""The grader's side of a sandboxed run: one fresh process per submission, watched.

:func:`run_sandboxed` makes a new temporary folder (nothing of the instructor's is
there), writes the job into it (the learner's code cells, and each exercise's public
half and hidden inputs: one :mod:`~..wire` file, :class:`~.job.Job`), and starts
``python -I`` in that folder with a scrubbed environment, in its own session, inside
bubblewrap's namespaces where it runs (:mod:`.bwrap`). The process confines itself
further before any learner code (:mod:`.child`: resource limits, Landlock, seccomp,
the audit hook). The grader reads stdout and stderr through pipes with a cap (the
rest is discarded) and follows the control pipe to know which cell or exercise is
running; every message there is validated, and only the grader sets deadlines.

Timeouts follow Jupyter: a cell that runs too long is interrupted inside the process
(``KeyboardInterrupt``, what it defined before stays); one that does not stop within a
grace period is killed, skipped, and the run restarted. An exercise that runs too long
or crashes is marked ``timeout`` or ``crash`` and the run restarted with the
exercises left. The whole submission has its own time limit.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..kernel import SANDBOX_VARIABLE
from ..model import Failure, Outputs
from ..wire import WireError, dumps, load
from . import bwrap, landlock, syscalls
from .job import Cell, ExerciseJob, ExerciseOutputs, Job

ROOT = str(Path(__file__).resolve().parents[3])  # the folder holding the lstmkit package
BOOT = (
    "import sys\n"
    f"sys.path.insert(0, {ROOT!r})\n"
    "import lstmkit\n"
    "from lstmkit.course.grade.child import main\n"
    "main()\n"
)


@dataclass
class Limits:
    """Limits of one sandboxed submission (seconds, MiB, bytes of captured output)."""

    exercise_timeout: float = 10.0
    submission_timeout: float = 60.0
    memory_mb: int = 1024
    output_cap: int = 64 * 1024

    @property
    def cell_grace(self) -> float:
        """How long an interrupted cell may take to stop before it is killed."""
        return max(1.0, 0.25 * self.exercise_timeout)


@dataclass
class SandboxReport:
    """What came back: per exercise, a list of case Outputs or one Failure; notes; output."""

    outputs: dict[str, list[Outputs]] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    discarded_bytes: int = 0
    fence: dict[str, Any] = field(default_factory=dict)  #: what fenced the process, from the grader's own probe


def scrubbed_env(folder: str) -> dict[str, str]:
    """Only what the learner's process needs: no HOME secrets, one BLAS thread."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": ROOT,  # documented; python -I ignores it and the boot code inserts ROOT
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": folder,
        "TMPDIR": folder,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        SANDBOX_VARIABLE: "1",
    }


class _Capture:
    """Bytes read from a pipe, keeping the first ``cap`` and counting the rest."""

    def __init__(self, cap: int):
        self.cap, self.kept, self.discarded = cap, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.kept)
        self.kept += chunk[:max(room, 0)]
        self.discarded += max(len(chunk) - max(room, 0), 0)


def _watch(proc: subprocess.Popen, control_fd: int, limits: Limits, deadline: float,
           out: _Capture, err: _Capture, names: set[str]) -> tuple[str | None, str]:
    """Follow the process until it ends or overruns -> (phase running at the end, 'exit'|'timeout')."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, out)
    selector.register(proc.stderr, selectors.EVENT_READ, err)
    control = os.fdopen(control_fd, "rb", buffering=0)
    selector.register(control, selectors.EVENT_READ, "control")
    phase, phase_deadline, pending = None, time.monotonic() + limits.exercise_timeout + limits.cell_grace, b""
    started: set[str] = set()
    open_streams = 3
    while open_streams:
        now = time.monotonic()
        limit = min(deadline, phase_deadline)
        if now >= limit:
            _kill(proc)
            selector.close()
            control.close()
            return phase, "timeout"
        for key, _ in selector.select(timeout=limit - now):
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            if key.data != "control":
                key.data.add(chunk)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                moved = _advance(line, phase, started, names)
                if moved is not None:  # a new cell or exercise: its own time limit starts now
                    grace = limits.cell_grace if moved.startswith("cell:") else 0.0  # after the interrupt
                    phase, phase_deadline = moved, time.monotonic() + limits.exercise_timeout + grace
            pending = pending[-4096:]
    selector.close()
    control.close()
    try:
        proc.wait(timeout=max(0.1, min(deadline, phase_deadline) - time.monotonic()))
    except subprocess.TimeoutExpired:  # closed its pipes but kept running
        _kill(proc)
        return phase, "timeout"
    return phase, "exit"


def _advance(line: bytes, phase: str | None, started: set[str], names: set[str]) -> str | None:
    """The phase a control message moves to, or None when it moves nothing.

    Only forward moves count: a cell after the current one (before any exercise), or an
    exercise of this run not started before; anything else (``{"done": ...}``, forged or
    repeated names, malformed JSON) moves nothing. A learner writing to the pipe can
    shift the blame for a hang among its own exercises, never extend the run past one
    time limit per cell and exercise, or crash the grader.
    """
    try:
        message = json.loads(line[:200])
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or len(message) != 1:
        return None
    (key, value), = message.items()
    if key == "cell" and isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000:
        current = int(phase[5:]) if phase and phase.startswith("cell:") else -1
        return f"cell:{value}" if value > current and not started else None
    if key == "start" and isinstance(value, str) and value in names and value not in started:
        started.add(value)
        return f"exercise:{value}"
    return None


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the process group, and the process itself (in case it left its group)."""
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def stop_pool(pool: Any) -> None:
    """Cancel a process pool's queued tasks and kill its workers now (their sandboxes die with them)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
    else:  # before shutdown(), which forgets the workers
        workers = list((getattr(pool, "_processes", None) or {}).values())
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join(5)
    pool.shutdown(wait=False, cancel_futures=True)


def _exit_reason(returncode: int, wrapped: bool = False) -> str:
    if wrapped and returncode > 128:  # bubblewrap exits with 128 + the signal that ended the process
        returncode = 128 - returncode
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        more = {"SIGSEGV": " (a segmentation fault)", "SIGXCPU": " (its CPU time limit)", "SIGKILL": " (killed)"}
        return f"the process died from {name}{more.get(name, '')}"
    return f"the process exited with status {returncode} (sys.exit or os._exit in the answer?)"


def run_sandboxed(cells: list[Cell], job_exercises: list[ExerciseJob], limits: Limits,
                  blocked_imports: list[str]) -> SandboxReport:
    """Run the learner's cells and exercises in sandboxed processes; never raises for their code."""
    report = SandboxReport(fence=fence_layers())
    wrapped = report.fence["bwrap"]
    remaining = [job.spec.name for job in job_exercises]
    skip: set[int] = set()
    out, err = _Capture(limits.output_cap), _Capture(limits.output_cap)
    deadline = time.monotonic() + limits.submission_timeout
    for _attempt in range(len(cells) + len(job_exercises) + 1):
        if not remaining:
            break
        if time.monotonic() >= deadline:
            for name in remaining:
                report.failures[name] = Failure(
                    "timeout", f"not run: the submission's time limit of {limits.submission_timeout:g} s ran out")
            break
        folder = tempfile.mkdtemp(prefix="lstmkit-grade-")
        try:
            phase, ended, returncode = _attempt_once(
                folder, cells, [j for j in job_exercises if j.spec.name in remaining],
                limits, blocked_imports, skip, deadline, out, err, report.fence)
            collected = _collect(folder, remaining, report)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if not remaining:
            break
        reason = (f"it ran longer than {limits.exercise_timeout:g} s (infinite loop?) and was stopped"
                  if ended == "timeout" else _exit_reason(returncode, wrapped))
        if phase is not None and phase.startswith("exercise:") and phase[9:] in remaining:
            name = phase[9:]
            kind = "timeout" if ended == "timeout" else "crash"
            report.failures[name] = Failure(kind, f"while running {name}, {reason}.")
            remaining.remove(name)
        elif phase is not None and phase.startswith("cell:"):
            index = int(phase[5:])
            skip.add(index)
            if ended == "timeout":
                reason = (f"it ran longer than {limits.exercise_timeout:g} s, did not stop when interrupted, "
                          "and was killed")
            report.notes.append(f"cell {index} was skipped: {reason}.")
        elif collected:  # ended after the exercise that ran last had written its result: run the rest
            continue
        else:  # died before any cell or exercise started: nothing to blame
            for name in remaining:
                report.failures[name] = Failure("crash", f"the sandbox could not run the notebook: {reason}.")
            remaining.clear()
    report.stdout = out.kept.decode("utf-8", "replace")
    report.stderr = err.kept.decode("utf-8", "replace")
    report.discarded_bytes = out.discarded + err.discarded
    if report.discarded_bytes:
        report.notes.append(f"{report.discarded_bytes} bytes of printed output beyond the first "
                            f"{limits.output_cap} per stream were discarded.")
    return report


def fence_layers() -> dict[str, Any]:
    """Which layers will fence the sandboxed process, from the grader's own knowledge (for results.json)."""
    missing = bwrap.why_not()
    return {"bwrap": not missing, "namespaces": "" if missing else "pid net mount ipc uts cgroup",
            "bwrap_missing": missing, "seccomp": syscalls.available(), "landlock_abi": landlock.abi_version(),
            "audit_hook": True, "rlimits": True}


def fence_summary(fences: list[dict[str, Any]]) -> str:
    """One line for the grader's summary: which layers fenced the sandboxes of this run."""
    lines = []
    for fence in sorted({json.dumps(f, sort_keys=True) for f in fences if f}):
        layers = json.loads(fence)
        parts = [f"bubblewrap ({layers.get('namespaces')} namespaces)" if layers.get("bwrap") else
                 f"no bubblewrap ({layers.get('bwrap_missing') or 'not used'})"]
        parts.append(f"Landlock ABI {layers['landlock_abi']}" if layers.get("landlock_abi") else "no Landlock")
        parts.append("seccomp" if layers.get("seccomp") else "no seccomp (libseccomp/pyseccomp missing)")
        parts += ["audit hook", "resource limits"]
        lines.append("sandbox: " + ", ".join(parts))
    return "\n".join(lines)


def _attempt_once(folder, cells, exercises, limits, blocked_imports, skip, deadline, out, err, fence):
    folder = os.path.realpath(folder)
    job = Job(tuple(cells), tuple(sorted(skip)), tuple(exercises), int(limits.submission_timeout) + 5,
              limits.memory_mb, tuple(blocked_imports), float(limits.exercise_timeout), bool(fence["seccomp"]))
    Path(folder, "job.npz").write_bytes(dumps(job))
    read_fd, write_fd = os.pipe()
    parent = 0 if fence["bwrap"] else os.getpid()  # outside a PID namespace, the child checks its parent
    argv = [sys.executable, "-I", "-c", BOOT, str(write_fd), str(parent)]
    try:
        proc = subprocess.Popen(
            bwrap.command(argv, folder) if fence["bwrap"] else argv, cwd=folder, env=scrubbed_env(folder),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(write_fd,), start_new_session=True, close_fds=True,
        )
    finally:
        os.close(write_fd)
    try:
        phase, ended = _watch(proc, read_fd, limits, deadline, out, err, {j.spec.name for j in exercises})
    finally:
        if proc.poll() is None:
            _kill(proc)
        for stream in (proc.stdout, proc.stderr):
            stream.close()
    return phase, ended, proc.returncode


def _collect(folder: str, remaining: list[str], report: SandboxReport) -> int:
    """Read the result files the run left (each validated, see :mod:`..wire`) -> how many exercises they settle."""
    out = Path(folder, "out")
    if out.is_symlink() or not out.is_dir():  # the process is gone: nothing changes it while it is read
        return 0
    notes_path = out / "cell-notes.npz"
    if os.path.lexists(notes_path):
        try:
            notes = load(notes_path)
            if isinstance(notes, list):
                report.notes.extend(str(n)[:400] for n in notes[:50] if str(n)[:400] not in report.notes)
        except WireError:
            report.notes.append("the sandbox's notes on the cells could not be read")
        notes_path.unlink()
    settled = 0
    for name in list(remaining):
        path = out / f"{name}.npz"
        if not os.path.lexists(path):
            continue
        try:
            result = load(path, ExerciseOutputs)
            if result.name != name:
                raise WireError(f"the file holds the results of {result.name!r}")
        except WireError as error:
            report.failures[name] = Failure("crash", f"the result of {name} could not be read: {error}")
        else:
            report.outputs[name] = list(result.outputs)
        remaining.remove(name)
        settled += 1
    return settled
