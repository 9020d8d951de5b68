"""Legacy PyTorch names that older tutorials still use, kept only so such code runs.

* ``Variable(t)``: before torch 0.4, tensors had to be wrapped to be differentiable;
  now (and in lstmkit) every Tensor is, so ``Variable`` hands the tensor back
  (with ``requires_grad`` set when asked).
* ``LongTensor(data)``, ``FloatTensor(data)``, ...: a tensor of that dtype from a list
  or array; ``FloatTensor(2, 3)`` (sizes) gives zeros of that shape. New code writes
  ``lstmkit.tensor(data, dtype=lstmkit.long)`` instead.
"""

from __future__ import annotations

from typing import Any

from . import dtypes
from .tensor import Tensor, tensor, zeros


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """Legacy: the tensor itself (a Tensor is already differentiable); ``requires_grad`` is honoured."""
    result = data if isinstance(data, Tensor) else tensor(data)
    if requires_grad:
        result.requires_grad_(True)
    return result


class _LegacyConstructor:
    """``LongTensor(data)`` / ``LongTensor(2, 3)``; also usable as ``x.type(LongTensor)``."""

    def __init__(self, name: str, dtype: Any) -> None:
        self.__name__ = self.__qualname__ = name
        self.legacy_dtype = dtypes.as_dtype(dtype)
        self.__doc__ = f"Legacy: a {self.legacy_dtype} tensor from data, or zeros of the sizes given."

    def __call__(self, *args: Any, device: Any = None) -> Tensor:
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return zeros(*args, dtype=self.legacy_dtype, device=device)
        if len(args) != 1:
            raise TypeError(f"{self.__name__}(data) takes one list or array, or integer sizes; got {args!r}.")
        data = args[0]._data if isinstance(args[0], Tensor) else args[0]
        return tensor(data, dtype=self.legacy_dtype, device=device)

    def __repr__(self) -> str:
        return f"lstmkit.{self.__name__}"


FloatTensor = _LegacyConstructor("FloatTensor", "float32")
DoubleTensor = _LegacyConstructor("DoubleTensor", "float64")
HalfTensor = _LegacyConstructor("HalfTensor", "float16")
LongTensor = _LegacyConstructor("LongTensor", "int64")
IntTensor = _LegacyConstructor("IntTensor", "int32")
ByteTensor = _LegacyConstructor("ByteTensor", "uint8")
BoolTensor = _LegacyConstructor("BoolTensor", "bool")
