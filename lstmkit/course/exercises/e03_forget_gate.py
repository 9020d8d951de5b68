"""Exercise notebook 03: the forget gate, LTM_{t-1} ⊙ f_t."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from .shared import GATE_ERROR_HINTS, ORDER_HINT, Act, affine, bias_hint, gate_inputs, gate_spec, join, make_exercise
from .shared import sigmoid as sig
from .shared import tanh as th

SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_f", "b_f")


def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
    """Reference: LTM_{t-1} ⊙ f_t, (batch, hidden)."""
    return gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output


def forget_gate_variant(order: str = "stm_first", act: Act = sig, bias: bool = True, combine: str = "mul",
                        memory: str = "ltm") -> Callable[..., Tensor]:
    """A forget gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, ltm_prev, W_f, b_f):
        f_t = act(affine(join(stm_prev, event, order), W_f, b_f, bias))
        kept = ltm_prev if memory == "ltm" else stm_prev
        return {"mul": kept * f_t, "add": kept + f_t, "f_only": f_t}[combine]

    return variant


FV = forget_gate_variant

FORGET_GATE = make_exercise(
    3, gate_spec("forget_gate", "03_forget_gate", "The forget gate", SIGNATURE, "output", 2),
    gate_inputs(SIGNATURE), forget_gate,
    hints=(
        Hint(ORDER_HINT, FV(order="event_first")),
        Hint("Your forget factor uses tanh. f_t is a sigmoid: 0 forgets, 1 keeps; a negative factor would flip "
             "the memory's sign.", FV(act=th)),
        Hint(bias_hint("b_f"), FV(bias=False)),
        Hint("Your result is the forget factor f_t alone. The gate's output is what is kept of the old memory: "
             "LTM_{t-1} ⊙ f_t.", FV(combine="f_only")),
        Hint("Your result matches LTM_{t-1} + f_t. The forget factor scales the memory: LTM_{t-1} ⊙ f_t.",
             FV(combine="add")),
        Hint("Your result multiplies the Short Term Memory: the forget gate scales the Long Term Memory, "
             "ltm_prev ⊙ f_t.", FV(memory="stm")),
    ),
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (FORGET_GATE,)
