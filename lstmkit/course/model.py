"""What an exercise *is*: one model, shared by ``check()`` and the grader.

An exercise has two halves:

* the **public half**, :class:`Spec`: its name, signature, outputs, which inputs are
  differentiable, forbidden names and points. It is all a learner's process needs to
  call an answer, and the only part of an exercise that enters the grading sandbox;
* the **secret half**, held with the spec by :class:`Exercise`: the hidden-case
  generator, the reference, the tolerances and the typical mistakes. Exercises live
  in :mod:`lstmkit.course.exercises` (one module per exercise notebook), which the
  sandbox never imports.

A :class:`Case` is one hidden case's inputs; :class:`Outputs` is what one answer
produced on it, as plain float64 arrays, or the :class:`Failure` that explains why
there are none. This module holds types only: nothing here is secret.

Naming of values and gradients ("paths"): an output ``stm`` is ``"stm"``; the third
array of a list output ``clipped`` is ``"clipped.2"``; the gradient with respect to
input ``event`` is ``"event"``, and to the entry ``W_n`` of a dict input ``weights``
``"weights.W_n"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy

from .wire import register

#: ``"function"``: a function on lstmkit Tensors; ``"function_class"``: an
#: :class:`lstmkit.Function` subclass (called as ``Cls.apply(*tensors)``);
#: ``"array_function"``: a function on plain arrays (no graph).
Kind = Literal["function", "function_class", "array_function"]

#: Why an answer produced no (usable) outputs: the one list of failure kinds.
FAILURE_KINDS: dict[str, str] = {
    "not_implemented": "the stub's NotImplementedError is still there",
    "error": "the answer raised an exception",
    "numpy_in_graph": "a NumPy function was handed a Tensor",
    "not_a_tensor": "an output is not an lstmkit Tensor",
    "no_graph": "an output is a Tensor with no graph behind it",
    "wrong_structure": "wrong number or kind of outputs",
    "backward_error": "the values came out but backward() raised",
    "forbidden": "the answer uses what it is asked to write",
    "wrong_value": "a value or a shape differs from the reference",
    "no_gradient": "no gradient reached an input",
    "wrong_gradient": "a gradient differs from the reference",
    "gradcheck": "backward disagrees with finite differences",
    "unstable": "the answer overflows or warns where the exercise asks for stability",
    "timeout": "the grader stopped the answer after its time limit",
    "crash": "the learner's process died or returned unreadable results",
    "invalid_notebook": "the submission is not a readable notebook",
    "missing": "no submission for this exercise",
    "deferred": "check() inside the grader's sandbox: the grader decides",
}

#: After an answer fails with one of these, its other cases are not run: they cannot tell more.
STOP_KINDS = ("not_implemented", "forbidden")


@register
@dataclass(frozen=True)
class Spec:
    """The public half of an exercise: how to call an answer and what it must return.

    ``outputs`` names the returned values in order; a name ending in ``"[]"`` is a list
    of arrays (``"clipped[]"``). ``differentiable`` names the inputs whose gradients must
    match the reference's. ``forbidden`` holds dotted prefixes (``"lstmkit.gates"``) or
    bare attribute names (``"clip_grad_norm_"``) the answer may not use. ``uses`` names
    exercises of the same notebook this one may call (``unroll`` calls ``lstm_cell``).
    """

    name: str
    notebook: str
    title: str
    kind: Kind
    signature: tuple[str, ...]
    outputs: tuple[str, ...]
    differentiable: tuple[str, ...]
    points: float
    forbidden: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    output_axes: tuple[tuple[str, ...], ...] = ()  #: per output, what each axis is ("time", "batch", "hidden")

    @property
    def output_names(self) -> tuple[str, ...]:
        """The outputs without the list marker: ``("clipped", "total_norm")``."""
        return tuple(name.removesuffix("[]") for name in self.outputs)


@register
@dataclass(frozen=True)
class Case:
    """One hidden case: a label the learner may see, its inputs, and its seeds.

    ``inputs`` maps argument names to float64 arrays, lists or dicts of them, or
    numbers. ``seed`` seeds the random projection backpropagated through the outputs.
    ``gradcheck_input`` is the small array on which a ``function_class`` answer is
    gradient-checked (None for other kinds).
    """

    label: str
    inputs: dict[str, Any]
    seed: int
    gradcheck_input: numpy.ndarray | None = None


@register
@dataclass(frozen=True)
class Failure:
    """Why an answer produced no usable outputs on a case.

    ``message`` says what happened in words a learner can act on; ``detail`` is the
    exception as ``Type: message``; ``line`` is the learner's line it came from, when
    known (``"in learn_gate, line 4: x = np.tanh(z)"``).
    """

    kind: str
    message: str
    detail: str = ""
    line: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:  # also what keeps a forged kind from the sandbox out
            raise ValueError(f"unknown failure kind {self.kind!r}; the kinds are {', '.join(FAILURE_KINDS)}")


@register
@dataclass(frozen=True)
class Outputs:
    """What one answer produced on one case, as plain float64 arrays.

    ``values`` maps output paths to arrays; ``grads`` maps input paths to the gradient
    of the projected outputs (None: no gradient reached that input). Either may be
    partial when ``failure`` is set. ``gradcheck`` is None when gradcheck passed or did
    not apply, else its message. ``warnings`` are the NumPy warnings raised while the
    answer ran; ``changed_inputs`` names the inputs the answer modified in place.
    ``tape`` holds the values of the intermediate Tensors on the learner's own graph
    (the judge looks there for the reference's named intermediates); ``cut`` the values
    of Tensors on it that were made from plain values rather than computed from the
    inputs (where ``.numpy()``, ``.data`` or ``lk.tensor(...)`` cut the tape);
    ``stray_globals`` the global arrays or Tensors the answer reads instead of its
    arguments.
    """

    values: dict[str, numpy.ndarray] = field(default_factory=dict)
    grads: dict[str, numpy.ndarray | None] = field(default_factory=dict)
    failure: Failure | None = None
    gradcheck: str | None = None
    warnings: tuple[str, ...] = ()
    changed_inputs: tuple[str, ...] = ()
    tape: tuple[numpy.ndarray, ...] = ()
    cut: tuple[numpy.ndarray, ...] = ()
    stray_globals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hint:
    """A typical mistake: a wrong variant of the reference, and what to say about it.

    ``variant`` has the reference's calling convention. When a learner's outputs equal
    the variant's on a failing case, ``text`` is shown.
    """

    text: str
    variant: Callable[..., Any]


@dataclass(frozen=True)
class ErrorHint:
    """A hint for an exception: shown when ``pattern`` occurs in ``Type: message`` and, if
    ``line_has`` is set, when the learner's line holds one of its ``|``-separated marks
    (a hint about ``*`` is never given for a line without one), and ``when(detail)`` holds."""

    pattern: str
    text: str
    line_has: str = ""
    when: Callable[[str], bool] | None = None  #: a further condition on the exception's text


@dataclass(frozen=True)
class Exercise:
    """One exercise, both halves: the public :class:`Spec` and what only the judge sees.

    ``make_inputs`` is a tuple of ``(label, generator)``; each generator draws every
    random number from the ``numpy.random.Generator`` it is given, so one seed gives
    one case everywhere. ``gradcheck_input`` makes the float64 array a
    ``function_class`` answer is gradient-checked on. ``stable`` asks that the answer
    raise no NumPy overflow warning (the exercise's text asks for it).
    ``hints`` are the hand-written mistakes, for what rules cannot express;
    ``derive_mistakes`` gives the rule-derived ones (:mod:`.mistakes`), and
    ``intermediates(*args)`` the reference's named intermediate results on Tensor
    arguments, in the order they are computed (N_t, i_t, ...).
    """

    spec: Spec
    lesson: int
    make_inputs: tuple[tuple[str, Callable[[numpy.random.Generator], dict[str, Any]]], ...]
    reference: Callable[..., Any]
    rtol: float = 1e-5
    atol: float = 1e-7
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-7
    hints: tuple[Hint, ...] = ()
    error_hints: tuple[ErrorHint, ...] = ()
    gradcheck_input: Callable[[numpy.random.Generator], numpy.ndarray] | None = None
    stable: bool = False
    derive_mistakes: Callable[[], tuple[Hint, ...]] | None = None
    intermediates: Callable[..., dict[str, Any]] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def notebook(self) -> str:
        return self.spec.notebook

    @property
    def points(self) -> float:
        return self.spec.points

    def cases(self, seed: int = 0) -> list[Case]:
        """The hidden cases for ``seed``: the same seed, the same arrays, in any process."""
        cases = []
        for index, (label, make) in enumerate(self.make_inputs):
            inputs = make(numpy.random.default_rng([seed, self.lesson, index]))
            case_seed = seed * 1000 + index
            check_x = None
            if self.gradcheck_input is not None:
                check_x = self.gradcheck_input(numpy.random.default_rng([case_seed, 99]))
            cases.append(Case(label, inputs, case_seed, check_x))
        return cases
