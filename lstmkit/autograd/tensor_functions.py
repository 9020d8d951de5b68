"""Tensor methods as module-level functions, as torch has them (``lstmkit.tanh(x)``,
``lstmkit.max(x, 1)``, ``lstmkit.transpose(x, 0, 1)``, ...). Each one calls the method
of the same name, so both spellings mean exactly the same thing.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor


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


abs = _as_function("abs")  # noqa: A001  (torch's name)
add = _as_function("add")
all = _as_function("all")  # noqa: A001  (torch's name)
amax = _as_function("amax")
amin = _as_function("amin")
any = _as_function("any")  # noqa: A001  (torch's name)
argmax = _as_function("argmax")
argmin = _as_function("argmin")
chunk = _as_function("chunk")
clamp = _as_function("clamp")
clone = _as_function("clone")
detach = _as_function("detach")
div = _as_function("div")
equal = _as_function("equal")
exp = _as_function("exp")
flatten = _as_function("flatten")
log = _as_function("log")
log_softmax = _as_function("log_softmax")
matmul = _as_function("matmul")
max = _as_function("max")  # noqa: A001  (torch's name)
maximum = _as_function("maximum")
mean = _as_function("mean")
min = _as_function("min")  # noqa: A001  (torch's name)
minimum = _as_function("minimum")
mm = _as_function("mm")
mul = _as_function("mul")
narrow = _as_function("narrow")
neg = _as_function("neg")
permute = _as_function("permute")
pow = _as_function("pow")  # noqa: A001  (torch's name)
relu = _as_function("relu")
reshape = _as_function("reshape")
sigmoid = _as_function("sigmoid")
softmax = _as_function("softmax")
sqrt = _as_function("sqrt")
squeeze = _as_function("squeeze")
std = _as_function("std")
sub = _as_function("sub")
sum = _as_function("sum")  # noqa: A001  (torch's name)
t = _as_function("t")
tanh = _as_function("tanh")
transpose = _as_function("transpose")
unsqueeze = _as_function("unsqueeze")
var = _as_function("var")
bmm = _as_function("matmul")


def numel(input: Tensor) -> int:  # noqa: A002
    """The number of values in ``input``."""
    return input.numel()


__all__ = [
    "abs",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "bmm",
    "chunk",
    "clamp",
    "clone",
    "detach",
    "div",
    "equal",
    "exp",
    "flatten",
    "log",
    "log_softmax",
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
    "numel",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "std",
    "sub",
    "sum",
    "t",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
]
