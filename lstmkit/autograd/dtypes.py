"""Dtype objects with PyTorch's names, and the default floating dtype.

``lstmkit.float32``, ``lstmkit.float64``, ``lstmkit.int64``, ``lstmkit.long``, ...
are NumPy dtypes, so they work wherever a dtype is taken (``tensor(..., dtype=)``,
``x.to(lk.float64)``, ``x.dtype == lk.float32``) and also in plain NumPy code.
``as_dtype`` reads any spelling: a NumPy dtype, a string (``"float32"``), a Python
type, or a ``torch.dtype`` (``torch.float64`` reads as ``float64``).

The default dtype (``float32`` unless ``set_default_dtype`` says otherwise) is what
Python floats become in ``tensor(...)`` and what ``zeros``/``randn``/... make.
"""

from __future__ import annotations

from typing import Any

from .. import backend

float16 = half = backend.dtype("float16")
float32 = float = backend.dtype("float32")  # noqa: A001  (torch's name for float32)
float64 = double = backend.dtype("float64")
uint8 = backend.dtype("uint8")
int8 = backend.dtype("int8")
int16 = short = backend.dtype("int16")
int32 = int = backend.dtype("int32")  # noqa: A001  (torch's name for int32)
int64 = long = backend.dtype("int64")
bool = backend.dtype("bool")  # noqa: A001  (torch's name for the boolean dtype)
complex64 = backend.dtype("complex64")
complex128 = backend.dtype("complex128")

_DEFAULT = {"dtype": float32}


def as_dtype(dtype: Any) -> Any:
    """Any dtype spelling (NumPy dtype, string, Python type, ``torch.dtype``) as a NumPy dtype."""
    legacy = getattr(dtype, "legacy_dtype", None)  # lstmkit.LongTensor and friends
    if legacy is not None:
        return legacy
    text = str(dtype)
    if text.startswith("torch."):  # a torch.dtype: torch.float64 -> float64
        text = text[len("torch.") :]
        dtype = {"long": "int64", "int": "int32", "float": "float32", "double": "float64",
                 "half": "float16", "short": "int16"}.get(text, text)
    try:
        return backend.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{dtype!r} is not a dtype lstmkit knows; use lstmkit.float32, lstmkit.float64, "
            "lstmkit.int64 (lstmkit.long), lstmkit.bool, or a NumPy dtype name such as 'float32'."
        ) from None


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float32 or float64) what Python floats and ``zeros``/``randn`` give."""
    resolved = as_dtype(dtype)
    if resolved not in (float32, float64):
        raise TypeError(
            f"set_default_dtype: only float32 or float64 can be the default, got {resolved}; "
            "pass lstmkit.float32 or lstmkit.float64."
        )
    _DEFAULT["dtype"] = resolved


def get_default_dtype() -> Any:
    """The dtype that Python floats and ``zeros``/``ones``/``randn``/``rand`` give (float32 at start)."""
    return _DEFAULT["dtype"]


def resolve(dtype: Any) -> Any:
    """``dtype`` as a NumPy dtype, or the default floating dtype when it is None."""
    return get_default_dtype() if dtype is None else as_dtype(dtype)
