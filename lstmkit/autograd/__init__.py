"""The autograd engine: Tensor, Function, backward, no_grad, gradcheck."""

from .engine import GraphFreedError
from .function import Function, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck
from .ops import ShapeError
from .tensor import Tensor, clip, concat, ones, split, stack, tensor, where, zeros

__all__ = [
    "Function",
    "GradcheckError",
    "GraphFreedError",
    "ShapeError",
    "Tensor",
    "clip",
    "concat",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "split",
    "stack",
    "tensor",
    "where",
    "zeros",
]
