"""Every scheduler against torch.optim.lr_scheduler 2.13: rates, momenta, state dicts both ways."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import optim
from lstmkit.optim import lr_scheduler

pytestmark = pytest.mark.torch


class Halving:
    """A callable object: torch saves its __dict__ in LambdaLR's state dict."""

    def __init__(self) -> None:
        self.rate = 0.5

    def __call__(self, epoch: int) -> float:
        return self.rate ** (epoch // 3)


CASES = {
    "step": (lambda s, o: s.StepLR(o, step_size=3, gamma=0.5), 12),
    "step-default-gamma": (lambda s, o: s.StepLR(o, 2), 7),
    "multistep": (lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 12),
    "exponential": (lambda s, o: s.ExponentialLR(o, gamma=0.9), 10),
    "cosine": (lambda s, o: s.CosineAnnealingLR(o, T_max=5), 17),
    "cosine-eta-min": (lambda s, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.01), 13),
    "one-cycle": (lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=20), 19),
    "one-cycle-linear-three-phase": (lambda s, o: s.OneCycleLR(o, [0.5, 0.2], epochs=3, steps_per_epoch=5, anneal_strategy="linear", three_phase=True, pct_start=0.25), 14),
    "one-cycle-no-momentum": (lambda s, o: s.OneCycleLR(o, 1.0, 10, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0), 9),
    "lambda": (lambda s, o: s.LambdaLR(o, lambda epoch: 0.95**epoch), 8),
    "lambda-per-group": (lambda s, o: s.LambdaLR(o, [lambda e: 1 / (e + 1), Halving()]), 8),
}
PLATEAU = {
    "plateau-min": dict(mode="min", factor=0.5, patience=1),
    "plateau-max-abs-cooldown": dict(mode="max", factor=0.2, patience=0, threshold=0.05, threshold_mode="abs", cooldown=2),
    "plateau-min-lr": dict(patience=0, factor=0.1, min_lr=[0.001, 0.0005], eps=1e-12),
}
METRICS = [1.0, 0.9, 0.95, 0.94, 0.96, 0.5, 0.51, 0.52, 0.53, 0.49, 0.6, 0.7]


def _optimizers(torch, kind):
    ours_p = [lk.tensor([1.0, 2.0], dtype="float64", requires_grad=True), lk.tensor([3.0], dtype="float64", requires_grad=True)]
    theirs_p = [torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True), torch.tensor([3.0], dtype=torch.float64, requires_grad=True)]

    def make(module, params):
        groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
        if kind == "adam":
            return module.Adam(groups, lr=0.1)
        return module.SGD(groups, lr=0.1, momentum=0.9)

    return make(optim, ours_p), make(torch.optim, theirs_p), ours_p, theirs_p


def _fake_steps(opt, params, torch=None):
    for p in params:
        if torch is None:
            p.grad = np.ones(p.shape)
        else:
            p.grad = torch.ones(p.shape, dtype=torch.float64)
    opt.step()


def _groups_view(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def _assert_groups_equal(ours, theirs, where):
    a, b = _groups_view(ours), _groups_view(theirs)
    assert [sorted(g) for g in a] == [sorted(g) for g in b], where
    for ga, gb in zip(a, b, strict=True):
        for key in ga:
            np.testing.assert_allclose(np.asarray(ga[key], dtype=float) if not isinstance(ga[key], bool | type(None)) else 0,
                                       np.asarray(gb[key], dtype=float) if not isinstance(gb[key], bool | type(None)) else 0,
                                       rtol=1e-12, atol=1e-15, err_msg=f"{where}: {key}")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _comparable(state):
    state = dict(state)
    state["lr_lambdas"] = state.get("lr_lambdas")
    if "milestones" in state:
        state["milestones"] = dict(state["milestones"])
    return state


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_and_state_dict_match_torch(torch, case, kind):
    make, steps = CASES[case]
    ours_opt, theirs_opt, ours_p, theirs_p = _optimizers(torch, kind)
    ours, theirs = make(lr_scheduler, ours_opt), make(torch.optim.lr_scheduler, theirs_opt)
    _assert_groups_equal(ours_opt, theirs_opt, f"{case} at construction")
    for step in range(steps):
        _fake_steps(ours_opt, ours_p)
        _fake_steps(theirs_opt, theirs_p, torch)
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15, err_msg=f"{case} step {step}")
        _assert_groups_equal(ours_opt, theirs_opt, f"{case} step {step}")
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert _comparable(ours_sd).keys() == _comparable(theirs_sd).keys()
    for key in ours_sd:
        assert _close(_comparable(ours_sd)[key], _comparable(theirs_sd)[key]), key
    # torch's state dict into a fresh lstmkit scheduler, ours into a fresh torch one; one more step each
    o2_opt, t2_opt, o2_p, t2_p = _optimizers(torch, kind)
    o2, t2 = make(lr_scheduler, o2_opt), make(torch.optim.lr_scheduler, t2_opt)
    o2_opt.load_state_dict(theirs_opt.state_dict())
    o2.load_state_dict(copy.deepcopy(theirs_sd))
    t2_opt.load_state_dict(_to_torch(torch, ours_opt.state_dict()))
    t2.load_state_dict(copy.deepcopy(ours_sd))
    for opt, sched, params, t in ((ours_opt, ours, ours_p, None), (o2_opt, o2, o2_p, None),
                                  (theirs_opt, theirs, theirs_p, torch), (t2_opt, t2, t2_p, torch)):
        _fake_steps(opt, params, t)
        sched.step()
    np.testing.assert_allclose(o2.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
    np.testing.assert_allclose(t2.get_last_lr(), ours.get_last_lr(), rtol=1e-12)
    _assert_groups_equal(o2_opt, theirs_opt, f"{case}: lstmkit loaded from torch")
    _assert_groups_equal(t2_opt, ours_opt, f"{case}: torch loaded from lstmkit")


def _close(a, b) -> bool:
    """Equal structure and types of entries; numbers within 1e-12 relative."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or a is None or isinstance(a, str):
        return a == b
    return b == pytest.approx(a, rel=1e-12, abs=1e-15)


def _to_torch(torch, obj):
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj)
    if isinstance(obj, dict):
        return {k: _to_torch(torch, v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_torch(torch, v) for v in obj]
    return obj


@pytest.mark.parametrize("case", sorted(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch(torch, case):
    ours_opt, theirs_opt, _, _ = _optimizers(torch, "sgd")
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **PLATEAU[case])
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **PLATEAU[case])
    for i, metric in enumerate(METRICS):
        ours.step(metric if i % 2 else lk.tensor(metric))
        theirs.step(metric)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=f"{case} step {i}")
        assert ours.num_bad_epochs == theirs.num_bad_epochs and ours.cooldown_counter == theirs.cooldown_counter
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert all(_close(ours.state_dict()[k], v) for k, v in theirs.state_dict().items())
    fresh = lr_scheduler.ReduceLROnPlateau(optim.SGD([lk.tensor([1.0], requires_grad=True), ], lr=0.1))
    with pytest.raises(lr_scheduler.SchedulerStateError, match="min_lrs"):
        fresh.load_state_dict(theirs.state_dict())  # two groups' min_lrs into a one-group optimiser


def test_scheduler_state_dicts_are_checked_before_anything_changes():
    opt = optim.SGD([lk.tensor([1.0], requires_grad=True)], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    before = sched.state_dict()
    with pytest.raises(lr_scheduler.SchedulerStateError, match="unknown entries \\['T_max'\\]"):
        sched.load_state_dict({**before, "T_max": 3})
    with pytest.raises(lr_scheduler.SchedulerStateError, match="'last_epoch' should be like"):
        sched.load_state_dict({**before, "last_epoch": "3"})
    with pytest.raises(lr_scheduler.SchedulerStateError, match="'base_lrs' should be like"):
        sched.load_state_dict({**before, "base_lrs": [0.1, 0.2]})
    assert sched.state_dict() == before
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="expected an lstmkit optimiser"):
        lr_scheduler.ExponentialLR(object(), 0.9)
    cycle = lr_scheduler.OneCycleLR(optim.SGD([lk.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9), 1.0, total_steps=2)
    cycle.step()
    cycle.step()
    with pytest.raises(ValueError, match="total_steps is 2"):
        cycle.step()
