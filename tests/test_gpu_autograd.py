"""The same gradchecks on CuPy, and CPU/GPU agreement (needs a usable CUDA device)."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases import OP_CASES
from test_autograd_ops import make_inputs

import lstmkit as lk

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), OP_CASES, ids=[c[0] for c in OP_CASES])
def test_op_gradient_matches_finite_differences_on_gpu(name, fn, shapes, kind):
    inputs = make_inputs(shapes, kind, device="cuda")
    assert all(t.device == "cuda" for t in inputs)
    assert lk.gradcheck(fn, inputs)


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), OP_CASES, ids=[c[0] for c in OP_CASES])
def test_gpu_forward_and_backward_equal_cpu(name, fn, shapes, kind):
    cpu = make_inputs(shapes, kind, device="cpu", seed=3)
    gpu = make_inputs(shapes, kind, device="cuda", seed=3)
    out_cpu, out_gpu = fn(*cpu), fn(*gpu)
    np.testing.assert_allclose(out_gpu.numpy(), out_cpu.numpy(), rtol=1e-10, atol=1e-12)
    out_cpu.sum().backward()
    out_gpu.sum().backward()
    for c, g in zip(cpu, gpu, strict=False):
        np.testing.assert_allclose(g.grad.get(), c.grad, rtol=1e-10, atol=1e-12)


def test_to_moves_between_devices_with_gradient():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("cuda") * 3).to("cpu").sum()
    y.backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])
