"""``torch.nn.modules.linear``'s class."""

from ..layers import Identity, Linear

__all__ = ["Identity", "Linear"]
