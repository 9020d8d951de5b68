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
from .rng import manual_seed

__version__ = "0.1.0"


_LAZY_SUBMODULES = ("gates", "nn", "optim", "data", "models", "train", "checkpoint")


def __getattr__(name: str):  # noqa: ANN202  (PEP 562: lk.nn imports lstmkit.nn on first use)
    if name in _LAZY_SUBMODULES:
        import importlib  # noqa: PLC0415

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lstmkit' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:  # noqa: ANN001
    """``%load_ext lstmkit``: rich Tensor display, graph drawing, the %%exercise magic."""
    from .jupyter import load_ipython_extension as load  # noqa: PLC0415  (needs IPython)

    load(ipython)


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
    "gates",
    "load_ipython_extension",
    "manual_seed",
    "nn",
    "optim",
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
