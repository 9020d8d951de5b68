"""``lstmkit grade``: sandboxed, parallel, resumable grading of learners' notebooks.

The pieces, each one idea:

* :mod:`.submission` -- read a submission as text: its learner, its exercises, its
  code cells, the forbidden names its answers use;
* :mod:`.job` -- what crosses the sandbox boundary: public halves and inputs in,
  outputs back, as :mod:`..wire` files;
* :mod:`.sandbox` -- the grader's side of one sandboxed run: a fresh temporary
  folder, a scrubbed environment, a watched process group, capped output;
* :mod:`.child`, :mod:`.guard`, :mod:`.landlock` -- the sandboxed side: resource
  limits, Landlock, audit hooks, the learner's cells, the same case loop as ``check()``;
* :mod:`.batch` -- many submissions: local process pool or Dask, judging with the same
  judge as ``check()``, resume state;
* :mod:`.report` -- the gradebook, results.json, feedback files, the summary table;
* :mod:`.course_file`, :mod:`.collect` -- the course file (roster, deadlines, late
  policy); which files are graded, when they were handed in, what earlier runs keep;
* :mod:`.late`, :mod:`.overrides` -- late penalties and manual grades, applied on every run;
* :mod:`.outputs`, :mod:`.class_report`, :mod:`.exports` -- every file of OUT: the class
  report (HTML and markdown), Canvas and Moodle CSVs, nbgrader's gradebook;
* :mod:`.cli` -- ``main(argv)`` for ``lstmkit grade``.

This module imports nothing heavy: the sandboxed process imports the package too.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``lstmkit grade SUBMISSION... --out DIR [...]``; returns the exit status."""
    from .cli import main as cli_main  # noqa: PLC0415  (keep the sandbox's import light)

    return cli_main(argv)


__all__ = ["main"]
