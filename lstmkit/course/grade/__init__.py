"""``lstmkit grade``: sandboxed, parallel, resumable grading of learners' notebooks.

The pieces, each one idea:

* :mod:`.notebook` -- read a submission, find its learner and exercises, scan it
  statically for forbidden names (trusted, in the grader's process);
* :mod:`.protocol` -- inputs and outputs as plain arrays (``.npz`` without pickle
  plus a JSON header), the only thing that crosses the sandbox boundary;
* :mod:`.sandbox` -- the grader's side of one sandboxed run: a fresh temporary
  folder, a scrubbed environment, a watched process group, capped output;
* :mod:`.child` and :mod:`.guard` -- the sandboxed side: resource limits, audit
  hooks, the learner's cells, and plain arrays back;
* :mod:`.scoring` -- references and verdicts, computed in the grader's process;
* :mod:`.batch` -- many submissions: local process pool or Dask, resume state,
  gradebook, results and feedback files;
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
