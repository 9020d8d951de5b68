"""Exercise notebook 03: the forget gate, LTM_{t-1} ⊙ f_t."""

from __future__ import annotations

from ... import gates
from .shared import FORGET_OUTPUT, GATE_ERROR_HINTS, gate_inputs, gate_spec, make_exercise

SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_f", "b_f")


def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
    """Reference: LTM_{t-1} ⊙ f_t, (batch, hidden)."""
    return gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output



FORGET_GATE = make_exercise(
    3, gate_spec("forget_gate", "03_forget_gate", "The forget gate", SIGNATURE, "output", 2),
    gate_inputs(SIGNATURE), forget_gate, tree=FORGET_OUTPUT,
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (FORGET_GATE,)
