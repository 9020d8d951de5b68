"""Every optimiser case on CuPy arrays equals the NumPy run (skipped without a usable CUDA device)."""

from __future__ import annotations

import numpy as np
import pytest
from test_optim_torch import CASES, _grouped, _loss_and_grads, _start

import lstmkit as lk
from lstmkit import backend, optim
from lstmkit.optim import lr_scheduler

pytestmark = pytest.mark.gpu


def _run(case: str, device: str, steps: int):
    make, groups = CASES[case]
    values, targets = _start(4)
    params = [lk.tensor(v.copy(), dtype="float64", device=device, requires_grad=True) for v in values]
    opt = make(optim, _grouped(params, groups))
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.9) if not case.startswith("lbfgs") else None

    def closure():
        loss, grads = _loss_and_grads([p.numpy() for p in params], targets)
        for p, g in zip(params, grads, strict=True):
            p.grad = backend.asarray(g, device)
        return loss

    norms = []
    for _ in range(steps):
        opt.step(closure)
        norms.append(optim.clip_grad_norm_(params, 1.0).item())
        if sched is not None:
            sched.step()
    for p in params:
        assert p.device == device
    return [p.numpy() for p in params], norms, opt


@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_on_gpu_matches_numpy(case):
    steps = 2 if case.startswith("lbfgs") else 5
    cpu_values, cpu_norms, cpu_opt = _run(case, "cpu", steps)
    gpu_values, gpu_norms, gpu_opt = _run(case, "cuda", steps)
    np.testing.assert_allclose(gpu_norms, cpu_norms, rtol=1e-10)
    for a, b in zip(gpu_values, cpu_values, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # a GPU state dict is host NumPy and loads onto CPU parameters, and back
    state = gpu_opt.state_dict()
    for entries in state["state"].values():
        for value in entries.values():
            if isinstance(value, list):
                assert all(v is None or isinstance(v, float | int | np.ndarray) for v in value)
            else:
                assert not hasattr(value, "device") or isinstance(value, np.ndarray)
    cpu_opt.load_state_dict(state)
    gpu_opt.load_state_dict(cpu_opt.state_dict())
    for s in gpu_opt.state.values():
        for key, value in s.items():
            if backend.is_array(value) and value.ndim > 0:
                assert backend.device_of(value) == "cuda", key
