"""The GPU twins of the fused GRU and RNN steps against their NumPy references, and
GRU, RNN and bidirectional/projected/packed LSTM on the GPU against the CPU.
Skipped where no CUDA device is usable through CuPy."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import backend, nn
from lstmkit.nn import fused_gru, fused_rnn

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.cuda_available(), reason="no usable CUDA device through CuPy"),
]

TOLERANCES = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-13)}
B, H = 5, 7


@pytest.fixture
def cp():
    return backend.array_module("cuda")


def _both(cp, run, *arrays):
    """run(step, *device arrays) with the kernel and with the reference; host results of each."""
    return [run(step, *[cp.asarray(a) for a in arrays]) for step in ("kernel", "reference")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gru_kernels_match_the_reference_steps(cp, dtype):
    gen = np.random.default_rng(0)
    gi, gh = (gen.standard_normal((B, 3 * H)).astype(dtype) for _ in range(2))
    h_prev, dh = (gen.standard_normal((B, H)).astype(dtype) for _ in range(2))
    kernels = fused_gru.kernel_steps(cp)
    references = (fused_gru.forward_step_reference, fused_gru.backward_step_reference)

    def run(which, gi, gh, h_prev, dh):
        forward, backward = kernels if which == "kernel" else references
        hn, h = cp.empty((B, H), dtype=dtype), cp.empty((B, H), dtype=dtype)
        forward(gi, gh, h_prev, hn, h)
        values = [gi.get(), hn.get(), h.get()]
        dgh, dh_direct = cp.empty((B, 3 * H), dtype=dtype), cp.empty((B, H), dtype=dtype)
        backward(gi, hn, h_prev, dh, dgh, dh_direct, cp.empty((2, B, H), dtype=dtype))
        return values + [gi.get(), dgh.get(), dh_direct.get()]

    for kernel_value, reference_value in zip(*_both(cp, run, gi, gh, h_prev, dh), strict=True):
        np.testing.assert_allclose(kernel_value, reference_value, **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_kernels_match_the_reference_steps(cp, dtype, nonlinearity):
    gen = np.random.default_rng(1)
    pre, rec, dy, dh_rec = (gen.standard_normal((B, H)).astype(dtype) for _ in range(4))
    kernels = fused_rnn.kernel_steps(cp, nonlinearity)
    references = (fused_rnn.forward_step_reference, fused_rnn.backward_step_reference)

    def run(which, pre, rec, dy, dh_rec):
        forward, backward = kernels if which == "kernel" else references
        h, dz = cp.empty((B, H), dtype=dtype), cp.empty((B, H), dtype=dtype)
        forward(pre, rec, h, nonlinearity)
        backward(h, dy, dh_rec, dz, nonlinearity)
        return [h.get(), dz.get()]

    for kernel_value, reference_value in zip(*_both(cp, run, pre, rec, dy, dh_rec), strict=True):
        np.testing.assert_allclose(kernel_value, reference_value, **TOLERANCES[dtype])


def test_gpu_step_functions_are_the_kernels(cp):
    assert fused_gru.step_functions(cp) == fused_gru.kernel_steps(cp)
    assert fused_rnn.step_functions(cp, "relu") == fused_rnn.kernel_steps(cp, "relu")
    assert fused_gru.step_functions(np) == (fused_gru.forward_step_reference, fused_gru.backward_step_reference)


LAYERS = [
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(bidirectional=True, proj_size=3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize(("kind", "options"), LAYERS)
def test_layers_on_gpu_match_the_cpu_in_outputs_and_gradients(dtype, packed, kind, options):
    gen = np.random.default_rng(2)
    T, n_in, lengths = 6, 4, [6, 3, 5, 1, 6]
    cpu = getattr(nn, kind)(n_in, H, dtype=dtype, **options)
    gpu = getattr(nn, kind)(n_in, H, dtype=dtype, device="cuda", **options)
    gpu.load_state_dict(cpu.state_dict())
    x_np = gen.standard_normal((T, B, n_in)).astype(dtype)
    runs = []
    for model, device in ((cpu, "cpu"), (gpu, "cuda")):
        x = lk.tensor(x_np, requires_grad=True, device=device)
        inp = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False) if packed else x
        out, final = model(inp)
        if packed:
            out, _ = nn.utils.rnn.pad_packed_sequence(out)
        finals = list(final) if kind == "LSTM" else [final]
        weight = lk.tensor(np.linspace(-1, 1, int(np.prod(out.shape))).reshape(out.shape).astype(dtype), device=device)
        ((out * weight).sum() + sum((f * f).sum() for f in finals)).backward()
        grads = [backend.to_numpy(x.grad)] + [backend.to_numpy(p.grad) for p in model.parameters()]
        runs.append([out.numpy()] + [f.numpy() for f in finals] + grads)
    for cpu_value, gpu_value in zip(*runs, strict=True):
        np.testing.assert_allclose(gpu_value, cpu_value, **TOLERANCES[dtype])
