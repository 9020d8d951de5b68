"""Exercise notebook 07: clipping gradients by their global norm (on plain arrays)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from ..model import ErrorHint, Spec
from .shared import Rng, choice_mistakes, make_exercise, reference_of

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


def clip_grad_norm_variant(norm: str = "l2", clamp: str = "min", per_array: bool = False,
                           report: str = "before") -> Callable[[list[Any], float], tuple[list[Any], float]]:
    """Gradient clipping with its choices spelled out (the defaults give the correct answer).

    norm: "l2" (the global L2 norm), "l1", "squared" (no square root), "sum" (a sum of
    per-array norms); clamp: "min" (min(1, max_norm / norm)), "none" (no threshold),
    "inverted" (scales when the norm is *below* max_norm); per_array: each array by its
    own norm; report: the norm "before" or "after" clipping.
    """

    def norm_of(arrays: list[Any]) -> float:
        if norm == "l1":
            return float(sum(float(abs(g).sum()) for g in arrays))
        if norm == "sum":
            return float(sum(float((g * g).sum()) ** 0.5 for g in arrays))
        squares = float(sum(float((g * g).sum()) for g in arrays))
        return squares if norm == "squared" else squares**0.5

    def clip(arrays: list[Any], limit: float) -> tuple[list[Any], float]:
        total = norm_of(arrays)
        scale = limit / (total + EPS)
        if clamp == "min":
            scale = min(1.0, scale)
        elif clamp == "inverted":
            scale = scale if total < limit else 1.0
        return [g * scale for g in arrays], total

    def variant(grads, max_norm):
        grads = list(grads)
        if per_array:
            return [clip([g], max_norm)[0][0] for g in grads], norm_of(grads)
        clipped, total = clip(grads, max_norm)
        return clipped, (norm_of(clipped) if report == "after" else total)

    return variant


clip_grad_norm = reference_of(clip_grad_norm_variant, "Reference: scale every gradient by min(1, max_norm / "
                              "(total_norm + 1e-6)); grads -> (arrays of the same shapes, total L2 norm before clipping).")

#: each choice of the reference, the other ways a learner may make it, and what the course says
CHOICES = {
    "norm": {"l1": "Your norm adds absolute values (the L1 norm); the global norm is the square root of the sum "
                   "of all squares.",
             "squared": "Your norm is the sum of squares without the square root.",
             "sum": "Your norm adds up the norms of the arrays; the global norm is the square root of the sum of "
                    "all their squares together, sqrt(sum of (g * g).sum())."},
    "clamp": {"none": "You scale every time, with no threshold: the scale is min(1, max_norm / total_norm), so "
                      "gradients within max_norm stay as they are.",
              "inverted": "Your condition is the wrong way round: clip when the norm is above max_norm, leave "
                          "the gradients alone when it is below."},
    "per_array": {True: "You clip each gradient by its own norm. Clipping uses one global norm over all gradients "
                        "together, so their directions relative to each other stay the same."},
    "report": {"after": "You report the norm after clipping; total_norm is the norm before clipping (what "
                        "training logs to show how large the gradients were)."},
}


CLIP_GRAD_NORM = make_exercise(
    7, Spec("clip_grad_norm", "07_clip_grad_norm", "Clipping gradients by their global norm", "array_function",
            ("grads", "max_norm"), ("clipped[]", "total_norm"), (), 3,
            ("lstmkit.optim", "lstmkit.nn", "lstmkit.course", "torch", "clip_grad_norm_")),
    INPUTS, clip_grad_norm,
    derive_mistakes=choice_mistakes(clip_grad_norm_variant, CHOICES),
    error_hints=(
        ErrorHint("division by zero", "When every gradient is zero the norm is 0: add a small epsilon, "
                  "max_norm / (total_norm + 1e-6), or leave gradients within max_norm untouched."),
        ErrorHint("Tensor", "grads holds plain arrays (like p.grad), not Tensors; use (g * g).sum() and float()."),
    ),
)

EXERCISES = (CLIP_GRAD_NORM,)
