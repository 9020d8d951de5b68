"""The GPU path: CuPy gate kernels against their reference twin, and the whole model on
the GPU against the CPU. Skipped where no CUDA device is usable through CuPy."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import backend, nn, optim
from lstmkit.nn import fused_lstm

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.cuda_available(), reason="no usable CUDA device through CuPy"),
]

TOLERANCES = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-13)}


@pytest.fixture
def cp():
    return backend.array_module("cuda")


def _on_gpu(cp, *arrays):
    return [cp.asarray(a) for a in arrays]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_kernel_matches_the_reference_step(cp, dtype):
    gen = np.random.default_rng(0)
    B, H = 5, 7
    gates, rec = (gen.standard_normal((B, 4 * H)).astype(dtype) for _ in range(2))
    c_prev = gen.standard_normal((B, H)).astype(dtype)
    kernel_forward, _ = fused_lstm.kernel_steps(cp)
    results = []
    for step in (kernel_forward, fused_lstm.forward_step_reference):
        g, r, cp_ = _on_gpu(cp, gates, rec, c_prev)
        c, tanh_c, h = (cp.empty((B, H), dtype=dtype) for _ in range(3))
        step(g, r, cp_, c, tanh_c, h)
        results.append([a.get() for a in (g, c, tanh_c, h)])
    for kernel_value, reference_value in zip(*results, strict=True):
        np.testing.assert_allclose(kernel_value, reference_value, **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_kernel_matches_the_reference_step(cp, dtype):
    gen = np.random.default_rng(1)
    B, H = 5, 7
    activations = gen.uniform(0.05, 0.95, (B, 4 * H)).astype(dtype)
    c_prev, tanh_c, dy, dh_rec, dc = (gen.standard_normal((B, H)).astype(dtype) for _ in range(5))
    _, kernel_backward = fused_lstm.kernel_steps(cp)
    results = []
    for step in (kernel_backward, fused_lstm.backward_step_reference):
        g, c0, tc, y, hr, d = _on_gpu(cp, activations, c_prev, np.tanh(tanh_c), dy, dh_rec, dc)
        step(g, c0, tc, y, hr, d, cp.empty((10, B, H), dtype=dtype))
        results.append([g.get(), d.get()])
    for kernel_value, reference_value in zip(*results, strict=True):
        np.testing.assert_allclose(kernel_value, reference_value, **TOLERANCES[dtype])


def test_gpu_step_functions_are_the_kernels_and_cpu_ones_the_reference(cp):
    assert fused_lstm.step_functions(cp) == fused_lstm.kernel_steps(cp)
    assert fused_lstm.step_functions(np) == (fused_lstm.forward_step_reference, fused_lstm.backward_step_reference)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_on_gpu_matches_the_cpu_in_outputs_and_gradients(dtype, num_layers):
    gen = np.random.default_rng(2)
    T, B, n_in, H = 6, 4, 5, 8
    cpu = nn.LSTM(n_in, H, num_layers=num_layers, batch_first=True, dtype=dtype)
    gpu = nn.LSTM(n_in, H, num_layers=num_layers, batch_first=True, dtype=dtype, device="cuda")
    gpu.load_state_dict(cpu.state_dict())
    x_np = gen.standard_normal((B, T, n_in)).astype(dtype)
    h0_np, c0_np = gen.standard_normal((2, num_layers, B, H)).astype(dtype)
    R = gen.standard_normal((B, T, H)).astype(dtype)
    runs = []
    for model, device in ((cpu, "cpu"), (gpu, "cuda")):
        x = lk.tensor(x_np, requires_grad=True, device=device)
        h0 = lk.tensor(h0_np, requires_grad=True, device=device)
        c0 = lk.tensor(c0_np, requires_grad=True, device=device)
        out, (h_n, c_n) = model(x, (h0, c0))
        ((out * lk.tensor(R, device=device)).sum() + h_n.sum() + (c_n * c_n).sum()).backward()
        assert out.device == device
        grads = [backend.to_numpy(t.grad) for t in (x, h0, c0)]
        grads += [backend.to_numpy(p.grad) for p in model.parameters()]
        runs.append([out.numpy(), h_n.numpy(), c_n.numpy(), *grads])
    for cpu_value, gpu_value in zip(*runs, strict=True):
        np.testing.assert_allclose(gpu_value, cpu_value, **TOLERANCES[dtype])


def test_composed_cell_and_layers_run_on_gpu():
    cell = nn.LSTMCell(3, 4, variant="article", device="cuda")
    h, c = cell(lk.tensor(np.ones((2, 3), dtype="float32"), device="cuda"))
    assert h.device == "cuda" and c.shape == (2, 4)
    emb, drop = nn.Embedding(10, 3, device="cuda"), nn.Dropout(0.5)
    y = drop(emb(np.array([1, 2, 2])).to("cuda"))
    y.sum().backward()
    assert emb.weight.grad.shape == (10, 3) and backend.device_of(emb.weight.grad) == "cuda"


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
                                  lambda p: optim.SGD(p, lr=0.1, momentum=0.9)])
def test_optimisers_and_clipping_on_gpu_match_the_cpu(make):
    results = []
    for device in ("cpu", "cuda"):
        lk.rng.manual_seed(3)
        model = nn.Linear(4, 3, dtype="float64", device=device)
        opt = make(list(model.parameters()))
        x = lk.tensor(np.linspace(-1, 1, 8).reshape(2, 4), device=device)
        norms = []
        for _ in range(3):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            norms.append(optim.clip_grad_norm_(model.parameters(), 0.5).item())
            opt.step()
        state = opt.state_dict()
        assert all(isinstance(v, np.ndarray) for s in state["state"].values() for v in s.values() if not np.isscalar(v))
        results.append((model.state_dict(), norms))
    (cpu_state, cpu_norms), (gpu_state, gpu_norms) = results
    np.testing.assert_allclose(gpu_norms, cpu_norms, rtol=1e-12)
    for name in cpu_state:
        np.testing.assert_allclose(gpu_state[name], cpu_state[name], rtol=1e-12)
