"""Time every lesson from a fresh kernel, quick and full, and print a markdown table.

    python tools/time_lessons.py                  # every lesson, LSTMKIT_QUICK=1 and full
    python tools/time_lessons.py 06 08 --full     # only those lessons, only the full runs
    python tools/time_lessons.py --json out.json  # also write the numbers

Each lesson is built from ``sources/lessons/`` and run top to bottom with nbclient in
``notebooks/`` (nothing is written there), on the default device (``LSTMKIT_DEVICE``,
the CPU when unset) with one BLAS thread, as the builder runs them. The README's
lesson table is filled from this output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_notebooks  # noqa: E402  (the builder next to this file)


def run_once(target: build_notebooks.Target, quick: bool) -> float:
    """Seconds to execute ``target``'s lesson in a fresh kernel, quick or full."""
    from nbclient import NotebookClient  # noqa: PLC0415

    nb = build_notebooks.build(target.source)
    saved = {k: os.environ.get(k) for k in ("LSTMKIT_QUICK", *build_notebooks.SINGLE_THREAD)}
    if quick:
        os.environ["LSTMKIT_QUICK"] = "1"
    else:
        os.environ.pop("LSTMKIT_QUICK", None)
    for name in build_notebooks.SINGLE_THREAD:
        os.environ[name] = "1"
    try:
        client = NotebookClient(nb, timeout=3600, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(target.notebook.parent)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="lesson name prefixes (default: all)")
    parser.add_argument("--quick", action="store_true", help="only the LSTMKIT_QUICK=1 runs")
    parser.add_argument("--full", action="store_true", help="only the full runs")
    parser.add_argument("--json", type=Path, help="also write the timings to this JSON file")
    args = parser.parse_args(argv)
    modes = [m for m, chosen in (("quick", args.quick), ("full", args.full)) if chosen] or ["quick", "full"]
    device = os.environ.get("LSTMKIT_DEVICE", "cpu")
    timings: dict[str, dict[str, float]] = {}
    for target in build_notebooks.targets(("lessons",), tuple(args.only)):
        timings[target.name] = {}
        for mode in modes:
            seconds = run_once(target, quick=mode == "quick")
            timings[target.name][mode] = round(seconds, 1)
            print(f"{target.name} {mode}: {seconds:.1f} s", file=sys.stderr, flush=True)
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, device {device}, "
          f"load average at the end {os.getloadavg()[0]:.1f}\n")
    print("| lesson | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    for name, row in timings.items():
        print(f"| {name} | " + " | ".join(f"{row[m]:.0f} s" for m in modes) + " |")
    if args.json:
        args.json.write_text(json.dumps({"device": device, "timings": timings}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
