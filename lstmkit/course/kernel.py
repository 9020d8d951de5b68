"""Where ``check()`` runs: the one "am I in a Jupyter kernel" helper."""

from __future__ import annotations

import os
import sys
from typing import Any

#: set by the grader in the learner's sandboxed process: check() there only says the grader decides
SANDBOX_VARIABLE = "LSTMKIT_GRADING_SANDBOX"


def kernel_shell() -> Any:
    """The running IPython kernel's shell, or None outside Jupyter (plain Python, pytest, the grader)."""
    module = sys.modules.get("IPython")
    shell = module.get_ipython() if module is not None else None
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def in_grading_sandbox() -> bool:
    """True inside the grader's sandboxed process."""
    return os.environ.get(SANDBOX_VARIABLE) == "1"


_SHOWN: dict[int, int] = {}  #: id(shown object) -> execution count of the cell that showed it


def mark_shown(obj: object) -> None:
    """Remember that ``obj`` was displayed by the cell running now."""
    shell = kernel_shell()
    if shell is not None:
        _SHOWN.setdefault(id(obj), shell.execution_count)


def shown_in_this_cell(obj: object) -> bool:
    """True when ``obj`` was already displayed by the cell running now (Jupyter would show it twice)."""
    shell = kernel_shell()
    return shell is not None and _SHOWN.get(id(obj)) == shell.execution_count
