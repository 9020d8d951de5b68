"""The backend rule: only lstmkit/backend.py imports cupy, and the compute layers
(autograd, functional, gates, nn, optim) never import numpy, so every array
operation there goes through the data's own array module (numpy or cupy)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lstmkit"
COMPUTE_LAYERS = ("autograd", "functional.py", "gates.py", "nn", "optim.py")


def imported_modules(source: str) -> set[str]:
    """Top-level names of every module a source file imports (anywhere in it)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def reaches_numpy_through_backend(source: str) -> bool:
    """``backend.numpy.tanh(...)`` or ``from ..backend import numpy``: numpy by a side door."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "numpy" and isinstance(node.value, ast.Name):
            if node.value.id == "backend":
                return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("backend"):
            if any(alias.name == "numpy" for alias in node.names):
                return True
    return False


def rule_violations(relative_path: str, source: str) -> list[str]:
    imported = imported_modules(source)
    problems = []
    if relative_path != "backend.py" and imported & {"cupy", "cupyx"}:
        problems.append(f"{relative_path} imports cupy; only backend.py may")
    if relative_path.startswith(COMPUTE_LAYERS) and ("numpy" in imported or reaches_numpy_through_backend(source)):
        problems.append(f"{relative_path} imports numpy; compute layers must use backend.xp_of(array)")
    return problems


def package_sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(PACKAGE)), p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))]


@pytest.mark.parametrize(("relative_path", "source"), package_sources(), ids=[p for p, _ in package_sources()])
def test_module_follows_the_backend_rule(relative_path, source):
    assert rule_violations(relative_path, source) == []


def test_rule_checker_catches_violations():
    assert rule_violations("autograd/ops.py", "import numpy as np\n")
    assert rule_violations("nn/lstm.py", "def f():\n    from numpy import tanh\n")
    assert rule_violations("data.py", "import cupy\n")
    assert rule_violations("gates.py", "from .backend import numpy\n")
    assert rule_violations("nn/rnn.py", "from .. import backend\ny = backend.numpy.tanh(x)\n")
    assert not rule_violations("data.py", "import numpy\n")
    assert not rule_violations("backend.py", "import cupy\nimport numpy\n")


def test_compute_layers_exist_and_are_checked():
    checked = [p for p, _ in package_sources() if p.startswith(COMPUTE_LAYERS)]
    assert "autograd/ops.py" in checked and "gates.py" in checked
