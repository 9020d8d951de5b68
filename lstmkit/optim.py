"""Optimisers with PyTorch's update rules: ``SGD``, ``Adam``, and ``clip_grad_norm_``.

Each optimiser holds ``param_groups`` (a list of dicts: ``"params"`` plus the
hyper-parameters, so a scheduler can change ``group["lr"]``) and per-parameter
``state``. Arrays live on the parameters' device (NumPy or CuPy, taken from the
data); ``state_dict()`` returns host NumPy copies so checkpoints load anywhere.
"""

from __future__ import annotations

import abc
import copy
import math
from collections.abc import Iterable
from typing import Any

from . import backend
from .autograd.function import no_grad
from .autograd.tensor import Tensor

ParamsArg = Iterable[Tensor] | Iterable[dict[str, Any]]


class OptimizerStateError(ValueError):
    """An optimiser state dict does not fit this optimiser; nothing was changed."""


class Optimizer(abc.ABC):
    """Base class: param groups, ``zero_grad()``, and state save/load."""

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors (e.g. model.parameters()), "
                "not a single Tensor; wrap it in a list: [tensor]."
            )
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; pass model.parameters().")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(
                    f"{type(self).__name__}: every parameter must be a Tensor with requires_grad=True, "
                    f"got {type(p).__name__}; pass model.parameters()."
                )
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown options {sorted(unknown)}; known are {sorted(self.defaults)}.")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (None, or zeros with set_to_none=False)."""
        for p in self._params():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, group, self.state.setdefault(id(p), {}))

    @abc.abstractmethod
    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Change ``p.data`` in place from ``p.grad``, the group's settings and its own state."""

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: host array or number}}, "param_groups": [...]}.

        Parameters are referred to by their position in the groups (as in PyTorch).
        """
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {
            index[key]: {k: backend.to_numpy(v) if backend.is_array(v) else v for k, v in s.items()}
            for key, s in self.state.items() if key in index
        }
        groups, start = [], 0
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` saved; checks everything before changing anything."""
        name = type(self).__name__
        try:
            groups, saved_state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise OptimizerStateError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
                f"(from {name}.state_dict()), got {type(state_dict).__name__} with keys "
                f"{sorted(state_dict) if isinstance(state_dict, dict) else '-'}."
            ) from None
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g.get("params", [])) for g in groups]
        if sizes != saved_sizes:
            raise OptimizerStateError(
                f"{name}.load_state_dict: the saved optimiser has parameter groups of sizes {saved_sizes}, "
                f"this one {sizes}; build the optimiser over the same model as the one that was saved."
            )
        params = self._params()
        new_state: dict[int, dict[str, Any]] = {}
        for key, entries in saved_state.items():
            i = int(key)
            if not 0 <= i < len(params):
                raise OptimizerStateError(f"{name}.load_state_dict: state for parameter {i}, but there are only {len(params)}.")
            p, converted = params[i], {}
            for k, v in entries.items():
                if backend.is_array(v) and v.ndim > 0:
                    if tuple(v.shape) != p.shape:
                        raise OptimizerStateError(
                            f"{name}.load_state_dict: '{k}' of parameter {i} has shape {tuple(v.shape)} "
                            f"but the parameter has shape {p.shape}; the saved optimiser belongs to a different model."
                        )
                    converted[k] = backend.asarray(v, p.device, dtype=p.dtype)
                else:
                    converted[k] = v.item() if backend.is_array(v) else v
            new_state[id(p)] = converted
        for group, saved in zip(self.param_groups, groups, strict=True):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({options})"


def _check_non_negative(name: str, **values: float) -> None:
    for key, value in values.items():
        if not value >= 0.0:
            raise ValueError(f"{name}: {key} must be >= 0, but got {value!r}.")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    g = grad + weight_decay·p;  buf = momentum·buf + (1 - dampening)·g (buf = g at first);
    g = g + momentum·buf (nesterov) or buf;  p -= lr·g.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        _check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0.")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        g = p.grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam`` (L2 weight decay added to the gradient).

    m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
    p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps).
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        _check_non_negative("Adam", lr=lr, eps=eps, weight_decay=weight_decay)
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"Adam: betas must both lie in [0, 1), but got {betas!r}.")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        xp = p.xp
        g = p.grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        denom = xp.sqrt(v) / bias_correction2_sqrt
        denom += group["eps"]
        p.data -= (group["lr"] / bias_correction1) * (m / denom)


def clip_grad_norm_(params: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients together so their joint norm is at most ``max_norm`` (in place).

    Returns the total norm before clipping (a float), like ``torch.nn.utils.clip_grad_norm_``:
    the norm of all gradients as if concatenated into one vector; gradients are multiplied by
    max_norm / (total_norm + 1e-6) when that is below 1. ``norm_type`` may be ``float('inf')``.
    """
    params = [params] if isinstance(params, Tensor) else list(params)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    xp = backend.xp_of(grads[0])
    # the norm is computed on the device, in float64, and read back once at the end
    if norm_type == math.inf:
        total = xp.stack([xp.abs(g).max().astype("float64") for g in grads]).max()
    elif norm_type == 2.0:
        total = xp.sqrt(sum((g * g).sum(dtype="float64") for g in grads))
    else:
        total = sum((xp.abs(g) ** norm_type).sum(dtype="float64") for g in grads) ** (1.0 / norm_type)
    coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)  # 1 leaves the gradients as they are
    for g in grads:
        g *= coef.astype(g.dtype)
    return float(total)
