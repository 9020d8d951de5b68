"""Feedback that finds the learner's mistake: typical wrong answers, in check() and in lstmkit grade.

Every wrong answer of tests/feedback_answers.py must fail with the same verdict in both,
with a hint that names its actual mistake; every correct answer written differently must
pass in both; and every mistake the rules derive from a reference must be recognised
when it is submitted as an answer.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy
import pytest

from lstmkit.course.checker import run_check
from lstmkit.course.compute import compile_cell, compute_outputs
from lstmkit.course.exercises import EXERCISES
from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.sandbox import Limits
from lstmkit.course.grade.submission import code_cells
from lstmkit.course.judge import candidates, judge
from lstmkit.course.kernel import SANDBOX_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus = _load("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
answers = _load("feedback_answers", ROOT / "tests" / "feedback_answers.py")
SEED = 1
ALL = {**{n: (ex, src) for n, (ex, src, _) in answers.WRONG.items()}, **answers.RIGHT}


def _checked(data: bytes, exercise: str):
    """check()'s verdict after running the notebook's cells, as a learner's kernel would."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    os.environ[SANDBOX_VARIABLE] = "1"  # the notebook's own check cells are deferred here
    try:
        for cell in code_cells(data):
            try:
                exec(compile_cell(cell.source, cell.index), namespace)  # noqa: S102
            except Exception:  # noqa: BLE001
                pass
    finally:
        del os.environ[SANDBOX_VARIABLE]
    return run_check(exercise, namespace[exercise], seed=SEED)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answers")
    data = {}
    for name, (exercise, source) in ALL.items():
        stem = answers.NOTEBOOK[exercise]
        data[name] = corpus.answer_submission(stem, answers.cells(name, exercise, source))
        (folder / name).mkdir()
        (folder / name / f"{stem}.ipynb").write_bytes(data[name])
    limits = Limits(exercise_timeout=10.0, submission_timeout=120.0)
    batch = grade_submissions([folder], tmp_path_factory.mktemp("out"), Settings(seed=SEED, limits=limits), workers=2)
    return data, {r.learner: r for r in batch.results}


@pytest.mark.parametrize("name", list(answers.WRONG))
def test_wrong_answer_fails_alike_and_the_hint_names_its_mistake(graded, name):
    data, results = graded
    exercise, _, words = answers.WRONG[name]
    mine, theirs = _checked(data[name], exercise), results[name].results[exercise]
    assert not mine.passed and not theirs.passed
    assert (mine.kind, mine.message, mine.hint, mine.trace) == (theirs.kind, theirs.message, theirs.hint, theirs.trace)
    assert words in mine.hint, (mine.message, mine.hint)
    if mine.kind == "wrong_value" and EXERCISES[exercise].spec.kind == "function":
        assert "is not" in mine.trace, mine.trace  # the first named result that goes wrong


@pytest.mark.parametrize("name", list(answers.RIGHT))
def test_correct_answer_written_differently_passes_in_both(graded, name):
    data, results = graded
    exercise, _ = answers.RIGHT[name]
    mine, theirs = _checked(data[name], exercise), results[name].results[exercise]
    assert mine.passed and theirs.passed, (mine.message, theirs.message)


def test_a_tape_cut_by_numpy_is_placed_at_the_gate_that_cut_it():
    import lstmkit as lk

    def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
        x = lk.concat([stm_prev, event], axis=-1)
        n = lk.tensor((x @ W_n.T + b_n).tanh().numpy())  # a round trip through NumPy
        return n * (x @ W_i.T + b_i).sigmoid()

    result = run_check("learn_gate", learn_gate)
    assert result.kind == "wrong_gradient" and "the tape is cut at N_t" in result.trace


def test_an_unrecognised_slip_is_localised_without_a_hint():
    import lstmkit as lk

    def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
        x = lk.concat([stm_prev, event], axis=-1)
        return (x @ W_n.T + b_n).tanh() * ((x @ W_i.T + b_i) * 3.0).sigmoid()

    result = run_check("learn_gate", learn_gate)
    assert not result.passed and result.hint == ""
    assert result.trace.startswith("N_t is right; i_t is not")


def _same(first, second) -> bool:
    """Two answers' outputs on every case are the same (values and gradients)."""
    for a, b in zip(first, second, strict=True):
        if set(a.values) != set(b.values) or set(a.grads) != set(b.grads):
            return False
        pairs = [(a.values[p], b.values[p]) for p in a.values] + [(a.grads[p], b.grads[p]) for p in a.grads]
        if not all((x is None) == (y is None) and (x is None or (x.shape == y.shape and numpy.allclose(
                   x, y, rtol=1e-9, atol=1e-12)))
                   for x, y in pairs):
            return False
    return True


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_rule_derived_mistake_is_recognised_when_submitted(name):
    """Each derived mistake that runs on the hidden cases is named when submitted; when two slips give the
    same outputs they cannot be told apart, and the first one's words are the ones given."""
    exercise = EXERCISES[name]
    cases = exercise.cases(SEED)
    reference = [compute_outputs(exercise.spec, exercise.reference, case, trusted=True) for case in cases]
    seen: list[tuple[str, list]] = []
    tried = 0
    for hint in candidates(exercise):
        outputs = [compute_outputs(exercise.spec, hint.variant, case, trusted=True) for case in cases]
        if any(o.failure is not None for o in outputs) or _same(outputs, reference):
            continue  # a slip that cannot run on these shapes, or one that changes nothing
        expected = next((text for text, other in seen if _same(outputs, other)), hint.text)
        seen.append((hint.text, outputs))
        result = judge(exercise, cases, outputs)
        assert not result.passed and result.hint == expected, (hint.text, result.hint, result.message)
        tried += 1
    assert tried >= 5, f"the rules derive only {tried} runnable mistakes"
