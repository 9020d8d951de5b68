"""Tensor methods as module-level functions, as torch has them (``lstmkit.tanh(x)``,
``lstmkit.max(x, 1)``, ``lstmkit.transpose(x, 0, 1)``, ...). Each one calls the method
of the same name, so both spellings mean exactly the same thing.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor

_METHODS = (
    "abs", "add", "amax", "amin", "argmax", "argmin", "chunk", "clamp", "clone", "div",
    "exp", "flatten", "log", "log_softmax", "matmul", "maximum", "mean", "minimum", "mm",
    "mul", "narrow", "neg", "numel", "permute", "pow", "relu", "reshape", "sigmoid",
    "softmax", "sqrt", "squeeze", "std", "sub", "sum", "t", "tanh", "transpose",
    "unsqueeze", "var", "max", "min", "detach", "equal", "all", "any",
)


def _as_function(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002  (torch's name)
        if not isinstance(input, Tensor):
            raise TypeError(
                f"lstmkit.{name}: expected a Tensor as the first argument, got {type(input).__name__}; "
                "wrap values with lstmkit.tensor(...) first."
            )
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``lstmkit.{name}(x, ...)`` is ``x.{name}(...)``: {(method.__doc__ or '').strip()}"
    return function


FUNCTIONS = {name: _as_function(name) for name in _METHODS}
clamp = FUNCTIONS["clamp"]
bmm = FUNCTIONS["matmul"]


def numel(input: Tensor) -> int:  # noqa: A002
    """The number of values in ``input``."""
    return input.numel()
