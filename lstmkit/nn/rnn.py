"""The plain (Elman) recurrent network, ``RNNCell`` and ``RNN``, as in PyTorch.

h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)   (or relu)

Readable on purpose: ``RNN`` unrolls ``RNNCell``-style steps in Python, every op on
the autograd tape. Parameter names and shapes are PyTorch's, so state dicts move
between the two in both directions.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, stack, zeros
from .init import check_size, recurrent_bound, resolve, uniform_parameter
from .layers import dropout as apply_dropout
from .module import Module, Parameter
from .recurrent import as_tensor_like, check_input, initial_state, sequence_to_time_major

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
                 dtype: Any = "float32", device: str | None = None) -> None:
        super().__init__()
        self.input_size = check_size("RNNCell", "input_size", input_size)
        self.hidden_size = check_size("RNNCell", "hidden_size", hidden_size)
        self.nonlinearity = _check_nonlinearity("RNNCell", nonlinearity)
        device, bound, H = resolve(device), recurrent_bound(hidden_size), hidden_size
        self.weight_ih = uniform_parameter((H, input_size), bound, dtype, device)
        self.weight_hh = uniform_parameter((H, H), bound, dtype, device)
        self.bias_ih = uniform_parameter((H,), bound, dtype, device) if bias else None
        self.bias_hh = uniform_parameter((H,), bound, dtype, device) if bias else None

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        """x (B, in) or (in,), h like x with H features (zeros when None) -> new h."""
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


class RNN(Module):
    """A stack of plain RNN layers over a sequence, like ``torch.nn.RNN``.

    forward(x, h0=None) -> (output, h_n): x (T, B, in) ((B, T, in) with batch_first,
    or unbatched (T, in)); h0, h_n (num_layers, B, H); output (T, B, H) from the last layer.
    Parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 dtype: Any = "float32", device: str | None = None) -> None:
        super().__init__()
        self.input_size = check_size("RNN", "input_size", input_size)
        self.hidden_size = check_size("RNN", "hidden_size", hidden_size)
        self.num_layers = check_size("RNN", "num_layers", num_layers)
        self.nonlinearity = _check_nonlinearity("RNN", nonlinearity)
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"RNN: dropout must be a probability in [0, 1], but got {dropout!r}.")
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        device, bound, H = resolve(device), recurrent_bound(hidden_size), hidden_size
        for k in range(num_layers):
            in_k = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", uniform_parameter((H, in_k), bound, dtype, device))
            setattr(self, f"weight_hh_l{k}", uniform_parameter((H, H), bound, dtype, device))
            if bias:
                setattr(self, f"bias_ih_l{k}", uniform_parameter((H,), bound, dtype, device))
                setattr(self, f"bias_hh_l{k}", uniform_parameter((H,), bound, dtype, device))

    def layer_parameters(self, k: int) -> tuple[Parameter, Parameter, Parameter | None, Parameter | None]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer ``k`` (biases None without bias)."""
        return (getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}"),
                getattr(self, f"bias_ih_l{k}", None), getattr(self, f"bias_hh_l{k}", None))

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x (T, B, in) -> output (T, B, H), h_n (num_layers, B, H); see the class docstring."""
        w = self.weight_ih_l0
        check_input("RNN", x, self.input_size, w.dtype, w.device)
        seq, unbatched = sequence_to_time_major("RNN", x, self.batch_first)
        T, B, H = seq.shape[0], seq.shape[1], self.hidden_size
        h0 = initial_state("RNN", h0, "h0", x, self.num_layers, B, H, unbatched)
        layer_input, finals = seq, []
        for k in range(self.num_layers):
            if k > 0:
                layer_input = apply_dropout(layer_input, self.dropout, self.training)
            h = h0[k] if h0 is not None else zeros(B, H, dtype=x.dtype, device=x.device)
            w_ih, w_hh, b_ih, b_hh = self.layer_parameters(k)
            steps = []
            for t in range(T):
                h = rnn_step(layer_input[t], h, w_ih, w_hh, b_ih, b_hh, self.nonlinearity)
                steps.append(h)
            layer_input = stack(steps, axis=0)
            finals.append(h)
        output, h_n = layer_input, stack(finals, axis=0)
        if unbatched:
            return output.reshape(T, H), h_n.reshape(self.num_layers, H)
        return (output.transpose(1, 0, 2) if self.batch_first else output), h_n

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
