"""``Tensor``: an array (numpy or cupy) that remembers how it was made.

Every operation on Tensors that require gradients records a node (a
:class:`~lstmkit.autograd.function.Function`) linking its output to its inputs.
``loss.backward()`` walks those links backwards and leaves ``d loss / d x`` in
``x.grad`` for every leaf ``x`` with ``requires_grad=True``.

Gradients *accumulate*: a second ``backward()`` adds to ``.grad`` rather than
replacing it, exactly like PyTorch. Call ``zero_grad()`` (or an optimiser's
``zero_grad()``) between training steps.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

from .. import backend
from . import ops
from .engine import run_backward
from .function import Function

Scalar = int | float | bool


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``==`` compares identity, not values (a Tensor is a node of the graph and can be a
    dict key); the other comparisons (``<``, ``>=``, ...) give boolean Tensors.

    Attributes:
        data: the values, a numpy (CPU) or cupy (GPU) array.
        grad: ``d loss / d self`` after ``backward()``, same shape and backend, or None.
        requires_grad: whether operations on this tensor are recorded for backward.
    """

    __slots__ = ("data", "grad", "requires_grad", "_creator", "_output_index", "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # numpy ufuncs defer to our operators instead of eating the Tensor

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if not backend.is_array(data):
            raise TypeError(
                f"Tensor(data) needs a numpy or cupy array, got {type(data).__name__}; "
                "use lstmkit.tensor(...) to build one from lists or numbers."
            )
        self.data = data
        self.grad: Any = None
        self._creator: Function | None = None
        self._output_index = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _from_array(data: Any, requires_grad: bool = False) -> Tensor:
        """Wrap an op's result without checks (the hot path of every op); always a Tensor."""
        tensor = Tensor.__new__(Tensor)
        tensor.data, tensor.grad, tensor.requires_grad = data, None, requires_grad
        tensor._creator, tensor._output_index, tensor._retains_grad = None, 0, False
        return tensor

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``."""
        return backend.device_of(self.data)

    @property
    def xp(self) -> Any:
        """The array module of this tensor's data (numpy or cupy)."""
        return backend.xp_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op."""
        return self._creator is None

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        values = repr(backend.to_numpy(self.data)).replace("array(", "tensor(", 1)
        extra = []
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._creator is not None:
            extra.append(f"grad_fn={self._creator.name}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        if extra:
            values = values[:-1] + ", " + ", ".join(extra) + ")"
        return values

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "An lstmkit Tensor was handed to NumPy, which would silently cut it out of the "
            "gradient graph. Use lstmkit operations (x.tanh(), x @ W, lk.concat, ...) on "
            "Tensors, or call .numpy() when you really want a detached copy of the values."
        )

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} values is ambiguous; "
                "use (x > 0).all() style checks on .numpy(), or .item() for one value."
            )
        return bool(self.item())

    # ------------------------------------------------------------------ gradients

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Turn gradient recording on or off for this leaf tensor (in place)."""
        if flag and self.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this one has "
                f"dtype {self.dtype}. Convert it first, e.g. lk.tensor(values, "
                "dtype='float32', requires_grad=True)."
            )
        self.requires_grad = flag
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor too after backward (for inspection)."""
        self._retains_grad = True
        return self

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor into the ``.grad`` of every leaf it depends on.

        ``grad`` is d(something)/d(self), shaped like ``self``; it may be left out only
        when ``self`` holds a single value (a loss), where it defaults to 1.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so there is nothing to "
                "differentiate. Create the inputs you want gradients for with "
                "requires_grad=True (and do not compute inside no_grad())."
            )
        if grad is None:
            if self.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.shape}, not a single value, so "
                    "the gradient to start from is ambiguous. Reduce it to a scalar first "
                    "(e.g. loss = y.sum() or y.mean()), or pass backward(grad) with a "
                    f"gradient of shape {self.shape}."
                )
            grad = self.xp.ones(self.data.shape, dtype=self.dtype)
        else:
            grad = grad.data if isinstance(grad, Tensor) else grad
            grad = backend.asarray(grad, self.device, dtype=self.dtype)
            if grad.shape != self.data.shape:
                raise RuntimeError(
                    f"backward: grad has shape {tuple(grad.shape)} but the tensor has shape "
                    f"{self.shape}; pass a gradient shaped like the tensor."
                )
        run_backward(self, grad, retain_graph=retain_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory, never requires grad)."""
        return Tensor._from_array(self.data)

    # ------------------------------------------------------------------ host and device

    def numpy(self) -> Any:
        """A host NumPy copy of the values (explicit, also from the GPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> Scalar:
        """The single value as a Python number."""
        if self.size != 1:
            raise ValueError(
                f"item(): the tensor has {self.size} values (shape {self.shape}); only "
                "one-value tensors convert to a Python number. Use .numpy() for arrays."
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, device: str) -> Tensor:
        """A copy on ``device`` ('cpu', 'cuda' or 'auto'); gradients flow back through it."""
        target = backend.resolve_device(device)
        if target == self.device:
            return self
        return ToDevice.apply(self, device=target)

    def astype(self, dtype: Any) -> Tensor:
        """The values as another dtype (differentiable between float types)."""
        return ops.AsType.apply(self, dtype=dtype)

    # ------------------------------------------------------------------ arithmetic

    def _lift(self, other: Any) -> Tensor:
        """Wrap a number or array so it can meet this tensor in an op."""
        if isinstance(other, Tensor):
            return other
        floating = self.dtype.kind == "f"
        if isinstance(other, int | float | bool):
            return Tensor._from_array(self.xp.asarray(other, dtype=self.dtype if floating else None))
        array = backend.asarray(other, self.device)
        if floating and array.dtype.kind == "f" and array.dtype != self.dtype:
            array = array.astype(self.dtype)  # a float64 array must not turn a float32 graph float64
        return Tensor._from_array(array)

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, self._lift(other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(self._lift(other), self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, self._lift(other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self._lift(other), self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, self._lift(other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self._lift(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, self._lift(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self._lift(other), self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, int | float):
            return ops.PowScalar.apply(self, exponent=exponent)
        return ops.Pow.apply(self, self._lift(exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return ops.Pow.apply(self._lift(base), self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, self._lift(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self._lift(other), self)

    # comparisons give boolean tensors outside the graph (for masks and checks)
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._from_array(self.data < self._lift(other).data)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._from_array(self.data <= self._lift(other).data)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._from_array(self.data > self._lift(other).data)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._from_array(self.data >= self._lift(other).data)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=_raw_index(index, self.xp))

    # ------------------------------------------------------------------ elementwise

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def clip(self, low: Scalar | None = None, high: Scalar | None = None) -> Tensor:
        return ops.Clip.apply(self, low=low, high=high)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes or None)

    def split(self, split_size_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        return split(self, split_size_or_sections, axis)


# ---------------------------------------------------------------------- ops that need Tensor


class ToDevice(Function):
    """Copy between host and GPU; the gradient is copied back the other way."""

    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):
        return (backend.to_device(grad, self.source),)



def _raw_index(index: Any, xp: Any) -> Any:
    """Replace Tensors and lists inside an index by arrays of the indexed tensor's module."""
    if isinstance(index, tuple):
        return tuple(_raw_index(part, xp) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


# ---------------------------------------------------------------------- constructors


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, device: str | None = None
) -> Tensor:
    """Make a Tensor from a list, number, numpy/cupy array or Tensor.

    Python floats become float32 (as in PyTorch) unless ``dtype`` says otherwise;
    NumPy arrays keep their dtype. ``device`` is 'cpu', 'cuda' or 'auto'
    (default: ``$LSTMKIT_DEVICE`` or 'cpu').
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None and backend.is_array(data):
        target = backend.device_of(data)  # an array stays where it is unless asked otherwise
    else:
        target = backend.resolve_device(device)
    if dtype is None and not backend.is_array(data):
        probe = backend.array_module("cpu").asarray(data)
        if probe.dtype.kind == "f":
            dtype = "float32"
        elif probe.dtype.kind == "O":
            raise TypeError(
                f"tensor(): could not read {type(data).__name__} as numbers; give a number, "
                "a (nested) list of numbers of one length per row, or an array."
            )
    array = backend.asarray(data, target, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = "float32", device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of ``shape``."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = "float32", device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of ``shape``."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.ones(shape, dtype=dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------------- joining and splitting


def _as_tensors(op: str, tensors: Iterable[Any]) -> list[Tensor]:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor, got an empty list.")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    if first is None:
        return [tensor(t) for t in tensors]
    return [first._lift(t) for t in tensors]


def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (shapes must match elsewhere)."""
    return ops.Concat.apply(*_as_tensors("concat", tensors), axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new ``axis``."""
    return ops.Stack.apply(*_as_tensors("stack", tensors), axis=axis)


def split(x: Tensor, split_size_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Cut ``x`` along ``axis`` into pieces, as ``torch.split`` does.

    An int gives pieces of that size (the last may be smaller); a list gives the
    size of each piece and must add up to ``x.shape[axis]``.
    """
    (axis,) = ops.normalize_axes("split", axis, x.ndim, x.shape)
    length = x.shape[axis]
    if not isinstance(split_size_or_sections, list | tuple):
        split_size_or_sections = operator.index(split_size_or_sections)  # int, numpy int, ...
        if split_size_or_sections <= 0:
            raise ValueError(f"split: the piece size must be positive, got {split_size_or_sections}.")
        sizes = [min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ops.ShapeError(
                f"split: sections {sizes} add up to {sum(sizes)}, but axis {axis} of shape "
                f"{x.shape} has {length}; the sizes must add up to {length}."
            )
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(x[index])
        start += size
    return pieces


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (differentiable in a and b)."""
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else tensor(a)
    a, b = ref._lift(a), ref._lift(b)
    cond = condition.data if isinstance(condition, Tensor) else backend.asarray(condition, ref.device)
    return ops.Where.apply(a, b, condition=cond.astype(bool))


def clip(x: Tensor, low: Scalar | None = None, high: Scalar | None = None) -> Tensor:
    """Clamp ``x`` into ``[low, high]``."""
    return x.clip(low, high)
