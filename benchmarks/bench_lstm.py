"""LSTM training-step speed and memory: lstmkit against PyTorch and the GEMM-only bound.

    python benchmarks/bench_lstm.py                  # CPU, float32, prints a table
    python benchmarks/bench_lstm.py --device cuda    # CuPy against torch's cuDNN LSTM
    python benchmarks/bench_lstm.py --quick          # fewer repeats (a smoke run)
    python benchmarks/bench_lstm.py --crossover      # where the compiled whole loop stops paying

Every figure is forward + backward of one training step (batch, steps, inputs, hidden),
the median of repeated runs after warm-up, the contenders timed in turn round after
round, and every ratio is against a reference measured in the same rounds:

* ``gemm``   the GEMM-only bound: just the matrix products a fused LSTM cannot avoid
             (one input projection, one recurrent product per step, and their
             backward counterparts), on preallocated arrays;
* ``fused``  ``lstmkit.nn.LSTM`` (one autograd Function with hand-written BPTT), with
             its compiled CPU steps where Numba is installed (lstmkit[fast]);
* ``numpy``  the same layer on its NumPy reference steps (``LSTMKIT_COMPILED=0``): what
             runs without Numba;
* ``cell``   ``lstmkit.nn.LSTMCell`` composed from the gate functions, unrolled;
* ``torch``  ``torch.nn.LSTM`` on the same device;
* ``torch_gemm`` the same GEMM-only products done by torch (oneDNN/MKL on the CPU,
             cuBLAS on a GPU): the gap between ``gemm`` and ``torch_gemm`` is the gap
             between the two BLAS libraries, which no change to the LSTM code can close.

Also: the peak memory a training step adds (each framework in a fresh process), and
the engine's per-op overhead (a small elementwise op forward + backward) against torch.
Results go to ``benchmarks/results/<device>.json``, with the BLAS that NumPy ran
(OpenBLAS core type and threads) and the load average, so figures from a shared
machine can be judged. On a machine that pins ``OPENBLAS_CORETYPE`` for old OpenBLAS
bugs, benchmark a current NumPy with it unset for that one command:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_lstm.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import lstmkit as lk
from lstmkit import backend, nn

SHAPES = [  # (batch, steps, inputs, hidden)
    (64, 100, 64, 256),
    (8, 50, 16, 32),
    (64, 1000, 64, 256),
]
RESULTS = Path(__file__).resolve().parent / "results"
#: pause before each contender's turn, for the previous one's spinning threads to sleep
SETTLE_SECONDS = 0.3


def median_time(step: Callable[[], None], repeats: int, warmup: int, device: str) -> float:
    """Median seconds of ``step()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        step()
    backend.synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        backend.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(steps: dict[str, Callable[[], None]], repeats: dict[str, int], warmup: int,
                        device: str) -> dict[str, float]:
    """Median seconds of each step, timed in rounds: in each, every contender in turn
    runs once untimed, then once timed.

    On a shared machine the load drifts over seconds; timing the contenders in turn,
    round after round, puts every ratio's two figures in the same stretch of time.
    Before each contender's turn the process sleeps for ``SETTLE_SECONDS``, so that the
    previous contender's thread pool goes idle: torch's OpenMP threads and OpenBLAS's
    spin for a while after their last call, and on two cores the next library's threads
    would otherwise compete with them (on a 2-vCPU virtual machine that once made a
    small torch GRU step 100x slower). The untimed run then warms the contender's caches.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    backend.synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for round_index in range(max(repeats.values())):
        for name, step in steps.items():
            if round_index >= repeats[name]:
                continue
            time.sleep(SETTLE_SECONDS)  # settle: see the docstring
            step()
            backend.synchronize(device)
            start = time.perf_counter()
            step()
            backend.synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


# ---------------------------------------------------------------------------- the contenders


def gemm_bound_step(batch: int, steps: int, inputs: int, hidden: int, device: str) -> Callable[[], None]:
    """Only the matrix products of one LSTM training step, into preallocated arrays."""
    xp = backend.array_module(device)
    rng = np.random.default_rng(0)

    def array(*shape):
        return xp.asarray(rng.standard_normal(shape, dtype=np.float32))

    x, w_ih, w_hh = array(steps * batch, inputs), array(4 * hidden, inputs), array(4 * hidden, hidden)
    h, d_gates = array(steps, batch, hidden), array(steps, batch, 4 * hidden)
    gates_x = xp.empty((steps * batch, 4 * hidden), dtype=np.float32)
    gates_h = xp.empty((batch, 4 * hidden), dtype=np.float32)
    dh = xp.empty((batch, hidden), dtype=np.float32)
    dx = xp.empty((steps * batch, inputs), dtype=np.float32)
    dw_ih, dw_hh = xp.empty_like(w_ih), xp.empty_like(w_hh)

    def step():
        xp.matmul(x, w_ih.T, out=gates_x)
        for t in range(steps):
            xp.matmul(h[t], w_hh.T, out=gates_h)
        for t in range(steps - 1, -1, -1):
            xp.matmul(d_gates[t], w_hh, out=dh)
        flat = d_gates.reshape(steps * batch, 4 * hidden)
        xp.matmul(flat, w_ih, out=dx)
        xp.matmul(flat.T, x, out=dw_ih)
        xp.matmul(flat.T, h.reshape(steps * batch, hidden), out=dw_hh)

    return step


def sequence_and_output_grad(batch, steps, inputs, hidden, device) -> tuple:
    """The same seeded input sequence (steps, batch, inputs) and output gradient for every contender."""
    x = lk.tensor(np.random.default_rng(1).standard_normal((steps, batch, inputs), dtype=np.float32), device=device)
    grad = backend.asarray(np.random.default_rng(2).standard_normal((steps, batch, hidden), dtype=np.float32), device)
    return x, grad


def lstmkit_fused_step(batch, steps, inputs, hidden, device) -> Callable[[], None]:
    lk.rng.manual_seed(0)
    model = nn.LSTM(inputs, hidden, device=device)
    x, grad = sequence_and_output_grad(batch, steps, inputs, hidden, device)

    def step():
        model.zero_grad()
        out, _ = model(x)
        out.backward(grad)

    return step


def lstmkit_numpy_step(batch, steps, inputs, hidden, device) -> Callable[[], None]:
    """The fused layer on its NumPy reference steps (as without Numba)."""
    inner = lstmkit_fused_step(batch, steps, inputs, hidden, device)

    def step():
        previous = os.environ.get("LSTMKIT_COMPILED")
        os.environ["LSTMKIT_COMPILED"] = "0"
        try:
            inner()
        finally:
            if previous is None:
                del os.environ["LSTMKIT_COMPILED"]
            else:
                os.environ["LSTMKIT_COMPILED"] = previous

    return step


def lstmkit_cell_step(batch, steps, inputs, hidden, device) -> Callable[[], None]:
    lk.rng.manual_seed(0)
    cell = nn.LSTMCell(inputs, hidden, device=device)
    x, grad = sequence_and_output_grad(batch, steps, inputs, hidden, device)

    def step():
        cell.zero_grad()
        state = None
        outputs = []
        for t in range(steps):
            state = cell(x[t], state)
            outputs.append(state[0])
        lk.stack(outputs).backward(grad)

    return step


def torch_step(batch, steps, inputs, hidden, device) -> Callable[[], None]:
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    target = "cuda" if device == "cuda" else "cpu"
    model = torch.nn.LSTM(inputs, hidden).to(target)
    x = torch.randn(steps, batch, inputs, device=target)
    grad = torch.randn(steps, batch, hidden, device=target)

    def step():
        model.zero_grad(set_to_none=True)
        out, _ = model(x)
        out.backward(grad)
        if target == "cuda":
            torch.cuda.synchronize()

    return step


def torch_gemm_step(batch, steps, inputs, hidden, device) -> Callable[[], None]:
    """The matrix products of :func:`gemm_bound_step`, done by torch into preallocated tensors."""
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    target = "cuda" if device == "cuda" else "cpu"

    def tensor(*shape):
        return torch.randn(*shape, device=target)

    x, w_ih, w_hh = tensor(steps * batch, inputs), tensor(4 * hidden, inputs), tensor(4 * hidden, hidden)
    h, d_gates = tensor(steps, batch, hidden), tensor(steps, batch, 4 * hidden)
    gates_x, gates_h = tensor(steps * batch, 4 * hidden), tensor(batch, 4 * hidden)
    dh, dx = tensor(batch, hidden), tensor(steps * batch, inputs)
    dw_ih, dw_hh = torch.empty_like(w_ih), torch.empty_like(w_hh)

    def step():
        torch.mm(x, w_ih.t(), out=gates_x)
        for t in range(steps):
            torch.mm(h[t], w_hh.t(), out=gates_h)
        for t in range(steps - 1, -1, -1):
            torch.mm(d_gates[t], w_hh, out=dh)
        flat = d_gates.reshape(steps * batch, 4 * hidden)
        torch.mm(flat, w_ih, out=dx)
        torch.mm(flat.t(), x, out=dw_ih)
        torch.mm(flat.t(), h.reshape(steps * batch, hidden), out=dw_hh)
        if target == "cuda":
            torch.cuda.synchronize()

    return step


CONTENDERS = {
    "gemm": gemm_bound_step,
    "fused": lstmkit_fused_step,
    "numpy": lstmkit_numpy_step,
    "cell": lstmkit_cell_step,
    "torch": torch_step,
    "torch_gemm": torch_gemm_step,
}
TORCH_CONTENDERS = ("torch", "torch_gemm")


def torch_usable(device: str) -> str:
    """"" when torch can run on ``device``, else why not."""
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return "torch is not installed (pip install torch==2.13.0 for the CPU build)"
    if device == "cuda" and not torch.cuda.is_available():
        return "this torch build has no CUDA device"
    return ""


# ---------------------------------------------------------------------------- memory, overhead


def peak_memory_mib(contender: str, shape: tuple[int, ...], device: str) -> float:
    """Peak memory (MiB) one training step adds, measured in a fresh process after one
    warm-up step (so that compiling kernels and filling primitive caches do not count).

    CPU: the peak resident set during the second step above the resident set just
    before it (the kernel's peak counter is reset first through /proc/self/clear_refs,
    so a peak left by imports or set-up does not hide the step; where that is not
    available, growth of ru_maxrss); GPU: the peak of CuPy's pool allocations during
    the step (a memory hook) or torch.cuda.max_memory_allocated above what was allocated
    before it.
    """
    code = f"""
import gc, resource, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import bench_lstm as b
step = b.CONTENDERS[{contender!r}](*{shape!r}, {device!r})
step()  # first-call costs (compiling, caches of kernels and primitives) are not a step's memory
gc.collect()
def status_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
if {device!r} == "cuda" and {contender!r} in ("torch", "torch_gemm"):
    import torch
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated() / 1024
    step()
    torch.cuda.synchronize()
    after = torch.cuda.max_memory_allocated() / 1024
elif {device!r} == "cuda":
    import cupy

    class PeakHook(cupy.cuda.MemoryHook):
        name = "bench_peak"

        def __init__(self):
            self.now = self.peak = 0

        def malloc_postprocess(self, device_id, size, mem_size, mem_ptr, pmem_id):
            self.now += mem_size
            self.peak = max(self.peak, self.now)

        def free_postprocess(self, device_id, mem_size, mem_ptr, pmem_id):
            self.now -= mem_size

    hook = PeakHook()
    with hook:
        step()
        cupy.cuda.Device().synchronize()
    before, after = 0, hook.peak / 1024
else:
  try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_kib("VmRSS")
    step()
    after = status_kib("VmHWM")
  except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def per_op_overhead_us(repeats: int) -> dict[str, float]:
    """Microseconds for y = (x * x).sum(); y.backward() on 16 values."""
    x = lk.tensor(np.ones(16, dtype=np.float32), requires_grad=True)

    def lstmkit_op():
        (x * x).sum().backward()

    result = {"lstmkit": min(median_time(lstmkit_op, 2000, 200, "cpu") for _ in range(max(repeats // 3, 1))) * 1e6}
    if not torch_usable("cpu"):
        import torch  # noqa: PLC0415

        tx = torch.ones(16, requires_grad=True)

        def torch_op():
            (tx * tx).sum().backward()

        result["torch"] = min(median_time(torch_op, 2000, 200, "cpu") for _ in range(max(repeats // 3, 1))) * 1e6
    return result


# ---------------------------------------------------------------------------- driver


def numpy_blas() -> dict[str, object]:
    """The BLAS NumPy runs: library, OpenBLAS core type (the kernel chosen) and threads.

    Read through ctypes from the OpenBLAS that NumPy's wheels bundle, so no extra
    package is needed; {"library": "unknown"} for other builds.
    """
    import ctypes  # noqa: PLC0415

    libs = sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("*openblas*"))
    info: dict[str, object] = {"library": "unknown"}
    for lib in libs:
        try:
            handle = ctypes.CDLL(str(lib))
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "")):
            corename = getattr(handle, f"{prefix}get_corename{suffix}", None)
            config = getattr(handle, f"{prefix}get_config{suffix}", None)
            threads = getattr(handle, f"{prefix}get_num_threads{suffix}", None)
            if corename is not None and config is not None and threads is not None:
                corename.restype = config.restype = ctypes.c_char_p
                return {"library": config().decode().split("  ")[0], "core": corename().decode(),
                        "threads": int(threads())}
    return info


def conditions() -> dict[str, object]:
    """What else shaped the figures: BLAS, thread counts, OpenBLAS overrides, load."""
    result: dict[str, object] = {
        "numpy_blas": numpy_blas(),
        "openblas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                       "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
                         if k in os.environ},
        "load_average_1min": os.getloadavg()[0],
    }
    if not torch_usable("cpu"):
        import torch  # noqa: PLC0415

        result["torch_threads"] = torch.get_num_threads()
        result["torch_mkldnn"] = torch.backends.mkldnn.is_available()
    return result


def machine_description(device: str) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{os.cpu_count()} cores, {cpu}"
    if device == "cuda":
        props = backend.array_module("cuda").cuda.runtime.getDeviceProperties(0)
        text += f", GPU {props['name'].decode()}"
    return text


def run(device: str, repeats: int, warmup: int, shapes: list[tuple[int, ...]], with_memory: bool) -> dict:
    torch_reason = torch_usable(device)
    before = conditions()
    rows = []
    for shape in shapes:
        row = {"shape": dict(zip(("batch", "steps", "inputs", "hidden"), shape, strict=True))}
        steps = {name: make(*shape, device) for name, make in CONTENDERS.items()
                 if not (name in TORCH_CONTENDERS and torch_reason) and not (name == "numpy" and device == "cuda")}
        long_cell = shape[1] * shape[3] > 100 * 256  # the unrolled graph at 1,000 steps: fewer runs
        row_repeats = {name: max(repeats // 3, 1) if name == "cell" and long_cell else repeats for name in steps}
        row["seconds"] = interleaved_medians(steps, row_repeats, warmup, device)
        del steps
        bound = row["seconds"]["gemm"]
        row["ratio_to_gemm"] = {k: v / bound for k, v in row["seconds"].items()}
        if "torch" in row["seconds"]:
            row["ratio_to_torch"] = {k: v / row["seconds"]["torch"] for k, v in row["seconds"].items()}
        if with_memory:
            row["peak_step_memory_mib"] = {
                name: peak_memory_mib(name, shape, device)
                for name in ("fused", "torch")
                if not (name == "torch" and torch_reason)
            }
        rows.append(row)
        print_row(row)
    return {
        **result_header(device, repeats, torch_reason, before),
        "rows": rows,
        "per_op_overhead_us": per_op_overhead_us(repeats) if device == "cpu" else None,
    }


def result_header(device: str, repeats: int, torch_reason: str, before: dict) -> dict:
    """What every results file says about its run: when, where, which versions, and the
    conditions (``before``, from :func:`conditions`) with the load average after."""
    return {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(device),
        "device": device,
        "dtype": "float32",
        "repeats": repeats,
        "torch": torch_reason or __import__("torch").__version__,
        "numpy": np.__version__,
        "conditions": before,
        "load_average_1min_after": os.getloadavg()[0],
    }


# (what, shape index or None, numerator, denominator, limit): every ratio from one run
TARGETS = [
    ("fused ÷ torch", 0, ("fused", "torch"), 1.0),
    ("fused ÷ torch", 1, ("fused", "torch"), 1.0),
    ("fused ÷ torch", 2, ("fused", "torch"), 1.0),
    ("fused ÷ gemm", 0, ("fused", "gemm"), 1.3),
    ("fused ÷ gemm", 2, ("fused", "gemm"), 1.3),
]


def check_targets(result: dict) -> list[dict]:
    """The project's speed and memory targets, each with the measured ratio and whether it is met."""
    checks = []
    for what, index, (top, bottom), limit in TARGETS:
        if index >= len(result["rows"]):
            continue
        row = result["rows"][index]
        seconds = row["seconds"]
        if top in seconds and bottom in seconds:
            ratio = seconds[top] / seconds[bottom]
            checks.append({"target": f"{what} <= {limit} at {tuple(row['shape'].values())}",
                           "ratio": round(ratio, 3), "met": ratio <= limit})
    for row in result["rows"]:
        memory = row.get("peak_step_memory_mib", {})
        if "fused" in memory and "torch" in memory and memory["torch"] > 0:
            ratio = memory["fused"] / memory["torch"]
            checks.append({"target": f"peak memory fused ÷ torch <= 1 at {tuple(row['shape'].values())}",
                           "ratio": round(ratio, 3), "met": ratio <= 1.0})
    overhead = result.get("per_op_overhead_us") or {}
    if "torch" in overhead:
        ratio = overhead["lstmkit"] / overhead["torch"]
        checks.append({"target": "per-op overhead lstmkit ÷ torch <= 1.5", "ratio": round(ratio, 3),
                       "met": ratio <= 1.5})
    return checks


CROSSOVER_SHAPES = [(8, 50, 16, 32), (64, 30, 2, 32), (32, 50, 32, 64), (32, 50, 32, 128), (64, 50, 64, 128),
                    (32, 50, 32, 256), (64, 50, 64, 256)]


def crossover(repeats: int) -> list[dict]:
    """The fused layer's compiled whole time loop against its compiled steps with BLAS
    products, over sizes around ``compiled.WHOLE_LOOP_MAX_MACS``."""
    from lstmkit.nn import compiled  # noqa: PLC0415

    def forced(shape, limit):
        inner = lstmkit_fused_step(*shape, "cpu")

        def step():
            saved = compiled.WHOLE_LOOP_MAX_MACS
            compiled.WHOLE_LOOP_MAX_MACS = limit
            try:
                inner()
            finally:
                compiled.WHOLE_LOOP_MAX_MACS = saved

        return step

    rows = []
    print(f"chosen: whole loop up to {compiled.WHOLE_LOOP_MAX_MACS} multiply-adds per step")
    for shape in CROSSOVER_SHAPES:
        batch, _, _, hidden = shape
        seconds = interleaved_medians({"whole loop": forced(shape, 1 << 62), "steps": forced(shape, 0)},
                                      {"whole loop": repeats, "steps": repeats}, 1, "cpu")
        macs = batch * hidden * 4 * hidden
        rows.append({"shape": shape, "macs_per_step": macs, "seconds": seconds,
                     "whole_over_steps": seconds["whole loop"] / seconds["steps"],
                     "chosen": "whole loop" if macs <= compiled.WHOLE_LOOP_MAX_MACS else "steps"})
        print(f"  {shape}: {macs:>9} MACs/step  whole loop {seconds['whole loop'] * 1e3:8.2f} ms  "
              f"steps {seconds['steps'] * 1e3:8.2f} ms  ratio {rows[-1]['whole_over_steps']:.2f}  "
              f"(chosen: {rows[-1]['chosen']})")
    return rows


def print_row(row: dict) -> None:
    s = row["shape"]
    title = f"batch {s['batch']}, steps {s['steps']}, inputs {s['inputs']}, hidden {s['hidden']}"
    print(f"\n{title}")
    print(f"  {'':8}{'time':>12}{'÷ gemm':>10}{'÷ torch':>10}{'peak MiB':>11}")
    for name, seconds in row["seconds"].items():
        to_torch = row.get("ratio_to_torch", {}).get(name)
        memory = row.get("peak_step_memory_mib", {}).get(name)
        print(
            f"  {name:8}{seconds * 1e3:10.1f}ms{row['ratio_to_gemm'][name]:10.2f}"
            f"{'' if to_torch is None else f'{to_torch:10.2f}':>10}"
            f"{'' if memory is None else f'{memory:11.1f}':>11}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to run (default: cpu)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per figure (median is reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats, small and first shapes only")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocess runs")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default benchmarks/results/<device>.json)")
    parser.add_argument("--crossover", action="store_true",
                        help="time the compiled whole loop against compiled steps over sizes (CPU) and stop")
    args = parser.parse_args(argv)
    if args.crossover:
        rows = crossover(args.repeats)
        out = args.out or RESULTS / "crossover-cpu.json"
        out.write_text(json.dumps({"date": datetime.date.today().isoformat(), "conditions": conditions(),
                                   "rows": rows}, indent=1) + "\n")
        print(f"results written to {out}")
        return 0
    device = backend.resolve_device(args.device)
    shapes = SHAPES[:2] if args.quick else SHAPES
    repeats = 3 if args.quick else args.repeats
    result = run(device, repeats, args.warmup, shapes, with_memory=not args.no_memory)
    if result["per_op_overhead_us"]:
        overhead = result["per_op_overhead_us"]
        print(f"\nper-op overhead (x*x).sum().backward() on 16 values: lstmkit {overhead['lstmkit']:.1f} us"
              + (f", torch {overhead['torch']:.1f} us, ratio {overhead['lstmkit'] / overhead['torch']:.2f}" if "torch" in overhead else ""))
    result["targets"] = check_targets(result)
    report_and_save(result, args.out or RESULTS / f"{device}.json")
    return 0


def report_and_save(result: dict, out: Path) -> None:
    """Print each target as met or NOT met with its figure, and write ``result`` as JSON to ``out``."""
    print()
    for check in result["targets"]:
        figure = f"{check['ratio']:.2f}" if "ratio" in check else f"{check['seconds']:.1f} s"
        print(f"  {'met    ' if check['met'] else 'NOT met'}  {check['target']}: {figure}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    sys.exit(main())
