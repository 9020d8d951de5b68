"""``GRUCell`` and ``GRU``, interchangeable with PyTorch's.

PyTorch's equations, gate order (r, z, n) and parameter names (``weight_ih (3H, in)``,
``weight_hh (3H, H)``, ``bias_ih``, ``bias_hh (3H,)``; ``_l{k}`` and ``_reverse`` in GRU):

    r = σ(W_ir x + b_ir + W_hr h + b_hr)        z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 - z) ⊙ n + z ⊙ h

``GRUCell`` is the readable form (every op on the tape); ``GRU`` runs each layer as one
fused Function (:mod:`lstmkit.nn.fused_gru`). Tests check the two agree, and both
against torch.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, zeros
from .arguments import check_size, recurrent_bound, resolve, resolve_dtype
from .init import uniform_parameter
from .module import Module
from .recurrent import as_tensor_like, check_input
from .rnn_base import RNNBase


def gru_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None) -> Tensor:
    """One GRU step from Tensor ops: x (B, in), h (B, H) -> new h (B, H)."""
    H = h.shape[-1]
    gi = x @ w_ih.T
    gh = h @ w_hh.T
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    r = (gi[:, :H] + gh[:, :H]).sigmoid()
    z = (gi[:, H : 2 * H] + gh[:, H : 2 * H]).sigmoid()
    n = (gi[:, 2 * H :] + r * gh[:, 2 * H :]).tanh()
    return (1.0 - z) * n + z * h


class GRUCell(Module):
    """One GRU step, like ``torch.nn.GRUCell``: x (B, in) [, h (B, H)] -> h (B, H); unbatched (in,) too."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size = check_size("GRUCell", "input_size", input_size)
        self.hidden_size = check_size("GRUCell", "hidden_size", hidden_size)
        device, dtype, bound, H = resolve(device), resolve_dtype(dtype), recurrent_bound(hidden_size), hidden_size
        self.weight_ih = uniform_parameter((3 * H, input_size), bound, dtype, device)
        self.weight_hh = uniform_parameter((3 * H, H), bound, dtype, device)
        self.bias_ih = uniform_parameter((3 * H,), bound, dtype, device) if bias else None
        self.bias_hh = uniform_parameter((3 * H,), bound, dtype, device) if bias else None

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """input (B, in) or (in,), hx (B, H) or (H,) (zeros when None) -> new h, shaped like hx."""
        check_input("GRUCell", input, self.input_size, self.weight_ih.dtype, self.weight_ih.device)
        if input.ndim not in (1, 2):
            raise ValueError(f"GRUCell: expected input of shape (batch, input_size) or (input_size,), got {input.shape}.")
        unbatched = input.ndim == 1
        x = input.reshape(1, -1) if unbatched else input
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            h = zeros(*shape, dtype=x.dtype, device=x.device)
        else:
            h = as_tensor_like(hx, x, "hx", "GRUCell")
            h = h.reshape(1, -1) if unbatched else h
            if h.shape != shape:
                raise ValueError(f"GRUCell: expected hx of shape {shape} (batch, hidden_size), but got {h.shape}.")
        out = gru_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out.reshape(-1) if unbatched else out

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")


class GRU(RNNBase):
    """A multi-layer GRU, like ``torch.nn.GRU``.

    forward(input, hx=None) -> (output, h_n): input (T, B, in) ((B, T, in) with
    batch_first, unbatched (T, in), or a PackedSequence); hx, h_n (L·D, B, H);
    output (T, B, D·H), D = 2 if bidirectional else 1.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
