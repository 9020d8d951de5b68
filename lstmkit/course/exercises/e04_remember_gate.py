"""Exercise notebook 04: the remember gate, LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t."""

from __future__ import annotations

from ... import gates
from .shared import GATE_ERROR_HINTS, NEW_LTM, gate_inputs, gate_spec, make_exercise

SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_n", "b_n", "W_i", "b_i", "W_f", "b_f")


def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
    """Reference: LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t, (batch, hidden)."""
    learned = gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output
    kept = gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output
    return gates.remember_gate(kept, learned)



REMEMBER_GATE = make_exercise(
    4, gate_spec("remember_gate", "04_remember_gate", "The remember gate", SIGNATURE, "ltm", 2),
    gate_inputs(SIGNATURE), remember_gate, tree=NEW_LTM,
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (REMEMBER_GATE,)
