"""Reference answers and typical mistakes that work on plain arrays.

Exercise 01 asks for :class:`lstmkit.Function` subclasses (forward and backward on
arrays); exercise 07 for a function on gradient arrays. Their references and
mistakes live here, written with the array module of the data at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd import ops
from ..autograd.function import Function

# ------------------------------------------------------------------ exercise 01: autograd ops

#: The references are lstmkit's own ops (stable sigmoid via tanh).
Sigmoid = ops.Sigmoid
Tanh = ops.Tanh


def _stable_sigmoid(x: Any) -> Any:
    return backend.xp_of(x).tanh(x * 0.5) * 0.5 + 0.5


def sigmoid_variant(forward: str = "correct", backward: str = "correct") -> type[Function]:
    """A Sigmoid op with one mistake in forward or backward (defaults: correct)."""

    class SigmoidVariant(Function):
        def forward(self, x):
            self.x = x
            self.out = _stable_sigmoid(-x if forward == "sign" else x)
            if forward == "tanh":
                self.out = backend.xp_of(x).tanh(x)
            return self.out

        def backward(self, grad):
            s, x = self.out, self.x
            return {
                "correct": grad * s * (1 - s),
                "no_one_minus": grad * s,
                "no_upstream": s * (1 - s),
                "uses_input": grad * x * (1 - x),
                "forward_value": grad * s,
            }[backward]

    return SigmoidVariant


def tanh_variant(forward: str = "correct", backward: str = "correct") -> type[Function]:
    """A Tanh op with one mistake in forward or backward (defaults: correct)."""

    class TanhVariant(Function):
        def forward(self, x):
            self.x = x
            self.out = _stable_sigmoid(x) if forward == "sigmoid" else backend.xp_of(x).tanh(x)
            return self.out

        def backward(self, grad):
            t, x = self.out, self.x
            return {
                "correct": grad * (1 - t * t),
                "not_squared": grad * (1 - t),
                "no_upstream": 1 - t * t,
                "uses_input": grad * (1 - x * x),
                "plus": grad * (1 + t * t),
            }[backward]

    return TanhVariant


# ------------------------------------------------------------------ exercise 07: gradient clipping

EPS = 1e-6  #: added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does


def clip_grad_norm(grads: list[Any], max_norm: float) -> tuple[list[Any], float]:
    """Reference: scale every gradient by min(1, max_norm / (total_norm + 1e-6)).

    grads: arrays of any shapes -> (arrays of the same shapes, total L2 norm before clipping).
    """
    return clip_grad_norm_variant()(grads, max_norm)


def clip_grad_norm_variant(
    norm: str = "l2", clamp: bool = True, per_array: bool = False, report: str = "before"
) -> Callable[[list[Any], float], tuple[list[Any], float]]:
    """Gradient clipping with one mistake (the defaults give the correct answer)."""

    def norm_of(arrays: list[Any]) -> float:
        if norm == "l1":
            return float(sum(float(abs(g).sum()) for g in arrays))
        squares = float(sum(float((g * g).sum()) for g in arrays))
        return squares if norm == "squared" else squares**0.5

    def clip(arrays: list[Any], limit: float) -> tuple[list[Any], float]:
        total = norm_of(arrays)
        scale = limit / (total + EPS)
        if clamp:
            scale = min(1.0, scale)
        return [g * scale for g in arrays], total

    def variant(grads, max_norm):
        grads = list(grads)
        if per_array:
            clipped = [clip([g], max_norm)[0][0] for g in grads]
            return clipped, norm_of(grads)
        clipped, total = clip(grads, max_norm)
        return clipped, (norm_of(clipped) if report == "after" else total)

    return variant
