"""Exercise notebook 02: the learn gate, N_t ⊙ i_t."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from .shared import GATE_ERROR_HINTS, ORDER_HINT, Act, affine, bias_hint, gate_inputs, gate_spec, identity, join, make_exercise
from .shared import sigmoid as sig
from .shared import tanh as th

SIGNATURE = ("stm_prev", "event", "W_n", "b_n", "W_i", "b_i")


def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    """Reference: N_t ⊙ i_t, (batch, hidden)."""
    return gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output


def learn_gate_variant(order: str = "stm_first", n_act: Act = th, i_act: Act = sig, n_bias: bool = True,
                       i_bias: bool = True, combine: str = "mul") -> Callable[..., Tensor]:
    """A learn gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, W_n, b_n, W_i, b_i):
        x = join(stm_prev, event, order)
        N_t = n_act(affine(x, W_n, b_n, n_bias))
        i_t = i_act(affine(x, W_i, b_i, i_bias))
        return {"mul": N_t * i_t, "add": N_t + i_t, "n_only": N_t, "i_only": i_t}[combine]

    return variant


LV = learn_gate_variant

LEARN_GATE = make_exercise(
    2, gate_spec("learn_gate", "02_learn_gate", "The learn gate", SIGNATURE, "output", 3),
    gate_inputs(SIGNATURE), learn_gate,
    hints=(
        Hint(ORDER_HINT, LV(order="event_first")),
        Hint("Your N_t uses the sigmoid. The learn matrix N_t uses tanh (new information can be positive or "
             "negative); the ignore factor i_t uses the sigmoid.", LV(n_act=sig)),
        Hint("Your i_t uses tanh. The ignore factor i_t is a sigmoid (between 0 and 1: how much of each proposal "
             "to keep).", LV(i_act=th)),
        Hint("Your activations (or your weights) are swapped: N_t = tanh(W_n [STM, E] + b_n) and "
             "i_t = σ(W_i [STM, E] + b_i).", LV(n_act=sig, i_act=th)),
        Hint(bias_hint("b_n"), LV(n_bias=False)),
        Hint(bias_hint("b_i"), LV(i_bias=False)),
        Hint("Your result matches leaving out both biases: x @ W.T + b in each gate.", LV(n_bias=False, i_bias=False)),
        Hint("Your result matches N_t + i_t. The learn gate multiplies elementwise: N_t ⊙ i_t.", LV(combine="add")),
        Hint("Your result is N_t alone: the ignore factor i_t must scale it (N_t ⊙ i_t).", LV(combine="n_only")),
        Hint("Your result is i_t alone: multiply it with the learn matrix N_t.", LV(combine="i_only")),
        Hint("Your result matches forgetting both activations: N_t = tanh(...), i_t = σ(...).",
             LV(n_act=identity, i_act=identity)),
    ),
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (LEARN_GATE,)
