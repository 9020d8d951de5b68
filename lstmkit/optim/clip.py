"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, as in ``torch.nn.utils``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import backend
from ..autograd.tensor import Tensor
from .optimizer import grad_of, values_of


def _grads(parameters: Iterable[Tensor] | Tensor) -> list[Any]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [g for g in (grad_of(p) for p in params) if g is not None]


def get_total_norm(tensors: Iterable[Any] | Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` (arrays or Tensors, e.g. the gradients) as if concatenated.

    As ``torch.nn.utils.get_total_norm``: a 0-d Tensor in the first one's dtype (0 for none).
    """
    del foreach
    if isinstance(tensors, Tensor) or backend.is_array(tensors):
        tensors = [tensors]
    arrays = [values_of(t) if isinstance(t, Tensor) else t for t in tensors]
    if not arrays:
        return Tensor(backend.array_module("cpu").zeros((), dtype="float32"))
    return Tensor(_total_norm(arrays, float(norm_type), error_if_nonfinite))


def _total_norm(grads: list[Any], norm_type: float, error_if_nonfinite: bool) -> Any:
    """The norm of raw arrays as a 0-d array on their device, accumulated in float64,
    cast to the first array's dtype (torch returns the gradients' dtype)."""
    xp = backend.xp_of(grads[0])
    if norm_type == math.inf:
        total = xp.stack([xp.abs(g).max().astype("float64") if g.size else xp.zeros((), "float64") for g in grads]).max()
    elif norm_type == 2.0:
        total = xp.sqrt(sum((g * g).sum(dtype="float64") for g in grads))
    elif norm_type == 1.0:
        total = sum(xp.abs(g).sum(dtype="float64") for g in grads)
    else:
        total = sum((xp.abs(g.astype("float64", copy=False)) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    total = xp.asarray(total).astype(grads[0].dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
            f"({total.item()}), so it cannot be clipped. Look for an overflow or a NaN in the loss; "
            "pass error_if_nonfinite=False to scale by it anyway."
        )
    return total


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
    error_if_nonfinite: bool = False, foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so their joint norm is at most ``max_norm`` (in place).

    Like ``torch.nn.utils.clip_grad_norm_``: returns the total norm before clipping as a
    0-d Tensor on the gradients' device (``.item()`` or ``float()`` gives the number); each
    gradient is multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``. ``norm_type`` may be
    ``float('inf')``. ``foreach`` is accepted and has no effect.
    """
    del foreach  # the per-array loop below is what torch's foreach fuses
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(backend.array_module("cpu").zeros((), dtype="float32"))
    total = _total_norm(grads, norm_type, error_if_nonfinite)
    coef = float(max_norm) / (total + 1e-6)  # stays on the device: no host round trip per step
    coef = coef.clip(None, 1.0)  # 1 leaves the gradients as they are
    for g in grads:
        g *= coef.astype(g.dtype)
    return Tensor(total)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]`` (in place), as in torch."""
    del foreach
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clip(-clip_value, clip_value, out=g)
