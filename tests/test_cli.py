"""The `lstmkit` command line: help, a tiny train run, generate, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lstmkit import cli
from lstmkit.checkpoint import read_checkpoint


def test_help_lists_subcommands_and_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "generate" in out


@pytest.mark.parametrize("command", ["train", "generate"])
def test_every_subcommand_has_help_with_an_example(capsys, command):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example: lstmkit " + command in out
    assert "--seed" in out


def test_no_subcommand_prints_usage_and_exits_two(capsys):
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_unknown_task_is_refused_with_the_choices(capsys):
    assert cli.main(["train", "--task", "weather"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'weather'" in err and "adding" in err


def test_negative_steps_are_refused(capsys):
    assert cli.main(["train", "--task", "adding", "--steps", "-3"]) == 2
    assert "expected a positive integer, got -3" in capsys.readouterr().err


@pytest.fixture(scope="module")
def char_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("chars")
    code = cli.main([
        "train", "--task", "chars", "--steps", "6", "--hidden", "16", "--seq-len", "12", "--batch-size", "4",
        "--max-chars", "4000", "--device", "cpu", "--out", str(out), "--no-progress", "--eval-every", "3",
    ])
    assert code == 0
    return out


def test_train_writes_checkpoint_history_and_png(char_run):
    names = {p.name for p in char_run.iterdir()}
    assert {"checkpoint.npz", "history.json", "history.csv", "loss.png", "summary.json"} <= names
    history = json.loads((char_run / "history.json").read_text())
    assert [h["step"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert [h["step"] for h in history if "val" in h] == [3, 6]
    assert (char_run / "loss.png").read_bytes()[:4] == b"\x89PNG"
    ckpt = read_checkpoint(char_run / "checkpoint.npz")
    assert ckpt.step == 6 and ckpt.config["model"] == "CharModel" and "chars" in ckpt.extra["vocab"]
    summary = json.loads((char_run / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["baseline"] > 2


def test_generate_samples_the_requested_length_after_the_prime(char_run, capsys):
    args = ["generate", str(char_run / "checkpoint.npz"), "--length", "25", "--prime", "Return", "--seed", "1"]
    assert cli.main(args) == 0
    first = capsys.readouterr().out.rstrip("\n")
    assert first.startswith("Return") and len(first) == len("Return") + 25
    assert cli.main(args) == 0
    assert capsys.readouterr().out.rstrip("\n") == first  # same seed, same text


def test_train_resume_continues_from_the_checkpoint(char_run, capsys):
    code = cli.main([
        "train", "--task", "chars", "--steps", "8", "--hidden", "16", "--seq-len", "12", "--batch-size", "4",
        "--max-chars", "4000", "--device", "cpu", "--out", str(char_run), "--no-progress", "--resume",
    ])
    assert code == 0
    assert "resumed from" in capsys.readouterr().out
    history = json.loads((char_run / "history.json").read_text())
    assert [h["step"] for h in history] == list(range(1, 9))


def test_train_adding_with_rnn_runs(tmp_path, capsys):
    assert cli.main([
        "train", "--task", "adding", "--model", "rnn", "--steps", "3", "--seq-len", "6", "--hidden", "4",
        "--device", "cpu", "--out", str(tmp_path), "--no-progress",
    ]) == 0
    assert "rnn on adding" in capsys.readouterr().out
    assert json.loads((tmp_path / "summary.json").read_text())["model"] == "rnn"


def test_generate_with_a_missing_checkpoint_says_so_without_traceback(tmp_path, capsys):
    assert cli.main(["generate", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lstmkit: error: checkpoint") and "does not exist" in err
    assert "Traceback" not in err


def test_generate_refuses_a_checkpoint_that_is_not_a_char_model(tmp_path, capsys):
    assert cli.main([
        "train", "--task", "movie", "--steps", "2", "--seq-len", "4", "--hidden", "4",
        "--device", "cpu", "--out", str(tmp_path), "--no-progress",
    ]) == 0
    capsys.readouterr()
    assert cli.main(["generate", str(tmp_path / "checkpoint.npz")]) == 2
    assert "needs a checkpoint from `lstmkit train --task chars`" in capsys.readouterr().err


def test_generate_refuses_a_corrupt_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert cli.main(["generate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lstmkit: error: ") and "damaged" in err and err.count("\n") == 1


def test_resume_with_another_architecture_is_refused(char_run, capsys):
    code = cli.main([
        "train", "--task", "chars", "--steps", "9", "--hidden", "20", "--seq-len", "12", "--batch-size", "4",
        "--max-chars", "4000", "--device", "cpu", "--out", str(char_run), "--no-progress", "--resume",
    ])
    assert code == 2
    assert "different architecture" in capsys.readouterr().err


def test_add_subcommand_registers_a_new_command(monkeypatch, capsys):
    def register_hello(subparsers):
        p = subparsers.add_parser("hello", help="say hello")
        p.set_defaults(func=lambda args: print("hello") or 0)

    monkeypatch.setattr(cli, "SUBCOMMANDS", list(cli.SUBCOMMANDS))
    cli.add_subcommand(register_hello)
    assert cli.main(["hello"]) == 0
    assert capsys.readouterr().out == "hello\n"


def test_forget_bias_defaults_per_task_and_can_be_set(tmp_path, capsys):
    base = ["train", "--task", "movie", "--steps", "1", "--seq-len", "4", "--hidden", "4", "--device", "cpu", "--no-progress"]
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*base, "--out", str(tmp_path / "b"), "--forget-bias", "2.5"]) == 0
    assert read_checkpoint(tmp_path / "a" / "checkpoint.npz").config["forget_bias"] == 5.0
    saved = read_checkpoint(tmp_path / "b" / "checkpoint.npz")
    assert saved.config["forget_bias"] == 2.5
    hidden = 4
    np_bias = saved.model_state["rnn.bias_ih_l0"]
    assert abs(np_bias[hidden : 2 * hidden] - 2.5).max() < 0.05  # one Adam step of lr 0.01 away from 2.5


def test_resume_past_steps_says_there_is_nothing_to_train(char_run, capsys):
    done = read_checkpoint(char_run / "checkpoint.npz").step
    code = cli.main([
        "train", "--task", "chars", "--steps", str(done), "--hidden", "16", "--seq-len", "12", "--batch-size", "4",
        "--max-chars", "4000", "--device", "cpu", "--out", str(char_run), "--no-progress", "--resume",
    ])
    assert code == 2
    captured = capsys.readouterr()
    assert f"already at step {done} and --steps is {done}: nothing to train" in captured.err
    assert "Give a larger --steps" in captured.err
    assert captured.out == ""  # no empty progress bars, no "resumed" line
    assert read_checkpoint(char_run / "checkpoint.npz").step == done


@pytest.mark.parametrize("content", [b"this is not an npz archive at all\n", b"PK\x03\x04 truncated zip", b""])
def test_resume_from_a_damaged_checkpoint_is_one_line_and_exit_2(tmp_path, capsys, content):
    (tmp_path / "checkpoint.npz").write_bytes(content)
    code = cli.main([
        "train", "--task", "movie", "--steps", "2", "--seq-len", "4", "--hidden", "4", "--device", "cpu",
        "--out", str(tmp_path), "--no-progress", "--resume",
    ])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("lstmkit: error: ") and err.count("\n") == 1
    assert "allow_pickle" not in err and "Traceback" not in err
    assert (tmp_path / "checkpoint.npz").read_bytes() == content  # changes nothing


def test_help_and_version_import_no_heavy_module():
    """--help and --version answer at once: the course layer, nbformat and plotting load only when used."""
    code = (
        "import sys, contextlib, io\n"
        "from lstmkit import cli\n"
        "for argv in (['--help'], ['--version'], ['train', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert cli.main(argv) == 0\n"
        "heavy = ('nbformat', 'jsonschema', 'nbclient', 'matplotlib', 'ipywidgets', 'IPython', 'tqdm',\n"
        "         'lstmkit.course', 'lstmkit.train', 'lstmkit.data', 'lstmkit.models')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_lazy_subcommands_are_listed_and_get_their_full_parser_when_run(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, _, help_text) in cli.LAZY_SUBCOMMANDS.items():
        assert name in out and help_text in out
    assert cli.main(["release", "--help"]) == 0
    assert "solutions" in capsys.readouterr().out.lower()
    assert cli.main(["grade", "--help"]) == 0
    assert "--" in capsys.readouterr().out


def test_course_command_points_jupyterlab_at_lesson_0(monkeypatch, tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_start_here.ipynb").write_text("{}")
    (tmp_path / "jupyter").write_text("#!/bin/sh\n")
    (tmp_path / "jupyter").chmod(0o755)
    seen = {}
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(os, "execv", lambda path, command: seen.update(command=command))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["course", str(tmp_path)]) == 0
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in seen["command"]
