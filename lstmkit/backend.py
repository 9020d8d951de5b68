"""The one place that chooses NumPy or CuPy.

Every other module asks this one for the array module of the data at hand
(``xp_of(array)``) or for the module of a device (``array_module("cuda")``), and
never imports ``cupy`` itself. That rule is what lets the same engine code run on
the CPU and on a GPU.

Devices are named ``"cpu"``, ``"cuda"`` or ``"auto"`` (the GPU when CuPy is
installed *and* a device is really usable, else the CPU). The environment variable
``LSTMKIT_DEVICE`` sets the default.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy

DEVICES = ("cpu", "cuda", "auto")


class Device(str):
    """A device name with torch's ``device`` interface: ``lstmkit.device("cuda:0")``.

    It *is* the string ("cpu", "cuda" or "cuda:0"), so it compares equal to the plain
    names lstmkit uses everywhere; ``.type`` is "cpu" or "cuda" and ``.index`` the GPU
    number (None when not given).
    """

    def __new__(cls, spec: Any = "cpu", index: int | None = None) -> Device:
        text = str(spec).strip().lower()
        kind, _, number = text.partition(":")
        if kind not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise DeviceError(
                f"device({spec!r}): expected 'cpu', 'cuda' or 'cuda:N'; lstmkit runs on the CPU "
                "(NumPy) or one CUDA GPU (CuPy)."
            )
        if index is not None:
            number = str(int(index))
        self = super().__new__(cls, f"{kind}:{number}" if number else kind)
        self.type, self.index = kind, int(number) if number else None
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other_kind, _, other_number = other.partition(":")
            mine = str.__str__(self).partition(":")
            return mine[0] == other_kind and (not mine[2] or not other_number or mine[2] == other_number)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")


CPU = Device("cpu")
CUDA = Device("cuda")


def device_object(array: Any) -> Device:
    """Where an array lives, as a ``Device``."""
    if type(array) is numpy.ndarray:  # the common case, asked by every op with two inputs
        return CPU
    return CPU if device_of(array) == "cpu" else CUDA


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used here."""


@functools.lru_cache(maxsize=1)
def _import_cupy() -> tuple[Any, str]:
    """Return ``(cupy, "")`` when CuPy works with a CUDA device, else ``(None, reason)``.

    ``import cupy`` succeeds on machines without a GPU; only the first allocation
    fails, so this probes a real allocation before saying yes.
    """
    try:
        import cupy  # noqa: PLC0415  (the only cupy import in lstmkit)
    except ImportError:
        return None, (
            "CuPy is not installed. Install the GPU extra "
            "(pip install 'lstmkit[gpu]', CUDA 12) or use device='cpu'."
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError, or a missing driver library
        return None, (
            f"CuPy is installed but no CUDA device is usable ({error}). "
            "Check `nvidia-smi` and the driver, or use device='cpu'."
        )
    if count == 0:
        return None, "CuPy is installed but this machine has no CUDA device; use device='cpu'."
    try:
        cupy.zeros(1).sum().item()
    except Exception as error:
        return None, (
            f"CuPy found {count} CUDA device(s) but could not compute on them ({error}); "
            "the driver may be older than CuPy's CUDA. Update the driver or use device='cpu'."
        )
    return cupy, ""


def cuda_available() -> bool:
    """True when CuPy is installed and a CUDA device really computes."""
    return _import_cupy()[0] is not None


def cuda_unavailable_reason() -> str:
    """Why ``cuda`` cannot be used here ("" when it can)."""
    return _import_cupy()[1]


def resolve_device(device: str | None = None) -> str:
    """Turn ``None | "cpu" | "cuda" | "auto"`` into ``"cpu"`` or ``"cuda"``.

    ``None`` means the default: ``$LSTMKIT_DEVICE`` or ``"cpu"``. ``"cuda"`` raises
    :class:`DeviceError` with the reason when no GPU is usable; ``"auto"`` falls back
    to the CPU instead.
    """
    if device is None:
        device = os.environ.get("LSTMKIT_DEVICE", "cpu").strip().lower() or "cpu"
        source = "LSTMKIT_DEVICE"
    else:
        source = "device"
        if isinstance(device, Device) or hasattr(device, "type") and hasattr(device, "index"):
            device = str(device.type)  # an lstmkit.device, or a torch.device
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise DeviceError(
            f"{source} must be one of {DEVICES}, but got {device!r}. "
            "Use 'cpu', 'cuda' (a GPU through CuPy) or 'auto' (GPU when usable)."
        )
    device = device.split(":")[0]
    if device == "cpu":
        return "cpu"
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if not cuda_available():
        raise DeviceError(f"device='cuda' was asked for, but {cuda_unavailable_reason()}")
    return "cuda"


def array_module(device: str) -> Any:
    """The array module (numpy or cupy) for a resolved device name."""
    if device == "cpu":
        return numpy
    if device == "cuda":
        cupy, reason = _import_cupy()
        if cupy is None:
            raise DeviceError(f"device='cuda' was asked for, but {reason}")
        return cupy
    raise DeviceError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")


_HOST_ARRAY_TYPES = (numpy.ndarray, numpy.generic)  #: what xp_of answers numpy for without asking CuPy


def xp_of(array: Any) -> Any:
    """The array module an array lives in: numpy for host arrays, cupy for GPU ones."""
    if type(array) is numpy.ndarray or isinstance(array, _HOST_ARRAY_TYPES):  # the first test is the quick one
        return numpy
    cupy = _import_cupy()[0]
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return numpy


def device_of(array: Any) -> str:
    """``"cpu"`` or ``"cuda"``: where an array lives."""
    return "cpu" if xp_of(array) is numpy else "cuda"


def is_array(value: Any) -> bool:
    """True for a numpy or cupy array (not for Python scalars or lists)."""
    if isinstance(value, numpy.ndarray):
        return True
    cupy = _import_cupy()[0]
    return cupy is not None and isinstance(value, cupy.ndarray)


def asarray(data: Any, device: str = "cpu", dtype: Any = None) -> Any:
    """``data`` (a list, scalar or array of either backend) as an array on ``device``."""
    if is_array(data) and device_of(data) != device:
        data = to_device(data, device)
    return array_module(device).asarray(data, dtype=dtype)


def to_device(array: Any, device: str) -> Any:
    """The same values on another device (an explicit host <-> GPU copy)."""
    if device_of(array) == device:
        return array
    if device == "cpu":
        return array.get()
    return array_module("cuda").asarray(array)


#: the cached host constants of zero_and_one (dtype -> (0, 1)) and ones_vector ((dtype, length) -> ones)
_zeros_and_ones: dict[Any, tuple[Any, Any]] = {}
_ones_vectors: dict[tuple[Any, int], Any] = {}


def _read_only(array: numpy.ndarray) -> numpy.ndarray:
    array.flags.writeable = False  # shared by every call that asks: nobody may change it
    return array


def zero_and_one(array: Any) -> tuple[Any, Any]:
    """0 and 1 in ``array``'s dtype, for ufuncs that meet them at every call.

    On the host they are cached 0-d arrays: a ufunc given a Python number converts it
    at every call, which costs about half of a small ufunc call (a lesson's gates run
    thousands of them per training step). On a GPU plain numbers serve.
    """
    if type(array) is not numpy.ndarray:
        return 0, 1
    dtype = array.dtype
    pair = _zeros_and_ones.get(dtype)
    if pair is None:
        pair = _zeros_and_ones[dtype] = (_read_only(numpy.zeros((), dtype)), _read_only(numpy.ones((), dtype)))
    return pair


CACHED_ONES_MAX = 4096  #: the longest ones_vector kept (a batch size, typically)


def ones_vector(length: int, like: Any) -> Any:
    """``length`` ones in ``like``'s dtype and array module (cached and read-only on the host
    up to ``CACHED_ONES_MAX``; beyond that making them costs little next to their use)."""
    if type(like) is not numpy.ndarray or length > CACHED_ONES_MAX:
        return xp_of(like).ones(length, dtype=like.dtype)
    key = (like.dtype, length)
    ones = _ones_vectors.get(key)
    if ones is None:
        ones = _ones_vectors[key] = _read_only(numpy.ones(length, like.dtype))
    return ones


def to_numpy(array: Any) -> numpy.ndarray:
    """An explicit host copy as a NumPy array (CuPy refuses implicit conversion)."""
    if device_of(array) == "cuda":
        return array.get()
    return numpy.array(array, copy=True)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with repeated indices summed, on either backend.

    NumPy spells it ``numpy.add.at``; CuPy has no top-level ``scatter_add`` any more,
    so the GPU path uses ``cupyx.scatter_add``.
    """
    if xp_of(target) is numpy:
        numpy.add.at(target, index, values)
    else:
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(target, index, values)


def synchronize(device: str) -> None:
    """Wait for queued GPU work (for honest timings); a no-op on the CPU."""
    if device == "cuda":
        array_module("cuda").cuda.get_current_stream().synchronize()


# --------------------------------------------------------------------------- the CPU's .data
#
# ``x.data`` is the tensor's values as an array (the lessons rely on that: NumPy
# functions, ``p.data -= lr * p.grad``, printing). PyTorch code writes
# ``p.data.add_(p.grad, alpha=-lr)`` or ``layer.weight.data.uniform_(-0.1, 0.1)``, so on
# the CPU the array handed out is a *view* of the same memory as a thin
# ``numpy.ndarray`` subclass with those methods. Like torch's ``.data`` they write
# straight into the values, outside the gradient graph. Anything computed from a
# ``DataArray`` is a plain ``numpy.ndarray`` again (``__array_ufunc__`` and
# ``__array_function__``), so the subclass never spreads into the arrays that ops,
# optimisers or the fused LSTM compute with. CuPy arrays are handed out as they are.


_random_source: dict[str, Any] = {}


def use_random_generator(generator: Any) -> None:
    """Where ``DataArray.uniform_``/``normal_`` draw from: ``generator()`` gives a NumPy Generator.

    lstmkit.rng registers its seeded generator here when it is imported (rng imports
    backend, so backend cannot import rng).
    """
    _random_source["generator"] = generator


def _generator() -> Any:
    if "generator" not in _random_source:
        raise RuntimeError("no random generator is registered; import lstmkit (lstmkit.rng registers it).")
    return _random_source["generator"]()


def _plain(value: Any) -> Any:
    """``value`` with every DataArray inside (also in tuples, lists, dicts) as a plain ndarray."""
    if isinstance(value, DataArray):
        return value.view(numpy.ndarray)
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _values(value: Any) -> Any:
    """The argument of an in-place method as an array or number (a Tensor gives its values)."""
    return _plain(getattr(value, "_data", value))


class DataArray(numpy.ndarray):
    """A NumPy view of a tensor's values with torch's in-place methods (see the module docstring)."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(x.view(numpy.ndarray) if isinstance(x, DataArray) else x for x in inputs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(o.view(numpy.ndarray) if isinstance(o, DataArray) else o for o in out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None and len(out) == 1 and isinstance(out[0], DataArray):
            return out[0]  # in place (numpy.add(a, b, out=a)): hand back the same view, as numpy does
        return result

    # a -= b and friends, the optimisers' and lessons' update: straight to the plain array
    def _inplace(self, ufunc: Any, other: Any) -> DataArray:
        values = self.view(numpy.ndarray)
        ufunc(values, other.view(numpy.ndarray) if isinstance(other, DataArray) else other, out=values)
        return self

    def __iadd__(self, other: Any) -> DataArray:
        return self._inplace(numpy.add, other)

    def __isub__(self, other: Any) -> DataArray:
        return self._inplace(numpy.subtract, other)

    def __imul__(self, other: Any) -> DataArray:
        return self._inplace(numpy.multiply, other)

    def __itruediv__(self, other: Any) -> DataArray:
        return self._inplace(numpy.true_divide, other)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return func(*_plain(args), **_plain(kwargs))

    def __repr__(self) -> str:
        return repr(self.view(numpy.ndarray))

    def __reduce__(self) -> Any:  # pickling and deepcopy give a plain array
        return self.view(numpy.ndarray).__reduce__()

    # --------------------------------------------------------------- torch's in-place methods

    def numpy(self) -> numpy.ndarray:
        """The same memory as a plain NumPy array (like torch's ``x.data.numpy()``)."""
        return self.view(numpy.ndarray)

    def _write(self, name: str, values: Any) -> DataArray:
        try:
            numpy.copyto(self.view(numpy.ndarray), _values(values), casting="same_kind")
        except ValueError as error:
            raise ValueError(
                f"{name}: cannot write values of shape {numpy.shape(_values(values))} into an array of "
                f"shape {self.shape} ({error}); the values must broadcast to {self.shape}."
            ) from None
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> DataArray:
        """``self += alpha * other`` in place."""
        other = _values(other)
        return self._write("add_", self.view(numpy.ndarray) + (other if alpha == 1 else alpha * other))

    def sub_(self, other: Any, *, alpha: Any = 1) -> DataArray:
        """``self -= alpha * other`` in place."""
        other = _values(other)
        return self._write("sub_", self.view(numpy.ndarray) - (other if alpha == 1 else alpha * other))

    def mul_(self, other: Any) -> DataArray:
        """``self *= other`` in place."""
        return self._write("mul_", self.view(numpy.ndarray) * _values(other))

    def div_(self, other: Any) -> DataArray:
        """``self /= other`` in place."""
        return self._write("div_", self.view(numpy.ndarray) / _values(other))

    def zero_(self) -> DataArray:
        """Set every value to 0."""
        return self._write("zero_", 0)

    def fill_(self, value: Any) -> DataArray:
        """Set every value to ``value``."""
        return self._write("fill_", value)

    def copy_(self, src: Any) -> DataArray:
        """Copy ``src`` (broadcast to this shape) into these values."""
        return self._write("copy_", numpy.asarray(_values(src)))

    def clamp_(self, min: Any = None, max: Any = None) -> DataArray:  # noqa: A002  (torch's names)
        """Clamp the values into ``[min, max]`` in place."""
        return self._write("clamp_", numpy.clip(self.view(numpy.ndarray), min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> DataArray:
        """Fill with U(a, b) values from lstmkit's seeded generator."""
        return self._write("uniform_", _generator().uniform(a, b, size=self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> DataArray:
        """Fill with N(mean, std²) values from lstmkit's seeded generator."""
        return self._write("normal_", mean + std * _generator().standard_normal(size=self.shape))


def data_view(array: Any) -> Any:
    """What ``tensor.data`` hands out: a DataArray view of a NumPy array, a CuPy array itself."""
    return array.view(DataArray) if type(array) is numpy.ndarray else array


def plain_array(array: Any) -> Any:
    """``array`` without the DataArray wrapper (the same memory)."""
    return array.view(numpy.ndarray) if isinstance(array, DataArray) else array


DType = numpy.dtype  #: the class of dtype objects (NumPy's serve CuPy as well)


def dtype(spec: Any) -> Any:
    """A dtype object (NumPy's dtype objects serve CuPy as well); raises TypeError if unknown."""
    return numpy.dtype(spec)
