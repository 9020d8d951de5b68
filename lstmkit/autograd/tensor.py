"""``Tensor``: an array (numpy or cupy) that remembers how it was made.

Every operation on Tensors that require gradients records a node (a
:class:`~lstmkit.autograd.function.Function`) linking its output to its inputs.
``loss.backward()`` walks those links backwards and leaves ``d loss / d x`` in
``x.grad`` for every leaf ``x`` with ``requires_grad=True``.

Gradients *accumulate*: a second ``backward()`` adds to ``.grad`` rather than
replacing it, exactly like PyTorch. Call ``zero_grad()`` (or an optimiser's
``zero_grad()``) between training steps.

Methods that share a name with a ``torch.Tensor`` method behave like it
(``transpose(dim0, dim1)``, ``==``, ``max(dim)``, ``size()``, ``view``, ``dim=`` and
``keepdim=``); the NumPy spellings ``axis=`` and ``keepdims=`` are accepted as well.
"""

from __future__ import annotations

import builtins
import operator
from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

from .. import backend, rng
from . import dtypes, ops
from .engine import run_backward
from .function import Function, is_grad_enabled, mark_changed_in_place, number_later_nodes_above

Scalar = int | float | bool
Axis = int | tuple[int, ...] | None

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "(values, indices) of max(dim) / min(dim), as torch.return_types.max."


def _pick_axis(op: str, dim: Any, axis: Any, *, torch_empty_means_all: bool = True) -> Any:
    """One axis argument from torch's ``dim`` or NumPy's ``axis`` (not both).

    torch reads ``dim=()`` as every dimension; NumPy's ``axis=()`` is no dimension.
    """
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give dim (torch's name) or axis (NumPy's), not both.")
    if dim is not None:
        if torch_empty_means_all and isinstance(dim, tuple | list) and len(dim) == 0:
            return None
        return dim
    return axis


def _pick_keepdim(op: str, keepdim: Any, keepdims: Any) -> bool:
    if keepdim is not None and keepdims is not None:
        raise TypeError(f"{op}: give keepdim (torch's name) or keepdims (NumPy's), not both.")
    return builtins.bool(keepdim if keepdim is not None else keepdims)


def _shape_args(op: str, shape: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` -> (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{op}: sizes must be integers, got {shape!r}.") from None


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``==`` and ``!=`` compare elementwise and give boolean Tensors, like the other
    comparisons and like torch; a Tensor still hashes by identity (it can be a dict key
    or set member), so compare tensors with ``is`` when you mean "the same tensor".

    Attributes:
        data: the values as an array: NumPy on the CPU, CuPy on the GPU. Writing to it
            changes the tensor's values outside the gradient graph. On the CPU it is a
            view that also has torch's in-place methods, so torch's idiom
            ``p.data.add_(p.grad, alpha=-lr)`` runs (see ``lstmkit.autograd.data_array``);
            ``p.data -= lr * p.grad`` is the NumPy way of saying the same.
        grad: ``d loss / d self`` after ``backward()``: a plain array of the same shape
            and backend, or None (torch keeps a Tensor there; lstmkit keeps the array
            the lessons compute with).
        requires_grad: whether operations on this tensor are recorded for backward.
        shape: the sizes, a tuple (``data.shape``, kept with the values: gates and ops read
            it many times per step, and a stored tuple is far cheaper to read than a property).
    """

    __slots__ = (
        "_data", "shape", "_data_view", "grad", "requires_grad", "_creator", "_output_index",
        "_retains_grad", "_changed_at", "__weakref__",
    )
    __array_ufunc__ = None  # numpy ufuncs defer to our operators instead of eating the Tensor
    __hash__ = object.__hash__  # identity, as torch: == compares values elementwise

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if not backend.is_array(data):
            raise TypeError(
                f"Tensor(data) needs a numpy or cupy array, got {type(data).__name__}; "
                "use lstmkit.tensor(...) to build one from lists or numbers."
            )
        self._data = backend.plain_array(data)
        self.shape = self._data.shape
        self._data_view = None
        self.grad: Any = None
        self._creator: Function | None = None
        self._output_index = 0
        self._retains_grad = False
        self._changed_at = -1  # the number of its latest in-place change (function.mark_changed_in_place)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _from_array(data: Any, requires_grad: bool = False) -> Tensor:
        """Wrap an op's result without checks (the hot path of every op); always a Tensor."""
        tensor = Tensor.__new__(Tensor)
        tensor._data, tensor.shape, tensor._data_view, tensor.grad, tensor.requires_grad = data, data.shape, None, None, requires_grad
        tensor._creator, tensor._output_index, tensor._retains_grad, tensor._changed_at = None, 0, False, -1
        return tensor

    def __setstate__(self, state: Any) -> None:
        """Unpickled or deep-copied: the saved slots (and a subclass's ``__dict__``); nodes made
        from now on number above its latest in-place change, which may come from another process."""
        instance_dict, slots = state if isinstance(state, tuple) else (state, None)
        if instance_dict:
            self.__dict__.update(instance_dict)
        self._changed_at = -1  # a pickle from before changes were numbered has a count (_version) instead
        for name, value in (slots or {}).items():
            if name != "_version":
                object.__setattr__(self, name, value)
        self.shape = self._data.shape  # a pickle from before the shape was kept with the values has none
        if self._changed_at >= 0:
            number_later_nodes_above(self._changed_at)

    # ------------------------------------------------------------------ properties

    @property
    def data(self) -> Any:
        """The values as an array (see the class docstring); shares memory with the tensor."""
        view = self._data_view
        if view is None:
            view = self._data_view = backend.data_view(self._data)
        return view

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data_view:  # p.data -= ...: the values already changed in place
            return
        if isinstance(value, Tensor):
            value = value._data
        if not backend.is_array(value):
            raise TypeError(
                f"tensor.data must be a numpy or cupy array, got {type(value).__name__}; "
                "assign an array, e.g. p.data = numpy.zeros(p.shape), or use p.copy_(values)."
            )
        self._data = backend.plain_array(value)
        self.shape = self._data.shape
        self._data_view = None

    @property
    def dtype(self) -> Any:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> backend.Device:
        """``lstmkit.device('cpu')`` or ``lstmkit.device('cuda')``; equal to the strings too."""
        return backend.device_object(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    @property
    def xp(self) -> Any:
        """The array module of this tensor's data (numpy or cupy)."""
        return backend.xp_of(self._data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op."""
        return self._creator is None

    @property
    def grad_fn(self) -> Function | None:
        """The op that made this tensor (None for a leaf), as torch's ``grad_fn``."""
        return self._creator

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the matrix transpose for 2-D)."""
        return ops.Transpose.apply(self, axes=None)

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple, or the length of dimension ``dim`` (torch's ``size``)."""
        if dim is None:
            return self.shape
        (axis,) = ops.normalize_axes("size", dim, self.ndim, self.shape) or (0,)
        return self.shape[axis] if self.ndim else 1

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of values (the product of the shape)."""
        return builtins.int(self._data.size)

    nelement = numel

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor; it holds one value, read it with .item().")
        return len(self._data)

    def __repr__(self) -> str:
        values = repr(backend.to_numpy(self._data)).replace("array(", "tensor(", 1)
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
        if self.numel() != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.numel()} values is ambiguous; "
                "use (x > 0).all() style checks on .numpy(), or .item() for one value."
            )
        return builtins.bool(self.item())

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" works for a one-value tensor, as in torch."""
        if spec and self.numel() == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.numel() != 1:
            raise TypeError(
                f"only a one-value integer tensor can be used as an index, got dtype {self.dtype} "
                f"and shape {self.shape}."
            )
        return builtins.int(self.item())

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
            if self.numel() != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.shape}, not a single value, so "
                    "the gradient to start from is ambiguous. Reduce it to a scalar first "
                    "(e.g. loss = y.sum() or y.mean()), or pass backward(grad) with a "
                    f"gradient of shape {self.shape}."
                )
            grad = self.xp.ones(self._data.shape, dtype=self.dtype)
        else:
            grad = grad._data if isinstance(grad, Tensor) else grad
            grad = backend.asarray(grad, self.device, dtype=self.dtype)
            if grad.shape != self._data.shape:
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
        return Tensor._from_array(self._data)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (it becomes a leaf without grad)."""
        self._creator, self.requires_grad = None, False
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back through it."""
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        """This tensor when its values are C-contiguous, else a contiguous copy (in the graph)."""
        return self if self._data.flags.c_contiguous else ops.Clone.apply(self)

    def is_contiguous(self) -> bool:
        return builtins.bool(self._data.flags.c_contiguous)

    # ------------------------------------------------------------------ host, device and dtype

    def numpy(self) -> Any:
        """A host NumPy copy of the values (explicit, also from the GPU)."""
        return backend.to_numpy(self._data)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def item(self) -> Scalar:
        """The single value as a Python number."""
        if self.numel() != 1:
            raise ValueError(
                f"item(): the tensor has {self.numel()} values (shape {self.shape}); only "
                "one-value tensors convert to a Python number. Use .numpy() for arrays."
            )
        return self._data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists, a number for a 0-d tensor."""
        return self.numpy().tolist()

    def to(self, *args: Any, dtype: Any = None, device: Any = None, **ignored: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        A copy on the device and/or with the dtype, or ``self`` when nothing changes;
        gradients flow back through it. ``non_blocking`` and ``copy`` are accepted and
        ignored (copies between host and GPU are always synchronous here).
        """
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif _is_device(arg):
                device = arg
            else:
                dtype = arg
        result = self
        if device is not None:
            target = backend.resolve_device(device)
            if target != self.device:
                result = ToDevice.apply(result, device=target)
        if dtype is not None and dtypes.as_dtype(dtype) != result.dtype:
            result = ops.AsType.apply(result, dtype=dtypes.as_dtype(dtype))
        return result

    def astype(self, dtype: Any) -> Tensor:
        """The values as another dtype (differentiable between float types)."""
        return ops.AsType.apply(self, dtype=dtypes.as_dtype(dtype))

    def type(self, dtype: Any = None) -> Any:
        """With no argument the type's name (``'lstmkit.FloatTensor'``), else ``to(dtype)``."""
        if dtype is None:
            return f"lstmkit.{_LEGACY_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str) and dtype.rpartition(".")[2] in _LEGACY_DTYPES:
            dtype = _LEGACY_DTYPES[dtype.rpartition(".")[2]]
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A new leaf from ``data`` with this tensor's dtype and device unless given."""
        data = data._data if isinstance(data, Tensor) else data
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device unless given."""
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device unless given."""
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Scalar, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    # ------------------------------------------------------------------ arithmetic

    def _lift(self, other: Any) -> Tensor:
        """Wrap a number or array so it can meet this tensor in an op."""
        if isinstance(other, Tensor):
            return other
        floating = self.dtype.kind == "f"
        if isinstance(other, int | float | bool):
            return Tensor._from_array(self.xp.asarray(other, dtype=self.dtype if floating else None))
        array = backend.plain_array(backend.asarray(other, self.device))
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

    def __abs__(self) -> Tensor:
        return ops.Abs.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, self._lift(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self._lift(other), self)

    # the in-place operators (x += y) change the values in place, as torch does; where
    # the graph is recording (x or y requires grad), the result is a new node instead
    def _inplace_operator(self, name: str, other: Any, op: type) -> Tensor:
        other = self._lift(other)
        if is_grad_enabled() and (self.requires_grad or other.requires_grad):
            if self.requires_grad and self._creator is None:
                raise _leaf_inplace_error(name)
            return op.apply(self, other)
        return self._write(name, op.apply(self, other)._data)

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_operator("+=", other, ops.Add)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_operator("-=", other, ops.Sub)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_operator("*=", other, ops.Mul)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_operator("/=", other, ops.Div)

    # comparisons give boolean tensors outside the graph (for masks and checks)
    def _compare(self, other: Any, compare: Any) -> Tensor:
        return Tensor._from_array(compare(self._data, self._lift(other)._data))

    def __eq__(self, other: Any) -> Any:  # noqa: D105  (elementwise, as torch)
        if other is None:
            return False
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> Any:
        if other is None:
            return True
        return self._compare(other, operator.ne)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, operator.ge)

    def eq(self, other: Any) -> Tensor:
        return self._compare(other, operator.eq)

    def ne(self, other: Any) -> Tensor:
        return self._compare(other, operator.ne)

    def equal(self, other: Any) -> bool:
        """True when ``other`` has the same shape and values (torch's ``equal``)."""
        other = self._lift(other)
        return other.shape == self.shape and builtins.bool((self._data == other._data).all())

    def all(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        return Tensor._from_array(self.xp.asarray(self._data.all(axis=dim, keepdims=keepdim)))

    def any(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        return Tensor._from_array(self.xp.asarray(self._data.any(axis=dim, keepdims=keepdim)))

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=_raw_index(index, self))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` in place, as torch (under ``no_grad`` for a tensor that requires grad)."""
        values = self._inplace_values("x[index] = value", value)
        self._write("x[index] = value", values, index=_raw_index(index, self))

    # ------------------------------------------------------------------ elementwise

    def add(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
        return self + (other if alpha == 1 else self._lift(other) * alpha)

    def sub(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
        return self - (other if alpha == 1 else self._lift(other) * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def neg(self) -> Tensor:
        return -self

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    mm = matmul

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

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002  (torch's names)
        """Clamp into ``[min, max]`` (either may be None); slope 1 inside, 0 outside."""
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max.")
        return ops.Clip.apply(self, low=_number(min), high=_number(max))

    def clip(self, low: Scalar | None = None, high: Scalar | None = None) -> Tensor:
        """NumPy's spelling of ``clamp(min, max)``."""
        return ops.Clip.apply(self, low=_number(low), high=_number(high))

    def maximum(self, other: Any) -> Tensor:
        """Elementwise larger of ``self`` and ``other`` (ties share the gradient)."""
        return ops.Maximum.apply(self, self._lift(other))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise smaller of ``self`` and ``other`` (ties share the gradient)."""
        return ops.Minimum.apply(self, self._lift(other))

    def softmax(self, dim: int) -> Tensor:
        return ops.Softmax.apply(self, axis=dim)

    def log_softmax(self, dim: int) -> Tensor:
        return ops.LogSoftmax.apply(self, axis=dim)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """Sum over ``dim`` (int, tuple, or None for all); ``keepdim`` keeps them as size 1."""
        axis = _pick_axis("sum", dim, axis)
        return ops.Sum.apply(self, axis=axis, keepdims=_pick_keepdim("sum", keepdim, keepdims))

    def mean(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """Mean over ``dim`` (int, tuple, or None for all)."""
        axis = _pick_axis("mean", dim, axis)
        return ops.Mean.apply(self, axis=axis, keepdims=_pick_keepdim("mean", keepdim, keepdims))

    def _extreme(self, name: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Any:
        keep = _pick_keepdim(name, keepdim, keepdims)
        if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        axis = _pick_axis(name, dim, axis, torch_empty_means_all=False)
        lower = name == "min"
        if axis is None:  # over every value: a 0-d tensor, ties share the gradient
            return (ops.Min if lower else ops.Max).apply(self, axis=None, keepdims=keep, name=name)
        if isinstance(axis, tuple | list):
            raise TypeError(f"{name}(dim) takes one dimension, got {axis!r}; use a{name}(dim) for several.")
        values, indices = (ops.MinDim if lower else ops.MaxDim).apply(self, axis=axis, keepdims=keep)
        return ValuesIndices(values, indices)

    def max(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """torch's ``max``: no ``dim`` gives the largest value (0-d); ``max(dim)`` gives the
        named tuple ``(values, indices)``; ``max(other_tensor)`` the elementwise maximum."""
        return self._extreme("max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """torch's ``min``: the smallest value, ``(values, indices)`` along ``dim``, or elementwise."""
        return self._extreme("min", dim, keepdim, axis, keepdims)

    def amax(self, dim: Axis = (), keepdim: bool = False) -> Tensor:
        """Largest values over ``dim`` (() or None: all); ties share the gradient equally."""
        axis = None if dim is None or dim == () else dim
        return ops.Max.apply(self, axis=axis, keepdims=keepdim, name="amax")

    def amin(self, dim: Axis = (), keepdim: bool = False) -> Tensor:
        """Smallest values over ``dim`` (() or None: all); ties share the gradient equally."""
        axis = None if dim is None or dim == () else dim
        return ops.Min.apply(self, axis=axis, keepdims=keepdim, name="amin")

    def _arg_extreme(self, name: str, dim: Any, keepdim: bool) -> Tensor:
        data = self._data
        if dim is None:  # an index into the flattened values
            ops.check_not_empty(name, self.shape, tuple(range(self.ndim)), False)
            index = data.argmin() if name == "argmin" else data.argmax()
            return Tensor._from_array(self.xp.asarray(index, dtype="int64"))
        axes = ops.normalize_axes(name, dim, self.ndim, self.shape)
        if not axes:  # a 0-d tensor: index 0
            return Tensor._from_array(self.xp.zeros((), dtype="int64"))
        ops.check_not_empty(name, self.shape, axes, True)
        index = (data.argmin if name == "argmin" else data.argmax)(axis=axes[0], keepdims=keepdim)
        return Tensor._from_array(index.astype("int64", copy=False))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest value (the first among ties, as torch); flat when ``dim`` is None."""
        return self._arg_extreme("argmax", dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest value (the first among ties); flat when ``dim`` is None."""
        return self._arg_extreme("argmin", dim, keepdim)

    def var(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Scalar | None = None, axis: Axis = None) -> Tensor:
        """Variance over ``dim`` with torch's default ``correction=1`` (``unbiased=True``):
        Σ (x - mean)² / (n - correction). ``unbiased=False`` is ``correction=0``."""
        if unbiased is not None and correction is not None:
            raise TypeError("var: give unbiased or correction, not both.")
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = ops.normalize_axes("var", _pick_axis("var", dim, axis), self.ndim, self.shape)
        count = 1
        for a in axes:
            count *= self.shape[a]
        centred = self - self.mean(axis=axes, keepdims=True)
        return (centred * centred).sum(axis=axes, keepdims=keepdim) / builtins.max(count - correction, 0)

    def std(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Scalar | None = None, axis: Axis = None) -> Tensor:
        """Standard deviation: the square root of ``var`` (same arguments and defaults)."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis).sqrt()

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Tensor:
        return ops.Reshape.apply(self, shape=_shape_args("reshape", shape))

    def view(self, *shape: Any) -> Tensor:
        """torch's ``view``: the same values in ``shape`` (-1 inferred); a reshape here."""
        if len(shape) == 1 and not isinstance(shape[0], tuple | list | builtins.int) and shape[0] is not None:
            return self.to(shape[0])  # view(dtype) reinterprets in torch; here it converts
        return ops.Reshape.apply(self, shape=_shape_args("view", shape))

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dimension); gradients are summed back."""
        sizes = _shape_args("expand", sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ops.ShapeError(f"expand: {sizes} has fewer dimensions than the tensor's shape {self.shape}.")
        target = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return ops.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def permute(self, *dims: Any) -> Tensor:
        """The dimensions reordered: output dimension i is input dimension ``dims[i]``."""
        dims = _shape_args("permute", dims)
        if len(dims) != self.ndim:
            raise ops.ShapeError(
                f"permute: {dims} names {len(dims)} dimensions but the tensor of shape {self.shape} "
                f"has {self.ndim}; list every dimension once."
            )
        return ops.Transpose.apply(self, axes=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """torch's ``transpose``: dimensions ``dim0`` and ``dim1`` swapped.

        (NumPy's ``transpose(axes)`` permutation is ``permute(*axes)``; ``.T`` reverses all.)
        """
        if self.ndim == 0:
            ops.normalize_axes("transpose", (dim0, dim1), 0, ())
            return self
        first, second = (ops.normalize_axes("transpose", d, self.ndim, self.shape)[0] for d in (dim0, dim1))
        axes = list(range(self.ndim))
        axes[first], axes[second] = axes[second], axes[first]
        return ops.Transpose.apply(self, axes=tuple(axes))

    swapaxes = transpose
    swapdims = transpose

    def t(self) -> Tensor:
        """The transpose of a matrix (0-d and 1-d tensors come back as they are)."""
        if self.ndim > 2:
            raise ops.ShapeError(
                f"t() expects a tensor with <= 2 dimensions, but this one has shape {self.shape}; "
                "use transpose(dim0, dim1) or permute(...)."
            )
        return self if self.ndim < 2 else self.transpose(0, 1)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dimension of size 1 at ``dim`` (-1 appends it)."""
        (axis,) = ops.normalize_axes("unsqueeze", dim, self.ndim + 1, (*self.shape, 1)) or (0,)
        return ops.Reshape.apply(self, shape=self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Drop dimensions of size 1: all of them, or those in ``dim`` (others are kept)."""
        axes = ops.normalize_axes("squeeze", dim, self.ndim, self.shape)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return ops.Reshape.apply(self, shape=shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim`` .. ``end_dim`` merged into one (all, by default)."""
        if self.ndim == 0:
            return ops.Reshape.apply(self, shape=(1,))
        first, last = (ops.normalize_axes("flatten", d, self.ndim, self.shape)[0] for d in (start_dim, end_dim))
        if first > last:
            raise ops.ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}.")
        merged = 1
        for n in self.shape[first : last + 1]:
            merged *= n
        return ops.Reshape.apply(self, shape=self.shape[:first] + (merged,) + self.shape[last + 1 :])

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """``length`` entries of dimension ``dim`` from ``start`` (torch's ``narrow``)."""
        (axis,) = ops.normalize_axes("narrow", dim, self.ndim, self.shape)
        size = self.shape[axis]
        start = start + size if start < 0 else start
        if not (0 <= start <= size and 0 <= length and start + length <= size):
            raise ops.DimensionError(
                f"narrow: start {start} and length {length} do not fit dimension {axis} of size {size}; "
                f"need 0 <= start and start + length <= {size}."
            )
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0, *, axis: int | None = None) -> list[Tensor]:
        return split(self, split_size_or_sections, dim if axis is None else axis)

    def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
        """``chunks`` pieces along ``dim`` (the last may be smaller), as torch's ``chunk``."""
        size = self.shape[ops.normalize_axes("chunk", dim, self.ndim, self.shape)[0]]
        return split(self, builtins.max(1, -(-size // chunks)), dim)

    # ------------------------------------------------------------------ in place

    def _check_inplace(self, name: str) -> None:
        if self.requires_grad and is_grad_enabled():
            if self._creator is None:
                raise _leaf_inplace_error(name)
            raise RuntimeError(
                f"{name}: this tensor is the output of an op in a graph that records gradients, and "
                "lstmkit does not record in-place changes in the graph. Write it out of place "
                f"(x = x + y rather than x.add_(y)), or change it under lstmkit.no_grad()."
            )

    def _write(self, name: str, values: Any, index: Any = None) -> Tensor:
        """Write ``values`` (broadcast to this shape, or to ``self[index]``) into this tensor's memory."""
        try:
            if index is None:
                self.xp.copyto(self._data, values, casting="same_kind")
            else:
                self._data[index] = values
        except (ValueError, TypeError) as error:
            shape = getattr(values, "shape", ())
            raise ops.ShapeError(
                f"{name}: cannot write values of shape {tuple(shape)} and dtype "
                f"{getattr(values, 'dtype', type(values).__name__)} into a tensor of shape {self.shape} "
                f"and dtype {self.dtype} ({error}); they must broadcast to {self.shape}."
            ) from None
        mark_changed_in_place(self)  # nodes that saved the old values now refuse backward
        return self

    def _inplace_values(self, name: str, other: Any) -> Any:
        self._check_inplace(name)
        other = self._lift(other)
        if other.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"{name}: the argument requires grad, and lstmkit does not record in-place ops in "
                "the graph; write it out of place (x = x + y), or use lstmkit.no_grad()."
            )
        return other._data

    def add_(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
        """``self += alpha * other`` in place (under ``no_grad`` for a leaf that requires grad)."""
        other = self._inplace_values("add_", other)
        return self._write("add_", self._data + (other if alpha == 1 else alpha * other))

    def sub_(self, other: Any, *, alpha: Scalar = 1) -> Tensor:
        """``self -= alpha * other`` in place."""
        other = self._inplace_values("sub_", other)
        return self._write("sub_", self._data - (other if alpha == 1 else alpha * other))

    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` in place."""
        return self._write("mul_", self._data * self._inplace_values("mul_", other))

    def div_(self, other: Any) -> Tensor:
        """``self /= other`` in place."""
        return self._write("div_", self._data / self._inplace_values("div_", other))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Clamp into ``[min, max]`` in place."""
        self._check_inplace("clamp_")
        return self._write("clamp_", self.xp.clip(self._data, _number(min), _number(max)))

    def zero_(self) -> Tensor:
        """Set every value to 0 in place."""
        self._check_inplace("zero_")
        return self._write("zero_", 0)

    def fill_(self, value: Scalar) -> Tensor:
        """Set every value to ``value`` in place."""
        self._check_inplace("fill_")
        return self._write("fill_", _number(value))

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (a Tensor, array or numbers broadcasting to this shape) into this tensor."""
        self._check_inplace("copy_")
        values = src._data if isinstance(src, Tensor) else src
        values = backend.asarray(values, self.device) if backend.is_array(values) else self.xp.asarray(values)
        return self._write("copy_", values.astype(self.dtype, copy=False))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with U(a, b) values from lstmkit's seeded generator, in place."""
        self._check_inplace("uniform_")
        return self._write("uniform_", rng.uniform_between(self.shape, a, b, self.dtype, self.device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with N(mean, std²) values from lstmkit's seeded generator, in place."""
        self._check_inplace("normal_")
        return self._write("normal_", rng.normal(self.shape, std, self.dtype, self.device) + mean)


# ---------------------------------------------------------------------- ops that need Tensor


class ToDevice(Function):
    """Copy between host and GPU; the gradient is copied back the other way."""

    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):
        return (backend.to_device(grad, self.source),)



def _raw_index(index: Any, indexed: Tensor) -> Any:
    """Replace Tensors and lists inside an index by arrays of the indexed tensor's module."""
    if isinstance(index, tuple):
        return tuple([_raw_index(part, indexed) for part in index])
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return indexed.xp.asarray(index)
    return index


# ---------------------------------------------------------------------- helpers


def _number(value: Any) -> Any:
    """A bound or fill value as a plain number (a one-value Tensor gives its value)."""
    return value.item() if isinstance(value, Tensor) else value


def _is_device(value: Any) -> bool:
    """A device name ('cpu', 'cuda:0', 'auto'), an lstmkit.device or a torch.device."""
    if isinstance(value, str):
        return value.split(":")[0].strip().lower() in backend.DEVICES
    return hasattr(value, "type") and hasattr(value, "index")


def _leaf_inplace_error(name: str) -> RuntimeError:
    return RuntimeError(
        f"{name}: a leaf tensor that requires grad is being changed in place, which would "
        "change what backward() differentiates (torch refuses this too). Update parameters "
        "inside `with lstmkit.no_grad():`, or change the values through .data "
        "(p.data.add_(p.grad, alpha=-lr))."
    )


_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                 "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_LEGACY_DTYPES = {name: dtypes.as_dtype(dtype) for dtype, name in _LEGACY_NAMES.items()}


# ---------------------------------------------------------------------- constructors


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
) -> Tensor:
    """Make a Tensor from a list, number, numpy/cupy array or Tensor.

    An array of the asked dtype and device is used as it is (no copy); anything else
    is converted.
    Python floats become the default dtype (float32, as in PyTorch, unless
    ``set_default_dtype`` changed it); NumPy arrays keep their dtype. ``device`` is
    'cpu', 'cuda', 'auto' or an ``lstmkit.device`` (default: ``$LSTMKIT_DEVICE`` or 'cpu').
    """
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, list | tuple) and data and any(isinstance(v, Tensor) for v in data):
        data = [v.item() if isinstance(v, Tensor) else v for v in data]  # lk.tensor([t1, t2])
    data = backend.plain_array(data)
    if device is None and backend.is_array(data):
        target = backend.device_of(data)  # an array stays where it is unless asked otherwise
    else:
        target = backend.resolve_device(device)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    elif not backend.is_array(data):
        probe = backend.array_module("cpu").asarray(data)
        if probe.dtype.kind == "f":
            dtype = dtypes.get_default_dtype()
        elif probe.dtype.kind == "O":
            raise TypeError(
                f"tensor(): could not read {type(data).__name__} as numbers; give a number, "
                "a (nested) list of numbers of one length per row, or an array."
            )
    array = backend.asarray(data, target, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def _filled(op: str, shape: tuple, fill: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.full(_shape_args(op, shape), fill, dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of ``size`` (default dtype: ``get_default_dtype()``, float32)."""
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of ``size``."""
    return _filled("ones", size, 1, dtype, device, requires_grad)


def full(size: Any, fill_value: Scalar, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``."""
    size = (size,) if not isinstance(size, tuple | list) else tuple(size)
    return _filled("full", size, _number(fill_value), dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` (filled with zeros here: lstmkit never hands out uninitialised memory)."""
    return _filled("empty", size, 0, dtype, device, requires_grad)


def _like(x: Tensor, dtype: Any, device: Any) -> dict[str, Any]:
    return {"dtype": x.dtype if dtype is None else dtype, "device": x.device if device is None else device}


def zeros_like(x: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``x`` (its dtype and device unless given)."""
    return zeros(x.shape, **_like(x, dtype, device), requires_grad=requires_grad)


def ones_like(x: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones shaped like ``x`` (its dtype and device unless given)."""
    return ones(x.shape, **_like(x, dtype, device), requires_grad=requires_grad)


def full_like(x: Tensor, fill_value: Scalar, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return full(x.shape, fill_value, **_like(x, dtype, device), requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """N(0, 1) values of ``size`` from lstmkit's seeded generator (``manual_seed``).

    The values differ from torch's for the same seed (a different generator).
    """
    values = rng.normal(_shape_args("randn", size), 1.0, dtypes.resolve(dtype), backend.resolve_device(device))
    return Tensor(values, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """U[0, 1) values of ``size`` from lstmkit's seeded generator."""
    values = rng.uniform_between(_shape_args("rand", size), 0.0, 1.0, dtypes.resolve(dtype),
                                 backend.resolve_device(device))
    return Tensor(values, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype: Any = None, device: Any = None) -> Tensor:
    return randn(x.shape, **_like(x, dtype, device))


def rand_like(x: Tensor, dtype: Any = None, device: Any = None) -> Tensor:
    return rand(x.shape, **_like(x, dtype, device))


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in [low, high) (or [0, low) when ``high`` is left out), int64 by default."""
    if high is None:
        low, high = 0, low
    values = rng.generator().integers(low, high, size=_shape_args("randint", (size,)))
    return tensor(values.astype(dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)), device=device)


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)`` is 0 .. n-1), as torch:
    int64 when every argument is an integer, else the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v) for v in (start, end, step))
    integral = all(isinstance(v, builtins.int) for v in (start, end, step))
    if dtype is None:
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.arange(start, end, step, dtype=dtypes.as_dtype(dtype)), requires_grad=requires_grad)


def linspace(start: Scalar, end: Scalar, steps: int, dtype: Any = None, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.linspace(start, end, steps, dtype=dtypes.resolve(dtype)))


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """The identity matrix (n, m or n)."""
    xp = backend.array_module(backend.resolve_device(device))
    return Tensor(xp.eye(n, m, dtype=dtypes.resolve(dtype)))


def from_numpy(array: Any) -> Tensor:
    """A Tensor sharing ``array``'s memory (a NumPy array; its dtype is kept), as torch."""
    if not backend.is_array(array) or backend.device_of(array) != "cpu":
        raise TypeError(
            f"from_numpy expects a numpy.ndarray, got {type(array).__name__}; use lstmkit.tensor(...) "
            "for lists, numbers and GPU arrays."
        )
    return Tensor(array)


def is_tensor(value: Any) -> bool:
    """True for an lstmkit Tensor (and Parameters)."""
    return isinstance(value, Tensor)


# ---------------------------------------------------------------------- joining and splitting


def _as_tensors(op: str, tensors: Iterable[Any]) -> list[Tensor]:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor, got an empty list.")
    first = tensors[0] if isinstance(tensors[0], Tensor) else next((t for t in tensors if isinstance(t, Tensor)), None)
    if first is None:
        return [tensor(t) for t in tensors]
    return [first._lift(t) for t in tensors]


def concat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dimension ``dim`` (shapes must match elsewhere);
    ``lstmkit.cat`` is the same function, under torch's name."""
    return ops.Concat.apply(*_as_tensors("concat", tensors), axis=dim if axis is None else axis)


cat = concat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    return ops.Stack.apply(*_as_tensors("stack", tensors), axis=dim if axis is None else axis)


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0, *,
          axis: int | None = None) -> list[Tensor]:
    """Cut ``x`` along ``dim`` into pieces, as ``torch.split`` does.

    An int gives pieces of that size (the last may be smaller); a list gives the
    size of each piece and must add up to ``x.shape[dim]``.
    """
    axis = dim if axis is None else axis
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
    return list(ops.Split.apply(x, sizes=sizes, axis=axis))  # one node on the tape for all pieces


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (differentiable in a and b)."""
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else tensor(a)
    a, b = ref._lift(a), ref._lift(b)
    cond = condition._data if isinstance(condition, Tensor) else backend.asarray(condition, ref.device)
    return ops.Where.apply(a, b, condition=cond.astype(bool))


def clip(x: Tensor, low: Scalar | None = None, high: Scalar | None = None) -> Tensor:
    """Clamp ``x`` into ``[low, high]``."""
    return x.clip(low, high)
