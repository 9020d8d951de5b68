"""``nn.utils``: packed sequences (``nn.utils.rnn``) and gradient clipping, as in PyTorch.

The clipping functions live in :mod:`lstmkit.optim` (the same objects are re-exported here).
"""

from ...optim import clip_grad_norm_, clip_grad_value_
from . import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
