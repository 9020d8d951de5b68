"""Exercise notebook 06: one LSTM step, and the step unrolled over a sequence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


from ... import gates
from ...autograd.tensor import Tensor, stack
from ..model import ErrorHint, Hint, Spec
from ..mistakes import evaluate, mutations, op, tensor_function
from .shared import GATE_ERROR_HINTS, GATE_FORBIDDEN, GATE_WEIGHTS, NEW_LTM, V_T, Rng, gate_pool, make_exercise

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




def unroll_with(cell: Callable[..., Any], carry: str = "both", collect: str = "stm", axis: int = 0,
                call: str = "right", unpack: str = "right", feed: str = "right") -> Callable[..., Tensor]:
    """Unroll ``cell`` over time: events (T, batch, event) -> (T, batch, hidden); the options make slips.

    ``carry``: "both", "none" (restart every step), "stm_only", "ltm_only"; ``collect``:
    "stm", "ltm", "previous" (the STM before each step); ``axis`` of the stack;
    ``call``/``unpack`` "swapped" mix up the memories' order; ``feed`` "previous"
    gives step t the Event of step t - 1.
    """

    def unroll(events, stm0, ltm0, weights):
        stm, ltm = stm0, ltm0
        collected = []
        for t in range(events.shape[0]):
            before = stm
            event = events[max(t - 1, 0)] if feed == "previous" else events[t]
            first, second = cell(event, *((ltm, stm) if call == "swapped" else (stm, ltm)), weights)
            stm, ltm = (second, first) if unpack == "swapped" else (first, second)
            collected.append({"stm": stm, "ltm": ltm, "previous": before}[collect])
            if carry in ("none", "ltm_only"):
                stm = stm0
            if carry in ("none", "stm_only"):
                ltm = ltm0
        return stack(collected, axis=axis)

    return unroll


unroll = unroll_with(lstm_cell)
unroll.__doc__ = "Reference: STM_t for every step, (T, batch, hidden)."
CELL_TREE = op("pair", op("mul", op("tanh", NEW_LTM, name="tanh(LTM_t)"), V_T, name="STM_t"), NEW_LTM)


def _weights(env: dict[str, Any]) -> dict[str, Any]:
    """The cell's arguments with the weights dict opened, as the gate trees read them."""
    return {"event": env["event"], "stm_prev": env["stm_prev"], "ltm_prev": env["ltm_prev"], **env["weights"]}


def cell_mistakes() -> tuple[Hint, ...]:
    """The cell's rule-derived mistakes (on the gate trees, weights read from the dict)."""
    names = ["event", "stm_prev", "ltm_prev", *GATE_WEIGHTS]
    return tuple(Hint(m.text, tensor_function(m.tree, CELL_SIGNATURE, _weights)) for m in mutations(CELL_TREE, names))


def cell_intermediates(event, stm_prev, ltm_prev, weights):
    """The reference cell's named results on Tensor arguments, in order."""
    found: dict[str, Any] = {}
    evaluate(CELL_TREE, _weights({"event": event, "stm_prev": stm_prev, "ltm_prev": ltm_prev, "weights": weights}),
             found)
    return found


def loop_mistakes() -> tuple[Hint, ...]:
    """Unroll's rule-derived mistakes: every slip in the loop, and a right loop over each wrong cell."""
    loop = [
        ({"carry": "none"}, "restarts every step from stm0 and ltm0: pass each step's (STM_t, LTM_t) on to the next"),
        ({"carry": "stm_only"}, "does not carry the Long Term Memory: the next step needs this step's LTM_t too"),
        ({"carry": "ltm_only"}, "does not carry the Short Term Memory: the next step needs this step's STM_t too"),
        ({"collect": "ltm"}, "collects LTM_t; collect STM_t, the first thing lstm_cell returns"),
        ({"collect": "previous"}, "collects the memory before each step (off by one: it starts with stm0); "
                                  "collect STM_t after calling lstm_cell"),
        ({"axis": 1}, "stacks the steps on axis 1; time is axis 0: lk.stack(stms, axis=0) gives (T, batch, hidden)"),
        ({"call": "swapped"}, "calls lstm_cell with the memories in the wrong order: lstm_cell(event, stm, ltm, "
                              "weights)"),
        ({"unpack": "swapped"}, "unpacks lstm_cell's result the wrong way round: it returns (stm, ltm)"),
        ({"feed": "previous"}, "feeds each step the previous Event (off by one): step t reads events[t]"),
    ]
    hints = [Hint(f"Your unroll {text}.", unroll_with(lstm_cell, **options)) for options, text in loop]
    for cell_hint in cell_mistakes():
        hints.append(Hint(f"Your unroll's loop is right; the lstm_cell it calls is not. {cell_hint.text}",
                          unroll_with(cell_hint.variant)))
    return tuple(hints)


def unroll_intermediates(events, stm0, ltm0, weights):
    """STM_t of the reference at every step: where an unroll first goes wrong."""
    found, stm, ltm = {}, stm0, ltm0
    for t in range(events.shape[0]):
        stm, ltm = lstm_cell(events[t], stm, ltm, weights)
        found[f"STM_t of step {t + 1}"] = stm
    return found

LSTM_CELL = make_exercise(
    6, Spec("lstm_cell", "06_lstm_cell", "One LSTM step", "function", CELL_SIGNATURE, ("stm", "ltm"),
            CELL_SIGNATURE, 3, GATE_FORBIDDEN, output_axes=(("batch", "hidden"), ("batch", "hidden"))),
    cell_inputs(None), lstm_cell, derive_mistakes=cell_mistakes, intermediates=cell_intermediates,
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("KeyError", "weights is a dict with keys W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v."),),
)

UNROLL = make_exercise(
    6, Spec("unroll", "06_lstm_cell", "Unrolling the cell over a sequence", "function", UNROLL_SIGNATURE,
            ("stms",), UNROLL_SIGNATURE, 2, GATE_FORBIDDEN, uses=("lstm_cell",),
            output_axes=(("time", "batch", "hidden"),)),
    cell_inputs(4), unroll, derive_mistakes=loop_mistakes, intermediates=unroll_intermediates,
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("stack", "Collect the STM_t of every step in a list and join them with lk.stack(stms, axis=0): "
                 "(T, batch, hidden)."),),
)

EXERCISES = (LSTM_CELL, UNROLL)
