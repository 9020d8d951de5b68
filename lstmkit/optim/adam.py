"""``Adam`` and ``AdamW`` (with ``amsgrad``), as ``torch.optim.Adam`` / ``torch.optim.AdamW``."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .optimizer import Optimizer, ParamsArg, check_hints, check_non_negative, is_real, new_step, values_of


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's update rule.

    t += 1; weight decay: p *= 1 - lr·wd (``decoupled_weight_decay``, AdamW) or g += wd·p;
    m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  v̂ = max(v̂, v) with ``amsgrad``;
    p -= lr/(1-β1^t) · m / (sqrt(v or v̂)/sqrt(1-β2^t) + eps).
    State: ``step`` (0-d float32), ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).
    """

    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _strict_state = True

    def __init__(
        self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
        foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
        differentiable: bool = False, fused: bool | None = None, decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        check_non_negative(name, lr=lr, eps=eps, weight_decay=weight_decay)
        if (not isinstance(betas, tuple | list) or len(betas) != 2 or not all(is_real(b) for b in betas)
                or not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0)):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), e.g. (0.9, 0.999), but got {betas!r}.")
        check_hints(name, differentiable, fused)
        super().__init__(params, {
            "lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        })

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        xp, values = p.xp, values_of(p)
        if not state:
            state["step"] = new_step()
            state["exp_avg"] = xp.zeros_like(values)
            state["exp_avg_sq"] = xp.zeros_like(values)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(values)
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        state["step"] += 1
        step = float(state["step"])
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                values *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * values
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)  # torch's lerp_(grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            if state.get("max_exp_avg_sq") is None:
                state["max_exp_avg_sq"] = xp.zeros_like(values)
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = exp_avg_sq
        denom = xp.sqrt(second) / bias_correction2_sqrt
        denom += group["eps"]
        values -= (lr / bias_correction1) * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    The same as ``Adam(..., decoupled_weight_decay=True)``: p *= 1 - lr·weight_decay before
    the Adam step; the default weight_decay is 1e-2.
    """

    def __init__(
        self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
        maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
        differentiable: bool = False, fused: bool | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
            capturable=capturable, differentiable=differentiable, fused=fused, decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: Any) -> None:
        """As :meth:`Optimizer.load_state_dict`; the weight decay stays decoupled (as in PyTorch)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
