"""Activations and losses on Tensors, numerically stable at |x| = 1e4.

``sigmoid`` is computed as tanh(x/2)/2 + 1/2 (no overflow in exp), and
``log_softmax`` and ``cross_entropy`` subtract the maximum before exponentiating.
"""

from __future__ import annotations

from typing import Any

from .autograd import ops
from .autograd.tensor import Tensor, clip, concat, split, stack, tensor, where

__all__ = [
    "clip",
    "concat",
    "cross_entropy",
    "log_softmax",
    "mse_loss",
    "relu",
    "sigmoid",
    "softmax",
    "split",
    "stack",
    "tanh",
    "where",
]


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^-x), elementwise, any shape."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise, any shape."""
    return x.tanh()


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise, any shape."""
    return x.relu()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Probabilities along ``axis`` (non-negative, summing to 1); same shape as ``x``."""
    return ops.Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed without overflow; same shape as ``x``."""
    return ops.LogSoftmax.apply(x, axis=axis)


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean negative log-likelihood of integer class ``targets``.

    logits: (..., C) unnormalised scores; targets: (...) integers in [0, C).
    Returns a scalar Tensor.
    """
    target_data = targets.data if isinstance(targets, Tensor) else tensor(targets, device=logits.device).data
    if target_data.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: targets must be integer class indices, got dtype {target_data.dtype}. "
            "Pass labels such as [2, 0, 1], not one-hot rows or probabilities."
        )
    if tuple(target_data.shape) != logits.shape[:-1]:
        raise ops.ShapeError(
            f"cross_entropy: logits have shape {logits.shape}, so targets must have shape "
            f"{logits.shape[:-1]} (one class index per row of logits), but got "
            f"{tuple(target_data.shape)}."
        )
    classes = logits.shape[-1]
    if target_data.size and (int(target_data.min()) < 0 or int(target_data.max()) >= classes):
        raise ValueError(
            f"cross_entropy: targets must lie in [0, {classes - 1}] for {classes} classes, "
            f"but range from {int(target_data.min())} to {int(target_data.max())}."
        )
    target_tensor = Tensor._from_array(target_data)
    return ops.CrossEntropy.apply(logits, target_tensor)


def mse_loss(prediction: Tensor, target: Any) -> Tensor:
    """Mean squared error; ``prediction`` and ``target`` must have the same shape."""
    target = prediction._lift(target)
    if target.shape != prediction.shape:
        raise ops.ShapeError(
            f"mse_loss: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; they must match (broadcasting here would silently average "
            "the wrong pairs). Reshape one of them, e.g. target.reshape(prediction.shape)."
        )
    diff = prediction - target
    return (diff * diff).mean()
