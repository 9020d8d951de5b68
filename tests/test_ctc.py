"""CTC: the loss against brute force, gradcheck and torch; greedy and beam decoding."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lstmkit as lk
import lstmkit.functional as F
from lstmkit.ctc import collapse, ctc_beam_search, ctc_greedy_decode, ctc_loss


def _log_softmax(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def _random_case(rng: np.random.Generator, steps: int, batch: int, classes: int, max_target: int):
    logits = rng.normal(size=(steps, batch, classes)) * 2.0
    input_lengths = rng.integers(1, steps + 1, size=batch)
    input_lengths[0] = steps
    target_lengths = rng.integers(0, max_target + 1, size=batch)
    targets = rng.integers(1, classes, size=(batch, max_target))
    return logits, targets, input_lengths, target_lengths


def _brute_force_nll(log_probs: np.ndarray, target: list[int], blank: int = 0) -> float:
    """-log of the summed probability of every path of length T that collapses to ``target``."""
    steps, classes = log_probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        if collapse(path, blank) == list(target):
            total += np.exp(sum(log_probs[t, s] for t, s in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def test_loss_equals_the_sum_over_every_path():
    rng = np.random.default_rng(0)
    log_probs = _log_softmax(rng.normal(size=(5, 1, 3)))
    for target, blank in [([1, 2], 0), ([1, 1], 0), ([2], 0), ([], 0), ([0, 2], 1), ([1, 1, 1], 0)]:
        loss = ctc_loss(lk.tensor(log_probs), np.array([target], dtype=int).reshape(1, -1), [5], [len(target)],
                        blank=blank, reduction="none")
        assert loss.numpy()[0] == pytest.approx(_brute_force_nll(log_probs[:, 0], target, blank), rel=1e-12)


def test_impossible_alignment_is_infinite_or_zero_with_zero_infinity():
    log_probs = lk.tensor(_log_softmax(np.random.default_rng(1).normal(size=(3, 1, 4))), requires_grad=True)
    # "1 1 1" needs five columns (1 - 1 - 1); three are not enough
    loss = ctc_loss(log_probs, [[1, 1, 1]], [3], [3], reduction="none")
    assert np.isinf(loss.numpy()[0])
    zeroed = ctc_loss(log_probs, [[1, 1, 1]], [3], [3], reduction="sum", zero_infinity=True)
    assert zeroed.item() == 0.0
    zeroed.backward()
    assert np.all(np.asarray(log_probs.grad) == 0.0)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_gradcheck_float64(reduction):
    rng = np.random.default_rng(2)
    logits, targets, input_lengths, target_lengths = _random_case(rng, steps=7, batch=3, classes=4, max_target=3)
    target_lengths = np.minimum(target_lengths, (input_lengths - 1) // 2)  # every alignment possible
    log_probs = lk.tensor(_log_softmax(logits), requires_grad=True)
    weights = lk.tensor(rng.normal(size=3))

    def fn(lp):
        loss = ctc_loss(lp, targets, input_lengths, target_lengths, reduction=reduction)
        return loss * weights if reduction == "none" else loss

    assert lk.gradcheck(fn, [log_probs])


def test_gradcheck_through_log_softmax_with_repeats_and_concatenated_targets():
    rng = np.random.default_rng(3)
    logits = lk.tensor(rng.normal(size=(6, 2, 3)), requires_grad=True)
    targets = np.array([1, 1, 2, 2])  # "1 1" and "2 2" concatenated

    def fn(x):
        return ctc_loss(F.log_softmax(x, 2), targets, [6, 5], [2, 2])

    assert lk.gradcheck(fn, [logits])


def test_targets_may_be_padded_or_concatenated_and_unbatched():
    rng = np.random.default_rng(4)
    log_probs = _log_softmax(rng.normal(size=(8, 2, 5)))
    padded = ctc_loss(lk.tensor(log_probs), [[1, 2, 3], [4, 4, 0]], [8, 6], [3, 2], reduction="none").numpy()
    joined = ctc_loss(lk.tensor(log_probs), [1, 2, 3, 4, 4], [8, 6], [3, 2], reduction="none").numpy()
    np.testing.assert_array_equal(padded, joined)
    single = ctc_loss(lk.tensor(log_probs[:, 0]), [1, 2, 3], 8, 3, reduction="none")
    assert single.shape == () and single.item() == padded[0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lp: ctc_loss(lp, [[1, 2]], [9], [2]), "at most T"),
        (lambda lp: ctc_loss(lp, [[1, 0]], [4], [2]), "other than blank"),
        (lambda lp: ctc_loss(lp, [[1, 7]], [4], [2]), r"in \[0, 5\)"),
        (lambda lp: ctc_loss(lp, [[1, 2]], [4], [3]), "exceeds the padded"),
        (lambda lp: ctc_loss(lp, [1, 2], [4], [3]), "sum to 3"),
        (lambda lp: ctc_loss(lp, [[1, 2]], [4, 4], [2]), "one entry per sequence"),
        (lambda lp: ctc_loss(lp, [[1, 2]], [4], [2], reduction="avg"), "reduction must be"),
        (lambda lp: ctc_loss(lp, [[1, 2]], [4], [2], blank=5), "blank must be"),
        (lambda lp: ctc_loss(lp, [[1.5, 2]], [4], [2]), "integers"),
        (lambda lp: ctc_loss(lp.numpy(), [[1, 2]], [4], [2]), "lstmkit Tensor"),
    ],
)
def test_bad_arguments_say_what_was_expected(call, message):
    log_probs = lk.tensor(_log_softmax(np.zeros((4, 1, 5))))
    with pytest.raises((ValueError, TypeError), match=message):
        call(log_probs)


# --------------------------------------------------------------------------- torch


def _torch_case(seed: int, steps: int, batch: int, classes: int, max_target: int, blank: int):
    rng = np.random.default_rng(seed)
    logits, targets, input_lengths, target_lengths = _random_case(rng, steps, batch, classes, max_target)
    targets = np.where(targets == blank, 0 if blank else 1, targets) if blank else targets
    if blank:
        targets = rng.choice([c for c in range(classes) if c != blank], size=targets.shape)
    targets[1, :] = targets[1, 0]  # one sequence of one repeated label
    return logits, targets, input_lengths, target_lengths


CASES = [  # seed, T, N, C, S, blank
    (0, 10, 4, 5, 4, 0),
    (1, 15, 5, 3, 7, 0),  # long targets: many impossible, some just possible
    (2, 6, 3, 6, 2, 5),  # blank is the last class
    (3, 20, 6, 4, 9, 0),
    (4, 1, 2, 3, 1, 0),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_equals_torch_ctc_loss_in_float64(case, reduction, zero_infinity, layout):
    torch = pytest.importorskip("torch")
    seed, steps, batch, classes, max_target, blank = case
    logits, targets, input_lengths, target_lengths = _torch_case(seed, steps, batch, classes, max_target, blank)
    if layout == "concatenated":
        targets = np.concatenate([targets[n, : target_lengths[n]] for n in range(batch)])

    theirs_in = torch.tensor(logits, requires_grad=True)
    theirs = torch.nn.functional.ctc_loss(
        theirs_in.log_softmax(2), torch.tensor(targets), torch.tensor(input_lengths), torch.tensor(target_lengths),
        blank=blank, reduction=reduction, zero_infinity=zero_infinity,
    )
    ours_in = lk.tensor(logits, requires_grad=True)
    ours = F.ctc_loss(F.log_softmax(ours_in, 2), targets, input_lengths, target_lengths,
                      blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
    slope = np.random.default_rng(seed + 100).normal(size=ours.shape)
    theirs.backward(torch.tensor(slope))
    ours.backward(lk.tensor(slope))
    np.testing.assert_allclose(np.asarray(ours_in.grad), theirs_in.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_slope_with_respect_to_log_probs_is_torchs_less_its_softmax_term():
    """torch's backward adds exp(log_probs) times each sequence's slope (removed again by log_softmax)."""
    torch = pytest.importorskip("torch")
    logits, targets, input_lengths, target_lengths = _torch_case(5, 9, 3, 4, 3, 0)
    target_lengths = np.minimum(target_lengths, (input_lengths - 1) // 2)
    log_probs = _log_softmax(logits)
    theirs_in = torch.tensor(log_probs, requires_grad=True)
    torch.nn.functional.ctc_loss(theirs_in, torch.tensor(targets), torch.tensor(input_lengths),
                                 torch.tensor(target_lengths), reduction="sum").backward()
    ours_in = lk.tensor(log_probs, requires_grad=True)
    ctc_loss(ours_in, targets, input_lengths, target_lengths, reduction="sum").backward()
    inside = (np.arange(9)[:, None] < input_lengths[None, :])[:, :, None]
    np.testing.assert_allclose(np.asarray(ours_in.grad) + np.exp(log_probs) * inside, theirs_in.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_float32_close_to_torch():
    torch = pytest.importorskip("torch")
    logits, targets, input_lengths, target_lengths = _torch_case(6, 30, 4, 8, 6, 0)
    logits = logits.astype(np.float32)
    theirs = torch.nn.functional.ctc_loss(torch.tensor(logits).log_softmax(2), torch.tensor(targets),
                                          torch.tensor(input_lengths), torch.tensor(target_lengths),
                                          reduction="none", zero_infinity=True)
    ours = ctc_loss(F.log_softmax(lk.tensor(logits), 2), targets, input_lengths, target_lengths,
                    reduction="none", zero_infinity=True)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-4)


# --------------------------------------------------------------------------- decoding


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([0, 1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert collapse([1, 1, 1]) == [1]
    assert collapse([0, 0]) == []
    assert collapse([2, 2, 3], blank=3) == [2]


def test_greedy_decode_reads_the_best_column_symbols():
    path = np.array([0, 3, 3, 0, 3, 1, 0, 0])
    scores = np.full((8, 2, 4), -5.0)
    scores[np.arange(8), 0, path] = 0.0
    scores[:, 1, 2] = 0.0
    assert ctc_greedy_decode(scores) == [[3, 3, 1], [2]]
    assert ctc_greedy_decode(lk.tensor(scores), input_lengths=[3, 0]) == [[3], []]


def test_beam_search_finds_the_likeliest_labelling_of_a_small_case():
    rng = np.random.default_rng(7)
    log_probs = _log_softmax(rng.normal(size=(5, 1, 3)) * 1.5)
    totals: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(3), repeat=5):
        key = tuple(collapse(path))
        totals[key] = totals.get(key, 0.0) + np.exp(sum(log_probs[t, 0, s] for t, s in enumerate(path)))
    best = max(totals, key=totals.get)
    [(labels, score)] = ctc_beam_search(log_probs, beam_width=200)
    assert tuple(labels) == best
    assert score == pytest.approx(np.log(totals[best]), rel=1e-12)


def test_beam_search_can_beat_greedy():
    # two columns: greedy reads "blank blank" (empty), but "1" has more paths in total
    probs = np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]])
    [(labels, _)] = ctc_beam_search(np.log(probs), beam_width=4)
    assert ctc_greedy_decode(np.log(probs)) == [[]]
    assert labels == [1]


# --------------------------------------------------------------------------- GPU twin


@pytest.mark.gpu
def test_cupy_recursion_equals_numpy():
    logits, targets, input_lengths, target_lengths = _torch_case(8, 25, 5, 6, 8, 0)
    results = {}
    for device in ("cpu", "cuda"):
        x = lk.tensor(logits, requires_grad=True, device=device)
        loss = ctc_loss(F.log_softmax(x, 2), targets, input_lengths, target_lengths,
                        reduction="mean", zero_infinity=True)
        loss.backward()
        assert x.grad is not None
        results[device] = (loss.item(), lk.backend.to_numpy(x.grad))
    assert results["cuda"][0] == pytest.approx(results["cpu"][0], rel=1e-12)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-10, atol=1e-13)
