"""Every optimiser and option against torch.optim 2.13 in float64: trajectories and state dicts both ways.

The gradients are set by hand from a fixed non-convex function (g = w³ - c, plus a
coupling term), the same arrays for lstmkit and torch, so these tests check the
update rules and nothing else. One test at the end runs real closures through both
autograd engines.
"""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import optim

pytestmark = pytest.mark.torch

SHAPES = ((3, 4), (4,), (2, 1, 3))


def _start(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    gen = np.random.default_rng(seed)
    return [gen.standard_normal(s) for s in SHAPES], [gen.standard_normal(s) * 0.5 for s in SHAPES]


def _loss_and_grads(values: list[np.ndarray], targets: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """f = Σ w⁴/4 - c·w + 0.1 (Σ w)²: gradients w³ - c + 0.2 Σ w."""
    total = sum(v.sum() for v in values)
    loss = sum((v**4).sum() / 4 - (c * v).sum() for v, c in zip(values, targets, strict=True)) + 0.1 * total**2
    return float(loss), [v**3 - c + 0.2 * total for v, c in zip(values, targets, strict=True)]


def _to_torch(torch, obj):
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj)
    if isinstance(obj, dict):
        return {k: _to_torch(torch, v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_torch(torch, v) for v in obj)
    return obj


def _to_numpy(torch, obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().numpy().copy()
    if isinstance(obj, dict):
        return {k: _to_numpy(torch, v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_numpy(torch, v) for v in obj)
    return obj


class Lk:
    """lstmkit side of a run: parameters, grads from numpy, closure."""

    def __init__(self, values, targets, make, groups):
        self.params = [lk.tensor(v.copy(), dtype="float64", requires_grad=True) for v in values]
        self.targets = targets
        self.opt = make(optim, _grouped(self.params, groups))

    def values(self):
        return [p.numpy() for p in self.params]

    def closure(self):
        loss, grads = _loss_and_grads(self.values(), self.targets)
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        return loss

    def step(self):
        self.opt.step(self.closure)


class Torch(Lk):
    def __init__(self, torch, values, targets, make, groups):
        self.torch = torch
        self.params = [torch.tensor(v.copy(), dtype=torch.float64, requires_grad=True) for v in values]
        self.targets = targets
        self.opt = make(torch.optim, _grouped(self.params, groups))

    def values(self):
        return [p.detach().numpy().copy() for p in self.params]

    def closure(self):
        loss, grads = _loss_and_grads(self.values(), self.targets)
        for p, g in zip(self.params, grads, strict=True):
            p.grad = self.torch.from_numpy(g)
        return loss


def _grouped(params, groups):
    """None: one plain list; else a list of (indices, options) param groups."""
    if groups is None:
        return params
    return [{"params": [params[i] for i in indices], **options} for indices, options in groups]


TWO_GROUPS = [((0, 2), {}), ((1,), {"lr": 0.003})]

CASES = {
    "sgd": (lambda m, p: m.SGD(p, lr=0.02), None),
    "sgd-momentum": (lambda m, p: m.SGD(p, lr=0.02, momentum=0.9), None),
    "sgd-dampening": (lambda m, p: m.SGD(p, lr=0.02, momentum=0.8, dampening=0.3), None),
    "sgd-nesterov": (lambda m, p: m.SGD(p, lr=0.02, momentum=0.9, nesterov=True), None),
    "sgd-weight-decay": (lambda m, p: m.SGD(p, 0.02, 0.5, 0, 0.1), None),
    "sgd-maximize": (lambda m, p: m.SGD(p, lr=0.01, momentum=0.5, maximize=True), None),
    "sgd-groups": (lambda m, p: m.SGD(p, lr=0.02, momentum=0.9), TWO_GROUPS),
    "adam": (lambda m, p: m.Adam(p, lr=0.05), None),
    "adam-betas-eps": (lambda m, p: m.Adam(p, 0.05, (0.8, 0.99), 1e-3), None),
    "adam-weight-decay": (lambda m, p: m.Adam(p, lr=0.05, weight_decay=0.1), None),
    "adam-amsgrad": (lambda m, p: m.Adam(p, lr=0.05, amsgrad=True), None),
    "adam-amsgrad-wd-maximize": (lambda m, p: m.Adam(p, lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True), None),
    "adam-decoupled": (lambda m, p: m.Adam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), None),
    "adam-groups": (lambda m, p: m.Adam(p, lr=0.05, amsgrad=True), TWO_GROUPS),
    "adamw": (lambda m, p: m.AdamW(p, lr=0.05), None),
    "adamw-amsgrad": (lambda m, p: m.AdamW(p, 0.05, (0.85, 0.95), 1e-6, 0.3, True), None),
    "rmsprop": (lambda m, p: m.RMSprop(p, lr=0.01), None),
    "rmsprop-alpha-eps-wd": (lambda m, p: m.RMSprop(p, 0.01, 0.9, 1e-4, 0.05), None),
    "rmsprop-momentum": (lambda m, p: m.RMSprop(p, lr=0.01, momentum=0.7), None),
    "rmsprop-centered": (lambda m, p: m.RMSprop(p, lr=0.01, centered=True), None),
    "rmsprop-centered-momentum-maximize": (lambda m, p: m.RMSprop(p, lr=0.005, momentum=0.5, centered=True, maximize=True), None),
    "rmsprop-groups": (lambda m, p: m.RMSprop(p, lr=0.01, momentum=0.7, centered=True), TWO_GROUPS),
    "adagrad": (lambda m, p: m.Adagrad(p, lr=0.1), None),
    "adagrad-lr-decay": (lambda m, p: m.Adagrad(p, lr=0.1, lr_decay=0.05), None),
    "adagrad-accumulator-wd-eps": (lambda m, p: m.Adagrad(p, 0.1, 0, 0.1, 0.5, 1e-6), None),
    "adagrad-maximize": (lambda m, p: m.Adagrad(p, lr=0.05, maximize=True), None),
    "adagrad-groups": (lambda m, p: m.Adagrad(p, lr=0.1, lr_decay=0.01), TWO_GROUPS),
    "lbfgs": (lambda m, p: m.LBFGS(p), None),
    "lbfgs-short-history": (lambda m, p: m.LBFGS(p, lr=0.5, max_iter=4, history_size=2), None),
    "lbfgs-strong-wolfe": (lambda m, p: m.LBFGS(p, line_search_fn="strong_wolfe"), None),
    "lbfgs-strong-wolfe-few-evals": (lambda m, p: m.LBFGS(p, max_iter=5, max_eval=7, history_size=3, line_search_fn="strong_wolfe"), None),
}


def _assert_close(ours, theirs, what):
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{what}, parameter {i}")


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float32)
    return torch


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_torch(torch, case):
    make, groups = CASES[case]
    values, targets = _start()
    ours, theirs = Lk(values, targets, make, groups), Torch(torch, values, targets, make, groups)
    steps = 3 if case.startswith("lbfgs") else 8
    for step in range(steps):
        ours.step()
        theirs.step()
        _assert_close(ours.values(), theirs.values(), f"{case} after step {step + 1}")


def _assert_same_state_dict(torch, ours: dict, theirs: dict, case: str) -> None:
    theirs = _to_numpy(torch, theirs)
    assert [sorted(g) for g in ours["param_groups"]] == [sorted(g) for g in theirs["param_groups"]], case
    for a, b in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert a == b, case
    assert sorted(ours["state"]) == sorted(theirs["state"]), case
    for index, entries in ours["state"].items():
        assert sorted(entries) == sorted(theirs["state"][index]), f"{case}: state[{index}] keys"
        for key, value in entries.items():
            other = theirs["state"][index][key]
            if isinstance(value, list):
                assert len(value) == len(other), f"{case}: {key}"
                for v, o in zip(value, other, strict=True):
                    if v is None or o is None:
                        assert v is None and o is None, f"{case}: {key}"
                    else:
                        np.testing.assert_allclose(v, o, rtol=1e-10, atol=1e-12, err_msg=f"{case}: {key}")
            else:
                np.testing.assert_allclose(np.asarray(value, dtype=float), np.asarray(other, dtype=float),
                                           rtol=1e-10, atol=1e-12, err_msg=f"{case}: {key}")
                if key == "step":
                    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float32


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_has_torchs_layout_and_loads_both_ways(torch, case):
    make, groups = CASES[case]
    values, targets = _start(1)
    steps = 1 if case.startswith("lbfgs") else 4  # one L-BFGS step is up to 20 iterations
    ours, theirs = Lk(values, targets, make, groups), Torch(torch, values, targets, make, groups)
    for _ in range(steps):
        ours.step()
        theirs.step()
    _assert_same_state_dict(torch, ours.opt.state_dict(), theirs.opt.state_dict(), case)

    # ours -> torch (arrays through torch.from_numpy) and torch -> ours (tensors as they are)
    middle = ours.values()
    ours_sd, theirs_sd = ours.opt.state_dict(), theirs.opt.state_dict()
    into_torch = Torch(torch, middle, targets, make, groups)
    into_torch.opt.load_state_dict(_to_torch(torch, ours_sd))
    into_ours = Lk(theirs.values(), targets, make, groups)
    into_ours.opt.load_state_dict(theirs_sd)
    for step in range(steps):
        for run in (ours, theirs, into_torch, into_ours):
            run.step()
        _assert_close(into_torch.values(), ours.values(), f"{case}: torch loaded from lstmkit, step {step + 1}")
        _assert_close(into_ours.values(), theirs.values(), f"{case}: lstmkit loaded from torch, step {step + 1}")
        _assert_close(ours.values(), theirs.values(), f"{case}: uninterrupted runs, step {step + 1}")


@pytest.mark.parametrize("case", ["adam-amsgrad", "rmsprop-centered-momentum-maximize", "sgd-momentum", "adagrad", "lbfgs"])
def test_load_state_dict_copies_and_never_aliases_the_callers_arrays(torch, case):
    make, groups = CASES[case]
    values, targets = _start(2)
    run = Lk(values, targets, make, groups)
    run.step()
    saved = run.opt.state_dict()
    snapshot = _to_numpy(torch, _to_torch(torch, saved))  # a deep copy
    other = Lk(run.values(), targets, make, groups)
    other.opt.load_state_dict(saved)
    other.step()
    other.step()
    _assert_same_state_dict(torch, saved, snapshot, case)  # stepping did not write into `saved`
    theirs = Torch(torch, values, targets, make, groups)
    theirs.step()
    tensors = theirs.opt.state_dict()
    before = _to_numpy(torch, tensors)
    into_ours = Lk(theirs.values(), targets, make, groups)
    into_ours.opt.load_state_dict(tensors)
    into_ours.step()
    _assert_same_state_dict(torch, before, tensors, case)  # nor into torch's tensors


def test_closures_through_both_autograd_engines_give_the_same_lbfgs_and_adam_runs(torch):
    gen = np.random.default_rng(5)
    x, y, w0 = gen.standard_normal((16, 3)), gen.standard_normal((16, 1)), gen.standard_normal((3, 1))

    def run_ours(make):
        w = lk.tensor(w0.copy(), dtype="float64", requires_grad=True)
        opt = make(optim, [w])
        x_t, y_t = lk.tensor(x), lk.tensor(y)

        def closure():
            opt.zero_grad()
            loss = (((x_t @ w).tanh() - y_t) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(3)]
        return losses, w.numpy()

    def run_torch(make):
        w = torch.tensor(w0.copy(), requires_grad=True)
        opt = make(torch.optim, [w])
        x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

        def closure():
            opt.zero_grad()
            loss = ((torch.tanh(x_t @ w) - y_t) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(3)]
        return losses, w.detach().numpy()

    for make in (lambda m, p: m.LBFGS(p, line_search_fn="strong_wolfe"), lambda m, p: m.Adam(p, lr=0.1), lambda m, p: m.LBFGS(p, lr=0.5)):
        (ours_losses, ours_w), (theirs_losses, theirs_w) = run_ours(make), run_torch(make)
        np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-10)
        np.testing.assert_allclose(ours_w, theirs_w, rtol=1e-10, atol=1e-12)


def test_clip_grad_norm_and_value_match_torch(torch):
    gen = np.random.default_rng(3)
    grads = [gen.standard_normal((3, 4)) * 3, gen.standard_normal(5), np.zeros((0, 2))]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        if norm_type == float("inf"):
            grads = grads[:2]  # torch refuses the infinity norm of an empty gradient; lstmkit gives 0
        for max_norm in (0.5, 1e6):
            ours = [lk.tensor(np.zeros_like(g), dtype="float64", requires_grad=True) for g in grads]
            theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
            for o, t, g in zip(ours, theirs, grads, strict=True):
                o.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
            total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type, foreach=True)
            total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
            assert isinstance(total, lk.Tensor) and total.shape == () and total.dtype == np.float64
            np.testing.assert_allclose(total.item(), total_t.item(), rtol=1e-12)
            for o, t in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    ours = [lk.tensor(np.zeros_like(g), dtype="float64", requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads, strict=True):
        o.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
    assert optim.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())


def test_get_total_norm_matches_torch(torch):
    gen = np.random.default_rng(8)
    arrays = [gen.standard_normal((2, 5)), gen.standard_normal(3)]
    for norm_type in (2.0, 1.0, 0.5, float("inf")):
        ours = optim.get_total_norm([lk.tensor(a) for a in arrays], norm_type)
        from_arrays = optim.get_total_norm(arrays, norm_type)
        theirs = torch.nn.utils.get_total_norm([torch.from_numpy(a) for a in arrays], norm_type)
        assert isinstance(ours, lk.Tensor) and ours.dtype == np.float64
        np.testing.assert_allclose([ours.item(), from_arrays.item()], [theirs.item()] * 2, rtol=1e-12)
    assert optim.get_total_norm([]).item() == 0.0
