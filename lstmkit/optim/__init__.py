"""Optimisers, learning-rate schedulers and gradient clipping, with PyTorch's rules and state dicts.

>>> import lstmkit as lk
>>> from lstmkit import optim
>>> w = lk.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
>>> (w * w).sum().backward()
>>> _ = opt.step()
>>> w.numpy().tolist()
[0.8, -1.6]

``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad`` and ``LBFGS`` take torch's
arguments in torch's order and keep torch's state-dict layout; ``lr_scheduler``
holds the schedulers; ``clip_grad_norm_`` / ``clip_grad_value_`` are also
``lstmkit.nn.utils``' in torch.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_, get_total_norm
from .lbfgs import LBFGS
from .optimizer import Optimizer, OptimizerStateError
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "OptimizerStateError",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "lr_scheduler",
]
