"""Input generators for the hidden cases: shapes, sizes and value ranges.

Every generator draws from the ``rng`` it is given and returns float64 NumPy arrays
named like the exercise's arguments, so one seed gives one case everywhere (the
learner's notebook, the grader's sandbox and the grader itself).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

from .spec import CaseSpec, Inputs

Rng = numpy.random.Generator

#: (label, batch, hidden, event, value scale, weight scale)
GATE_SIZES = (
    ("batch 4, hidden 3, event 5", 4, 3, 5, 1.0, 0.6),
    ("batch 1, hidden 1, event 1", 1, 1, 1, 1.0, 0.8),
    ("batch 2, hidden 7, event 2 (odd sizes)", 2, 7, 2, 1.0, 0.5),
    ("extreme values: saturated gates, batch 3, hidden 2, event 3", 3, 2, 3, 3.0, 10.0),
)

GATE_WEIGHTS = ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v")


def gate_pool(rng: Rng, batch: int, hidden: int, event: int, scale: float, weight_scale: float) -> Inputs:
    """Every array any gate exercise may need, drawn in one fixed order.

    stm_prev, ltm_prev, ltm, forget_output (batch, hidden); event (batch, event);
    W_n, W_i, W_f, W_v (hidden, hidden + event); W_u (hidden, hidden); b_* (hidden,).
    """

    def draw(*shape: int, std: float = scale) -> numpy.ndarray:
        return rng.standard_normal(shape) * std

    pool: Inputs = {
        "stm_prev": numpy.tanh(draw(batch, hidden)),  # an STM is a tanh times a sigmoid: in (-1, 1)
        "event": draw(batch, event),
        "ltm_prev": draw(batch, hidden, std=2 * scale),
        "ltm": draw(batch, hidden, std=2 * scale),
        "forget_output": draw(batch, hidden, std=2 * scale),
    }
    for name in GATE_WEIGHTS + ("W_u", "b_u"):
        if name == "W_u":
            pool[name] = draw(hidden, hidden, std=weight_scale)
        elif name.startswith("W"):
            pool[name] = draw(hidden, hidden + event, std=weight_scale)
        else:
            pool[name] = draw(hidden, std=weight_scale)
    return pool


def gate_cases(signature: tuple[str, ...]) -> tuple[CaseSpec, ...]:
    """The four standard gate cases, keeping only the arguments in ``signature``."""

    def maker(sizes: tuple) -> Callable[[Rng], Inputs]:
        def make_inputs(rng: Rng) -> Inputs:
            pool = gate_pool(rng, *sizes)
            return {name: pool[name] for name in signature}

        return make_inputs

    return tuple(CaseSpec(label, maker(sizes)) for label, *sizes in GATE_SIZES)


def cell_cases(steps: int | None) -> tuple[CaseSpec, ...]:
    """Cases for ``lstm_cell`` (``steps=None``) or ``unroll`` (a sequence of events).

    lstm_cell: event (batch, event), stm_prev, ltm_prev (batch, hidden), weights.
    unroll: events (T, batch, event), stm0, ltm0 (batch, hidden), weights.
    """
    sizes = (
        ("batch 3, hidden 4, event 2", 3, 4, 2, 1.0, 0.6, steps or 1),
        ("batch 1, hidden 1, event 1, one step", 1, 1, 1, 1.0, 0.8, 1),
        ("batch 2, hidden 5, event 3, zero initial memories", 2, 5, 3, 0.0, 0.5, (steps or 1) + 2),
        ("extreme values: saturated gates", 2, 3, 2, 3.0, 8.0, steps or 1),
    )

    def maker(batch, hidden, event, scale, weight_scale, length) -> Callable[[Rng], Inputs]:
        def make_inputs(rng: Rng) -> Inputs:
            pool = gate_pool(rng, batch, hidden, event, max(scale, 1.0), weight_scale)
            weights = {name: pool[name] for name in GATE_WEIGHTS}
            stm, ltm = pool["stm_prev"] * scale, pool["ltm_prev"] * scale
            if steps is None:
                return {"event": pool["event"], "stm_prev": stm, "ltm_prev": ltm, "weights": weights}
            events = rng.standard_normal((length, batch, event)) * max(scale, 1.0)
            return {"events": events, "stm0": stm, "ltm0": ltm, "weights": weights}

        return make_inputs

    return tuple(CaseSpec(label, maker(*rest)) for label, *rest in sizes)


def activation_cases() -> tuple[CaseSpec, ...]:
    """Cases for the Sigmoid and Tanh ops: x of several shapes, down to |x| = 1e4."""
    extreme = numpy.array([-1e4, -500.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 500.0, 1e4])
    return (
        CaseSpec("x of shape (4, 5)", lambda rng: {"x": rng.standard_normal((4, 5)) * 2}),
        CaseSpec("x of shape (1, 1)", lambda rng: {"x": rng.standard_normal((1, 1))}),
        CaseSpec("x of shape (3,) (a vector)", lambda rng: {"x": rng.standard_normal(3) * 3}),
        CaseSpec("extreme values, x from -1e4 to 1e4", lambda rng: {"x": extreme.copy()}),
    )


def small_x(rng: Rng) -> numpy.ndarray:
    """The input on which gradcheck runs: (2, 3) float64."""
    return rng.standard_normal((2, 3))


def clip_cases() -> tuple[CaseSpec, ...]:
    """Cases for clip_grad_norm: norms above and below max_norm, one array, all zeros."""
    shapes = ((3, 4), (4,), (2, 2, 3))

    def grads(rng: Rng, std: float, shapes: tuple = shapes) -> list[numpy.ndarray]:
        return [rng.standard_normal(shape) * std for shape in shapes]

    return (
        CaseSpec("three gradients whose norm exceeds max_norm",
                 lambda rng: {"grads": grads(rng, 2.0), "max_norm": 1.0}),
        CaseSpec("norm below max_norm (nothing to clip)",
                 lambda rng: {"grads": grads(rng, 0.05), "max_norm": 5.0}),
        CaseSpec("one gradient of shape (5,)",
                 lambda rng: {"grads": grads(rng, 3.0, ((5,),)), "max_norm": 0.5}),
        CaseSpec("all gradients zero",
                 lambda rng: {"grads": [numpy.zeros(s) for s in shapes], "max_norm": 1.0}),
        CaseSpec("a 0-d gradient and a (1, 1) one",
                 lambda rng: {"grads": grads(rng, 4.0, ((), (1, 1))), "max_norm": 2.0}),
    )
