"""One training step of the course's lessons: lstmkit against PyTorch, as a lesson runs it.

    python benchmarks/bench_lessons.py                  # CPU, float32, prints a table
    python benchmarks/bench_lessons.py --device cuda    # CuPy against torch on the GPU
    python benchmarks/bench_lessons.py --quick          # fewer repeats (a smoke run)

Every figure is one whole training step (forward, loss, backward, clipping where the
lesson clips, the optimiser's step and zero_grad), the median of repeated runs after
warm-up, the contenders timed in turn round after round (``bench_lstm.interleaved_medians``),
and every ratio is against torch measured in the same rounds. Both frameworks start from
the same weights and see the same batches.

* ``lesson8``        ``models.SequenceRegressor(2, 32, 1, cell="lstm")`` on
                     ``data.AddingTask(seq_len=30)``, batch 64, Adam lr 1e-2,
                     ``clip_grad_norm_`` 1.0, MSE: lstmkit's figure is ``Trainer.train_step``
                     plus the per-step host copy of the loss, what a step of ``train.fit``
                     costs without evaluation; torch does the same steps (sampling the
                     batch with the same NumPy code, ``loss.item()`` included);
* ``lesson6_lstm``   ``nn.LSTM(8, 16, batch_first=True, forget_bias=1.0)`` + ``nn.Linear(16, 4)``
                     on the film task (``MovieTask(seq_len=20, n_classes=4, n_features=8,
                     cue_frames=3)``), batch 32, Adam 1e-2, cross-entropy;
* ``lesson6_gru``    the same with ``nn.GRU``;
* ``lesson6_cell``   the readable path the lesson trains: ``nn.LSTMCell`` unrolled over the
                     20 frames in Python, every gate on the autograd tape (``standard`` and
                     ``article`` use gates), against ``torch.nn.LSTMCell`` unrolled the same
                     way. torch's cell is one call into C++ per frame (on the CPU about a
                     dozen C++ autograd nodes); lstmkit's frame is 14 Python-level nodes
                     (one [STM, E] join the gates share, four affine maps, three sigmoids,
                     two tanh, three products and a sum) on the autograd tape, with the
                     gate blocks cut from the parameters once per step. torch has no
                     ``article`` cell, so that variant is compared with torch's standard one.

The lesson-6 training time (400 steps per variant, two variants, as the lesson trains)
is estimated from the step times. Results go to ``benchmarks/results/lessons-<device>.json``
with the conditions (BLAS, threads, load average). On a machine that pins
``OPENBLAS_CORETYPE``, run it with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lstm import (  # noqa: E402
    conditions,
    interleaved_medians,
    report_and_save,
    result_header,
    torch_usable,
)

import lstmkit as lk  # noqa: E402
import lstmkit.functional as F  # noqa: E402
from lstmkit import backend, data, models, nn, optim, rng, train  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LESSON6_STEPS = 400  # per variant, as lesson 6 trains
BATCHES = 8  # distinct batches each contender cycles through (the same ones for both frameworks)

Step = Callable[[], None]


# ---------------------------------------------------------------------------- shared set-up


def film_task() -> data.MovieTask:
    return data.MovieTask(seq_len=20, n_classes=4, n_features=8, cue_frames=3)


def film_batches(device: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lesson 6's training batches 0..BATCHES-1 (clips (32, 20, 8) float32, labels (32,) int64)."""
    task = film_task()
    return [task.sample(32, data.batch_rng(1, step)) for step in range(BATCHES)]


def cycle(batches: list) -> Callable[[], tuple]:
    """A function that hands out the batches in turn, round and round."""
    state = {"next": 0}

    def take() -> tuple:
        batch = batches[state["next"] % len(batches)]
        state["next"] += 1
        return batch

    return take


def torch_copy(torch_module: object, lstmkit_module: nn.Module, device: str) -> object:
    """``torch_module`` with ``lstmkit_module``'s weights (the names and layouts are torch's)."""
    import torch  # noqa: PLC0415

    torch_module.load_state_dict({k: torch.from_numpy(np.array(v, copy=True)) for k, v in lstmkit_module.state_dict().items()})
    return torch_module.to(device)


# ---------------------------------------------------------------------------- lesson 8: the adding problem


def lesson8_lstmkit(device: str) -> Step:
    """``Trainer.train_step`` and the per-step flush of ``train.fit`` (no evaluation)."""
    rng.manual_seed(0)
    model = models.SequenceRegressor(2, 32, 1, cell="lstm")
    trainer = train.Trainer(model, data.AddingTask(seq_len=30), steps=10**9, batch_size=64, lr=1e-2,
                            clip_norm=1.0, eval_every=0, seed=0, device=device, progress=False)

    def step() -> None:
        trainer.train_step()
        trainer._flush()  # fit copies each step's loss to the host (every step on the CPU)
        trainer.history.clear()

    return step


def lesson8_torch(device: str) -> Step:
    import torch  # noqa: PLC0415

    class SequenceRegressor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.LSTM(2, 32, batch_first=True)
            self.head = torch.nn.Linear(32, 1)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    rng.manual_seed(0)
    model = torch_copy(SequenceRegressor(), models.SequenceRegressor(2, 32, 1, cell="lstm"), device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    task, counter = data.AddingTask(seq_len=30), {"step": 0}

    def step() -> None:
        x, y = task.sample(64, data.batch_rng(0, counter["step"]))
        counter["step"] += 1
        x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()

    return step


# ---------------------------------------------------------------------------- lesson 6: the film, fused layers


def lesson6_layer_lstmkit(kind: str, device: str) -> Step:
    rng.manual_seed(1)
    task = film_task()
    if kind == "lstm":
        layer = nn.LSTM(task.input_size, 16, batch_first=True, forget_bias=1.0, device=device)
    else:
        layer = nn.GRU(task.input_size, 16, batch_first=True, device=device)
    head = nn.Linear(16, task.n_classes, device=device)
    opt = optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-2)
    take = cycle(film_batches(device))

    def step() -> None:
        clips, labels = take()
        out, _ = layer(lk.tensor(clips, device=device))
        loss = F.cross_entropy(head(out[:, -1]), lk.tensor(labels, device=device))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def lesson6_layer_torch(kind: str, device: str) -> Step:
    import torch  # noqa: PLC0415

    rng.manual_seed(1)
    task = film_task()
    if kind == "lstm":
        source = nn.LSTM(task.input_size, 16, batch_first=True, forget_bias=1.0)
        layer = torch_copy(torch.nn.LSTM(task.input_size, 16, batch_first=True), source, device)
    else:
        source = nn.GRU(task.input_size, 16, batch_first=True)
        layer = torch_copy(torch.nn.GRU(task.input_size, 16, batch_first=True), source, device)
    head = torch_copy(torch.nn.Linear(16, task.n_classes), nn.Linear(16, task.n_classes), device)
    opt = torch.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-2)
    take = cycle(film_batches(device))

    def step() -> None:
        clips, labels = take()
        out, _ = layer(torch.from_numpy(clips).to(device))
        loss = torch.nn.functional.cross_entropy(head(out[:, -1]), torch.from_numpy(labels).to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


# ---------------------------------------------------------------------------- lesson 6: the readable cell


def lesson6_cell_lstmkit(variant: str, device: str) -> Step:
    """The lesson's ``train`` loop body: LSTMCell unrolled frame by frame, every gate on the tape."""
    rng.manual_seed(1)
    task = film_task()
    cell = nn.LSTMCell(task.input_size, 16, variant=variant, forget_bias=1.0, device=device)
    head = nn.Linear(16, task.n_classes, device=device)
    opt = optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-2)
    take = cycle(film_batches(device))

    def step() -> None:
        clips, labels = take()
        clips = lk.tensor(clips, device=device)
        h = c = lk.zeros(clips.shape[0], cell.hidden_size, device=device)
        for t in range(clips.shape[1]):
            h, c = cell(clips[:, t], (h, c))
        loss = F.cross_entropy(head(h), lk.tensor(labels, device=device))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def lesson6_cell_torch(device: str) -> Step:
    """``torch.nn.LSTMCell`` unrolled the same way (one fused op per frame)."""
    import torch  # noqa: PLC0415

    rng.manual_seed(1)
    task = film_task()
    cell = torch_copy(torch.nn.LSTMCell(task.input_size, 16), nn.LSTMCell(task.input_size, 16, forget_bias=1.0), device)
    head = torch_copy(torch.nn.Linear(16, task.n_classes), nn.Linear(16, task.n_classes), device)
    opt = torch.optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-2)
    take = cycle(film_batches(device))

    def step() -> None:
        clips, labels = take()
        clips = torch.from_numpy(clips).to(device)
        h = c = torch.zeros(clips.shape[0], 16, device=device)
        for t in range(clips.shape[1]):
            h, c = cell(clips[:, t], (h, c))
        loss = torch.nn.functional.cross_entropy(head(h), torch.from_numpy(labels).to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


# ---------------------------------------------------------------------------- the run

#: workload -> {contender: factory(device)}; "torch" is the reference of every ratio
WORKLOADS: dict[str, dict[str, Callable[[str], Step]]] = {
    "lesson8": {"lstmkit": lesson8_lstmkit, "torch": lesson8_torch},
    "lesson6_lstm": {"lstmkit": lambda d: lesson6_layer_lstmkit("lstm", d), "torch": lambda d: lesson6_layer_torch("lstm", d)},
    "lesson6_gru": {"lstmkit": lambda d: lesson6_layer_lstmkit("gru", d), "torch": lambda d: lesson6_layer_torch("gru", d)},
    "lesson6_cell": {"lstmkit": lambda d: lesson6_cell_lstmkit("standard", d),
                     "lstmkit_article": lambda d: lesson6_cell_lstmkit("article", d),
                     "torch": lesson6_cell_torch},
}


def run(device: str, repeats: int, warmup: int, workloads: list[str]) -> dict:
    torch_reason = torch_usable(device)
    before = conditions()
    rows = {}
    for name in workloads:
        steps = {who: make(device) for who, make in WORKLOADS[name].items() if not (who == "torch" and torch_reason)}
        seconds = interleaved_medians(steps, dict.fromkeys(steps, repeats), warmup, device)
        row: dict = {"seconds": seconds}
        if "torch" in seconds:
            row["ratio_to_torch"] = {who: s / seconds["torch"] for who, s in seconds.items()}
        rows[name] = row
        print_row(name, row)
    result = {**result_header(device, repeats, torch_reason, before), "rows": rows}
    cell = rows.get("lesson6_cell", {}).get("seconds", {})
    if "lstmkit" in cell and "lstmkit_article" in cell:
        result["lesson6_training_seconds"] = {
            "readable_cells": LESSON6_STEPS * (cell["lstmkit"] + cell["lstmkit_article"]),
            **({"torch_cells": 2 * LESSON6_STEPS * cell["torch"]} if "torch" in cell else {}),
        }
        layers = [rows.get(k, {}).get("seconds", {}).get("lstmkit") for k in ("lesson6_lstm", "lesson6_gru")]
        if all(s is not None for s in layers):
            result["lesson6_training_seconds"]["fused_layers"] = LESSON6_STEPS * sum(layers)
    return result


#: (what, workload, contender, limit): the ratio to torch measured in the same run
TARGETS = [
    ("lesson 8 step, lstmkit ÷ torch", "lesson8", "lstmkit", 1.0),
    ("lesson 6 nn.LSTM step, lstmkit ÷ torch", "lesson6_lstm", "lstmkit", 1.0),
    ("lesson 6 nn.GRU step, lstmkit ÷ torch", "lesson6_gru", "lstmkit", 1.0),
    ("lesson 6 readable LSTMCell step, lstmkit ÷ torch.nn.LSTMCell", "lesson6_cell", "lstmkit", 1.0),
]
#: lesson 6's two readable trainings (400 steps each) should take seconds, not tens of them
READABLE_TRAINING_LIMIT_S = 10.0


def check_targets(result: dict) -> list[dict]:
    checks = []
    for what, workload, who, limit in TARGETS:
        ratio = result["rows"].get(workload, {}).get("ratio_to_torch", {}).get(who)
        if ratio is not None:
            checks.append({"target": f"{what} <= {limit}", "ratio": round(ratio, 3), "met": ratio <= limit})
    training = result.get("lesson6_training_seconds", {}).get("readable_cells")
    if training is not None:
        checks.append({"target": f"lesson 6 readable trainings (2 x {LESSON6_STEPS} steps) <= "
                                 f"{READABLE_TRAINING_LIMIT_S:g} s", "seconds": round(training, 2),
                       "met": training <= READABLE_TRAINING_LIMIT_S})
    return checks


def print_row(name: str, row: dict) -> None:
    print(f"\n{name}")
    print(f"  {'':16}{'step':>12}{'÷ torch':>10}")
    for who, seconds in row["seconds"].items():
        ratio = row.get("ratio_to_torch", {}).get(who)
        print(f"  {who:16}{seconds * 1e3:10.2f}ms{'' if ratio is None else f'{ratio:10.2f}'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to run (default: cpu)")
    parser.add_argument("--repeats", type=int, default=21, help="timed runs per figure (median is reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 repeats, 1 warm-up")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS), help="workloads to run")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default benchmarks/results/lessons-<device>.json)")
    args = parser.parse_args(argv)
    device = backend.resolve_device(args.device)
    repeats, warmup = (5, 1) if args.quick else (args.repeats, args.warmup)
    result = run(device, repeats, warmup, args.only)
    training = result.get("lesson6_training_seconds")
    if training:
        print("\nlesson 6, estimated training time (400 steps per run, two runs each):")
        for what, seconds in training.items():
            print(f"  {what:16}{seconds:8.1f} s")
    result["targets"] = check_targets(result)
    report_and_save(result, args.out or RESULTS / f"lessons-{device}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
