"""Text lines: rendering, splits, the reader model, the CTC loss kind, the CLI task and the viewer."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import cli, ctc, data, models, rng
from lstmkit.widgets import TextLineViewer
from lstmkit.widgets.textline import marked_reading


@pytest.fixture(scope="module")
def task() -> data.TextLineTask:
    return data.TextLineTask()


def test_sample_gives_columns_and_padded_labels(task):
    columns, targets = task.sample(8, rng=0)
    assert columns.shape == (8, task.width, task.height) and columns.dtype == np.float32
    assert targets.shape == (8, task.max_chars) and targets.dtype == np.int64
    lengths = (targets > 0).sum(axis=1)
    assert lengths.min() >= task.min_chars and lengths.max() <= task.max_chars
    for row, n in zip(targets, lengths, strict=True):
        assert np.all(row[:n] > 0) and np.all(row[n:] == 0)  # padding is the blank, after the labels
    assert 0.0 <= columns.min() and columns.max() <= 1.0


def test_the_same_seed_gives_the_same_lines_and_splits_differ(task):
    a, texts_a = task.sample_texts(5, rng=3)
    b, texts_b = task.sample_texts(5, rng=3)
    np.testing.assert_array_equal(a, b)
    assert texts_a == texts_b
    val = task.sample_texts(20, split="val")[1]
    assert val == task.sample_texts(20, split="val")[1]  # fixed by the task's seed
    assert val != task.sample_texts(20, split="test")[1]
    assert val != data.TextLineTask(seed=1).sample_texts(20, split="val")[1]


def test_ink_follows_the_characters(task):
    """More characters put more ink on the line; an empty canvas stays dark."""
    quiet = data.TextLineTask(noise=0.0)
    few = quiet.render("1", rng=0)
    many = quiet.render("8e8e8e", rng=0)
    assert many.sum() > 3 * few.sum()
    blank_ink = quiet.render("1", rng=1)
    assert (blank_ink > 0.3).sum() > 10
    assert (blank_ink[:, :2] < 0.05).all() or (blank_ink[:, -2:] < 0.05).all()


def test_glyphs_are_cached_bitmaps():
    first = data.glyph_bitmap("a")
    assert first is data.glyph_bitmap("a")
    ink, rise = first
    assert ink.ndim == 2 and 0 < ink.max() <= 1 and rise > 0


def test_encode_decode_round_trip_and_bad_characters(task):
    assert task.decode(task.encode("c0ffee")) == "c0ffee"
    with pytest.raises(ValueError, match="not in the charset"):
        task.encode("xyz")
    with pytest.raises(ValueError, match="do not fit"):
        data.TextLineTask(max_chars=12)
    with pytest.raises(ValueError, match="min_chars"):
        data.TextLineTask(min_chars=0)


def test_character_error_rate_is_edit_distance_over_characters():
    assert data.character_error_rate([[1, 2, 3]], [[1, 2, 3]]) == 0.0
    assert data.character_error_rate([[]], [[1, 2]]) == 1.0
    assert data.character_error_rate([[1, 3], [5, 5, 5]], [[1, 2, 3], [5]]) == pytest.approx(3 / 4)


def test_reader_gives_ctc_log_probabilities_and_learns_a_little(task):
    rng.manual_seed(0)
    model = models.TextLineReader(task.height, task.output_size, hidden_size=16)
    columns, targets = task.sample(4, rng=0)
    log_probs = model(lk.tensor(columns))
    assert log_probs.shape == (task.width // 2, 4, task.output_size)
    np.testing.assert_allclose(np.exp(log_probs.numpy()).sum(axis=2), 1.0, rtol=1e-5)
    optimizer = lk.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):  # one batch, again and again: the loss must fall
        loss = models.loss_for("ctc", model(lk.tensor(columns)), lk.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5
    assert models.build(model.config()).config() == model.config()


def test_cli_trains_textline_with_checkpoints_and_resumes(tmp_path):
    out = tmp_path / "run"
    args = ["train", "--task", "textline", "--steps", "3", "--eval-every", "3", "--checkpoint-every", "2",
            "--hidden", "8", "--out", str(out), "--no-progress"]
    assert cli.main(args) == 0
    assert (out / "checkpoint.npz").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary
    args[args.index("--steps") + 1] = "5"
    assert cli.main([*args, "--resume"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert max(h["step"] for h in history) == 5


def test_cli_textline_width_too_small_says_what_to_do(tmp_path, capsys):
    code = cli.main(["train", "--task", "textline", "--seq-len", "20", "--steps", "1", "--out", str(tmp_path)])
    assert code == 2
    assert "width" in capsys.readouterr().err


def test_viewer_shows_a_line_its_columns_and_the_reading(task):
    rng.manual_seed(0)
    model = models.TextLineReader(task.height, task.output_size, hidden_size=8)
    images, texts = task.sample_texts(3, split="test")
    viewer = TextLineViewer(model, task, images, texts)
    assert viewer.picture.value[:4] == b"\x89PNG"
    assert len(viewer.column_symbols(0)) == task.width // 2
    assert "truth: " + texts[0] in viewer.words.value
    before = viewer.picture.value
    viewer.slider.value = 2
    assert "truth: " + texts[2] in viewer.words.value and viewer.picture.value != before
    expected = ctc.ctc_greedy_decode(viewer.log_probs.transpose(1, 0, 2))
    assert viewer.readings == [task.decode(x) for x in expected]
    with pytest.raises(ValueError, match="one text each"):
        TextLineViewer(model, task, images, texts[:2])


def test_reading_marks_wrong_and_missing_characters():
    marked = marked_reading("3b", "3a7")
    assert marked.count("color:#c0392b") == 2  # the wrong b and the missing character
    assert "c0392b" not in marked_reading("3a7", "3a7")
