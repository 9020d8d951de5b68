"""Loss modules, as in PyTorch: ``NLLLoss``, ``CrossEntropyLoss``, ``MSELoss``, ``BCEWithLogitsLoss``.

Each module stores its options and calls the functional form with PyTorch's keyword
arguments: :mod:`lstmkit.functional`'s function when it takes them all, otherwise the
reference below, built from Tensor ops (so every gradient comes from autograd).
Shapes are PyTorch's: class scores (N, C) or (N, C, d1, ...) or (C,), targets (N, d1, ...)
of class indices (or, for cross entropy, probabilities shaped like the scores).
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import backend, functional
from ..autograd.tensor import Tensor
from .gather import move_axis
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _functional(name: str, options: dict[str, Any]) -> Any:
    """``functional.<name>`` when it accepts every keyword in ``options``, else None."""
    fn = getattr(functional, name, None)
    if fn is None:
        return None
    parameters = inspect.signature(fn).parameters
    return fn if all(key in parameters for key in options) else None


def _check_reduction(loss: str, reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be 'mean', 'sum' or 'none', but got {reduction!r}.")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else like._lift(value)


def _classes_last(input: Tensor) -> Tensor:
    """Scores (N, C, d1, ...) -> (N·d1·..., C); (N, C) and (C,) -> (N, C) and (1, C)."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim > 2:
        input = move_axis(input, 1, -1)
    return input.reshape(-1, input.shape[-1])


def _target_indices(loss: str, input: Tensor, target: Any) -> Any:
    data = target.data if isinstance(target, Tensor) else backend.asarray(target, backend.device_of(input.data))
    if data.dtype.kind not in "iu":
        raise TypeError(f"{loss}: class-index targets must be integers, but got dtype {data.dtype}.")
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if tuple(data.shape) != expected:
        raise ValueError(
            f"{loss}: scores of shape {input.shape} (classes on axis {0 if input.ndim == 1 else 1}) need "
            f"targets of shape {expected}, but got {tuple(data.shape)}."
        )
    return data


def nll_loss_reference(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                       reduction: str = "mean") -> Tensor:
    """-log-probability of each target class (weighted), reduced like torch.nn.functional.nll_loss."""
    _check_reduction("nll_loss", reduction)
    targets = _target_indices("nll_loss", input, target)
    xp = backend.xp_of(input.data)
    rows = _classes_last(input)
    C = rows.shape[-1]
    flat = targets.reshape(-1)
    valid = flat != ignore_index
    if bool(((flat[valid] < 0) | (flat[valid] >= C)).any()):
        raise IndexError(f"nll_loss: targets must lie in [0, {C - 1}] (or equal ignore_index={ignore_index}).")
    safe = xp.where(valid, flat, 0)
    picked = rows[xp.arange(flat.shape[0]), safe]
    w = xp.ones(C, dtype=input.data.dtype) if weight is None else _as_tensor(weight, input).data
    row_weight = Tensor._from_array(w[safe] * valid)
    losses = -(picked * row_weight)
    if reduction == "none":
        return losses.reshape(targets.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / row_weight.data.sum()


def cross_entropy_reference(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                            reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class axis, then nll_loss, with torch's label smoothing and
    probability targets (a float target shaped like ``input``)."""
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], but got {label_smoothing!r}.")
    axis = 0 if input.ndim == 1 else 1
    logp = functional.log_softmax(input, axis=axis)
    C = input.shape[axis]
    target_data = target.data if isinstance(target, Tensor) else None
    if target_data is not None and target_data.dtype.kind == "f":
        if target.shape != input.shape:
            raise ValueError(f"cross_entropy: probability targets must have the scores' shape {input.shape}, "
                             f"but got {target.shape}.")
        probs = target * (1 - label_smoothing) + label_smoothing / C if label_smoothing else target
        rows = _classes_last(logp) * _classes_last(probs)
        if weight is not None:
            rows = rows * _as_tensor(weight, input)
        losses = -rows.sum(axis=1)
        return _reduce(losses if reduction != "none" else losses.reshape(target.shape[:axis] + target.shape[axis + 1:]),
                       reduction)
    nll = nll_loss_reference(logp, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    xp = backend.xp_of(input.data)
    targets = _target_indices("cross_entropy", input, target).reshape(-1)
    valid = targets != ignore_index
    rows = _classes_last(logp)
    if weight is not None:
        rows = rows * _as_tensor(weight, input)
    smooth = -rows.sum(axis=1) * Tensor._from_array(valid.astype(input.data.dtype))
    if reduction == "none":
        smooth = smooth.reshape(_target_indices("cross_entropy", input, target).shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    elif weight is not None:
        w = _as_tensor(weight, input).data
        smooth = smooth.sum() / w[xp.where(valid, targets, 0)][valid].sum()
    else:
        smooth = smooth.sum() / valid.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / C)


def mse_loss_reference(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)², reduced; shapes must match."""
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input has shape {input.shape} but target has shape {target.shape}; "
                         "they must match.")
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits_reference(input: Tensor, target: Any, weight: Any = None,
                                               reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """-[p y log σ(x) + (1 - y) log(1 - σ(x))], p = pos_weight, computed stably from logits x."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} must equal the "
                         f"input shape {input.shape}.")
    magnitude = input.relu() + (-input).relu()
    softplus_neg = ((-magnitude).exp() + 1.0).log() + (-input).relu()  # log(1 + e^{-x}) = -log σ(x)
    if pos_weight is not None:
        log_weight = (_as_tensor(pos_weight, input) - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * softplus_neg
    else:
        loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    return _reduce(loss, reduction)


def _call(name: str, reference: Any, input: Tensor, target: Any, **options: Any) -> Tensor:
    fn = _functional(name, options)
    return (fn or reference)(input, target, **options)


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class NLLLoss(_Loss):
    """Negative log-likelihood of class ``target`` from log-probabilities ``input`` (N, C, ...)."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input (N, C) / (N, C, d...) / (C,), target (N,) / (N, d...) / () ints -> loss."""
        return _call("nll_loss", nll_loss_reference, input, target, weight=self.weight,
                     ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """log_softmax over the class axis (1, or 0 for unbatched (C,)) then NLLLoss; label smoothing too."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, float(label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input (N, C) / (N, C, d...) / (C,) scores, target class indices or probabilities -> loss."""
        return _call("cross_entropy", cross_entropy_reference, input, target, weight=self.weight,
                     ignore_index=self.ignore_index, reduction=self.reduction,
                     label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    """Mean (or sum) of squared differences; input and target of the same shape."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return _call("mse_loss", mse_loss_reference, input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits (a sigmoid built in, stable for large |x|)."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return _call("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits_reference, input,
                     target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight)
