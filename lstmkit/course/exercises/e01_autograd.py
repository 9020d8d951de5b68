"""Exercise notebook 01: the sigmoid and tanh as autograd Functions (forward and backward on arrays)."""

from __future__ import annotations

from typing import Any

import numpy

from ... import backend
from ...autograd import ops
from ...autograd.function import Function
from ..model import ErrorHint, Hint, Spec
from .shared import Rng, make_exercise

FORBIDDEN = ("lstmkit.autograd", "lstmkit.functional", "lstmkit.course", "torch", "scipy")
ERROR_HINTS = (
    ErrorHint("NotImplementedError", "forward and backward both need an answer: forward returns the output array, "
              "backward returns grad times the local slope."),
    ErrorHint("NameError", "A name is not defined. Run the first cell (import numpy as np) and check spellings."),
)
EXTREME = numpy.array([-1e4, -500.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 500.0, 1e4])
INPUTS = (
    ("x of shape (4, 5)", lambda rng: {"x": rng.standard_normal((4, 5)) * 2}),
    ("x of shape (1, 1)", lambda rng: {"x": rng.standard_normal((1, 1))}),
    ("x of shape (3,) (a vector)", lambda rng: {"x": rng.standard_normal(3) * 3}),
    ("extreme values, x from -1e4 to 1e4", lambda rng: {"x": EXTREME.copy()}),
)


def gradcheck_input(rng: Rng) -> numpy.ndarray:
    """The input on which gradcheck runs: (2, 3) float64."""
    return rng.standard_normal((2, 3))


def _sigmoid(x: Any) -> Any:
    return backend.xp_of(x).tanh(x * 0.5) * 0.5 + 0.5


def sigmoid_variant(forward: str = "correct", backward: str = "correct") -> type[Function]:
    """A Sigmoid op with one mistake in forward or backward (defaults: correct)."""

    class SigmoidVariant(Function):
        def forward(self, x):
            self.x = x
            self.out = backend.xp_of(x).tanh(x) if forward == "tanh" else _sigmoid(-x if forward == "sign" else x)
            return self.out

        def backward(self, grad):
            s, x = self.out, self.x
            return {
                "correct": grad * s * (1 - s),
                "no_one_minus": grad * s,
                "no_upstream": s * (1 - s),
                "uses_input": grad * x * (1 - x),
            }[backward]

    return SigmoidVariant


def tanh_variant(forward: str = "correct", backward: str = "correct") -> type[Function]:
    """A Tanh op with one mistake in forward or backward (defaults: correct)."""

    class TanhVariant(Function):
        def forward(self, x):
            self.x = x
            self.out = _sigmoid(x) if forward == "sigmoid" else backend.xp_of(x).tanh(x)
            return self.out

        def backward(self, grad):
            t, x = self.out, self.x
            return {
                "correct": grad * (1 - t * t),
                "not_squared": grad * (1 - t),
                "no_upstream": 1 - t * t,
                "uses_input": grad * (1 - x * x),
                "plus": grad * (1 + t * t),
            }[backward]

    return TanhVariant


def _spec(name: str, title: str) -> Spec:
    return Spec(name, "01_autograd", title, "function_class", ("x",), ("output",), ("x",), 2, FORBIDDEN)


SIGMOID = make_exercise(
    1, _spec("Sigmoid", "The sigmoid as an autograd Function"), INPUTS, ops.Sigmoid,
    hints=(
        Hint("Your forward gives σ(-x): check the sign inside the exponential, σ(x) = 1 / (1 + e^(-x)).",
             sigmoid_variant(forward="sign")),
        Hint("Your forward gives tanh(x); the sigmoid squashes to (0, 1), not (-1, 1).",
             sigmoid_variant(forward="tanh")),
        Hint("Your backward returns grad * σ(x): the slope of the sigmoid is σ(x) * (1 - σ(x)).",
             sigmoid_variant(backward="no_one_minus")),
        Hint("Your backward returns the local slope σ(x)(1 - σ(x)) alone: multiply it by the incoming gradient "
             "`grad` (the chain rule).", sigmoid_variant(backward="no_upstream")),
        Hint("Your backward computes x * (1 - x) from the input: the formula σ(x)(1 - σ(x)) needs the forward's "
             "output. Save it in forward (self.out = ...) and use it in backward.",
             sigmoid_variant(backward="uses_input")),
    ),
    error_hints=ERROR_HINTS, gradcheck_input=gradcheck_input,
)

TANH = make_exercise(
    1, _spec("Tanh", "tanh as an autograd Function"), INPUTS, ops.Tanh,
    hints=(
        Hint("Your forward gives the sigmoid; tanh squashes to (-1, 1).", tanh_variant(forward="sigmoid")),
        Hint("Your backward returns grad * (1 - tanh(x)): the slope is 1 - tanh(x)², squared.",
             tanh_variant(backward="not_squared")),
        Hint("Your backward returns the local slope 1 - tanh(x)² alone: multiply it by the incoming gradient "
             "`grad` (the chain rule).", tanh_variant(backward="no_upstream")),
        Hint("Your backward computes 1 - x² from the input: it needs the forward's output, 1 - tanh(x)². Save "
             "it in forward (self.out = ...) and use it in backward.", tanh_variant(backward="uses_input")),
        Hint("Your backward adds: the slope of tanh is 1 - tanh(x)², with a minus.", tanh_variant(backward="plus")),
    ),
    error_hints=ERROR_HINTS, gradcheck_input=gradcheck_input,
)

EXERCISES = (SIGMOID, TANH)
