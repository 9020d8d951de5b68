"""check() and assert_passes(): verdicts, hints, and the feedback a learner sees."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit.course import EXERCISES, assert_passes, check
from lstmkit.course.compute import compute_outputs
from lstmkit.course.forbidden import Forbidden, in_objects

# ------------------------------------------------------------------ answers a learner might write


def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([stm_prev, event], axis=-1)
    return (joined @ W_n.T + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()


def learn_gate_in_blocks(stm_prev, event, W_n, b_n, W_i, b_i):
    """W split into the columns that read STM and those that read E; sigmoid via exp."""
    hidden = stm_prev.shape[-1]

    def project(W, b):
        return stm_prev @ W[:, :hidden].T + event @ W[:, hidden:].T + b

    i_t = 1 / (1 + (-project(W_i, b_i)).exp())
    N_t = 2 / (1 + (-2 * project(W_n, b_n)).exp()) - 1  # tanh written with exp
    return i_t * N_t


def learn_gate_stub(stm_prev, event, W_n, b_n, W_i, b_i):
    # YOUR CODE HERE
    raise NotImplementedError("learn_gate is not implemented yet")


def learn_gate_numpy(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = np.concatenate([stm_prev, event], axis=-1)
    return np.tanh(joined @ W_n.T + b_n) * (1 / (1 + np.exp(-(joined @ W_i.T + b_i))))


def learn_gate_detached(stm_prev, event, W_n, b_n, W_i, b_i):
    return lk.tensor(learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).numpy())


def learn_gate_as_array(stm_prev, event, W_n, b_n, W_i, b_i):
    return learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).numpy()


def learn_gate_with_library(stm_prev, event, W_n, b_n, W_i, b_i):
    return lk.gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i).output


def learn_gate_swapped(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([event, stm_prev], axis=-1)
    return (joined @ W_n.T + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()


def learn_gate_w_not_transposed(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([stm_prev, event], axis=-1)
    return (joined @ W_n + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()


def learn_gate_ignores_W_i(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([stm_prev, event], axis=-1)
    # right values only because W_i's data is used outside the graph
    i_t = (joined @ lk.Tensor(W_i.data).T + b_i).sigmoid()
    return (joined @ W_n.T + b_n).tanh() * i_t


class Sigmoid(lk.Function):
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))  # overflows (harmlessly) at x = -1e4
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class SigmoidForgetsChainRule(lk.Function):
    def forward(self, x):
        self.out = np.tanh(x / 2) / 2 + 0.5
        return self.out

    def backward(self, grad):
        return self.out * (1 - self.out)


class SigmoidInconsistent(lk.Function):
    """Right values, and a backward that disagrees with finite differences."""

    def forward(self, x):
        self.out = np.tanh(x / 2) / 2 + 0.5
        return self.out

    def backward(self, grad):
        return grad * 0.3


def unroll_returns_list(events, stm0, ltm0, weights):
    from lstmkit.course.exercises.e06_lstm_cell import lstm_cell as cell

    stm, ltm, stms = stm0, ltm0, []
    for t in range(events.shape[0]):
        stm, ltm = cell(events[t], stm, ltm, weights)
        stms.append(stm)
    return stms


def clip_grad_norm(grads, max_norm):
    total = sum(float((g * g).sum()) for g in grads) ** 0.5
    if total <= max_norm:
        return [g.copy() for g in grads], total
    return [g * (max_norm / total) for g in grads], total


def clip_grad_norm_no_epsilon(grads, max_norm):
    total = sum(float((g * g).sum()) for g in grads) ** 0.5
    scale = min(1.0, max_norm / total)
    return [g * scale for g in grads], total


# ------------------------------------------------------------------ verdicts


def test_correct_answer_passes_with_full_points_and_is_truthy():
    result = check("learn_gate", learn_gate, quiet=True)
    assert result and result.passed and result.score == 3 and result.points == 3
    assert "values and gradients match" in result.message


def test_equivalent_formula_with_weight_blocks_passes():
    assert check("learn_gate", learn_gate_in_blocks, quiet=True).passed


def test_stub_reports_not_implemented_without_raising(capsys):
    result = check("learn_gate", learn_gate_stub)
    printed = capsys.readouterr().out
    assert not result and result.not_implemented and result.score == 0
    assert "learn_gate is not implemented yet" in printed
    assert "Traceback" not in printed and "YOUR CODE HERE" in printed


def test_numpy_on_tensors_is_caught_with_a_hint_naming_the_line():
    result = check("learn_gate", learn_gate_numpy, quiet=True)
    assert not result and result.kind == "numpy_in_graph"
    assert "np.concatenate" in result.message  # the learner's line
    assert "x.tanh()" in result.hint


def test_numpy_array_output_reports_right_values_but_no_gradient():
    result = check("learn_gate", learn_gate_as_array, quiet=True)
    assert result.kind == "not_a_tensor"
    assert result.message.count("the values are right") == 1
    assert "NumPy" in result.hint


def test_result_rewrapped_in_a_new_tensor_has_no_graph():
    result = check("learn_gate", learn_gate_detached, quiet=True)
    assert result.kind == "no_graph"


def test_missing_gradient_names_the_input_it_does_not_reach():
    result = check("learn_gate", learn_gate_ignores_W_i, quiet=True)
    assert result.kind == "no_gradient"
    assert "W_i" in result.message


def test_library_gate_is_refused():
    result = check("learn_gate", learn_gate_with_library, quiet=True)
    assert result.kind == "forbidden"
    assert "lstmkit.gates" in result.message


def test_forbidden_scan_follows_helpers_and_ignores_allowed_numpy():
    def helper(stm_prev, event):
        return lk.gates.join_stm_event(stm_prev, event)

    def answer(stm_prev, event, W_n, b_n, W_i, b_i):
        return helper(stm_prev, event)

    assert in_objects(answer, Forbidden(("lstmkit.gates",))) == ["lstmkit.gates.join_stm_event"]
    assert in_objects(Sigmoid, Forbidden(("lstmkit.autograd", "torch"))) == []
    assert in_objects(clip_grad_norm, Forbidden(("clip_grad_norm_",))) == []


def test_swapped_join_order_gets_the_order_hint_and_shows_numbers():
    result = check("learn_gate", learn_gate_swapped, quiet=True)
    assert "[E_t, STM_{t-1}]" in result.hint
    assert "should be" in result.message and "largest difference" in result.message


def test_untransposed_weight_gets_the_matmul_hint():
    result = check("learn_gate", learn_gate_w_not_transposed, quiet=True)
    assert result.kind == "error"
    assert "x @ W.T" in result.hint
    assert "ShapeError" in result.message


def test_function_class_that_overflows_fails_the_stated_stability_with_a_remedy_on_arrays():
    result = check("Sigmoid", Sigmoid, quiet=True)
    assert not result.passed and result.kind == "unstable"
    assert "overflow" in result.message and "np.exp(-np.abs(x))" in result.hint and ".sigmoid()" not in result.hint


def test_function_class_backward_without_chain_rule_gets_hint():
    result = check("Sigmoid", SigmoidForgetsChainRule, quiet=True)
    assert result.kind == "wrong_gradient"
    assert "incoming gradient" in result.hint


def test_gradcheck_runs_on_the_learners_op():
    ex = EXERCISES["Sigmoid"]
    outputs = compute_outputs(ex.spec, SigmoidInconsistent, ex.cases(0)[0])
    assert outputs.gradcheck is not None and "finite differences" in outputs.gradcheck
    assert compute_outputs(ex.spec, Sigmoid, ex.cases(0)[0]).gradcheck is None


def test_function_instead_of_class_says_a_class_is_expected():
    result = check("Tanh", lambda x: x, quiet=True)
    assert "should be a class" in result.message


def test_list_instead_of_stacked_tensor_gets_stack_hint():
    result = check("unroll", unroll_returns_list, quiet=True)
    assert result.kind == "wrong_structure"
    assert "lk.stack" in result.message


def test_clipping_written_differently_and_without_epsilon_passes_zero_case_fails_clearly():
    assert check("clip_grad_norm", clip_grad_norm, quiet=True).passed
    result = check("clip_grad_norm", clip_grad_norm_no_epsilon, quiet=True)
    assert not result and "all gradients zero" in result.message
    assert "epsilon" in result.hint


def test_assert_passes_raises_with_the_feedback():
    assert assert_passes("learn_gate", learn_gate).passed
    with pytest.raises(AssertionError, match=r"\[E_t, STM_\{t-1\}\]"):
        assert_passes("learn_gate", learn_gate_swapped)


def test_feedback_html_is_a_small_escaped_box():
    result = check("learn_gate", learn_gate_swapped, quiet=True)
    box = result._repr_html_()
    assert box.startswith('<div class="lstmkit-check"') and "Hint:" in box
    assert "<STM" not in box  # text is escaped
    assert repr(result).startswith("<check learn_gate: not passed")


def test_elementwise_product_with_weights_gets_the_matrix_product_hint():
    def answer(stm_prev, event, W_n, b_n, W_i, b_i):
        joined = lk.concat([stm_prev, event], axis=-1)
        return ((joined * W_n).sum(axis=-1) + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()

    result = check("learn_gate", answer, quiet=True)
    assert "cannot be broadcast" in result.message
    assert "matrix product `@`" in result.hint


def test_missing_return_is_named():
    def answer(stm_prev, event, W_n, b_n, W_i, b_i):
        lk.concat([stm_prev, event], axis=-1)

    result = check("learn_gate", answer, quiet=True)
    assert "returned None" in result.message and "return" in result.message
