"""The fused LSTM and GRU layers' gate arithmetic and small time loops, compiled with Numba.

Optional: where Numba is not installed, cannot compile here, or ``LSTMKIT_COMPILED=0``
is set, :func:`kernels_for` returns None and the layers run the NumPy reference
steps of :mod:`lstmkit.nn.fused_lstm` and :mod:`lstmkit.nn.fused_gru` instead, with the same results to rounding
(``tests/test_compiled.py`` compares the two). The kernels themselves are in
:mod:`.compiled_kernels`, imported on first use so that ``import lstmkit`` does
not pay for importing Numba.

Why it pays (``benchmarks/bench_lstm.py`` measures it): a NumPy step of gate
arithmetic is about 27 ufunc calls, each with a fixed cost of a fraction of a
microsecond and each a pass over memory; compiled, a step is one pass. At small
sizes the whole time loop, recurrent product included, is one call; at large sizes
BLAS does the recurrent product and each step's arithmetic is one call (the LSTM;
the GRU runs its NumPy steps there).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import backend

#: at most this many multiply-adds per step in the recurrent product (batch · hidden · gates · hidden),
#: one compiled call runs the whole time loop, the product included; above it BLAS does the
#: product (crossover measured with benchmarks/bench_lstm.py --crossover)
WHOLE_LOOP_MAX_MACS = 1 << 18


@dataclass(frozen=True)
class CompiledKernels:
    """The compiled kernels (see :mod:`.compiled_kernels` for their contracts)."""

    forward_step: Callable[..., None]
    backward_step: Callable[..., None]
    forward_sequence: Callable[..., None]
    backward_sequence: Callable[..., None]
    gru_forward_sequence: Callable[..., None]
    gru_backward_sequence: Callable[..., None]

    @staticmethod
    def whole_loop(batch: int, hidden: int, gates: int = 4) -> bool:
        """Whether one compiled call should run the whole time loop at this size."""
        return batch * hidden * gates * hidden <= WHOLE_LOOP_MAX_MACS


#: dtype as asked for (a dtype, a type or a name) -> its kernels, or None where there are none
_kernels_by_dtype: dict[Any, CompiledKernels | None] = {}


def kernels_for(dtype: Any) -> CompiledKernels | None:
    """The compiled kernels for NumPy arrays of ``dtype`` (float32 or float64), or None
    when Numba is missing, disabled (``LSTMKIT_COMPILED=0``) or fails to compile."""
    if os.environ.get("LSTMKIT_COMPILED", "1") == "0":
        return None
    if dtype not in _kernels_by_dtype:  # once per dtype: the layers ask at every call
        name = _float_name(dtype)
        if name is not None and name not in _kernels_by_dtype:
            _kernels_by_dtype[name] = _compile(name)
        _kernels_by_dtype[dtype] = _kernels_by_dtype[name] if name is not None else None
    return _kernels_by_dtype[dtype]


def _float_name(dtype: Any) -> str | None:
    """"float32" or "float64" for those dtypes however named, else None."""
    try:
        name = backend.array_module("cpu").dtype(dtype).name
    except TypeError:
        return None
    return name if name in ("float32", "float64") else None


def _compile(dtype_name: str) -> CompiledKernels | None:
    """Import the kernels, compile them for ``dtype_name`` (or load them from Numba's
    cache) and run each once on a tiny problem; None if any of that fails."""
    np = backend.array_module("cpu")  # Numba compiles for NumPy arrays only
    try:
        from . import compiled_kernels as k  # noqa: PLC0415  (imports Numba: only when used)

        kernels = CompiledKernels(k.forward_step, k.backward_step, k.forward_sequence, k.backward_sequence,
                                  k.gru_forward_sequence, k.gru_backward_sequence)
        T, B, n_in, H = 2, 1, 1, 1
        x, dx = np.zeros((2, T, B, n_in), dtype_name)
        gates = np.zeros((T, B, 4 * H), dtype_name)
        hs, cs = np.zeros((2, T + 1, B, H), dtype_name)
        tanh_c, dy = np.zeros((2, T, B, H), dtype_name)
        w_ih, w_hh = np.zeros((4 * H, n_in), dtype_name), np.zeros((4 * H, H), dtype_name)
        bias, state = np.zeros(4 * H, dtype_name), np.zeros((B, H), dtype_name)
        kernels.forward_sequence(x, w_ih.T.copy(), bias, w_hh.T.copy(), gates, hs, cs, tanh_c)
        kernels.backward_sequence(gates, x, hs, cs, tanh_c, dy, w_ih, w_hh, state, state.copy(), dx,
                                  w_ih.T.copy(), w_hh.T.copy(), bias.copy(), True)
        kernels.forward_step(gates[0], gates[1], cs[0], cs[1], tanh_c[0], hs[1])
        kernels.backward_step(gates[0], cs[0], tanh_c[0], dy[0], state, state.copy(), tanh_c)
        acts, w3_ih, w3_hh, b3 = gates[:, :, : 3 * H].copy(), w_ih[: 3 * H].copy(), w_hh[: 3 * H].copy(), bias[: 3 * H]
        kernels.gru_forward_sequence(x, w3_ih.T.copy(), b3, w3_hh.T.copy(), b3, acts, tanh_c, hs, b3.copy())
        kernels.gru_backward_sequence(acts, x, hs, tanh_c, dy, w3_ih, w3_hh, state, dx, w3_ih.T.copy(),
                                      w3_hh.T.copy(), b3.copy(), b3.copy(), acts[0].copy(), True)
    except Exception:  # noqa: BLE001  (Numba missing or unable to compile: the NumPy steps serve)
        return None
    return kernels
