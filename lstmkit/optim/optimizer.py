"""The optimiser base class: param groups, per-parameter state, ``step(closure)``, state dicts.

An optimiser holds ``param_groups`` (a list of dicts: ``"params"`` plus the
hyper-parameters, so a scheduler can change ``group["lr"]``) and ``state``
(parameter -> dict of its buffers). Buffers live on the parameter's device (NumPy or
CuPy, taken from the data). ``state_dict()`` has PyTorch's layout: ``"state"`` keyed
by the parameter's position, ``"param_groups"`` with ``"params"`` index lists, every
array a host NumPy copy; map the arrays through ``torch.from_numpy`` and
``torch.optim.X.load_state_dict`` takes it, and a torch state dict (tensors or NumPy
arrays) loads here.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy

from .. import backend
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor

ParamsArg = Iterable[Tensor] | Iterable[dict[str, Any]]
Closure = Callable[[], Any]


class OptimizerStateError(ValueError):
    """An optimiser state dict does not fit this optimiser; nothing was changed."""


# --------------------------------------------------------------------------- arrays of a parameter


def values_of(p: Tensor) -> Any:
    """The raw array (numpy or cupy) holding a parameter's values, updated in place."""
    data = p.data
    while isinstance(data, Tensor):
        data = data.data
    if isinstance(data, numpy.ndarray) and type(data) is not numpy.ndarray:
        data = data.view(numpy.ndarray)  # a plain view: buffers made from it stay plain arrays
    return data


def grad_of(p: Tensor) -> Any:
    """The raw gradient array of ``p`` (None when it has none)."""
    grad = p.grad
    while isinstance(grad, Tensor):
        grad = grad.data
    return grad


def host_copy(value: Any, where: str) -> numpy.ndarray:
    """A host NumPy copy of an array-like state entry (NumPy, CuPy, lstmkit or torch tensor)."""
    if isinstance(value, Tensor):
        return value.numpy()
    if backend.is_array(value):
        return backend.to_numpy(value)
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):  # a torch tensor
        return numpy.array(value.detach().cpu().numpy(), copy=True)
    raise OptimizerStateError(f"{where} should be an array or tensor, but is a {type(value).__name__}.")


def is_array_like(value: Any) -> bool:
    """True for numpy/cupy arrays, lstmkit Tensors and torch tensors."""
    return (
        isinstance(value, Tensor)
        or backend.is_array(value)
        or (hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"))
    )


def is_real(value: Any) -> bool:
    """A real number that is not a bool (int, float, NumPy scalar)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | numpy.bool_)


def new_step() -> numpy.ndarray:
    """The step counter as PyTorch keeps it: a 0-d float32 host array (``tensor(0.)``)."""
    return numpy.zeros((), dtype=numpy.float32)


class Optimizer:
    """Base class: param groups, ``zero_grad()``, ``step(closure)``, state save/load.

    Subclasses write ``_update(p, grad, group, state)`` (one parameter's update) or
    override ``step`` entirely, as a torch optimiser does (LBFGS). lstmkit's own
    optimisers name their state entries (``_buffers``, ``_scalars``) and refuse others
    on load; a subclass that names none keeps whatever its state dict holds.
    """

    #: state entries that hold one value per parameter element (checked on load)
    _buffers: tuple[str, ...] = ()
    #: state entries that are scalars (checked on load; ``step`` is kept as a 0-d float32 array)
    _scalars: tuple[str, ...] = ("step",)
    #: refuse state entries not named in _buffers/_scalars (lstmkit's own optimisers)
    _strict_state = False

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors (e.g. model.parameters()), "
                "not a single Tensor; wrap it in a list: [tensor]."
            )
        if isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered iterable (a list), not a set, so states keep their order.")
        params = list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters().")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (the defaults fill the rest)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict with 'params', got {type(param_group).__name__}.")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' entry; pass {{'params': [...], 'lr': ...}}.")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError(f"{name}: a group's params must be a list, not a set, so states keep their order.")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(
                    f"{name}: every parameter must be a Tensor with requires_grad=True, "
                    f"got {type(p).__name__}; pass model.parameters()."
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears twice in one group; pass each parameter once.")
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group; give each to one group only.")
        group = {key: value for key, value in param_group.items() if key != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self.param_groups.append(group)

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (None, or zeros in place with ``set_to_none=False``)."""
        for p in self._params():
            grad = grad_of(p)
            if set_to_none or grad is None:
                p.grad = None
            else:
                grad[...] = 0

    def step(self, closure: Closure | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss when given.

        The closure (zero the gradients, compute the loss, ``backward()``, return the loss)
        runs with gradients enabled before the update, as in PyTorch.
        """
        loss = closure() if closure is not None else None
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    grad = grad_of(p)
                    if grad is None:
                        continue
                    if group.get("maximize", False):
                        grad = -grad
                    self._update(p, grad, group, self.state[p])
        return loss

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Change ``p``'s values in place from ``grad`` (already negated for ``maximize``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define _update(p, grad, group, state) for one parameter, "
            "or override step(closure=None) as a torch optimiser does."
        )

    # ------------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: host array or number}}, "param_groups": [...]}`` (PyTorch's layout).

        Parameters are referred to by their position over all groups, in order.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        state = {
            index[id(p)]: {k: _host_state(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index and s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` (ours or PyTorch's) saved.

        Everything is checked and copied before anything changes; on error the
        optimiser is left as it was and :class:`OptimizerStateError` says why.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or "state" not in state_dict or "param_groups" not in state_dict:
            keys = sorted(map(str, state_dict)) if isinstance(state_dict, Mapping) else "-"
            raise OptimizerStateError(
                f"{name}: expected a dict with 'state' and 'param_groups' (from {type(self).__name__}.state_dict()), "
                f"got {type(state_dict).__name__} with keys {keys}."
            )
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, list | tuple) or not all(isinstance(g, Mapping) for g in saved_groups):
            raise OptimizerStateError(f"{name}: 'param_groups' should be a list of dicts, got {type(saved_groups).__name__}.")
        if not isinstance(saved_state, Mapping):
            raise OptimizerStateError(f"{name}: 'state' should be a dict keyed by parameter index, got {type(saved_state).__name__}.")
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = []
        for i, g in enumerate(saved_groups):
            indices = g.get("params")
            if not isinstance(indices, list | tuple) or not all(is_real(j) and int(j) == j for j in indices):
                raise OptimizerStateError(f"{name}: param_groups[{i}]['params'] should be a list of parameter indices, got {indices!r}.")
            saved_sizes.append(len(indices))
        if sizes != saved_sizes:
            raise OptimizerStateError(
                f"{name}: the saved optimiser has parameter groups of sizes {saved_sizes}, "
                f"this one {sizes}; build the optimiser over the same model as the one that was saved."
            )
        by_index = {}
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for p, j in zip(group["params"], saved["params"], strict=True):
                by_index[int(j)] = p
        if len(by_index) != sum(sizes):
            raise OptimizerStateError(f"{name}: the saved param_groups list a parameter index twice; the state dict is damaged.")
        new_groups = [self._checked_group(group, saved, i, name) for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True))]
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, entries in saved_state.items():
            if not is_real(key) or int(key) != key or int(key) not in by_index:
                raise OptimizerStateError(
                    f"{name}: 'state' has an entry for parameter {key!r}, but the groups list only "
                    f"{sorted(by_index)}; the state dict is damaged or belongs to another optimiser."
                )
            if not isinstance(entries, Mapping):
                raise OptimizerStateError(f"{name}: state[{key}] should be a dict, got {type(entries).__name__}.")
            p = by_index[int(key)]
            new_state[p] = self._checked_state(p, entries, f"{name}: state[{key}]")
        for group, checked in zip(self.param_groups, new_groups, strict=True):
            group.clear()
            group.update(checked)
        self.state = new_state

    def _checked_group(self, group: dict[str, Any], saved: Mapping[str, Any], i: int, name: str) -> dict[str, Any]:
        """The group's new settings: the saved ones, type-checked against the defaults."""
        new = {}
        for key, value in saved.items():
            if key == "params":
                continue
            if not isinstance(key, str):
                raise OptimizerStateError(f"{name}: param_groups[{i}] has a key {key!r}; keys are option names.")
            if key in self.defaults:
                _check_option(key, value, self.defaults[key], f"{name}: param_groups[{i}]['{key}']")
            new[key] = copy.deepcopy(value)
            if key == "betas":
                new[key] = tuple(float(b) for b in value)
        for key, value in group.items():
            if key != "params" and key not in new:
                new[key] = value  # an option the saved groups did not know keeps its current value
        new["params"] = group["params"]
        return new

    def _checked_state(self, p: Tensor, entries: Mapping[str, Any], where: str) -> dict[str, Any]:
        """A copy of one parameter's saved state on ``p``'s device, checked entry by entry."""
        converted: dict[str, Any] = {}
        for key, value in entries.items():
            if key in self._buffers:
                if value is None:
                    converted[key] = None
                    continue
                array = host_copy(value, f"{where}['{key}']")
                if tuple(array.shape) != p.shape:
                    raise OptimizerStateError(
                        f"{where}['{key}'] has shape {tuple(array.shape)} but the parameter has shape "
                        f"{p.shape}; the saved optimiser belongs to a different model."
                    )
                if array.dtype.kind not in "fc":
                    raise OptimizerStateError(f"{where}['{key}'] should hold floats, but has dtype {array.dtype}.")
                converted[key] = backend.asarray(array, p.device, dtype=p.dtype)
            elif key in self._scalars:
                converted[key] = _checked_scalar(value, f"{where}['{key}']", key)
            else:
                converted[key] = self._checked_extra(p, key, value, where)
        return converted

    def _checked_extra(self, p: Tensor, key: str, value: Any, where: str) -> Any:
        """An entry this optimiser does not name: refused by lstmkit's own, copied for other subclasses.

        Copied arrays shaped like the parameter go to its device and dtype (torch's rule).
        """
        if self._strict_state:
            raise OptimizerStateError(
                f"{where} has an unknown entry '{key}'; {type(self).__name__} keeps only "
                f"{sorted(self._buffers + self._scalars)}. The state dict belongs to another optimiser."
            )
        if is_array_like(value):
            array = host_copy(value, f"{where}['{key}']")
            if tuple(array.shape) == p.shape and array.dtype.kind in "fc":
                return backend.asarray(array, p.device, dtype=p.dtype)
            return array
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


def _host_state(value: Any) -> Any:
    """A state entry as it goes into a state dict: arrays become host NumPy copies, recursively."""
    if is_array_like(value):
        return host_copy(value, "state")
    if isinstance(value, list):
        return [_host_state(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_host_state(v) for v in value)
    return copy.deepcopy(value)


def _checked_scalar(value: Any, where: str, key: str) -> Any:
    """A scalar state entry (``step``) as a 0-d float32 array, or a clear error."""
    if is_array_like(value):
        array = host_copy(value, where)
        if array.size != 1 or array.dtype.kind not in "biuf":
            raise OptimizerStateError(f"{where} should be one number, but is an array of shape {array.shape} ({array.dtype}).")
        value = array.reshape(()).item()
    if not is_real(value) or not math.isfinite(float(value)) or float(value) < 0:
        raise OptimizerStateError(f"{where} should be a non-negative number, but is {value!r}.")
    if key == "step":
        return numpy.asarray(float(value), dtype=numpy.float32)
    return value


def _check_option(key: str, value: Any, default: Any, where: str) -> None:
    """Refuse a saved option whose type cannot be the default's type."""
    if isinstance(default, bool) or key in ("nesterov", "amsgrad", "centered", "maximize", "differentiable", "capturable"):
        ok = isinstance(value, bool | numpy.bool_)
    elif key == "betas":
        ok = isinstance(value, list | tuple) and len(value) == 2 and all(is_real(b) for b in value)
    elif key in ("foreach", "fused"):
        ok = value is None or isinstance(value, bool | numpy.bool_)
    elif key == "line_search_fn":
        ok = value is None or isinstance(value, str)
    elif key == "max_eval" or key == "max_iter" or key == "history_size":
        ok = is_real(value) and int(value) == value and value >= 0
    elif is_real(default):
        ok = is_real(value) and math.isfinite(float(value))
    else:
        ok = True
    if not ok:
        raise OptimizerStateError(f"{where} should be like {default!r} ({type(default).__name__}), but is {value!r}.")


def check_non_negative(name: str, **values: Any) -> None:
    """Raise ValueError naming the first option that is not a number >= 0."""
    for key, value in values.items():
        if not is_real(value) or not value >= 0.0:
            raise ValueError(f"{name}: {key} must be a number >= 0, but got {value!r}.")


def check_hints(name: str, differentiable: bool, fused: bool | None) -> None:
    """``foreach`` is accepted as a hint; ``differentiable`` and ``fused`` have no lstmkit version."""
    if differentiable:
        raise ValueError(f"{name}: differentiable=True (gradients through the update) is not supported; leave it False.")
    if fused:
        raise ValueError(f"{name}: fused=True (a fused CUDA kernel in PyTorch) is not supported; leave it None.")
