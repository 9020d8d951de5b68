"""Many submissions: tasks, workers (local pool or Dask), resume state, output files.

:func:`grade_submissions` is the whole command: it finds the notebooks, skips
those already graded (``resume``: one result file per submission in
``OUT/state/``, keyed by a hash of the notebook's bytes, its learner and the
grading settings), grades the rest in parallel, and writes ``gradebook.csv``,
``results.json``, ``feedback/<learner>.md`` and the class report atomically
(:mod:`.outputs`). With a course file, files are first checked against it
(:mod:`.collect`); submissions graded into the folder earlier that lie outside
this run's paths are kept (``OUT/state/index.json``). :func:`grade_one` is
one task: plain data in, plain data out, so that it runs the same in this
process, in a local process pool, or on a Dask worker (which then starts the
sandboxed process itself).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...files import write_atomic
from ..exercises import EXERCISES
from ..forbidden import refusal
from ..judge import judge
from ..result import Result, failed
from ..wire import Limits as WireLimits
from ..wire import WireError, from_json, read_file, to_json
from .collect import (
    Entry,
    NotGraded,
    classify,
    load_index,
    merge,
    resolved,
    save_index,
    strays,
    submission_time,
)
from .course_file import Course, read_times
from .guard import die_with_parent
from .job import ExerciseJob
from .outputs import ClassRows, write_everything
from .overrides import read_overrides
from .report import SubmissionResult
from .sandbox import Limits, SandboxReport, run_sandboxed, stop_pool
from .submission import learner_and_notebook, read_submission

GRADER_VERSION = 2  #: part of every result's key: bump when grading changes
MAX_NOTEBOOK_BYTES = 16 * 2**20
CONNECT_TIMEOUT = 5.0  #: seconds to reach a Dask scheduler before giving up


class GradeError(RuntimeError):
    """The grader itself cannot go on (bad arguments, an unwritable folder)."""


@dataclass
class Settings:
    """What decides a grade: the hidden cases' seed and the sandbox's limits."""

    seed: int = 1
    limits: Limits = field(default_factory=Limits)

    def digest(self) -> str:
        """A hash of the settings, the grader's version and every exercise's spec and tolerances."""
        specs = [(e.spec, e.rtol, e.atol, e.grad_rtol, e.grad_atol, len(e.make_inputs)) for e in EXERCISES.values()]
        text = json.dumps([GRADER_VERSION, self.seed, asdict(self.limits), repr(specs)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "limits": asdict(self.limits), "grader_version": GRADER_VERSION}


@dataclass
class BatchResult:
    """What one call of :func:`grade_submissions` did."""

    out: Path
    results: list[SubmissionResult]  #: one per submission file of the gradebook, in path order
    graded: list[str]  #: keys graded in this call
    reused: list[str]  #: keys taken from the state of an earlier call
    internal_errors: int = 0
    kept: list[str] = field(default_factory=list)  #: keys of earlier runs' submissions outside this run's paths
    not_graded: list[NotGraded] = field(default_factory=list)  #: files left out, and why
    book: ClassRows | None = None  #: the gradebook as written (None when nothing was)
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ finding submissions


def find_submissions(paths: list[str | Path]) -> list[Path]:
    """Every notebook named or inside a named folder (no checkpoints), sorted."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            found |= {p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
        elif path.exists() or path.is_symlink():
            found.add(path)
        else:
            raise GradeError(f"submission {path} does not exist; give notebook files or folders of them.")
    return sorted(found)


def make_task(path: Path, settings: Settings, digest: str) -> dict[str, Any]:
    """A self-contained task: the notebook's bytes travel with it (Dask workers may not share disks).

    A file that is not a regular file (a link, a FIFO, a device) or is too large travels
    as the reason it is refused.
    """
    try:
        data, refused = read_file(path, limits=_NOTEBOOK_LIMITS), ""
    except WireError as error:
        data, refused = b"", f"the submission was refused: {error}"
    key = hashlib.sha256(f"{digest}\0{path}\0{refused}\0".encode() + data).hexdigest()
    return {"path": str(path), "data": data, "refused": refused, "key": key, "seed": settings.seed,
            "limits": asdict(settings.limits)}


_NOTEBOOK_LIMITS = WireLimits(max_bytes=MAX_NOTEBOOK_BYTES)


# ------------------------------------------------------------------ one submission


def grade_one(task: dict[str, Any]) -> SubmissionResult:
    """Grade one submission task -> its result; never raises."""
    try:
        return _grade(task)
    except Exception as error:  # noqa: BLE001  (a grader bug: reported in the row, not saved as done)
        submission = read_submission(Path(task["path"]), b"")
        return SubmissionResult(task["key"], task["path"], submission.learner, submission.notebook, {},
                                error=f"the grader failed on this submission ({type(error).__name__}: {error}); "
                                      "it will be retried", internal_error=True)


def _grade(task: dict[str, Any]) -> SubmissionResult:
    path, seed, limits = Path(task["path"]), task["seed"], Limits(**task["limits"])
    submission = read_submission(path, task["data"])
    error = task["refused"] or submission.error
    base = SubmissionResult(task["key"], task["path"], submission.learner, submission.notebook, {}, error=error)
    if error:
        return _with(base, {n: _zero(n, "invalid_notebook", error) for n in submission.exercises})
    if not submission.exercises:
        return _with(base, {}, error="no exercise found: the file's name matches no exercise notebook and its code "
                     f"defines none of {', '.join(EXERCISES)}")
    to_run = [n for n in submission.exercises if not submission.forbidden[n]]
    cases = {n: EXERCISES[n].cases(seed) for n in to_run}
    report = SandboxReport()
    if to_run:
        jobs = [ExerciseJob(EXERCISES[n].spec, tuple(cases[n])) for n in to_run]
        report = run_sandboxed(submission.cells, jobs, limits, blocked_imports(to_run))
    results: dict[str, Result] = {}
    for name in submission.exercises:
        exercise, found = EXERCISES[name], submission.forbidden[name]
        if found:
            results[name] = _zero(name, "forbidden", refusal(name, found))
        elif name in report.failures:
            results[name] = _zero(name, report.failures[name].kind, report.failures[name].message)
        elif not report.outputs.get(name):
            results[name] = _zero(name, "crash", f"{name} produced no results.")
        else:
            results[name] = judge(exercise, cases[name], report.outputs[name])
    return _with(base, results, notes=tuple(report.notes), sandbox=report.fence)


def _with(base: SubmissionResult, results: dict[str, Result], **changes: Any) -> SubmissionResult:
    return dataclasses.replace(base, results=results, **changes)


def _zero(name: str, kind: str, message: str) -> Result:
    spec = EXERCISES[name].spec
    return failed(name, spec.points, kind, message, spec.title)


def blocked_imports(names: list[str]) -> list[str]:
    """Modules the sandbox refuses to import for these exercises: forbidden modules that ``import lstmkit``
    does not load already (``torch``, ``lstmkit.gates``...). The guard adds the course's own modules."""
    loaded = {"lstmkit.autograd", "lstmkit.functional"}
    return sorted({e for n in names for e in EXERCISES[n].spec.forbidden
                   if (e in ("torch", "scipy") or e.startswith("lstmkit.")) and e not in loaded})


# ------------------------------------------------------------------ running many


def run_tasks(tasks: list[dict[str, Any]], workers: int, scheduler: str | None) -> Iterator[SubmissionResult]:
    """Results of ``tasks`` as they finish: Dask at ``scheduler``, a process pool, or in turn."""
    if not tasks:
        return
    if scheduler:
        from distributed import as_completed  # noqa: PLC0415  (instructor extra)

        client = connect(scheduler) if isinstance(scheduler, str) else scheduler
        try:
            futures = client.map(grade_one, tasks, pure=False)
            for future in as_completed(futures):
                yield future.result()
        finally:
            if isinstance(scheduler, str):
                client.close()
        return
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            yield grade_one(task)
        return
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                                                  initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        for future in concurrent.futures.as_completed([pool.submit(grade_one, t) for t in tasks]):
            yield future.result()
    except BaseException:  # Ctrl-C or a stopped consumer: no worker, and so no sandbox, outlives the grader
        stop_pool(pool)
        raise
    pool.shutdown()


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A Dask ``Client`` of the scheduler at ``address``; a one-line GradeError when it cannot be reached."""
    try:
        from distributed import Client  # noqa: PLC0415  (instructor extra)
    except ImportError as error:
        raise GradeError(f"--scheduler needs Dask's distributed ({error}); pip install 'lstmkit[instructor]'.") \
            from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise GradeError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason[:160]}); "
                         "start it (dask scheduler) or leave out --scheduler to grade on this machine.") from None


def check_out(out: Path, paths: list[str | Path]) -> None:
    """Refuse an output folder inside (or equal to) a folder of submissions: the class's files are not ours."""
    target = resolved(out)
    for raw in paths:
        folder = Path(raw)
        if folder.is_dir() and not folder.is_symlink():
            root = resolved(folder)
            if target == root or target.startswith(root.rstrip("/") + "/"):
                raise GradeError(f"the output folder {out} is inside the submissions folder {folder}; the gradebook "
                                 "and feedback would be written among the learners' files. Give an --out outside it.")


def _prepare(out: Path) -> Path:
    try:
        (out / "state").mkdir(parents=True, exist_ok=True)
        (out / "feedback").mkdir(exist_ok=True)
        write_atomic(out / ".write-test", "ok")
        (out / ".write-test").unlink()
    except OSError as error:
        raise GradeError(f"cannot write to the output folder {out} ({error}); give a folder you can write to.") from error
    return out / "state"


def _load_state(state: Path, key: str) -> SubmissionResult | None:
    try:
        result = from_json((state / f"{key}.json").read_text(encoding="utf-8"), SubmissionResult)
    except (OSError, WireError):
        return None
    return result if result.key == key else None


def grade_submissions(paths: list[str | Path], out: str | Path, settings: Settings | None = None, workers: int = 1,
                      scheduler: str | None = None, resume: bool = False, progress: bool = False,
                      course: Course | None = None) -> BatchResult:
    """Grade every submission under ``paths`` into ``out``; see the module's docstring.

    With a ``course``, files are checked against it first (:func:`.collect.classify`):
    what is not graded is listed with the reason, every roster learner gets a row and
    every exercise of the course a column. Submissions of earlier runs into ``out``
    that lie outside ``paths`` are kept (regrade some, keep the rest).
    """
    settings = settings or Settings()
    out = Path(out)
    check_out(out, paths)
    found = find_submissions(paths)
    if not found:
        return BatchResult(out, [], [], [], warnings=[
            f"no notebooks found in {', '.join(str(p) for p in paths)}; nothing was graded or written."])
    accepted, not_graded, manifest = [], [], None
    if course is None:
        accepted = [(path, *learner_and_notebook(path)) for path in found]
    else:
        manifest = read_times(course.times, course) if course.times is not None else None
        if course.overrides is not None:
            read_overrides(course.overrides, course)  # a bad line stops the run before anything is written
        for path in [*found, *strays(paths)]:
            learner, notebook, reason = classify(path, course)
            if reason:
                not_graded.append(NotGraded(str(path), resolved(path), reason))
            else:
                accepted.append((path, learner, notebook))
    client = connect(scheduler) if scheduler else None
    try:
        return _grade_into(out, paths, accepted, sorted(not_graded, key=lambda n: n.path), manifest, settings,
                           workers, client, resume, progress, course)
    finally:
        if client is not None:
            client.close()


def _grade_into(out: Path, paths: list[str | Path], accepted: list[tuple[Path, str, str | None]],
                not_graded: list[NotGraded], manifest: Any, settings: Settings, workers: int, client: Any,
                resume: bool, progress: bool, course: Course | None) -> BatchResult:
    digest = settings.digest()
    tasks = [make_task(path, settings, digest) for path, _, _ in accepted]
    entries = [Entry(task["key"], str(path), resolved(path), learner, notebook,
                     submission_time(path, learner, notebook, manifest) if course else "")
               for task, (path, learner, notebook) in zip(tasks, accepted, strict=True)]
    state = _prepare(out)
    previous = load_index(state)
    index, kept = merge(previous, [resolved(p) for p in paths], entries, not_graded, digest)
    if kept and previous is not None and previous.digest != digest:
        raise GradeError(f"{out} holds grades made with other settings (seed, limits or grader version) for "
                         f"{len(kept)} submissions outside {', '.join(str(p) for p in paths)}; regrade the whole "
                         "class into it, or give a new --out.")
    done: dict[str, SubmissionResult] = {}
    warnings = []
    for entry in kept:
        saved = _load_state(state, entry.key)
        if saved is None:
            warnings.append(f"the saved result of {entry.path} is gone from {state}; grade it again to bring its "
                            "row back.")
        else:
            done[entry.key] = saved
    kept_keys = sorted(done)
    if resume:
        for task in tasks:
            saved = _load_state(state, task["key"])
            if saved is not None:
                done[task["key"]] = saved
    reused = sorted(set(done) - set(kept_keys))
    todo = [t for t in tasks if t["key"] not in done]
    graded, errors = [], 0
    from tqdm.auto import tqdm  # noqa: PLC0415

    with tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress, file=sys.stderr) as bar:
        for result in run_tasks(todo, workers, client):
            done[result.key] = result
            graded.append(result.key)
            if result.internal_error:
                errors += 1
            else:
                write_atomic(state / f"{result.key}.json", to_json(result))
            bar.update(1)
    entries_now = [e for e in index.entries if e.key in done]
    save_index(state, dataclasses.replace(index, entries=tuple(entries_now)))
    results = [done[e.key] for e in entries_now]
    book = write_everything(out, results, entries_now, list(index.not_graded), settings.as_json(), course)
    return BatchResult(out, results, sorted(graded), reused, errors, kept_keys, list(index.not_graded), book, warnings)
