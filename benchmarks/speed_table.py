"""The README's speed table, written from the recorded benchmark results.

    python benchmarks/speed_table.py            # print the table
    python benchmarks/speed_table.py --write    # replace it in README.md

Reads ``benchmarks/results/cpu.json`` (bench_lstm.py) and, when present,
``benchmarks/results/lessons-cpu.json`` (bench_lessons.py), so the README says
exactly what the last recorded run measured.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
START = "<!-- speed table: written by benchmarks/speed_table.py from benchmarks/results/ -->"
END = "<!-- end of speed table -->"


def milliseconds(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def mebibytes(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def lstm_table(result: dict) -> list[str]:
    """The bench_lstm.py rows: one line per shape."""
    lines = [
        "| shape (batch, steps, inputs, hidden) | GEMM-only bound | lstmkit `nn.LSTM` | same, NumPy steps (no Numba) "
        "| `LSTMCell` gate by gate | `torch.nn.LSTM` | peak step memory, lstmkit / torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        s, memory = row["shape"], row.get("peak_step_memory_mib", {})
        mem = (f"{mebibytes(memory['fused'])} / {mebibytes(memory['torch'])} MiB"
               if "fused" in memory and "torch" in memory else "–")
        cells = " | ".join(contender_cell(row, name) for name in ("gemm", "fused", "numpy", "cell", "torch"))
        lines.append(f"| {s['batch']}, {s['steps']}, {s['inputs']}, {s['hidden']} | {cells} | {mem} |")
    return lines


def contender_cell(row: dict, name: str) -> str:
    """One contender's time in a row, with its ratios to the bound and to torch."""
    seconds, to_torch, to_gemm = row["seconds"], row.get("ratio_to_torch", {}), row["ratio_to_gemm"]
    if name not in seconds:
        return "–"
    extra = [f"{to_gemm[name]:.2f}× bound"] if name in ("fused", "numpy") else []
    if name in to_torch and name != "torch":
        extra.append(f"{to_torch[name]:.2f}× torch")
    return milliseconds(seconds[name]) + (f" ({', '.join(extra)})" if extra else "")


def conditions_line(result: dict) -> str:
    c = result.get("conditions", {})
    blas = c.get("numpy_blas", {})
    return (f"Measured on {result['date']} on {result['machine']}, torch {result.get('torch')}, NumPy "
            f"{result.get('numpy')} with {blas.get('library', 'unknown BLAS')} ({blas.get('core', '?')} kernels, "
            f"{blas.get('threads', '?')} threads); load average {c.get('load_average_1min', 0):.2f} before "
            f"and {result.get('load_average_1min_after', 0):.2f} after.")


LESSON_STEPS = {  # bench_lessons.py's row names -> what they are
    "lesson8": "lesson 8: `SequenceRegressor` (nn.LSTM 2 → 32, Linear), adding problem T = 30, batch 64, Adam, clipping",
    "lesson6_lstm": "lesson 6: nn.LSTM 8 → 16 + Linear, film task T = 20, batch 32, Adam",
    "lesson6_gru": "lesson 6: nn.GRU 8 → 16 + Linear, same task",
    "lesson6_cell": "lesson 6: `LSTMCell` gate by gate, unrolled (torch: `torch.nn.LSTMCell`, unrolled the same way)",
}


def lessons_table(result: dict) -> list[str]:
    """The bench_lessons.py rows: one line per lesson step."""
    lines = ["| one training step of | lstmkit | torch | lstmkit ÷ torch |", "|---|---|---|---|"]
    for name, row in result["rows"].items():
        seconds = row["seconds"]
        lk, torch = seconds.get("lstmkit"), seconds.get("torch")
        ratio = f"{lk / torch:.2f}" if lk and torch else "–"
        lines.append(f"| {LESSON_STEPS.get(name, name)} | {milliseconds(lk) if lk else '–'} | "
                     f"{milliseconds(torch) if torch else '–'} | {ratio} |")
    return lines


def target_text(target: dict) -> str:
    value = f"{target['ratio']:.2f}" if "ratio" in target else f"{target['seconds']:.1f} s"
    return f"{target['target']}: {value} ({'met' if target['met'] else 'not met'})"


def table() -> str:
    lstm = json.loads((RESULTS / "cpu.json").read_text())
    parts = [conditions_line(lstm), "", *lstm_table(lstm)]
    overhead = lstm.get("per_op_overhead_us") or {}
    if "torch" in overhead:
        parts += ["", f"Per-op overhead, `(x * x).sum().backward()` on 16 values: {overhead['lstmkit']:.1f} µs "
                  f"against torch's {overhead['torch']:.1f} µs ({overhead['lstmkit'] / overhead['torch']:.2f}×)."]
    lessons_file = RESULTS / "lessons-cpu.json"
    if lessons_file.exists():
        lessons = json.loads(lessons_file.read_text())
        parts += ["", "The lessons' own models and settings (`benchmarks/bench_lessons.py`, measured on "
                  f"{lessons['date'][:10]}, load average "
                  f"{lessons.get('conditions', {}).get('load_average_1min', 0):.2f} before and "
                  f"{lessons.get('load_average_1min_after', 0):.2f} after):", "", *lessons_table(lessons)]
    targets = lstm.get("targets", []) + (json.loads(lessons_file.read_text()).get("targets", [])
                                         if lessons_file.exists() else [])
    if targets:
        parts += ["", "Targets in these runs: " + "; ".join(target_text(t) for t in targets) + "."]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args(argv)
    text = table()
    if not args.write:
        print(text)
        return 0
    readme = ROOT / "README.md"
    content = readme.read_text()
    if START not in content or END not in content:
        print(f"README.md has no block between {START!r} and {END!r}; add those two lines where the "
              "table belongs, then run this again.", file=sys.stderr)
        return 2
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{text}\n{END}{tail}")
    print("README.md: speed table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
