"""Exercise notebook 05: the use gate, as the lesson draws it and as PyTorch computes it."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from ..mistakes import op, var
from ..mistakes import affine as affine_node
from .shared import (
    GATE_ERROR_HINTS,
    V_T,
    Act,
    affine,
    gate_inputs,
    gate_spec,
    join,
    make_exercise,
)
from .shared import sigmoid as sig
from .shared import tanh as th

ARTICLE_SIGNATURE = ("stm_prev", "event", "forget_output", "W_u", "b_u", "W_v", "b_v")
STANDARD_SIGNATURE = ("stm_prev", "event", "ltm", "W_v", "b_v")


def use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
    """Reference: STM_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u) ⊙ σ(W_v [STM, E] + b_v)."""
    return gates.use_gate(stm_prev, event, W_v, b_v, variant="article", forget_output=forget_output,
                          W_u=W_u, b_u=b_u).output


def use_gate_article_variant(u_act: Act = th, v_act: Act = sig, u_weights: bool = True) -> Callable[..., Tensor]:
    """An article use gate with two slips at once (the defaults give the correct gate)."""

    def variant(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
        U_in = affine(forget_output, W_u, b_u) if u_weights else forget_output
        return u_act(U_in) * v_act(affine(join(stm_prev, event), W_v, b_v))

    return variant


def use_gate_standard(stm_prev, event, ltm, W_v, b_v):
    """Reference: STM_t = tanh(LTM_t) ⊙ σ(W_v [STM, E] + b_v), (batch, hidden)."""
    return gates.use_gate(stm_prev, event, W_v, b_v, variant="standard", ltm=ltm).output




AV = use_gate_article_variant
ARTICLE_TREE = op("mul", op("tanh", affine_node(var("forget_output"), "W_u", "b_u"), name="U_t"), V_T, name="STM_t")
STANDARD_TREE = op("mul", op("tanh", var("ltm"), name="tanh(LTM_t)"), V_T, name="STM_t")

USE_GATE_ARTICLE = make_exercise(
    5, gate_spec("use_gate_article", "05_use_gate", "The use gate, as the lesson draws it", ARTICLE_SIGNATURE,
                 "stm", 3),
    gate_inputs(ARTICLE_SIGNATURE), use_gate_article, tree=ARTICLE_TREE,
    hints=(  # two slips at once; the rules derive the single ones
        Hint("Your U_t has no weights: that is the standard LSTM's tanh(LTM). In this variant "
             "U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u).", AV(u_weights=False)),
        Hint("Your activations are swapped: U_t takes tanh, V_t takes the sigmoid.", AV(u_act=sig, v_act=th)),
    ),
    error_hints=GATE_ERROR_HINTS,
)

USE_GATE_STANDARD = make_exercise(
    5, gate_spec("use_gate_standard", "05_use_gate", "The use gate, as PyTorch computes it", STANDARD_SIGNATURE,
                 "stm", 2),
    gate_inputs(STANDARD_SIGNATURE), use_gate_standard, tree=STANDARD_TREE,
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (USE_GATE_ARTICLE, USE_GATE_STANDARD)
