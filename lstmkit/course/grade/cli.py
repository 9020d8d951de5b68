"""``lstmkit grade SUBMISSION... --out DIR``: the command line.

Exit status: 0 when every submission was graded (whatever the learners' code
did), 1 when the grader itself failed on some submission (they keep a row and are
retried by ``--resume``), 2 on bad arguments, a bad course file, an output folder
inside the submissions or not writable, or an unreachable scheduler (nothing is
written then). No notebook to grade is a warning, exit 0, nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

DESCRIPTION = """Grade learners' exercise notebooks in sandboxed processes.

A SUBMISSION is a notebook or a folder of them: a folder per learner
(alice/02_learn_gate.ipynb), a folder per assignment (02_learn_gate/alice.ipynb)
or one file per learner (alice.ipynb, its exercises found from the functions it
defines). Writes OUT/gradebook.csv, OUT/results.json, OUT/feedback/<learner>.md and
the class report OUT/report.html (and report.md); with --course also OUT/exports/
(canvas.csv, moodle.csv, nbgrader's gradebook.db). Submissions graded into OUT
before that lie outside this run's SUBMISSIONs keep their rows."""


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The grade command's arguments (for ``lstmkit grade`` and :func:`main`)."""
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebooks or folders of notebooks")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the gradebook, results and feedback")
    parser.add_argument("--workers", type=_positive(int), default=os.cpu_count() or 1,
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--timeout", type=_positive(float), default=10.0, metavar="S",
                        help="seconds one exercise (or one cell) may run (default 10); a submission gets "
                             "the sum over its exercises plus 30 s")
    parser.add_argument("--memory", type=_positive(int), default=1024, metavar="MB",
                        help="address-space limit of a learner's process, in MiB (default 1024)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the hidden cases (default 1, as the hidden tests)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the results of an earlier run into DIR; grade only what is missing")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask scheduler (tcp://host:8786): grade on its workers instead of locally")
    parser.add_argument("--course", metavar="FILE",
                        help="course file (course.toml): notebooks, roster, deadlines, late policy, overrides; "
                             "every roster learner gets a row, every exercise a column, other files are listed "
                             "as not graded")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run a parsed grade command; returns the exit status."""
    from .batch import GradeError, Settings, grade_submissions  # noqa: PLC0415  (keeps --help light)
    from .course_file import CourseError, load_course  # noqa: PLC0415
    from .report import summary_table  # noqa: PLC0415
    from .sandbox import Limits, fence_summary  # noqa: PLC0415

    limits = Limits(exercise_timeout=args.timeout, submission_timeout=args.timeout * 10 + 30, memory_mb=args.memory)
    try:
        course = load_course(args.course) if args.course else None
        batch = grade_submissions(
            args.submissions, args.out, Settings(seed=args.seed, limits=limits), workers=args.workers,
            scheduler=args.scheduler, resume=args.resume, progress=not args.no_progress, course=course,
        )
    except (GradeError, CourseError) as error:
        print(f"lstmkit grade: error: {error}", file=sys.stderr)
        return 2
    for warning in batch.warnings:
        print(f"lstmkit grade: warning: {warning}", file=sys.stderr)
    if batch.book is None:
        return 0
    print(summary_table(batch.book.columns, batch.book.rows))
    print(fence_summary([r.sandbox for r in batch.results]))
    if batch.not_graded:
        print(f"\nnot graded ({len(batch.not_graded)} files):")
        for left_out in batch.not_graded:
            print(f"  {left_out.path}: {left_out.reason}")
    kept = f", {len(batch.kept)} kept from earlier runs" if batch.kept else ""
    print(f"\n{len(batch.graded)} graded, {len(batch.reused)} resumed{kept}; wrote {batch.out}/gradebook.csv, "
          f"results.json, feedback/ and report.html" + (", exports/" if course else ""))
    if batch.internal_errors:
        print(f"lstmkit grade: {batch.internal_errors} submissions could not be graded (see results.json); "
              "run again with --resume to retry them.", file=sys.stderr)
        return 1
    return 0


def register_grade(subparsers: Any) -> None:
    """Add ``lstmkit grade SUBMISSION... --out DIR [...]`` to the CLI's subparsers."""
    parser = subparsers.add_parser("grade", help="grade learners' exercise notebooks in sandboxed processes",
                                   description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``lstmkit grade SUBMISSION... --out DIR [...]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="lstmkit grade", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
