"""The plain-RNN fast path: one Elman layer over a sequence as a single autograd Function.

h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act = tanh or relu (PyTorch's RNN).

One GEMM for every input projection, one GEMM and one fused pass per step; backward
through time turns each step's saved h_t into the gradient of its pre-activation
(tanh: 1 - h²; relu: h > 0) in one pass and carries it back with one GEMM. The
per-step arithmetic has a reference form (ufuncs, any backend) and a CuPy
ElementwiseKernel twin (``tests/test_gpu_nn.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd.function import Function
from .fused_lstm import constants, steps_batch_sizes

NONLINEARITIES = ("tanh", "relu")


def forward_step_reference(pre: Any, rec: Any, h: Any, nonlinearity: str) -> None:
    """h (B, H) = act(pre + rec) for pre, rec (B, H) (reference form, any backend)."""
    xp = backend.xp_of(pre)
    xp.add(pre, rec, out=h)
    if nonlinearity == "tanh":
        xp.tanh(h, out=h)
    else:
        xp.maximum(h, 0, out=h)


def backward_step_reference(h: Any, dy: Any, dh_rec: Any, dz: Any, nonlinearity: str) -> None:
    """dz (B, H) = (dy + dh_rec) act'(·), read from this step's output h (reference form)."""
    xp = backend.xp_of(h)
    _, one, _ = constants(xp, h.dtype)
    xp.add(dy, dh_rec, out=dz)
    if nonlinearity == "tanh":
        xp.multiply(dz, one - h * h, out=dz)
    else:
        xp.multiply(dz, h > 0, out=dz)


_FORWARD_BODY = {"tanh": "h = tanh(pre + rec);", "relu": "const T a = pre + rec; h = a > (T)0 ? a : (T)0;"}
_BACKWARD_BODY = {
    "tanh": "dz = (dy + dh_rec) * ((T)1 - h * h);",
    "relu": "dz = h > (T)0 ? dy + dh_rec : (T)0;",
}
_kernel_cache: dict[tuple[int, str], tuple[Callable[..., None], Callable[..., None]]] = {}


def kernel_steps(xp: Any, nonlinearity: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """(forward_step, backward_step) as ElementwiseKernels of ``xp`` (CuPy), same signatures
    as the reference functions."""
    key = (id(xp), nonlinearity)
    if key not in _kernel_cache:
        forward_kernel = xp.ElementwiseKernel(
            "T pre, T rec", "T h", _FORWARD_BODY[nonlinearity], f"lstmkit_rnn_{nonlinearity}_forward_step")
        backward_kernel = xp.ElementwiseKernel(
            "T h, T dy, T dh_rec", "T dz", _BACKWARD_BODY[nonlinearity], f"lstmkit_rnn_{nonlinearity}_backward_step")

        def forward_step(pre: Any, rec: Any, h: Any, nonlinearity: str) -> None:
            forward_kernel(pre, rec, h)

        def backward_step(h: Any, dy: Any, dh_rec: Any, dz: Any, nonlinearity: str) -> None:
            backward_kernel(h, dy, dh_rec, dz)

        _kernel_cache[key] = (forward_step, backward_step)
    return _kernel_cache[key]


def step_functions(xp: Any, nonlinearity: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """The step arithmetic for arrays of ``xp``: kernels when it has them, else the reference."""
    if hasattr(xp, "ElementwiseKernel"):
        return kernel_steps(xp, nonlinearity)
    return forward_step_reference, backward_step_reference


class RNNLayer(Function):
    """One plain-RNN layer: (x, h0, weight_ih, weight_hh[, bias_ih, bias_hh]) -> (output, h_n).

    x (T, B, in); h0 (B, H); weight_ih (H, in); weight_hh (H, H); biases (H,);
    output (T, B, H), h_n (B, H). ``nonlinearity`` is 'tanh' or 'relu';
    ``batch_sizes`` runs a packed batch as in :class:`lstmkit.nn.fused_lstm.LSTMLayer`.
    """

    def forward(self, x, h0, weight_ih, weight_hh, *biases, nonlinearity="tanh", batch_sizes=None):
        xp = backend.xp_of(x)
        T, B, n_in = x.shape
        H = weight_hh.shape[1]
        dtype = weight_hh.dtype
        self.saved = (x, h0, weight_ih, weight_hh, *biases)
        self.params = {"nonlinearity": nonlinearity, "batch_sizes": batch_sizes}
        self.nonlinearity, self.packed = nonlinearity, batch_sizes is not None
        self.batch_sizes = steps_batch_sizes(batch_sizes, T, B)
        self.x = x = xp.ascontiguousarray(x)
        self.w_ih, self.w_hh, self.has_bias = weight_ih, weight_hh, bool(biases)
        pre = xp.empty((T, B, H), dtype=dtype)
        xp.matmul(x.reshape(T * B, n_in), weight_ih.T, out=pre.reshape(T * B, H))
        if biases:
            pre += biases[0] + biases[1]
        w_hh_t = xp.ascontiguousarray(weight_hh.T)
        hs = xp.empty((T + 1, B, H), dtype=dtype)
        rec = xp.empty((B, H), dtype=dtype)
        out = xp.zeros((T, B, H), dtype=dtype) if self.packed else None
        hs[0] = h0
        forward_step, _ = step_functions(xp, nonlinearity)
        for t, n in enumerate(self.batch_sizes):
            if n < B:
                hs[t + 1, n:] = hs[t, n:]
            xp.matmul(hs[t, :n], w_hh_t, out=rec[:n])
            forward_step(pre[t, :n], rec[:n], hs[t + 1, :n], nonlinearity)
            if self.packed:
                out[t, :n] = hs[t + 1, :n]
        self.pre, self.hs = pre, hs
        self.pre_holds_inputs = True
        return (out if self.packed else hs[1:]), hs[T].copy()

    def backward(self, dy, dh_n):
        if not self.pre_holds_inputs:  # a second backward (retain_graph=True): redo forward
            self.forward(*self.saved, **self.params)
        xp = backend.xp_of(dy)
        pre, hs, x = self.pre, self.hs, self.x
        T, B, H = pre.shape
        dy = xp.ascontiguousarray(dy)
        dh_rec = xp.array(dh_n, copy=True)
        _, backward_step = step_functions(xp, self.nonlinearity)
        self.pre_holds_inputs = False
        for t in range(T - 1, -1, -1):
            n = self.batch_sizes[t]
            if n < B:
                pre[t, n:] = 0
            backward_step(hs[t + 1, :n], dy[t, :n], dh_rec[:n], pre[t, :n], self.nonlinearity)
            xp.matmul(pre[t, :n], self.w_hh, out=dh_rec[:n])
        dz = pre.reshape(T * B, H)
        needs = self.needs_input_grad
        grads = [
            (dz @ self.w_ih).reshape(x.shape) if needs[0] else None,
            dh_rec if needs[1] else None,
            dz.T @ x.reshape(T * B, -1) if needs[2] else None,
            dz.T @ hs[:T].reshape(T * B, H) if needs[3] else None,
        ]
        if self.has_bias:
            db = dz.sum(axis=0) if needs[4] or needs[5] else None
            grads += [db if needs[4] else None, xp.array(db, copy=True) if needs[5] else None]
        return tuple(grads)
