"""Activations and losses on Tensors, with torch.nn.functional's names and meaning.

Numerically stable at |x| = 1e4 and accurate in the tails: ``sigmoid`` uses
e = exp(-|x|), then 1/(1+e) for x >= 0 and e/(1+e) below (float32 sigmoid(-20) is
2.06e-9, as in torch); ``logsigmoid`` and ``softplus`` have forms of their own
(log σ(-40) is -40); ``log_softmax`` and the losses subtract the maximum before
exponentiating.

The losses take torch's layouts: ``cross_entropy`` and ``nll_loss`` read the classes
from dimension 1 of (N, C, d1, ...) (a (B, T, C) batch of sequences is passed as
``logits.reshape(-1, C)`` with ``targets.reshape(-1)``, or as
``logits.permute(0, 2, 1)``).
"""

from __future__ import annotations

from typing import Any

from . import rng
from .autograd import ops
from .autograd.function import is_grad_enabled
from .autograd.tensor import Tensor, cat, clip, concat, split, stack, tensor, where

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cat",
    "clip",
    "concat",
    "cross_entropy",
    "dropout",
    "l1_loss",
    "linear",
    "log_softmax",
    "logsigmoid",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "split",
    "stack",
    "tanh",
    "where",
]

REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- activations


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^-x), elementwise, any shape; accurate in both tails."""
    return x.sigmoid()


def logsigmoid(x: Tensor) -> Tensor:
    """log σ(x) = min(x, 0) - log(1 + e^-|x|), elementwise; finite for every finite x."""
    return ops.LogSigmoid.apply(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta elementwise; ``x`` itself where beta * x > threshold (torch's rule)."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}.")
    return ops.Softplus.apply(x, beta=float(beta), threshold=float(threshold))


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise, any shape."""
    return x.tanh()


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise, any shape."""
    return x.relu()


def _softmax_axis(op: str, x: Tensor, dim: Any, axis: Any) -> int:
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give dim (torch's name) or axis (NumPy's), not both.")
    chosen = dim if dim is not None else axis
    if chosen is None:
        if x.ndim <= 2:
            return -1  # the dimension torch picks implicitly for 0-, 1- and 2-d inputs
        raise TypeError(
            f"{op}: a tensor of shape {x.shape} needs dim=...; for {x.ndim}-d inputs torch's implicit "
            "choice (dim 0 or 1, deprecated) is rarely the classes. Pass the class dimension, e.g. dim=-1."
        )
    return chosen


def softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Probabilities along ``dim`` (non-negative, summing to 1); same shape as ``x``."""
    x = x if dtype is None else x.to(dtype)
    return ops.Softmax.apply(x, axis=_softmax_axis("softmax", x, dim, axis))


def log_softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None, dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed without overflow; same shape as ``x``."""
    x = x if dtype is None else x.to(dtype)
    return ops.LogSoftmax.apply(x, axis=_softmax_axis("log_softmax", x, dim, axis))


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each value with probability ``p`` and scale the rest by 1/(1-p), when ``training``
    (torch's functional default is training=True). The masks come from lstmkit's seeded
    generator, so they differ from torch's for the same seed."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}.")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    mask = rng.bernoulli(x.shape, 1.0 - p, dtype=x.dtype, device=x.device)
    result = x * Tensor._from_array(mask * x.dtype.type(1.0 / (1.0 - p)))
    if inplace:
        if x.requires_grad and is_grad_enabled():
            raise RuntimeError(
                "dropout(inplace=True): the input requires grad and lstmkit does not record in-place ops; "
                "use inplace=False (the default)."
            )
        x.copy_(result)
        return x
    return result


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias: x (..., in), weight (out, in), bias (out,) -> (..., out), one node."""
    if bias is None:
        return ops.Linear.apply(x, x._lift(weight))
    return ops.Linear.apply(x, x._lift(weight), x._lift(bias))


# --------------------------------------------------------------------------- losses


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}.")


def _target_array(op: str, target: Any, like: Tensor) -> Any:
    return target._data if isinstance(target, Tensor) else tensor(target, device=like.device)._data


def _class_weight(op: str, weight: Any, classes: int, like: Tensor) -> Any:
    if weight is None:
        return None
    values = weight._data if isinstance(weight, Tensor) else tensor(weight, device=like.device)._data
    if tuple(values.shape) != (classes,):
        raise ops.ShapeError(
            f"{op}: weight has shape {tuple(values.shape)} but there are {classes} classes; give one "
            f"weight per class, shape ({classes},)."
        )
    return values.astype(like.dtype, copy=False)


def _class_loss(op: str, scores: Tensor, target: Any, weight: Any, ignore_index: int, reduction: str,
                label_smoothing: float, from_logits: bool) -> Tensor:
    """Shared by cross_entropy (logits) and nll_loss (log-probabilities); see ops.ClassLoss."""
    _check_reduction(op, reduction)
    if not isinstance(scores, Tensor):
        raise TypeError(f"{op}: input must be a Tensor of scores, got {type(scores).__name__}.")
    if scores.ndim == 0:
        raise ops.ShapeError(f"{op}: input is 0-d; expected (C,), (N, C) or (N, C, d1, ...) with C classes.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}.")
    classes = scores.shape[0] if scores.ndim == 1 else scores.shape[1]
    per_row_shape = () if scores.ndim == 1 else (scores.shape[0], *scores.shape[2:])
    target_data = _target_array(op, target, scores)
    class_weight = _class_weight(op, weight, classes, scores)
    xp = scores.xp
    if target_data.dtype.kind == "f" and op == "cross_entropy":  # class probabilities
        return _probability_cross_entropy(scores, target, class_weight, label_smoothing, reduction)
    if target_data.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: targets must be integer class indices (or, for cross_entropy, float class "
            f"probabilities shaped like the input), got dtype {target_data.dtype}. Pass labels such "
            "as [2, 0, 1]."
        )
    if tuple(target_data.shape) != per_row_shape:
        layout = "(C,) with a 0-d target" if scores.ndim == 1 else "(N, C, d1, ...) with targets (N, d1, ...)"
        raise ops.ShapeError(
            f"{op}: input has shape {scores.shape}, read as {layout}, so targets must have shape "
            f"{per_row_shape} (one class index per row, classes in dimension "
            f"{0 if scores.ndim == 1 else 1}), but got {tuple(target_data.shape)}. For (batch, time, "
            "classes) scores pass scores.reshape(-1, C) and targets.reshape(-1)."
        )
    flat = target_data.reshape(-1)
    keep = flat != ignore_index
    if flat.size:
        kept = flat[keep]
        if kept.size and (int(kept.min()) < 0 or int(kept.max()) >= classes):
            raise ValueError(
                f"{op}: targets must lie in [0, {classes - 1}] for {classes} classes (or equal "
                f"ignore_index={ignore_index}), but range from {int(kept.min())} to {int(kept.max())}."
            )
    safe = xp.where(keep, flat, 0)
    if class_weight is None:
        denominator = keep.sum()
    else:
        denominator = (class_weight[safe] * keep).sum()
    return ops.ClassLoss.apply(
        scores, targets=flat, keep=keep, class_weight=class_weight, smoothing=float(label_smoothing),
        reduction=reduction, denominator=denominator.astype(scores.dtype), from_logits=from_logits,
    )


def _probability_cross_entropy(scores: Tensor, target: Any, class_weight: Any, label_smoothing: float,
                               reduction: str) -> Tensor:
    """-Σ_c w[c] p'[n, c] log_softmax(scores)[n, c] with p' = (1 - ε) p + ε/C, composed from
    differentiable ops (so the probabilities get gradients too, as in torch)."""
    probs = scores._lift(target)
    if probs.shape != scores.shape:
        raise ops.ShapeError(
            f"cross_entropy: probability targets must have the input's shape {scores.shape}, got {probs.shape}."
        )
    class_dim = 0 if scores.ndim == 1 else 1
    classes = scores.shape[class_dim]
    if label_smoothing:
        probs = probs * (1 - label_smoothing) + label_smoothing / classes
    if class_weight is not None:
        shape = [1] * scores.ndim
        shape[class_dim] = classes
        probs = probs * Tensor._from_array(class_weight.reshape(shape))
    losses = -(probs * ops.LogSoftmax.apply(scores, axis=class_dim)).sum(dim=class_dim)
    return _reduce(losses, reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002  (torch's name)
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """torch's ``cross_entropy``: log_softmax over the classes, then the negative log-likelihood.

    input: (C,), (N, C) or (N, C, d1, ...) unnormalised scores, **classes in dimension 1**;
    target: class indices (), (N,) or (N, d1, ...) in [0, C) (``ignore_index`` rows are
    skipped), or class probabilities shaped like ``input``. ``weight`` (C,) weighs each
    class; ``label_smoothing`` mixes the target with the uniform distribution;
    ``reduction`` is 'mean' (weighted mean over kept rows), 'sum' or 'none' (per row).
    """
    return _class_loss("cross_entropy", input, target, weight, ignore_index, reduction, label_smoothing, True)


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """torch's ``nll_loss``: -input[n, target[n]] (times the class weight) from log-probabilities
    (C,), (N, C) or (N, C, d1, ...), classes in dimension 1; reductions as ``cross_entropy``."""
    return _class_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0, False)


def _same_shape(op: str, prediction: Tensor, target: Tensor) -> None:
    if target.shape != prediction.shape:
        raise ops.ShapeError(
            f"{op}: input has shape {prediction.shape} but target has shape {target.shape}; they "
            "must match (broadcasting here would silently average the wrong pairs). Reshape one of "
            "them, e.g. target.reshape(input.shape)."
        )


def _reduce(values: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return values.mean()
    return values.sum() if reduction == "sum" else values


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Squared error (input - target)², averaged ('mean'), summed ('sum') or per element ('none');
    ``input`` and ``target`` must have the same shape."""
    _check_reduction("mse_loss", reduction)
    target = input._lift(target)
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Absolute error |input - target|, reduced as ``mse_loss``; the shapes must match."""
    _check_reduction("l1_loss", reduction)
    target = input._lift(target)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def _elementwise_weight(op: str, weight: Any, like: Tensor) -> Any:
    if weight is None:
        return None
    values = weight._data if isinstance(weight, Tensor) else tensor(weight, device=like.device)._data
    ops.broadcast_shapes(f"{op} (weight)", tuple(values.shape), like.shape)
    return values.astype(like.dtype, copy=False)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:  # noqa: A002
    """-w (y log p + (1 - y) log(1 - p)) for probabilities ``input`` in [0, 1] (each log clamped
    at -100, as torch); ``target`` has the input's shape; ``weight`` broadcasts to it."""
    _check_reduction("binary_cross_entropy", reduction)
    target = input._lift(target)
    _same_shape("binary_cross_entropy", input, target)
    values = input._data
    if values.size and (float(values.min()) < 0 or float(values.max()) > 1):
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1], but ranges from "
            f"{float(values.min()):.4g} to {float(values.max()):.4g}; pass sigmoid(x), or use "
            "binary_cross_entropy_with_logits on the scores."
        )
    return ops.BinaryCrossEntropy.apply(
        input, target, weight=_elementwise_weight("binary_cross_entropy", weight, input), reduction=reduction
    )


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """-w (pos_weight · y log σ(x) + (1 - y) log σ(-x)) on scores ``input``, stable for any x.

    ``target`` has the input's shape; ``weight`` broadcasts to it; ``pos_weight``
    broadcasts along the last dimension (one per class), as in torch.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = input._lift(target)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    positive = target * logsigmoid(input)
    if pos_weight is not None:
        positive = positive * input._lift(pos_weight)
    losses = -(positive + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * input._lift(weight)
    return _reduce(losses, reduction)
from .ctc import ctc_loss as ctc_loss  # noqa: E402  (CTC lives in its own module; re-exported)
