"""check() in a notebook and `lstmkit grade` give the same verdict, score, message and hint.

Both run the same case loop on the same inputs and the same judge (the course layer's
one exercise model), so they cannot disagree by construction; this test holds them to
it on the grading corpus and on a set of answers, right and wrong, that includes 0-d
inputs and scalar outputs. Corpus entries whose outcome depends on the sandbox itself
(timeouts, crashes, refused files or sockets, a patched NumPy) have no in-notebook
counterpart and are compared only where both sides can run.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from lstmkit.course.checker import run_check
from lstmkit.course.compute import compile_cell
from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.sandbox import Limits
from lstmkit.course.grade.submission import code_cells
from lstmkit.course.kernel import SANDBOX_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
corpus = sys.modules.get("grading_corpus") or importlib.util.module_from_spec(_spec)
if "grading_corpus" not in sys.modules:
    sys.modules["grading_corpus"] = corpus
    _spec.loader.exec_module(corpus)

SEED = 1  # the grader's default, the hidden tests' seed
COMPARABLE_CORPUS = ("reference", "blank", "always_equal", "fake_passed", "forbidden", "stripped_metadata",
                     "duplicated_metadata", "sys_exit")

CLIP = "def clip_grad_norm(grads, max_norm):\n    \"\"\"Clip.\"\"\"\n"
ANSWERS = {
    "clip_copies_and_numpy_norm": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = np.sqrt(sum((g * g).sum() for g in grads))\n"
        "    scale = min(1.0, max_norm / (total + 1e-6))\n"
        "    return [g.copy() * scale for g in grads], total\n")}),
    "clip_in_place_on_copies": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = float(sum(float((g ** 2).sum()) for g in grads)) ** 0.5\n"
        "    out = [np.array(g, copy=True) for g in grads]\n"
        "    if total > max_norm:\n"
        "        for c in out:\n"
        "            c *= max_norm / (total + 1e-6)\n"
        "    return out, total\n")}),
    "clip_scalars_as_floats": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = sum(float(np.sum(np.square(g))) for g in grads) ** 0.5\n"
        "    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], np.float64(total)\n")}),
    "clip_changes_its_inputs": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = sum(float((g * g).sum()) for g in grads) ** 0.5\n"
        "    for g in grads:\n"
        "        g *= min(1.0, max_norm / (total + 1e-6))\n"
        "    return grads, total\n")}),
    "clip_per_array": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    out = [g * min(1.0, max_norm / (np.sqrt((g * g).sum()) + 1e-6)) for g in grads]\n"
        "    return out, sum(float((g * g).sum()) for g in grads) ** 0.5\n")}),
    "clip_without_epsilon": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = sum(float((g * g).sum()) for g in grads) ** 0.5\n"
        "    return [g * min(1.0, max_norm / total) for g in grads], total\n")}),
    "clip_extra_output": ("07_clip_grad_norm", {"clip_grad_norm": CLIP + (
        "    total = sum(float((g * g).sum()) for g in grads) ** 0.5\n"
        "    out = [g * min(1.0, max_norm / (total + 1e-6)) for g in grads]\n"
        "    return out + [np.zeros(1)], total\n")}),
    "sigmoid_overflowing": ("01_autograd", {"Sigmoid": (
        "class Sigmoid(lk.Function):\n"
        "    def forward(self, x):\n"
        "        self.out = 1 / (1 + np.exp(-x))\n"
        "        return self.out\n\n"
        "    def backward(self, grad):\n"
        "        return grad * self.out * (1 - self.out)\n")}),
    "sigmoid_no_chain_rule": ("01_autograd", {"Sigmoid": (
        "class Sigmoid(lk.Function):\n"
        "    def forward(self, x):\n"
        "        self.out = np.tanh(x / 2) / 2 + 0.5\n"
        "        return self.out\n\n"
        "    def backward(self, grad):\n"
        "        return self.out * (1 - self.out)\n")}),
    "learn_gate_event_first": ("02_learn_gate", {"learn_gate": (
        "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n"
        "    x = lk.concat([event, stm_prev], axis=-1)\n"
        "    return (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n")}),
    "learn_gate_numpy": ("02_learn_gate", {"learn_gate": (
        "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n"
        "    x = np.concatenate([stm_prev, event], axis=-1)\n"
        "    return np.tanh(x @ W_n.T + b_n)\n")}),
    "unroll_returns_a_list": ("06_lstm_cell", {"unroll": (
        "def unroll(events, stm0, ltm0, weights):\n"
        "    stm, ltm, out = stm0, ltm0, []\n"
        "    for t in range(events.shape[0]):\n"
        "        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n"
        "        out.append(stm)\n"
        "    return out\n")}),
}


def _submissions(folder: Path) -> dict[str, bytes]:
    found = {f"corpus_{case}": (corpus.STEM, corpus.submission(case)) for case in COMPARABLE_CORPUS}
    found |= {name: (stem, corpus.answer_submission(stem, answers)) for name, (stem, answers) in ANSWERS.items()}
    for learner, (stem, data) in found.items():
        (folder / learner).mkdir(parents=True)
        (folder / learner / f"{stem}.ipynb").write_bytes(data)
    return {learner: data for learner, (stem, data) in found.items()}


def _checked_in_a_notebook(data: bytes, names: list[str]) -> dict[str, object]:
    """What check() says for each exercise after the notebook's cells ran, as a learner's kernel runs them."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    os.environ[SANDBOX_VARIABLE] = "1"  # the notebook's own check() cells: deferred, only the answers matter here
    try:
        for cell in code_cells(data):
            try:
                exec(compile_cell(cell.source, cell.index), namespace)  # noqa: S102
            except BaseException:  # noqa: BLE001  (a cell that raises, as in Jupyter, leaves the others)
                pass
    finally:
        del os.environ[SANDBOX_VARIABLE]
    return {name: run_check(name, namespace[name], seed=SEED) for name in names if name in namespace}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subs")
    data = _submissions(folder)
    limits = Limits(exercise_timeout=5.0, submission_timeout=60.0)
    batch = grade_submissions([folder], tmp_path_factory.mktemp("out"), Settings(seed=SEED, limits=limits), workers=2)
    return data, {r.learner: r for r in batch.results}


@pytest.mark.parametrize("learner", [f"corpus_{c}" for c in COMPARABLE_CORPUS] + list(ANSWERS))
def test_check_and_grade_give_the_same_verdict_score_message_and_hint(both, learner):
    data, graded = both
    grader = graded[learner].results
    checked = _checked_in_a_notebook(data[learner], list(grader))
    assert checked, "no exercise could be checked in the notebook"
    for name, mine in checked.items():
        theirs = grader[name]
        assert (mine.passed, mine.score, mine.kind) == (theirs.passed, theirs.score, theirs.kind), name
        assert mine.message == theirs.message and mine.hint == theirs.hint, name


def test_the_answer_set_covers_passes_and_failures_with_zero_d_inputs(both):
    _, graded = both
    clip = {name: graded[name].results["clip_grad_norm"] for name in ANSWERS if name.startswith("clip_")}
    assert clip["clip_copies_and_numpy_norm"].passed and clip["clip_in_place_on_copies"].passed
    assert clip["clip_scalars_as_floats"].passed
    assert not clip["clip_changes_its_inputs"].passed and "in place" in clip["clip_changes_its_inputs"].message
    assert clip["clip_extra_output"].kind == "wrong_structure"
    assert not clip["clip_per_array"].passed and not clip["clip_without_epsilon"].passed
