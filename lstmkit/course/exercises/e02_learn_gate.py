"""Exercise notebook 02: the learn gate, N_t ⊙ i_t."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from .shared import GATE_ERROR_HINTS, LEARN_OUTPUT, Act, affine, gate_inputs, gate_spec, identity, join, make_exercise
from .shared import sigmoid as sig
from .shared import tanh as th

SIGNATURE = ("stm_prev", "event", "W_n", "b_n", "W_i", "b_i")


def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    """Reference: N_t ⊙ i_t, (batch, hidden)."""
    return gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output


def learn_gate_variant(n_act: Act = th, i_act: Act = sig, bias: bool = True) -> Callable[..., Tensor]:
    """A learn gate with two slips at once (the defaults give the correct gate)."""

    def variant(stm_prev, event, W_n, b_n, W_i, b_i):
        x = join(stm_prev, event)
        return n_act(affine(x, W_n, b_n, bias)) * i_act(affine(x, W_i, b_i, bias))

    return variant


LV = learn_gate_variant

LEARN_GATE = make_exercise(
    2, gate_spec("learn_gate", "02_learn_gate", "The learn gate", SIGNATURE, "output", 3),
    gate_inputs(SIGNATURE), learn_gate, tree=LEARN_OUTPUT,
    hints=(  # two slips at once; the rules derive the single ones
        Hint("Your activations (or your weights) are swapped: N_t = tanh(W_n [STM, E] + b_n) and "
             "i_t = σ(W_i [STM, E] + b_i).", LV(n_act=sig, i_act=th)),
        Hint("Your result matches leaving out both biases: x @ W.T + b in each gate.", LV(bias=False)),
        Hint("Your result matches forgetting both activations: N_t = tanh(...), i_t = σ(...).",
             LV(n_act=identity, i_act=identity)),
    ),
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (LEARN_GATE,)
