"""Exercise notebook 06: one LSTM step, and the step unrolled over a sequence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


from ... import gates
from ...autograd.tensor import Tensor, stack
from ..model import ErrorHint, Hint, Spec
from .shared import GATE_ERROR_HINTS, GATE_FORBIDDEN, GATE_WEIGHTS, ORDER_HINT, Act, Rng, affine, gate_pool, identity
from .shared import join, make_exercise
from .shared import tanh as th

CELL_SIGNATURE = ("event", "stm_prev", "ltm_prev", "weights")
UNROLL_SIGNATURE = ("events", "stm0", "ltm0", "weights")


def cell_inputs(steps: int | None) -> tuple[tuple[str, Callable[[Rng], dict[str, Any]]], ...]:
    """Cases for ``lstm_cell`` (``steps=None``) or ``unroll`` (a sequence of ``steps`` events).

    lstm_cell: event (batch, event), stm_prev, ltm_prev (batch, hidden), weights.
    unroll: events (T, batch, event), stm0, ltm0 (batch, hidden), weights.
    """
    sizes = (
        ("batch 3, hidden 4, event 2", 3, 4, 2, 1.0, 0.6, steps or 1),
        ("batch 1, hidden 1, event 1, one step", 1, 1, 1, 1.0, 0.8, 1),
        ("batch 2, hidden 5, event 3, zero initial memories", 2, 5, 3, 0.0, 0.5, (steps or 1) + 2),
        ("extreme values: saturated gates", 2, 3, 2, 3.0, 8.0, steps or 1),
    )

    def maker(batch, hidden, event, scale, weight_scale, length) -> Callable[[Rng], dict[str, Any]]:
        def make(rng: Rng) -> dict[str, Any]:
            pool = gate_pool(rng, batch, hidden, event, max(scale, 1.0), weight_scale)
            weights = {name: pool[name] for name in GATE_WEIGHTS}
            stm, ltm = pool["stm_prev"] * scale, pool["ltm_prev"] * scale
            if steps is None:
                return {"event": pool["event"], "stm_prev": stm, "ltm_prev": ltm, "weights": weights}
            events = rng.standard_normal((length, batch, event)) * max(scale, 1.0)
            return {"events": events, "stm0": stm, "ltm0": ltm, "weights": weights}

        return make

    return tuple((label, maker(*rest)) for label, *rest in sizes)


def lstm_cell(event, stm_prev, ltm_prev, weights):
    """Reference: one step, standard use gate -> (STM_t, LTM_t), each (batch, hidden)."""
    step = gates.lstm_step(event, stm_prev, ltm_prev, weights, variant="standard")
    return step.stm, step.ltm


def lstm_cell_variant(order: str = "stm_first", use_memory: str = "new", forget: bool = True,
                      swap_outputs: bool = False, u_act: Act = th) -> Callable[..., tuple[Tensor, Tensor]]:
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

    ``carry="none"`` restarts from the initial state every step, ``"stm_only"`` resets
    the Long Term Memory; ``collect="ltm"`` returns the Long Term Memories,
    ``"previous"`` the STM before each step instead of after it.
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
CV = lstm_cell_variant

LSTM_CELL = make_exercise(
    6, Spec("lstm_cell", "06_lstm_cell", "One LSTM step", "function", CELL_SIGNATURE, ("stm", "ltm"),
            CELL_SIGNATURE, 3, GATE_FORBIDDEN),
    cell_inputs(None), lstm_cell,
    hints=(
        Hint(ORDER_HINT, CV(order="event_first")),
        Hint("You return (LTM_t, STM_t): return the Short Term Memory first, (stm, ltm).", CV(swap_outputs=True)),
        Hint("Your STM_t uses tanh(LTM_{t-1}). The use gate reads the new memory: STM_t = tanh(LTM_t) ⊙ V_t, "
             "with LTM_t from the remember gate of this step.", CV(use_memory="old")),
        Hint("Your LTM_t keeps all of LTM_{t-1}: scale it by the forget factor first.", CV(forget=False)),
        Hint("Your STM_t multiplies LTM_t without squashing it: STM_t = tanh(LTM_t) ⊙ V_t.", CV(u_act=identity)),
    ),
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("KeyError", "weights is a dict with keys W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v."),),
)

UNROLL = make_exercise(
    6, Spec("unroll", "06_lstm_cell", "Unrolling the cell over a sequence", "function", UNROLL_SIGNATURE,
            ("stms",), UNROLL_SIGNATURE, 2, GATE_FORBIDDEN, uses=("lstm_cell",)),
    cell_inputs(4), unroll,
    hints=(
        Hint("Your result holds the Long Term Memories: collect STM_t, the first thing lstm_cell returns.",
             unroll_with(lstm_cell, collect="ltm")),
        Hint("Your result holds the memories before each step (it starts with stm0): collect STM_t after calling "
             "lstm_cell.", unroll_with(lstm_cell, collect="previous")),
        Hint("Every step restarts from stm0 and ltm0: pass each step's (STM_t, LTM_t) on to the next.",
             unroll_with(lstm_cell, carry="none")),
        Hint("Your Long Term Memory is not carried from step to step: the next step needs this step's LTM_t as "
             "well as its STM_t.", unroll_with(lstm_cell, carry="stm_only")),
    ),
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("stack", "Collect the STM_t of every step in a list and join them with lk.stack(stms, axis=0): "
                 "(T, batch, hidden)."),),
)

EXERCISES = (LSTM_CELL, UNROLL)
