"""``DataArray``: what ``tensor.data`` hands out on the CPU, a NumPy array that also
answers PyTorch's in-place methods.

``x.data`` is the tensor's values as a NumPy array (the lessons rely on that: NumPy
functions, ``p.data -= lr * p.grad``, printing). PyTorch code writes
``p.data.add_(p.grad, alpha=-lr)`` or ``layer.weight.data.uniform_(-0.1, 0.1)``, so the
array handed out is a *view* of the same memory as a thin ``numpy.ndarray`` subclass
with those methods. Like torch's ``.data`` they write straight into the values,
outside the gradient graph. Anything computed from a ``DataArray`` is a plain
``numpy.ndarray`` again (``__array_ufunc__`` and ``__array_function__`` below), so the
subclass never spreads into the arrays that ops, optimisers or the fused LSTM use.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import rng


def _plain(value: Any) -> Any:
    """``value`` with every DataArray inside (also in tuples, lists, dicts) as a plain ndarray."""
    if isinstance(value, DataArray):
        return value.view(numpy.ndarray)
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _values(value: Any) -> Any:
    """The argument of an in-place method as an array or number (a Tensor gives its values)."""
    return _plain(getattr(value, "_data", value))


class DataArray(numpy.ndarray):
    """A NumPy view of a tensor's values with torch's in-place methods (see the module docstring)."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _plain(out)
        result = getattr(ufunc, method)(*_plain(inputs), **kwargs)
        if out is not None and len(out) == 1 and isinstance(out[0], DataArray):
            return out[0]  # in place (a -= b): hand back the same view, as numpy does
        return result

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return func(*_plain(args), **_plain(kwargs))

    def __repr__(self) -> str:
        return repr(self.view(numpy.ndarray))

    def __reduce__(self) -> Any:  # pickling and deepcopy give a plain array
        return self.view(numpy.ndarray).__reduce__()

    # --------------------------------------------------------------- torch's in-place methods

    def numpy(self) -> numpy.ndarray:
        """The same memory as a plain NumPy array (like torch's ``x.data.numpy()``)."""
        return self.view(numpy.ndarray)

    def _write(self, name: str, values: Any) -> DataArray:
        try:
            numpy.copyto(self.view(numpy.ndarray), _values(values), casting="same_kind")
        except ValueError as error:
            raise ValueError(
                f"{name}: cannot write values of shape {numpy.shape(_values(values))} into an array of "
                f"shape {self.shape} ({error}); the values must broadcast to {self.shape}."
            ) from None
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> DataArray:
        """``self += alpha * other`` in place."""
        other = _values(other)
        return self._write("add_", self.view(numpy.ndarray) + (other if alpha == 1 else alpha * other))

    def sub_(self, other: Any, *, alpha: Any = 1) -> DataArray:
        """``self -= alpha * other`` in place."""
        other = _values(other)
        return self._write("sub_", self.view(numpy.ndarray) - (other if alpha == 1 else alpha * other))

    def mul_(self, other: Any) -> DataArray:
        """``self *= other`` in place."""
        return self._write("mul_", self.view(numpy.ndarray) * _values(other))

    def div_(self, other: Any) -> DataArray:
        """``self /= other`` in place."""
        return self._write("div_", self.view(numpy.ndarray) / _values(other))

    def zero_(self) -> DataArray:
        """Set every value to 0."""
        return self._write("zero_", 0)

    def fill_(self, value: Any) -> DataArray:
        """Set every value to ``value``."""
        return self._write("fill_", value)

    def copy_(self, src: Any) -> DataArray:
        """Copy ``src`` (broadcast to this shape) into these values."""
        return self._write("copy_", numpy.asarray(_values(src)))

    def clamp_(self, min: Any = None, max: Any = None) -> DataArray:  # noqa: A002  (torch's names)
        """Clamp the values into ``[min, max]`` in place."""
        return self._write("clamp_", numpy.clip(self.view(numpy.ndarray), min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> DataArray:
        """Fill with U(a, b) values from lstmkit's seeded generator."""
        return self._write("uniform_", rng.generator().uniform(a, b, size=self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> DataArray:
        """Fill with N(mean, std²) values from lstmkit's seeded generator."""
        return self._write("normal_", mean + std * rng.generator().standard_normal(size=self.shape))
