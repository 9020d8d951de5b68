"""The learner's side of checking: call an answer on hidden cases, return plain arrays.

This is the only part of checking that touches the learner's code, and it is the
same in a notebook (``check()``) and in the grader's sandbox: :func:`run_cases` is the
one case loop, with the one stop rule (:data:`~.model.STOP_KINDS`), and
:func:`learner_inputs` the one function that turns a case's inputs into what the
answer receives, so a case has the same Python types in both.

Nothing here raises for what the answer does: exceptions, NumPy cutting the graph,
outputs of the wrong kind all become a :class:`~.model.Failure` in the returned
:class:`~.model.Outputs`. The trusted reference and the typical mistakes are run
through the same code, so all three are measured alike.
"""

from __future__ import annotations

import collections
import linecache
import traceback
import warnings
from collections.abc import Iterable
from typing import Any

import numpy

from ..autograd.function import Function
from ..autograd.gradcheck import GradcheckError, gradcheck
from ..autograd.tensor import Tensor
from .forbidden import Forbidden, functions_of, global_arrays, in_objects, qualified_name, refusal
from .model import STOP_KINDS, Case, Failure, Outputs, Spec

#: words in the TypeErrors NumPy and lstmkit raise when a NumPy function meets a Tensor
NUMPY_MARKS = ("handed to NumPy", "__array_ufunc__")
MAX_TAPE = 150  #: intermediate Tensors sent back for the judge to read, per case
MAX_TAPE_ELEMENTS = 100_000  #: their elements in all, per case (the wire format bounds what crosses)


def compile_cell(source: str, index: int) -> Any:
    """A notebook cell's code, compiled as ``<cell N>`` with its lines known to tracebacks
    (as IPython does), so that feedback can quote the learner's line wherever the cell runs."""
    filename = f"<cell {index}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


def learner_inputs(value: Any) -> Any:
    """A fresh copy of a case input as the answer receives it: float64 arrays (0-d ones too),
    lists and dicts of them, plain numbers."""
    if isinstance(value, dict):
        return {str(k): learner_inputs(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [learner_inputs(v) for v in value]
    if isinstance(value, numpy.ndarray | numpy.generic) and not isinstance(value, numpy.bool_):
        return numpy.array(value, dtype="float64")
    if isinstance(value, bool | numpy.bool_):
        return bool(value)
    if isinstance(value, int | numpy.integer):
        return int(value)
    return float(value)


def _arrays_in(value: Any, path: str) -> list[tuple[str, Any]]:
    """(path, array or Tensor) for every array inside an input."""
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _arrays_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in _arrays_in(v, f"{path}.{i}")]
    return [(path, value)] if isinstance(value, numpy.ndarray | Tensor) else []


def _as_tensors(value: Any, requires_grad: bool) -> Any:
    if isinstance(value, dict):
        return {k: _as_tensors(v, requires_grad) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_tensors(v, requires_grad) for v in value]
    if isinstance(value, numpy.ndarray):
        return Tensor(value, requires_grad=requires_grad)
    return value


def tensor_arguments(spec: Spec, case: Case) -> list[Any]:
    """The case's inputs as the answer's arguments: Tensors (differentiable ones requiring grad)."""
    given = {name: learner_inputs(case.inputs[name]) for name in spec.signature}
    return [_as_tensors(given[n], n in spec.differentiable) for n in spec.signature]


def run_cases(spec: Spec, answer: Any, cases: Iterable[Case]) -> list[Outputs]:
    """The case loop: ``answer``'s outputs on each case, stopping after a stop kind."""
    results = []
    for case in cases:
        outputs = compute_outputs(spec, answer, case)
        results.append(outputs)
        if outputs.failure is not None and outputs.failure.kind in STOP_KINDS:
            break
    return results


def compute_outputs(spec: Spec, answer: Any, case: Case, trusted: bool = False, gradients: bool = True) -> Outputs:
    """Run ``answer`` (function or Function class, per ``spec.kind``) on ``case``.

    Returns the outputs' values and the gradients of a fixed random projection of them
    with respect to every differentiable input, as float64 arrays. ``trusted`` (the
    reference and its variants) skips the checks on where the answer comes from;
    ``gradients=False`` (the judge comparing a mistake's values) skips backward.
    """
    if not trusted:
        refusal = _refuse(spec, answer)
        if refusal is not None:
            return Outputs(failure=refusal)
    with warnings.catch_warnings(record=True) as caught, numpy.errstate(
        over="warn", divide="warn", invalid="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        outputs = _compute(spec, answer, case, gradients)
    messages = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    return Outputs(outputs["values"], outputs["grads"], outputs["failure"], outputs["gradcheck"], messages,
                   outputs["changed"], outputs["tape"], outputs["cut"], outputs["stray"])


def _refuse(spec: Spec, answer: Any) -> Failure | None:
    """A Failure when the answer is not the learner's own: taken from lstmkit, or using forbidden names."""
    rule = Forbidden(spec.forbidden)
    taken = [qualified_name(answer) or ""]
    if isinstance(answer, type):  # a subclass that inherits lstmkit's own forward or backward
        for method in ("forward", "backward"):
            owner = next((k for k in answer.__mro__ if method in vars(k)), None)
            if owner is not None and owner is not Function:
                taken.append(qualified_name(owner) or "")
    for origin in taken:
        if origin.startswith("lstmkit.") or rule.matches(origin):
            return Failure("forbidden", f"{spec.name} is, or inherits from, {origin}, which comes with lstmkit: "
                           "this exercise asks you to write it yourself.")
    found = in_objects(answer, rule)
    return Failure("forbidden", refusal(spec.name, found)) if found else None


def _compute(spec: Spec, answer: Any, case: Case, gradients: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {"values": {}, "grads": {}, "failure": None, "gradcheck": None, "changed": (),
                              "tape": (), "cut": (), "stray": tuple(global_arrays(answer))}
    names = spec.signature
    given = {name: learner_inputs(case.inputs[name]) for name in names}
    originals = {path: numpy.array(a) for name in names for path, a in _arrays_in(given[name], name)}
    tensors_wanted = spec.kind != "array_function"
    args = {n: _as_tensors(v, n in spec.differentiable) if tensors_wanted else v for n, v in given.items()}
    leaves = dict(p for n in names for p in _arrays_in(args[n], n)) if tensors_wanted else {}
    try:
        returned = _call(spec, answer, [args[n] for n in names])
    except (Exception, SystemExit) as error:  # noqa: BLE001  (anything the answer does is reported; ^C is not)
        result["failure"] = failure_from(error, answer)
        return result
    finally:
        result["changed"] = _changed(originals, {n: args[n] for n in names})
    tensors: dict[str, Tensor] = {}
    result["failure"] = _collect(spec, returned, result["values"], tensors if tensors_wanted else None)
    if tensors:
        result["tape"], result["cut"] = _tape(tensors, leaves)
    if result["failure"] is not None or not tensors_wanted or not spec.differentiable or not gradients:
        return result
    detached = [path for path, t in tensors.items() if not t.requires_grad]
    if detached:
        result["failure"] = Failure(
            "no_graph",
            f"{detached[0]} is a Tensor with no gradient graph behind it, so nothing can flow back to the "
            "inputs. This happens when values leave lstmkit (.numpy(), .data, lk.tensor(...) around a "
            "result) or inside no_grad(); compute with Tensor operations all the way.",
        )
        return result
    try:
        _backward_projection(tensors, case.seed)
    except (Exception, SystemExit) as error:  # noqa: BLE001
        result["failure"] = failure_from(error, answer, kind="backward_error")
        return result
    for path, leaf in leaves.items():
        if isinstance(leaf, Tensor) and leaf.requires_grad:
            result["grads"][path] = None if leaf.grad is None else numpy.array(leaf.grad, dtype="float64")
    if spec.kind == "function_class" and case.gradcheck_input is not None:
        result["gradcheck"] = _run_gradcheck(answer, case.gradcheck_input)
    return result


def _tape(outputs: dict[str, Tensor], leaves: dict[str, Any]) -> tuple[tuple[numpy.ndarray, ...], ...]:
    """(values computed on the learner's graph, values of Tensors on it made from plain values).

    Read before backward (which frees the graph), breadth first from the outputs (the
    results nearest the output first), within MAX_TAPE arrays and MAX_TAPE_ELEMENTS.
    """
    inputs = {id(t) for t in leaves.values()}
    seen: set[int] = set()
    computed: list[numpy.ndarray] = []
    cut: list[numpy.ndarray] = []
    budget = MAX_TAPE_ELEMENTS
    todo = collections.deque(outputs.values())
    while todo and len(computed) + len(cut) < MAX_TAPE and len(seen) < 20 * MAX_TAPE:
        tensor = todo.popleft()
        if id(tensor) in seen or not isinstance(tensor, Tensor):
            continue
        seen.add(id(tensor))
        size = int(numpy.prod(tensor.shape))
        kept = 0 < size <= budget and len(tensor.shape) >= 1
        creator = tensor._creator
        if kept and (creator is not None or id(tensor) not in inputs):
            budget -= size
            (computed if creator is not None else cut).append(numpy.array(tensor.numpy(), dtype="float64"))
        if creator is not None:
            todo.extend(getattr(creator, "inputs", ()))
    return tuple(computed), tuple(cut)


def _call(spec: Spec, answer: Any, args: list[Any]) -> Any:
    if spec.kind == "function_class":
        if not (isinstance(answer, type) and hasattr(answer, "apply")):
            raise TypeError(
                f"{spec.name} should be a class (class {spec.name}(lk.Function): ...), but got "
                f"{type(answer).__name__}; run the cell that defines the class."
            )
        return answer.apply(*args)
    return answer(*args)


def _changed(originals: dict[str, numpy.ndarray], args: dict[str, Any]) -> tuple[str, ...]:
    """Inputs whose arrays the answer modified in place."""
    now = dict(p for n, v in args.items() for p in _arrays_in(v, n))
    changed = []
    for path, before in originals.items():
        after = now.get(path)
        after = after.data if isinstance(after, Tensor) else after
        if after is None or numpy.asarray(after).shape != before.shape or not numpy.array_equal(
                numpy.asarray(after), before, equal_nan=True):
            changed.append(path)
    return tuple(changed)


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


def _run_gradcheck(answer: Any, x: numpy.ndarray) -> str | None:
    try:
        gradcheck(lambda t: answer.apply(t), [Tensor(numpy.array(x, dtype="float64"), requires_grad=True)])
    except GradcheckError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001
        return f"gradcheck could not run: {type(error).__name__}: {error}"
    return None


# ------------------------------------------------------------------ output structure


def _collect(spec: Spec, returned: Any, values: dict[str, numpy.ndarray],
             tensors: dict[str, Tensor] | None) -> Failure | None:
    """Flatten ``returned`` into values[path] (and tensors[path]); a Failure when its structure is wrong."""
    names = spec.outputs
    plain = ", ".join(spec.output_names)
    if len(names) == 1:
        parts = [returned]
    elif isinstance(returned, tuple | list) and len(returned) == len(names):
        parts = list(returned)
    else:
        found = f"a {type(returned).__name__}" + (
            f" of length {len(returned)}" if isinstance(returned, tuple | list) else "")
        return Failure("wrong_structure", f"{spec.name} should return {len(names)} values ({plain}) as a tuple, "
                       f"but returned {found}. End with: return {plain}")
    for name, part in zip(names, parts, strict=True):
        if name.endswith("[]"):
            if not isinstance(part, list | tuple):
                return Failure("wrong_structure", f"{name[:-2]} should be a list of arrays, got {type(part).__name__}.")
            items = [(f"{name[:-2]}.{i}", p) for i, p in enumerate(part)]
        else:
            items = [(name, part)]
        for path, item in items:
            failure = _store(spec, path, item, values, tensors)
            if failure is not None:
                return failure
    return None


def _store(spec: Spec, path: str, item: Any, values: dict[str, numpy.ndarray],
           tensors: dict[str, Tensor] | None) -> Failure | None:
    if item is None:
        return Failure("wrong_structure", f"{spec.name} returned None for {path}: did the function end without a "
                       "return statement? Finish with return and the result.")
    if isinstance(item, Tensor):
        values[path] = numpy.array(item.numpy(), dtype="float64")
        if tensors is not None:
            tensors[path] = item
        return None
    try:
        values[path] = numpy.array(item, dtype="float64")
    except (TypeError, ValueError) as error:
        values.pop(path, None)
        if tensors is None:
            return Failure("wrong_structure", f"{path} should be an array or a number, got "
                           f"{type(item).__name__} ({error}).")
    if tensors is None:
        return None
    if isinstance(item, list | tuple) and item and all(isinstance(x, Tensor) for x in item):
        return Failure("wrong_structure", f"{path} is a list of {len(item)} Tensors; join them into one Tensor "
                       "with lk.stack(items, axis=0).")
    kind = "a NumPy array" if isinstance(item, numpy.ndarray) else f"a {type(item).__name__}"
    return Failure("not_a_tensor", f"{path} is {kind}, not an lstmkit Tensor, so gradients cannot flow back "
                   "through it. A NumPy function (np.tanh, np.exp, np.concatenate...) or .numpy() took the values "
                   "out of the graph; use Tensor operations (x.tanh(), lk.concat(...), @).")


# ------------------------------------------------------------------ exceptions


def failure_from(error: BaseException, answer: Any, kind: str = "error") -> Failure:
    """A Failure for an exception the answer raised, with the learner's line when known."""
    detail = f"{type(error).__name__}: {error}"
    line = learner_line(error, answer)
    where = f" ({line})" if line else ""
    if isinstance(error, NotImplementedError):
        return Failure("not_implemented", str(error) or "not implemented yet", detail, line)
    if isinstance(error, TypeError) and any(mark in str(error) for mark in NUMPY_MARKS):
        return Failure(
            "numpy_in_graph",
            "a NumPy function was given an lstmkit Tensor" + where + ". NumPy cannot record operations for "
            "backward, so lstmkit refuses; use the Tensor's own operations (x.tanh(), x.sigmoid(), x @ W.T, "
            "lk.concat([a, b], axis=-1)).",
            detail, line,
        )
    return Failure(kind, f"{detail}{where}", detail, line)


def learner_line(error: BaseException, answer: Any) -> str:
    """'in learn_gate, line 4: x = ...' for the deepest frame of the learner's code, or ''."""
    filenames = {fn.__code__.co_filename for fn in functions_of(answer)}
    last = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in filenames:
            last = frame
    if last is None:
        return ""
    text = f": {last.line.strip()}" if last.line else ""
    return f"in {last.name}, line {last.lineno}{text}"
