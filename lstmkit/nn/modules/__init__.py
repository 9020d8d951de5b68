"""``nn.modules``: the class paths PyTorch code names (``nn.modules.rnn.LSTM``, ...), re-exported."""

from . import activation, container, dropout, linear, loss, module, rnn, sparse
from .activation import ReLU, Sigmoid, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .sparse import Embedding

__all__ = [
    "GRU", "LSTM", "RNN", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding", "GRUCell", "LSTMCell",
    "Identity", "Linear", "MSELoss", "ReLU", "Sigmoid", "Tanh", "activation", "Module", "ModuleDict", "ModuleList", "NLLLoss", "RNNBase", "RNNCell", "Sequential",
    "container", "dropout", "linear", "loss", "module", "rnn", "sparse",
]
