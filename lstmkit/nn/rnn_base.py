"""``RNNBase``: what ``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` share, as in ``torch.nn.RNNBase``.

Constructor arguments in PyTorch's order; parameters registered in PyTorch's order and
names, per layer k and direction (suffix ``_reverse`` for the backward direction):
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` and, for an LSTM
with ``proj_size > 0``, ``weight_hr_l{k}``. Every one starts U(-1/sqrt(H), 1/sqrt(H)).

Each layer and direction runs as one fused autograd Function with a hand-written
backward (:mod:`.fused_lstm`, :mod:`.fused_gru`, :mod:`.fused_rnn`). The reverse
direction reads each sequence from its own last step back to its first: the layer
input is reversed per sequence (inside each sequence's length for packed input), run
forward, and the output reversed back.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import backend
from ..autograd.tensor import Tensor, concat, stack, zeros
from .arguments import check_size, recurrent_bound, resolve, resolve_dtype
from .fused_gru import GRULayer
from .fused_lstm import LSTMLayer
from .fused_rnn import RNNLayer
from .gather import swap_first_axes, take_rows
from .init import uniform_parameter
from .layers import dropout as apply_dropout
from .module import Module, Parameter
from .recurrent import as_tensor_like, check_input
from .utils.rnn import PackedSequence, packed_positions

host = backend.array_module("cpu")  # lengths and batch sizes are host metadata

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Shared constructor, parameters and forward of LSTM, GRU and RNN (see the module docstring)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        layer = self._layer_name(mode)
        self.mode = mode
        self.input_size = check_size(layer, "input_size", input_size)
        self.hidden_size = check_size(layer, "hidden_size", hidden_size)
        self.num_layers = check_size(layer, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{layer}: dropout must be a probability in [0, 1], but got {dropout!r}.")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{layer}: proj_size must be a non-negative integer, but got {proj_size!r}.")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{layer}: proj_size is an LSTM option; {layer} has no projection.")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{layer}: proj_size ({proj_size}) must be smaller than hidden_size ({hidden_size})."
            )
        for name, flag in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(flag, bool | int):
                raise TypeError(f"{layer}: {name} must be True or False, but got {flag!r}.")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{layer}: dropout={dropout} acts only between layers, so with num_layers=1 it does nothing.",
                UserWarning,
                stacklevel=3,
            )
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), proj_size
        device, dtype = resolve(device), resolve_dtype(dtype)
        bound, H, G = recurrent_bound(hidden_size), hidden_size, GATES[mode]
        out = proj_size or H
        for k in range(num_layers):
            in_k = input_size if k == 0 else out * self.num_directions
            for suffix in self._suffixes():
                setattr(self, f"weight_ih_l{k}{suffix}", uniform_parameter((G * H, in_k), bound, dtype, device))
                setattr(self, f"weight_hh_l{k}{suffix}", uniform_parameter((G * H, out), bound, dtype, device))
                if bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", uniform_parameter((G * H,), bound, dtype, device))
                    setattr(self, f"bias_hh_l{k}{suffix}", uniform_parameter((G * H,), bound, dtype, device))
                if proj_size:
                    setattr(self, f"weight_hr_l{k}{suffix}", uniform_parameter((proj_size, H), bound, dtype, device))

    # ------------------------------------------------------------------ structure

    @staticmethod
    def _layer_name(mode: str) -> str:
        return "RNN" if mode.startswith("RNN") else mode

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def layer_parameters(self, k: int, direction: int = 0) -> list[Parameter]:
        """[weight_ih, weight_hh(, bias_ih, bias_hh)(, weight_hr)] of layer ``k``, ``direction`` 0 or 1."""
        suffix = self._suffixes()[direction]
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        names += ["weight_hr"] if self.proj_size else []
        return [getattr(self, f"{name}_l{k}{suffix}") for name in names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of every layer and direction, in PyTorch's order."""
        return [self.layer_parameters(k, d) for k in range(self.num_layers) for d in range(self.num_directions)]

    def flatten_parameters(self) -> None:
        """Does nothing: lstmkit keeps no cuDNN weight buffer to compact (PyTorch code may call it)."""

    # ------------------------------------------------------------------ forward

    def forward(self, input: Tensor | PackedSequence, hx: Any = None) -> tuple[Any, Any]:
        """input (T, B, in) ((B, T, in) with batch_first, unbatched (T, in), or a PackedSequence);
        hx: initial state(s) (num_layers * num_directions, B, H_out) or None for zeros
        -> (output (T, B, num_directions * H_out) (or packed), final state(s) like hx)."""
        layer = self._layer_name(self.mode)
        packed = isinstance(input, PackedSequence)
        w = self.weight_hh_l0
        if packed:
            data = input.data
            check_input(layer, data, self.input_size, w.dtype, w.device)
            batch_sizes = host.asarray(input.batch_sizes, dtype=host.int64)
            T, B = len(batch_sizes), int(batch_sizes[0])
            steps, columns = packed_positions(batch_sizes)
            index = host.full(T * B, -1, dtype=host.int64)
            index[steps * B + columns] = host.arange(len(steps))
            seq = take_rows(data, index).reshape(T, B, self.input_size)
            lengths, unbatched, like = input.lengths(), False, data
        else:
            check_input(layer, input, self.input_size, w.dtype, w.device)
            seq, unbatched = self._time_major(layer, input)
            T, B = seq.shape[0], seq.shape[1]
            if T == 0:
                raise ValueError(f"{layer}: the input sequence is empty (shape {input.shape}); give at least one step.")
            batch_sizes, lengths, like = None, host.full(B, T, dtype=host.int64), input
        h0, c0 = self._initial_states(layer, hx, like, B, unbatched)
        if packed and input.sorted_indices is not None:  # states come in the caller's batch order
            if h0 is not None:
                h0 = swap_first_axes(take_rows(swap_first_axes(h0), input.sorted_indices))
            if c0 is not None:
                c0 = swap_first_axes(take_rows(swap_first_axes(c0), input.sorted_indices))
        output, h_n, c_n = self._run_layers(seq, h0, c0, batch_sizes, lengths)
        if packed and input.unsorted_indices is not None:
            h_n = swap_first_axes(take_rows(swap_first_axes(h_n), input.unsorted_indices))
            if c_n is not None:
                c_n = swap_first_axes(take_rows(swap_first_axes(c_n), input.unsorted_indices))
        state = (h_n, c_n) if self.mode == "LSTM" else h_n
        if packed:
            flat = output.reshape(T * B, output.shape[-1])
            return input._replace(data=take_rows(flat, steps * B + columns)), state
        if unbatched:
            output = output.reshape(T, output.shape[-1])
            state = (h_n.reshape(h_n.shape[0], -1), c_n.reshape(c_n.shape[0], -1)) if c_n is not None else \
                h_n.reshape(h_n.shape[0], -1)
        elif self.batch_first:
            output = swap_first_axes(output)
        return output, state

    def _time_major(self, layer: str, x: Tensor) -> tuple[Tensor, bool]:
        if x.ndim == 2:
            return x.reshape(x.shape[0], 1, x.shape[1]), True
        if x.ndim != 3:
            layout = "(batch, seq, input_size)" if self.batch_first else "(seq, batch, input_size)"
            raise ValueError(
                f"{layer}: expected a 3-D input {layout}, an unbatched 2-D input (seq, input_size) "
                f"or a PackedSequence, but got shape {x.shape}."
            )
        return (swap_first_axes(x) if self.batch_first else x), False

    def _initial_states(self, layer: str, hx: Any, like: Tensor, batch: int,
                        unbatched: bool) -> tuple[Tensor, Tensor | None]:
        """(h0 (L*D, B, H_out) or None, c0 (L*D, B, H) or None); None where not given (zeros)."""
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        out = self.proj_size or H
        wanted = [("h0", out)] + ([("c0", H)] if self.mode == "LSTM" else [])
        if hx is None:
            states = [None] * len(wanted)
        elif self.mode == "LSTM":
            if not isinstance(hx, tuple | list) or len(hx) != 2 or hx[0] is None or hx[1] is None:
                raise TypeError(f"{layer}: hx must be a pair (h0, c0) of tensors, or None for zeros.")
            states = list(hx)
        else:
            if isinstance(hx, tuple | list):
                raise TypeError(f"{layer}: hx must be one tensor h0 (not a tuple), or None for zeros.")
            states = [hx]
        result = []
        for (name, size), state in zip(wanted, states, strict=True):
            if state is None:  # zeros, made per layer in _run_layers
                result.append(None)
                continue
            state = as_tensor_like(state, like, name, layer)
            expected = (LD, size) if unbatched else (LD, batch, size)
            if state.shape != expected:
                dims = "num_layers * num_directions, " + ("" if unbatched else "batch, ") + \
                    ("proj_size" if size != H else "hidden_size")
                raise ValueError(f"{layer}: expected {name} of shape {expected} ({dims}), but got {state.shape}.")
            result.append(state.reshape(LD, 1, size) if unbatched else state)
        return result[0], (result[1] if len(result) > 1 else None)

    def _run_layers(self, seq: Tensor, h0: Tensor | None, c0: Tensor | None, batch_sizes: Any,
                    lengths: Any) -> tuple[Tensor, Tensor, Tensor | None]:
        T, B, H = seq.shape[0], seq.shape[1], self.hidden_size
        reverse = None
        if self.bidirectional:  # time t of sequence b comes from lengths[b] - 1 - t (padding stays put)
            steps = host.arange(T)[:, None]
            source = host.where(steps < lengths[None, :], lengths[None, :] - 1 - steps, steps)
            reverse = (source * B + host.arange(B)[None, :]).reshape(-1)
        layer_input, h_last, c_last = seq, [], []
        params = {} if batch_sizes is None else {"batch_sizes": batch_sizes}
        for k in range(self.num_layers):
            if k > 0:
                layer_input = apply_dropout(layer_input, self.dropout, self.training)
            outputs = []
            for d in range(self.num_directions):
                j = k * self.num_directions + d
                x = layer_input if d == 0 else self._reversed(layer_input, reverse)
                weights = self.layer_parameters(k, d)
                h_j = h0[j] if h0 is not None else zeros(B, self.proj_size or H, dtype=seq.dtype, device=seq.device)
                if self.mode == "LSTM":
                    c_j = c0[j] if c0 is not None else zeros(B, H, dtype=seq.dtype, device=seq.device)
                    out, h_n, c_n = LSTMLayer.apply(x, h_j, c_j, *weights, proj=bool(self.proj_size), **params)
                    c_last.append(c_n)
                elif self.mode == "GRU":
                    out, h_n = GRULayer.apply(x, h_j, *weights, **params)
                else:
                    nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
                    out, h_n = RNNLayer.apply(x, h_j, *weights, nonlinearity=nonlinearity, **params)
                outputs.append(out if d == 0 else self._reversed(out, reverse))
                h_last.append(h_n)
            layer_input = outputs[0] if len(outputs) == 1 else concat(outputs, axis=2)
        c_n = stack(c_last, axis=0) if c_last else None
        return layer_input, stack(h_last, axis=0), c_n

    @staticmethod
    def _reversed(x: Tensor, reverse: Any) -> Tensor:
        T, B, F = x.shape
        return take_rows(x.reshape(T * B, F), reverse).reshape(T, B, F)

    def extra_repr(self) -> str:
        extra = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            extra += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        if not self.bias:
            extra += ", bias=False"
        if self.batch_first:
            extra += ", batch_first=True"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        if self.bidirectional:
            extra += ", bidirectional=True"
        return extra
