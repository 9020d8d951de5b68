"""lstmkit: a readable autograd engine and the LSTM built on it, for learning.

>>> import lstmkit as lk
>>> x = lk.tensor([[1.0, 2.0]], requires_grad=True)
>>> (x.sigmoid() * x).sum().backward()
>>> x.grad.shape
(1, 2)
"""

from . import backend, functional
from .autograd import (
    Function,
    GradcheckError,
    GraphFreedError,
    ShapeError,
    Tensor,
    clip,
    concat,
    gradcheck,
    is_grad_enabled,
    no_grad,
    ones,
    split,
    stack,
    tensor,
    where,
    zeros,
)
from .backend import DeviceError, cuda_available, resolve_device

__version__ = "0.1.0"

__all__ = [
    "DeviceError",
    "Function",
    "GradcheckError",
    "GraphFreedError",
    "ShapeError",
    "Tensor",
    "backend",
    "clip",
    "concat",
    "cuda_available",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "resolve_device",
    "split",
    "stack",
    "tensor",
    "where",
    "zeros",
]
