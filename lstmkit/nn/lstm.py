"""``LSTM``: a stack of LSTM layers over a sequence, interchangeable with ``torch.nn.LSTM``.

Same constructor arguments, shapes, state-dict names (``weight_ih_l{k}`` (4H, in),
``weight_hh_l{k}`` (4H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (4H,)), gate order
(i, f, g, o) and default initialisation U(-1/sqrt(H), 1/sqrt(H)), so weights move
between the two with ``state_dict()`` / ``load_state_dict()``. Each layer runs as one
fused autograd Function (:mod:`lstmkit.nn.fused_lstm`); ``LSTMCell`` is the readable
twin that gives the same numbers one gate at a time.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, stack, zeros
from .fused_lstm import LSTMLayer
from .init import check_size, recurrent_bound, resolve, uniform_parameter
from .layers import dropout as apply_dropout
from .lstm_cell import add_forget_bias
from .module import Module, Parameter
from .recurrent import check_input, initial_state, sequence_to_time_major


class LSTM(Module):
    """A multi-layer LSTM, like ``torch.nn.LSTM``.

    forward(x, (h0, c0)=None) -> (output, (h_n, c_n)) with
    x (T, B, in), or (B, T, in) when batch_first, or unbatched (T, in);
    h0, c0, h_n, c_n (num_layers, B, H) ((num_layers, H) when unbatched; zeros when not given);
    output (T, B, H) (or (B, T, H)): the last layer's h_t at every step.

    ``dropout`` is applied to the outputs of every layer but the last, in training only.
    ``forget_bias`` shifts the initial forget-gate bias of every layer; it is split half
    into ``bias_ih_l{k}`` and half into ``bias_hh_l{k}``, whose sum is what the gate sees
    (1.0 follows Jozefowicz et al., 2015; 0.0, the default, is PyTorch's init exactly).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, forget_bias: float = 0.0,
                 dtype: Any = "float32", device: str | None = None) -> None:
        super().__init__()
        self.input_size = check_size("LSTM", "input_size", input_size)
        self.hidden_size = check_size("LSTM", "hidden_size", hidden_size)
        self.num_layers = check_size("LSTM", "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"LSTM: dropout must be a probability in [0, 1], but got {dropout!r}.")
        if forget_bias and not bias:
            raise ValueError("LSTM: forget_bias needs biases; pass bias=True or forget_bias=0.0.")
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.forget_bias = float(forget_bias)
        device, bound, H = resolve(device), recurrent_bound(hidden_size), hidden_size
        for k in range(num_layers):
            in_k = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", uniform_parameter((4 * H, in_k), bound, dtype, device))
            setattr(self, f"weight_hh_l{k}", uniform_parameter((4 * H, H), bound, dtype, device))
            if bias:
                b_ih = uniform_parameter((4 * H,), bound, dtype, device)
                b_hh = uniform_parameter((4 * H,), bound, dtype, device)
                add_forget_bias(b_ih.data, b_hh.data, H, forget_bias)
                setattr(self, f"bias_ih_l{k}", b_ih)
                setattr(self, f"bias_hh_l{k}", b_hh)

    def layer_parameters(self, k: int) -> list[Parameter]:
        """[weight_ih, weight_hh(, bias_ih, bias_hh)] of layer ``k``."""
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, f"{name}_l{k}") for name in names]

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x (T, B, in) -> (output (T, B, H), (h_n, c_n) each (num_layers, B, H)); see the class."""
        w = self.weight_hh_l0
        check_input("LSTM", x, self.input_size, w.dtype, w.device)
        seq, unbatched = sequence_to_time_major("LSTM", x, self.batch_first)
        T, B, H, L = seq.shape[0], seq.shape[1], self.hidden_size, self.num_layers
        if T == 0:
            raise ValueError(f"LSTM: the input sequence is empty (shape {x.shape}); give at least one step.")
        h0 = c0 = None
        if state is not None:
            if not isinstance(state, tuple | list) or len(state) != 2 or state[0] is None or state[1] is None:
                raise TypeError("LSTM: the state must be a pair (h0, c0) of tensors, or None for zeros.")
            h0 = initial_state("LSTM", state[0], "h0", x, L, B, H, unbatched)
            c0 = initial_state("LSTM", state[1], "c0", x, L, B, H, unbatched)
        layer_input, h_last, c_last = seq, [], []
        for k in range(L):
            if k > 0:
                layer_input = apply_dropout(layer_input, self.dropout, self.training)
            h_k = h0[k] if h0 is not None else zeros(B, H, dtype=x.dtype, device=x.device)
            c_k = c0[k] if c0 is not None else zeros(B, H, dtype=x.dtype, device=x.device)
            layer_input, h_n, c_n = LSTMLayer.apply(layer_input, h_k, c_k, *self.layer_parameters(k))
            h_last.append(h_n)
            c_last.append(c_n)
        output = layer_input
        h_n, c_n = stack(h_last, axis=0), stack(c_last, axis=0)
        if unbatched:
            return output.reshape(T, H), (h_n.reshape(L, H), c_n.reshape(L, H))
        if self.batch_first:
            output = output.transpose(1, 0, 2)
        return output, (h_n, c_n)

    def extra_repr(self) -> str:
        extra = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        if self.batch_first:
            extra += ", batch_first=True"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        return extra
