"""PyTorch's default initialisations, drawn from lstmkit's seeded generator.

* ``Linear``: weight and bias U(-1/sqrt(in_features), 1/sqrt(in_features));
* ``Embedding``: weight N(0, 1);
* ``RNN``, ``LSTM`` and their cells: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden)).

Values are drawn on the host and then moved to the device, so one seed
(``lstmkit.rng.manual_seed``) gives the same model on the CPU and on a GPU.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend, rng
from ..autograd.tensor import Tensor
from .module import Parameter


def uniform_parameter(shape: tuple[int, ...], bound: float, dtype: Any, device: str) -> Parameter:
    """A Parameter of ``shape`` drawn from U(-bound, bound)."""
    return Parameter(rng.uniform(shape, bound, dtype=dtype, device=device))


def normal_parameter(shape: tuple[int, ...], std: float, dtype: Any, device: str) -> Parameter:
    """A Parameter of ``shape`` drawn from N(0, std²)."""
    return Parameter(rng.normal(shape, std, dtype=dtype, device=device))


# --------------------------------------------------------------------------- torch.nn.init, in place

host = backend.array_module("cpu")  # values are drawn on the host, then copied to the tensor's device

GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
         "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def _fill(tensor: Any, values: Any, name: str) -> Any:
    """Write host ``values`` into ``tensor`` in place (keeping its dtype and device); returns it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{name}: expected an lstmkit Tensor or Parameter, but got {type(tensor).__name__}.")
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"nn.init.{name}: the tensor has dtype {tensor.dtype}; only floating tensors can be initialised.")
    tensor.data[...] = backend.asarray(host.asarray(values, dtype=tensor.data.dtype), backend.device_of(tensor.data))
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for ``nonlinearity`` (leaky_relu's slope in ``param``, default 0.01)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number.")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                         f"{sorted([*GAINS, 'leaky_relu'])}.")
    return GAINS[nonlinearity]


def _fans(tensor: Tensor, name: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"nn.init.{name}: fan in and fan out need a tensor with at least 2 dimensions, but got "
            f"shape {tensor.shape}; use uniform_ or normal_ for vectors."
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``tensor`` (any shape) with U(a, b) in place; returns it."""
    draws = rng.uniform(tensor.shape, 1.0, dtype="float64")  # U(-1, 1)
    return _fill(tensor, (a + b) / 2 + (b - a) / 2 * draws, "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` with N(mean, std²) in place; returns it."""
    return _fill(tensor, mean + rng.normal(tensor.shape, std, dtype="float64"), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` in place; returns it."""
    return _fill(tensor, host.full(tensor.shape, val), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros in place; returns it."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones in place; returns it."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)); tensor (out, in, *)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std²), std = gain sqrt(2 / (fan_in + fan_out)); tensor (out, in, *)."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, name: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{name}: mode must be 'fan_in' or 'fan_out', but got {mode!r}.")
    fan_in, fan_out = _fans(tensor, name)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b), b = gain sqrt(3 / fan) (fan_in or fan_out); tensor (out, in, *)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std²), std = gain / sqrt(fan); tensor (out, in, *)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, from the QR of a normal draw (PyTorch's recipe):
    the tensor seen as (rows, numel / rows) has orthonormal rows or columns, whichever are fewer."""
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: needs at least 2 dimensions, but got shape {tensor.shape}.")
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows if rows else 0
    flat = rng.normal((rows, cols), 1.0, dtype="float64")
    if rows < cols:
        flat = flat.T
    q, r = host.linalg.qr(flat)
    q = q * host.sign(host.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape), "orthogonal_")


__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "orthogonal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]
