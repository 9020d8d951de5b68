"""The course layer: exercises, instant checks, release and sandboxed grading.

In a notebook::

    from lstmkit.course import check
    check("learn_gate", learn_gate)

How it is cut (see docs/grading.md, "How the course layer works"):

* :mod:`.model` -- what an exercise is: its public :class:`~.model.Spec` and the secret
  half held by :class:`~.model.Exercise`; cases and outputs;
* :mod:`.exercises` -- the secret half, one module per exercise notebook;
* :mod:`.compute` -- the learner's side: the one case loop, run by ``check()`` and by
  the grader's sandbox alike;
* :mod:`.judge` -- the trusted side: one small check per property, folded into a
  :class:`~.result.Result`, the one result type from ``check()`` to the gradebook;
* :mod:`.wire` -- the one format that crosses the sandbox boundary;
* :mod:`.checker`, :mod:`.release`, :mod:`.grade` -- the learner's, the author's and the
  instructor's entry points.

This package imports nothing on its own: ``from lstmkit.course import check`` loads
only the learner-side modules, and the secret half loads on the first check.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "check": ".checker", "assert_passes": ".checker", "show_progress": ".checker", "progress": ".checker",
    "Result": ".result", "CaseVerdict": ".result",
    "EXERCISES": ".exercises", "get_exercise": ".exercises", "by_notebook": ".exercises",
}


def __getattr__(name: str):  # noqa: ANN202  (PEP 562: load a part on first use)
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module 'lstmkit.course' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
