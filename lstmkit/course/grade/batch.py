"""Many submissions: tasks, workers (local pool or Dask), resume state, output files.

:func:`grade_submissions` is the whole command: it finds the notebooks, skips
those already graded (``resume``: one result file per submission in
``OUT/state/``, keyed by a hash of the notebook's bytes, its learner and the
grading settings), grades the rest in parallel, and writes ``gradebook.csv``,
``results.json`` and ``feedback/<learner>.md`` atomically. :func:`grade_one` is
one task: plain data in, plain data out, so that it runs the same in this
process, in a local process pool, or on a Dask worker (which then starts the
sandboxed process itself).
"""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import io
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..exercises import EXERCISES
from . import feedback
from .notebook import forbidden_in_source, read_submission
from .sandbox import Limits, SandboxReport, run_sandboxed
from .scoring import blocked_imports, failed, job_for, judge_exercise, verdict_to_json

GRADER_VERSION = 1  #: part of every result's key: bump when grading changes


class GradeError(RuntimeError):
    """The grader itself cannot go on (bad arguments, an unwritable folder)."""


@dataclass
class Settings:
    """What decides a grade: the hidden cases' seed and the sandbox's limits."""

    seed: int = 1
    limits: Limits = field(default_factory=Limits)

    def digest(self) -> str:
        """A hash of the settings, the grader's version and every exercise's spec."""
        specs = [(e.name, e.points, e.rtol, e.atol, e.grad_rtol, e.grad_atol, e.forbidden, len(e.cases))
                 for e in EXERCISES.values()]
        text = json.dumps([GRADER_VERSION, self.seed, asdict(self.limits), repr(specs)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class BatchResult:
    """What one call of :func:`grade_submissions` did."""

    out: Path
    results: list[dict[str, Any]]  #: one per submission file, in path order
    graded: list[str]  #: keys graded in this call
    reused: list[str]  #: keys taken from the state of an earlier call
    internal_errors: int = 0


# ------------------------------------------------------------------ finding submissions


def find_submissions(paths: list[str | Path]) -> list[Path]:
    """Every notebook named or inside a named folder (no checkpoints), sorted."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found |= {p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file()}
        else:
            raise GradeError(f"submission {path} does not exist; give notebook files or folders of them.")
    return sorted(found)


def make_task(path: Path, settings: Settings, digest: str) -> dict[str, Any]:
    """A self-contained task: the notebook's bytes travel with it (Dask workers may not share disks)."""
    data = path.read_bytes()
    submission = read_submission(path, data)
    key = hashlib.sha256(f"{digest}\0{submission.learner}\0{submission.notebook}\0".encode() + data).hexdigest()
    return {"path": str(path), "data": data, "key": key, "seed": settings.seed, "limits": asdict(settings.limits)}


# ------------------------------------------------------------------ one submission


def grade_one(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission task -> its result (plain data); never raises."""
    try:
        return _grade(task)
    except Exception as error:  # noqa: BLE001  (a grader bug: reported in the row, not saved as done)
        submission = read_submission(Path(task["path"]), task["data"])
        return {
            "key": task["key"], "path": task["path"], "learner": submission.learner,
            "notebook": submission.notebook, "exercises": {}, "notes": [],
            "error": f"the grader failed on this submission ({type(error).__name__}: {error}); it will be retried",
            "internal_error": True,
        }


def _grade(task: dict[str, Any]) -> dict[str, Any]:
    submission = read_submission(Path(task["path"]), task["data"])
    seed, limits = task["seed"], Limits(**task["limits"])
    result: dict[str, Any] = {
        "key": task["key"], "path": task["path"], "learner": submission.learner,
        "notebook": submission.notebook, "exercises": {}, "notes": [], "error": submission.error,
    }
    if submission.error:
        for name in submission.exercises:
            result["exercises"][name] = verdict_to_json(failed(EXERCISES[name], "invalid_notebook", submission.error))
        return result
    if not submission.exercises:
        result["error"] = ("no exercise found: the file's name matches no exercise notebook and its code "
                           f"defines none of {', '.join(EXERCISES)}")
        return result
    forbidden = {n: forbidden_in_source(EXERCISES[n], submission.cells) for n in submission.exercises}
    to_run = [n for n in submission.exercises if not forbidden[n]]
    report = SandboxReport()
    if to_run:
        specs, arrays = job_for(to_run, seed)
        report = run_sandboxed(submission.data, submission.cells, specs, arrays, limits, blocked_imports(to_run))
    for name in submission.exercises:
        verdict = judge_exercise(EXERCISES[name], seed, report.outputs.get(name), report.failures.get(name), forbidden[name])
        result["exercises"][name] = verdict_to_json(verdict)
    result["notes"] = report.notes
    result["sandbox"] = report.fence
    return result


# ------------------------------------------------------------------ running many


def run_tasks(tasks: list[dict[str, Any]], workers: int, scheduler: str | None) -> Iterator[dict[str, Any]]:
    """Results of ``tasks`` as they finish: Dask at ``scheduler``, a process pool, or in turn."""
    if not tasks:
        return
    if scheduler:
        from distributed import Client, as_completed  # noqa: PLC0415  (instructor extra)

        with Client(scheduler) as client:
            futures = client.map(grade_one, tasks, pure=False)
            for future in as_completed(futures):
                yield future.result()
        return
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            yield grade_one(task)
        return
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        for future in concurrent.futures.as_completed([pool.submit(grade_one, t) for t in tasks]):
            yield future.result()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)


def _prepare(out: Path) -> Path:
    try:
        (out / "state").mkdir(parents=True, exist_ok=True)
        (out / "feedback").mkdir(exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise GradeError(f"cannot write to the output folder {out} ({error}); give a folder you can write to.") from error
    return out / "state"


def _load_state(state: Path, key: str) -> dict[str, Any] | None:
    path = state / f"{key}.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("key") == key else None


def grade_submissions(paths: list[str | Path], out: str | Path, settings: Settings | None = None, workers: int = 1,
                      scheduler: str | None = None, resume: bool = False, progress: bool = False) -> BatchResult:
    """Grade every submission under ``paths`` into ``out``; see the module's docstring."""
    settings = settings or Settings()
    out = Path(out)
    state = _prepare(out)
    digest = settings.digest()
    tasks = [make_task(path, settings, digest) for path in find_submissions(paths)]
    done: dict[str, dict[str, Any]] = {}
    if resume:
        for task in tasks:
            saved = _load_state(state, task["key"])
            if saved is not None:
                done[task["key"]] = saved
    reused = sorted(done)
    todo = [t for t in tasks if t["key"] not in done]
    graded, errors = [], 0
    from tqdm.auto import tqdm  # noqa: PLC0415

    with tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress, file=sys.stderr) as bar:
        for result in run_tasks(todo, workers, scheduler):
            done[result["key"]] = result
            graded.append(result["key"])
            if result.get("internal_error"):
                errors += 1
            else:
                write_atomic(state / f"{result['key']}.json", json.dumps(result, indent=1, sort_keys=True))
            bar.update(1)
    results = [done[t["key"]] for t in tasks]
    write_outputs(out, results, settings)
    return BatchResult(out, results, sorted(graded), reused, errors)


# ------------------------------------------------------------------ gradebook, results, feedback


def gradebook(results: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """(exercise columns in course order, learner -> row) from per-submission results."""
    seen = {name for r in results for name in r["exercises"]}
    columns = [name for name in EXERCISES if name in seen]
    rows: dict[str, dict[str, Any]] = {}
    for result in sorted(results, key=lambda r: r["path"]):
        row = rows.setdefault(result["learner"], {"exercises": {}, "submissions": [], "notes": []})
        row["submissions"].append(result["path"])
        if result.get("error"):
            row["notes"].append(f"{Path(result['path']).name}: {result['error']}")
        row["notes"] += [f"{Path(result['path']).name}: {note}" for note in result["notes"]]
        for name, verdict in result["exercises"].items():
            if name in row["exercises"]:
                row["notes"].append(f"{name} was submitted twice; graded {result['path']} (the last by path)")
            row["exercises"][name] = {**verdict, "submission": result["path"]}
    for row in rows.values():
        for name in columns:
            if name not in row["exercises"]:
                row["exercises"][name] = {**verdict_to_json(failed(EXERCISES[name], "missing", "no submission for this exercise")),
                                          "submission": None}
        row["total"] = sum(row["exercises"][n]["score"] for n in columns)
        row["max"] = sum(EXERCISES[n].points for n in columns)
    return columns, dict(sorted(rows.items()))


def write_outputs(out: Path, results: list[dict[str, Any]], settings: Settings) -> None:
    """gradebook.csv, results.json and feedback/<learner>.md, each written atomically."""
    columns, rows = gradebook(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", *columns, "total"])
    for learner, row in rows.items():
        writer.writerow([learner, *(f"{row['exercises'][n]['score']:g}" for n in columns), f"{row['total']:g}"])
    write_atomic(out / "gradebook.csv", buffer.getvalue())
    document = {
        "settings": {"seed": settings.seed, "limits": asdict(settings.limits), "grader_version": GRADER_VERSION},
        "columns": columns,
        "points": {n: EXERCISES[n].points for n in columns},
        "sandbox": [json.loads(f) for f in sorted({json.dumps(r.get("sandbox", {}), sort_keys=True) for r in results})],
        "learners": rows,
    }
    write_atomic(out / "results.json", json.dumps(document, indent=1, sort_keys=True))
    for learner, row in rows.items():
        write_atomic(out / "feedback" / f"{feedback.safe_name(learner)}.md", feedback.markdown(learner, columns, row))
