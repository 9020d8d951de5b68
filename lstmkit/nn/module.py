"""``Module`` and ``Parameter``: the containers every layer is built from.

A Module registers the Parameters and sub-Modules assigned to it as attributes, in
order, so ``named_parameters()`` and ``state_dict()`` list them with dotted names
(``layers.0.weight``) just as PyTorch does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from .. import backend
from ..autograd.tensor import Tensor
from .arguments import resolve_dtype


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


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` returns, like torch's ``_IncompatibleKeys``."""

    missing_keys: list[str]
    unexpected_keys: list[str]


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
        # replacing a registered Parameter or Module keeps its place in the order, as in torch
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        else:
            self._parameters.pop(name, None)
            self._modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for this module and (with ``recurse``) every sub-module, in
        order; a Parameter shared by several modules comes once unless ``remove_duplicate=False``."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for name, module in modules:
            for pname, param in module._parameters.items():
                if id(param) not in seen or not remove_duplicate:
                    seen.add(id(param))
                    yield (f"{name}.{pname}" if name else pname), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter, each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def _state_entries(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) under every name it is registered (as torch's state_dict lists them:
        tied weights appear under each of their names)."""
        for name, param in self._parameters.items():
            yield prefix + name, param
        for name, child in self.named_children():
            yield from child._state_entries(f"{prefix}{name}.")

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, Module) for this module (name ``prefix``) and all below it."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module.named_children()]
            stack.extend(reversed(children))

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in order."""
        for _, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, Module) for the direct sub-modules, in order."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, each once."""
        for _, module in self.named_modules():
            yield module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` ('' is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no sub-module {part!r} (looking up {target!r}).")
            module = module._modules[part]
        return module

    # ------------------------------------------------------------------ state

    def state_dict(self, *, prefix: str = "") -> OrderedDict[str, Any]:
        """Name -> host NumPy copy of every parameter (safe to save, or to load into torch)."""
        return OrderedDict((name, backend.to_numpy(p.data)) for name, p in self._state_entries(prefix))

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters; checks every name and shape before changing any.

        Values may be NumPy or CuPy arrays, lstmkit Tensors, PyTorch tensors (detached and
        copied) or anything with ``__array__``; the parameters never share the caller's
        memory. ``strict=True`` raises :class:`StateDictError` naming missing and
        unexpected keys; ``strict=False`` loads the keys that match and returns
        ``IncompatibleKeys(missing_keys, unexpected_keys)``. A wrong shape always raises.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict into {type(self).__name__}: expected a mapping of names to arrays "
                f"(e.g. another model's state_dict()), but got {type(state_dict).__name__}."
            )
        params = dict(self._state_entries())
        missing = [n for n in params if n not in state_dict]
        unexpected = [n for n in state_dict if n not in params]
        if strict and (missing or unexpected):
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}. The state dict was made for a different "
                f"architecture; expected exactly {list(params)} (or pass strict=False to load "
                "the keys that match)."
            )
        converted = {}
        for name, value in state_dict.items():
            if name not in params:
                continue
            array = _host_array(value, name, type(self).__name__)
            if tuple(array.shape) != params[name].shape:
                raise StateDictError(
                    f"load_state_dict into {type(self).__name__}: '{name}' has shape "
                    f"{tuple(array.shape)} in the state dict but {params[name].shape} in the "
                    "model; build the model with the same sizes as the one that was saved."
                )
            converted[name] = array
        for name, array in converted.items():
            param = params[name]
            param.data = backend.asarray(array, param.device, dtype=param.dtype).copy()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and devices

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all below it."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off)."""
        return self.train(False)

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Move and/or cast every parameter (and its gradient) in place; returns self.

        Like torch: ``to('cuda')``, ``to(lk.float64)`` / ``to('float64')``,
        ``to('cpu', 'float64')``, ``to(device=..., dtype=...)``. Only floating-point
        parameters are cast.
        """
        for arg in args:
            if _is_device(arg):
                device = arg
            else:
                dtype = arg
        target = backend.resolve_device(str(device)) if device is not None else None
        cast = resolve_dtype(dtype) if dtype is not None else None
        for param in self.parameters():
            for attr in ("data", "grad"):
                array = getattr(param, attr)
                if array is None:
                    continue
                if target is not None:
                    array = backend.to_device(array, target)
                if cast is not None and array.dtype.kind == "f" and array.dtype != cast:
                    array = array.astype(cast)
                setattr(param, attr, array)
        return self

    def double(self) -> Module:
        """Cast floating-point parameters to float64; returns self."""
        return self.to(dtype="float64")

    def float(self) -> Module:
        """Cast floating-point parameters to float32; returns self."""
        return self.to(dtype="float32")

    def cpu(self) -> Module:
        """Move every parameter to the host; returns self."""
        return self.to("cpu")

    def cuda(self) -> Module:
        """Move every parameter to the GPU; returns self."""
        return self.to("cuda")

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient recording on or off for every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module, then on this one (PyTorch's order); returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name`` (same as assigning the attribute)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"add_module: the name must be a non-empty string without '.', but got {name!r}.")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module.")
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (same as assigning the attribute)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {type(param).__name__} is not a Parameter; wrap it in nn.Parameter.")
        setattr(self, name, param)

    @property
    def device(self) -> str:
        """Where the parameters live ('cpu' when there are none)."""
        first = next(self.parameters(), None)
        return "cpu" if first is None else first.device

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's accumulated gradient (or fill it with zeros)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = param.grad * 0

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, module in self.named_children():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


def _is_device(value: Any) -> bool:
    """True for 'cpu', 'cuda', 'cuda:0', 'auto' or a torch.device-like object."""
    if isinstance(value, str):
        return value in ("cpu", "auto") or value.startswith("cuda")
    return type(value).__name__ == "device"


def _host_array(value: Any, name: str, owner: str) -> Any:
    """A host array holding ``value``: an lstmkit Tensor, an array of either backend, a PyTorch
    tensor (detached), or anything with ``.numpy()`` or ``__array__``."""
    if isinstance(value, Tensor):
        return value.numpy()
    if backend.is_array(value):
        return backend.to_numpy(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu()
    if hasattr(value, "numpy"):
        return backend.to_numpy(value.numpy())
    try:
        return backend.to_numpy(backend.asarray(value, "cpu"))
    except (TypeError, ValueError) as error:
        raise StateDictError(
            f"load_state_dict into {owner}: '{name}' is a {type(value).__name__}, which is not "
            f"an array ({error}); give arrays, lstmkit Tensors or torch tensors."
        ) from None
