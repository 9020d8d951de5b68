"""Exercise notebook 01: the sigmoid and tanh as autograd Functions (forward and backward on arrays)."""

from __future__ import annotations

import numpy

from ...autograd import ops
from collections.abc import Callable

from ..mistakes import Node, const, function_class, mutations, op, var
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


SIGMOID_FORWARD = op("sigmoid", var("x"), name="forward")
SIGMOID_BACKWARD = op("mul", op("mul", var("grad"), var("out")), op("sub", const(1.0), var("out")), name="backward")
TANH_FORWARD = op("tanh", var("x"), name="forward")
TANH_BACKWARD = op("mul", var("grad"), op("sub", const(1.0), op("mul", var("out"), var("out"))), name="backward")


def op_mistakes(forward: Node, backward: Node) -> Callable[[], tuple[Hint, ...]]:
    """The rule-derived mistakes of an autograd op: every slip in its forward, and in its backward."""

    def make() -> tuple[Hint, ...]:
        wrong_forward = [Hint(m.text, function_class(m.tree, backward)) for m in mutations(forward, ["x"])]
        wrong_backward = [Hint(m.text, function_class(forward, m.tree))
                          for m in mutations(backward, ["grad", "out", "x"])]
        return tuple(wrong_forward + wrong_backward)

    return make


def _spec(name: str, title: str) -> Spec:
    return Spec(name, "01_autograd", title, "function_class", ("x",), ("output",), ("x",), 2, FORBIDDEN)


SIGMOID = make_exercise(
    1, _spec("Sigmoid", "The sigmoid as an autograd Function"), INPUTS, ops.Sigmoid,
    derive_mistakes=op_mistakes(SIGMOID_FORWARD, SIGMOID_BACKWARD), error_hints=ERROR_HINTS,
    gradcheck_input=gradcheck_input, stable=True,
)

TANH = make_exercise(
    1, _spec("Tanh", "tanh as an autograd Function"), INPUTS, ops.Tanh,
    derive_mistakes=op_mistakes(TANH_FORWARD, TANH_BACKWARD), error_hints=ERROR_HINTS,
    gradcheck_input=gradcheck_input, stable=True,
)

EXERCISES = (SIGMOID, TANH)
