"""The adding problem at T=100: an LSTM learns it, a vanilla RNN of the same size does not.

Both models get the same hidden size, optimiser, learning rate, clipping, batch
size, number of steps and the same batches. The script prints the test MSE of
each against the trivial answer "always 1.0" (MSE 1/6 ~ 0.167) and writes
``examples/results/adding_problem.json`` and ``adding_problem.png``.

    python examples/adding_problem.py                 # the defaults behind the README figures
    python examples/adding_problem.py --steps 500     # a quicker look
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from lstmkit import __version__, data, models, rng, train

RESULTS = Path(__file__).resolve().parent / "results"


def run(cell: str, args: argparse.Namespace, task: data.AddingTask) -> dict:
    """Train one model and measure its test MSE; returns a result dict."""
    rng.manual_seed(args.seed)
    model = models.SequenceRegressor(2, args.hidden, 1, cell=cell)
    trainer = train.Trainer(
        model, task, steps=args.steps, batch_size=args.batch_size, lr=args.lr, clip_norm=args.clip,
        eval_every=args.eval_every, eval_size=512, seed=args.seed, device=args.device, progress=not args.quiet,
    )
    start = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - start
    test = data.as_tensors(*task.sample(args.test_size, data.split_rng("test", args.seed), "test"), device=trainer.device)
    test_mse = trainer.evaluate(test)
    solved = next((h["step"] for h in history if h.get("val") is not None and h["val"] < 0.01), None)
    print(f"{cell.upper():4s} test MSE {test_mse:.5f}  (trivial 0.1667)  train time {seconds:.0f}s  "
          f"first validation below 0.01 at step {solved}")
    return {
        "cell": cell, "test_mse": test_mse, "train_seconds": round(seconds, 1), "first_val_below_0.01": solved,
        "val_curve": [[h["step"], h["val"]] for h in history if h.get("val") is not None],
        "history": history,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()

    task = data.AddingTask(seq_len=args.seq_len)
    results = {cell: run(cell, args, task) for cell in ("lstm", "rnn")}
    RESULTS.mkdir(exist_ok=True)
    summary = {
        "task": "adding problem (U(0,1) values, one marker per half)",
        "command": "python examples/adding_problem.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("quiet",)
        ),
        "settings": {k: v for k, v in vars(args).items() if k != "quiet"},
        "trivial_mse": data.ADDING_TRIVIAL_MSE,
        "lstmkit_version": __version__,
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        **{f"{cell}_test_mse": r["test_mse"] for cell, r in results.items()},
        **{f"{cell}_train_seconds": r["train_seconds"] for cell, r in results.items()},
        **{f"{cell}_first_val_below_0.01": r["first_val_below_0.01"] for cell, r in results.items()},
        "val_curves": {cell: r["val_curve"] for cell, r in results.items()},
    }
    (RESULTS / "adding_problem.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    _plot(results, args, RESULTS / "adding_problem.png")
    print(f"wrote {RESULTS / 'adding_problem.json'} and {RESULTS / 'adding_problem.png'}")


def _plot(results: dict, args: argparse.Namespace, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for cell, color in (("lstm", "tab:blue"), ("rnn", "tab:red")):
        curve = results[cell]["val_curve"]
        ax.plot([s for s, _ in curve], [v for _, v in curve], color=color, label=f"{cell.upper()} validation MSE")
    ax.axhline(data.ADDING_TRIVIAL_MSE, color="gray", linestyle="--", label="always 1.0 (1/6)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("MSE")
    ax.set_title(f"Adding problem, T={args.seq_len}, hidden {args.hidden}, same budget")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
