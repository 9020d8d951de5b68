"""The plain (Elman) recurrent network, ``RNNCell`` and ``RNN``, as in PyTorch.

h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)   (or relu)

``RNNCell`` is readable on purpose (every op on the autograd tape); ``RNN`` runs each
layer as one fused Function with a hand-written backward. Parameter names and shapes are PyTorch's, so state dicts move
between the two in both directions.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, zeros
from .arguments import check_size, recurrent_bound, resolve, resolve_dtype
from .init import uniform_parameter
from .module import Module
from .recurrent import as_tensor_like, check_input
from .rnn_base import RNNBase

NONLINEARITIES = ("tanh", "relu")


def rnn_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None, nonlinearity: str) -> Tensor:
    """One step: x (B, in), h (B, H) -> new h (B, H)."""
    z = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    return z.tanh() if nonlinearity == "tanh" else z.relu()


def _check_nonlinearity(layer: str, nonlinearity: str) -> str:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"{layer}: nonlinearity must be 'tanh' or 'relu', but got {nonlinearity!r}.")
    return nonlinearity


class RNNCell(Module):
    """One step of a plain RNN: x (B, in) [, h (B, H)] -> h (B, H); unbatched (in,) too.

    Parameters: ``weight_ih (H, in)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = check_size("RNNCell", "input_size", input_size)
        self.hidden_size = check_size("RNNCell", "hidden_size", hidden_size)
        self.nonlinearity = _check_nonlinearity("RNNCell", nonlinearity)
        device, dtype, bound, H = resolve(device), resolve_dtype(dtype), recurrent_bound(hidden_size), hidden_size
        self.weight_ih = uniform_parameter((H, input_size), bound, dtype, device)
        self.weight_hh = uniform_parameter((H, H), bound, dtype, device)
        self.bias_ih = uniform_parameter((H,), bound, dtype, device) if bias else None
        self.bias_hh = uniform_parameter((H,), bound, dtype, device) if bias else None

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """input (B, in) or (in,), hx (B, H) or (H,) (zeros when None) -> new h, shaped like hx."""
        x, h = input, hx
        check_input("RNNCell", x, self.input_size, self.weight_ih.dtype, self.weight_ih.device)
        unbatched = x.ndim == 1
        if unbatched:
            x = x.reshape(1, -1)
        if h is None:
            h = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        else:
            h = as_tensor_like(h, x, "h", "RNNCell")
            h = h.reshape(1, -1) if unbatched else h
            if h.shape != (x.shape[0], self.hidden_size):
                raise ValueError(f"RNNCell: expected h of shape {(x.shape[0], self.hidden_size)}, but got {h.shape}.")
        out = rnn_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return out.reshape(-1) if unbatched else out

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class RNN(RNNBase):
    """A stack of plain RNN layers over a sequence, like ``torch.nn.RNN``.

    forward(input, hx=None) -> (output, h_n): input (T, B, in) ((B, T, in) with
    batch_first, unbatched (T, in), or a PackedSequence); hx, h_n (L·D, B, H);
    output (T, B, D·H) from the last layer, D = 2 if bidirectional else 1. Each layer
    runs as one fused Function (:mod:`lstmkit.nn.fused_rnn`); ``RNNCell`` is the readable step.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: str | None = None, dtype: Any = None) -> None:
        mode = "RNN_TANH" if _check_nonlinearity("RNN", nonlinearity) == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")
