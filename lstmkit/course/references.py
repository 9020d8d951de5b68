"""Reference answers and typical mistakes, written on lstmkit Tensors.

Every exercise's reference is built from :mod:`lstmkit.gates` (never shown to the
learner). A mistake is the same computation with one thing done wrong, built by
the small configurable helpers below (``learn_gate_variant(order="event_first")``)
so that the checker can run it on a hidden case and compare: when a learner's
outputs equal a mistake's outputs, the checker knows which hint to give.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import gates
from ..autograd.tensor import Tensor, concat, stack

Act = Callable[[Tensor], Tensor]


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def identity(x: Tensor) -> Tensor:
    return x


def join(stm_prev: Tensor, event: Tensor, order: str = "stm_first") -> Tensor:
    """[STM, E] (the course's order) or, as a mistake, [E, STM]: (batch, hidden + event)."""
    parts = [stm_prev, event] if order == "stm_first" else [event, stm_prev]
    return concat(parts, axis=-1)


def affine(x: Tensor, W: Tensor, b: Tensor, bias: bool = True, transpose: bool = True) -> Tensor:
    """x @ W.T + b: (batch, features) -> (batch, hidden); the flags make mistakes."""
    y = x @ (W.T if transpose else W)
    return y + b if bias else y


# ------------------------------------------------------------------ exercise 02: learn gate


def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    """Reference: N_t ⊙ i_t, (batch, hidden)."""
    return gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output


def learn_gate_variant(
    order: str = "stm_first",
    n_act: Act = tanh,
    i_act: Act = sigmoid,
    n_bias: bool = True,
    i_bias: bool = True,
    combine: str = "mul",
    swap_weights: bool = False,
) -> Callable[..., Tensor]:
    """A learn gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, W_n, b_n, W_i, b_i):
        if swap_weights:
            W_n, b_n, W_i, b_i = W_i, b_i, W_n, b_n
        x = join(stm_prev, event, order)
        N_t = n_act(affine(x, W_n, b_n, n_bias))
        i_t = i_act(affine(x, W_i, b_i, i_bias))
        return {"mul": N_t * i_t, "add": N_t + i_t, "n_only": N_t, "i_only": i_t}[combine]

    return variant


# ------------------------------------------------------------------ exercise 03: forget gate


def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
    """Reference: LTM_{t-1} ⊙ f_t, (batch, hidden)."""
    return gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output


def forget_gate_variant(
    order: str = "stm_first", act: Act = sigmoid, bias: bool = True, combine: str = "mul", memory: str = "ltm"
) -> Callable[..., Tensor]:
    """A forget gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, ltm_prev, W_f, b_f):
        f_t = act(affine(join(stm_prev, event, order), W_f, b_f, bias))
        kept = ltm_prev if memory == "ltm" else stm_prev
        return {"mul": kept * f_t, "add": kept + f_t, "f_only": f_t}[combine]

    return variant


# ------------------------------------------------------------------ exercise 04: remember gate


def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
    """Reference: LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t, (batch, hidden)."""
    learned = gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output
    kept = gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f).output
    return gates.remember_gate(kept, learned)


def remember_gate_variant(
    order: str = "stm_first",
    combine: str = "add",
    forget: str = "gate",
    learn: Callable[..., Tensor] | None = None,
) -> Callable[..., Tensor]:
    """A remember gate with one mistake (the defaults give the correct gate)."""
    learn = learn or learn_gate_variant(order=order)

    def variant(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
        learned = learn(stm_prev, event, W_n, b_n, W_i, b_i)
        if forget == "gate":
            kept = forget_gate_variant(order=order)(stm_prev, event, ltm_prev, W_f, b_f)
        elif forget == "none":
            kept = ltm_prev
        else:  # "stm": the Short Term Memory where the Long Term one belongs
            kept = forget_gate_variant(memory="stm")(stm_prev, event, ltm_prev, W_f, b_f)
        return {"add": kept + learned, "mul": kept * learned, "learn_only": learned, "forget_only": kept}[combine]

    return variant


# ------------------------------------------------------------------ exercise 05: use gate


def use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
    """Reference: STM_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u) ⊙ σ(W_v [STM, E] + b_v)."""
    return gates.use_gate(
        stm_prev, event, W_v, b_v, variant="article", forget_output=forget_output, W_u=W_u, b_u=b_u
    ).output


def use_gate_article_variant(
    order: str = "stm_first",
    u_act: Act = tanh,
    v_act: Act = sigmoid,
    u_bias: bool = True,
    v_bias: bool = True,
    transpose_u: bool = True,
    u_weights: bool = True,
) -> Callable[..., Tensor]:
    """An article use gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
        U_in = affine(forget_output, W_u, b_u, u_bias, transpose_u) if u_weights else forget_output
        V_t = v_act(affine(join(stm_prev, event, order), W_v, b_v, v_bias))
        return u_act(U_in) * V_t

    return variant


def use_gate_standard(stm_prev, event, ltm, W_v, b_v):
    """Reference: STM_t = tanh(LTM_t) ⊙ σ(W_v [STM, E] + b_v), (batch, hidden)."""
    return gates.use_gate(stm_prev, event, W_v, b_v, variant="standard", ltm=ltm).output


def use_gate_standard_variant(
    order: str = "stm_first", u_act: Act = tanh, v_act: Act = sigmoid, v_bias: bool = True
) -> Callable[..., Tensor]:
    """A standard use gate with one mistake (the defaults give the correct gate)."""

    def variant(stm_prev, event, ltm, W_v, b_v):
        return u_act(ltm) * v_act(affine(join(stm_prev, event, order), W_v, b_v, v_bias))

    return variant


# ------------------------------------------------------------------ exercise 06: cell and unroll


def lstm_cell(event, stm_prev, ltm_prev, weights):
    """Reference: one step, standard use gate -> (STM_t, LTM_t), each (batch, hidden)."""
    step = gates.lstm_step(event, stm_prev, ltm_prev, weights, variant="standard")
    return step.stm, step.ltm


def lstm_cell_variant(
    order: str = "stm_first", use_memory: str = "new", forget: bool = True, swap_outputs: bool = False,
    u_act: Act = tanh,
) -> Callable[..., tuple[Tensor, Tensor]]:
    """An LSTM cell with one mistake (the defaults give the correct cell)."""

    def variant(event, stm_prev, ltm_prev, weights):
        w = weights
        x = join(stm_prev, event, order)
        learned = affine(x, w["W_n"], w["b_n"]).tanh() * affine(x, w["W_i"], w["b_i"]).sigmoid()
        kept = ltm_prev * affine(x, w["W_f"], w["b_f"]).sigmoid() if forget else ltm_prev
        ltm = kept + learned
        memory = ltm if use_memory == "new" else ltm_prev
        stm = u_act(memory) * affine(x, w["W_v"], w["b_v"]).sigmoid()
        return (ltm, stm) if swap_outputs else (stm, ltm)

    return variant


def unroll_with(cell: Callable[..., Any], carry: str = "both", collect: str = "stm") -> Callable[..., Tensor]:
    """Unroll ``cell`` over time: events (T, batch, event) -> (T, batch, hidden).

    ``carry`` and ``collect`` make mistakes: ``carry="none"`` restarts from the
    initial state every step, ``"stm_only"`` resets the Long Term Memory;
    ``collect="ltm"`` returns the Long Term Memories, ``"previous"`` the STM before
    each step instead of after it.
    """

    def unroll(events, stm0, ltm0, weights):
        stm, ltm = stm0, ltm0
        collected = []
        for t in range(events.shape[0]):
            before = stm
            stm, ltm = cell(events[t], stm, ltm, weights)
            collected.append({"stm": stm, "ltm": ltm, "previous": before}[collect])
            if carry == "none":
                stm, ltm = stm0, ltm0
            elif carry == "stm_only":
                ltm = ltm0
        return stack(collected, axis=0)

    return unroll


unroll = unroll_with(lstm_cell)
unroll.__doc__ = "Reference: STM_t for every step, (T, batch, hidden)."
