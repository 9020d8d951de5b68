"""The fast path: one LSTM layer over a whole sequence as a single autograd Function.

Forward, for x (T, B, in) and weights in PyTorch's layout (gate blocks i, f, g, o):

1. one GEMM for every input projection at once: (T·B, in) @ (in, 4H), plus the biases;
2. per step, one GEMM for the recurrence (B, H) @ (H, 4H) and one fused pass of gate
   arithmetic (activations, the new cell state, tanh of it, the new hidden state).

Backward through time runs the steps in reverse: one fused pass per step turns the
saved activations into gradients of the gate pre-activations (written over the
activations, in place), one GEMM per step carries the gradient to h_{t-1}, and at
the end one GEMM each gives d weight_ih, d weight_hh and d x over all steps together.

Inside, the rows of the sigmoid gates i, f, o in a scaled copy of the weights are
multiplied by 1/2 (exact in binary floating point). Then one tanh over the whole row
of pre-activations gives tanh(z/2) for i, f, o and tanh(z) for g, and one multiply-add tanh(·)/2 + 1/2 over the whole row gives
σ(z) for i, f, o and (g + 1)/2 for g: every pass runs over a contiguous row, and the
backward pass reads all four slopes from one product a (1 - a), since 1 - g² = 4a(1 - a).

The per-step gate arithmetic comes in three forms of identical semantics: the
reference functions below (array-module ufuncs with ``out=``, runnable on any backend),
CuPy ElementwiseKernels (one kernel launch per step, used on a GPU;
``tests/test_gpu_lstm.py`` compares them wherever a GPU is present) and, on the CPU
where Numba is installed (``lstmkit[fast]``), the compiled kernels of
:mod:`lstmkit.nn.compiled_kernels` (``tests/test_compiled.py`` compares them).

Where the time goes on a CPU (``benchmarks/bench_lstm.py`` measures it): a NumPy step
of gate arithmetic is about 27 ufunc calls, each with a fixed cost of a fraction of a
microsecond and each a pass over memory, which dominates at small shapes (and puts
the NumPy steps at about 1.5x the GEMM-only bound at large ones). Compiled, the arithmetic of a step is
one pass; at small sizes (up to ``compiled.WHOLE_LOOP_MAX_MACS`` multiply-adds per
step) one compiled call runs the whole time loop with its products, so no BLAS call
and no Python runs per step; at large sizes the matrix products (BLAS) are most of
the time. Calls on one gate's slice of a (B, 4H) row are strided and cost several
times a whole-row call, which is why the activations run over whole rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd.function import Function
from .compiled import kernels_for

# --------------------------------------------------------------------------- gate layout


def gate_slots(row: Any, hidden: int) -> tuple[Any, Any, Any, Any]:
    """Views of the four gate blocks (i, f, g, o: PyTorch's order) of a (B, 4H) row."""
    H = hidden
    return row[:, :H], row[:, H : 2 * H], row[:, 2 * H : 3 * H], row[:, 3 * H :]


def sigmoid_prescale(hidden: int, dtype: Any, xp: Any) -> Any:
    """(4H,) factors: 1/2 for the sigmoid gates i, f, o and 1 for the candidate g."""
    scale = xp.full(4 * hidden, 0.5, dtype=dtype)
    scale[2 * hidden : 3 * hidden] = 1
    return scale


_constant_cache: dict[tuple[int, Any], tuple[Any, Any, Any]] = {}


def constants(xp: Any, dtype: Any) -> tuple[Any, Any, Any]:
    """(1/2, 1, 4) as 0-d arrays of ``dtype``.

    A ufunc takes a 0-d array of the right dtype as fast as another array, while a
    Python or NumPy scalar costs a conversion on every call: at small shapes, where a
    step is a few microseconds, that is a fifth of the time.
    """
    key = (id(xp), dtype)
    if key not in _constant_cache:
        _constant_cache[key] = tuple(xp.asarray(v, dtype=dtype) for v in (0.5, 1.0, 4.0))
    return _constant_cache[key]


# --------------------------------------------------------------------------- per-step gate arithmetic


def forward_step_reference(gates: Any, rec: Any, c_prev: Any, c: Any, tanh_c: Any, h: Any) -> None:
    """One step of gate arithmetic, in place (reference form, any backend).

    gates (B, 4H): pre-activations [i, f, g, o] from the input (sigmoid columns halved);
    rec (B, 4H): the recurrent part h_{t-1} W_hhᵀ, scaled alike; c_prev (B, H).
    Writes over ``gates`` the values [i, f, (g + 1)/2, o] (all four in (0, 1): one pass
    of tanh(·)/2 + 1/2 over the whole row, no strided writes), and c_t, tanh(c_t), h_t (B, H).
    """
    xp = backend.xp_of(gates)
    half, one, _ = constants(xp, gates.dtype)
    i, f, g_half, o = gate_slots(gates, c.shape[-1])
    xp.add(gates, rec, out=gates)
    xp.tanh(gates, out=gates)
    xp.multiply(gates, half, out=gates)
    xp.add(gates, half, out=gates)  # σ(z) = tanh(z/2)/2 + 1/2 for i, f, o; (g + 1)/2 for g
    xp.add(g_half, g_half, out=h)
    xp.subtract(h, one, out=h)  # h holds g for a moment
    xp.multiply(i, h, out=h)
    xp.multiply(f, c_prev, out=c)
    xp.add(c, h, out=c)  # c_t = f c_{t-1} + i g
    xp.tanh(c, out=tanh_c)
    xp.multiply(o, tanh_c, out=h)  # h_t = o tanh(c_t)


def backward_step_reference(gates: Any, c_prev: Any, tanh_c: Any, dy: Any, dh_rec: Any, dc: Any, work: Any) -> None:
    """One step of backpropagation through the gate arithmetic, in place (reference form).

    gates (B, 4H): this step's values [i, f, (g + 1)/2, o] from the forward step,
    overwritten with the gradients of the (unscaled) pre-activations [i, f, g, o];
    c_prev, tanh_c (B, H) from the forward pass; dy (B, H): gradient of h_t from the
    output; dh_rec (B, H): from step t+1 (or h_n); dc (B, H): in, the gradient of c_t
    from step t+1 (or c_n); out, that of c_{t-1}. work: (10, B, H) scratch.

    With a = (g + 1)/2, 1 - g² = 4 a (1 - a), so one pass a (1 - a) over the whole row
    gives every gate's slope, and one product with a row of multipliers every gradient.
    """
    xp = backend.xp_of(gates)
    B, H = dc.shape
    _, one, four = constants(xp, gates.dtype)
    slope = work[:4].reshape(B, 4 * H)  # work[0:4] and work[4:8] seen as (B, 4H) rows
    mult = work[4:8].reshape(B, 4 * H)
    dh, tmp = work[8], work[9]
    i, f, g_half, o = gate_slots(gates, H)
    m_i, m_f, m_g, m_o = gate_slots(mult, H)
    xp.subtract(one, gates, out=slope)
    xp.multiply(slope, gates, out=slope)  # σ'(z) for i, f, o; (1 - g²)/4 for g
    xp.add(dy, dh_rec, out=dh)
    xp.multiply(tanh_c, tanh_c, out=tmp)
    xp.subtract(one, tmp, out=tmp)
    xp.multiply(tmp, o, out=tmp)
    xp.multiply(tmp, dh, out=tmp)
    xp.add(dc, tmp, out=dc)  # dc_t = dc + dh o (1 - tanh² c_t)
    xp.multiply(dh, tanh_c, out=m_o)  # dz_o = dh tanh(c_t) σ'(z_o)
    xp.multiply(dc, c_prev, out=m_f)  # dz_f = dc_t c_{t-1} σ'(z_f)
    xp.add(g_half, g_half, out=tmp)
    xp.subtract(tmp, one, out=tmp)
    xp.multiply(dc, tmp, out=m_i)  # dz_i = dc_t g σ'(z_i)
    xp.multiply(dc, four, out=tmp)
    xp.multiply(tmp, i, out=m_g)  # dz_g = dc_t i (1 - g²)
    xp.multiply(dc, f, out=dc)  # dc_{t-1} = dc_t f
    xp.multiply(slope, mult, out=gates)


# --------------------------------------------------------------------------- CuPy kernels

_FORWARD_KERNEL = (
    "raw T rec, T c_prev, int32 H",
    "raw T gates, T c, T tanh_c, T h",
    """
    const ptrdiff_t b = i / H, j = i % H, row = b * 4 * H;
    const T ig = tanh(gates[row + j] + rec[row + j]) * (T)0.5 + (T)0.5;
    const T fg = tanh(gates[row + H + j] + rec[row + H + j]) * (T)0.5 + (T)0.5;
    const T ag = tanh(gates[row + 2 * H + j] + rec[row + 2 * H + j]) * (T)0.5 + (T)0.5;
    const T og = tanh(gates[row + 3 * H + j] + rec[row + 3 * H + j]) * (T)0.5 + (T)0.5;
    const T gg = (ag + ag) - (T)1;
    const T cn = fg * c_prev + ig * gg;
    const T tc = tanh(cn);
    gates[row + j] = ig;
    gates[row + H + j] = fg;
    gates[row + 2 * H + j] = ag;
    gates[row + 3 * H + j] = og;
    c = cn;
    tanh_c = tc;
    h = og * tc;
    """,
    "lstmkit_lstm_forward_step",
)

_BACKWARD_KERNEL = (
    "T c_prev, T tanh_c, T dy, T dh_rec, int32 H",
    "raw T gates, T dc",
    """
    const ptrdiff_t b = i / H, j = i % H, row = b * 4 * H;
    const T ig = gates[row + j];
    const T fg = gates[row + H + j];
    const T ag = gates[row + 2 * H + j];
    const T og = gates[row + 3 * H + j];
    const T gg = (ag + ag) - (T)1;
    const T dh = dy + dh_rec;
    const T dct = dc + ((T)1 - tanh_c * tanh_c) * og * dh;
    gates[row + j] = (ig * ((T)1 - ig)) * (dct * gg);
    gates[row + H + j] = (fg * ((T)1 - fg)) * (dct * c_prev);
    gates[row + 2 * H + j] = (ag * ((T)1 - ag)) * ((dct * (T)4) * ig);
    gates[row + 3 * H + j] = (og * ((T)1 - og)) * (dh * tanh_c);
    dc = dct * fg;
    """,
    "lstmkit_lstm_backward_step",
)

_kernel_cache: dict[int, tuple[Callable[..., None], Callable[..., None]]] = {}


def kernel_steps(xp: Any) -> tuple[Callable[..., None], Callable[..., None]]:
    """(forward_step, backward_step) as ElementwiseKernels of ``xp`` (CuPy), same signatures
    as :func:`forward_step_reference` and :func:`backward_step_reference`."""
    key = id(xp)
    if key not in _kernel_cache:
        forward_kernel = xp.ElementwiseKernel(*_FORWARD_KERNEL)
        backward_kernel = xp.ElementwiseKernel(*_BACKWARD_KERNEL)

        def forward_step(gates: Any, rec: Any, c_prev: Any, c: Any, tanh_c: Any, h: Any) -> None:
            forward_kernel(rec, c_prev, c.shape[-1], gates, c, tanh_c, h)

        def backward_step(gates: Any, c_prev: Any, tanh_c: Any, dy: Any, dh_rec: Any, dc: Any, work: Any) -> None:
            backward_kernel(c_prev, tanh_c, dy, dh_rec, dc.shape[-1], gates, dc)

        _kernel_cache[key] = (forward_step, backward_step)
    return _kernel_cache[key]


def step_functions(xp: Any, dtype: Any = None) -> tuple[Callable[..., None], Callable[..., None]]:
    """The gate arithmetic for arrays of ``xp`` and ``dtype``: CuPy kernels on a GPU,
    the compiled steps of :mod:`.compiled` on the CPU where Numba is there, else
    the reference."""
    if hasattr(xp, "ElementwiseKernel"):
        return kernel_steps(xp)
    compiled = kernels_for(dtype) if dtype is not None else None
    if compiled is not None:
        return compiled.forward_step, compiled.backward_step
    return forward_step_reference, backward_step_reference


# --------------------------------------------------------------------------- the Function


class LSTMLayer(Function):
    """One LSTM layer over a sequence: (x, h0, c0, weight_ih, weight_hh[, bias_ih, bias_hh][, weight_hr])
    -> (output, h_n, c_n).

    x (T, B, in); h0 (B, P); c0 (B, H); weight_ih (4H, in); weight_hh (4H, P); biases (4H,);
    with ``proj=True`` the last input is weight_hr (P, H) and h_t = weight_hr (o_t tanh c_t),
    else P = H. output (T, B, P) holds h_t for every step, h_n (B, P) and c_n (B, H) the
    last states.

    ``batch_sizes`` (T ints, non-increasing, first == B) runs a packed batch: at step t
    only the first ``batch_sizes[t]`` rows advance, the others carry their states
    unchanged and output zeros (rows sorted by length, longest first, as in a
    ``PackedSequence``), so h_n, c_n hold each row's state after its own last step.
    """

    def forward(self, x, h0, c0, weight_ih, weight_hh, *rest, proj=False, batch_sizes=None):
        if proj or batch_sizes is not None:
            return self._forward_general(x, h0, c0, weight_ih, weight_hh, *rest, proj=proj, batch_sizes=batch_sizes)
        self.general, self.params = False, {}
        biases = rest
        xp = backend.xp_of(x)
        T, B, n_in = x.shape
        H = weight_hh.shape[1]
        dtype = weight_hh.dtype
        self.saved = (x, h0, c0, weight_ih, weight_hh, *biases)
        self.x = x = xp.ascontiguousarray(x)
        self.w_ih, self.w_hh = weight_ih, weight_hh
        scale = sigmoid_prescale(H, dtype, xp)
        w_ih_t = (self.w_ih * scale[:, None]).T  # (in, 4H)
        w_hh_t = xp.ascontiguousarray((self.w_hh * scale[:, None]).T)  # (H, 4H)
        bias = (biases[0] + biases[1]) * scale if biases else xp.zeros(4 * H, dtype)
        gates = xp.empty((T, B, 4 * H), dtype=dtype)
        hs = xp.empty((T + 1, B, H), dtype=dtype)
        cs = xp.empty((T + 1, B, H), dtype=dtype)
        tanh_c = xp.empty((T, B, H), dtype=dtype)
        hs[0], cs[0] = h0, c0
        on_gpu = backend.device_of(x) == "cuda"
        self.compiled = None if on_gpu else kernels_for(dtype)
        self.whole_loop = self.compiled is not None and self.compiled.whole_loop(B, H)
        if self.whole_loop:  # small: one compiled call for every step, products included
            self.compiled.forward_sequence(x, xp.ascontiguousarray(w_ih_t), bias, w_hh_t, gates, hs, cs, tanh_c)
        else:
            xp.matmul(x.reshape(T * B, n_in), w_ih_t, out=gates.reshape(T * B, 4 * H))
            if biases and on_gpu:
                gates += bias  # one pass on a GPU; on the CPU it is added per step, in cache
            rec = xp.empty((B, 4 * H), dtype=dtype)
            forward_step, _ = step_functions(xp, dtype)
            for t in range(T):
                xp.matmul(hs[t], w_hh_t, out=rec)
                if biases and not on_gpu:
                    xp.add(rec, bias, out=rec)
                forward_step(gates[t], rec, cs[t], cs[t + 1], tanh_c[t], hs[t + 1])
        self.gates, self.hs, self.cs, self.tanh_c = gates, hs, cs, tanh_c
        self.gates_hold_activations = True
        return hs[1:], hs[T].copy(), cs[T].copy()

    def backward(self, dy, dh_n, dc_n):
        if not self.gates_hold_activations:  # a second backward (retain_graph=True): redo forward
            self.forward(*self.saved, **self.params)
        if self.general:
            return self._backward_general(dy, dh_n, dc_n)
        xp = backend.xp_of(dy)
        gates, hs, cs, tanh_c, x = self.gates, self.hs, self.cs, self.tanh_c, self.x
        T, B, H = tanh_c.shape
        dy = xp.ascontiguousarray(dy)
        dh_rec = xp.array(dh_n, copy=True)
        dc = xp.array(dc_n, copy=True)
        self.gates_hold_activations = False
        needs = self.needs_input_grad
        if self.whole_loop:
            return self._backward_whole_loop(dy, dh_rec, dc)
        work = xp.empty((10, B, H), dtype=dy.dtype)
        _, backward_step = step_functions(xp, dy.dtype)
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                xp.matmul(gates[t + 1], self.w_hh, out=dh_rec)
            backward_step(gates[t], cs[t], tanh_c[t], dy[t], dh_rec, dc, work)
        dz = gates.reshape(T * B, 4 * H)  # now d loss / d pre-activations (i, f, g, o)
        dx = (dz @ self.w_ih).reshape(x.shape) if needs[0] else None
        dh0 = gates[0] @ self.w_hh if needs[1] else None
        dc0 = dc if needs[2] else None
        dw_ih = dz.T @ x.reshape(T * B, -1) if needs[3] else None
        dw_hh = dz.T @ hs[:T].reshape(T * B, H) if needs[4] else None
        grads = (dx, dh0, dc0, dw_ih, dw_hh)
        if len(needs) > 5:
            db = dz.sum(axis=0) if needs[5] or needs[6] else None
            grads += (db if needs[5] else None, xp.array(db, copy=True) if needs[6] else None)
        return grads

    def _backward_whole_loop(self, dy, dh, dc):
        """The backward pass as one compiled call (small sizes), products included."""
        xp = backend.xp_of(dy)
        needs = self.needs_input_grad
        dx = xp.empty_like(self.x)
        dw_ih_t, dw_hh_t = xp.zeros(self.w_ih.shape[::-1], dy.dtype), xp.zeros(self.w_hh.shape[::-1], dy.dtype)  # C order
        db = xp.zeros(self.w_hh.shape[0], dy.dtype)
        self.compiled.backward_sequence(self.gates, self.x, self.hs, self.cs, self.tanh_c, dy,
                                        xp.ascontiguousarray(self.w_ih), xp.ascontiguousarray(self.w_hh),
                                        dh, dc, dx, dw_ih_t, dw_hh_t, db, bool(needs[0]))
        dw_ih, dw_hh = dw_ih_t.T.copy(), dw_hh_t.T.copy()
        grads = tuple(g if need else None for g, need in zip((dx, dh, dc, dw_ih, dw_hh), needs, strict=False))
        if len(needs) > 5:
            grads += (db if needs[5] else None, xp.array(db, copy=True) if needs[6] else None)
        return grads

    # ------------------------------------------------------------------ packed batches, projections

    def _forward_general(self, x, h0, c0, weight_ih, weight_hh, *rest, proj, batch_sizes):
        """The same recurrence for packed batches (``batch_sizes``) and/or ``proj``."""
        xp = backend.xp_of(x)
        T, B, n_in = x.shape
        H, P = weight_ih.shape[0] // 4, weight_hh.shape[1]
        dtype = weight_hh.dtype
        self.general, self.params = True, {"proj": proj, "batch_sizes": batch_sizes}
        self.saved = (x, h0, c0, weight_ih, weight_hh, *rest)
        self.w_hr = rest[-1] if proj else None
        biases = rest[:-1] if proj else rest
        self.has_bias = bool(biases)
        self.batch_sizes = steps_batch_sizes(batch_sizes, T, B)
        self.x = x = xp.ascontiguousarray(x)
        self.w_ih, self.w_hh = weight_ih, weight_hh
        scale = sigmoid_prescale(H, dtype, xp)
        gates = xp.empty((T, B, 4 * H), dtype=dtype)
        xp.matmul(x.reshape(T * B, n_in), (weight_ih * scale[:, None]).T, out=gates.reshape(T * B, 4 * H))
        if biases:
            gates += (biases[0] + biases[1]) * scale
        w_hh_t = xp.ascontiguousarray((weight_hh * scale[:, None]).T)  # (P, 4H)
        w_hr_t = xp.ascontiguousarray(self.w_hr.T) if proj else None  # (H, P)
        hs = xp.empty((T + 1, B, P), dtype=dtype)
        cs = xp.empty((T + 1, B, H), dtype=dtype)
        tanh_c = xp.empty((T, B, H), dtype=dtype)
        h_raw = xp.zeros((T, B, H), dtype=dtype) if proj else None  # o tanh(c) before the projection
        rec = xp.empty((B, 4 * H), dtype=dtype)
        out = xp.zeros((T, B, P), dtype=dtype)
        hs[0], cs[0] = h0, c0
        forward_step, _ = step_functions(xp, dtype)
        for t, n in enumerate(self.batch_sizes):
            if n < B:  # rows past this step's batch carry their states
                hs[t + 1, n:], cs[t + 1, n:] = hs[t, n:], cs[t, n:]
            xp.matmul(hs[t, :n], w_hh_t, out=rec[:n])
            target = h_raw[t, :n] if proj else hs[t + 1, :n]
            forward_step(gates[t, :n], rec[:n], cs[t, :n], cs[t + 1, :n], tanh_c[t, :n], target)
            if proj:
                xp.matmul(h_raw[t, :n], w_hr_t, out=hs[t + 1, :n])
            out[t, :n] = hs[t + 1, :n]
        self.gates, self.hs, self.cs, self.tanh_c, self.h_raw = gates, hs, cs, tanh_c, h_raw
        self.gates_hold_activations = True
        return out, hs[T].copy(), cs[T].copy()

    def _backward_general(self, dy, dh_n, dc_n):
        xp = backend.xp_of(dy)
        gates, hs, tanh_c, x = self.gates, self.hs, self.tanh_c, self.x
        T, B, H = tanh_c.shape
        P = hs.shape[-1]
        proj = self.w_hr is not None
        dy = xp.ascontiguousarray(dy)
        dh_rec = xp.array(dh_n, copy=True)  # (B, P): gradient of the state h_t from later steps
        dc = xp.array(dc_n, copy=True)
        work = xp.empty(10 * B * H, dtype=dy.dtype)
        dh_total = xp.zeros((T, B, P), dtype=dy.dtype) if proj else None
        dh_raw = xp.empty((B, H), dtype=dy.dtype) if proj else None
        no_rec = xp.zeros((B, H), dtype=dy.dtype) if proj else None
        _, backward_step = step_functions(xp, dy.dtype)
        self.gates_hold_activations = False
        for t in range(T - 1, -1, -1):
            n = self.batch_sizes[t]
            if n < B:
                gates[t, n:] = 0  # no gradient reaches the pre-activations of rows past their end
            step_work = work[: 10 * n * H].reshape(10, n, H)
            if proj:
                xp.add(dy[t, :n], dh_rec[:n], out=dh_total[t, :n])
                xp.matmul(dh_total[t, :n], self.w_hr, out=dh_raw[:n])
                backward_step(gates[t, :n], self.cs[t, :n], tanh_c[t, :n], dh_raw[:n], no_rec[:n], dc[:n], step_work)
            else:
                backward_step(gates[t, :n], self.cs[t, :n], tanh_c[t, :n], dy[t, :n], dh_rec[:n], dc[:n], step_work)
            xp.matmul(gates[t, :n], self.w_hh, out=dh_rec[:n])
        dz = gates.reshape(T * B, 4 * H)
        needs = self.needs_input_grad
        grads = [
            (dz @ self.w_ih).reshape(x.shape) if needs[0] else None,
            dh_rec if needs[1] else None,
            dc if needs[2] else None,
            dz.T @ x.reshape(T * B, -1) if needs[3] else None,
            dz.T @ hs[:T].reshape(T * B, P) if needs[4] else None,
        ]
        if self.has_bias:
            db = dz.sum(axis=0) if needs[5] or needs[6] else None
            grads += [db if needs[5] else None, xp.array(db, copy=True) if needs[6] else None]
        if proj:
            grads.append(dh_total.reshape(T * B, P).T @ self.h_raw.reshape(T * B, H) if needs[-1] else None)
        return tuple(grads)


def steps_batch_sizes(batch_sizes: Any, steps: int, batch: int) -> list[int]:
    """``batch_sizes`` as a list of T Python ints (all ``batch`` when None), checked."""
    if batch_sizes is None:
        return [batch] * steps
    sizes = [int(n) for n in batch_sizes]
    if len(sizes) != steps or any(n < 1 or n > batch for n in sizes) or any(
        later > earlier for earlier, later in zip(sizes, sizes[1:], strict=False)
    ):
        raise ValueError(
            f"fused recurrent layer: batch_sizes must be {steps} non-increasing counts in [1, {batch}] "
            f"(one per step, longest sequences first), but got {sizes}. Build them with "
            "nn.utils.rnn.pack_padded_sequence."
        )
    return sizes
