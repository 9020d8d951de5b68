"""The judge: compare an answer's outputs with the reference's, case by case, and fold.

Trusted code only: the learner's side arrives as :class:`~.model.Outputs` (plain
arrays, from :func:`~.compute.run_cases` in a notebook or in the grader's sandbox);
the reference and the typical mistakes are run here. A case is judged by a list of
small checks, one per property, in order (:data:`CHECKS`, composed the way nbgrader
composes its preprocessors): the answer ran, its outputs have the expected
structure, shapes, values, a graph behind them, the gradients, gradcheck, stability.
The first check that finds a problem gives the case's verdict. :func:`judge` folds the
cases into one :class:`~.result.Result`: this is what ``check()`` shows and what the
grader records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy

from .compute import compute_outputs
from .model import STOP_KINDS, Case, Exercise, Failure, Hint, Outputs
from .result import CaseVerdict, Result, failed

NUMPY_HINT = (
    "NumPy functions cannot record what they do, so the gradient cannot flow through them. On Tensors use "
    "x.tanh(), x.sigmoid(), x @ W.T, x * y, x + y and lk.concat([a, b], axis=-1)."
)
NOT_IMPLEMENTED_MESSAGE = (
    "write your code where the cell says YOUR CODE HERE (remove the raise NotImplementedError line), run that "
    "cell, then run this check again."
)
STABILITY_HINT = (
    "Your result has NaN or infinite values where the inputs are large. Use the stable operations (x.sigmoid(), "
    "x.tanh()); formulas such as 1 / (1 + exp(-x)) overflow."
)
ARRAY_STABILITY_HINT = (
    "On large inputs e^(-x) overflows. On arrays, compute with e = np.exp(-np.abs(x)) (never more than 1): "
    "σ(x) = np.where(x >= 0, 1 / (1 + e), e / (1 + e)); or use σ(x) = 0.5 + 0.5 * np.tanh(x / 2). np.tanh(x) "
    "itself never overflows."
)

_REFERENCES: dict[tuple[str, int, str], Outputs] = {}


def reference_outputs(exercise: Exercise, case: Case) -> Outputs:
    """The reference's outputs on ``case`` (computed once per case and kept)."""
    key = (exercise.name, case.seed, case.label)
    if key not in _REFERENCES:
        outputs = compute_outputs(exercise.spec, exercise.reference, case, trusted=True)
        if outputs.failure is not None:
            raise RuntimeError(f"the reference of {exercise.name} failed on {case.label!r}: {outputs.failure}")
        _REFERENCES[key] = outputs
    return _REFERENCES[key]


@dataclass(frozen=True)
class Context:
    """What every check sees: the exercise, the case, the learner's and the reference's outputs,
    and every case the learner's answer ran on (a mistake is named only if it explains them all)."""

    exercise: Exercise
    case: Case
    learner: Outputs
    reference: Outputs
    everything: tuple[tuple[Case, Outputs], ...] = ()
    explain: bool = True  #: look for hints and traces (only the first failing case is explained)

    def verdict(self, prop: str, kind: str, message: str, hint: str = "", **more: object) -> CaseVerdict:
        trace = more.pop("trace", "")
        trace = trace if self.explain else ""
        return CaseVerdict(self.case.label, False, prop, message, hint if self.explain else "", kind,
                           notes=self.learner.warnings, trace=trace, **more)  # type: ignore[arg-type]


Check = Callable[[Context], CaseVerdict | None]


def _close(got: numpy.ndarray, expected: numpy.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(numpy.allclose(got, expected, rtol=rtol, atol=atol))


def _difference(path: str, got: numpy.ndarray, expected: numpy.ndarray) -> tuple[str, float]:
    """A sentence on where got and expected differ most, and the largest difference."""
    with numpy.errstate(all="ignore"):
        diff = numpy.abs(got - expected)
    diff = numpy.where(numpy.isnan(diff), numpy.inf, diff)
    index = numpy.unravel_index(int(numpy.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f"[{', '.join(str(int(i)) for i in index)}]" if index else ""
    largest = float(diff[index]) if diff.size else 0.0
    text = (f"{path}{where} is {float(got[index]):.6g} where it should be {float(expected[index]):.6g} "
            f"(largest difference {largest:.3g}")
    if not numpy.isfinite(got).all():
        text += "; your result contains NaN or infinity"
    return text + ").", largest


# ------------------------------------------------------------------ hints


def _same(got: numpy.ndarray | None, expected: numpy.ndarray | None, tol: dict[str, float]) -> bool:
    return (got is None) == (expected is None) and (got is None or _close(got, expected, **tol))


_CANDIDATE_OUTPUTS: dict[tuple[str, int, int, str, bool], Outputs] = {}


def _candidate_outputs(exercise: Exercise, index: int, answer: object, case: Case, with_grads: bool) -> Outputs:
    """A typical mistake's outputs on a case (computed once per process; gradients only when asked)."""
    key = (exercise.name, index, case.seed, case.label, with_grads)
    if key not in _CANDIDATE_OUTPUTS:
        _CANDIDATE_OUTPUTS[key] = compute_outputs(exercise.spec, answer, case, trusted=True, gradients=with_grads)
    return _CANDIDATE_OUTPUTS[key]


def _reproduces(ctx: Context, index: int, answer: object, with_grads: bool) -> bool:
    """True when a typical mistake gives the learner's outputs on every case they have (the cheap
    comparisons first: a mistake that differs on the first case is dropped after one run)."""
    tol = {"rtol": max(ctx.exercise.rtol, 1e-4), "atol": max(ctx.exercise.atol, 1e-6)}
    compared = 0
    for case, learner in ctx.everything or ((ctx.case, ctx.learner),):
        if not learner.values:
            continue
        grads = with_grads and learner.failure is None
        other = _candidate_outputs(ctx.exercise, index, answer, case, grads)
        if other.failure is not None or set(other.values) != set(learner.values):
            return False
        if not all(_close(learner.values[p], other.values[p], **tol) for p in other.values):
            return False
        if grads and not all(_same(learner.grads.get(p), g, tol) for p, g in other.grads.items()):
            return False
        compared += 1
    return compared > 0


_CANDIDATES: dict[str, tuple[Hint, ...]] = {}


def candidates(exercise: Exercise) -> tuple[Hint, ...]:
    """The exercise's typical mistakes, in the order they are tried: hand-written first (for what
    rules cannot express), then those derived from the reference by rule. When two give the
    same outputs, the first one's words are used."""
    if exercise.name not in _CANDIDATES:
        derived = exercise.derive_mistakes() if exercise.derive_mistakes else ()
        _CANDIDATES[exercise.name] = exercise.hints + tuple(derived)
    return _CANDIDATES[exercise.name]


def mistake_hint(ctx: Context, with_grads: bool = False) -> str:
    """The text of the first typical mistake that reproduces the learner's outputs on every case, or ''."""
    if not ctx.explain:
        return ""
    if ctx.learner.stray_globals:
        names = ", ".join(ctx.learner.stray_globals)
        return (f"Your {ctx.exercise.name} reads {names}, a global variable from another cell, instead of its own "
                f"arguments ({', '.join(ctx.exercise.spec.signature)}); compute with the arguments only.")
    for index, hint in enumerate(candidates(ctx.exercise)):
        if _reproduces(ctx, index, hint.variant, with_grads):
            return hint.text
    return ""


def _named(ctx: Context) -> dict[str, numpy.ndarray]:
    """The reference's named intermediates on this case, as arrays."""
    if ctx.exercise.intermediates is None:
        return {}
    from .compute import tensor_arguments  # noqa: PLC0415  (one way to build the arguments)

    args = tensor_arguments(ctx.exercise.spec, ctx.case)
    return {name: numpy.array(value.numpy(), dtype="float64") for name, value in
            ctx.exercise.intermediates(*args).items() if hasattr(value, "numpy")}


def _on_tape(value: numpy.ndarray, tape: tuple[numpy.ndarray, ...]) -> bool:
    return any(t.shape == value.shape and numpy.allclose(t, value, rtol=1e-6, atol=1e-8) for t in tape)


def where_it_goes_wrong(ctx: Context) -> str:
    """'N_t and i_t are right; f_t is not.' from the learner's own tape, or '' when there is no tape."""
    if not ctx.explain or not ctx.learner.tape:
        return ""
    named = _named(ctx)
    right = []
    for name, value in named.items():
        if not _on_tape(value, ctx.learner.tape):
            said = (", ".join(right[:-1]) + " and " + right[-1] if len(right) > 1 else "".join(right))
            start = f"{said} {'is' if len(right) == 1 else 'are'} right; " if right else ""
            return f"{start}{name} is not (the first named result that differs from the reference)."
        right.append(name)
    return (f"{', '.join(right)} {'is' if len(right) == 1 else 'are'} right; the way your answer combines "
            "them into its result is not.") if right else ""


def where_the_tape_is_cut(ctx: Context) -> str:
    """Where the learner's graph was rebuilt from plain values, named by the reference's intermediates."""
    if not ctx.explain or not ctx.learner.cut:
        return ""
    named = {**_named(ctx), **{f"the output {p}": v for p, v in ctx.reference.values.items()}}
    for name, value in named.items():
        if _on_tape(value, ctx.learner.cut):
            return (f"the tape is cut at {name}: it was rebuilt from plain values (.numpy(), .data or "
                    f"lk.tensor(...)), so no gradient flows back through it to what came before.")
    return ""


def error_hint(exercise: Exercise, failure: Failure) -> str:
    """A hint for an exception the answer raised, or ''; a hint that asks for a look at the line
    (``line_has``) is given only when the learner's line shows it."""
    for hint in exercise.error_hints:
        if hint.pattern in failure.detail and (not hint.line_has or any(
                mark in failure.line.split(":", 1)[-1] for mark in hint.line_has.split("|"))) and (
                hint.when is None or hint.when(failure.detail)):
            return hint.text
    detail = failure.detail
    if "positional argument" in detail or "unexpected keyword" in detail:
        return f"Keep the arguments as given, in this order: {exercise.name}({', '.join(exercise.spec.signature)})."
    return ""


def _shape_hint(exercise: Exercise, got: tuple, expected: tuple) -> str:
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return "Your result has an extra leading dimension: return one array of the expected shape."
    if exercise.spec.kind == "function" and len(expected) == 2:
        return ("Every gate's output is (batch, hidden): one row per example. A matrix product x @ W.T with x "
                "(batch, hidden + event) and W (hidden, hidden + event) gives that shape.")
    return ""


# ------------------------------------------------------------------ the checks, one per property


def check_ran(ctx: Context) -> CaseVerdict | None:
    """The answer is implemented and produced values."""
    failure = ctx.learner.failure
    if failure is None:
        return None
    if failure.kind == "not_implemented":
        said = failure.message.rstrip(". ")
        stub = said if "not implemented" in said else f"{ctx.exercise.name} is not implemented yet"
        return ctx.verdict("implemented", failure.kind, f"{stub}: {NOT_IMPLEMENTED_MESSAGE}")
    if ctx.learner.values:
        return None  # values came out; the graph check says what went wrong after them
    prop = "uses only allowed names" if failure.kind == "forbidden" else "runs without error"
    hint = NUMPY_HINT if failure.kind == "numpy_in_graph" else error_hint(ctx.exercise, failure)
    if ctx.learner.stray_globals and failure.kind == "error":
        hint = mistake_hint(ctx) or hint
    return ctx.verdict(prop, failure.kind, failure.message, hint if ctx.explain else "")


def check_structure(ctx: Context) -> CaseVerdict | None:
    """Every expected output is there, and nothing else."""
    failure = ctx.learner.failure
    for path in ctx.reference.values:
        if path not in ctx.learner.values:
            kind = failure.kind if failure else "wrong_structure"
            message = failure.message if failure else f"{path} is missing from what {ctx.exercise.name} returned."
            return ctx.verdict(f"value of {path}", kind, message)
    extra = sorted(set(ctx.learner.values) - set(ctx.reference.values))
    if extra:
        expected = ", ".join(ctx.reference.values)
        return ctx.verdict("structure", "wrong_structure",
                           f"{ctx.exercise.name} returned more than expected ({', '.join(extra)}); it should "
                           f"return exactly {expected}.")
    return None


def check_shapes(ctx: Context) -> CaseVerdict | None:
    """Every output has the reference's shape."""
    spec = ctx.exercise.spec
    for path, expected in ctx.reference.values.items():
        got = ctx.learner.values[path]
        if got.shape != expected.shape:
            hint = mistake_hint(ctx) or _shape_hint(ctx.exercise, got.shape, expected.shape)
            names = spec.output_names
            axes = spec.output_axes[names.index(path)] if path in names and spec.output_axes else ()
            said = (" (" + ", ".join(f"{axis} {size}" for axis, size in zip(axes, expected.shape, strict=False))
                    + ")") if len(axes) == len(expected.shape) else ""
            return ctx.verdict(f"shape of {path}", "wrong_value",
                               f"{path} has shape {got.shape} but should have shape {expected.shape}{said}.", hint,
                               expected_shape=expected.shape, got_shape=got.shape, trace=where_it_goes_wrong(ctx))
    return None


def check_values(ctx: Context) -> CaseVerdict | None:
    """Every output's values match the reference's within the tolerances."""
    ex = ctx.exercise
    for path, expected in ctx.reference.values.items():
        got = ctx.learner.values[path]
        if not _close(got, expected, ex.rtol, ex.atol):
            message, largest = _difference(path, got, expected)
            hint = mistake_hint(ctx)
            if not hint and not numpy.isfinite(got).all():
                hint = ARRAY_STABILITY_HINT if ex.spec.kind == "function_class" else STABILITY_HINT
            return ctx.verdict(f"value of {path}", "wrong_value", message, hint, expected_shape=expected.shape,
                               got_shape=got.shape, max_error=largest, trace=where_it_goes_wrong(ctx))
    return None


def check_graph(ctx: Context) -> CaseVerdict | None:
    """Right values, and a graph behind them that backward can use."""
    failure = ctx.learner.failure
    if failure is None:
        return None
    if failure.kind in ("not_a_tensor", "numpy_in_graph"):
        hint = NUMPY_HINT
    elif failure.kind == "backward_error":
        hint = error_hint(ctx.exercise, failure)
    else:
        hint = ""
    return ctx.verdict("gradient flows", failure.kind,
                       "the values are right, but " + failure.message[0].lower() + failure.message[1:], hint,
                       trace=where_the_tape_is_cut(ctx))


def check_gradients(ctx: Context) -> CaseVerdict | None:
    """A gradient reaches every differentiable input, and equals the reference's."""
    ex = ctx.exercise
    for path, expected in ctx.reference.grads.items():
        got = ctx.learner.grads.get(path)
        if expected is None:
            continue
        if got is None:
            return ctx.verdict(f"gradient with respect to {path}", "no_gradient",
                               f"no gradient reached {path}: the output does not depend on it through lstmkit "
                               "operations. Check that it is used, and not through NumPy or .numpy().",
                               mistake_hint(ctx, with_grads=True), trace=where_the_tape_is_cut(ctx))
        if not _close(got, expected, ex.grad_rtol, ex.grad_atol):
            text, largest = _difference(f"the gradient with respect to {path}", got, expected)
            return ctx.verdict(f"gradient with respect to {path}", "wrong_gradient", "the values are right, but "
                               + text, mistake_hint(ctx, with_grads=True), expected_shape=expected.shape,
                               got_shape=got.shape, max_error=largest, trace=where_the_tape_is_cut(ctx))
    return None


def check_gradcheck(ctx: Context) -> CaseVerdict | None:
    """An autograd op's backward agrees with finite differences of its forward."""
    if ctx.learner.gradcheck is None:
        return None
    return ctx.verdict("gradcheck", "gradcheck", ctx.learner.gradcheck,
                       "backward must return grad times the local slope of forward, shaped like the input.")


def check_inputs_kept(ctx: Context) -> CaseVerdict | None:
    """The answer leaves its inputs as they were (the exercises say so)."""
    changed = ctx.learner.changed_inputs
    if not changed:
        return None
    return ctx.verdict("inputs unchanged", "wrong_value",
                       f"{ctx.exercise.name} changed its input {changed[0]} in place; the caller still needs it.",
                       f"Your {ctx.exercise.name} changed its input {changed[0]} in place: work on new arrays "
                       "(g * scale, or g.copy()) instead of changing the ones you are given.")


def check_stability(ctx: Context) -> CaseVerdict | None:
    """No overflow warning where the exercise asks for a stable formula."""
    if not ctx.exercise.stable:
        return None
    overflow = [w for w in ctx.learner.warnings if "overflow" in w]
    if not overflow:
        return None
    return ctx.verdict("stable for large inputs", "unstable",
                       f"NumPy warned while {ctx.exercise.name} ran on {ctx.case.label}: {overflow[0]}. The "
                       "exercise asks for a formula that does not overflow.", ARRAY_STABILITY_HINT)


CHECKS: tuple[Check, ...] = (
    check_ran, check_structure, check_shapes, check_values, check_graph, check_gradients, check_gradcheck,
    check_inputs_kept, check_stability,
)


def judge_case(exercise: Exercise, case: Case, learner: Outputs,
               everything: tuple[tuple[Case, Outputs], ...] = (), explain: bool = True) -> CaseVerdict:
    """The verdict on one case: the first check that finds a problem, else passed."""
    ctx = Context(exercise, case, learner, reference_outputs(exercise, case), everything, explain)
    for check in CHECKS:
        verdict = check(ctx)
        if verdict is not None:
            return verdict
    return CaseVerdict(case.label, True, "all", notes=learner.warnings)


def judge(exercise: Exercise, cases: Sequence[Case], outputs: Sequence[Outputs]) -> Result:
    """Fold the learner's outputs on ``cases`` (from :func:`~.compute.run_cases`) into one Result.

    The first failing case is explained (the typical mistake, where it goes wrong); the
    others are only judged.
    """
    spec = exercise.spec
    everything = tuple(zip(cases, outputs, strict=False))
    verdicts: list[CaseVerdict] = []
    for case, out in everything:
        explain = all(v.passed for v in verdicts)
        verdicts.append(judge_case(exercise, case, out, everything, explain))
    stopped = bool(outputs) and outputs[-1].failure is not None and outputs[-1].failure.kind in STOP_KINDS
    if len(outputs) > len(cases) or (len(outputs) < len(cases) and not stopped):
        return failed(spec.name, spec.points, "crash", f"{spec.name} returned results for {len(outputs)} of "
                      f"{len(cases)} cases.", spec.title)
    failing = [v for v in verdicts if not v.passed]
    if not failing:
        what = "values and gradients match" if spec.differentiable else "values match"
        return Result(spec.name, True, spec.points, spec.points,
                      f"All {len(verdicts)} hidden cases pass: {what} the reference.", cases=tuple(verdicts),
                      title=spec.title)
    first = failing[0]
    if first.kind in STOP_KINDS:
        message = first.message
    else:
        message = (f"{spec.name} failed {len(failing)} of {len(verdicts)} hidden cases. "
                   f"First failing case ({first.label}): {first.message}")
    return Result(spec.name, False, spec.points, 0.0, message, first.hint, first.kind, tuple(verdicts), spec.title,
                  trace=first.trace)
