"""lstmkit: a readable autograd engine and the LSTM built on it, for learning.

>>> import lstmkit as lk
>>> x = lk.tensor([[1.0, 2.0]], requires_grad=True)
>>> (x.sigmoid() * x).sum().backward()
>>> x.grad.shape
(1, 2)

For code ported from PyTorch, ``import lstmkit as torch`` gives torch's module-level
names: ``randn``, ``zeros``, ``arange``, ``from_numpy``, ``cat``, ``manual_seed``,
``set_default_dtype``, ``device``, the dtypes (``lstmkit.float32``, ``lstmkit.long``, ...),
``no_grad``, ``is_tensor``, and the Tensor methods as functions (``lstmkit.tanh(x)``).
See docs/pytorch.md for what differs.
"""

from . import autograd, backend, functional
from .autograd import (
    DimensionError,
    EmptyReductionError,
    Function,
    GradcheckError,
    GraphFreedError,
    ShapeError,
    Tensor,
    arange,
    cat,
    clip,
    concat,
    empty,
    enable_grad,
    eye,
    from_numpy,
    full,
    full_like,
    gradcheck,
    is_grad_enabled,
    is_tensor,
    linspace,
    no_grad,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    set_grad_enabled,
    split,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .autograd.dtypes import (
    bool,  # noqa: A004  (torch's name for the boolean dtype)
    complex64,
    complex128,
    double,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,  # noqa: A004
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .autograd.legacy import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
)
from .autograd.tensor_functions import (  # torch.tanh(x) and friends: each calls the Tensor method
    abs,  # noqa: A004  (torch's names)
    add,
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    bmm,
    chunk,
    clamp,
    clone,
    detach,
    div,
    equal,
    exp,
    flatten,
    log,
    log_softmax,
    matmul,
    max,  # noqa: A004
    maximum,
    mean,
    min,  # noqa: A004
    minimum,
    mm,
    mul,
    narrow,
    neg,
    numel,
    permute,
    pow,  # noqa: A004
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    std,
    sub,
    sum,  # noqa: A004
    t,
    tanh,
    transpose,
    unsqueeze,
    var,
)
from .backend import Device as device  # noqa: N813  (torch's name)
from .backend import DeviceError, cuda_available, resolve_device
from .rng import manual_seed

dtype = backend.DType  # isinstance(x.dtype, lstmkit.dtype), as torch.dtype

__version__ = "0.1.0"


_LAZY_SUBMODULES = ("gates", "nn", "optim", "data", "models", "train", "checkpoint")


def __getattr__(name: str):  # noqa: ANN202  (PEP 562: lk.nn imports lstmkit.nn on first use)
    if name in _LAZY_SUBMODULES:
        import importlib  # noqa: PLC0415

        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):  # lk.save / lk.load: the safe archive (lstmkit.serialization)
        from . import serialization  # noqa: PLC0415

        return getattr(serialization, name)
    raise AttributeError(f"module 'lstmkit' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:  # noqa: ANN001
    """``%load_ext lstmkit``: rich Tensor display, graph drawing, the %%exercise magic."""
    from .jupyter import load_ipython_extension as load  # noqa: PLC0415  (needs IPython)

    load(ipython)


__all__ = [
    "BoolTensor",
    "ByteTensor",
    "DeviceError",
    "DimensionError",
    "DoubleTensor",
    "EmptyReductionError",
    "FloatTensor",
    "Function",
    "GradcheckError",
    "GraphFreedError",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShapeError",
    "Tensor",
    "abs",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "autograd",
    "backend",
    "bmm",
    "bool",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "complex128",
    "complex64",
    "concat",
    "cuda_available",
    "detach",
    "device",
    "div",
    "double",
    "dtype",
    "empty",
    "enable_grad",
    "equal",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "gates",
    "get_default_dtype",
    "gradcheck",
    "half",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load_ipython_extension",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "narrow",
    "neg",
    "nn",
    "no_grad",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "pow",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "relu",
    "reshape",
    "resolve_device",
    "set_default_dtype",
    "set_grad_enabled",
    "short",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "t",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unsqueeze",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
