"""``torch.nn.modules.rnn``'s classes."""

from ..gru import GRU, GRUCell
from ..lstm import LSTM
from ..lstm_cell import LSTMCell
from ..rnn import RNN, RNNCell
from ..rnn_base import RNNBase

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell"]
