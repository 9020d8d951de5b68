"""The ``lstmkit`` command line.

Each subcommand is a small ``register_*`` function that adds its parser to the
subparsers object and sets ``func`` (the function that runs it). To add a
subcommand, write ``register_name(subparsers)`` and append it to ``SUBCOMMANDS``
(or call :func:`add_subcommand` from another module before ``main`` runs).

Errors a user can fix (a missing checkpoint, a wrong task, no GPU) print one line
``lstmkit: error: ...`` and exit with status 2, without a traceback.

Importing this module is light (no nbformat, matplotlib or course layer), so that
``lstmkit --help`` and ``--version`` answer at once: each command imports what it needs
when it runs, and ``release`` and ``grade``, whose parsers live with their
implementations in ``lstmkit.course``, are registered only when they are the command
(``--help`` lists them from ``LAZY_SUBCOMMANDS``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

TASKS = ("adding", "movie", "chars", "textline")
CELLS = ("lstm", "rnn")

# sensible defaults per task: steps, batch, lr, hidden size, sequence length
# (the cue of "movie" sits at the very start of the clip, so the LSTM starts with a
# forget-gate bias of 5: sigmoid(5) = 0.993 keeps the memory for about 150 frames)
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "adding": {"steps": 2000, "batch_size": 64, "lr": 1e-2, "hidden": 64, "seq_len": 50, "forget_bias": 1.0},
    "movie": {"steps": 500, "batch_size": 32, "lr": 1e-2, "hidden": 32, "seq_len": 50, "forget_bias": 5.0},
    "chars": {"steps": 1000, "batch_size": 32, "lr": 5e-3, "hidden": 128, "seq_len": 64, "forget_bias": 1.0},
    "textline": {"steps": 800, "batch_size": 32, "lr": 1e-2, "hidden": 48, "seq_len": 72, "forget_bias": 0.0},
}


class CLIError(Exception):
    """Bad input on the command line; ``main`` prints it and exits with status 2."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean bad input, printed as one line with exit status 2."""
    from .backend import DeviceError  # noqa: PLC0415  (imported when a command has run)
    from .checkpoint import CheckpointError  # noqa: PLC0415
    from .nn.module import StateDictError  # noqa: PLC0415

    return (CLIError, CheckpointError, DeviceError, StateDictError)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


# --------------------------------------------------------------------------- train


def register_train(subparsers: Any) -> None:
    """``lstmkit train``: train a model on a task; write checkpoint, history and plot."""
    p = subparsers.add_parser(
        "train",
        help="train an LSTM or vanilla RNN on a task (adding, movie, chars, textline)",
        description=(
            "Train a model on one of lstmkit's tasks and write into --out:\n"
            "  checkpoint.npz               model, optimiser and data position (resume with --resume)\n"
            "  history.json, history.csv    loss per step, validation loss every --eval-every steps\n"
            "  loss.png                     the loss curve against the task's baseline\n"
            "  summary.json                 final losses and settings\n\n"
            "Tasks:\n"
            "  adding  the adding problem: sum the two marked numbers of a long sequence (MSE;\n"
            "          always answering 1.0 scores 1/6)\n"
            "  movie   'which movie is it': the label is shown only in the first frames, the rest\n"
            "          is noise (cross-entropy; guessing scores log(classes))\n"
            "  chars   next-character prediction on the Python standard library's docstrings\n"
            "          (nats per character; sample text afterwards with `lstmkit generate`)"
        ),
        epilog="Example: lstmkit train --task adding --model lstm --seq-len 100 --steps 3000 --out runs/adding",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", required=True, choices=TASKS, help="which task to learn")
    p.add_argument("--model", default="lstm", choices=CELLS, help="recurrent layer: lstm or a vanilla tanh rnn (default lstm)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where to compute (default auto: the GPU when usable)")
    p.add_argument("--steps", type=_positive_int, help="optimiser steps (default per task: adding 2000, movie 500, chars 1000)")
    p.add_argument("--batch-size", type=_positive_int, help="sequences per step")
    p.add_argument("--lr", type=_positive_float, help="Adam learning rate")
    p.add_argument("--clip", type=float, default=1.0, help="clip the gradient norm to this; 0 turns clipping off (default 1.0)")
    p.add_argument("--hidden", type=_positive_int, help="hidden size (STM/LTM width)")
    p.add_argument("--layers", type=_positive_int, default=1, help="stacked recurrent layers (default 1)")
    p.add_argument(
        "--forget-bias", type=float,
        help="LSTM only: initial forget-gate bias; higher keeps memories longer (default adding 1, movie 5, chars 1)",
    )
    p.add_argument("--seq-len", type=_positive_int, help="sequence length T, the time lag to bridge (adding: 50, movie: 50, chars: 64)")
    p.add_argument("--seed", type=int, default=0, help="seeds the initial weights, the batches and the validation set")
    p.add_argument("--eval-every", type=_positive_int, help="validate every this many steps (default steps/20)")
    p.add_argument("--checkpoint-every", type=int, default=0, help="also save a checkpoint every this many steps")
    p.add_argument("--max-chars", type=_positive_int, help="chars task: use only this many characters of text")
    p.add_argument("--text-file", type=Path, help="chars task: train on this UTF-8 text file instead of the stdlib docstrings")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/TASK-MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz if it exists")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run_train)


def _make_task(args: argparse.Namespace, seq_len: int) -> Any:
    from . import data  # noqa: PLC0415

    if args.task == "adding":
        if seq_len < 2:
            raise CLIError(f"--seq-len must be at least 2 for the adding problem, got {seq_len}.")
        return data.AddingTask(seq_len=seq_len)
    if args.task == "movie":
        return data.MovieTask(seq_len=seq_len, cue_frames=min(3, seq_len), seed=args.seed)
    if args.task == "textline":  # seq_len is the line image's width in pixel columns
        try:
            return data.TextLineTask(width=seq_len, seed=args.seed)
        except ValueError as error:
            raise CLIError(f"--seq-len for textline is the line width: {error}") from None
    if args.text_file is not None:
        try:
            text = args.text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CLIError(f"could not read --text-file {str(args.text_file)!r} as UTF-8 text ({error}).") from None
        text = text[: args.max_chars] if args.max_chars else text
        if len(text) < 10 * (seq_len + 1):
            raise CLIError(
                f"--text-file has {len(text)} characters, too few for --seq-len {seq_len}; "
                "give a longer text or a shorter --seq-len."
            )
        return data.CharTask(data.CharCorpus(text), seq_len=seq_len)
    return data.CharTask.from_stdlib(seq_len=seq_len, max_chars=args.max_chars)


def _make_model(task: Any, cell: str, hidden: int, layers: int, forget_bias: float) -> Any:
    from . import models  # noqa: PLC0415

    shape = {"cell": cell, "num_layers": layers, "forget_bias": forget_bias if cell == "lstm" else 0.0}
    if task.name == "chars":
        return models.CharModel(task.output_size, embed_size=32, hidden_size=hidden, **shape)
    if task.name == "textline":
        return models.TextLineReader(task.input_size, task.output_size, hidden_size=hidden)
    if task.name == "movie":
        return models.SequenceClassifier(task.input_size, hidden, task.output_size, **shape)
    return models.SequenceRegressor(task.input_size, hidden, task.output_size, **shape)


def run_train(args: argparse.Namespace) -> int:
    """Train, then write checkpoint.npz, history.json/.csv, loss.png and summary.json into --out."""
    import json  # noqa: PLC0415

    from . import rng, train  # noqa: PLC0415

    defaults = TASK_DEFAULTS[args.task]
    steps = args.steps or defaults["steps"]
    seq_len = args.seq_len or defaults["seq_len"]
    out = args.out or Path("runs") / f"{args.task}-{args.model}"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CLIError(f"cannot create the output folder {str(out)!r} ({error}); choose another --out.") from None
    rng.manual_seed(args.seed)
    task = _make_task(args, seq_len)
    forget_bias = defaults["forget_bias"] if args.forget_bias is None else args.forget_bias
    model = _make_model(task, args.model, args.hidden or defaults["hidden"], args.layers, forget_bias)
    checkpoint = out / "checkpoint.npz"
    trainer = train.Trainer(
        model, task,
        steps=steps, batch_size=args.batch_size or defaults["batch_size"], lr=args.lr or defaults["lr"],
        clip_norm=args.clip or None, eval_every=args.eval_every or max(1, steps // 20),
        eval_size=256, checkpoint_every=args.checkpoint_every, checkpoint_path=str(checkpoint),
        seed=args.seed, device=args.device, progress=not args.no_progress,
        extra={"vocab": task.vocab.to_config()} if task.name == "chars" else None,
    )
    if args.resume and checkpoint.exists():
        trainer.resume(checkpoint)
        if trainer.step >= steps:
            raise CLIError(
                f"{checkpoint} is already at step {trainer.step} and --steps is {steps}: nothing to train. "
                f"Give a larger --steps (e.g. --steps {trainer.step + steps}) to train further."
            )
        print(f"resumed from {checkpoint} at step {trainer.step}")
    history = trainer.fit()
    train.write_history(history, out / "history.json", out / "history.csv")
    baseline = float(task.baseline)
    label = {"adding": "always 1.0 (MSE 1/6)", "movie": "uniform guess", "chars": "unigram baseline",
             "textline": "CER of reading nothing"}[task.name]
    train.plot_history(
        history, out / "loss.png", baseline=baseline, baseline_label=label,
        title=f"{args.model.upper()} on {args.task} (T={seq_len})", log_y=task.name == "adding",
    )
    vals = [h["val"] for h in history if h.get("val") is not None]
    summary = {
        "task": args.task, "model": args.model, "seq_len": seq_len, "steps": trainer.step,
        "device": trainer.device, "final_train_loss": history[-1]["loss"] if history else None,
        "final_val_loss": vals[-1] if vals else None, "baseline": baseline,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(
        f"{args.model} on {args.task}: validation loss {summary['final_val_loss']:.4f} "
        f"(baseline {baseline:.4f}) after {trainer.step} steps on {trainer.device}"
    )
    print(f"wrote {checkpoint}, {out / 'history.json'}, {out / 'history.csv'}, {out / 'loss.png'}")
    return 0


# --------------------------------------------------------------------------- generate


def register_generate(subparsers: Any) -> None:
    """``lstmkit generate``: sample text from a character model checkpoint."""
    p = subparsers.add_parser(
        "generate",
        help="sample text from a checkpoint of `lstmkit train --task chars`",
        description="Load a character-model checkpoint and print text sampled from it, one character at a time.",
        epilog="Example: lstmkit generate runs/chars-lstm/checkpoint.npz --length 300 --temperature 0.7 --prime 'Return the'",
    )
    p.add_argument("checkpoint", type=Path, help="a checkpoint.npz written by `lstmkit train --task chars`")
    p.add_argument("--length", type=_positive_int, default=200, help="characters to sample (default 200)")
    p.add_argument("--temperature", type=_positive_float, default=0.8, help="> 0; lower is safer, higher is wilder (default 0.8)")
    p.add_argument("--prime", default="The ", help="text to start from (default 'The ')")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling")
    p.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"), help="where to compute (default cpu)")
    p.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    """Print ``--length`` characters sampled after ``--prime``."""
    from . import data, models  # noqa: PLC0415
    from .checkpoint import load_checkpoint, read_checkpoint  # noqa: PLC0415

    ckpt = read_checkpoint(args.checkpoint)
    vocab_config = ckpt.extra.get("vocab")
    if not ckpt.config or ckpt.config.get("model") != "CharModel" or vocab_config is None:
        raise CLIError(
            f"{str(args.checkpoint)!r} holds a {ckpt.config.get('model') if ckpt.config else 'model'} "
            "without a character vocabulary; `generate` needs a checkpoint from `lstmkit train --task chars`."
        )
    model = models.build(ckpt.config)
    load_checkpoint(args.checkpoint, model)
    model.to(args.device)
    vocab = data.CharVocab.from_config(vocab_config)
    unknown = sorted({c for c in args.prime if vocab.encode(c)[0] == 0})
    if unknown:
        print(f"note: --prime characters {unknown} are not in the model's vocabulary", file=sys.stderr)
    text = models.generate(model, vocab, args.prime, args.length, args.temperature, rng=args.seed)
    print(text)
    return 0


# --------------------------------------------------------------------------- course


def register_course(subparsers: Any) -> None:
    """``lstmkit course``: open the lessons in JupyterLab."""
    p = subparsers.add_parser(
        "course",
        help="open the course in JupyterLab (prints the address to open)",
        description=(
            "Start JupyterLab on 127.0.0.1 at the course folder: by default the checkout lstmkit "
            "runs from (the folder holding notebooks/), else the current folder. Needs the "
            "course extra (pip install 'lstmkit[course]'). From a clone, `python3 kit.py course` "
            "does the set-up and this in one step."
        ),
    )
    p.add_argument("folder", nargs="?", type=Path, default=None, help="folder to serve (default: the course)")
    p.add_argument("--port", type=int, default=None, help="port (default: JupyterLab's, 8888 or the next free one)")
    p.set_defaults(func=run_course)


def course_folder() -> Path:
    """The checkout this lstmkit was installed from (editable), else the current folder."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "notebooks").is_dir() else Path.cwd()


def run_course(args: argparse.Namespace) -> int:
    import os  # noqa: PLC0415
    import shutil  # noqa: PLC0415

    folder = (args.folder or course_folder()).resolve()
    if not folder.is_dir():
        raise CLIError(f"course folder {folder} does not exist; give an existing folder.")
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if jupyter is None:
        raise CLIError(
            "JupyterLab is not installed here. Install the course extra: pip install 'lstmkit[course]'."
        )
    command = [jupyter, "lab", "--ip=127.0.0.1", f"--ServerApp.root_dir={folder}"]
    if args.port:
        command.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    start = folder / "notebooks" / "00_start_here.ipynb"
    if start.exists():  # the URL JupyterLab prints then opens lesson 0, not the Launcher
        command.append(f"--LabApp.default_url=/lab/tree/{start.relative_to(folder).as_posix()}")
    os.chdir(folder)
    os.execv(jupyter, command)
    return 0  # not reached: execv replaces this process


# --------------------------------------------------------------------------- main

SUBCOMMANDS: list[Callable[[Any], None]] = [
    register_train,
    register_generate,
    register_course,
]

#: name -> (module, register function, help): subcommands registered only when they run
LAZY_SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "release": ("lstmkit.course.release", "register_release",
                "make learners' exercise notebooks from solution notebooks"),
    "grade": ("lstmkit.course.grade.cli", "register_grade",
              "grade learners' exercise notebooks in sandboxed processes"),
}


def add_subcommand(register: Callable[[Any], None]) -> None:
    """Register another subcommand (a function that adds a parser to the subparsers)."""
    if register not in SUBCOMMANDS:
        SUBCOMMANDS.append(register)


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``lstmkit`` parser; a lazy subcommand gets its full parser only when it is ``command``."""
    import importlib  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="lstmkit",
        description=(
            "lstmkit: learn LSTMs by building them. Open the course, train models on memory "
            "tasks and sample from them, release exercise notebooks and grade a class."
        ),
        epilog="Run `lstmkit COMMAND --help` for the options of a command.",
    )
    version = sys.modules[__package__].__version__  # the package is imported before any of its modules
    parser.add_argument("--version", action="version", version=f"lstmkit {version}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in SUBCOMMANDS:
        register(subparsers)
    for name, (module, function, help_text) in LAZY_SUBCOMMANDS.items():
        if name == command:
            getattr(importlib.import_module(module), function)(subparsers)
        else:  # listed in --help; its real parser is built when it is the command
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argparse's own errors
        return int(exit_.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except Exception as error:
        if not isinstance(error, user_errors()):
            raise
        print(f"lstmkit: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lstmkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
