"""The autograd engine: Tensor, Function, backward, no_grad, gradcheck.

``Variable`` (a legacy name) is here as well, as in ``torch.autograd``.
"""

from . import dtypes
from .engine import GraphFreedError
from .function import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .legacy import Variable
from .ops import DimensionError, EmptyReductionError, ShapeError
from .tensor import (
    Tensor,
    ValuesIndices,
    arange,
    cat,
    clip,
    concat,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    split,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__all__ = [
    "DimensionError",
    "EmptyReductionError",
    "Function",
    "GradcheckError",
    "GraphFreedError",
    "ShapeError",
    "Tensor",
    "ValuesIndices",
    "Variable",
    "arange",
    "cat",
    "clip",
    "concat",
    "dtypes",
    "empty",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "gradcheck",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "set_grad_enabled",
    "split",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
