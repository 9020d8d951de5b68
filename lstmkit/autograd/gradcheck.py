"""``gradcheck``: compare backward() with finite differences, element by element.

For a function ``fn`` of tensors, the analytic Jacobian (one backward pass per
output element) must match the numerical one (central differences, one pair of
forward passes per input element) within ``atol + rtol * |numerical|``. The defaults
are PyTorch's. Use float64 inputs: in float32 round-off swamps the differences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import backend
from .function import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """backward() disagrees with finite differences; the message says where."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True when ``fn``'s gradients match finite differences for every input element.

    ``inputs``: float64 Tensors (those with ``requires_grad=True`` are checked).
    ``fn(*inputs)`` must return a Tensor of any shape. Raises :class:`GradcheckError`
    naming the input, the element and both values on the first mismatch (or returns
    False when ``raise_exception=False``).
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check.")
    for i in checked:
        if inputs[i].dtype != "float64":
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                "float64 to be meaningful. Make inputs with dtype='float64'."
            )

    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}.")
    out_size = output.numel()
    xp = output.xp

    # analytic: row k of the Jacobian is the gradient of output element k
    analytic = {i: xp.zeros((out_size, inputs[i].numel())) for i in checked}
    for k in range(out_size):
        for i in checked:
            inputs[i].grad = None
        out = fn(*inputs)
        seed = xp.zeros(out_size, dtype=out.dtype)
        seed[k] = 1
        if out.requires_grad:
            out.backward(seed.reshape(out.shape))
        for i in checked:
            grad = inputs[i].grad
            if grad is not None:
                analytic[i][k] = grad.reshape(-1)
    for i in checked:
        inputs[i].grad = None

    # numerical: column j of the Jacobian is the central difference for input element j
    with no_grad():
        for i in checked:
            if not inputs[i]._data.flags.c_contiguous:  # so the flat view below writes through
                inputs[i]._data = inputs[i]._data.copy(order="C")
            flat = inputs[i]._data.reshape(-1)
            for j in range(flat.size):
                original = flat[j].item()
                flat[j] = original + eps
                plus = fn(*inputs)._data.reshape(-1).astype("float64")
                flat[j] = original - eps
                minus = fn(*inputs)._data.reshape(-1).astype("float64")
                flat[j] = original
                numerical = (plus - minus) / (2 * eps)
                exact = analytic[i][:, j]
                # written as "not close" so that NaN or inf on either side counts as a mismatch
                bad = ~(xp.abs(exact - numerical) <= atol + rtol * xp.abs(numerical))
                if bool(bad.any()):
                    k = int(backend.to_numpy(bad).argmax())
                    message = (
                        f"gradcheck: d output[{k}] / d input{i}[{j}] (flat indices) is "
                        f"{float(exact[k]):.6g} from backward() but {float(numerical[k]):.6g} "
                        f"from finite differences (eps={eps}, atol={atol}, rtol={rtol}). "
                        f"Input {i} has shape {inputs[i].shape}; check that op's backward."
                    )
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    return True
