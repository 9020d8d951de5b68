"""``Module`` and ``Parameter``: the containers every layer is built from.

A Module registers the Parameters and sub-Modules assigned to it as attributes, in
order, so ``named_parameters()`` and ``state_dict()`` list them with dotted names
(``layers.0.weight``) just as PyTorch does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from .. import backend
from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimiser updates (requires grad)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


class StateDictError(ValueError):
    """A state dict does not fit the module; nothing was changed."""


class Module:
    """Base class of layers and models: holds Parameters and sub-Modules."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes."
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for this module and every sub-module, in order."""
        seen: set[int] = set()
        for name, module in self.named_modules(prefix):
            for pname, param in module._parameters.items():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{name}.{pname}" if name else pname), param

    def parameters(self) -> Iterator[Parameter]:
        """Every Parameter, each once."""
        for _, param in self.named_parameters():
            yield param

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, Module) for this module (name ``prefix``) and all below it."""
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    # ------------------------------------------------------------------ state

    def state_dict(self) -> OrderedDict[str, Any]:
        """Name -> host NumPy copy of every parameter (safe to save, or to load into torch)."""
        return OrderedDict((name, backend.to_numpy(p.data)) for name, p in self.named_parameters())

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters; checks every name and shape before changing any.

        Values may be NumPy arrays, lstmkit Tensors or PyTorch tensors.
        """
        params = dict(self.named_parameters())
        missing = [n for n in params if n not in state]
        unexpected = [n for n in state if n not in params]
        if strict and (missing or unexpected):
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}. The state dict was made for a different "
                f"architecture; expected exactly {list(params)}."
            )
        converted = {}
        for name, value in state.items():
            if name not in params:
                continue
            array = _host_array(value)
            if tuple(array.shape) != params[name].shape:
                raise StateDictError(
                    f"load_state_dict into {type(self).__name__}: '{name}' has shape "
                    f"{tuple(array.shape)} in the state dict but {params[name].shape} in the "
                    "model; build the model with the same sizes as the one that was saved."
                )
            converted[name] = array
        for name, array in converted.items():
            param = params[name]
            param.data = backend.asarray(array, param.device, dtype=param.dtype)

    # ------------------------------------------------------------------ modes and devices

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all below it."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off)."""
        return self.train(False)

    def to(self, device: str) -> Module:
        """Move every parameter (and its gradient) to ``device`` in place; returns self."""
        target = backend.resolve_device(device)
        for param in self.parameters():
            param.data = backend.to_device(param.data, target)
            if param.grad is not None:
                param.grad = backend.to_device(param.grad, target)
        return self

    @property
    def device(self) -> str:
        """Where the parameters live ('cpu' when there are none)."""
        first = next(self.parameters(), None)
        return "cpu" if first is None else first.device

    def zero_grad(self) -> None:
        """Forget every parameter's accumulated gradient."""
        for param in self.parameters():
            param.grad = None

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


def _host_array(value: Any) -> Any:
    """A host array from a NumPy array, an lstmkit Tensor or a PyTorch tensor."""
    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    if backend.is_array(value):
        return backend.to_numpy(value)
    return backend.asarray(value, "cpu")
