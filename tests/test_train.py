"""The training loop: it learns, it evaluates, it logs, and a resumed run is the same run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstmkit import data, models, rng, train


def _adding_model(cell: str = "lstm", seed: int = 0) -> models.SequenceRegressor:
    rng.manual_seed(seed)
    return models.SequenceRegressor(2, 8, 1, cell=cell)


class Recorder:
    """A live plot stand-in that remembers every update."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float, float | None]] = []

    def update(self, step: int, loss: float, val: float | None) -> None:
        self.calls.append((step, loss, val))


def test_trainer_reduces_the_loss_on_a_short_adding_problem():
    task = data.AddingTask(seq_len=6)
    trainer = train.Trainer(_adding_model(), task, steps=60, batch_size=32, lr=0.02, eval_every=30, eval_size=128, progress=False)
    before = trainer.evaluate()
    history = trainer.fit()
    after = trainer.evaluate()
    assert len(history) == 60 and [h["step"] for h in history] == list(range(1, 61))
    assert after < 0.5 * before
    assert after < data.ADDING_TRIVIAL_MSE


def test_history_has_validation_on_eval_steps_and_grad_norms_when_clipping():
    task = data.MovieTask(seq_len=5, n_classes=3, n_features=4, cue_frames=1)
    rng.manual_seed(0)
    model = models.SequenceClassifier(4, 6, 3)
    plot = Recorder()
    trainer = train.Trainer(
        model, task, steps=6, batch_size=8, eval_every=3, eval_size=16, clip_norm=0.5, progress=False, live_plot=plot
    )
    history = trainer.fit()
    assert [h["step"] for h in history if "val" in h] == [3, 6]
    assert all(h["grad_norm"] >= 0 for h in history)
    assert [c[0] for c in plot.calls] == list(range(1, 7))
    assert plot.calls[2][2] == history[2]["val"] and plot.calls[0][2] is None
    assert plot.calls[-1][1] == history[-1]["loss"]


def test_clip_norm_none_records_no_grad_norm_and_sgd_is_available():
    trainer = train.Trainer(_adding_model(), data.AddingTask(seq_len=4), steps=2, batch_size=4, eval_size=4,
                            clip_norm=None, optim="sgd", progress=False)
    history = trainer.fit()
    assert "grad_norm" not in history[0]
    assert type(trainer.optimizer).__name__ == "SGD"


def test_validation_set_is_fixed_by_the_seed_and_apart_from_training_batches():
    task = data.AddingTask(seq_len=5)
    a = train.Trainer(_adding_model(), task, eval_size=8, seed=3, progress=False)
    b = train.Trainer(_adding_model(), task, eval_size=8, seed=3, progress=False)
    np.testing.assert_array_equal(a.validation_set()[0].numpy(), b.validation_set()[0].numpy())
    assert not np.array_equal(a.validation_set()[0].numpy()[:4], a.batch(0)[0].numpy()[:4])


def _run(steps_first: int, steps_total: int, tmp_path, cell: str) -> list[dict]:
    """Train to steps_first, checkpoint, rebuild everything from scratch, resume to steps_total."""
    task = data.AddingTask(seq_len=5)
    settings = dict(steps=steps_total, batch_size=8, lr=0.01, eval_every=2, eval_size=16, progress=False, seed=5)
    first = train.Trainer(_adding_model(cell, seed=11), task, **settings)
    first.fit(steps_first)
    first.save(tmp_path / "mid.npz")
    rng.manual_seed(999)  # a fresh process would start from other random state
    rng.generator().random(17)
    second = train.Trainer(_adding_model(cell, seed=12), data.AddingTask(seq_len=5), **settings)
    second.resume(tmp_path / "mid.npz")
    assert second.step == steps_first
    return second.fit()


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_resumed_run_follows_the_uninterrupted_loss_trajectory(tmp_path, cell):
    task = data.AddingTask(seq_len=5)
    straight = train.Trainer(_adding_model(cell, seed=11), task, steps=8, batch_size=8, lr=0.01, eval_every=2,
                             eval_size=16, progress=False, seed=5).fit()
    resumed = _run(3, 8, tmp_path, cell)
    assert [h["step"] for h in resumed] == [h["step"] for h in straight]
    np.testing.assert_allclose([h["loss"] for h in resumed], [h["loss"] for h in straight], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        [h["val"] for h in resumed if "val" in h], [h["val"] for h in straight if "val" in h], rtol=1e-6
    )


def test_periodic_checkpoints_are_written_and_hold_the_step(tmp_path):
    path = tmp_path / "run" / "ckpt.npz"
    trainer = train.Trainer(_adding_model(), data.AddingTask(seq_len=4), steps=4, batch_size=4, eval_size=4,
                            checkpoint_every=2, checkpoint_path=str(path), progress=False)
    trainer.fit(2)
    from lstmkit.checkpoint import read_checkpoint

    assert read_checkpoint(path).step == 2
    trainer.fit()
    ckpt = read_checkpoint(path)
    assert ckpt.step == 4 and len(ckpt.history) == 4
    assert ckpt.extra["train_config"]["batch_size"] == 4 and ckpt.extra["task"]["task"] == "adding"


def test_char_model_learns_below_the_unigram_baseline_on_repetitive_text():
    text = "the cat sat on the mat. " * 40
    task = data.CharTask(data.CharCorpus(text, val_fraction=0.2), seq_len=12)
    rng.manual_seed(0)
    model = models.CharModel(len(task.vocab), embed_size=8, hidden_size=24)
    trainer = train.Trainer(model, task, steps=80, batch_size=16, lr=0.02, eval_every=80, eval_size=32, progress=False)
    trainer.fit()
    assert trainer.history[-1]["val"] < 0.6 * task.baseline
    sample = models.generate(model, task.vocab, "the ", length=30, temperature=0.5, rng=0)
    assert sample.startswith("the ") and len(sample) == 34
    assert set(sample) <= set(text)


def test_history_files_and_plot_are_written(tmp_path):
    history = [{"step": i, "loss": 1.0 / i, "grad_norm": 0.1} for i in range(1, 101)]
    history[-1]["val"] = 0.02
    train.write_history(history, tmp_path / "h.json", tmp_path / "h.csv")
    assert json.loads((tmp_path / "h.json").read_text()) == history
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0] == "step,loss,grad_norm,val" and len(rows) == 101 and rows[-1].endswith(",0.02")
    train.plot_history(history, tmp_path / "loss.png", baseline=0.5, log_y=True, title="t")
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_settings_and_bad_values_are_reported():
    with pytest.raises(TypeError, match=r"unknown settings \['stpes'\]"):
        train.Trainer(_adding_model(), data.AddingTask(), stpes=3)
    with pytest.raises(ValueError, match="lr must be > 0"):
        train.Trainer(_adding_model(), data.AddingTask(), lr=0)


def test_rnn_gradient_vanishes_towards_the_first_step_but_lstm_gradient_does_not():
    task = data.MovieTask(seq_len=40, n_classes=3, n_features=4)
    x, y = data.as_tensors(*task.sample(16, rng=0))
    rng.manual_seed(0)
    lstm = models.SequenceClassifier(4, 16, 3, cell="lstm")
    rng.manual_seed(0)
    rnn = models.SequenceClassifier(4, 16, 3, cell="rnn")
    g_lstm = train.gradient_through_time(lstm, x, y, task.kind)
    g_rnn = train.gradient_through_time(rnn, x, y, task.kind)
    assert g_lstm.shape == (40,) and g_rnn.shape == (40,)
    assert (g_rnn > 0).all() and (g_lstm > 0).all()
    rnn_ratio = g_rnn[0] / g_rnn[-1]
    lstm_ratio = g_lstm[0] / g_lstm[-1]
    assert rnn_ratio < 1e-3  # the error signal dies on its way back to the cue frames
    assert lstm_ratio > 100 * rnn_ratio
    assert all(p.grad is None for p in lstm.parameters())


def test_gradient_through_time_refuses_character_ids():
    rng.manual_seed(0)
    model = models.CharModel(5, 4, 4)
    ids = data.as_tensors(np.zeros((2, 3), dtype=np.int64))[0]
    with pytest.raises(ValueError, match="character ids have no gradient"):
        train.gradient_through_time(model, ids, ids, "language")


def test_module_example_runs():
    import doctest

    assert doctest.testmod(train).failed == 0
