"""Exercise notebook 05: the use gate, as the lesson draws it and as PyTorch computes it."""

from __future__ import annotations

from collections.abc import Callable

from ... import gates
from ...autograd.tensor import Tensor
from ..model import Hint
from .shared import (
    GATE_ERROR_HINTS,
    ORDER_HINT,
    Act,
    affine,
    bias_hint,
    gate_inputs,
    gate_spec,
    identity,
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


def use_gate_article_variant(order: str = "stm_first", u_act: Act = th, v_act: Act = sig, u_bias: bool = True,
                             v_bias: bool = True, transpose_u: bool = True,
                             u_weights: bool = True) -> Callable[..., Tensor]:
    """An article use gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
        U_in = affine(forget_output, W_u, b_u, u_bias, transpose_u) if u_weights else forget_output
        V_t = v_act(affine(join(stm_prev, event, order), W_v, b_v, v_bias))
        return u_act(U_in) * V_t

    return variant


def use_gate_standard(stm_prev, event, ltm, W_v, b_v):
    """Reference: STM_t = tanh(LTM_t) ⊙ σ(W_v [STM, E] + b_v), (batch, hidden)."""
    return gates.use_gate(stm_prev, event, W_v, b_v, variant="standard", ltm=ltm).output


def use_gate_standard_variant(order: str = "stm_first", u_act: Act = th, v_act: Act = sig,
                              v_bias: bool = True) -> Callable[..., Tensor]:
    """A standard use gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, ltm, W_v, b_v):
        return u_act(ltm) * v_act(affine(join(stm_prev, event, order), W_v, b_v, v_bias))

    return variant


AV, SV = use_gate_article_variant, use_gate_standard_variant

USE_GATE_ARTICLE = make_exercise(
    5, gate_spec("use_gate_article", "05_use_gate", "The use gate, as the lesson draws it", ARTICLE_SIGNATURE,
                 "stm", 3),
    gate_inputs(ARTICLE_SIGNATURE), use_gate_article,
    hints=(
        Hint(ORDER_HINT, AV(order="event_first")),
        Hint("Your U_t is computed as forget_output @ W_u: W_u is (hidden, hidden) with one row per output unit, "
             "so use forget_output @ W_u.T.", AV(transpose_u=False)),
        Hint("Your U_t has no weights: that is the standard LSTM's tanh(LTM). In this variant "
             "U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u).", AV(u_weights=False)),
        Hint(bias_hint("b_u"), AV(u_bias=False)),
        Hint(bias_hint("b_v"), AV(v_bias=False)),
        Hint("Your U_t uses the sigmoid; U_t uses tanh (what could be said, in (-1, 1)).", AV(u_act=sig)),
        Hint("Your V_t uses tanh; the use factor V_t is a sigmoid (how much to say, in (0, 1)).", AV(v_act=th)),
        Hint("Your activations are swapped: U_t takes tanh, V_t takes the sigmoid.", AV(u_act=sig, v_act=th)),
    ),
    error_hints=GATE_ERROR_HINTS,
)

USE_GATE_STANDARD = make_exercise(
    5, gate_spec("use_gate_standard", "05_use_gate", "The use gate, as PyTorch computes it", STANDARD_SIGNATURE,
                 "stm", 2),
    gate_inputs(STANDARD_SIGNATURE), use_gate_standard,
    hints=(
        Hint(ORDER_HINT, SV(order="event_first")),
        Hint("Your result multiplies LTM_t itself: squash it first, STM_t = tanh(LTM_t) ⊙ V_t.", SV(u_act=identity)),
        Hint("Your result uses σ(LTM_t): the memory side uses tanh, tanh(LTM_t) ⊙ V_t.", SV(u_act=sig)),
        Hint("Your V_t uses tanh; the use factor (PyTorch's output gate o_t) is a sigmoid.", SV(v_act=th)),
        Hint(bias_hint("b_v"), SV(v_bias=False)),
    ),
    error_hints=GATE_ERROR_HINTS,
)

EXERCISES = (USE_GATE_ARTICLE, USE_GATE_STANDARD)
