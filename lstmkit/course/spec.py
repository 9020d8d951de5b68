"""What an exercise *is*, as plain data: the spec, its hidden cases, and results.

An :class:`Exercise` is declared once (see :mod:`lstmkit.course.exercises`) and read
by everything else: ``check()`` in a notebook, the release tool, the instructor's
grader. Checking an answer has two separate halves, so that the first half can run
in an untrusted, sandboxed process and the second in the grader's own process:

1. **compute** (:func:`lstmkit.course.run.compute_outputs`): call the learner's
   function on one :class:`Case`'s inputs, backpropagate a fixed random projection
   of its outputs, and return plain NumPy arrays as :class:`Outputs` (values,
   gradients, or a :class:`Failure` saying why there are none).
2. **judge** (:func:`lstmkit.course.judge.judge_case`): compare those arrays with the
   reference's :class:`Outputs` (computed by the course layer with the same
   function on the same case) within the spec's tolerances, look for a typical
   mistake that explains a difference, and return a :class:`CaseResult`.
   :func:`lstmkit.course.judge.summarize` folds the case results into a
   :class:`CheckResult` (passed, score, message, hint).

Everything here is data: dataclasses of strings, numbers and NumPy arrays (plus the
trusted reference and mistake callables on :class:`Exercise`), picklable apart from
those callables.

Naming of values and gradients (flattened "paths"): an output called ``stm`` is
``"stm"``; the third array in a list output ``clipped`` is ``"clipped.2"``; the
gradient with respect to input ``event`` is ``"event"``, and with respect to the
entry ``W_n`` of a dict input ``weights`` it is ``"weights.W_n"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy

#: An input value: a float64 array, a list of arrays, a dict of arrays, or a number.
InputValue = Any
Inputs = dict[str, InputValue]

#: ``"function"``: the learner writes a function on lstmkit Tensors.
#: ``"function_class"``: the learner writes an :class:`lstmkit.Function` subclass
#: (forward/backward on arrays); it is called as ``Cls.apply(*tensors)``.
#: ``"array_function"``: the learner writes a function on plain arrays (no graph).
Kind = Literal["function", "function_class", "array_function"]

FailureKind = Literal[
    "not_implemented",  # the stub's NotImplementedError is still there
    "error",  # the learner's code raised another exception
    "numpy_in_graph",  # NumPy touched a Tensor (Tensor.__array__ refused)
    "not_a_tensor",  # an output is not an lstmkit Tensor (the graph was cut)
    "no_graph",  # an output is a Tensor but not connected to the inputs
    "wrong_structure",  # wrong number or kind of outputs
    "backward_error",  # the values came out but backward() raised
    "forbidden",  # the answer calls what it is asked to write (e.g. lstmkit.gates)
    "timeout",  # used by the sandboxed grader: the learner's code ran too long
    "crash",  # used by the sandboxed grader: the learner's process died
]


@dataclass(frozen=True)
class CaseSpec:
    """One hidden case: a label the learner may see and a generator of its inputs.

    ``make_inputs(rng) -> {argument name: value}`` must draw every random number
    from ``rng`` so that a seed gives the same case everywhere.
    """

    label: str
    make_inputs: Callable[[numpy.random.Generator], Inputs]


@dataclass(frozen=True)
class Case:
    """A concrete hidden case: its inputs and the seed of its gradient projection."""

    label: str
    inputs: Inputs
    seed: int  #: seeds the random projection backpropagated through the outputs


@dataclass(frozen=True)
class Hint:
    """A typical mistake: a wrong variant of the reference and what to say about it.

    ``variant`` has the reference's calling convention (a function on Tensors, or a
    Function subclass for ``function_class`` exercises). When a learner's outputs
    match the variant's outputs on a failing case, ``text`` is shown.
    """

    text: str
    variant: Callable[..., Any]


@dataclass(frozen=True)
class ErrorHint:
    """A hint for an exception: shown when ``pattern`` occurs in ``type: message``."""

    pattern: str
    text: str


@dataclass(frozen=True)
class Exercise:
    """One exercise: everything needed to check, release and grade it.

    Attributes:
        name: the function (or class) the learner writes, e.g. ``"learn_gate"``.
        lesson: the lesson number (``2`` for ``notebooks/02_...``).
        notebook: the exercise notebook's stem, e.g. ``"02_learn_gate"``.
        title: a short human title.
        kind: see :data:`Kind`.
        signature: argument names, in order (the learner's function is called
            positionally, in this order).
        outputs: names of the outputs, in the order the function returns them; an
            output whose name ends in ``"[]"`` is a list of arrays (``"clipped[]"``).
        differentiable: the arguments (every array inside them) whose gradients must
            match the reference's.
        cases: the hidden cases (see :meth:`make_cases`).
        reference: the correct answer, same calling convention as the learner's.
        points: what the exercise is worth.
        rtol, atol: tolerances for output values (``|a - b| <= atol + rtol |b|``).
        grad_rtol, grad_atol: tolerances for gradients.
        hints: typical mistakes, tried in order on a failing case.
        error_hints: hints for exceptions, tried in order.
        forbidden: what the answer may not use: dotted names of modules or objects
            (``"lstmkit.gates"``, ``"torch"``) or bare attribute names
            (``"clip_grad_norm_"``).
        gradcheck_input: for ``function_class`` exercises, makes the (small, float64)
            input on which :func:`lstmkit.gradcheck` is run against the learner's op.
        uses: other exercises whose functions this one may call (``unroll`` calls
            ``lstm_cell``); the grader loads them from the same notebook.
    """

    name: str
    lesson: int
    notebook: str
    title: str
    kind: Kind
    signature: tuple[str, ...]
    outputs: tuple[str, ...]
    differentiable: tuple[str, ...]
    cases: tuple[CaseSpec, ...]
    reference: Callable[..., Any]
    points: float
    rtol: float = 1e-5
    atol: float = 1e-7
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-7
    hints: tuple[Hint, ...] = ()
    error_hints: tuple[ErrorHint, ...] = ()
    forbidden: tuple[str, ...] = ()
    gradcheck_input: Callable[[numpy.random.Generator], numpy.ndarray] | None = None
    uses: tuple[str, ...] = ()

    def make_cases(self, seed: int = 0) -> list[Case]:
        """The hidden cases for ``seed`` (deterministic: the same seed, the same arrays)."""
        cases = []
        for index, spec in enumerate(self.cases):
            rng = numpy.random.default_rng([seed, self.lesson, index])
            cases.append(Case(spec.label, spec.make_inputs(rng), seed=seed * 1000 + index))
        return cases


@dataclass
class Failure:
    """Why a computation produced no (usable) outputs."""

    kind: FailureKind
    message: str  #: what happened, in words a learner can act on
    detail: str = ""  #: the exception as ``Type: message`` (no traceback)


@dataclass
class Outputs:
    """What one function produced on one case, as plain NumPy arrays.

    ``values`` maps output paths to float64 arrays; ``grads`` maps input paths to the
    gradient of the projected outputs (None: no gradient reached that input). Either
    may be partial when ``failure`` is set (values without gradients when backward
    failed). ``gradcheck`` is None when it passed or did not apply, else its message.
    """

    values: dict[str, numpy.ndarray] = field(default_factory=dict)
    grads: dict[str, numpy.ndarray | None] = field(default_factory=dict)
    failure: Failure | None = None
    gradcheck: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class CaseResult:
    """The verdict on one case.

    ``property`` names what was checked last (``"value of stm"``,
    ``"gradient with respect to weights.W_n"``, ``"finished without error"``...).
    """

    label: str
    passed: bool
    property: str = ""
    message: str = ""
    hint: str = ""
    failure_kind: str = ""
    expected_shape: tuple[int, ...] | None = None
    got_shape: tuple[int, ...] | None = None
    max_error: float | None = None
    notes: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """The verdict on one exercise: truthy when every case passed.

    ``score`` is ``points`` when passed, else 0 (an exercise is all or nothing).
    """

    name: str
    passed: bool
    points: float
    score: float
    message: str
    hint: str = ""
    failure_kind: str = ""
    cases: list[CaseResult] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def not_implemented(self) -> bool:
        """True when the exercise still holds its stub."""
        return self.failure_kind == "not_implemented"

    def __str__(self) -> str:
        from .feedback import render_text  # noqa: PLC0415  (feedback imports this module)

        return render_text(self)

    def _repr_html_(self) -> str:
        from .feedback import render_html  # noqa: PLC0415

        return render_html(self)
