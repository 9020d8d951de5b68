"""Run the gates of a one-unit cell with the learner's functions where given, the library's elsewhere.

A learner's function may have ``lstmkit.gates``' signature (and return its tuple) or the
course exercise's (and return the output alone):

=============  ===============================================  ==============================
gate           lstmkit.gates form                               exercise form
=============  ===============================================  ==============================
learn          (stm_prev, event, W_n, b_n, W_i, b_i) -> tuple    same arguments -> output
forget         (stm_prev, event, ltm_prev, W_f, b_f) -> tuple    same arguments -> output
remember       (forget_output, learn_output) -> LTM_t            (stm_prev, event, ltm_prev,
                                                                 W_n, b_n, W_i, b_i, W_f, b_f)
use            (stm_prev, event, W_v, b_v, *, variant, ...)      article: (stm_prev, event,
                                                                 forget_output, W_u, b_u, W_v,
                                                                 b_v); standard: (stm_prev,
                                                                 event, ltm, W_v, b_v)
=============  ===============================================  ==============================

Intermediates a learner's function does not return (N_t and i_t when it returns only the
output) are taken from ``lstmkit.gates`` and marked so.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .. import gates
from ..autograd.tensor import Tensor

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
LIBRARY = {"learn": gates.learn_gate, "forget": gates.forget_gate,
           "remember": gates.remember_gate, "use": gates.use_gate}


class GateFunctionError(RuntimeError):
    """A gate function raised or returned something the explorer cannot show."""


@dataclass
class Computed:
    values: dict[str, float] = field(default_factory=dict)  #: key -> the number shown
    from_library: set[str] = field(default_factory=set)  #: keys taken from lstmkit.gates
    notes: list[str] = field(default_factory=list)  #: where a learner's result differs from the library's


def name_of(fn: Callable) -> str:
    """``lstmkit.gates.learn_gate`` for the library's functions, ``your my_gate`` for others."""
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"lstmkit.gates.{name}" if getattr(fn, "__module__", "") == "lstmkit.gates" else f"your {name}"


def describe_exception(role: str, fn: Callable, error: BaseException) -> str:
    """``learn_gate (your my_gate) raised ZeroDivisionError: ...`` plus the learner's failing line."""
    text = f"{role}_gate ({name_of(fn)}) raised {type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)[1:]
    frames = [f for f in frames if not f.filename.startswith(_PACKAGE_DIR)]
    if frames:
        last = frames[-1]
        line = (last.line or "").strip()
        text += f"\n  at line {last.lineno} of {last.name}" + (f": {line}" if line else "")
    return text + "\nFix the function and move a slider (or call .refresh()) to try again."


def _positional_count(fn: Callable) -> int | None:
    """How many positional parameters ``fn`` takes (None: any number, or unknown)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def use_form(fn: Callable) -> str:
    """``"gates"``, ``"article"`` (7 positional parameters) or ``"standard"`` (5) for a use gate."""
    return {7: "article", 5: "standard"}.get(_positional_count(fn) or 0, "gates")


def _one_value(role: str, fn: Callable, what: str, value: Any) -> float:
    """The single number in ``value`` (a Tensor of one element) via ``.item()``."""
    if not isinstance(value, Tensor):
        raise GateFunctionError(
            f"{role}_gate ({name_of(fn)}) returned {type(value).__name__} for {what}; expected an lstmkit "
            "Tensor of shape (1, 1). Build results from the Tensors you were given (x.tanh(), a @ W.T, ...)."
        )
    if value.numel() != 1:
        raise GateFunctionError(
            f"{role}_gate ({name_of(fn)}) returned {what} of shape {value.shape}; this explorer has one unit "
            "and one batch row, so expected shape (1, 1)."
        )
    return float(value.item())


def _split(role: str, fn: Callable, result: Any, names: list[str]) -> dict[str, Any]:
    """A Tensor is the output alone; a tuple (NamedTuple or plain) is ``names`` in order."""
    if isinstance(result, Tensor):
        return {names[0]: result}
    if isinstance(result, tuple) and len(result) == len(names):
        return dict(zip(names, result, strict=True))
    found = f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, tuple) else "")
    wanted = "an lstmkit Tensor of shape (1, 1)" if len(names) == 1 else (
        f"the output Tensor, or a tuple of {len(names)} Tensors ({', '.join(names)}) "
        f"like lstmkit.gates.{role}_gate returns")
    raise GateFunctionError(f"{role}_gate ({name_of(fn)}) returned {found}; expected {wanted}.")


def run_gates(steps: list[str], variant: str, functions: dict[str, Callable], x: dict[str, Tensor]) -> Computed:
    """Run ``steps`` (learn, forget, remember, use) on the inputs and weights ``x``.

    ``x`` holds event, stm_prev, ltm_prev (1, 1) and the weights as ``gates.lstm_step``
    takes them. Raises GateFunctionError naming the function that failed.
    """
    out = Computed()
    t: dict[str, Tensor] = {}  # the tensors passed on to the next gate

    def call(role: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GateFunctionError:
            raise
        except Exception as error:
            raise GateFunctionError(describe_exception(role, fn, error)) from error

    def keep(role: str, fn: Callable, mine: dict[str, Any], library: Any, keys: dict[str, str]) -> None:
        """Record each output: the learner's where returned, else the library's (marked)."""
        for name, key in keys.items():
            if name in mine:
                out.values[key] = _one_value(role, fn, name, mine[name])
                t[key] = mine[name]
            else:
                out.values[key] = float(getattr(library, name).item())
                t[key] = getattr(library, name)
                out.from_library.add(key)
        if fn is not LIBRARY[role]:
            first = next(iter(keys.values()))
            theirs, ours = out.values[first], float(getattr(library, next(iter(keys))).item())
            if abs(theirs - ours) > 1e-5 * (1.0 + abs(ours)):
                out.notes.append(f"Your {role} gate gives {theirs:.4f} for these values; "
                                 f"lstmkit.gates gives {ours:.4f}.")

    for step in steps:
        fn = functions[step]
        if step == "learn":
            args = (x["stm_prev"], x["event"], x["W_n"], x["b_n"], x["W_i"], x["b_i"])
            library = call("learn", gates.learn_gate, *args)
            mine = _split("learn", fn, call("learn", fn, *args), ["output", "N_t", "i_t"])
            keep("learn", fn, mine, library, {"output": "learn_output", "N_t": "N_t", "i_t": "i_t"})
        elif step == "forget":
            args = (x["stm_prev"], x["event"], x["ltm_prev"], x["W_f"], x["b_f"])
            library = call("forget", gates.forget_gate, *args)
            mine = _split("forget", fn, call("forget", fn, *args), ["output", "f_t"])
            keep("forget", fn, mine, library, {"output": "forget_output", "f_t": "f_t"})
        elif step == "remember":
            library = SimpleNamespace(output=call("remember", gates.remember_gate, t["forget_output"],
                                                  t["learn_output"]))
            if _positional_count(fn) == 9:
                result = call("remember", fn, x["stm_prev"], x["event"], x["ltm_prev"], x["W_n"], x["b_n"],
                              x["W_i"], x["b_i"], x["W_f"], x["b_f"])
            else:
                result = call("remember", fn, t["forget_output"], t["learn_output"])
            keep("remember", fn, _split("remember", fn, result, ["output"]), library, {"output": "ltm_t"})
        else:
            _use(call, keep, fn, variant, x, t)
    return out


def _use(call: Callable, keep: Callable, fn: Callable, variant: str, x: dict, t: dict) -> None:
    """The use gate step, in the selected variant, with ``fn`` in either form."""
    if variant == "article":
        extra = {"forget_output": t["forget_output"], "W_u": x["W_u"], "b_u": x["b_u"]}
    else:
        extra = {"ltm": t["ltm_t"]}
    base = (x["stm_prev"], x["event"], x["W_v"], x["b_v"])
    library = call("use", gates.use_gate, *base, variant=variant, **extra)
    form = use_form(fn) if fn is not gates.use_gate else "gates"
    if form == "gates":
        result = call("use", fn, *base, variant=variant, **extra)
    elif form != variant:
        wanted = ("(stm_prev, event, forget_output, W_u, b_u, W_v, b_v)" if variant == "article"
                  else "(stm_prev, event, ltm, W_v, b_v)")
        raise GateFunctionError(
            f"use_gate ({name_of(fn)}) is the {form} use gate, but the switch says {variant}. "
            f"Switch the use gate to '{form}', or pass a {variant} use gate {wanted}."
        )
    elif form == "article":
        result = call("use", fn, x["stm_prev"], x["event"], t["forget_output"], x["W_u"], x["b_u"],
                      x["W_v"], x["b_v"])
    else:
        result = call("use", fn, x["stm_prev"], x["event"], t["ltm_t"], x["W_v"], x["b_v"])
    mine = _split("use", fn, result, ["output", "U_t", "V_t"])
    keep("use", fn, mine, library, {"output": "stm_t", "U_t": "U_t", "V_t": "V_t"})
