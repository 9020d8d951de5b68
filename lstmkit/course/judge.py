"""Judge: compare an answer's outputs with the reference's, and find a hint.

This half of checking runs only trusted code (the reference and the typical
mistakes of :mod:`lstmkit.course.exercises`); the learner's side arrives as plain
arrays in :class:`~lstmkit.course.spec.Outputs`. Properties are checked in order:
the answer ran, its outputs have the right shapes, their values match, a gradient
reaches every input, the gradients match, and (for autograd ops) gradcheck agrees.
The first property that fails is reported, with the shapes and numbers involved.
"""

from __future__ import annotations

from typing import Any

import numpy

from .run import compute_outputs
from .spec import Case, CaseResult, CheckResult, Exercise, Outputs

NUMPY_HINT = (
    "NumPy functions cannot record what they do, so the gradient cannot flow through "
    "them. On Tensors use x.tanh(), x.sigmoid(), x @ W.T, x * y, x + y and "
    "lk.concat([a, b], axis=-1)."
)
NOT_IMPLEMENTED_MESSAGE = (
    "write your code where the cell says YOUR CODE HERE (remove the "
    "raise NotImplementedError line), run that cell, then run this check again."
)


def reference_outputs(exercise: Exercise, case: Case) -> Outputs:
    """The reference's outputs on ``case`` (trusted: no forbidden-name scan)."""
    outputs = compute_outputs(exercise, exercise.reference, case, check_forbidden=False)
    if outputs.failure is not None:
        raise RuntimeError(f"the reference of {exercise.name} failed on {case.label!r}: {outputs.failure}")
    return outputs


def _close(got: numpy.ndarray, expected: numpy.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(numpy.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False))


def _difference(path: str, got: numpy.ndarray, expected: numpy.ndarray) -> tuple[str, float]:
    """A sentence on where got and expected differ most, and the largest difference."""
    with numpy.errstate(all="ignore"):
        diff = numpy.abs(got - expected)
    diff = numpy.where(numpy.isnan(diff), numpy.inf, diff)
    index = numpy.unravel_index(int(numpy.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f"[{', '.join(str(int(i)) for i in index)}]" if index else ""
    largest = float(diff[index]) if diff.size else 0.0
    text = (
        f"{path}{where} is {float(got[index]):.6g} where it should be {float(expected[index]):.6g} "
        f"(largest difference {largest:.3g}"
    )
    if not numpy.isfinite(got).all():
        text += "; your result contains NaN or infinity"
    return text + ").", largest


def _matches(exercise: Exercise, learner: Outputs, other: Outputs, with_grads: bool) -> bool:
    if other.failure is not None or set(other.values) != set(learner.values):
        return False
    tol = dict(rtol=max(exercise.rtol, 1e-4), atol=max(exercise.atol, 1e-6))
    if not all(_close(learner.values[p], other.values[p], **tol) for p in other.values):
        return False
    if with_grads:
        for path, grad in other.grads.items():
            mine = learner.grads.get(path)
            if (grad is None) != (mine is None) or (grad is not None and not _close(mine, grad, **tol)):
                return False
    return True


def find_hint(exercise: Exercise, case: Case, learner: Outputs, with_grads: bool = False) -> str:
    """The text of the first typical mistake whose outputs equal the learner's, or ''."""
    for hint in exercise.hints:
        variant = compute_outputs(exercise, hint.variant, case, check_forbidden=False)
        if _matches(exercise, learner, variant, with_grads):
            return hint.text
    return ""


STABILITY_HINT = (
    "Your result has NaN or infinite values where the inputs are large. Use the stable "
    "operations (x.sigmoid(), x.tanh()); formulas such as 1 / (1 + exp(-x)) overflow."
)


def _error_hint(exercise: Exercise, detail: str) -> str:
    for error_hint in exercise.error_hints:
        if error_hint.pattern in detail:
            return error_hint.text
    if "positional argument" in detail or "unexpected keyword" in detail:
        return f"Keep the arguments as given, in this order: {exercise.name}({', '.join(exercise.signature)})."
    return ""


def _value_hint(exercise: Exercise, case: Case, learner: Outputs, got: numpy.ndarray) -> str:
    hint = find_hint(exercise, case, learner)
    if not hint and not numpy.isfinite(got).all():
        hint = STABILITY_HINT
    return hint


def judge_case(exercise: Exercise, case: Case, learner: Outputs, reference: Outputs | None = None) -> CaseResult:
    """The verdict on one case: learner's outputs against the reference's."""
    reference = reference if reference is not None else reference_outputs(exercise, case)
    result = CaseResult(label=case.label, passed=False, notes=learner.warnings)
    failure = learner.failure
    if failure is not None and failure.kind == "not_implemented":
        result.property, result.failure_kind = "implemented", failure.kind
        said = failure.message.rstrip(". ")
        stub = said if "not implemented" in said else f"{exercise.name} is not implemented yet"
        result.message = f"{stub}: {NOT_IMPLEMENTED_MESSAGE}"
        return result
    if failure is not None and not learner.values:
        result.property = "uses only allowed names" if failure.kind == "forbidden" else "runs without error"
        result.failure_kind = failure.kind
        result.message = failure.message
        result.hint = NUMPY_HINT if failure.kind == "numpy_in_graph" else _error_hint(exercise, failure.detail)
        return result

    # values: shapes first, then numbers
    for path, expected in reference.values.items():
        got = learner.values.get(path)
        if got is None:
            result.property, result.failure_kind = f"value of {path}", failure.kind if failure else "wrong_structure"
            result.message = failure.message if failure else f"{path} is missing from what {exercise.name} returned."
            return result
        if got.shape != expected.shape:
            result.property, result.failure_kind = f"shape of {path}", "wrong_value"
            result.expected_shape, result.got_shape = expected.shape, got.shape
            result.message = f"{path} has shape {got.shape} but should have shape {expected.shape}."
            result.hint = find_hint(exercise, case, learner) or _shape_hint(exercise, got.shape, expected.shape)
            return result
        if not _close(got, expected, exercise.rtol, exercise.atol):
            result.property, result.failure_kind = f"value of {path}", "wrong_value"
            result.expected_shape = result.got_shape = expected.shape
            result.message, result.max_error = _difference(path, got, expected)
            result.hint = _value_hint(exercise, case, learner, got)
            return result
    if failure is not None:  # right values, but no graph / not a Tensor / backward failed
        result.property, result.failure_kind = "gradient flows", failure.kind
        result.message = "the values are right, but " + failure.message[0].lower() + failure.message[1:]
        if failure.kind in ("not_a_tensor", "numpy_in_graph"):
            result.hint = NUMPY_HINT
        elif failure.kind == "backward_error":
            result.hint = _error_hint(exercise, failure.detail)
        return result

    # gradients
    for path, expected in reference.grads.items():
        got = learner.grads.get(path)
        if expected is None:
            continue
        if got is None:
            result.property, result.failure_kind = f"gradient with respect to {path}", "no_gradient"
            result.message = (
                f"no gradient reached {path}: the output does not depend on it through lstmkit "
                "operations. Check that it is used, and not through NumPy or .numpy()."
            )
            result.hint = find_hint(exercise, case, learner, with_grads=True)
            return result
        if not _close(got, expected, exercise.grad_rtol, exercise.grad_atol):
            result.property, result.failure_kind = f"gradient with respect to {path}", "wrong_gradient"
            result.expected_shape, result.got_shape = expected.shape, got.shape
            text, result.max_error = _difference(f"the gradient with respect to {path}", got, expected)
            result.message = "the values are right, but " + text
            result.hint = find_hint(exercise, case, learner, with_grads=True)
            return result
    if learner.gradcheck is not None:
        result.property, result.failure_kind = "gradcheck", "gradcheck"
        result.message = learner.gradcheck
        result.hint = "backward must return grad times the local slope of forward, shaped like the input."
        return result
    result.passed, result.property = True, "all"
    return result


def _shape_hint(exercise: Exercise, got: tuple, expected: tuple) -> str:
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return "Your result has an extra leading dimension: return one array of the expected shape."
    if exercise.kind == "function" and len(expected) == 2:
        return (
            "Every gate's output is (batch, hidden): one row per example. A matrix product "
            "x @ W.T with x (batch, hidden + event) and W (hidden, hidden + event) gives that shape."
        )
    return ""


def summarize(exercise: Exercise, results: list[CaseResult]) -> CheckResult:
    """Fold case verdicts into one: passed only when every case passed."""
    failed = [r for r in results if not r.passed]
    if not failed:
        what = "values and gradients match" if exercise.differentiable else "values match"
        message = f"All {len(results)} hidden cases pass: {what} the reference."
        return CheckResult(exercise.name, True, exercise.points, exercise.points, message, cases=results)
    first = failed[0]
    if first.failure_kind in ("not_implemented", "forbidden"):
        message = first.message
    else:
        message = (
            f"{exercise.name} failed {len(failed)} of {len(results)} hidden cases. "
            f"First failing case ({first.label}): {first.message}"
        )
    return CheckResult(exercise.name, False, exercise.points, 0.0, message, first.hint, first.failure_kind, results)


def check_answer(exercise: Exercise, answer: Any, seed: int = 0) -> CheckResult:
    """Compute and judge ``answer`` on every hidden case, in one process (for notebooks)."""
    results = []
    for case in exercise.make_cases(seed):
        learner = compute_outputs(exercise, answer, case)
        result = judge_case(exercise, case, learner)
        results.append(result)
        if result.failure_kind in ("not_implemented", "forbidden"):
            break
    return summarize(exercise, results)
