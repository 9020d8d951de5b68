"""The grader's side of a sandboxed run: one fresh process per submission, watched.

:func:`run_sandboxed` copies the notebook into a new temporary folder (nothing of
the instructor's is there), writes the job (the learner's code cells and the
inputs, as plain arrays), and starts ``python -I`` in that folder with a scrubbed
environment and its own process group. It reads stdout and stderr through pipes
with a cap (the rest is discarded) and follows the control pipe to know which
cell or exercise is running. On a wall-clock timeout it kills the process group.

A hang or a crash costs only what was running: a cell is skipped and the run
restarted; an exercise is marked ``timeout`` or ``crash`` and the run restarted
with the exercises left. The whole submission has its own time limit.
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

import numpy

from . import protocol

ROOT = str(Path(__file__).resolve().parents[3])  # the folder holding the lstmkit package
COURSE = str(Path(__file__).resolve().parents[1])
BOOT = (
    "import sys, types\n"
    f"sys.path.insert(0, {ROOT!r})\n"
    "import lstmkit\n"
    "stub = types.ModuleType('lstmkit.course')\n"
    f"stub.__path__ = [{COURSE!r}]\n"
    "stub.check = stub.assert_passes = lambda *args, **kwargs: None\n"
    "sys.modules['lstmkit.course'] = lstmkit.course = stub\n"
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


@dataclass
class SandboxReport:
    """What came back: per exercise, a list of case Outputs or one Failure; notes; output."""

    outputs: dict[str, list[protocol.Outputs]] = field(default_factory=dict)
    failures: dict[str, protocol.Failure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    discarded_bytes: int = 0
    fence: dict[str, Any] = field(default_factory=dict)  #: what fenced the process (Landlock ABI)


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
           out: _Capture, err: _Capture) -> tuple[str | None, str]:
    """Follow the process until it ends or overruns -> (phase running at the end, 'exit'|'timeout')."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, out)
    selector.register(proc.stderr, selectors.EVENT_READ, err)
    control = os.fdopen(control_fd, "rb", buffering=0)
    selector.register(control, selectors.EVENT_READ, "control")
    phase, phase_deadline, pending = None, time.monotonic() + limits.exercise_timeout, b""
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
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                if "cell" in message or "start" in message:
                    phase = f"cell:{message['cell']}" if "cell" in message else f"exercise:{message['start']}"
                    phase_deadline = time.monotonic() + limits.exercise_timeout
                elif "done" in message:
                    phase = None
            pending = pending[-4096:]
    selector.close()
    control.close()
    try:
        proc.wait(timeout=max(0.1, min(deadline, phase_deadline) - time.monotonic()))
    except subprocess.TimeoutExpired:  # closed its pipes but kept running
        _kill(proc)
        return phase, "timeout"
    return phase, "exit"


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the process group, and the process itself (in case it left its group)."""
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        more = {"SIGSEGV": " (a segmentation fault)", "SIGXCPU": " (its CPU time limit)", "SIGKILL": " (killed)"}
        return f"the process died from {name}{more.get(name, '')}"
    return f"the process exited with status {returncode} (sys.exit or os._exit in the answer?)"


def run_sandboxed(notebook_bytes: bytes, cells: list[dict[str, Any]], job_exercises: list[dict[str, Any]],
                  arrays: dict[str, numpy.ndarray], limits: Limits, blocked_imports: list[str]) -> SandboxReport:
    """Run the learner's cells and exercises in sandboxed processes; never raises for their code."""
    report = SandboxReport()
    remaining = [spec["name"] for spec in job_exercises]
    skip: set[int] = set()
    out, err = _Capture(limits.output_cap), _Capture(limits.output_cap)
    deadline = time.monotonic() + limits.submission_timeout
    for _attempt in range(len(cells) + len(job_exercises) + 1):
        if not remaining:
            break
        if time.monotonic() >= deadline:
            for name in remaining:
                report.failures[name] = protocol.Failure(
                    "timeout", f"not run: the submission's time limit of {limits.submission_timeout:g} s ran out")
            break
        folder = tempfile.mkdtemp(prefix="lstmkit-grade-")
        try:
            phase, ended, returncode = _attempt_once(
                folder, notebook_bytes, cells, [s for s in job_exercises if s["name"] in remaining],
                arrays, limits, blocked_imports, skip, deadline, out, err)
            _collect(folder, remaining, report)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if not remaining:
            break
        reason = (f"it ran longer than {limits.exercise_timeout:g} s (infinite loop?) and was stopped"
                  if ended == "timeout" else _exit_reason(returncode))
        if phase is not None and phase.startswith("exercise:") and phase[9:] in remaining:
            name = phase[9:]
            kind = "timeout" if ended == "timeout" else "crash"
            report.failures[name] = protocol.Failure(kind, f"while running {name}, {reason}.")
            remaining.remove(name)
        elif phase is not None and phase.startswith("cell:"):
            index = int(phase[5:])
            skip.add(index)
            report.notes.append(f"cell {index} was skipped: {reason}.")
        else:  # died before any cell or exercise started, or between exercises: nothing to blame
            for name in remaining:
                report.failures[name] = protocol.Failure("crash", f"the sandbox could not run the notebook: {reason}.")
            remaining.clear()
    report.stdout = out.kept.decode("utf-8", "replace")
    report.stderr = err.kept.decode("utf-8", "replace")
    report.discarded_bytes = out.discarded + err.discarded
    if report.discarded_bytes:
        report.notes.append(f"{report.discarded_bytes} bytes of printed output beyond the first "
                            f"{limits.output_cap} per stream were discarded.")
    return report


def _attempt_once(folder, notebook_bytes, cells, specs, arrays, limits, blocked_imports, skip, deadline, out, err):
    Path(folder, "submission.ipynb").write_bytes(notebook_bytes)
    job = {
        "cells": cells, "skip_cells": sorted(skip), "exercises": specs,
        "cpu_seconds": int(limits.submission_timeout) + 5, "memory_mb": limits.memory_mb,
        "blocked_imports": blocked_imports,
    }
    Path(folder, "job.json").write_text(json.dumps(job), encoding="utf-8")
    with open(Path(folder, "inputs.npz"), "wb") as handle:
        numpy.savez(handle, **arrays)
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT, str(write_fd)], cwd=folder, env=scrubbed_env(folder),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(write_fd,), start_new_session=True, close_fds=True,
        )
    finally:
        os.close(write_fd)
    try:
        phase, ended = _watch(proc, read_fd, limits, deadline, out, err)
    finally:
        if proc.poll() is None:
            _kill(proc)
        for stream in (proc.stdout, proc.stderr):
            stream.close()
    if phase is None and ended == "exit" and proc.returncode != 0:
        phase = None
    return phase, ended, proc.returncode


def _collect(folder: str, remaining: list[str], report: SandboxReport) -> None:
    """Read the bundles and notes the run left (complete ones only)."""
    fence_path = Path(folder, "out", "sandbox.json")
    if fence_path.is_file():
        try:
            fence = json.loads(fence_path.read_text(encoding="utf-8")[:10_000])
            report.fence = {str(k): v for k, v in fence.items() if isinstance(v, int | str)} if isinstance(fence, dict) else {}
        except (ValueError, OSError):
            pass
    notes_path = Path(folder, "out", "notes.json")
    if notes_path.is_file():
        try:
            notes = json.loads(notes_path.read_text(encoding="utf-8")[:100_000])
            report.notes.extend(str(n)[:400] for n in notes[:50] if str(n) not in report.notes)
        except (ValueError, OSError, TypeError):
            pass
    for name in list(remaining):
        stem = Path(folder, "out", name)
        if not Path(str(stem) + ".json").is_file():
            continue
        try:
            header, arrays = protocol.read_bundle(stem)
            cases = [protocol.outputs_from_json(node, arrays) for node in header["cases"]]
        except (protocol.ProtocolError, KeyError, TypeError) as error:
            report.failures[name] = protocol.Failure("crash", f"the result of {name} could not be read: {error}")
        else:
            report.outputs[name] = cases
        remaining.remove(name)
