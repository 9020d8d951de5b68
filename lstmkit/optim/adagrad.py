"""``Adagrad`` (with ``lr_decay`` and ``initial_accumulator_value``), as ``torch.optim.Adagrad``."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .optimizer import Optimizer, ParamsArg, check_hints, check_non_negative, new_step, values_of


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), with PyTorch's update rule.

    t += 1;  g += weight_decay·p;  clr = lr / (1 + (t-1)·lr_decay);
    sum += g²;  p -= clr · g / (sqrt(sum) + eps).
    State (made at construction, as in PyTorch): ``step``, ``sum`` (starts at
    ``initial_accumulator_value``).
    """

    _buffers = ("sum",)
    _strict_state = True

    def __init__(
        self, params: ParamsArg, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
        initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
        maximize: bool = False, differentiable: bool = False, fused: bool | None = None,
    ) -> None:
        check_non_negative("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_hints("Adagrad", differentiable, fused)
        super().__init__(params, {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        })
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> None:
        values = values_of(p)
        state = self.state[p]
        state["step"] = new_step()
        state["sum"] = p.xp.full_like(values, group["initial_accumulator_value"])

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        if "sum" not in state:  # a parameter added later with add_param_group
            self._init_state(p, group)
        xp, values = p.xp, values_of(p)
        state["step"] += 1
        step = float(state["step"])
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * values
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum += grad * grad
        std = xp.sqrt(state_sum)
        std += group["eps"]
        values -= clr * (grad / std)
