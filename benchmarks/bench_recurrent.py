"""Fused GRU, bidirectional LSTM, projected LSTM and packed LSTM: lstmkit against PyTorch.

    python benchmarks/bench_recurrent.py                  # CPU, float32, prints a table
    python benchmarks/bench_recurrent.py --device cuda    # CuPy kernels against torch's cuDNN
    python benchmarks/bench_recurrent.py --quick          # fewer repeats, small shape only

Every figure is forward + backward of one training step, the median of repeated runs
after warm-up, lstmkit and torch timed in turn round after round (the same helper as
``bench_lstm.py``), so each printed ratio lstmkit / torch compares figures taken in the
same stretch of machine load. Results go to
``benchmarks/results/recurrent-<device>.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lstm import conditions, interleaved_medians, machine_description, torch_usable  # noqa: E402

import lstmkit as lk  # noqa: E402
from lstmkit import backend, nn  # noqa: E402

SHAPES = [  # (batch, steps, inputs, hidden)
    (64, 100, 64, 256),
    (8, 50, 16, 32),
]
LAYERS = {  # name -> (class name, options)
    "gru": ("GRU", {}),
    "lstm_bidirectional": ("LSTM", {"bidirectional": True}),
    "gru_bidirectional": ("GRU", {"bidirectional": True}),
    "lstm_proj": ("LSTM", {"proj_size": 16}),
    "lstm_packed": ("LSTM", {}),
}
RESULTS = Path(__file__).resolve().parent / "results"


def _lengths(batch: int, steps: int) -> list[int]:
    """Lengths from steps down to steps/2, evenly spread (a typical padded batch)."""
    return [int(n) for n in np.linspace(steps, max(1, steps // 2), batch).round()]


def lstmkit_step(name: str, shape: tuple[int, ...], device: str) -> Callable[[], None]:
    batch, steps, inputs, hidden = shape
    kind, options = LAYERS[name]
    lk.rng.manual_seed(0)
    model = getattr(nn, kind)(inputs, hidden, device=device, **options)
    gen = np.random.default_rng(1)
    x = lk.tensor(gen.standard_normal((steps, batch, inputs), dtype=np.float32), device=device)
    lengths = _lengths(batch, steps)

    def step():
        model.zero_grad()
        inp = nn.utils.rnn.pack_padded_sequence(x, lengths) if name == "lstm_packed" else x
        out, _ = model(inp)
        data = out.data if name == "lstm_packed" else out
        data.sum().backward()

    return step


def torch_step(name: str, shape: tuple[int, ...], device: str) -> Callable[[], None]:
    import torch  # noqa: PLC0415

    batch, steps, inputs, hidden = shape
    kind, options = LAYERS[name]
    target = "cuda" if device == "cuda" else "cpu"
    torch.manual_seed(0)
    model = getattr(torch.nn, kind)(inputs, hidden, **options).to(target)
    x = torch.randn(steps, batch, inputs, device=target)
    lengths = torch.tensor(_lengths(batch, steps))

    def step():
        model.zero_grad(set_to_none=True)
        inp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths) if name == "lstm_packed" else x
        out, _ = model(inp)
        data = out.data if name == "lstm_packed" else out
        data.sum().backward()
        if target == "cuda":
            torch.cuda.synchronize()

    return step


def run(device: str, repeats: int, warmup: int, shapes: list[tuple[int, ...]]) -> dict:
    why_not_torch = torch_usable(device)
    rows = []
    for shape in shapes:
        for name in LAYERS:
            steps = {"lstmkit": lstmkit_step(name, shape, device)}
            if not why_not_torch:
                steps["torch"] = torch_step(name, shape, device)
            times = interleaved_medians(steps, {k: repeats for k in steps}, warmup, device)
            row = {"layer": name, "shape": dict(zip(("batch", "steps", "inputs", "hidden"), shape, strict=True)),
                   "seconds": times}
            if "torch" in times:
                row["lstmkit_over_torch"] = times["lstmkit"] / times["torch"]
            rows.append(row)
            print_row(row)
    return {
        "benchmark": "bench_recurrent", "device": device, "dtype": "float32",
        "machine": machine_description(device), "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": why_not_torch or "measured in the same rounds", "conditions": conditions(), "rows": rows,
    }


def print_row(row: dict) -> None:
    shape = "x".join(str(v) for v in row["shape"].values())
    ratio = row.get("lstmkit_over_torch")
    ms = {k: f"{v * 1e3:8.2f} ms" for k, v in row["seconds"].items()}
    print(f"{row['layer']:<20} {shape:<16} lstmkit {ms['lstmkit']}  torch {ms.get('torch', '     n/a')}  "
          f"ratio {'n/a' if ratio is None else f'{ratio:.2f}x'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to run (default: cpu)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure (median is reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repeats, the small shape only")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file (default benchmarks/results/recurrent-<device>.json)")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not backend.cuda_available():
        print("bench_recurrent: no usable CUDA device through CuPy; run with --device cpu.", file=sys.stderr)
        return 2
    shapes = [SHAPES[1]] if args.quick else SHAPES
    repeats = 2 if args.quick else args.repeats
    result = run(args.device, repeats, args.warmup, shapes)
    out = args.out or RESULTS / f"recurrent-{args.device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
