""""Which movie is it" at growing time lags: where a vanilla RNN stops remembering.

The film is shown only in the first 3 frames of a clip; every later frame is noise.
For each clip length T, an LSTM (forget-gate bias 5: sigmoid(5) = 0.993 keeps its
long term memory for about 150 frames) and a vanilla RNN of the same size are
trained with the same budget and batches, from several seeds, then scored on
held-out clips (chance is 25%). Before training, the script also measures how
much of the error signal reaches the cue:
‖d loss / d x_1‖ / ‖d loss / d x_T‖ (vanishing gradients make this tiny).

Writes ``examples/results/time_lag.json`` and ``time_lag.png``.

    python examples/time_lag.py
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from lstmkit import __version__, data, models, rng, train
from lstmkit.autograd.function import no_grad

RESULTS = Path(__file__).resolve().parent / "results"


def one_run(cell: str, seq_len: int, seed: int, args: argparse.Namespace) -> dict:
    task = data.MovieTask(seq_len=seq_len, n_classes=4, n_features=8, cue_frames=3, noise=0.3, seed=seed)
    rng.manual_seed(seed)
    forget_bias = args.forget_bias if cell == "lstm" else 0.0
    model = models.SequenceClassifier(task.input_size, args.hidden, task.output_size, cell=cell, forget_bias=forget_bias)
    probe = data.as_tensors(*task.sample(64, data.split_rng("val", seed + 1)))
    grads = train.gradient_through_time(model, *probe, task.kind)
    trainer = train.Trainer(model, task, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                            eval_every=args.steps, eval_size=256, seed=seed, progress=False)
    start = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - start
    x, y = task.sample(args.test_size, data.split_rng("test", seed), "test")
    model.eval()
    with no_grad():
        predicted = model(data.as_tensors(x)[0]).numpy().argmax(axis=1)
    accuracy = float((predicted == y).mean())
    ratio = float(grads[0] / grads[-1])
    print(f"T={seq_len:4d} {cell.upper():4s} seed {seed} test accuracy {accuracy:6.1%}  gradient reaching the cue "
          f"(first/last step) {ratio:9.2e}  ({seconds:.0f}s)")
    return {"cell": cell, "seq_len": seq_len, "seed": seed, "test_accuracy": accuracy, "grad_ratio_first_last_at_init": ratio,
            "train_seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--forget-bias", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    runs = [one_run(cell, t, seed, args) for t in args.lengths for cell in ("lstm", "rnn") for seed in args.seeds]
    table = {}
    for cell in ("lstm", "rnn"):
        for t in args.lengths:
            accs = [r["test_accuracy"] for r in runs if r["cell"] == cell and r["seq_len"] == t]
            table[f"{cell} T={t}"] = {"mean_test_accuracy": sum(accs) / len(accs),
                                      "seeds_above_90%": sum(a > 0.9 for a in accs), "seeds": len(accs)}
            print(f"{cell.upper():4s} T={t:4d}: mean accuracy {sum(accs) / len(accs):6.1%}, "
                  f"{sum(a > 0.9 for a in accs)}/{len(accs)} seeds above 90%")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "task": "which movie is it: label in the first 3 of T frames, the rest noise; 4 films (chance 25%)",
        "command": "python examples/time_lag.py " + " ".join(
            f"--{k.replace('_', '-')} " + (" ".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in vars(args).items()
        ),
        "summary": table,
        "settings": vars(args),
        "lstmkit_version": __version__,
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "runs": runs,
    }
    (RESULTS / "time_lag.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    _plot(runs, RESULTS / "time_lag.png")
    print(f"wrote {RESULTS / 'time_lag.json'} and {RESULTS / 'time_lag.png'}")


def _plot(runs: list[dict], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    acc, grad = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for cell, color in (("lstm", "tab:blue"), ("rnn", "tab:red")):
        mine = [r for r in runs if r["cell"] == cell]
        lengths = sorted({r["seq_len"] for r in mine})
        acc.scatter([r["seq_len"] for r in mine], [r["test_accuracy"] for r in mine], color=color, alpha=0.4, s=12)
        means = [sum(r["test_accuracy"] for r in mine if r["seq_len"] == t) / sum(r["seq_len"] == t for r in mine)
                 for t in lengths]
        acc.plot(lengths, means, "o-", color=color, label=f"{cell.upper()} (mean of seeds)")
        first = [next(r for r in mine if r["seq_len"] == t)["grad_ratio_first_last_at_init"] for t in lengths]
        grad.plot(lengths, [max(g, 1e-30) for g in first], "o-", color=color, label=cell.upper())
        for t, g in zip(lengths, first, strict=True):
            if g == 0.0:
                grad.annotate("0 in float32", (t, 1e-30), textcoords="offset points", xytext=(-60, 8), fontsize=8)
    acc.axhline(0.25, color="gray", linestyle="--", label="chance")
    acc.set(xlabel="clip length T (frames)", ylabel="test accuracy", title="Naming the film after T frames")
    grad.set(xlabel="clip length T (frames)", ylabel="‖dL/dx_1‖ / ‖dL/dx_T‖", yscale="log",
             title="Error signal reaching the cue")
    for ax in (acc, grad):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
