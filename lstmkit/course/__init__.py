"""The course layer: exercise specs, instant checks, and the release tool.

In a notebook::

    from lstmkit.course import check
    check("learn_gate", learn_gate)

For tools (the release command, the instructor's grader), the registry and the two
halves of checking:

* :data:`EXERCISES` / :func:`get_exercise` -- every :class:`Exercise` spec;
* :func:`compute_outputs` -- run an answer on a :class:`Case` -> plain arrays;
* :func:`judge_case` / :func:`summarize` -- compare with the reference -> verdicts.
"""

from .check import assert_passes, check
from .exercises import EXERCISES, by_notebook, get_exercise
from .judge import judge_case, reference_outputs, summarize
from .run import compute_outputs
from .spec import Case, CaseResult, CaseSpec, CheckResult, ErrorHint, Exercise, Failure, Hint, Outputs

__all__ = [
    "EXERCISES",
    "Case",
    "CaseResult",
    "CaseSpec",
    "CheckResult",
    "ErrorHint",
    "Exercise",
    "Failure",
    "Hint",
    "Outputs",
    "assert_passes",
    "by_notebook",
    "check",
    "compute_outputs",
    "get_exercise",
    "judge_case",
    "reference_outputs",
    "summarize",
]
