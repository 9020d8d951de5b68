"""The exercise registry: well-formed specs, deterministic cases, reachable hints."""

from __future__ import annotations

import inspect

import numpy
import pytest

from lstmkit.course import EXERCISES, by_notebook, get_exercise
from lstmkit.course.compute import compute_outputs
from lstmkit.course.judge import judge, judge_case, reference_outputs
from lstmkit.course.model import Exercise

NAMES = list(EXERCISES)


def trusted_verdict(ex, answer, seed=0):
    """The judge's Result on an answer of the course's own (the references and their variants)."""
    cases = ex.cases(seed)
    return judge(ex, cases, [compute_outputs(ex.spec, answer, case, trusted=True) for case in cases])


def _arrays(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, numpy.ndarray):
        yield value


def test_registry_holds_the_course_exercises_with_their_points():
    points = {name: ex.spec.points for name, ex in EXERCISES.items()}
    assert points == {
        "Sigmoid": 2, "Tanh": 2, "learn_gate": 3, "forget_gate": 2, "remember_gate": 2,
        "use_gate_article": 3, "use_gate_standard": 2, "lstm_cell": 3, "unroll": 2, "clip_grad_norm": 3,
        "greedy_decode": 3, "ctc_probability": 2,
    }
    assert list(by_notebook()) == [
        "01_autograd", "02_learn_gate", "03_forget_gate", "04_remember_gate",
        "05_use_gate", "06_lstm_cell", "07_clip_grad_norm", "08_ctc_decoding",
    ]


def test_unknown_exercise_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="learn_gate"):
        get_exercise("lern_gate")


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_consistent_with_its_reference(name):
    ex = EXERCISES[name]
    assert isinstance(ex, Exercise)
    spec = ex.spec
    assert set(spec.differentiable) <= set(spec.signature)
    assert spec.notebook.startswith(f"{ex.lesson:02d}_")
    if spec.kind == "function":
        assert tuple(inspect.signature(ex.reference).parameters) == spec.signature
    assert len(ex.make_inputs) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_cases_are_deterministic_float64_and_differ_between_seeds(name):
    ex = EXERCISES[name]
    first, again, other = ex.cases(0), ex.cases(0), ex.cases(1)
    labels = [case.label for case in first]
    assert any("batch 1" in label or "(1, 1)" in label or "one gradient" in label for label in labels)
    assert any("extreme" in label or "zero" in label for label in labels)
    for a, b in zip(first, again, strict=True):
        assert set(a.inputs) == set(ex.spec.signature)
        for x, y in zip(_arrays(a.inputs), _arrays(b.inputs), strict=True):
            assert x.dtype == numpy.float64
            numpy.testing.assert_array_equal(x, y)
    moved = [not numpy.array_equal(x, y) for a, b in zip(first, other, strict=True)
             for x, y in zip(_arrays(a.inputs), _arrays(b.inputs), strict=True) if x.any()]
    assert any(moved)


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_every_case_with_gradients_for_every_input(name):
    ex = EXERCISES[name]
    for case in ex.cases(0):
        ref = reference_outputs(ex, case)
        assert ref.failure is None and ref.values
        for array in ref.values.values():
            assert numpy.isfinite(array).all()
        leaves = {path for path in ref.grads}
        for arg in ex.spec.differentiable:
            assert any(path == arg or path.startswith(arg + ".") for path in leaves), arg
        assert judge_case(ex, case, compute_outputs(ex.spec, ex.reference, case, trusted=True)).passed


@pytest.mark.parametrize("name", NAMES)
def test_every_typical_mistake_fails_and_gets_its_own_hint(name):
    ex = EXERCISES[name]
    for hint in ex.hints:
        result = trusted_verdict(ex, hint.variant)
        assert not result.passed, hint.text
        assert result.score == 0
        assert result.hint == hint.text, (hint.text, result.message)


def test_gate_cases_saturate_the_gates_in_the_extreme_case():
    ex = EXERCISES["forget_gate"]
    extreme = ex.cases(0)[-1]
    x = numpy.concatenate([extreme.inputs["stm_prev"], extreme.inputs["event"]], axis=-1)
    pre = x @ extreme.inputs["W_f"].T + extreme.inputs["b_f"]
    assert numpy.abs(pre).max() > 20
