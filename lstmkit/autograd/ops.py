"""Every differentiable op: forward and backward side by side, on plain arrays.

Each class below is one op. ``forward`` receives arrays (numpy or cupy) and saves
what ``backward`` needs on ``self``; ``backward`` receives the gradient of the
output and returns one gradient per input, reduced to that input's shape.
The array module is always taken from the data (``backend.xp_of``), never
hard-coded, so the same code runs on the CPU and on the GPU.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .function import Function


class ShapeError(ValueError):
    """Shapes that an op cannot combine; the message names the op and both shapes."""


# --------------------------------------------------------------------------- helpers


def broadcast_shapes(op: str, shape_a: tuple, shape_b: tuple) -> tuple:
    """The broadcast shape of two shapes, or a ShapeError naming ``op`` and both shapes."""
    result = []
    for i in range(1, max(len(shape_a), len(shape_b)) + 1):
        da = shape_a[-i] if i <= len(shape_a) else 1
        db = shape_b[-i] if i <= len(shape_b) else 1
        if da != db and da != 1 and db != 1:
            raise ShapeError(
                f"{op}: shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be broadcast "
                f"together (dimension -{i} is {da} in one and {db} in the other; each pair "
                "of trailing dimensions must be equal or 1). Reshape one operand, "
                "for example with .reshape(...), so that the shapes line up."
            )
        result.append(max(da, db))
    return tuple(reversed(result))


def sum_to(grad: Any, shape: tuple) -> Any:
    """Sum a broadcast gradient back down to ``shape`` (the input's shape)."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def normalize_axes(op: str, axis: Any, ndim: int, shape: tuple) -> tuple[int, ...]:
    """``None``, an int (negative allowed) or a tuple of ints -> sorted positive axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    if ndim == 0 and axes:
        raise ShapeError(
            f"{op}: axis {axis!r} was given, but a 0-d tensor (a single value) has no axes; "
            "use axis=None."
        )
    result = []
    for a in axes:
        if not isinstance(a, int) or not -ndim <= a < ndim:
            raise ShapeError(
                f"{op}: axis {a!r} is out of range for a tensor of shape {tuple(shape)} "
                f"({ndim} dimensions); use an axis between {-ndim} and {ndim - 1}, "
                "a tuple of them, or None for all."
            )
        result.append(a % ndim)
    if len(set(result)) != len(result):
        raise ShapeError(f"{op}: axis {axis!r} repeats a dimension; list each axis once.")
    return tuple(sorted(result))


def keepdims_shape(shape: tuple, axes: tuple[int, ...]) -> tuple:
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


# --------------------------------------------------------------------------- arithmetic


class Add(Function):
    def forward(self, a, b):
        broadcast_shapes("add", a.shape, b.shape)
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return sum_to(grad, self.shapes[0]), sum_to(grad, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        broadcast_shapes("sub", a.shape, b.shape)
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return sum_to(grad, self.shapes[0]), sum_to(-grad, self.shapes[1])


class Mul(Function):
    def forward(self, a, b):
        broadcast_shapes("mul", a.shape, b.shape)
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = sum_to(grad * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(grad * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    def forward(self, a, b):
        broadcast_shapes("div", a.shape, b.shape)
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = sum_to(grad / b, a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class PowScalar(Function):
    """``a ** exponent`` for a fixed Python number ``exponent``."""

    def forward(self, a, exponent):
        self.a, self.exponent = a, exponent
        return a**exponent

    def backward(self, grad):
        a, p = self.a, self.exponent
        if p == 0:  # a**0 is constant; p * a**-1 would be 0 * inf = nan at a = 0
            return (grad * 0,)
        return (grad * p * a ** (p - 1),)


class Pow(Function):
    """``a ** b`` with a tensor exponent; d/db = a**b * log(a) (defined for a > 0)."""

    def forward(self, a, b):
        broadcast_shapes("pow", a.shape, b.shape)
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        a, b, out = self.a, self.b, self.out
        grad_a = sum_to(grad * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            log_a = xp.log(xp.where(a > 0, a, 1))  # a**b has no real slope in b where a <= 0
            grad_b = sum_to(grad * out * log_a, b.shape)
        return grad_a, grad_b


class MatMul(Function):
    """``a @ b`` for 1-D, 2-D and batched (broadcast) operands, as numpy defines it."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul: both operands need at least one dimension, got shapes {a.shape} "
                f"and {b.shape}; use * to multiply by a scalar."
            )
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} do not line up: the left operand "
                f"has {inner_a} columns but the right one has {inner_b} rows. For "
                "a @ b the last dimension of a must equal the second-to-last of b; "
                "check the order of the operands or transpose one (.T)."
            )
        if a.ndim > 2 or b.ndim > 2:
            broadcast_shapes("matmul (batch dimensions)", a.shape[:-2], b.shape[:-2])
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:  # a dot product: the output is 0-d
            return grad * b, grad * a
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad[..., None, :]
        if b.ndim == 1:
            grad = grad[..., None]
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to(grad @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to(a2.swapaxes(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


# --------------------------------------------------------------------------- elementwise


class Exp(Function):
    def forward(self, a):
        self.out = backend.xp_of(a).exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    def forward(self, a):
        self.a = a
        return backend.xp_of(a).log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Tanh(Function):
    def forward(self, a):
        self.out = backend.xp_of(a).tanh(a)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)


class Sigmoid(Function):
    """σ(a) = tanh(a/2)/2 + 1/2: the same function as 1/(1+e^-a), but no overflow."""

    def forward(self, a):
        self.out = backend.xp_of(a).tanh(a * 0.5) * 0.5 + 0.5
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


class Relu(Function):
    def forward(self, a):
        self.mask = a > 0
        return a * self.mask

    def backward(self, grad):
        return (grad * self.mask,)


class Clip(Function):
    """Clamp to ``[low, high]`` (either may be None); the slope is 1 inside, 0 outside."""

    def forward(self, a, low, high):
        xp = backend.xp_of(a)
        self.inside = xp.ones(a.shape, dtype=bool)
        if low is not None:
            self.inside &= a >= low
        if high is not None:
            self.inside &= a <= high
        return xp.clip(a, low, high)

    def backward(self, grad):
        return (grad * self.inside,)


class Where(Function):
    """``condition ? a : b`` elementwise; ``condition`` is a boolean array (no gradient)."""

    def forward(self, a, b, condition):
        shape = broadcast_shapes("where", a.shape, b.shape)
        broadcast_shapes("where (condition)", condition.shape, shape)
        self.shapes, self.condition = (a.shape, b.shape), condition
        return backend.xp_of(a).where(condition, a, b)

    def backward(self, grad):
        zero = grad.dtype.type(0)
        xp = backend.xp_of(grad)
        return (
            sum_to(xp.where(self.condition, grad, zero), self.shapes[0]),
            sum_to(xp.where(self.condition, zero, grad), self.shapes[1]),
        )


class AsType(Function):
    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype),)


# --------------------------------------------------------------------------- reductions


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axes("sum", axis, a.ndim, a.shape)
        self.shape = a.shape
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        grad = grad.reshape(keepdims_shape(self.shape, self.axes))
        return (xp.broadcast_to(grad, self.shape),)


class Mean(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axes("mean", axis, a.ndim, a.shape)
        self.shape = a.shape
        self.count = 1
        for axis_index in self.axes:
            self.count *= a.shape[axis_index]
        return a.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        grad = grad.reshape(keepdims_shape(self.shape, self.axes)) / self.count
        return (xp.broadcast_to(grad, self.shape),)


class Max(Function):
    """Largest value over ``axis``; the gradient is shared equally among ties."""

    def forward(self, a, axis=None, keepdims=False):
        if a.size == 0:
            raise ShapeError(f"max: the tensor of shape {a.shape} is empty; max needs at least one value.")
        self.axes = normalize_axes("max", axis, a.ndim, a.shape)
        out = a.max(axis=self.axes, keepdims=True)
        self.mask = a == out
        self.shape = a.shape
        return out if keepdims else out.reshape([s for i, s in enumerate(a.shape) if i not in self.axes])

    def backward(self, grad):
        grad = grad.reshape(keepdims_shape(self.shape, self.axes))
        count = self.mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)  # keep float32
        return (grad * self.mask / count,)


# --------------------------------------------------------------------------- shape ops


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} values) "
                f"into shape {tuple(shape)}; the new shape must hold the same number of "
                "values (use -1 for one dimension to have it inferred)."
            ) from None

    def backward(self, grad):
        return (grad.reshape(self.shape),)


class Transpose(Function):
    def forward(self, a, axes=None):
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        if sorted(ax % a.ndim for ax in axes) != list(range(a.ndim)) or len(axes) != a.ndim:
            raise ShapeError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {a.ndim} "
                f"dimensions of shape {a.shape}; give each axis 0..{a.ndim - 1} once."
            )
        self.axes = tuple(ax % a.ndim for ax in axes)
        return a.transpose(self.axes)

    def backward(self, grad):
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return (grad.transpose(inverse),)


def _is_basic_index(index: Any) -> bool:
    """True when ``index`` selects without copies (ints, slices, None, Ellipsis)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """``a[index]``: slicing, integer and boolean indexing; backward scatter-adds."""

    def forward(self, a, index):
        try:
            out = a[index]
        except IndexError as error:
            raise IndexError(
                f"getitem: index {index!r} does not fit a tensor of shape {a.shape} ({error})."
            ) from None
        self.index, self.shape, self.dtype = index, a.shape, a.dtype
        return out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        full = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            full[self.index] = grad
        else:  # repeated indices must add up, which plain assignment would not do
            backend.scatter_add(full, self.index, grad)
        return (full,)


class Concat(Function):
    """Join tensors along an existing axis."""

    def forward(self, *arrays, axis=0):
        first = arrays[0]
        if first.ndim == 0:
            raise ShapeError("concat: 0-d tensors have no axis to join along; use stack to make a new one.")
        (axis,) = normalize_axes("concat", axis, first.ndim, first.shape)
        for other in arrays[1:]:
            if other.ndim != first.ndim or any(
                i != axis and x != y for i, (x, y) in enumerate(zip(first.shape, other.shape, strict=False))
            ):
                raise ShapeError(
                    f"concat: shapes {first.shape} and {other.shape} differ outside axis "
                    f"{axis}; every dimension but the one joined along must match."
                )
        self.axis = axis
        self.sizes = [x.shape[axis] for x in arrays]
        return backend.xp_of(first).concatenate(arrays, axis=axis)

    def backward(self, grad):
        grads, start = [], 0
        for size in self.sizes:
            index = [slice(None)] * grad.ndim
            index[self.axis] = slice(start, start + size)
            grads.append(grad[tuple(index)])
            start += size
        return tuple(grads)


class Stack(Function):
    """Join tensors of one shape along a new axis."""

    def forward(self, *arrays, axis=0):
        for other in arrays[1:]:
            if other.shape != arrays[0].shape:
                raise ShapeError(
                    f"stack: all tensors must have one shape, but found {arrays[0].shape} "
                    f"and {other.shape}; use concat to join along an existing axis."
                )
        new_shape = (*arrays[0].shape, 1)  # the stacked result has one more axis
        (self.axis,) = normalize_axes("stack", axis, len(new_shape), new_shape)
        return backend.xp_of(arrays[0]).stack(arrays, axis=self.axis)

    def backward(self, grad):
        return tuple(grad.take(i, axis=self.axis) for i in range(grad.shape[self.axis]))


# --------------------------------------------------------------------------- losses, softmax


class LogSoftmax(Function):
    """log softmax over ``axis``, computed as x - max - log(sum(exp(x - max)))."""

    def forward(self, a, axis=-1):
        xp = backend.xp_of(a)
        (self.axis,) = normalize_axes("log_softmax", axis, a.ndim, a.shape)
        shifted = a - a.max(axis=self.axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        return (grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


class Softmax(Function):
    def forward(self, a, axis=-1):
        xp = backend.xp_of(a)
        (self.axis,) = normalize_axes("softmax", axis, a.ndim, a.shape)
        e = xp.exp(a - a.max(axis=self.axis, keepdims=True))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        y = self.out
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class CrossEntropy(Function):
    """Mean negative log-likelihood of integer ``targets`` under ``logits`` (…, C)."""

    def forward(self, logits, targets):
        xp = backend.xp_of(logits)
        classes = logits.shape[-1]
        rows = logits.reshape(-1, classes)
        flat_targets = targets.reshape(-1)
        shifted = rows - rows.max(axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        picked = log_probs[xp.arange(rows.shape[0]), flat_targets]
        self.log_probs, self.targets, self.shape = log_probs, flat_targets, logits.shape
        return -picked.mean()

    def backward(self, grad):
        xp = backend.xp_of(grad)
        count = self.log_probs.shape[0]
        dlogits = xp.exp(self.log_probs)
        dlogits[xp.arange(count), self.targets] -= 1
        return (dlogits * (grad / count)).reshape(self.shape), None
