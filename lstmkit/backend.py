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


def xp_of(array: Any) -> Any:
    """The array module an array lives in: numpy for host arrays, cupy for GPU ones."""
    if isinstance(array, numpy.ndarray | numpy.generic):
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
