"""Does an answer call what it is asked to write? (``lstmkit.gates.learn_gate``...)

:func:`find_forbidden` reads the answer's bytecode, no source needed: every global
name it loads and every attribute chain on it (``lk.gates.learn_gate``) is resolved
in the answer's own namespace, and the object found is named by its module and
qualified name. Helper functions defined next to the answer are read too. A
forbidden entry is a dotted prefix (``"lstmkit.gates"`` forbids the module and all
in it) or a bare attribute name (``"clip_grad_norm_"``, forbidden wherever it
appears).

This is a courtesy check for instant feedback, not a security boundary.
"""

from __future__ import annotations

import builtins
import dis
import types
from collections.abc import Iterator
from typing import Any

_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}


def qualified_name(obj: Any) -> str | None:
    """'lstmkit.gates.learn_gate' for a function, 'lstmkit.gates' for a module, else None."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return None


def _matches(name: str, entry: str) -> bool:
    return name == entry or name.startswith(entry + ".")


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _functions(answer: Any) -> list[Any]:
    if isinstance(answer, type):
        found = []
        for value in vars(answer).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            if isinstance(value, types.FunctionType):
                found.append(value)
        return found
    return [answer] if isinstance(answer, types.FunctionType) else []


def find_forbidden(answer: Any, forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden names ``answer`` (a function or class) uses, e.g. ['lstmkit.gates.learn_gate']."""
    bare = {entry for entry in forbidden if "." not in entry}
    found: list[str] = []
    seen: set[int] = set()
    todo = list(_functions(answer))
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        namespace = fn.__globals__
        closure = {
            name: cell.cell_contents
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False)
            if _has_contents(cell)
        }
        for code in _codes(fn.__code__):
            current: Any = _MISSING
            for ins in dis.get_instructions(code):
                if ins.opname in _LOADS:
                    name = ins.argval
                    if name in bare:
                        found.append(name)
                    current = closure.get(name, namespace.get(name, getattr(builtins, name, _MISSING)))
                elif ins.opname in _ATTRS and current is not _MISSING:
                    if ins.argval in bare:
                        found.append(ins.argval)
                    current = getattr(current, ins.argval, _MISSING)
                else:
                    if ins.opname in _ATTRS and ins.argval in bare:
                        found.append(ins.argval)
                    current = _MISSING
                    continue
                if current is _MISSING:
                    continue
                qualified = qualified_name(current)
                if qualified and any(_matches(qualified, entry) for entry in forbidden):
                    found.append(qualified)
                if isinstance(current, types.FunctionType) and current.__globals__ is namespace:
                    todo.append(current)  # a helper written next to the answer
    unique = set(found)
    # 'lstmkit.gates.learn_gate' says more than 'lstmkit.gates': keep the most specific names
    return sorted(name for name in unique if not any(other.startswith(name + ".") for other in unique))


class _Missing:
    pass


_MISSING = _Missing()


def _has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True
