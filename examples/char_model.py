"""A character-level LSTM on the Python standard library's docstrings.

Trains a :class:`lstmkit.models.CharModel`, compares its validation loss (nats per
character) with the unigram baseline (character frequencies alone), prints a
sample, and writes ``examples/results/char_model.json``. The checkpoint goes to
``runs/char_model/checkpoint.npz``, so you can sample more with

    lstmkit generate runs/char_model/checkpoint.npz --prime "Return the" --temperature 0.7

Run it with

    python examples/char_model.py               # the defaults behind the README figures
    python examples/char_model.py --steps 300   # a quicker look
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

from lstmkit import __version__, data, models, rng, train

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--out", type=Path, default=ROOT.parent / "runs" / "char_model")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()

    task = data.CharTask.from_stdlib(seq_len=args.seq_len)
    rng.manual_seed(args.seed)
    model = models.CharModel(len(task.vocab), embed_size=args.embed, hidden_size=args.hidden)
    args.out.mkdir(parents=True, exist_ok=True)
    trainer = train.Trainer(
        model, task, steps=args.steps, batch_size=args.batch_size, lr=args.lr, clip_norm=args.clip,
        eval_every=args.eval_every, eval_size=256, seed=args.seed, device=args.device, progress=not args.quiet,
        checkpoint_path=str(args.out / "checkpoint.npz"), extra={"vocab": task.vocab.to_config()},
    )
    start = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - start
    val = history[-1]["val"]
    baseline = task.baseline
    sample = models.generate(model, task.vocab, "Return the ", length=400, temperature=args.temperature, rng=args.seed)
    print(f"validation loss {val:.3f} nats/char ({val / math.log(2):.2f} bits/char); unigram baseline "
          f"{baseline:.3f} nats/char; {len(task.corpus.text)} characters, vocabulary {len(task.vocab)}; "
          f"train time {seconds:.0f}s")
    print(f"sample (temperature {args.temperature:.1f}):\n{sample}")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "task": "next character on the Python standard library's docstrings",
        "command": "python examples/char_model.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("quiet", "out")
        ),
        "settings": {k: v for k, v in vars(args).items() if k not in ("quiet", "out")},
        "corpus_chars": len(task.corpus.text),
        "vocab_size": len(task.vocab),
        "val_loss_nats": val,
        "val_bits_per_char": val / math.log(2),
        "unigram_baseline_nats": baseline,
        "train_seconds": round(seconds, 1),
        "lstmkit_version": __version__,
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "val_curve": [[h["step"], h["val"]] for h in history if h.get("val") is not None],
        "sample": sample,
    }
    (RESULTS / "char_model.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    train.plot_history(history, RESULTS / "char_model.png", baseline=baseline, baseline_label="unigram baseline",
                       title=f"Character LSTM (hidden {args.hidden}) on stdlib docstrings")
    print(f"wrote {RESULTS / 'char_model.json'}, {RESULTS / 'char_model.png'} and {args.out / 'checkpoint.npz'}")


if __name__ == "__main__":
    main()
