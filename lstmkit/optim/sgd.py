"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov, as ``torch.optim.SGD``."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .optimizer import Optimizer, ParamsArg, check_hints, check_non_negative, values_of


class SGD(Optimizer):
    """Stochastic gradient descent, with PyTorch's update rule.

    g = grad (negated when ``maximize``) + weight_decay·p;
    buf = g at the first step, then momentum·buf + (1 - dampening)·g;
    g = g + momentum·buf (``nesterov``) or buf;  p -= lr·g.
    State: ``momentum_buffer`` (shaped like p) when momentum != 0.
    """

    _buffers = ("momentum_buffer",)
    _strict_state = True
    _scalars = ()

    def __init__(
        self, params: ParamsArg, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
        weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
        foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None,
    ) -> None:
        check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0.")
        check_hints("SGD", differentiable, fused)
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
            "differentiable": differentiable, "fused": fused,
        })

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        values = values_of(p)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * values
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        values -= group["lr"] * grad
