"""``torch.nn.modules.dropout``'s class."""

from ..layers import Dropout

__all__ = ["Dropout"]
