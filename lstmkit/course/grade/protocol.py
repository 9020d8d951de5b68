"""What crosses the sandbox boundary: plain arrays and JSON, never pickles.

A *bundle* is two files with one stem: ``stem.npz`` (float64 arrays, read back with
``allow_pickle=False``) and ``stem.json`` (the structure, strings and numbers). The
JSON file is written last, so a bundle without it is incomplete and ignored.

Inputs: ``{"exercises": [{name, kind, signature, outputs, differentiable, forbidden,
cases: [{label, seed, inputs, gradcheck_input}]}]}`` where every array in ``inputs``
is ``{"array": key}`` (a NumPy scalar ``{"scalar": key}``), a list ``{"list": [...]}``, a dict ``{"dict": {...}}`` and a
number ``{"number": x}``.

Outputs of one exercise: ``{"exercise": name, "cases": [{values: {path: key},
grads: {path: key or null}, failure: {kind, message, detail} or null, gradcheck,
warnings}]}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy

from ..spec import Failure, Outputs

#: failure kinds a sandboxed run may report (anything else is treated as a crash)
FAILURE_KINDS = frozenset({
    "not_implemented", "error", "numpy_in_graph", "not_a_tensor", "no_graph",
    "wrong_structure", "backward_error", "forbidden", "timeout", "crash",
})
MAX_TEXT = 2000  #: longest message kept from the sandbox
MAX_ELEMENTS = 1_000_000  #: largest array accepted back from the sandbox


class ProtocolError(ValueError):
    """A bundle from the sandbox is malformed (treated as a crash of that exercise)."""


def encode_value(value: Any, arrays: dict[str, numpy.ndarray], key: str) -> Any:
    """JSON for an input value; its arrays go to ``arrays`` under keys built on ``key``."""
    if isinstance(value, dict):
        return {"dict": {k: encode_value(v, arrays, f"{key}.{k}") for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"list": [encode_value(v, arrays, f"{key}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, numpy.ndarray):
        arrays[key] = numpy.asarray(value, dtype="float64")
        return {"array": key}
    if isinstance(value, numpy.floating):  # a NumPy scalar (0-d array times a number) stays one
        arrays[key] = numpy.asarray(value, dtype="float64")
        return {"scalar": key}
    if isinstance(value, bool | int | float | numpy.integer):
        return {"number": float(value) if isinstance(value, float | numpy.floating) else int(value)}
    raise TypeError(f"cannot send an input of type {type(value).__name__} to the sandbox; expected arrays, lists, dicts or numbers")


def decode_value(node: Any, arrays: Any) -> Any:
    """The inverse of :func:`encode_value` (arrays from an open ``.npz``)."""
    if "dict" in node:
        return {k: decode_value(v, arrays) for k, v in node["dict"].items()}
    if "list" in node:
        return [decode_value(v, arrays) for v in node["list"]]
    if "array" in node:
        return numpy.array(arrays[node["array"]], dtype="float64")
    if "scalar" in node:
        return numpy.float64(arrays[node["scalar"]][()])
    return node["number"]


def write_bundle(stem: str | Path, header: dict[str, Any], arrays: dict[str, numpy.ndarray]) -> None:
    """Write ``stem.npz`` then ``stem.json`` (the JSON marks the bundle complete)."""
    stem = str(stem)
    with open(stem + ".npz", "wb") as handle:
        numpy.savez(handle, **arrays)
    with open(stem + ".json.part", "w", encoding="utf-8") as handle:
        json.dump(header, handle)
    os.replace(stem + ".json.part", stem + ".json")


def read_bundle(stem: str | Path) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """Read a bundle back: (header, arrays), refusing pickles and non-numeric arrays."""
    stem = str(stem)
    try:
        with open(stem + ".json", encoding="utf-8") as handle:
            header = json.load(handle)
        with numpy.load(stem + ".npz", allow_pickle=False) as data:
            arrays = {}
            for key in data.files:
                array = data[key]
                if array.dtype.kind not in "fiub" or array.size > MAX_ELEMENTS:
                    raise ProtocolError(f"array {key!r} has dtype {array.dtype} and {array.size} elements; expected numbers")
                arrays[key] = numpy.array(array, dtype="float64")
    except (OSError, ValueError, json.JSONDecodeError) as error:
        raise ProtocolError(f"the sandbox's result {Path(stem).name} could not be read ({type(error).__name__}: {error})") from error
    if not isinstance(header, dict):
        raise ProtocolError("the sandbox's result header is not a JSON object")
    return header, arrays


# ------------------------------------------------------------------ outputs


def outputs_to_json(outputs: Outputs, arrays: dict[str, numpy.ndarray], prefix: str) -> dict[str, Any]:
    """JSON for one case's Outputs; arrays go to ``arrays`` under ``prefix``."""
    values = {}
    for path, value in outputs.values.items():
        values[path] = f"{prefix}.v.{path}"
        arrays[values[path]] = numpy.asarray(value, dtype="float64")
    grads: dict[str, str | None] = {}
    for path, grad in outputs.grads.items():
        grads[path] = None if grad is None else f"{prefix}.g.{path}"
        if grad is not None:
            arrays[f"{prefix}.g.{path}"] = numpy.asarray(grad, dtype="float64")
    failure = outputs.failure
    return {
        "values": values,
        "grads": grads,
        "failure": None if failure is None else {"kind": failure.kind, "message": failure.message, "detail": failure.detail},
        "gradcheck": outputs.gradcheck,
        "warnings": list(outputs.warnings),
    }


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def outputs_from_json(node: Any, arrays: dict[str, numpy.ndarray]) -> Outputs:
    """Outputs from the sandbox's JSON, validated: a ProtocolError when malformed."""
    try:
        values = {_text(path): arrays[key] for path, key in node["values"].items()}
        grads = {_text(path): (None if key is None else arrays[key]) for path, key in node["grads"].items()}
        failure = None
        if node["failure"] is not None:
            kind = node["failure"]["kind"]
            if kind not in FAILURE_KINDS:
                raise ProtocolError(f"unknown failure kind {kind!r}")
            failure = Failure(kind, _text(node["failure"]["message"]), _text(node["failure"].get("detail", "")))
        gradcheck = None if node["gradcheck"] is None else _text(node["gradcheck"])
        warnings = tuple(_text(w) for w in node["warnings"][:20])
    except (KeyError, TypeError, AttributeError) as error:
        raise ProtocolError(f"malformed case result ({type(error).__name__}: {error})") from error
    return Outputs(values=values, grads=grads, failure=failure, gradcheck=gradcheck, warnings=warnings)
