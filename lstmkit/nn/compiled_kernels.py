"""Numba kernels of the fused LSTM layer (imported by :mod:`.compiled` on first use).

The conventions are the fused layer's (:mod:`lstmkit.nn.fused_lstm`): pre-activations
of the sigmoid gates i, f, o arrive halved, so one ``tanh(z)/2 + 1/2`` gives σ for
them; after the forward pass a row of gates holds [i, f, (g + 1)/2, o], and the
backward pass writes over it the gradients of the unscaled pre-activations.

float32 tanh is a rational function of x² that the compiler vectorises (eight lanes
on AVX2), within 5.3 units in the last place of the exact value (the C library's
tanhf is within 1 but runs one value at a time, about thirty times slower); float64
uses the C library's tanh, for gradient checks and comparisons in double precision.
"""

from __future__ import annotations

import math

import numba
from numba.extending import overload


def tanh_of(x: float) -> float:
    """tanh, as the kernels compute it (overloaded for Numba below)."""
    return math.tanh(x)


_JIT = dict(cache=True, nogil=True, error_model="numpy")


# tanh(x) ≈ x P(x²) / Q(x²) for |x| < TANH_CLAMP, ±1 beyond: coefficients fitted by
# tools/fit_tanh_float32.py, which also measures the float32 error (at most 5.3 ulp, mean 0.8).
_P = [numba.float32(c) for c in (
    0.9999999994054657, 0.13134058744644111, 0.003160347325564729, 1.1762707690593076e-05,
    -2.284964949295455e-08, 6.660717442625501e-11, -1.2462691137055044e-13)]
P0, P1, P2, P3, P4, P5, P6 = _P
Q1, Q2, Q3 = (numba.float32(c) for c in (0.46467391078790066, 0.02471833697314488, 0.00026292513423882904))
TANH_CLAMP = numba.float32(7.90531110763549805)  # the smallest float32 whose tanh rounds to 1


@numba.njit(error_model="numpy")
def _tanh_float32(x):
    a = min(max(x, -TANH_CLAMP), TANH_CLAMP)
    s = a * a
    p = ((((((P6 * s + P5) * s + P4) * s + P3) * s + P2) * s + P1) * s + P0)
    q = ((Q3 * s + Q2) * s + Q1) * s + numba.float32(1)
    t = a * p / q
    return t if abs(x) < TANH_CLAMP else a / TANH_CLAMP  # exactly ±1 once saturated


@overload(tanh_of)
def _tanh_of_numba(x):
    if isinstance(x, numba.types.Float) and x.bitwidth == 32:
        return lambda x: _tanh_float32(x)
    return lambda x: math.tanh(x)


# Constants as float32: exact in float32 and float64 alike, so they keep float32 arithmetic
# float32 and float64 arithmetic float64.
HALF, ONE, TWO, FOUR = numba.float32(0.5), numba.float32(1), numba.float32(2), numba.float32(4)

# Each row function below runs a few short loops over contiguous memory rather than one
# loop that reads and writes many arrays: the compiler vectorises those.


@numba.njit(error_model="numpy")
def _accumulate(out, coefficients, rows):
    """out (K,) += Σ_r coefficients[r] · rows[r] for rows (R, K): every product of the
    layer is this. Four rows at a time, so each pass over ``out`` does four multiply-adds."""
    R, K = rows.shape
    r = 0
    while r + 4 <= R:
        a0, a1, a2, a3 = coefficients[r], coefficients[r + 1], coefficients[r + 2], coefficients[r + 3]
        w0, w1, w2, w3 = rows[r], rows[r + 1], rows[r + 2], rows[r + 3]
        for k in range(K):
            out[k] += a0 * w0[k] + a1 * w1[k] + a2 * w2[k] + a3 * w3[k]
        r += 4
    while r < R:
        a0, w0 = coefficients[r], rows[r]
        for k in range(K):
            out[k] += a0 * w0[k]
        r += 1


@numba.njit(error_model="numpy")
def _forward_row(z, c_prev, c, tanh_c, h):
    """One row of gate arithmetic: z (4H,) pre-activations (sigmoid ones halved) ->
    [i, f, (g + 1)/2, o] in place; c, tanh(c), h (H,)."""
    H = c.shape[0]
    for j in range(z.shape[0]):
        z[j] = tanh_of(z[j]) * HALF + HALF  # σ(z) = tanh(z/2)/2 + 1/2 for i, f, o; (g + 1)/2 for g
    i, f, a_g, o = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
    for k in range(H):
        c[k] = f[k] * c_prev[k] + i[k] * (a_g[k] * TWO - ONE)  # c_t = f c_{t-1} + i g
    for k in range(H):
        tanh_c[k] = tanh_of(c[k])
    for k in range(H):
        h[k] = o[k] * tanh_c[k]


@numba.njit(error_model="numpy")
def _backward_row(a, c_prev, tanh_c, dy, dh_rec, dc):
    """One row of backpropagation: a (4H,) the forward values -> gradients of the
    pre-activations in place; dy, dh_rec (H,): the gradient of h_t from the output and
    from step t + 1; dc (H,) from d c_t to d c_{t-1} in place."""
    H = dc.shape[0]
    i, f, a_g, o = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
    for k in range(H):
        dc[k] += (ONE - tanh_c[k] * tanh_c[k]) * o[k] * (dy[k] + dh_rec[k])  # dc_t = dc + dh o (1 - tanh² c_t)
    for k in range(H):
        o[k] = o[k] * (ONE - o[k]) * ((dy[k] + dh_rec[k]) * tanh_c[k])  # dz_o = σ'(z_o) dh tanh(c_t)
    for k in range(H):
        i_k, a_k, dc_k = i[k], a_g[k], dc[k]
        i[k] = i_k * (ONE - i_k) * (dc_k * (a_k * TWO - ONE))  # dz_i = σ'(z_i) dc_t g
        a_g[k] = a_k * (ONE - a_k) * (dc_k * FOUR * i_k)  # dz_g = (1 - g²) dc_t i, as 1 - g² = 4 a_g (1 - a_g)
    for k in range(H):
        f_k, dc_k = f[k], dc[k]
        f[k] = f_k * (ONE - f_k) * (dc_k * c_prev[k])  # dz_f = σ'(z_f) dc_t c_{t-1}
        dc[k] = dc_k * f_k  # dc_{t-1} = dc_t f


@numba.njit(**_JIT)
def forward_step(gates, rec, c_prev, c, tanh_c, h):
    """Same contract as :func:`lstmkit.nn.fused_lstm.forward_step_reference`."""
    for b in range(gates.shape[0]):
        z, r = gates[b], rec[b]
        for j in range(z.shape[0]):
            z[j] += r[j]
        _forward_row(z, c_prev[b], c[b], tanh_c[b], h[b])


@numba.njit(**_JIT)
def backward_step(gates, c_prev, tanh_c, dy, dh_rec, dc, work):
    """Same contract as :func:`lstmkit.nn.fused_lstm.backward_step_reference` (``work`` is not used)."""
    for b in range(gates.shape[0]):
        _backward_row(gates[b], c_prev[b], tanh_c[b], dy[b], dh_rec[b], dc[b])


@numba.njit(**_JIT)
def forward_sequence(x, w_ih_t, bias, w_hh_t, gates, hs, cs, tanh_c):
    """The whole forward pass of a layer, products included.

    x (T, B, in); w_ih_t (in, 4H), bias (4H,), w_hh_t (H, 4H): transposed weights and
    summed biases with the sigmoid gates' columns halved; gates (T, B, 4H): filled with
    the activations; hs, cs (T + 1, B, H) with hs[0], cs[0] the initial state, filled;
    tanh_c (T, B, H) filled.
    """
    T, B, _ = x.shape
    for t in range(T):
        for b in range(B):
            z = gates[t, b]
            z[:] = bias
            _accumulate(z, x[t, b], w_ih_t)  # x_t W_ihᵀ
            _accumulate(z, hs[t, b], w_hh_t)  # h_{t-1} W_hhᵀ
            _forward_row(z, cs[t, b], cs[t + 1, b], tanh_c[t, b], hs[t + 1, b])


@numba.njit(**_JIT)
def backward_sequence(gates, x, hs, cs, tanh_c, dy, w_ih, w_hh, dh, dc, dx, dw_ih_t, dw_hh_t, db, want_dx):
    """The whole backward pass of a layer, products included.

    gates (T, B, 4H): the forward activations, overwritten with d loss / d pre-activations;
    x (T, B, in), hs, cs (T + 1, B, H), tanh_c (T, B, H) from the forward pass;
    dy (T, B, H): gradient of the outputs; w_ih (4H, in), w_hh (4H, H) unscaled;
    dh (B, H): in, d h_n; out, d h_0; dc (B, H): in, d c_n; out, d c_0;
    dx (T, B, in) filled when ``want_dx``; dw_ih_t (in, 4H), dw_hh_t (H, 4H) (the weight
    gradients, transposed) and db (4H,): zeroed by the caller, accumulated.
    """
    T, B, _ = x.shape
    for t in range(T - 1, -1, -1):
        dz = gates[t]
        for b in range(B):
            _backward_row(dz[b], cs[t, b], tanh_c[t, b], dy[t, b], dh[b], dc[b])
            dh[b, :] = 0
            _accumulate(dh[b], dz[b], w_hh)  # d h_{t-1} = dz_t W_hh, for step t - 1 (d h_0 at the end)
            if want_dx:
                dx[t, b, :] = 0
                _accumulate(dx[t, b], dz[b], w_ih)  # d x_t = dz_t W_ih
        # the weight gradients, transposed: d W_ihᵀ += x_tᵀ dz_t, d W_hhᵀ += h_{t-1}ᵀ dz_t
        for k in range(x.shape[2]):
            _accumulate(dw_ih_t[k], x[t, :, k], dz)
        for k in range(hs.shape[2]):
            _accumulate(dw_hh_t[k], hs[t, :, k], dz)
        for b in range(B):
            for j in range(db.shape[0]):
                db[j] += dz[b, j]


# --------------------------------------------------------------------------- GRU (PyTorch's r, z, n)


@numba.njit(error_model="numpy")
def _gru_forward_row(gi, gh, h_prev, hn, h):
    """One GRU row: gi (3H,) input pre-activations -> [r, z, n] in place; gh (3H,) the
    recurrent ones; writes hn = gh_n (H,) and h = h_t (H,)."""
    H = h.shape[0]
    for j in range(2 * H):
        gi[j] = tanh_of((gi[j] + gh[j]) * HALF) * HALF + HALF  # r, z = σ(·) = tanh(·/2)/2 + 1/2
    r, z, n = gi[:H], gi[H : 2 * H], gi[2 * H :]
    for k in range(H):
        hn[k] = gh[2 * H + k]
    for k in range(H):
        n[k] = tanh_of(n[k] + r[k] * hn[k])  # n_t = tanh(W_in x + b_in + r (W_hn h + b_hn))
    for k in range(H):
        h[k] = n[k] + z[k] * (h_prev[k] - n[k])  # h_t = (1 - z) n + z h_{t-1}


@numba.njit(error_model="numpy")
def _gru_backward_row(acts, hn, h_prev, dh, dgh):
    """One GRU row backwards: acts (3H,) [r, z, n] -> the input-side gradients [dr, dz, dn]
    in place; dgh (3H,) the recurrent-side ones [dr, dz, dn r]; dh (H,): in, the whole
    gradient of h_t; out, its part dh z that reaches h_{t-1} directly."""
    H = dh.shape[0]
    r, z, n = acts[:H], acts[H : 2 * H], acts[2 * H :]
    for k in range(H):
        d_n = dh[k] * (ONE - z[k]) * (ONE - n[k] * n[k])
        d_z = dh[k] * (h_prev[k] - n[k]) * (z[k] * (ONE - z[k]))
        d_r = d_n * hn[k] * (r[k] * (ONE - r[k]))
        dgh[k], dgh[H + k], dgh[2 * H + k] = d_r, d_z, d_n * r[k]
        dh[k] = dh[k] * z[k]
        r[k], z[k], n[k] = d_r, d_z, d_n


@numba.njit(**_JIT)
def gru_forward_sequence(x, w_ih_t, b_ih, w_hh_t, b_hh, acts, hn, hs, gh):
    """The whole forward pass of a GRU layer, products included.

    x (T, B, in); w_ih_t (in, 3H), w_hh_t (H, 3H) transposed weights; b_ih, b_hh (3H,);
    acts (T, B, 3H) filled with [r, z, n]; hn (T, B, H) with W_hn h_{t-1} + b_hn;
    hs (T + 1, B, H) with hs[0] the initial state, filled; gh (3H,) scratch.
    """
    T, B, _ = x.shape
    for t in range(T):
        for b in range(B):
            gi = acts[t, b]
            gi[:] = b_ih
            _accumulate(gi, x[t, b], w_ih_t)
            gh[:] = b_hh
            _accumulate(gh, hs[t, b], w_hh_t)
            _gru_forward_row(gi, gh, hs[t, b], hn[t, b], hs[t + 1, b])


@numba.njit(**_JIT)
def gru_backward_sequence(acts, x, hs, hn, dy, w_ih, w_hh, dh, dx, dw_ih_t, dw_hh_t, db_ih, db_hh, dgh, want_dx):
    """The whole backward pass of a GRU layer, products included.

    acts (T, B, 3H) from the forward pass, overwritten with the input-side gradients;
    x, hs, hn as in :func:`gru_forward_sequence`; dy (T, B, H); w_ih (3H, in), w_hh (3H, H);
    dh (B, H): in, d h_n; out, d h_0; dx (T, B, in) filled when ``want_dx``;
    dw_ih_t (in, 3H), dw_hh_t (H, 3H), db_ih, db_hh (3H,): zeroed by the caller,
    accumulated; dgh (B, 3H) scratch.
    """
    T, B, _ = x.shape
    for t in range(T - 1, -1, -1):
        dgi = acts[t]
        for b in range(B):
            for k in range(dh.shape[1]):
                dh[b, k] += dy[t, b, k]
            _gru_backward_row(dgi[b], hn[t, b], hs[t, b], dh[b], dgh[b])
            _accumulate(dh[b], dgh[b], w_hh)  # d h_{t-1} = dh z + dgh W_hh
            if want_dx:
                dx[t, b, :] = 0
                _accumulate(dx[t, b], dgi[b], w_ih)
        for k in range(x.shape[2]):
            _accumulate(dw_ih_t[k], x[t, :, k], dgi)
        for k in range(hs.shape[2]):
            _accumulate(dw_hh_t[k], hs[t, :, k], dgh)
        for b in range(B):
            for j in range(db_ih.shape[0]):
                db_ih[j] += dgi[b, j]
                db_hh[j] += dgh[b, j]
