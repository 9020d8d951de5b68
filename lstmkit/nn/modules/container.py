"""``torch.nn.modules.container``'s classes."""

from ..containers import ModuleDict, ModuleList, Sequential

__all__ = ["ModuleDict", "ModuleList", "Sequential"]
