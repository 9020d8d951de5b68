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


class DimensionError(ShapeError, IndexError):
    """A dimension (axis) out of range; also an IndexError, as torch raises."""


class EmptyReductionError(ShapeError, RuntimeError):
    """A reduction with no values to reduce (max of an empty tensor); also a RuntimeError, as torch."""


# --------------------------------------------------------------------------- helpers


def broadcast_shapes(op: str, shape_a: tuple, shape_b: tuple) -> tuple:
    """The broadcast shape of two shapes, or a ShapeError naming ``op`` and both shapes."""
    if shape_a == shape_b:
        return tuple(shape_a)
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
    if grad.shape == shape or grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def spread(grad: Any, shape: tuple) -> Any:
    """A reduction's gradient copied to every position it was reduced over: an array of ``shape``.

    (``broadcast_to`` would give a read-only view, but costs more than the copy for the
    small arrays most reductions see.)
    """
    out = backend.xp_of(grad).empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


def normalize_axes(op: str, axis: Any, ndim: int, shape: tuple) -> tuple[int, ...]:
    """``None``, an int (negative allowed) or a tuple of ints -> sorted positive axes.

    ``()`` selects no axis (NumPy's meaning). A 0-d tensor accepts axis 0 or -1, as torch
    does, and has no axis to reduce (the result is the value itself).
    """
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    if ndim == 0:
        if all(_is_int(a) and a in (0, -1) for a in axes):
            return ()
        raise DimensionError(
            f"{op}: axis {axis!r} was given, but a 0-d tensor (a single value) only has axis 0 "
            "(or -1); use axis=None, 0 or -1."
        )
    result = []
    for a in axes:
        if not _is_int(a) or not -ndim <= a < ndim:
            raise DimensionError(
                f"{op}: axis {a!r} is out of range for a tensor of shape {tuple(shape)} "
                f"({ndim} dimensions); use an axis between {-ndim} and {ndim - 1}, "
                "a tuple of them, or None for all."
            )
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ShapeError(f"{op}: axis {axis!r} repeats a dimension; list each axis once.")
    return tuple(sorted(result))


def _is_int(value: Any) -> bool:
    """True for Python and NumPy integers (not bools)."""
    return hasattr(value, "__index__") and not isinstance(value, bool)


def reduced_shape(shape: tuple, axes: tuple[int, ...], keepdims: bool) -> tuple:
    """The shape a reduction over ``axes`` leaves."""
    if keepdims:
        return keepdims_shape(shape, axes)
    return tuple(size for i, size in enumerate(shape) if i not in axes)


def check_not_empty(op: str, shape: tuple, axes: tuple[int, ...], dim_given: bool) -> None:
    """torch's rule for max/min/argmax: an empty reduced dimension is an error."""
    if dim_given:
        for axis in axes:
            if shape[axis] == 0:
                raise DimensionError(
                    f"{op}(): Expected reduction dim {axis} to have non-zero size (shape {tuple(shape)}); "
                    "there is no value to pick along it."
                )
    elif 0 in shape:
        raise EmptyReductionError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0 (shape {tuple(shape)}). "
            "Specify the reduction dim with the 'dim' argument."
        )


def keepdims_shape(shape: tuple, axes: tuple[int, ...]) -> tuple:
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


# --------------------------------------------------------------------------- arithmetic


class Add(Function):
    saves_inputs = False

    def forward(self, a, b):
        broadcast_shapes("add", a.shape, b.shape)
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return sum_to(grad, self.shapes[0]), sum_to(grad, self.shapes[1])


class Sub(Function):
    saves_inputs = False

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
    saves_inputs = False

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
    """``a ** b`` with a tensor exponent, with torch's gradients.

    d/da = b * a**(b-1), taken as 0 where b == 0 (so 0**0 has slope 0, not 0 * inf);
    d/db = a**b * log(a), taken as 0 where a == 0 and b >= 0, NaN where a < 0.
    """

    def forward(self, a, b):
        broadcast_shapes("pow", a.shape, b.shape)
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        a, b, out = self.a, self.b, self.out
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            power = xp.where(b == 0, 1, b - 1)  # b == 0 gives slope 0 * a, never 0 * inf
            pole = (a == 0) & (power < 0)  # 0 ** negative is inf (as in torch), without a warning
            slope = b * xp.where(pole, xp.inf, xp.where(pole, 1, a) ** power)
            grad_a = sum_to(grad * slope, a.shape)
        if self.needs_input_grad[1]:
            log_a = xp.log(xp.where(a > 0, a, 1))
            log_a = xp.where(a == 0, xp.where(b >= 0, 0, -xp.inf), log_a)
            log_a = xp.where(a < 0, xp.nan, log_a).astype(out.dtype, copy=False)
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
        if a.ndim == 2 and b.ndim == 2:  # two matrices, the common case
            return (grad @ b.T if self.needs_input_grad[0] else None,
                    a.T @ grad if self.needs_input_grad[1] else None)
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


class Linear(Function):
    """``x @ weight.T + bias`` as one node (torch's ``F.linear``); ``bias`` may be left out.

    x (..., in), weight (out, in), bias broadcasting to (..., out) -> (..., out). The values
    are those of the three separate ops; backward computes what their backward would.
    """

    def forward(self, x, weight, bias=None):
        shape, weight_shape = x.shape, weight.shape
        if len(weight_shape) != 2 or not shape or shape[-1] != weight_shape[1]:
            raise ShapeError(
                f"linear: input of shape {x.shape} and weight of shape {weight.shape} do not line up: "
                "the weight must be (out_features, in_features) with in_features equal to the "
                "input's last dimension."
            )
        self.x, self.weight = x, weight
        # x @ weight.T; for a matrix x, dot computes the same product with less call overhead
        out = x.dot(weight.T) if len(shape) == 2 else x @ weight.T
        if bias is None:
            self.bias_shape = None
            return out
        self.bias_shape = bias_shape = bias.shape
        if bias.dtype == out.dtype and (bias_shape == weight_shape[:1]  # (out,): the usual bias
                                        or broadcast_shapes("linear (bias)", out.shape, bias_shape) == out.shape):
            out += bias  # the product is ours: add in place (the same values as out + bias)
            return out
        return out + bias

    def backward(self, grad):
        x, weight = self.x, self.weight
        needs = self.needs_input_grad
        if needs[1]:  # (xᵀ grad)ᵀ over every row: the product the separate matmul and transpose would form
            rows, grad_rows = (x, grad) if x.ndim == 2 else (x.reshape(-1, x.shape[-1]), grad.reshape(-1, weight.shape[0]))
            grad_weight = rows.T.dot(grad_rows).T
        else:
            grad_weight = None
        grads = (grad.dot(weight) if needs[0] else None, grad_weight)
        if self.bias_shape is None:
            return grads
        if not needs[2]:
            return (*grads, None)
        if grad.ndim == 2 and self.bias_shape == grad.shape[1:]:  # the common (batch, out): the column sums
            return (*grads, backend.ones_vector(grad.shape[0], grad).dot(grad))  # one BLAS call; a reduction over rows costs twice as much here
        return (*grads, sum_to(grad, self.bias_shape))


# --------------------------------------------------------------------------- elementwise


class Exp(Function):
    saves_inputs = False

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
    saves_inputs = False

    def forward(self, a):
        self.out = backend.xp_of(a).tanh(a)
        return self.out

    def backward(self, grad):
        grad_out = grad * self.out
        return (grad - grad_out * self.out,)  # grad (1 - tanh²), without a Python number to convert


def stable_sigmoid(a: Any) -> Any:
    """σ(a) accurate over the whole range: e^min(a, 0) / (1 + e^-|a|).

    That is 1/(1+e^-a) for a >= 0 and e^a/(1+e^a) below; no exponent is ever positive, so
    nothing overflows, and neither tail loses its relative accuracy.
    """
    xp = backend.xp_of(a)
    zero, one = backend.zero_and_one(a)  # 0 and 1 as arrays of a's dtype: cheaper for ufuncs than numbers
    numerator = xp.exp(xp.minimum(a, zero))
    denominator = xp.exp(-xp.abs(a))
    denominator += one
    return numerator / denominator


class Sigmoid(Function):
    """σ(a) = 1/(1+e^-a) without overflow and accurate in both tails (see ``stable_sigmoid``)."""

    saves_inputs = False

    def forward(self, a):
        self.out = stable_sigmoid(a)
        return self.out

    def backward(self, grad):
        grad_out = grad * self.out
        return (grad_out - grad_out * self.out,)  # grad σ (1 - σ), without a Python number to convert


class LogSigmoid(Function):
    """log σ(a) = min(a, 0) - log(1 + e^-|a|): finite everywhere (log σ(-40) is -40)."""

    def forward(self, a):
        xp = backend.xp_of(a)
        self.a = a
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, grad):
        return (grad * stable_sigmoid(-self.a),)  # d/da log σ(a) = 1 - σ(a) = σ(-a)


class Softplus(Function):
    """log(1 + e^(beta a)) / beta, and ``a`` itself where beta * a > threshold (torch's rule)."""

    saves_inputs = False

    def forward(self, a, beta=1.0, threshold=20.0):
        xp = backend.xp_of(a)
        self.scaled, self.threshold = a * beta, threshold
        smooth = (xp.maximum(self.scaled, 0) + xp.log1p(xp.exp(-xp.abs(self.scaled)))) / beta
        return xp.where(self.scaled > threshold, a, smooth).astype(a.dtype, copy=False)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        return (xp.where(self.scaled > self.threshold, grad, grad * stable_sigmoid(self.scaled)),)


class Abs(Function):
    """|a|; the slope at 0 is 0, as torch's sign(0)."""

    saves_inputs = False

    def forward(self, a):
        self.sign = backend.xp_of(a).sign(a)
        return abs(a)

    def backward(self, grad):
        return (grad * self.sign,)


class Sqrt(Function):
    saves_inputs = False

    def forward(self, a):
        self.out = backend.xp_of(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Maximum(Function):
    """Elementwise larger of a and b; at ties each gets half the gradient (torch's rule)."""

    saves_inputs = False

    lower = False

    def forward(self, a, b):
        broadcast_shapes("minimum" if self.lower else "maximum", a.shape, b.shape)
        xp = backend.xp_of(a)
        self.shapes = a.shape, b.shape
        self.a_wins = (a < b) if self.lower else (a > b)
        self.tie = a == b
        return xp.minimum(a, b) if self.lower else xp.maximum(a, b)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        half = grad * grad.dtype.type(0.5)
        share_a = xp.where(self.tie, half, xp.where(self.a_wins, grad, 0))
        share_b = xp.where(self.tie, half, xp.where(self.a_wins, 0, grad))
        return sum_to(share_a, self.shapes[0]), sum_to(share_b, self.shapes[1])


class Minimum(Maximum):
    """Elementwise smaller of a and b; at ties each gets half the gradient."""

    lower = True


class Relu(Function):
    saves_inputs = False

    def forward(self, a):
        self.mask = a > 0
        return a * self.mask

    def backward(self, grad):
        return (grad * self.mask,)


class Clip(Function):
    """Clamp to ``[low, high]`` (either may be None); the slope is 1 inside, 0 outside."""

    saves_inputs = False

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

    saves_inputs = False

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
    saves_inputs = False

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype),)


class Clone(Function):
    """A copy with its own memory; the gradient passes through unchanged."""

    saves_inputs = False

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return (grad,)


class Expand(Function):
    """``a`` broadcast to ``shape`` (a read-only view); the gradient is summed back."""

    saves_inputs = False

    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return backend.xp_of(a).broadcast_to(a, shape)
        except ValueError:
            raise ShapeError(
                f"expand: a tensor of shape {a.shape} cannot be expanded to {tuple(shape)}; "
                "only dimensions of size 1 can grow (and new ones be added in front)."
            ) from None

    def backward(self, grad):
        return (sum_to(grad, self.shape),)


# --------------------------------------------------------------------------- reductions


class Sum(Function):
    saves_inputs = False

    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axes("sum", axis, a.ndim, a.shape)
        self.shape = a.shape
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return (spread(grad.reshape(keepdims_shape(self.shape, self.axes)), self.shape),)


class Mean(Function):
    saves_inputs = False

    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axes("mean", axis, a.ndim, a.shape)
        self.shape = a.shape
        self.count = 1
        for axis_index in self.axes:
            self.count *= a.shape[axis_index]
        return a.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return (spread(grad.reshape(keepdims_shape(self.shape, self.axes)) / self.count, self.shape),)


class Max(Function):
    """Largest value over ``axis`` (``amax``); the gradient is shared equally among ties.

    torch's ``max()`` over all values and ``amax(dim)`` share gradients this way;
    ``max(dim)`` gives one index per row instead (see :class:`MaxDim`).
    """

    saves_inputs = False

    lower = False

    def forward(self, a, axis=None, keepdims=False, name=None):
        op = name or ("amin" if self.lower else "amax")
        self.axes = normalize_axes(op, axis, a.ndim, a.shape)
        check_not_empty(op, a.shape, self.axes, axis is not None)
        out = a.min(axis=self.axes, keepdims=True) if self.lower else a.max(axis=self.axes, keepdims=True)
        self.mask = a == out
        self.shape = a.shape
        return out if keepdims else out.reshape(reduced_shape(a.shape, self.axes, False))

    def backward(self, grad):
        grad = grad.reshape(keepdims_shape(self.shape, self.axes))
        count = self.mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)  # keep float32
        return (grad * self.mask / count,)


class Min(Max):
    """Smallest value over ``axis`` (``amin``); the gradient is shared equally among ties."""

    lower = True


class MaxDim(Function):
    """torch's ``max(dim)``: (values, indices) along one axis; the gradient goes to the index
    picked (the first of tied values, as torch does on the CPU)."""

    saves_inputs = False

    lower = False

    def forward(self, a, axis, keepdims=False):
        xp = backend.xp_of(a)
        op = "min" if self.lower else "max"
        (self.axis,) = normalize_axes(op, axis, a.ndim, a.shape) or (None,)
        self.shape = a.shape
        if self.axis is None:  # a 0-d tensor: the value itself, index 0
            return a.copy(), xp.zeros((), dtype="int64")
        check_not_empty(op, a.shape, (self.axis,), True)
        indices = (a.argmin if self.lower else a.argmax)(axis=self.axis, keepdims=True)
        values = xp.take_along_axis(a, indices, axis=self.axis)
        self.indices = indices
        if not keepdims:
            values, indices = values.squeeze(self.axis), indices.squeeze(self.axis)
        return values, indices.astype("int64", copy=False)

    def backward(self, grad, _grad_indices):
        if self.axis is None:
            return (grad,)
        xp = backend.xp_of(grad)
        grad = grad.reshape(keepdims_shape(self.shape, (self.axis,)))
        positions = xp.arange(self.shape[self.axis]).reshape(
            [-1 if i == self.axis else 1 for i in range(len(self.shape))]
        )
        return (xp.where(positions == self.indices, grad, grad.dtype.type(0)),)


class MinDim(MaxDim):
    """torch's ``min(dim)``: (values, indices); the gradient goes to the index picked."""

    lower = True


# --------------------------------------------------------------------------- shape ops


class Reshape(Function):
    saves_inputs = False

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
    saves_inputs = False

    def forward(self, a, axes=None):
        if axes is None:  # every axis reversed (.T): always valid, its own inverse
            self.axes = None
            return a.T
        if sorted(ax % a.ndim for ax in axes) != list(range(a.ndim)) or len(axes) != a.ndim:
            raise ShapeError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {a.ndim} "
                f"dimensions of shape {a.shape}; give each axis 0..{a.ndim - 1} once."
            )
        self.axes = tuple(ax % a.ndim for ax in axes)
        return a.transpose(self.axes)

    def backward(self, grad):
        if self.axes is None:
            return (grad.T,)
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

    saves_inputs = False

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


def cut(array: Any, sizes: list[int], axis: int) -> tuple:
    """``array`` cut along ``axis`` into consecutive pieces of ``sizes`` (views)."""
    pieces, start = [], 0
    index = [slice(None)] * array.ndim
    for size in sizes:
        index[axis] = slice(start, start + size)
        pieces.append(array[tuple(index)])
        start += size
    return tuple(pieces)


class Concat(Function):
    """Join tensors along an existing axis."""

    saves_inputs = False

    def forward(self, *arrays, axis=0):
        first = arrays[0]
        if first.ndim == 0:
            raise ShapeError("concat: 0-d tensors have no axis to join along; use stack to make a new one.")
        if type(axis) is int and -first.ndim <= axis < first.ndim:  # the common case, checked at once
            axis %= first.ndim
        else:
            (axis,) = normalize_axes("concat", axis, first.ndim, first.shape)
        before, after = first.shape[:axis], first.shape[axis + 1 :]
        for other in arrays[1:]:
            if other.ndim != first.ndim or other.shape[:axis] != before or other.shape[axis + 1 :] != after:
                raise ShapeError(
                    f"concat: shapes {first.shape} and {other.shape} differ outside axis "
                    f"{axis}; every dimension but the one joined along must match."
                )
        self.axis = axis
        self.sizes = [x.shape[axis] for x in arrays]
        return backend.xp_of(first).concatenate(arrays, axis=axis)

    def backward(self, grad):
        return cut(grad, self.sizes, self.axis)


class Split(Function):
    """Cut along an axis into pieces of the given sizes, one output per piece (views of the input)."""

    saves_inputs = False

    def forward(self, a, sizes, axis):
        self.axis = axis
        return cut(a, sizes, axis)

    def backward(self, *grads):
        return (backend.xp_of(grads[0]).concatenate(grads, axis=self.axis),)


class Stack(Function):
    """Join tensors of one shape along a new axis."""

    saves_inputs = False

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

    saves_inputs = False

    def forward(self, a, axis=-1):
        xp = backend.xp_of(a)
        self.axes = normalize_axes("log_softmax", axis, a.ndim, a.shape)  # () for a 0-d tensor
        shifted = a - a.max(axis=self.axes, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=self.axes, keepdims=True))
        return self.out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        return (grad - xp.exp(self.out) * grad.sum(axis=self.axes, keepdims=True),)


class Softmax(Function):
    saves_inputs = False

    def forward(self, a, axis=-1):
        xp = backend.xp_of(a)
        self.axes = normalize_axes("softmax", axis, a.ndim, a.shape)
        e = xp.exp(a - a.max(axis=self.axes, keepdims=True))
        self.out = e / e.sum(axis=self.axes, keepdims=True)
        return self.out

    def backward(self, grad):
        y = self.out
        return (y * (grad - (grad * y).sum(axis=self.axes, keepdims=True)),)


def _mean_of(total: Any, count: Any) -> Any:
    """total / count, NaN (without a warning) when count is 0: torch's mean over nothing."""
    xp = backend.xp_of(total)
    empty = count == 0
    return xp.where(empty, xp.nan, total / xp.where(empty, 1, count)).astype(total.dtype, copy=False)


class ClassLoss(Function):
    """torch's cross_entropy (from logits) and nll_loss (from log-probabilities), one op.

    ``scores``: (C,), (N, C) or (N, C, d1, ...); the classes are dimension 1 (0 for (C,)).
    Per row n (every position of N, d1, ...) with log-probabilities ``logp``:

    class targets ``targets`` (rows,), ``keep`` (rows,) false where ignored:
    loss_n = -(1 - ε) w[t_n] logp[n, t_n] - ε/C Σ_c w[c] logp[n, c], zero where ignored.

    ``reduction`` 'none' gives (N, d1, ...); 'sum' the sum; 'mean' the sum / ``denominator``
    (torch's: the summed weights of the kept targets). Probability targets are composed
    from differentiable ops in ``functional.cross_entropy`` instead.
    """

    saves_inputs = False

    def forward(self, scores, targets, keep, class_weight=None,
                smoothing=0.0, reduction="mean", denominator=1.0, from_logits=True):
        xp = backend.xp_of(scores)
        classes = scores.shape[0] if scores.ndim == 1 else scores.shape[1]
        moved = scores if scores.ndim <= 2 else xp.moveaxis(scores, 1, -1)
        self.scores_shape, self.moved_shape = scores.shape, moved.shape
        rows = moved.reshape(-1, classes)
        if from_logits:
            shifted = rows - rows.max(axis=1, keepdims=True)
            logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        else:
            logp = rows
        dtype = scores.dtype
        # d loss_n / d logp[n, c], the same whatever logp is (it enters linearly)
        dlogp = xp.zeros(rows.shape, dtype=dtype)
        picked_t = xp.where(keep, targets, 0)
        w_t = keep.astype(dtype) if class_weight is None else class_weight[picked_t] * keep
        index = xp.arange(rows.shape[0])
        losses = -(1 - smoothing) * w_t * logp[index, picked_t]
        dlogp[index, picked_t] = -(1 - smoothing) * w_t
        if smoothing:
            w_c = xp.ones(classes, dtype=dtype) if class_weight is None else class_weight
            losses = losses - (smoothing / classes) * (logp * w_c).sum(axis=1) * keep
            dlogp -= (smoothing / classes) * w_c * keep[:, None]
        self.dlogp, self.reduction, self.denominator = dlogp, reduction, denominator
        self.softmax = xp.exp(logp) if from_logits else None
        if reduction == "none":
            return losses.reshape(moved.shape[:-1]).astype(dtype, copy=False)
        total = losses.sum()
        return (_mean_of(total, denominator) if reduction == "mean" else total).astype(dtype)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        if self.reduction == "none":
            per_row = grad.reshape(-1, 1)
        else:
            per_row = grad
            if self.reduction == "mean":  # every row ignored: the slopes are all 0, as in torch
                per_row = grad / xp.where(self.denominator == 0, 1, self.denominator)
        drows = self.dlogp * per_row
        if self.softmax is not None:  # back through log_softmax
            drows = drows - self.softmax * drows.sum(axis=1, keepdims=True)
        dscores = drows.reshape(self.moved_shape)
        if len(self.scores_shape) > 2:
            dscores = xp.moveaxis(dscores, -1, 1)
        return (dscores.astype(grad.dtype, copy=False),)


class BinaryCrossEntropy(Function):
    """torch's binary_cross_entropy on probabilities ``p``: -w (y log p + (1 - y) log(1 - p)),
    each log clamped at -100 as torch does; the slope in p is w (p - y) / max(p (1 - p), 1e-12)."""

    def forward(self, p, y, weight=None, reduction="mean"):
        xp = backend.xp_of(p)
        self.p, self.y, self.weight, self.reduction = p, y, weight, reduction
        self.log_p = xp.maximum(xp.log(xp.where(p > 0, p, 1)), -100)
        self.log_p = xp.where(p > 0, self.log_p, -100)
        self.log_1mp = xp.where(p < 1, xp.maximum(xp.log(xp.where(p < 1, 1 - p, 1)), -100), -100)
        losses = -(y * self.log_p + (1 - y) * self.log_1mp)
        if weight is not None:
            losses = losses * weight
        losses = losses.astype(p.dtype, copy=False)
        self.count = losses.size
        if reduction == "none":
            return losses
        return losses.mean() if reduction == "mean" else losses.sum()

    def backward(self, grad):
        xp = backend.xp_of(grad)
        p, y = self.p, self.y
        scale = grad if self.reduction == "none" else (grad / self.count if self.reduction == "mean" else grad)
        if self.weight is not None:
            scale = scale * self.weight
        grad_p = scale * (p - y) / xp.maximum(p * (1 - p), 1e-12)
        grad_y = scale * (self.log_1mp - self.log_p) if self.needs_input_grad[1] else None
        return sum_to(grad_p, p.shape).astype(p.dtype, copy=False), (
            None if grad_y is None else sum_to(grad_y, y.shape).astype(y.dtype, copy=False)
        )
