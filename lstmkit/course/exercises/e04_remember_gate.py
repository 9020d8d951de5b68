"""Exercise notebook 04: the remember gate, LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from .e02_learn_gate import learn_gate_variant as LV
from .e03_forget_gate import forget_gate_variant as FV
from .shared import GATE_ERROR_HINTS, ORDER_HINT, gate_inputs, gate_spec, make_exercise
from .shared import sigmoid as sig
from .shared import tanh as th

SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_n", "b_n", "W_i", "b_i", "W_f", "b_f")


def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
    """Reference: LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t, (batch, hidden)."""
    learned = gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output
    kept = gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output
    return gates.remember_gate(kept, learned)


def remember_gate_variant(order: str = "stm_first", combine: str = "add", forget: str = "gate",
                          learn: Callable[..., Tensor] | None = None) -> Callable[..., Tensor]:
    """A remember gate with one mistake (the defaults give the correct gate)."""
    learn = learn or LV(order=order)
    kept_by = {"gate": FV(order=order), "stm": FV(memory="stm")}

    def variant(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
        learned = learn(stm_prev, event, W_n, b_n, W_i, b_i)
        kept = ltm_prev if forget == "none" else kept_by[forget](stm_prev, event, ltm_prev, W_f, b_f)
        return {"add": kept + learned, "mul": kept * learned, "learn_only": learned, "forget_only": kept}[combine]

    return variant


RV = remember_gate_variant

REMEMBER_GATE = make_exercise(
    4, gate_spec("remember_gate", "04_remember_gate", "The remember gate", SIGNATURE, "ltm", 2),
    gate_inputs(SIGNATURE), remember_gate,
    hints=(
        Hint(ORDER_HINT, RV(order="event_first")),
        Hint("Your result keeps all of LTM_{t-1}: the old memory passes the forget gate first, "
             "LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t.", RV(forget="none")),
        Hint("Your result multiplies the two gates' outputs. The remember gate adds them: what was kept plus what "
             "was learned.", RV(combine="mul")),
        Hint("Your result is the learn gate's output alone: add what the forget gate kept of LTM_{t-1}.",
             RV(combine="learn_only")),
        Hint("Your result is the forget gate's output alone: add what the learn gate learned, N_t ⊙ i_t.",
             RV(combine="forget_only")),
        Hint("Your forget gate scales the Short Term Memory; it scales the Long Term Memory ltm_prev.",
             RV(forget="stm")),
        Hint("Your learn gate's N_t uses the sigmoid; N_t uses tanh.", RV(learn=LV(n_act=sig))),
        Hint("Your learn gate's i_t uses tanh; the ignore factor is a sigmoid.", RV(learn=LV(i_act=th))),
    ),
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (REMEMBER_GATE,)
