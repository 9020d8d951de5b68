"""Checking and resolving constructor arguments shared by every layer: sizes, devices, dtypes."""

from __future__ import annotations

import math
from typing import Any

from .. import backend


def check_size(layer: str, name: str, value: Any) -> int:
    """``value`` as a positive int, or a ValueError that names the layer and the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, but got {value!r}.")
    return value


def resolve_dtype(dtype: Any) -> str:
    """A floating dtype's name ('float32' / 'float64') from None (the default dtype), a name,
    a NumPy dtype, or a dtype object such as ``lstmkit.float64`` or ``torch.float64``."""
    if dtype is None:
        from ..autograd import dtypes  # noqa: PLC0415

        dtype = dtypes.get_default_dtype()
    try:
        resolved = backend.array_module("cpu").dtype(dtype)
    except TypeError:
        name = str(dtype).rsplit(".", 1)[-1]
        try:
            resolved = backend.array_module("cpu").dtype(name)
        except TypeError:
            resolved = None
    if resolved is None or resolved.kind != "f":
        raise TypeError(
            f"expected a floating-point dtype for parameters ('float32' or 'float64'), but got {dtype!r}."
        )
    return resolved.name


def resolve(device: str | None) -> str:
    """``None | 'cpu' | 'cuda' | 'auto'`` -> ``'cpu'`` or ``'cuda'`` (see backend.resolve_device)."""
    return backend.resolve_device(device)


def recurrent_bound(hidden_size: int) -> float:
    """1/sqrt(hidden): PyTorch's bound for every RNN/LSTM weight and bias."""
    return 1.0 / math.sqrt(hidden_size)
