"""Does an answer use what it is asked to write? One rule, read from objects or from source.

A forbidden entry is a dotted prefix (``"lstmkit.gates"`` forbids the module and all
in it) or a bare attribute name (``"clip_grad_norm_"``, forbidden wherever it appears).
:class:`Forbidden` is that rule. Two readers feed it the names an answer uses:

* :func:`in_objects` reads a live answer's bytecode (``check()`` in a notebook): every
  global it loads and every attribute chain on it (``lk.gates.learn_gate``) is resolved
  in the answer's own namespace and named by its module and qualified name;
* :func:`in_source` reads the notebook's code as text (the grader, before anything
  runs): import aliases are resolved (``import lstmkit as lk`` makes
  ``lk.gates.learn_gate`` read ``lstmkit.gates.learn_gate``), as are
  ``__import__("...")`` and ``import_module("...")`` strings.

Both follow the helpers defined next to the answer. This is feedback, not a fence: the
grader's sandbox is the fence.
"""

from __future__ import annotations

import ast
import builtins
import dis
import types
from collections.abc import Iterable, Iterator
from typing import Any

_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}
_IMPORTERS = ("__import__", "import_module")
#: names of the notebook's own set-up line, ``from lstmkit.course import check, assert_passes``
SETUP_NAMES = frozenset({"check", "assert_passes", "show_progress"})


class Forbidden:
    """The rule: which dotted names and bare attribute names an answer may not use."""

    def __init__(self, entries: Iterable[str]):
        self.entries = tuple(entries)
        self.bare = frozenset(e for e in self.entries if "." not in e)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def matches(self, dotted: str | None) -> bool:
        """True when ``dotted`` (``"lstmkit.gates.learn_gate"``) is or lies inside an entry."""
        return bool(dotted) and any(dotted == e or dotted.startswith(e + ".") for e in self.entries)

    @staticmethod
    def most_specific(found: Iterable[str]) -> list[str]:
        """'lstmkit.gates.learn_gate' says more than 'lstmkit.gates': keep the longest names."""
        unique = set(found)
        return sorted(n for n in unique if not any(o.startswith(n + ".") for o in unique))


def refusal(exercise: str, found: Iterable[str]) -> str:
    """What the learner is told when the answer uses forbidden names (the same in check() and the grader)."""
    return (f"{exercise} uses {', '.join(found)}, which this exercise asks you to write yourself: an answer "
            "that uses it scores zero. Build it from the operations the lesson shows.")


def qualified_name(obj: Any) -> str | None:
    """'lstmkit.gates.learn_gate' for a function, 'lstmkit.gates' for a module, else None."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return None


# ------------------------------------------------------------------ live objects (check() in a notebook)


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def functions_of(answer: Any) -> list[types.FunctionType]:
    """The Python functions an answer is made of (itself, or a class's methods)."""
    if isinstance(answer, type):
        found = []
        for value in vars(answer).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            if isinstance(value, types.FunctionType):
                found.append(value)
        return found
    return [answer] if isinstance(answer, types.FunctionType) else []


class _Missing:
    pass


_MISSING = _Missing()


def _closure(fn: types.FunctionType) -> dict[str, Any]:
    values = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return values


def in_objects(answer: Any, rule: Forbidden) -> list[str]:
    """The forbidden names a live ``answer`` (function or class) and its helpers use."""
    if not rule:
        return []
    found: list[str] = []
    seen: set[int] = set()
    todo = functions_of(answer)
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        namespace, closure = fn.__globals__, _closure(fn)
        for code in _codes(fn.__code__):
            current: Any = _MISSING
            for ins in dis.get_instructions(code):
                if ins.opname in _ATTRS and ins.argval in rule.bare:
                    found.append(ins.argval)
                if ins.opname in _LOADS:
                    if ins.argval in rule.bare:
                        found.append(ins.argval)
                    name = ins.argval
                    current = closure.get(name, namespace.get(name, getattr(builtins, name, _MISSING)))
                elif ins.opname in _ATTRS and current is not _MISSING:
                    current = getattr(current, ins.argval, _MISSING)
                else:
                    current = _MISSING
                if current is _MISSING:
                    continue
                dotted = qualified_name(current)
                if rule.matches(dotted):
                    found.append(dotted)
                if isinstance(current, types.FunctionType) and current.__globals__ is namespace:
                    todo.append(current)  # a helper written next to the answer
    return Forbidden.most_specific(found)


def global_arrays(answer: Any) -> list[str]:
    """Global names the answer reads whose values are arrays or Tensors (not its arguments)."""
    found = set()
    for fn in functions_of(answer):
        for code in _codes(fn.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname == "LOAD_GLOBAL":
                    value = fn.__globals__.get(ins.argval)
                    if isinstance(getattr(value, "shape", None), tuple) and not isinstance(value, type):
                        found.add(ins.argval)
    return sorted(found)


# ------------------------------------------------------------------ source text (the grader)


def parse(source: str) -> ast.Module | None:
    """The syntax tree of a cell, or None when it does not parse (or is too deep to)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


def bindings(trees: Iterable[ast.Module]) -> tuple[dict[str, str], dict[str, ast.AST]]:
    """Module-level import aliases (name -> dotted) and the last definition of each name."""
    aliases: dict[str, str] = {}
    defs: dict[str, ast.AST] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    name = a.asname or a.name.split(".")[0]
                    aliases[name] = a.name if a.asname else a.name.split(".")[0]
                    defs.pop(name, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if node.module == "lstmkit.course" and a.name in SETUP_NAMES:
                        continue
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                    defs.pop(a.asname or a.name, None)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defs[node.name] = node
                aliases.pop(node.name, None)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        defs[target.id] = node
                        aliases.pop(target.id, None)
    return aliases, defs


def in_source(name: str, trees: list[ast.Module], rule: Forbidden) -> list[str]:
    """The forbidden names the last definition of ``name`` in ``trees`` (and its helpers) uses."""
    if not rule:
        return []
    aliases, defs = bindings(trees)
    found: list[str] = []

    def flag(dotted: str | None) -> None:
        if rule.matches(dotted):
            found.append(dotted)

    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        flag(aliases.get(current))
        node = defs.get(current)
        for sub in ast.walk(node) if node is not None else ():
            if isinstance(sub, ast.Name):
                flag(aliases.get(sub.id))
                if sub.id in rule.bare:
                    found.append(sub.id)
                if sub.id in defs or sub.id in aliases:
                    todo.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                flag(_dotted(sub, aliases))
                if sub.attr in rule.bare:
                    found.append(sub.attr)
            elif isinstance(sub, ast.Import):
                for a in sub.names:
                    flag(a.name)
            elif isinstance(sub, ast.ImportFrom) and sub.module:
                for a in sub.names:
                    flag(f"{sub.module}.{a.name}")
            elif isinstance(sub, ast.Call) and sub.args and isinstance(sub.args[0], ast.Constant):
                callee = _dotted(sub.func, aliases) or ""
                if callee.split(".")[-1] in _IMPORTERS and isinstance(sub.args[0].value, str):
                    flag(sub.args[0].value)
    return Forbidden.most_specific(found)


def defined_names(trees: Iterable[ast.Module]) -> set[str]:
    """Top-level names the code defines (def, class, assignment, import)."""
    aliases, defs = bindings(trees)
    return set(aliases) | set(defs)
