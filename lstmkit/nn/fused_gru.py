"""The GRU fast path: one GRU layer over a whole sequence as a single autograd Function.

PyTorch's equations and gate order (r, z, n), for x (T, B, in) and h (B, H):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Forward: one GEMM for every input projection, then per step one GEMM for the
recurrence and one fused pass of gate arithmetic. Backward through time: per step one
fused pass gives the gradients of both pre-activation rows (input side ``dgi``,
recurrent side ``dgh``: they differ only in the n block, by the factor r) and one GEMM
carries the gradient to h_{t-1}; the weight gradients are one GEMM each at the end.

The gate arithmetic has a reference form (array-module ufuncs, any backend, used on
the CPU) and a CuPy ElementwiseKernel twin of identical semantics (used on a GPU);
``tests/test_gpu_nn.py`` compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd.function import Function
from .compiled import kernels_for
from .fused_lstm import constants, steps_batch_sizes


def gate_slots(row: Any, hidden: int) -> tuple[Any, Any, Any]:
    """Views of the three gate blocks (r, z, n: PyTorch's order) of a (B, 3H) row."""
    H = hidden
    return row[:, :H], row[:, H : 2 * H], row[:, 2 * H :]


def forward_step_reference(gi: Any, gh: Any, h_prev: Any, hn: Any, h: Any) -> None:
    """One GRU step of gate arithmetic, in place (reference form, any backend).

    gi (B, 3H): input pre-activations x W_ihᵀ + b_ih, overwritten with [r, z, n];
    gh (B, 3H): recurrent part h_{t-1} W_hhᵀ + b_hh; h_prev (B, H).
    Writes hn (B, H) = W_hn h_{t-1} + b_hn (saved for backward) and h (B, H) = h_t.
    """
    xp = backend.xp_of(gi)
    half, _, _ = constants(xp, gi.dtype)
    H = h.shape[-1]
    sig = gi[:, : 2 * H]
    xp.add(sig, gh[:, : 2 * H], out=sig)
    xp.multiply(sig, half, out=sig)
    xp.tanh(sig, out=sig)
    xp.multiply(sig, half, out=sig)
    xp.add(sig, half, out=sig)  # σ(a) = tanh(a/2)/2 + 1/2 for r and z
    r, z, n = gate_slots(gi, H)
    hn[...] = gh[:, 2 * H :]
    xp.multiply(r, hn, out=h)
    xp.add(n, h, out=n)
    xp.tanh(n, out=n)  # n_t
    xp.subtract(h_prev, n, out=h)
    xp.multiply(z, h, out=h)
    xp.add(h, n, out=h)  # h_t = n + z (h_{t-1} - n)


def backward_step_reference(acts: Any, hn: Any, h_prev: Any, dh: Any, dgh: Any, dh_direct: Any, work: Any) -> None:
    """One GRU step of backpropagation through the gate arithmetic, in place (reference form).

    acts (B, 3H): [r, z, n] from the forward step, overwritten with dgi, the gradients of
    the input pre-activations; hn, h_prev (B, H) from the forward pass; dh (B, H): the
    whole gradient of h_t. Writes dgh (B, 3H), the gradients of the recurrent
    pre-activations ([dr, dz, dn ⊙ r]), and dh_direct (B, H) = dh ⊙ z, the part of
    dh_{t-1} that does not pass through W_hh. work: (2, B, H) scratch.
    """
    xp = backend.xp_of(acts)
    _, one, _ = constants(xp, acts.dtype)
    H = dh.shape[-1]
    r, z, n = gate_slots(acts, H)
    d_r, d_z, d_n = gate_slots(dgh, H)
    tmp, tmp2 = work[0], work[1]
    xp.multiply(dh, z, out=dh_direct)
    xp.subtract(h_prev, n, out=tmp)
    xp.multiply(tmp, dh, out=tmp)
    xp.subtract(one, z, out=tmp2)
    xp.multiply(tmp2, z, out=tmp2)
    xp.multiply(tmp, tmp2, out=d_z)  # dz_pre = dh (h_{t-1} - n) z (1 - z)
    xp.subtract(one, z, out=tmp)
    xp.multiply(tmp, dh, out=tmp)
    xp.multiply(n, n, out=tmp2)
    xp.subtract(one, tmp2, out=tmp2)
    xp.multiply(tmp, tmp2, out=n)  # dn_pre = dh (1 - z) (1 - n²), written over n
    xp.multiply(n, r, out=d_n)  # the recurrent side sees r (W_hn h + b_hn)
    xp.multiply(n, hn, out=d_r)
    xp.subtract(one, r, out=tmp2)
    xp.multiply(tmp2, r, out=tmp2)
    xp.multiply(d_r, tmp2, out=d_r)  # dr_pre = dn_pre hn r (1 - r)
    r[...] = d_r
    z[...] = d_z


_FORWARD_KERNEL = (
    "raw T gh, T h_prev, int32 H",
    "raw T gi, T hn, T h",
    """
    const ptrdiff_t b = i / H, j = i % H, row = b * 3 * H;
    const T rg = tanh((gi[row + j] + gh[row + j]) * (T)0.5) * (T)0.5 + (T)0.5;
    const T zg = tanh((gi[row + H + j] + gh[row + H + j]) * (T)0.5) * (T)0.5 + (T)0.5;
    const T hnv = gh[row + 2 * H + j];
    const T ng = tanh(gi[row + 2 * H + j] + rg * hnv);
    gi[row + j] = rg;
    gi[row + H + j] = zg;
    gi[row + 2 * H + j] = ng;
    hn = hnv;
    h = ng + zg * (h_prev - ng);
    """,
    "lstmkit_gru_forward_step",
)

_BACKWARD_KERNEL = (
    "T hn, T h_prev, T dh, int32 H",
    "raw T acts, raw T dgh, T dh_direct",
    """
    const ptrdiff_t b = i / H, j = i % H, row = b * 3 * H;
    const T rg = acts[row + j];
    const T zg = acts[row + H + j];
    const T ng = acts[row + 2 * H + j];
    const T dz = (dh * (h_prev - ng)) * (((T)1 - zg) * zg);
    const T dn = (((T)1 - zg) * dh) * ((T)1 - ng * ng);
    const T dr = (dn * hn) * (((T)1 - rg) * rg);
    acts[row + j] = dr;
    acts[row + H + j] = dz;
    acts[row + 2 * H + j] = dn;
    dgh[row + j] = dr;
    dgh[row + H + j] = dz;
    dgh[row + 2 * H + j] = dn * rg;
    dh_direct = dh * zg;
    """,
    "lstmkit_gru_backward_step",
)

_kernel_cache: dict[int, tuple[Callable[..., None], Callable[..., None]]] = {}


def kernel_steps(xp: Any) -> tuple[Callable[..., None], Callable[..., None]]:
    """(forward_step, backward_step) as ElementwiseKernels of ``xp`` (CuPy), same signatures
    as :func:`forward_step_reference` and :func:`backward_step_reference`."""
    key = id(xp)
    if key not in _kernel_cache:
        forward_kernel = xp.ElementwiseKernel(*_FORWARD_KERNEL)
        backward_kernel = xp.ElementwiseKernel(*_BACKWARD_KERNEL)

        def forward_step(gi: Any, gh: Any, h_prev: Any, hn: Any, h: Any) -> None:
            forward_kernel(gh, h_prev, h.shape[-1], gi, hn, h)

        def backward_step(acts: Any, hn: Any, h_prev: Any, dh: Any, dgh: Any, dh_direct: Any, work: Any) -> None:
            backward_kernel(hn, h_prev, dh, dh.shape[-1], acts, dgh, dh_direct)

        _kernel_cache[key] = (forward_step, backward_step)
    return _kernel_cache[key]


def step_functions(xp: Any) -> tuple[Callable[..., None], Callable[..., None]]:
    """The gate arithmetic for arrays of ``xp``: kernels when it has them, else the reference."""
    if hasattr(xp, "ElementwiseKernel"):
        return kernel_steps(xp)
    return forward_step_reference, backward_step_reference


class GRULayer(Function):
    """One GRU layer over a sequence: (x, h0, weight_ih, weight_hh[, bias_ih, bias_hh]) -> (output, h_n).

    x (T, B, in); h0 (B, H); weight_ih (3H, in); weight_hh (3H, H); biases (3H,), rows
    r, z, n. output (T, B, H) holds h_t for every step, h_n (B, H) the last state.
    ``batch_sizes`` runs a packed batch as in :class:`lstmkit.nn.fused_lstm.LSTMLayer`.
    """

    def forward(self, x, h0, weight_ih, weight_hh, *biases, batch_sizes=None):
        xp = backend.xp_of(x)
        T, B, n_in = x.shape
        H = weight_hh.shape[1]
        dtype = weight_hh.dtype
        self.saved, self.params = (x, h0, weight_ih, weight_hh, *biases), {"batch_sizes": batch_sizes}
        self.packed = batch_sizes is not None
        self.batch_sizes = steps_batch_sizes(batch_sizes, T, B)
        self.x = x = xp.ascontiguousarray(x)
        self.w_ih, self.w_hh, self.has_bias = weight_ih, weight_hh, bool(biases)
        compiled = None if self.packed or backend.device_of(x) == "cuda" else kernels_for(dtype)
        self.compiled = compiled if compiled is not None and compiled.whole_loop(B, H, gates=3) else None
        if self.compiled is not None:
            return self._forward_whole_loop(*biases)
        gi = xp.empty((T, B, 3 * H), dtype=dtype)
        xp.matmul(x.reshape(T * B, n_in), weight_ih.T, out=gi.reshape(T * B, 3 * H))
        if biases:
            gi += biases[0]
        w_hh_t = xp.ascontiguousarray(weight_hh.T)  # (H, 3H)
        hs = xp.empty((T + 1, B, H), dtype=dtype)
        hn = xp.empty((T, B, H), dtype=dtype)
        gh = xp.empty((B, 3 * H), dtype=dtype)
        out = xp.zeros((T, B, H), dtype=dtype) if self.packed else None
        hs[0] = h0
        forward_step, _ = step_functions(xp)
        for t, n in enumerate(self.batch_sizes):
            if n < B:
                hs[t + 1, n:] = hs[t, n:]
            xp.matmul(hs[t, :n], w_hh_t, out=gh[:n])
            if biases:
                xp.add(gh[:n], biases[1], out=gh[:n])
            forward_step(gi[t, :n], gh[:n], hs[t, :n], hn[t, :n], hs[t + 1, :n])
            if self.packed:
                out[t, :n] = hs[t + 1, :n]
        self.gi, self.hs, self.hn = gi, hs, hn
        self.gates_hold_activations = True
        return (out if self.packed else hs[1:]), hs[T].copy()

    def _forward_whole_loop(self, *biases):
        """The forward pass as one compiled call (small sizes, CPU), products included."""
        xp, x = backend.xp_of(self.x), self.x
        T, B, _ = x.shape
        H, dtype = self.w_hh.shape[1], self.w_hh.dtype
        b_ih, b_hh = biases if biases else (xp.zeros(3 * H, dtype),) * 2
        self.gi = xp.empty((T, B, 3 * H), dtype=dtype)
        self.hn = xp.empty((T, B, H), dtype=dtype)
        self.hs = hs = xp.empty((T + 1, B, H), dtype=dtype)
        hs[0] = self.saved[1]
        self.compiled.gru_forward_sequence(x, xp.ascontiguousarray(self.w_ih.T), b_ih, xp.ascontiguousarray(self.w_hh.T),
                                           b_hh, self.gi, self.hn, hs, xp.empty(3 * H, dtype))
        self.gates_hold_activations = True
        return hs[1:], hs[T].copy()

    def _backward_whole_loop(self, dy, dh_n):
        """The backward pass as one compiled call (small sizes, CPU), products included."""
        xp, needs = backend.xp_of(dy), self.needs_input_grad
        dh = xp.array(dh_n, copy=True)
        dx = xp.empty_like(self.x)
        dw_ih_t, dw_hh_t = xp.zeros(self.w_ih.shape[::-1], dy.dtype), xp.zeros(self.w_hh.shape[::-1], dy.dtype)  # C order
        db_ih, db_hh = xp.zeros((2, self.w_hh.shape[0]), dy.dtype)
        self.gates_hold_activations = False
        self.compiled.gru_backward_sequence(self.gi, self.x, self.hs, self.hn, xp.ascontiguousarray(dy),
                                            xp.ascontiguousarray(self.w_ih), xp.ascontiguousarray(self.w_hh), dh, dx,
                                            dw_ih_t, dw_hh_t, db_ih, db_hh, xp.empty((dy.shape[1], self.w_hh.shape[0]),
                                                                                     dy.dtype), bool(needs[0]))
        grads = [g if need else None for g, need in zip((dx, dh, dw_ih_t.T.copy(), dw_hh_t.T.copy()), needs, strict=False)]
        if self.has_bias:
            grads += [db_ih if needs[4] else None, db_hh if needs[5] else None]
        return tuple(grads)

    def backward(self, dy, dh_n):
        if not self.gates_hold_activations:  # a second backward (retain_graph=True): redo forward
            self.forward(*self.saved, **self.params)
        if self.compiled is not None:
            return self._backward_whole_loop(dy, dh_n)
        xp = backend.xp_of(dy)
        gi, hs, hn, x = self.gi, self.hs, self.hn, self.x
        T, B, H = hn.shape
        dy = xp.ascontiguousarray(dy)
        dh_rec = xp.array(dh_n, copy=True)
        dh = xp.empty((B, H), dtype=dy.dtype)
        dh_direct = xp.empty((B, H), dtype=dy.dtype)
        work = xp.empty(2 * B * H, dtype=dy.dtype)
        dgh = (xp.zeros if self.packed else xp.empty)((T, B, 3 * H), dtype=dy.dtype)
        _, backward_step = step_functions(xp)
        self.gates_hold_activations = False
        for t in range(T - 1, -1, -1):
            n = self.batch_sizes[t]
            if n < B:
                gi[t, n:] = 0
            xp.add(dy[t, :n], dh_rec[:n], out=dh[:n])
            backward_step(gi[t, :n], hn[t, :n], hs[t, :n], dh[:n], dgh[t, :n], dh_direct[:n],
                          work[: 2 * n * H].reshape(2, n, H))
            xp.matmul(dgh[t, :n], self.w_hh, out=dh_rec[:n])
            xp.add(dh_rec[:n], dh_direct[:n], out=dh_rec[:n])
        dgi, dgh = gi.reshape(T * B, 3 * H), dgh.reshape(T * B, 3 * H)
        needs = self.needs_input_grad
        grads = [
            (dgi @ self.w_ih).reshape(x.shape) if needs[0] else None,
            dh_rec if needs[1] else None,
            dgi.T @ x.reshape(T * B, -1) if needs[2] else None,
            dgh.T @ hs[:T].reshape(T * B, H) if needs[3] else None,
        ]
        if self.has_bias:
            grads += [dgi.sum(axis=0) if needs[4] else None, dgh.sum(axis=0) if needs[5] else None]
        return tuple(grads)
