"""Tasks and corpora: deterministic, shaped as documented, with the right baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstmkit import data


def test_adding_problem_is_deterministic_given_a_seed():
    a = data.adding_problem(16, 30, rng=5)
    b = data.adding_problem(16, 30, rng=np.random.default_rng(5))
    c = data.adding_problem(16, 30, rng=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_adding_problem_marks_one_step_in_each_half_and_targets_their_sum():
    x, y = data.adding_problem(500, 21, rng=1)
    assert x.shape == (500, 21, 2) and y.shape == (500, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    markers = x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :10].sum(axis=1) == 1).all()
    assert (markers[:, 10:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert (x[..., 0] >= 0).all() and (x[..., 0] < 1).all()


def test_always_answering_one_scores_a_sixth_on_the_adding_problem():
    _, y = data.adding_problem(200_000, 10, rng=0)
    mse = float(((y - 1.0) ** 2).mean())
    assert abs(mse - 1 / 6) < 0.003
    assert data.AddingTask().baseline == pytest.approx(1 / 6)


def test_adding_problem_rejects_a_sequence_too_short_for_two_halves():
    with pytest.raises(ValueError, match="seq_len must be an integer >= 2"):
        data.adding_problem(4, 1)


def test_batch_rng_is_a_pure_function_of_seed_and_step():
    task = data.AddingTask(seq_len=12)
    a = task.sample(4, data.batch_rng(3, 17))
    b = task.sample(4, data.batch_rng(3, 17))
    c = task.sample(4, data.batch_rng(3, 18))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(data.split_rng("val", 3).random(3), data.batch_rng(3, 0).random(3))


def test_movie_label_is_readable_only_from_the_cue_frames():
    task = data.MovieTask(seq_len=40, n_classes=3, n_features=6, cue_frames=2, noise=0.1, seed=4)
    x, y = task.sample(300, rng=2)
    assert x.shape == (300, 40, 6) and y.shape == (300,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2}
    # the nearest prototype to the cue frames names the film...
    cue = x[:, :2].mean(axis=1)
    nearest = np.argmin(((cue[:, None, :] - task.prototypes[None]) ** 2).sum(-1), axis=1)
    assert (nearest == y).mean() > 0.95
    # ...while the later frames carry no trace of it (class means of distractors are ~0)
    for label in range(3):
        tail_mean = x[y == label, 2:].mean(axis=(0, 1))
        assert np.abs(tail_mean).max() < 0.1


def test_movie_prototypes_are_shared_by_every_split_and_sample_seed():
    task = data.MovieTask(seed=9)
    again = data.MovieTask(seed=9)
    np.testing.assert_array_equal(task.prototypes, again.prototypes)
    xa, ya = task.sample(8, rng=1, split="val")
    xb, yb = again.sample(8, rng=1, split="val")
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    assert task.baseline == pytest.approx(math.log(task.n_classes))


def test_movie_rejects_a_cue_longer_than_the_clip():
    with pytest.raises(ValueError, match="cue_frames"):
        data.MovieTask(seq_len=2, cue_frames=3)


def test_char_vocab_round_trips_and_maps_unknown_characters_to_id_zero():
    vocab = data.CharVocab.from_text("hello world")
    ids = vocab.encode("hello world")
    assert ids.dtype == np.int64 and (ids > 0).all()
    assert vocab.decode(ids) == "hello world"
    encoded = vocab.encode("hex!")
    assert encoded[2] == 0 and encoded[3] == 0
    assert vocab.decode(encoded) == "he" + vocab.unk * 2
    again = data.CharVocab.from_config(vocab.to_config())
    assert again.chars == vocab.chars


def test_stdlib_text_is_the_same_on_every_call_and_is_prose():
    a = data.stdlib_text(max_chars=5000)
    b = data.stdlib_text(max_chars=5000)
    assert a == b and len(a) == 5000
    assert a.count(" ") > 500  # English words, not a binary blob
    assert "def " in data.stdlib_text(modules=("textwrap",), what="source")


def test_char_windows_shift_targets_by_one_character():
    corpus = data.CharCorpus("abcdefghijklmnopqrstuvwxyz" * 20, val_fraction=0.2)
    x, y = corpus.windows(5, 8, rng=0)
    assert x.shape == (5, 8) and y.shape == (5, 8)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    text = corpus.vocab.decode(x[0]) + corpus.vocab.decode(y[0][-1:])
    assert text in corpus.text
    assert len(corpus.ids["val"]) == 104 and len(corpus.ids["train"]) == 416


def test_unigram_entropy_of_uniform_text_is_log_of_alphabet_size():
    assert data.unigram_entropy("abcd" * 100) == pytest.approx(math.log(4))
    assert data.unigram_entropy("aaaa") == pytest.approx(0.0)
    # frequencies from one text scored on another (smoothed, so never infinite)
    cross = data.unigram_entropy("aaab", "abz")
    assert math.isfinite(cross) and cross > data.unigram_entropy("aaab")


def test_char_task_baseline_is_the_unigram_cross_entropy_of_the_validation_text():
    task = data.CharTask(data.CharCorpus(data.stdlib_text(max_chars=20000)), seq_len=16)
    assert 2.5 < task.baseline < 4.5
    x, y = task.sample(3, rng=0, split="val")
    assert x.shape == (3, 16) and int(x.max()) < len(task.vocab)


def test_as_tensors_puts_host_arrays_on_the_cpu_device():
    x, y = data.as_tensors(np.zeros((2, 3), np.float32), np.arange(2), device="cpu")
    assert x.shape == (2, 3) and x.device == "cpu" and y.dtype == np.int64
