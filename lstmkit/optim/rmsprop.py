"""``RMSprop`` (with momentum and ``centered``), as ``torch.optim.RMSprop``."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .optimizer import Optimizer, ParamsArg, check_hints, check_non_negative, new_step, values_of


class RMSprop(Optimizer):
    """RMSprop (Hinton), with PyTorch's update rule.

    g += weight_decay·p;  s = α·s + (1-α)·g²;  centered: a = α-lerp of g, s' = s - a²;
    avg = sqrt(s or s') + eps;  momentum > 0: buf = momentum·buf + g/avg, p -= lr·buf;
    otherwise p -= lr·g/avg.
    State: ``step``, ``square_avg`` (and ``momentum_buffer``, ``grad_avg``).
    """

    _buffers = ("square_avg", "momentum_buffer", "grad_avg")
    _strict_state = True

    def __init__(
        self, params: ParamsArg, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
        weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
        foreach: bool | None = None, maximize: bool = False, differentiable: bool = False,
    ) -> None:
        check_non_negative("RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        check_hints("RMSprop", differentiable, None)
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        })

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        xp, values = p.xp, values_of(p)
        if not state:
            state["step"] = new_step()
            state["square_avg"] = xp.zeros_like(values)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(values)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(values)
        alpha = group["alpha"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * values
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", xp.zeros_like(values))
            grad_avg += (1 - alpha) * (grad - grad_avg)  # torch's lerp_(grad, 1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state.setdefault("momentum_buffer", xp.zeros_like(values))
            buf *= group["momentum"]
            buf += grad / avg
            values -= group["lr"] * buf
        else:
            values -= group["lr"] * (grad / avg)
