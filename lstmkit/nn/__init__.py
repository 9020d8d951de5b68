"""Layers and models, with PyTorch's names, arguments, shapes and state-dict layouts.

See docs/pytorch.md ("Modules") for the full list and every deliberate difference.
"""

from . import init, modules, utils
from .containers import ModuleDict, ModuleList, Sequential
from .gru import GRU, GRUCell
from .layers import Dropout, Embedding, Identity, Linear, ReLU, Sigmoid, Tanh
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .lstm import LSTM
from .lstm_cell import LSTMCell
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .rnn import RNN, RNNCell
from .rnn_base import RNNBase
from .utils import clip_grad_norm_, clip_grad_value_

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "GRUCell",
    "Identity",
    "IncompatibleKeys",
    "LSTMCell",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "RNNBase",
    "RNNCell",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "StateDictError",
    "Tanh",
    "clip_grad_norm_",
    "clip_grad_value_",
    "init",
    "modules",
    "utils",
]
