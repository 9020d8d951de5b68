"""Grading throughput: reference submissions of 06_lstm_cell, serial and with worker processes.

    python benchmarks/bench_grade.py                        # 100 submissions, --workers 1 and 2, both fences
    python benchmarks/bench_grade.py --count 20 --repeats 1
    python benchmarks/bench_grade.py --fences fallback      # only Landlock + seccomp + audit hook

Each run grades ``--count`` copies of the reference notebook (one learner each, so every
one is a sandboxed process of its own) into a fresh output folder, exactly as
``lstmkit grade`` does, and reports the wall time and submissions per minute; the
figure is the median of ``--repeats`` runs. ``LSTMKIT_SANDBOX`` selects the fence:
``bwrap`` (bubblewrap's namespaces around the process) or ``fallback``. Results go to
``benchmarks/results/grade-cpu.json`` with the machine's load, so that a figure can be
read against the conditions it was taken in.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lstm import machine_description  # noqa: E402

from lstmkit.course.grade.batch import Settings, grade_submissions  # noqa: E402

try:
    from lstmkit.course.grade import bwrap  # noqa: E402
except ImportError:  # a checkout from before bubblewrap (to measure the old baseline): its one fence
    bwrap = None

STEM = "06_lstm_cell"


def reference_notebook() -> bytes:
    """The released 06 notebook with every reference answer spliced in (as the grading corpus builds it)."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules["grading_corpus"] = corpus
    spec.loader.exec_module(corpus)
    return corpus.reference_submission(STEM)


def one_run(folder: Path, count: int, workers: int, fence: str) -> float:
    """Seconds to grade ``count`` submissions under ``folder`` (checked: every one full marks)."""
    os.environ["LSTMKIT_SANDBOX"] = fence
    out = Path(tempfile.mkdtemp(prefix="bench-grade-out-"))
    try:
        start = time.perf_counter()
        result = grade_submissions([folder], out, Settings(), workers=workers)
        seconds = time.perf_counter() - start
        scores = {r.learner: sum(v.score for v in r.results.values()) for r in result.results}
        full = sum(v.points for v in result.results[0].results.values())
        if len(scores) != count or set(scores.values()) != {full}:
            raise SystemExit(f"the benchmark's submissions did not all score {full}: {sorted(set(scores.values()))}")
        return seconds
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fences", nargs="+", default=["bwrap", "fallback"], choices=["bwrap", "fallback"])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "grade-cpu.json"))
    args = parser.parse_args(argv)
    if bwrap is None:
        fences = ["before-bwrap"]
    else:
        fences = [f for f in args.fences if f != "bwrap" or not bwrap.why_not()]
        for missing in sorted(set(args.fences) - set(fences)):
            print(f"skipping the {missing} fence: {bwrap.why_not()}")
    data = reference_notebook()
    folder = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    rows = []
    try:
        for index in range(args.count):
            (folder / f"learner{index:04d}").mkdir()
            (folder / f"learner{index:04d}" / f"{STEM}.ipynb").write_bytes(data)
        print(f"{'fence':<9} {'workers':>7} {'seconds':>8} {'per minute':>11}   (median of {args.repeats})")
        for fence in fences:
            for workers in args.workers:
                load = os.getloadavg()[0]
                times = [one_run(folder, args.count, workers, fence) for _ in range(args.repeats)]
                seconds = statistics.median(times)
                rows.append({"fence": fence, "workers": workers, "submissions": args.count, "seconds": seconds,
                             "runs": times, "per_minute": args.count * 60 / seconds, "load_average_1min": load})
                print(f"{fence:<9} {workers:>7} {seconds:>8.2f} {args.count * 60 / seconds:>11.0f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    record = {"benchmark": "grade", "notebook": STEM, "date": datetime.datetime.now(datetime.UTC).isoformat(),
              "machine": machine_description("cpu"), "python": sys.version.split()[0], "results": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
