"""SGD, Adam and clip_grad_norm_: torch's update rules, state save/load, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn, optim


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")


def _problem(seed=0):
    """Two parameters and a fixed quadratic-ish loss with a known gradient per step."""
    gen = np.random.default_rng(seed)
    return gen.standard_normal((3, 4)), gen.standard_normal(4), gen.standard_normal((5, 3))


def _loss_lk(w, b, x):
    return ((x @ w + b).tanh() ** 2).sum()


def _run_lk(make_opt, steps, seed=0):
    w0, b0, x = _problem(seed)
    w, b = lk.tensor(w0, requires_grad=True), lk.tensor(b0, requires_grad=True)
    opt = make_opt([w, b])
    for _ in range(steps):
        opt.zero_grad()
        _loss_lk(w, b, lk.tensor(x)).backward()
        opt.step()
    return w.numpy(), b.numpy()


def _run_torch(torch, make_opt, steps, seed=0):
    w0, b0, x = _problem(seed)
    w, b = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt = make_opt([w, b])
    for _ in range(steps):
        opt.zero_grad()
        (torch.tanh(torch.from_numpy(x) @ w + b) ** 2).sum().backward()
        opt.step()
    return w.detach().numpy(), b.detach().numpy()


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, dampening=0.1),
    dict(lr=0.05, momentum=0.9, nesterov=True),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", SGD_CASES)
def test_sgd_matches_torch_for_several_steps(torch, options):
    ours = _run_lk(lambda p: optim.SGD(p, **options), 6)
    theirs = _run_torch(torch, lambda p: torch.optim.SGD(p, **options), 6)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


ADAM_CASES = [dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.01, weight_decay=0.1)]


@pytest.mark.torch
@pytest.mark.parametrize("options", ADAM_CASES)
def test_adam_matches_torch_for_several_steps(torch, options):
    ours = _run_lk(lambda p: optim.Adam(p, **options), 8)
    theirs = _run_torch(torch, lambda p: torch.optim.Adam(p, **options), 8)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_plain_sgd_step_is_minus_lr_times_grad():
    p = lk.tensor([1.0, -2.0], requires_grad=True)
    p.grad = np.array([0.5, 0.25], dtype="float32")
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.95, -2.025], rtol=1e-6)


def test_first_adam_step_moves_each_weight_by_about_lr():
    p = lk.tensor([1.0, -2.0, 3.0], dtype="float64", requires_grad=True)
    p.grad = np.array([10.0, -0.1, 1e-3])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.numpy(), [0.99, -1.99, 2.99], rtol=1e-5)


def test_zero_grad_clears_gradients_and_params_without_grad_are_skipped():
    a, b = lk.tensor([1.0], requires_grad=True), lk.tensor([2.0], requires_grad=True)
    a.grad = np.array([1.0], dtype="float32")
    opt = optim.SGD([a, b], lr=1.0)
    opt.step()
    assert a.numpy()[0] == 0.0 and b.numpy()[0] == 2.0
    opt.zero_grad()
    assert a.grad is None
    a.grad = np.array([1.0], dtype="float32")
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, [0.0])


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p, lr=0.01), lambda p: optim.SGD(p, lr=0.05, momentum=0.9)])
def test_state_dict_round_trip_continues_exactly_like_an_uninterrupted_run(make):
    uninterrupted = _run_lk(make, 6)
    w0, b0, x = _problem()
    w, b = lk.tensor(w0, requires_grad=True), lk.tensor(b0, requires_grad=True)
    opt = make([w, b])
    for _ in range(3):
        opt.zero_grad()
        _loss_lk(w, b, lk.tensor(x)).backward()
        opt.step()
    saved = opt.state_dict()
    assert all(isinstance(v, np.ndarray) for s in saved["state"].values() for v in s.values() if not np.isscalar(v))
    w2, b2 = lk.tensor(w.numpy(), requires_grad=True), lk.tensor(b.numpy(), requires_grad=True)
    resumed = make([w2, b2])
    resumed.load_state_dict(saved)
    for _ in range(3):
        resumed.zero_grad()
        _loss_lk(w2, b2, lk.tensor(x)).backward()
        resumed.step()
    np.testing.assert_allclose(w2.numpy(), uninterrupted[0], rtol=1e-12)
    np.testing.assert_allclose(b2.numpy(), uninterrupted[1], rtol=1e-12)


def test_optimizer_state_dict_from_another_model_is_rejected_and_changes_nothing():
    small = nn.Linear(2, 3)
    opt = optim.Adam(small.parameters(), lr=0.1)
    small(lk.ones(1, 2)).sum().backward()
    opt.step()
    other = nn.Linear(2, 4)
    other_opt = optim.Adam(other.parameters(), lr=0.5)
    other(lk.ones(1, 2)).sum().backward()
    other_opt.step()
    before = opt.state_dict()
    with pytest.raises(optim.OptimizerStateError, match="shape \\(4, 2\\).*\\(3, 2\\)"):
        opt.load_state_dict(other_opt.state_dict())
    after = opt.state_dict()
    assert after["param_groups"][0]["lr"] == 0.1
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    with pytest.raises(optim.OptimizerStateError, match="groups of sizes"):
        opt.load_state_dict(optim.Adam(nn.LSTM(2, 3).parameters()).state_dict())


def test_param_groups_carry_their_own_learning_rates():
    a, b = lk.tensor([1.0], requires_grad=True), lk.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = np.ones(1, dtype="float32")
    b.grad = np.ones(1, dtype="float32")
    opt.step()
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [0.9, 0.5])
    opt.param_groups[0]["lr"] = 0.0
    opt.step()
    assert a.numpy()[0] == pytest.approx(0.9)


def test_optimizer_arguments_are_checked():
    with pytest.raises(TypeError, match="not a single Tensor"):
        optim.SGD(lk.tensor([1.0], requires_grad=True), lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="lr must be a number >= 0"):
        optim.SGD([lk.tensor([1.0], requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([lk.tensor([1.0], requires_grad=True)], betas=(0.9, 1.0))


def test_clip_grad_norm_scales_gradients_to_max_norm_and_returns_the_old_norm():
    a, b = lk.tensor([0.0, 0.0], requires_grad=True), lk.tensor([0.0], requires_grad=True)
    a.grad = np.array([3.0, 0.0], dtype="float32")
    b.grad = np.array([4.0], dtype="float32")
    total = optim.clip_grad_norm_([a, b], 1.0)
    assert isinstance(total, lk.Tensor) and total.shape == () and total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [0.6, 0.0, 0.8], rtol=1e-5)
    assert optim.clip_grad_norm_([a, b], 10.0).item() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [0.6, 0.0, 0.8], rtol=1e-5)


@pytest.mark.torch
def test_clip_grad_norm_matches_torch_for_two_and_infinity_norms(torch):
    gen = np.random.default_rng(3)
    grads = [gen.standard_normal((3, 4)).astype("float32"), gen.standard_normal(5).astype("float32")]
    for norm_type in (2.0, math.inf):
        ours = [lk.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for o, t, g in zip(ours, theirs, grads, strict=True):
            o.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        total = optim.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
        assert total.item() == pytest.approx(float(total_t), rel=1e-5)
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-5)


def _stepped_adam():
    w = lk.tensor(np.arange(6.0).reshape(2, 3), dtype="float64", requires_grad=True)
    b = lk.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optim.Adam([w, b], lr=0.1, amsgrad=True)
    w.grad, b.grad = np.ones((2, 3)), np.ones(2)
    opt.step()
    return opt, (w, b)


def _frozen(opt):
    sd = opt.state_dict()
    return sd["param_groups"], {i: {k: np.array(v) for k, v in s.items()} for i, s in sd["state"].items()}


def _assert_unchanged(opt, before):
    groups, state = _frozen(opt)
    assert groups == before[0]
    assert state.keys() == before[1].keys()
    for i in state:
        assert state[i].keys() == before[1][i].keys()
        for k in state[i]:
            np.testing.assert_array_equal(state[i][k], before[1][i][k])


def _bad(sd, path, value):
    """A copy of state dict ``sd`` with the entry at ``path`` replaced (or deleted for ...)."""
    import copy as copy_module

    sd = copy_module.deepcopy(sd)
    target = sd
    for key in path[:-1]:
        target = target[key]
    if value is Ellipsis:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return sd


BAD_STATE_DICTS = {
    "not a dict": (None, None, "expected a dict with 'state' and 'param_groups'"),
    "no state": (("state",), Ellipsis, "expected a dict with 'state'"),
    "groups not a list": (("param_groups",), "x", "should be a list of dicts"),
    "one group too many": (("param_groups",), "two", "groups of sizes"),
    "params not indices": (("param_groups", 0, "params"), ["a", "b"], "list of parameter indices"),
    "state index missing": (("state", 7), {"step": 1.0}, "entry for parameter 7"),
    "state not a dict": (("state", 0), [1, 2], "should be a dict"),
    "buffer wrong shape": (("state", 0, "exp_avg"), np.zeros((3, 2)), "shape \\(3, 2\\) but the parameter has shape \\(2, 3\\)"),
    "buffer not an array": (("state", 0, "exp_avg"), "zeros", "should be an array or tensor"),
    "buffer of strings": (("state", 0, "exp_avg_sq"), np.array([["a"] * 3] * 2), "should hold floats"),
    "step negative": (("state", 1, "step"), -1.0, "non-negative number"),
    "step a string": (("state", 1, "step"), "3", "non-negative number"),
    "step an array": (("state", 1, "step"), np.ones(2), "one number"),
    "unknown entry": (("state", 1, "momentum_buffer"), np.ones(2), "unknown entry 'momentum_buffer'"),
    "lr a string": (("param_groups", 0, "lr"), "0.1", "'lr'\\] should be like"),
    "betas one number": (("param_groups", 0, "betas"), 0.9, "'betas'\\] should be like"),
    "amsgrad a number": (("param_groups", 0, "amsgrad"), 1, "'amsgrad'\\] should be like"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATE_DICTS))
def test_bad_optimizer_state_dicts_are_refused_and_change_nothing(case):
    opt, _ = _stepped_adam()
    good = opt.state_dict()
    path, value, message = BAD_STATE_DICTS[case]
    if path is None:
        bad = value
    elif isinstance(value, str) and value == "two":
        bad = _bad(good, path, good["param_groups"] * 2)
    else:
        bad = _bad(good, path, value)
    before = _frozen(opt)
    with pytest.raises(optim.OptimizerStateError, match=message):
        opt.load_state_dict(bad)
    _assert_unchanged(opt, before)


def test_state_is_keyed_by_parameter_and_step_returns_the_closures_loss():
    opt, (w, b) = _stepped_adam()
    assert set(opt.state[w]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert opt.state[w]["step"].dtype == np.float32 and float(opt.state[w]["step"]) == 1.0
    calls = []

    def closure():
        calls.append(1)
        w.grad, b.grad = np.ones((2, 3)), np.ones(2)
        return 42.0

    assert opt.step(closure) == 42.0 and calls == [1]
    assert float(opt.state[b]["step"]) == 2.0


def test_add_param_group_and_zero_grad_follow_torch():
    a, b = lk.tensor([1.0], requires_grad=True), lk.tensor([2.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({a, b}, lr=0.1)
    a.grad, b.grad = np.ones(1, "float32"), np.ones(1, "float32")
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and a.grad[0] == 0 and b.grad[0] == 0
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]


def test_lbfgs_needs_a_closure_and_one_group():
    w = lk.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([w])
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="one group"):
        opt.add_param_group({"params": [lk.tensor([1.0], requires_grad=True)]})
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([w], line_search_fn="backtracking")


def test_lbfgs_minimises_a_quadratic_in_one_step():
    target = np.array([3.0, -1.0, 0.5])
    w = lk.tensor(np.zeros(3), dtype="float64", requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - lk.tensor(target)) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.numpy(), target, atol=1e-8)


def test_unsupported_torch_options_say_so():
    w = [lk.tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match="differentiable=True"):
        optim.Adam(w, differentiable=True)
    with pytest.raises(ValueError, match="fused=True"):
        optim.SGD(w, fused=True)
    optim.Adam(w, foreach=True)  # a speed hint in torch: accepted


def test_clip_grad_norm_error_if_nonfinite_and_clip_grad_value():
    a = lk.tensor([0.0, 0.0], requires_grad=True)
    a.grad = np.array([np.inf, 1.0], dtype="float32")
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(a.grad, [np.inf, 1.0])
    a.grad = np.array([-3.0, 0.2], dtype="float32")
    optim.clip_grad_value_(a, 0.5)
    np.testing.assert_array_equal(a.grad, np.array([-0.5, 0.2], dtype="float32"))
    assert optim.clip_grad_norm_([lk.tensor([1.0], requires_grad=True)], 1.0).item() == 0.0


def _stepped_lbfgs():
    w = lk.tensor([1.0, -2.0, 0.5], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([w], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = (w**4).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return opt


LBFGS_BAD = {
    "direction of another length": ("d", np.zeros(4), "flat vector of 3 values"),
    "history entry of another length": ("old_dirs", [np.zeros(2)], "flat vector of 3 values"),
    "history not a list": ("old_stps", np.zeros(3), "list of vectors"),
    "ro of strings": ("ro", ["x"], "should be a number"),
    "counter negative": ("n_iter", -1, "count"),
    "unknown entry": ("exp_avg", np.zeros(3), "unknown entry 'exp_avg'"),
}


@pytest.mark.parametrize("case", sorted(LBFGS_BAD))
def test_bad_lbfgs_state_is_refused_and_changes_nothing(case):
    opt = _stepped_lbfgs()
    key, value, message = LBFGS_BAD[case]
    good = opt.state_dict()
    bad = {"state": {0: {**good["state"][0], key: value}}, "param_groups": good["param_groups"]}
    before = opt.state_dict()
    with pytest.raises(optim.OptimizerStateError, match=message):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["state"][0].keys() == before["state"][0].keys()
    np.testing.assert_array_equal(after["state"][0]["d"], before["state"][0]["d"])
    assert after["state"][0]["n_iter"] == before["state"][0]["n_iter"]


class SignSGD(optim.Optimizer):
    """A custom optimiser written the torch way: __init__ with defaults, step() over param_groups."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["count"] = state.get("count", 0) + 1
                state["last_sign"] = np.sign(p.grad)
                p.data -= group["lr"] * state["last_sign"]
        return loss


def test_a_torch_style_custom_optimizer_steps_and_keeps_its_own_state():
    w = lk.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    opt = SignSGD([w], lr=0.5)
    w.grad = np.array([3.0, -0.1])
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.5, -1.5])
    saved = opt.state_dict()
    assert saved["state"][0]["count"] == 1
    other = SignSGD([lk.tensor([0.0, 0.0], dtype="float64", requires_grad=True)])
    other.load_state_dict(saved)
    (p,) = other.param_groups[0]["params"]
    assert other.state[p]["count"] == 1 and other.param_groups[0]["lr"] == 0.5
    np.testing.assert_array_equal(other.state[p]["last_sign"], [1.0, -1.0])
    saved["state"][0]["last_sign"][0] = 7.0
    assert other.state[p]["last_sign"][0] == 1.0  # copied, not kept


def test_a_subclass_without_an_update_says_what_to_write():
    class Nothing(optim.Optimizer):
        pass

    w = lk.tensor([1.0], requires_grad=True)
    w.grad = np.ones(1, dtype="float32")
    with pytest.raises(NotImplementedError, match="_update\\(p, grad, group, state\\)"):
        Nothing([w], {"lr": 0.1}).step()
