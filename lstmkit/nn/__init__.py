"""Layers and models, with PyTorch's names and shapes."""

from ..optim import clip_grad_norm_
from .layers import Dropout, Embedding, Linear
from .lstm import LSTM
from .lstm_cell import LSTMCell
from .module import Module, Parameter, StateDictError
from .rnn import RNN, RNNCell

__all__ = [
    "LSTM",
    "RNN",
    "Dropout",
    "Embedding",
    "LSTMCell",
    "Linear",
    "Module",
    "Parameter",
    "RNNCell",
    "StateDictError",
    "clip_grad_norm_",
]
