"""What the gate exercises share: their hidden inputs, the join and affine map, the hints.

Every input generator draws from the ``rng`` it is given and returns float64 arrays
named like the exercise's arguments, so one seed gives one case everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy

from ...autograd.tensor import Tensor, concat
from ..mistakes import Node, op, tree_intermediates, tree_mistakes, var
from ..mistakes import affine as affine_node
from ..model import ErrorHint, Exercise, Hint, Spec

Rng = numpy.random.Generator
Act = Callable[[Tensor], Tensor]
Maker = tuple[str, Callable[[Rng], dict[str, Any]]]

GATE_FORBIDDEN = ("lstmkit.gates", "lstmkit.nn", "lstmkit.course", "torch")


def make_exercise(lesson: int, spec: Spec, make_inputs: tuple[Maker, ...], reference: Callable[..., Any],
                  tree: Node | None = None, **secret: Any) -> Exercise:
    """An :class:`Exercise` of lesson ``lesson``: its public ``spec`` and its secret half.

    ``tree`` is the reference as an expression tree (:mod:`..mistakes`): it gives the
    rule-derived mistakes and the named intermediates.
    """
    if tree is not None:
        secret.setdefault("derive_mistakes", tree_mistakes(tree, spec.signature))
        secret.setdefault("intermediates", tree_intermediates(tree, spec.signature))
    return Exercise(spec=spec, lesson=lesson, make_inputs=make_inputs, reference=reference, **secret)


def reference_of(variant: Callable[..., Any], doc: str) -> Callable[..., Any]:
    """The correct answer of a reference written with its choices spelled out (its defaults), documented."""
    reference = variant()
    reference.__doc__ = doc
    return reference


def choice_mistakes(variant: Callable[..., Any], choices: dict[str, dict[Any, str]]) -> Callable[[], tuple[Hint, ...]]:
    """The rule-derived mistakes of a reference written with its choices spelled out (``variant(**options)``;
    its defaults are the correct answer): each choice made each other way, with what the course says."""

    def make() -> tuple[Hint, ...]:
        return tuple(Hint(text, variant(**{choice: value})) for choice, ways in choices.items()
                     for value, text in ways.items())

    return make


# ------------------------------------------------------------------ the gates as expression trees

JOINED = op("join", var("stm_prev"), var("event"))
N_T = op("tanh", affine_node(JOINED, "W_n", "b_n"), name="N_t")
I_T = op("sigmoid", affine_node(JOINED, "W_i", "b_i"), name="i_t")
F_T = op("sigmoid", affine_node(JOINED, "W_f", "b_f"), name="f_t")
V_T = op("sigmoid", affine_node(JOINED, "W_v", "b_v"), name="V_t")
LEARN_OUTPUT = op("mul", N_T, I_T, name="learn gate's output")
FORGET_OUTPUT = op("mul", var("ltm_prev"), F_T, name="forget gate's output")
NEW_LTM = op("add", FORGET_OUTPUT, LEARN_OUTPUT, name="LTM_t")


# ------------------------------------------------------------------ the pieces of every gate


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


# ------------------------------------------------------------------ hidden inputs

#: (label, batch, hidden, event, value scale, weight scale)
GATE_SIZES = (
    ("batch 4, hidden 3, event 5", 4, 3, 5, 1.0, 0.6),
    ("batch 1, hidden 1, event 1", 1, 1, 1, 1.0, 0.8),
    ("batch 2, hidden 7, event 2 (odd sizes)", 2, 7, 2, 1.0, 0.5),
    ("extreme values: saturated gates, batch 3, hidden 2, event 3", 3, 2, 3, 3.0, 10.0),
)
GATE_WEIGHTS = ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v")


def gate_pool(rng: Rng, batch: int, hidden: int, event: int, scale: float, weight_scale: float) -> dict[str, Any]:
    """Every array any gate exercise may need, drawn in one fixed order.

    stm_prev, ltm_prev, ltm, forget_output (batch, hidden); event (batch, event);
    W_n, W_i, W_f, W_v (hidden, hidden + event); W_u (hidden, hidden); b_* (hidden,).
    """

    def draw(*shape: int, std: float = scale) -> numpy.ndarray:
        return rng.standard_normal(shape) * std

    pool: dict[str, Any] = {
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


def gate_inputs(signature: tuple[str, ...]) -> tuple[Maker, ...]:
    """The four standard gate cases, keeping only the arguments in ``signature``."""

    def maker(sizes: tuple) -> Callable[[Rng], dict[str, Any]]:
        def make(rng: Rng) -> dict[str, Any]:
            pool = gate_pool(rng, *sizes)
            return {name: pool[name] for name in signature}

        return make

    return tuple((label, maker(tuple(sizes))) for label, *sizes in GATE_SIZES)


def gate_spec(name: str, notebook: str, title: str, signature: tuple[str, ...], output: str, points: float) -> Spec:
    """The public half of a gate exercise: a function on Tensors, every input differentiable."""
    return Spec(name, notebook, title, "function", signature, (output,), signature, points, GATE_FORBIDDEN,
                output_axes=(("batch", "hidden"),))


# ------------------------------------------------------------------ hints every gate shares

def _same_shapes(detail: str) -> bool:
    """True when a matmul error is about two operands of one shape (two results, not a weight and an input)."""
    found = re.search(r"shapes (\([^)]*\)) and (\([^)]*\))", detail)
    return bool(found) and found.group(1) == found.group(2)


GATE_ERROR_HINTS = (
    ErrorHint("matmul", "Each W is (hidden, hidden + event) and the joined input [STM_{t-1}, E_t] is "
              "(batch, hidden + event), one row per example. Multiply as x @ W.T (not W @ x, not x @ W), then "
              "add the bias b of shape (hidden,).", line_has="W", when=lambda detail: not _same_shapes(detail)),
    ErrorHint("matmul", "The matrix product @ is for a weight meeting the joined input (x @ W.T). Two (batch, "
              "hidden) results, such as N_t and i_t, combine elementwise: N_t * i_t (⊙).", line_has="@",
              when=_same_shapes),
    ErrorHint("cannot be broadcast", "W @ x.T gives (hidden, batch), one column per example; the course "
              "multiplies x @ W.T to get (batch, hidden), one row per example, to which the bias b (hidden,) "
              "adds.", line_has="W @|W_n @|W_i @|W_f @|W_v @|W_u @|.T @"),
    ErrorHint("cannot be broadcast", "Shapes that cannot be broadcast usually mean an elementwise product `*` "
              "where a matrix product `@` belongs: weights meet the joined input through x @ W.T; `*` (⊙) is "
              "only for combining two (batch, hidden) results.", line_has="*"),
    ErrorHint("concat", "Join the two memories' inputs along the feature axis: lk.concat([stm_prev, event], "
              "axis=-1) gives (batch, hidden + event)."),
    ErrorHint("NameError", "A name is not defined. Run the notebook's first cell (import lstmkit as lk) and "
              "check the spelling of every name you use."),
    ErrorHint("has no attribute", "lstmkit Tensors offer x.tanh(), x.sigmoid(), x.T, x @ W, x * y, x + y; "
              "joining is lk.concat([a, b], axis=-1). NumPy functions do not work on Tensors."),
)
