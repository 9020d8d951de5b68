"""The fused LSTM layer's three CPU paths agree: the NumPy reference steps, the compiled
steps with BLAS products (large sizes), and the compiled whole time loop (small sizes);
and the compiled float32 tanh is as accurate as it claims."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit.nn import compiled, fused_lstm
from lstmkit.nn.fused_lstm import LSTMLayer

numba = pytest.importorskip("numba")  # the extra "fast"; CI installs it with the course

F64 = dict(rtol=1e-10, atol=1e-12)
PATHS = ["numpy", "compiled steps", "compiled whole loop"]


@pytest.fixture
def cpu_path(request, monkeypatch):
    """Force one of the CPU paths of LSTMLayer."""
    path = request.param
    if path == "numpy":
        monkeypatch.setenv("LSTMKIT_COMPILED", "0")
    elif path.startswith("compiled steps"):
        monkeypatch.setattr(compiled, "WHOLE_LOOP_MAX_MACS", 0)
    else:
        monkeypatch.setattr(compiled, "WHOLE_LOOP_MAX_MACS", 1 << 40)
    return path


def _layer_inputs(dtype, bias=True, seed=0):
    gen = np.random.default_rng(seed)
    T, B, n_in, H = 5, 3, 4, 6
    shapes = [(T, B, n_in), (B, H), (B, H), (4 * H, n_in), (4 * H, H)] + ([(4 * H,), (4 * H,)] if bias else [])
    return [lk.tensor(gen.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def _run(inputs):
    """Outputs and every input gradient of one forward + backward with fixed output gradients."""
    out, h_n, c_n = LSTMLayer.apply(*inputs)
    gen = np.random.default_rng(1)
    weights = [gen.standard_normal(t.shape).astype(out.dtype) for t in (out, h_n, c_n)]
    sum((t * w).sum() for t, w in zip((out, h_n, c_n), weights, strict=True)).backward()
    return [out.numpy(), h_n.numpy(), c_n.numpy()] + [t.grad for t in inputs]


def _reference(dtype, bias=True):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSTMKIT_COMPILED", "0")
        return _run(_layer_inputs(dtype, bias))


@pytest.mark.parametrize("cpu_path", PATHS, indirect=True)
@pytest.mark.parametrize("bias", [True, False])
def test_every_cpu_path_gives_the_reference_outputs_and_gradients_in_float64(cpu_path, bias):
    for got, want in zip(_run(_layer_inputs("float64", bias)), _reference("float64", bias), strict=True):
        np.testing.assert_allclose(got, want, **F64)


@pytest.mark.parametrize("cpu_path", PATHS, indirect=True)
def test_every_cpu_path_agrees_in_float32_and_stays_float32(cpu_path):
    results = _run(_layer_inputs("float32"))
    for got, want in zip(results, _reference("float32"), strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("cpu_path", PATHS[1:], indirect=True)
def test_compiled_paths_pass_gradcheck(cpu_path):
    inputs = _layer_inputs("float64")
    assert lk.gradcheck(lambda *t: sum((o * o).sum() for o in LSTMLayer.apply(*t)), inputs)


@pytest.mark.parametrize("cpu_path", PATHS[1:], indirect=True)
def test_compiled_paths_take_non_contiguous_inputs_and_leave_them_unchanged(cpu_path):
    inputs = _layer_inputs("float64")
    x_wide = lk.tensor(np.repeat(inputs[0].numpy(), 2, axis=2), requires_grad=False)
    x_strided = x_wide[:, :, ::2]
    before = x_strided.numpy().copy()
    out, _, _ = LSTMLayer.apply(x_strided, *inputs[1:])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSTMKIT_COMPILED", "0")
        want, _, _ = LSTMLayer.apply(*inputs)
    np.testing.assert_allclose(out.numpy(), want.numpy(), **F64)
    np.testing.assert_array_equal(x_strided.numpy(), before)


def test_the_compiled_kernels_are_used_where_numba_is_and_not_when_disabled(monkeypatch):
    kernels = compiled.kernels_for("float32")
    assert kernels is not None
    assert fused_lstm.step_functions(np, np.float32) == (kernels.forward_step, kernels.backward_step)
    assert compiled.kernels_for("int64") is None
    monkeypatch.setenv("LSTMKIT_COMPILED", "0")
    assert compiled.kernels_for("float32") is None
    assert fused_lstm.step_functions(np, np.float32) == (fused_lstm.forward_step_reference,
                                                         fused_lstm.backward_step_reference)


def test_a_failure_to_compile_falls_back_to_the_numpy_steps(monkeypatch):
    def broken(*_args):
        raise RuntimeError("no compiler here")

    from lstmkit.nn import compiled_kernels

    monkeypatch.setattr(compiled_kernels, "forward_sequence", broken)
    monkeypatch.setattr(compiled, "_kernels_by_dtype", {})
    assert compiled.kernels_for("float64") is None
    for got, want in zip(_run(_layer_inputs("float64")), _reference("float64"), strict=True):
        np.testing.assert_allclose(got, want, **F64)


def test_compiled_float32_tanh_is_within_six_ulp_and_exact_where_it_saturates():
    from lstmkit.nn.compiled_kernels import tanh_of

    @numba.njit
    def tanh_all(x, out):
        for i in range(x.size):
            out[i] = tanh_of(x[i])

    grid = np.concatenate([np.linspace(-12, 12, 1_200_001), np.logspace(-30, 1.2, 100_001),
                           -np.logspace(-30, 1.2, 1001)]).astype(np.float32)
    got = np.empty_like(grid)
    tanh_all(grid, got)
    exact = np.tanh(grid.astype(np.float64))
    ulps = np.abs(got - exact) / np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 6, f"max error {ulps.max():.2f} ulp at x = {grid[ulps.argmax()]}"
    special = np.array([0.0, -0.0, 8.0, -8.0, 1e4, np.inf, -np.inf, np.nan], np.float32)
    out = np.empty_like(special)
    tanh_all(special, out)
    np.testing.assert_array_equal(out[:-1], [0.0, -0.0, 1.0, -1.0, 1.0, 1.0, -1.0])
    assert np.signbit(out[1]) and np.isnan(out[-1])


@pytest.mark.parametrize("dtype, tolerance", [("float64", F64), ("float32", dict(rtol=2e-5, atol=2e-6))])
@pytest.mark.parametrize("bias", [True, False])
def test_compiled_gru_whole_loop_gives_the_numpy_steps_outputs_and_gradients(dtype, tolerance, bias):
    from lstmkit.nn.fused_gru import GRULayer

    gen = np.random.default_rng(3)
    T, B, n_in, H = 5, 3, 4, 6
    shapes = [(T, B, n_in), (B, H), (3 * H, n_in), (3 * H, H)] + ([(3 * H,), (3 * H,)] if bias else [])
    arrays = [gen.standard_normal(s).astype(dtype) for s in shapes]
    weights = [gen.standard_normal(s).astype(dtype) for s in ((T, B, H), (B, H))]

    def run():
        inputs = [lk.tensor(a, requires_grad=True) for a in arrays]
        out, h_n = GRULayer.apply(*inputs)
        ((out * weights[0]).sum() + (h_n * weights[1]).sum()).backward()
        return [out.numpy(), h_n.numpy()] + [t.grad for t in inputs]

    assert compiled.kernels_for(dtype).whole_loop(B, H, gates=3)  # so run() takes the compiled loop
    compiled_results = run()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSTMKIT_COMPILED", "0")
        numpy_results = run()
    for got, want in zip(compiled_results, numpy_results, strict=True):
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, want, **tolerance)


def test_the_layers_hand_the_kernels_c_ordered_arrays_only():
    """A strided or Fortran-ordered argument makes Numba compile a slower variant silently."""
    from lstmkit import nn
    from lstmkit.nn import compiled_kernels

    x = lk.tensor(np.random.default_rng(4).standard_normal((4, 3, 2)), requires_grad=True)
    for layer in (nn.LSTM(2, 5, dtype="float64"), nn.GRU(2, 5, dtype="float64")):
        out, _ = layer(x)
        out.sum().backward()
    kernels = (compiled_kernels.forward_sequence, compiled_kernels.backward_sequence,
               compiled_kernels.gru_forward_sequence, compiled_kernels.gru_backward_sequence)
    for kernel in kernels:
        for signature in kernel.signatures:
            layouts = [arg.layout for arg in signature if isinstance(arg, numba.types.Array)]
            assert set(layouts) == {"C"}, f"{kernel.__name__} compiled for layouts {layouts}"
