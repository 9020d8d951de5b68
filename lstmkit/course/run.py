"""Compute: call an answer on one hidden case and return plain arrays.

:func:`compute_outputs` is the half of checking that touches the learner's code.
It never raises for anything the answer does: exceptions, NumPy cutting the graph,
outputs of the wrong kind all become a :class:`~lstmkit.course.spec.Failure`
inside the returned :class:`~lstmkit.course.spec.Outputs`. The same function runs
the trusted reference and the typical mistakes, so all three are measured alike.
"""

from __future__ import annotations

import copy
import traceback
import warnings
from typing import Any

import numpy

from ..autograd.gradcheck import GradcheckError, gradcheck
from ..autograd.tensor import Tensor
from .forbidden import find_forbidden
from .spec import Case, Exercise, Failure, Outputs

NUMPY_MARK = "handed to NumPy"  # in the TypeError that Tensor.__array__ raises


def to_tensors(value: Any, path: str, requires_grad: bool, leaves: dict[str, Tensor]) -> Any:
    """A copy of an input with every array as a float64 Tensor; leaves[path] = each Tensor."""
    if isinstance(value, dict):
        return {k: to_tensors(v, f"{path}.{k}", requires_grad, leaves) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_tensors(v, f"{path}.{i}", requires_grad, leaves) for i, v in enumerate(value)]
    if isinstance(value, numpy.ndarray):
        tensor = Tensor(numpy.array(value, dtype="float64"), requires_grad=requires_grad)
        leaves[path] = tensor
        return tensor
    return value


def compute_outputs(exercise: Exercise, answer: Any, case: Case, check_forbidden: bool = True) -> Outputs:
    """Run ``answer`` (function or Function class, per ``exercise.kind``) on ``case``.

    Returns the outputs' values and the gradients of a fixed random projection of
    them with respect to every input array, as float64 NumPy arrays.
    """
    if check_forbidden and exercise.forbidden:
        found = find_forbidden(answer, exercise.forbidden)
        if found:
            return Outputs(failure=Failure(
                "forbidden",
                f"your answer uses {', '.join(found)}, which this exercise asks you to write "
                "yourself. Build it from lstmkit Tensor operations (@, +, *, .tanh(), "
                ".sigmoid(), lk.concat).",
            ))
    with warnings.catch_warnings(record=True) as caught, numpy.errstate(
        over="warn", divide="warn", invalid="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        if exercise.kind == "array_function":
            outputs = _compute_arrays(exercise, answer, case)
        else:
            outputs = _compute_tensors(exercise, answer, case)
    messages = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    outputs.warnings = tuple(messages)
    return outputs


# ------------------------------------------------------------------ arrays (no graph)


def _compute_arrays(exercise: Exercise, answer: Any, case: Case) -> Outputs:
    args = [copy.deepcopy(case.inputs[name]) for name in exercise.signature]
    try:
        result = answer(*args)
    except Exception as error:  # noqa: BLE001  (anything the learner's code does is reported)
        return Outputs(failure=_failure_from(error, answer))
    outputs = Outputs()
    failure = _collect(exercise, result, outputs.values, want_tensors=False)
    outputs.failure = failure
    return outputs


# ------------------------------------------------------------------ tensors (values and gradients)


def _call(exercise: Exercise, answer: Any, args: list[Any]) -> Any:
    if exercise.kind == "function_class":
        if not (isinstance(answer, type) and hasattr(answer, "apply")):
            raise TypeError(
                f"{exercise.name} should be a class (class {exercise.name}(lk.Function): ...), "
                f"but got {type(answer).__name__}; run the cell that defines the class."
            )
        return answer.apply(*args)
    return answer(*args)


def _compute_tensors(exercise: Exercise, answer: Any, case: Case) -> Outputs:
    leaves: dict[str, Tensor] = {}
    args = [
        to_tensors(case.inputs[name], name, name in exercise.differentiable, leaves)
        for name in exercise.signature
    ]
    try:
        result = _call(exercise, answer, args)
    except Exception as error:  # noqa: BLE001
        return Outputs(failure=_failure_from(error, answer))
    outputs = Outputs()
    tensors: dict[str, Tensor] = {}
    outputs.failure = _collect(exercise, result, outputs.values, want_tensors=True, tensors=tensors)
    if outputs.failure is not None:
        return outputs
    if not exercise.differentiable:
        return outputs
    detached = [path for path, t in tensors.items() if not t.requires_grad]
    if detached:
        outputs.failure = Failure(
            "no_graph",
            f"{detached[0]} is a Tensor with no gradient graph behind it, so nothing can "
            "flow back to the inputs. This happens when values leave lstmkit (.numpy(), "
            ".data, lk.tensor(...) around a result) or inside no_grad(); compute with "
            "Tensor operations all the way.",
        )
        return outputs
    try:
        _backward_projection(tensors, case.seed)
    except Exception as error:  # noqa: BLE001
        outputs.failure = _failure_from(error, answer, kind="backward_error")
        return outputs
    for path, leaf in leaves.items():
        outputs.grads[path] = None if leaf.grad is None else numpy.array(leaf.grad, dtype="float64")
    if exercise.kind == "function_class" and exercise.gradcheck_input is not None:
        outputs.gradcheck = _run_gradcheck(exercise, answer, case.seed)
    return outputs


def projection(shape: tuple[int, ...], seed: int, index: int) -> numpy.ndarray:
    """The fixed random weights P_k that turn output k into the scalar sum(out_k * P_k)."""
    return numpy.random.default_rng([seed, index]).standard_normal(shape)


def _backward_projection(tensors: dict[str, Tensor], seed: int) -> None:
    loss = None
    for index, tensor in enumerate(tensors.values()):
        weights = Tensor(projection(tensor.shape, seed, index).astype(tensor.dtype))
        term = (tensor * weights).sum()
        loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()


def _run_gradcheck(exercise: Exercise, answer: Any, seed: int) -> str | None:
    x = exercise.gradcheck_input(numpy.random.default_rng([seed, 99]))
    try:
        gradcheck(lambda t: answer.apply(t), [Tensor(x, requires_grad=True)])
    except GradcheckError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001
        return f"gradcheck could not run: {type(error).__name__}: {error}"
    return None


# ------------------------------------------------------------------ output structure


def _collect(
    exercise: Exercise, result: Any, values: dict[str, numpy.ndarray], want_tensors: bool,
    tensors: dict[str, Tensor] | None = None,
) -> Failure | None:
    """Flatten ``result`` into values[path]; a Failure when its structure is wrong."""
    names = exercise.outputs
    if len(names) == 1:
        parts = [result]
    elif isinstance(result, tuple | list) and len(result) == len(names):
        parts = list(result)
    else:
        found = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, tuple | list) else "")
        return Failure(
            "wrong_structure",
            f"{exercise.name} should return {len(names)} values ({', '.join(n.rstrip('[]') for n in names)}) "
            f"as a tuple, but returned {found}. End with: return {', '.join(n.rstrip('[]') for n in names)}",
        )
    for name, part in zip(names, parts, strict=True):
        if name.endswith("[]"):
            if not isinstance(part, list | tuple):
                return Failure("wrong_structure", f"{name[:-2]} should be a list of arrays, got {type(part).__name__}.")
            items = [(f"{name[:-2]}.{i}", p) for i, p in enumerate(part)]
        else:
            items = [(name, part)]
        for path, item in items:
            failure = _store(exercise, path, item, values, want_tensors, tensors)
            if failure is not None:
                return failure
    return None


def _store(exercise, path, item, values, want_tensors, tensors) -> Failure | None:
    if item is None:
        return Failure(
            "wrong_structure",
            f"{exercise.name} returned None for {path}: did the function end without a return "
            "statement? Finish with return and the result.",
        )
    if isinstance(item, Tensor):
        values[path] = numpy.array(item.numpy(), dtype="float64")
        if want_tensors:
            tensors[path] = item
        return None
    if want_tensors:
        try:
            values[path] = numpy.array(item, dtype="float64")
        except (TypeError, ValueError):
            pass
        if isinstance(item, list | tuple) and item and all(isinstance(x, Tensor) for x in item):
            return Failure(
                "wrong_structure",
                f"{path} is a list of {len(item)} Tensors; join them into one Tensor with "
                "lk.stack(items, axis=0).",
            )
        return Failure(
            "not_a_tensor",
            f"{path} is {_kind_of(item)}, not an lstmkit Tensor, so gradients cannot flow "
            "back through it. A NumPy function (np.tanh, np.exp, np.concatenate...) or .numpy() "
            "took the values out of the graph; use Tensor operations (x.tanh(), lk.concat(...), @).",
        )
    try:
        values[path] = numpy.array(item, dtype="float64")
    except (TypeError, ValueError) as error:
        return Failure("wrong_structure", f"{path} should be an array or a number, got {type(item).__name__} ({error}).")
    return None


def _kind_of(item: Any) -> str:
    if isinstance(item, numpy.ndarray):
        return "a NumPy array"
    return f"a {type(item).__name__}"


# ------------------------------------------------------------------ exceptions


def _failure_from(error: BaseException, answer: Any, kind: str = "error") -> Failure:
    detail = f"{type(error).__name__}: {error}"
    where = _where(error, answer)
    if isinstance(error, NotImplementedError):
        return Failure("not_implemented", str(error) or "not implemented yet", detail)
    if isinstance(error, TypeError) and NUMPY_MARK in str(error):
        return Failure(
            "numpy_in_graph",
            "a NumPy function was given an lstmkit Tensor" + where + ". NumPy cannot record "
            "operations for backward, so lstmkit refuses; use the Tensor's own operations "
            "(x.tanh(), x.sigmoid(), x @ W.T, lk.concat([a, b], axis=-1)).",
            detail,
        )
    return Failure(kind, f"{detail}{where}", detail)  # type: ignore[arg-type]


def _where(error: BaseException, answer: Any) -> str:
    """' (in learn_gate, line 4: x = ...)' for the learner's last frame, or ''."""
    filenames = set()
    for fn in _functions_of(answer):
        filenames.add(fn.__code__.co_filename)
    last = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in filenames:
            last = frame
    if last is None:
        return ""
    line = f": {last.line.strip()}" if last.line else ""
    return f" (in {last.name}, line {last.lineno}{line})"


def _functions_of(answer: Any) -> list[Any]:
    if isinstance(answer, type):
        return [v for v in vars(answer).values() if hasattr(v, "__code__")]
    return [answer] if hasattr(answer, "__code__") else []
