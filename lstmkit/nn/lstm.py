"""``LSTM``: a stack of LSTM layers over a sequence, interchangeable with ``torch.nn.LSTM``.

Same constructor arguments in the same order, shapes, state-dict names
(``weight_ih_l{k}`` (4H, in), ``weight_hh_l{k}`` (4H, H or proj_size), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (4H,), ``weight_hr_l{k}`` (proj_size, H), ``_reverse`` for the backward
direction), gate order (i, f, g, o) and default initialisation U(-1/sqrt(H), 1/sqrt(H)),
so weights move between the two with ``state_dict()`` / ``load_state_dict()``. Each layer
and direction runs as one fused autograd Function (:mod:`lstmkit.nn.fused_lstm`);
``LSTMCell`` is the readable twin that gives the same numbers one gate at a time.
"""

from __future__ import annotations

from typing import Any

from .lstm_cell import add_forget_bias
from .rnn_base import RNNBase


class LSTM(RNNBase):
    """A multi-layer LSTM, like ``torch.nn.LSTM``.

    forward(input, hx=None) -> (output, (h_n, c_n)) with input (T, B, in), (B, T, in)
    when batch_first, unbatched (T, in), or a PackedSequence; hx = (h0, c0) with
    h0 (L·D, B, H_out), c0 (L·D, B, H) (zeros when None), D = 2 if bidirectional else 1,
    H_out = proj_size or hidden_size; output (T, B, D·H_out): the last layer's h_t.

    ``dropout`` acts on the outputs of every layer but the last, in training only.
    ``forget_bias`` (keyword-only, lstmkit's own) shifts the initial forget-gate bias of
    every layer; it is split half into ``bias_ih`` and half into ``bias_hh``, whose sum is
    what the gate sees (1.0 follows Jozefowicz et al., 2015; 0.0, the default, is
    PyTorch's init exactly).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: str | None = None, dtype: Any = None, *,
                 forget_bias: float = 0.0) -> None:
        if forget_bias and not bias:
            raise ValueError("LSTM: forget_bias needs biases; pass bias=True or forget_bias=0.0.")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)
        self.forget_bias = float(forget_bias)
        if bias and forget_bias:
            for weights in self.all_weights:
                add_forget_bias(weights[2].data, weights[3].data, hidden_size, forget_bias)
