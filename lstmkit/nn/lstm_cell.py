"""``LSTMCell``: one LSTM step, composed from the gates of :mod:`lstmkit.gates`.

This is the readable path: every gate is built from Tensor ops, every op is on the
autograd tape, and ``step()`` returns every intermediate for plots and lessons.
(``nn.LSTM`` is the fast path; tests check the two agree.)

Parameters, in PyTorch's names and layout: ``weight_ih (4H, in)``, ``weight_hh (4H, H)``,
``bias_ih (4H,)``, ``bias_hh (4H,)``, rows in gate order i, f, g, o. In the course's words
(see :mod:`lstmkit.gates`) the rows are the ignore factor (i), the forget factor (f),
the learn matrix N (g) and the use factor V (o). The ``article`` variant adds
``weight_u (H, H)`` and ``bias_u (H,)`` for its use gate.
"""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

from .. import backend, gates
from ..autograd.function import Function, is_grad_enabled
from ..autograd.ops import cut
from ..autograd.tensor import Tensor, zeros
from .arguments import check_size, recurrent_bound, resolve, resolve_dtype
from .init import uniform_parameter
from .module import Module
from .recurrent import as_tensor_like, check_input

#: gate name in the course -> block of rows in weight_ih / weight_hh (PyTorch's i, f, g, o)
GATE_ROWS = {"i": 0, "f": 1, "n": 2, "v": 3}


def add_forget_bias(bias_ih: Any, bias_hh: Any, hidden_size: int, forget_bias: float) -> None:
    """Shift the forget-gate bias by ``forget_bias`` in place, half in each bias vector.

    Only the sum b_ih + b_hh reaches the gate, so adding forget_bias/2 to the forget
    rows (H..2H) of both vectors starts the effective forget bias at forget_bias plus
    the usual small U(-1/sqrt(H), 1/sqrt(H)) draws (Jozefowicz et al., 2015, suggest 1).
    """
    if forget_bias:
        rows = slice(hidden_size, 2 * hidden_size)
        bias_ih[rows] += forget_bias / 2
        bias_hh[rows] += forget_bias / 2


class GateBlocks(Function):
    """PyTorch's stacked parameters cut into the course's per-gate blocks, as one node on the tape.

    weight_hh (4H, H), weight_ih (4H, in) [, bias_ih, bias_hh (4H,)] -> the rows of
    ``[weight_hh | weight_ih]`` for each gate, four (H, H + in) blocks in PyTorch's order
    i, f, g, o, then (with biases) the same rows of ``bias_ih + bias_hh``, four (H,) blocks.
    The values are those of ``concat``, ``split`` and ``+``; backward puts each block's
    gradient back in its place.
    """

    saves_inputs = False
    saves_nothing = True  # backward reads only ``hidden``: graphs that share the blocks can each walk it

    def forward(self, weight_hh, weight_ih, *biases):
        xp = backend.xp_of(weight_hh)
        hidden = self.hidden = weight_hh.shape[1]
        blocks = cut(xp.concatenate([weight_hh, weight_ih], axis=1), [hidden] * 4, 0)
        if biases:
            blocks += cut(biases[0] + biases[1], [hidden] * 4, 0)
        return blocks

    def backward(self, *grads):
        xp = backend.xp_of(grads[0])
        joined = xp.concatenate(grads[:4], axis=0)  # (4H, H + in), rows back in gate order
        weight_grads = (joined[:, : self.hidden], joined[:, self.hidden :])
        if len(grads) == 4:
            return weight_grads
        bias = xp.concatenate(grads[4:])
        return (*weight_grads, bias, bias)  # b = b_ih + b_hh: both receive the whole gradient


class _BlocksMemo(NamedTuple):
    """The gate blocks of one set of parameter values, and what they were made from."""

    grad_enabled: bool  # is_grad_enabled() then: it decides, with requires_grad, whether blocks go on the tape
    made_from: tuple  # per parameter, in GateBlocks' order: (the Tensor, its array, its values, requires_grad)
    weights: dict


#: cell -> its _BlocksMemo; weak, so a cell's copies and pickles never carry it
_blocks_memos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _snapshot(array: Any) -> bytes | None:
    """What ``_memo_holds`` compares: a host array's bytes (bit for bit, NaN included, one
    memcmp). None for a GPU array: comparing it would wait for the device at every frame,
    while making its blocks there is a few kernels queued without waiting."""
    return array.tobytes() if backend.device_object(array) is backend.CPU else None


def _new_memo(parameters: tuple, weights: dict) -> _BlocksMemo:
    made_from = tuple([(p, p._data, _snapshot(p._data), p.requires_grad) for p in parameters])
    return _BlocksMemo(is_grad_enabled(), made_from, weights)


def _memo_holds(memo: _BlocksMemo | None, parameters: tuple) -> bool:
    """True when ``memo`` was made from these parameters with these values, in this grad mode."""
    if memo is None or memo.grad_enabled != is_grad_enabled() or len(parameters) != len(memo.made_from):
        return False
    for p, (then, array, values, required) in zip(parameters, memo.made_from):  # noqa: B905  (lengths compared above)
        if p is not then or p._data is not array or p.requires_grad != required or values is None or array.tobytes() != values:
            return False
    return True


class LSTMCell(Module):
    """One LSTM step: x (B, in) [, (h, c) each (B, H)] -> (h, c); unbatched (in,) too.

    ``variant="standard"`` is ``torch.nn.LSTMCell`` (same parameters, same results);
    ``variant="article"`` uses the lesson's use gate U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u).
    ``forget_bias`` shifts the initial forget-gate bias (see :func:`add_forget_bias`).
    Constructor arguments in PyTorch's order; ``variant`` and ``forget_bias`` are
    lstmkit's own and keyword-only.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: str | None = None,
                 dtype: Any = None, *, variant: str = "standard", forget_bias: float = 0.0) -> None:
        super().__init__()
        self.input_size = check_size("LSTMCell", "input_size", input_size)
        self.hidden_size = check_size("LSTMCell", "hidden_size", hidden_size)
        if variant not in gates.VARIANTS:
            raise ValueError(f"LSTMCell: variant must be 'standard' or 'article', but got {variant!r}.")
        if forget_bias and not bias:
            raise ValueError("LSTMCell: forget_bias needs biases; pass bias=True or forget_bias=0.0.")
        self.variant = variant
        device, dtype, bound, H = resolve(device), resolve_dtype(dtype), recurrent_bound(hidden_size), hidden_size
        self.weight_ih = uniform_parameter((4 * H, input_size), bound, dtype, device)
        self.weight_hh = uniform_parameter((4 * H, H), bound, dtype, device)
        self.bias_ih = uniform_parameter((4 * H,), bound, dtype, device) if bias else None
        self.bias_hh = uniform_parameter((4 * H,), bound, dtype, device) if bias else None
        if bias:
            add_forget_bias(self.bias_ih.data, self.bias_hh.data, H, forget_bias)
        if variant == "article":
            self.weight_u = uniform_parameter((H, H), bound, dtype, device)
            self.bias_u = uniform_parameter((H,), bound, dtype, device) if bias else None

    def gate_weights(self) -> dict[str, Tensor]:
        """The parameters in the course's vocabulary, for :func:`lstmkit.gates.lstm_step`.

        Returns W_n, W_i, W_f, W_v (H, H + in) (each joins [STM, E], so its first H
        columns come from weight_hh and the rest from weight_ih), b_n, b_i, b_f, b_v (H,)
        (b_ih + b_hh), and for the article variant W_u (H, H), b_u (H,). Built with
        Tensor ops, so gradients flow back into the parameters; every call makes new ones.
        """
        return self._with_own_weights(self._stacked_blocks(GateBlocks.apply(*self._stacked_parameters())))

    def _frame_gate_weights(self) -> dict[str, Tensor]:
        """``gate_weights()`` for one frame of a sequence, as ``step()`` and ``forward()`` use it.

        A cell unrolled over a sequence needs them once per frame. On the CPU, while the
        parameters keep their values (until the optimiser steps), every frame gets the
        same blocks, so the tape holds one GateBlocks node per set of values, as it holds
        one set of weights (the gradient is the same sum over frames). These blocks never
        leave the cell (``step()`` does not return them), so nothing outside can change
        them. On a GPU they are made again each frame (see ``_snapshot``).
        """
        parameters = self._stacked_parameters()
        memo = _blocks_memos.get(self)
        if not _memo_holds(memo, parameters):
            memo = _blocks_memos[self] = _new_memo(parameters, self._stacked_blocks(GateBlocks.apply(*parameters)))
        if self.variant == "standard":  # nothing to add, and lstm_step only reads the dict
            return memo.weights
        return self._with_own_weights(dict(memo.weights))

    def _stacked_parameters(self) -> tuple[Tensor, ...]:
        """What GateBlocks cuts: weight_hh, weight_ih [, bias_ih, bias_hh]."""
        biases = (self.bias_ih, self.bias_hh) if self.bias_ih is not None else ()
        return (self.weight_hh, self.weight_ih, *biases)

    def _stacked_blocks(self, blocks: tuple[Tensor, ...]) -> dict[str, Tensor]:
        """GateBlocks' outputs by the course's names (zero biases for a cell without biases)."""
        has_bias = self.bias_ih is not None
        weights: dict[str, Tensor] = {}
        for name, block in GATE_ROWS.items():
            weights[f"W_{name}"] = blocks[block]
            weights[f"b_{name}"] = blocks[4 + block] if has_bias else self._zero_bias()
        return weights

    def _with_own_weights(self, weights: dict[str, Tensor]) -> dict[str, Tensor]:
        """``weights`` plus the article variant's W_u and b_u."""
        if self.variant == "article":
            weights["W_u"] = self.weight_u
            weights["b_u"] = self.bias_u if self.bias_u is not None else self._zero_bias()
        return weights

    def _zero_bias(self) -> Tensor:
        return zeros(self.hidden_size, dtype=self.weight_hh.dtype, device=self.weight_hh.device)

    def step(self, event: Tensor, stm_prev: Tensor, ltm_prev: Tensor) -> gates.LSTMStep:
        """One step in the course's words with every intermediate.

        event (B, in), stm_prev, ltm_prev (B, H) -> LSTMStep(stm, ltm, N_t, i_t, learn_output,
        f_t, forget_output, U_t, V_t), each (B, H).
        """
        return gates.lstm_step(event, stm_prev, ltm_prev, self._frame_gate_weights(), variant=self.variant)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """input (B, in) or (in,); hx = (h, c) each (B, H) or (H,), zeros when None -> (h, c)."""
        if type(hx) is tuple and len(hx) == 2 and self._is_plain_frame(input, *hx):
            result = self.step(input, *hx)  # the call of every frame of an unrolled loop, checked in one go
            return result.stm, result.ltm
        x, state = input, hx
        check_input("LSTMCell", x, self.input_size, self.weight_ih.dtype, self.weight_ih.device)
        unbatched = x.ndim == 1
        x = x.reshape(1, -1) if unbatched else x
        if x.ndim != 2:
            raise ValueError(f"LSTMCell: expected input of shape (batch, input_size) or (input_size,), got {x.shape}.")
        shape = (x.shape[0], self.hidden_size)
        if state is None:
            h = c = zeros(*shape, dtype=x.dtype, device=x.device)
        else:
            if not isinstance(state, tuple | list) or len(state) != 2:
                raise TypeError("LSTMCell: the state must be a pair (h, c) of tensors, or None for zeros.")
            h, c = as_tensor_like(state[0], x, "h", "LSTMCell"), as_tensor_like(state[1], x, "c", "LSTMCell")
            if unbatched:
                h, c = h.reshape(1, -1), c.reshape(1, -1)
            if h.shape != shape or c.shape != shape:
                raise ValueError(
                    f"LSTMCell: expected h and c of shape {shape} (batch, hidden_size), but got "
                    f"{h.shape} and {c.shape}."
                )
        result = self.step(x, h, c)
        if unbatched:
            return result.stm.reshape(-1), result.ltm.reshape(-1)
        return result.stm, result.ltm

    def _is_plain_frame(self, x: Any, h: Any, c: Any) -> bool:
        """True when x (B, in), h and c (B, H) are Tensors of the parameters' dtype and array
        type (one array type is one device); anything else takes forward's checks and errors."""
        if not (type(x) is Tensor and type(h) is Tensor and type(c) is Tensor):
            return False
        weight, data, shape = self.weight_ih._data, x._data, x.shape
        kind, dtype = type(weight), weight.dtype
        return (type(data) is kind and type(h._data) is kind and type(c._data) is kind
                and data.dtype == dtype and h._data.dtype == dtype and c._data.dtype == dtype
                and len(shape) == 2 and shape[1] == self.input_size
                and h.shape == c.shape == (shape[0], self.hidden_size))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, variant={self.variant!r}"
