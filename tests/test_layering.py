"""The floors of DESIGN.md: each layer imports only layers below it, with no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lstmkit"

# floor of each top-level part of the package (a module may import its own floor or lower)
FLOORS = {
    "backend": 0,
    "rng": 0,
    "files": 0,
    "autograd": 1,
    "functional": 2,
    "ctc": 2,
    "gates": 3,
    "nn": 4,
    "optim": 4,
    "data": 5,
    "models": 5,
    "train": 5,
    "checkpoint": 5,
    "serialization": 5,
    "course": 6,
    "widgets": 6,
    "jupyter": 6,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """lstmkit modules imported anywhere in the file: at module level and inside functions (lazy imports
    are still dependencies, and a cycle through them is still a cycle)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lstmkit"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("lstmkit"):
                for alias in node.names:  # `from pkg import submodule` imports the submodule
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def floor_of(module: str) -> int:
    parts = module.split(".")
    return FLOORS["__init__"] if len(parts) == 1 else FLOORS[parts[1]]


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_every_part_of_the_package_has_a_floor():
    parts = {module_name(p).split(".")[1] for p in PACKAGE.rglob("*.py") if module_name(p) != "lstmkit"}
    assert parts <= set(FLOORS), f"add {parts - set(FLOORS)} to FLOORS (and to DESIGN's picture)"


def test_no_module_imports_a_higher_floor():
    problems = [
        f"{m} (floor {floor_of(m)}) imports {d} (floor {floor_of(d)})"
        for m, deps in graph().items()
        for d in deps
        if floor_of(d) > floor_of(m)
    ]
    assert problems == []


def find_cycles(edges: dict[str, set[str]]) -> list[str]:
    """Each import cycle as 'a -> b -> a' (depth-first search)."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    # a package's __init__ re-exporting its own submodules is not a cycle of meaning
    return [c for c in cycles if not _only_package_reexport(c)]


def test_no_import_cycles():
    assert find_cycles(graph()) == []


def test_cycle_finder_sees_a_cycle():
    edges = {"lstmkit.nn.lstm": {"lstmkit.optim"}, "lstmkit.optim": {"lstmkit.nn.lstm"}}
    assert find_cycles(edges) == ["lstmkit.nn.lstm -> lstmkit.optim -> lstmkit.nn.lstm"]


def _only_package_reexport(cycle: str) -> bool:
    nodes = cycle.split(" -> ")
    return any(b.startswith(a + ".") for a, b in zip(nodes, nodes[1:], strict=False)) and all(
        n.split(".")[:2] == nodes[0].split(".")[:2] for n in nodes
    )
