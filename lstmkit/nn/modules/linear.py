"""``torch.nn.modules.linear``'s class."""

from ..layers import Linear

__all__ = ["Linear"]
