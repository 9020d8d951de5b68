"""Exercise notebook 07: clipping gradients by their global norm (on plain arrays)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from ..model import ErrorHint, Hint, Spec
from .shared import Rng, make_exercise

EPS = 1e-6  #: added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does
SHAPES = ((3, 4), (4,), (2, 2, 3))


def _grads(rng: Rng, std: float, shapes: tuple = SHAPES) -> list[numpy.ndarray]:
    return [numpy.asarray(rng.standard_normal(shape) * std) for shape in shapes]


INPUTS = (
    ("three gradients whose norm exceeds max_norm", lambda rng: {"grads": _grads(rng, 2.0), "max_norm": 1.0}),
    ("norm below max_norm (nothing to clip)", lambda rng: {"grads": _grads(rng, 0.05), "max_norm": 5.0}),
    ("one gradient of shape (5,)", lambda rng: {"grads": _grads(rng, 3.0, ((5,),)), "max_norm": 0.5}),
    ("all gradients zero", lambda rng: {"grads": [numpy.zeros(s) for s in SHAPES], "max_norm": 1.0}),
    ("a 0-d gradient and a (1, 1) one", lambda rng: {"grads": _grads(rng, 4.0, ((), (1, 1))), "max_norm": 2.0}),
)


def clip_grad_norm_variant(norm: str = "l2", clamp: bool = True, per_array: bool = False,
                           report: str = "before") -> Callable[[list[Any], float], tuple[list[Any], float]]:
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
            return [clip([g], max_norm)[0][0] for g in grads], norm_of(grads)
        clipped, total = clip(grads, max_norm)
        return clipped, (norm_of(clipped) if report == "after" else total)

    return variant


clip_grad_norm = clip_grad_norm_variant()
clip_grad_norm.__doc__ = ("Reference: scale every gradient by min(1, max_norm / (total_norm + 1e-6)); "
                          "grads -> (arrays of the same shapes, total L2 norm before clipping).")
CL = clip_grad_norm_variant

CLIP_GRAD_NORM = make_exercise(
    7, Spec("clip_grad_norm", "07_clip_grad_norm", "Clipping gradients by their global norm", "array_function",
            ("grads", "max_norm"), ("clipped[]", "total_norm"), (), 3,
            ("lstmkit.optim", "lstmkit.nn", "lstmkit.course", "torch", "clip_grad_norm_")),
    INPUTS, clip_grad_norm,
    hints=(
        Hint("Your gradients were scaled up although their norm was already within max_norm: the scale is "
             "min(1, max_norm / total_norm); clipping only ever shrinks.", CL(clamp=False)),
        Hint("You clip each gradient by its own norm. Clipping uses one global norm over all gradients together, "
             "so their directions relative to each other stay the same.", CL(per_array=True)),
        Hint("Your norm adds absolute values (the L1 norm); the global norm is the square root of the sum of all "
             "squares.", CL(norm="l1")),
        Hint("Your norm is the sum of squares without the square root.", CL(norm="squared")),
        Hint("You report the norm after clipping; total_norm is the norm before clipping (what training logs to "
             "show how large the gradients were).", CL(report="after")),
    ),
    error_hints=(
        ErrorHint("division by zero", "When every gradient is zero the norm is 0: add a small epsilon, "
                  "max_norm / (total_norm + 1e-6), or leave gradients within max_norm untouched."),
        ErrorHint("Tensor", "grads holds plain arrays (like p.grad), not Tensors; use (g * g).sum() and float()."),
    ),
)

EXERCISES = (CLIP_GRAD_NORM,)
