"""Reading text lines: a bidirectional LSTM trained with CTC on rendered hexadecimal lines.

Trains a :class:`lstmkit.models.TextLineReader` on :class:`lstmkit.data.TextLineTask`
(the recipe of lesson 9), reports the character error rate (CER) of greedy decoding on
the held-out test lines, the wall-clock time and the CPU time of training, and writes
``examples/results/text_lines.json``. Every ``--eval-every`` steps the validation CER
is printed; training stops early once it stays below ``--target-cer`` twice in a row
(``--no-early-stop`` to run every step).

    python examples/text_lines.py                 # the lesson's full run
    python examples/text_lines.py --steps 300     # a quicker look
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

import lstmkit as lk
import lstmkit.functional as F
from lstmkit import __version__, ctc, data, models, optim, rng

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"


def error_rate(model: models.TextLineReader, columns: np.ndarray, targets: np.ndarray) -> float:
    """CER of greedy decoding on (N, W, H) columns against padded targets."""
    with lk.no_grad():
        log_probs = model(lk.tensor(columns))
    truth = [row[row > 0].tolist() for row in targets]
    return data.character_error_rate(ctc.ctc_greedy_decode(log_probs), truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=48)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--target-cer", type=float, default=0.02)
    parser.add_argument("--no-early-stop", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "text_lines.json")
    args = parser.parse_args()

    task = data.TextLineTask(seed=args.seed)
    rng.manual_seed(args.seed)
    model = models.TextLineReader(task.height, task.output_size, hidden_size=args.hidden)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    val_columns, val_targets = task.sample(200, split="val")
    history, below = [], 0
    wall, cpu = time.perf_counter(), time.process_time()
    step = 0
    for step in range(1, args.steps + 1):
        columns, targets = task.sample(args.batch_size, rng=data.batch_rng(args.seed, step))
        log_probs = model(lk.tensor(columns))
        loss = F.ctc_loss(log_probs, targets, [log_probs.shape[0]] * args.batch_size, (targets > 0).sum(axis=1))
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        if step % args.eval_every == 0 or step == args.steps:
            cer = error_rate(model, val_columns, val_targets)
            history.append({"step": step, "loss": loss.item(), "val_cer": cer,
                            "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu})
            print(f"step {step:5d}  loss {loss.item():.4f}  val CER {cer:.4f}  "
                  f"{history[-1]['wall_s']:.0f} s wall, {history[-1]['cpu_s']:.0f} s CPU", flush=True)
            below = below + 1 if cer < args.target_cer else 0
            if below >= 2 and not args.no_early_stop:
                break
    wall_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    test_columns, test_targets = task.sample(1000, split="test")
    test_cer = error_rate(model, test_columns, test_targets)
    result = {
        "task": task.config(), "hidden": args.hidden, "batch_size": args.batch_size, "lr": args.lr,
        "steps": step, "test_cer": test_cer, "test_lines": 1000, "train_wall_s": wall_s, "train_cpu_s": cpu_s,
        "history": history, "lstmkit": __version__, "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"test CER {test_cer:.4f} after {step} steps ({wall_s:.0f} s wall, {cpu_s:.0f} s CPU); "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
