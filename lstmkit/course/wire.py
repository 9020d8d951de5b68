"""The one format that crosses the sandbox boundary, and stores results: typed trees.

A *tree* is a registered dataclass (:func:`register`), a dict with string keys, a
list or tuple, a string, a number, a bool, None, or a NumPy array, nested. It is
written as JSON in which every dataclass is ``{"type": name, "fields": {...}}`` and
every array ``{"array": index}``; the arrays travel beside the JSON:

* :func:`dumps` / :func:`loads` -- a tree with arrays as the bytes of one ``.npz`` file
  (the JSON as member ``tree``, array ``k`` as member ``a{k}``; no pickle);
* :func:`to_json` / :func:`from_json` -- a tree without arrays as JSON text (results,
  resume state).

Decoding trusts nothing: a dataclass is rebuilt only if its type is registered and
every field conforms to its annotation; the JSON's depth and size are bounded; every
array's dtype, shape and size are read from its header before any memory is given to
it, per array and in total; members and compression ratios are checked (no zip bombs);
files are opened without following links and must be regular files. Anything else
raises :class:`WireError`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import stat
import types
import typing
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
from numpy.lib import format as npy_format

_TYPES: dict[str, type] = {}


class WireError(ValueError):
    """Data from the other side is malformed, too large, or not what was expected."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what :func:`loads` accepts."""

    max_bytes: int = 64 * 2**20  #: the file itself
    max_json_bytes: int = 4 * 2**20
    max_depth: int = 40
    max_arrays: int = 2000
    max_elements: int = 2_000_000  #: one array
    max_total_elements: int = 8_000_000  #: all arrays together
    max_ratio: int = 200  #: uncompressed / compressed size of a member


DEFAULT_LIMITS = Limits()


def register(cls: type) -> type:
    """Allow dataclass ``cls`` in trees (use as a decorator or a call)."""
    _TYPES[cls.__name__] = cls
    return cls


# ------------------------------------------------------------------ encoding


def _encode(value: Any, arrays: list[numpy.ndarray] | None) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _TYPES.get(name) is not type(value):
            raise TypeError(f"{name} is not a registered wire type")
        return {"type": name, "fields": {f.name: _encode(getattr(value, f.name), arrays)
                                         for f in dataclasses.fields(value)}}
    if isinstance(value, numpy.ndarray | numpy.generic) and not isinstance(value, numpy.bool_ | numpy.str_):
        if arrays is None:
            raise TypeError("arrays cannot be written as JSON; use dumps()")
        arrays.append(numpy.asarray(value))
        return {"array": len(arrays) - 1}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be strings")
        return {"dict": {k: _encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, numpy.bool_):
        return bool(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"cannot encode a {type(value).__name__}")


def dumps(tree: Any) -> bytes:
    """The bytes of an ``.npz`` file holding ``tree`` (JSON plus its arrays)."""
    arrays: list[numpy.ndarray] = []
    text = json.dumps(_encode(tree, arrays), allow_nan=True).encode()
    members = {"tree": numpy.frombuffer(text, dtype=numpy.uint8)}
    members.update({f"a{i}": a for i, a in enumerate(arrays)})
    buffer = io.BytesIO()
    numpy.savez(buffer, **members)
    return buffer.getvalue()


def to_json(tree: Any) -> str:
    """``tree`` (no arrays) as JSON text."""
    return json.dumps(_encode(tree, None), indent=1, sort_keys=True, allow_nan=True)


# ------------------------------------------------------------------ decoding


def _depth_ok(text: str, max_depth: int) -> bool:
    """True when the JSON text nests no deeper than ``max_depth`` (checked before parsing)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _parse_json(text: str, limits: Limits) -> Any:
    if len(text) > limits.max_json_bytes:
        raise WireError(f"the JSON is {len(text)} bytes; at most {limits.max_json_bytes} are accepted")
    if not _depth_ok(text, limits.max_depth):
        raise WireError(f"the JSON nests deeper than {limits.max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"the JSON cannot be read ({error})") from error


def _hints(cls: type) -> dict[str, Any]:
    cached = getattr(cls, "__wire_hints__", None)
    if cached is None or cached[0] is not cls:
        cached = (cls, typing.get_type_hints(cls))
        cls.__wire_hints__ = cached
    return cached[1]


def _conform(value: Any, hint: Any, where: str) -> Any:
    """``value`` checked (and tuples restored) against the annotation ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return _conform(value, option, where)
            except WireError:
                continue
        raise WireError(f"{where}: {type(value).__name__} fits none of {hint}")
    if hint is type(None):
        if value is not None:
            raise WireError(f"{where}: expected None, got {type(value).__name__}")
        return None
    if origin is typing.Literal:
        if value not in args:
            raise WireError(f"{where}: {value!r} is not one of {args}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise WireError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        return tuple(_conform(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise WireError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        return [_conform(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise WireError(f"{where}: expected a dict, got {type(value).__name__}")
        item = args[1] if args else Any
        return {str(k): _conform(v, item, f"{where}.{k}") for k, v in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WireError(f"{where}: expected a number, got {type(value).__name__}")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise WireError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
        return value
    if hint is numpy.ndarray:
        if not isinstance(value, numpy.ndarray):
            raise WireError(f"{where}: expected an array, got {type(value).__name__}")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            raise WireError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
        return value
    raise WireError(f"{where}: no rule for {hint}")


def _decode(node: Any, arrays: list[numpy.ndarray] | None, where: str = "tree") -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        if node is None or isinstance(node, str | bool | int | float):
            return node
        raise WireError(f"{where}: unexpected {type(node).__name__}")
    if set(node) == {"array"}:
        index = node["array"]
        if arrays is None or not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(arrays):
            raise WireError(f"{where}: no array {index!r}")
        return arrays[index]
    if set(node) == {"dict"} and isinstance(node["dict"], dict):
        return {str(k): _decode(v, arrays, f"{where}.{k}") for k, v in node["dict"].items()}
    if set(node) == {"type", "fields"} and isinstance(node["fields"], dict):
        cls = _TYPES.get(node["type"]) if isinstance(node["type"], str) else None
        if cls is None:
            raise WireError(f"{where}: {node['type']!r} is not a known type")
        hints = _hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(node["fields"]) - set(fields)
        if unknown:
            raise WireError(f"{where}: {cls.__name__} has no field {sorted(unknown)[0]!r}")
        values = {}
        for name, raw in node["fields"].items():
            values[name] = _conform(_decode(raw, arrays, f"{where}.{name}"), hints[name], f"{where}.{name}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:  # a required field is missing, or the type refuses a value
            raise WireError(f"{where}: {cls.__name__} cannot be built ({error})") from error
    raise WireError(f"{where}: unexpected object with keys {sorted(node)[:5]}")


def from_json(text: str, expected: type | None = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The tree in JSON ``text``; a WireError unless it is valid (and an ``expected`` instance)."""
    return _expect(_decode(_parse_json(text, limits), None), expected)


def _expect(tree: Any, expected: type | None) -> Any:
    if expected is not None and not isinstance(tree, expected):
        raise WireError(f"expected a {expected.__name__}, got {type(tree).__name__}")
    return tree


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: list[int]) -> numpy.ndarray:
    """One ``.npy`` member, its header checked before its data is read."""
    if info.flag_bits & 0x1:
        raise WireError(f"member {info.filename} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise WireError(f"member {info.filename} uses compression method {info.compress_type}")
    if info.file_size > limits.max_ratio * max(info.compress_size, 1) + 4096:
        raise WireError(f"member {info.filename} would expand {info.file_size} bytes from {info.compress_size}")
    with archive.open(info) as handle:
        try:
            version = npy_format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = npy_format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, fortran, dtype = npy_format.read_array_header_2_0(handle)
            else:
                raise WireError(f"member {info.filename} has .npy version {version}")
        except (ValueError, SyntaxError) as error:
            raise WireError(f"member {info.filename} is not a .npy array ({error})") from error
        if dtype.hasobject or dtype.kind not in "biuf" or dtype.itemsize > 8:
            raise WireError(f"member {info.filename} has dtype {dtype}; only numbers are accepted")
        count = 1
        for size in shape:
            count *= int(size)
        if count > limits.max_elements:
            raise WireError(f"member {info.filename} declares {count} elements; at most {limits.max_elements}")
        budget[0] -= count
        if budget[0] < 0:
            raise WireError(f"the arrays hold more than {limits.max_total_elements} elements in all")
        data = handle.read(count * dtype.itemsize + 1)
    if len(data) != count * dtype.itemsize:
        raise WireError(f"member {info.filename} holds {len(data)} bytes for {count} elements of {dtype}")
    array = numpy.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.copy()


def loads(data: bytes, expected: type | None = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The tree in the bytes of an ``.npz`` written by :func:`dumps` (validated; see the module)."""
    if len(data) > limits.max_bytes:
        raise WireError(f"the file is {len(data)} bytes; at most {limits.max_bytes} are accepted")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise WireError(f"not a readable .npz file ({error})") from error
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        if len(infos) != len(archive.infolist()) or "tree.npy" not in infos or len(infos) > limits.max_arrays + 1:
            raise WireError("the .npz file does not have the expected members")
        names = {f"a{i}.npy" for i in range(len(infos) - 1)} | {"tree.npy"}
        if set(infos) != names:
            raise WireError("the .npz file does not have the expected members")
        budget = [limits.max_total_elements + limits.max_json_bytes]
        try:
            text_array = _read_member(archive, infos["tree.npy"], limits, budget)
            arrays = [_read_member(archive, infos[f"a{i}.npy"], limits, budget) for i in range(len(infos) - 1)]
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
            raise WireError(f"the .npz file is damaged ({type(error).__name__}: {error})") from error
    if text_array.dtype != numpy.uint8 or text_array.ndim != 1:
        raise WireError("the tree member is not text")
    try:
        text = text_array.tobytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise WireError("the tree member is not UTF-8 text") from error
    return _expect(_decode(_parse_json(text, limits), arrays), expected)


def read_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file, opened without following a link, at most ``limits.max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise WireError(f"{Path(path).name} cannot be opened ({error.strerror}; links are not followed)") from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise WireError(f"{Path(path).name} is not a regular file")
        if info.st_size > limits.max_bytes:
            raise WireError(f"{Path(path).name} is {info.st_size} bytes; at most {limits.max_bytes} are accepted")
        return handle.read(limits.max_bytes + 1)


def load(path: str | os.PathLike[str], expected: type | None = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """:func:`loads` on a file read with :func:`read_file`."""
    return loads(read_file(path, limits), expected, limits)
