"""The four gates compute the course's equations, any batch size, with named errors."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import gates

H, E, B = 3, 2, 4


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.fixture
def w():
    rng = np.random.default_rng(0)
    arrays = {k: rng.standard_normal((H, H + E)) for k in ("W_n", "W_i", "W_f", "W_v")}
    arrays |= {k: rng.standard_normal(H) for k in ("b_n", "b_i", "b_f", "b_v", "b_u")}
    arrays["W_u"] = rng.standard_normal((H, H))
    arrays |= {"stm": rng.standard_normal((B, H)), "ltm": rng.standard_normal((B, H)), "event": rng.standard_normal((B, E))}
    return arrays


def T(array):
    return lk.tensor(array, requires_grad=True)


def test_learn_gate_is_tanh_times_sigmoid_of_stm_then_event(w):
    joined = np.concatenate([w["stm"], w["event"]], axis=1)
    out = gates.learn_gate(T(w["stm"]), T(w["event"]), T(w["W_n"]), T(w["b_n"]), T(w["W_i"]), T(w["b_i"]))
    N = np.tanh(joined @ w["W_n"].T + w["b_n"])
    i = sigmoid(joined @ w["W_i"].T + w["b_i"])
    np.testing.assert_allclose(out.N_t.numpy(), N)
    np.testing.assert_allclose(out.i_t.numpy(), i)
    np.testing.assert_allclose(out.output.numpy(), N * i)


def test_forget_and_remember_gates(w):
    joined = np.concatenate([w["stm"], w["event"]], axis=1)
    forget = gates.forget_gate(T(w["stm"]), T(w["event"]), T(w["ltm"]), T(w["W_f"]), T(w["b_f"]))
    f = sigmoid(joined @ w["W_f"].T + w["b_f"])
    np.testing.assert_allclose(forget.f_t.numpy(), f)
    np.testing.assert_allclose(forget.output.numpy(), w["ltm"] * f)
    learn_out = T(np.ones((B, H)))
    np.testing.assert_allclose(gates.remember_gate(forget.output, learn_out).numpy(), w["ltm"] * f + 1)


def test_use_gate_variants_differ_exactly_as_documented(w):
    joined = np.concatenate([w["stm"], w["event"]], axis=1)
    V = sigmoid(joined @ w["W_v"].T + w["b_v"])
    forget_out, ltm_new = w["ltm"] * 0.5, w["ltm"] * 0.5 + 0.3
    article = gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), variant="article",
                             forget_output=T(forget_out), W_u=T(w["W_u"]), b_u=T(w["b_u"]))
    standard = gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), variant="standard", ltm=T(ltm_new))
    np.testing.assert_allclose(article.output.numpy(), np.tanh(forget_out @ w["W_u"].T + w["b_u"]) * V)
    np.testing.assert_allclose(standard.output.numpy(), np.tanh(ltm_new) * V)
    np.testing.assert_allclose(article.V_t.numpy(), standard.V_t.numpy())


@pytest.mark.parametrize("variant", ["article", "standard"])
def test_lstm_step_gradients_reach_every_weight_and_pass_gradcheck(w, variant):
    names = ["W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v"] + (["W_u", "b_u"] if variant == "article" else [])
    tensors = [T(w[n]) for n in names]

    def step(event, stm, ltm, *weights):
        out = gates.lstm_step(event, stm, ltm, dict(zip(names, weights, strict=True)), variant=variant)
        return out.stm * 2 + out.ltm

    assert lk.gradcheck(step, [T(w["event"][:2]), T(w["stm"][:2]), T(w["ltm"][:2]), *tensors])


def test_one_event_without_batch_dimension_works(w):
    out = gates.learn_gate(T(w["stm"][0]), T(w["event"][0]), T(w["W_n"]), T(w["b_n"]), T(w["W_i"]), T(w["b_i"]))
    assert out.output.shape == (H,)


def test_shape_errors_name_gate_argument_and_expected_shape(w):
    with pytest.raises(lk.ShapeError, match=r"learn_gate: W_n has shape \(3, 4\).*must be \(hidden, hidden \+ event\) = \(3, 5\)"):
        gates.learn_gate(T(w["stm"]), T(w["event"]), T(np.ones((3, 4))), T(w["b_n"]), T(w["W_i"]), T(w["b_i"]))
    with pytest.raises(lk.ShapeError, match=r"forget_gate: b_f has shape \(2,\); it must be \(hidden,\) = \(3,\)"):
        gates.forget_gate(T(w["stm"]), T(w["event"]), T(w["ltm"]), T(w["W_f"]), T(np.ones(2)))
    with pytest.raises(lk.ShapeError, match="forget_gate: ltm_prev has shape"):
        gates.forget_gate(T(w["stm"]), T(w["event"]), T(np.ones((B, 2))), T(w["W_f"]), T(w["b_f"]))
    with pytest.raises(lk.ShapeError, match=r"use_gate: W_u has shape \(3, 5\)"):
        gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), forget_output=T(w["ltm"]),
                       W_u=T(w["W_n"]), b_u=T(w["b_u"]))
    with pytest.raises(lk.ShapeError, match="learn_gate: stm_prev has shape"):
        gates.learn_gate(T(w["stm"][:2]), T(w["event"]), T(w["W_n"]), T(w["b_n"]), T(w["W_i"]), T(w["b_i"]))


def test_use_gate_says_what_each_variant_needs(w):
    with pytest.raises(TypeError, match="needs forget_output"):
        gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), variant="article")
    with pytest.raises(TypeError, match="needs ltm"):
        gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), variant="standard")
    with pytest.raises(ValueError, match="variant must be"):
        gates.use_gate(T(w["stm"]), T(w["event"]), T(w["W_v"]), T(w["b_v"]), variant="peephole")
    with pytest.raises(KeyError, match=r"missing \['W_u', 'b_u'\]"):
        gates.lstm_step(T(w["event"]), T(w["stm"]), T(w["ltm"]), {k: T(w[k]) for k in ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v")}, variant="article")
