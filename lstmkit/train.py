"""The training loop: batches, loss, gradient clipping, evaluation, checkpoints.

>>> from lstmkit import data, models, train
>>> task = data.AddingTask(seq_len=20)
>>> model = models.SequenceRegressor(2, 16, 1)
>>> trainer = train.fit(model, task, steps=5, progress=False)
>>> len(trainer.history)
5

Training batch ``k`` is drawn from ``data.batch_rng(seed, k)``, a pure function of
the seed and the step, so a run resumed from a checkpoint (which also restores the
optimiser and lstmkit's random generator) follows exactly the loss trajectory of
an uninterrupted run.

Loss values are copied to the host every ``log_every`` steps, not after every
step, so that on a GPU the host does not wait for the device at each step.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from tqdm.auto import tqdm

from . import backend
from .autograd.function import no_grad
from .autograd.tensor import Tensor
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .data import TRAIN_SPLIT, VAL_SPLIT, as_tensors, batch_rng, split_rng
from .models import loss_for
from .nn import Module
from .optim import SGD, Adam, clip_grad_norm_

LossFn = Callable[[Module, Tensor, Tensor], Tensor]


class LivePlot(Protocol):
    """Anything with ``update(step, loss, val)``, e.g. the widgets' live loss plot."""

    def update(self, step: int, loss: float, val: float | None) -> None: ...


@dataclass
class TrainConfig:
    """Settings of a training run (all JSON-safe, stored in checkpoints).

    Attributes:
        steps: optimiser steps to run in total.
        batch_size: sequences per step.
        lr: learning rate.
        optim: ``"adam"`` or ``"sgd"`` (used when no optimiser object is given).
        clip_norm: clip the global gradient norm to this (None or 0: no clipping).
        eval_every: evaluate on the validation set every this many steps (0: only at the end).
        eval_size: sequences in the validation set.
        log_every: copy losses to the host every this many steps (None: 1 on CPU, 25 on GPU).
        checkpoint_every: save a checkpoint every this many steps (0: only at the end).
        checkpoint_path: where checkpoints go (None: no checkpoints).
        seed: seeds the training batches and the validation set.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        progress: show a tqdm progress bar.
    """

    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-2
    optim: str = "adam"
    clip_norm: float | None = 1.0
    eval_every: int = 100
    eval_size: int = 512
    log_every: int | None = None
    checkpoint_every: int = 0
    checkpoint_path: str | None = None
    seed: int = 0
    device: str = "cpu"
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig: {name} must be a positive integer, but got {value!r}.")
        if not self.lr > 0:
            raise ValueError(f"TrainConfig: lr must be > 0, but got {self.lr!r}; try 1e-2 for Adam.")
        if self.optim not in ("adam", "sgd"):
            raise ValueError(f"TrainConfig: optim must be 'adam' or 'sgd', but got {self.optim!r}.")


class Trainer:
    """Trains ``model`` on ``task`` (a task from :mod:`lstmkit.data`).

    ``history`` gets one dict per step: ``{"step", "loss"}``, plus ``"grad_norm"``
    when clipping and ``"val"`` on evaluation steps. ``live_plot``, if given, is
    called as ``live_plot.update(step, loss, val)`` for every step.
    """

    def __init__(
        self, model: Module, task: Any, config: TrainConfig | None = None, *,
        optimizer: Any = None, loss_fn: LossFn | None = None, live_plot: LivePlot | None = None,
        extra: dict[str, Any] | None = None, **overrides: Any,
    ) -> None:
        config = config or TrainConfig()
        unknown = set(overrides) - {f.name for f in fields(TrainConfig)}
        if unknown:
            raise TypeError(f"Trainer: unknown settings {sorted(unknown)}; see TrainConfig for the names.")
        self.config = TrainConfig(**{**asdict(config), **overrides})
        self.device = backend.resolve_device(self.config.device)
        self.model = model.to(self.device)
        self.task = task
        self.optimizer = optimizer or self._make_optimizer()
        self.loss_fn = loss_fn
        self.live_plot = live_plot
        self.extra = dict(extra or {})
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self._pending: list[tuple[int, Any, Any]] = []
        self._val: tuple[Tensor, Tensor] | None = None
        if self.config.log_every is None:
            self.log_every = 1 if self.device == "cpu" else 25
        else:
            self.log_every = max(1, int(self.config.log_every))

    def _make_optimizer(self) -> Any:
        params = list(self.model.parameters())
        if self.config.optim == "adam":
            return Adam(params, lr=self.config.lr)
        return SGD(params, lr=self.config.lr)

    # ------------------------------------------------------------------ one step

    def compute_loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The scalar loss of the model on one batch."""
        if self.loss_fn is not None:
            return self.loss_fn(self.model, x, y)
        return loss_for(self.task.kind, self.model(x), y)

    def batch(self, step: int, split: str = TRAIN_SPLIT) -> tuple[Tensor, Tensor]:
        """Training batch number ``step`` as Tensors on the device (a function of seed and step)."""
        x, y = self.task.sample(self.config.batch_size, batch_rng(self.config.seed, step), split)
        return as_tensors(x, y, device=self.device)

    def train_step(self) -> None:
        """One optimiser step on the next batch; the loss is queued for the history."""
        self.model.train()
        x, y = self.batch(self.step)
        self.optimizer.zero_grad()
        loss = self.compute_loss(x, y)
        loss.backward()
        norm = None
        if self.config.clip_norm:
            norm = clip_grad_norm_(list(self.model.parameters()), self.config.clip_norm).data  # 0-d, read at flush
        self.optimizer.step()
        self.step += 1
        self._pending.append((self.step, loss.data, norm))

    # ------------------------------------------------------------------ evaluation

    def validation_set(self) -> tuple[Tensor, Tensor]:
        """The fixed validation set (drawn once from ``split_rng('val', seed)``)."""
        if self._val is None:
            rng = split_rng(VAL_SPLIT, self.config.seed)
            x, y = self.task.sample(self.config.eval_size, rng, VAL_SPLIT)
            self._val = as_tensors(x, y, device=self.device)
        return self._val

    def evaluate(self, data: tuple[Tensor, Tensor] | None = None) -> float:
        """Mean loss on ``data`` (default: the validation set), without gradients, in eval mode."""
        x, y = data if data is not None else self.validation_set()
        was_training = self.model.training
        self.model.eval()
        try:
            total, count, size = 0.0, 0, self.config.batch_size * 4
            with no_grad():
                for start in range(0, len(x), size):
                    xb, yb = x[start : start + size], y[start : start + size]
                    total += float(self.compute_loss(xb, yb).item()) * len(xb)
                    count += len(xb)
        finally:
            self.model.train(was_training)
        return total / count

    # ------------------------------------------------------------------ the loop

    def _flush(self, val: float | None = None) -> dict[str, Any] | None:
        """Copy queued losses to the host, append them to the history, feed the live plot."""
        last = None
        for i, (step, loss, norm) in enumerate(self._pending):
            entry: dict[str, Any] = {"step": step, "loss": float(loss.item())}
            if norm is not None:
                entry["grad_norm"] = float(norm)
            is_last = i == len(self._pending) - 1
            if is_last and val is not None:
                entry["val"] = val
            self.history.append(entry)
            if self.live_plot is not None:
                self.live_plot.update(step, entry["loss"], entry.get("val"))
            last = entry
        self._pending.clear()
        return last

    def fit(self, steps: int | None = None) -> list[dict[str, Any]]:
        """Train until ``steps`` optimiser steps are done in total (default ``config.steps``).

        Validation runs every ``eval_every`` steps and at step ``config.steps``.

        Returns the history (a list with one dict per step).
        """
        target = self.config.steps if steps is None else int(steps)
        cfg = self.config
        bar = tqdm(total=target, initial=self.step, disable=not cfg.progress, desc="train", unit="step")
        try:
            while self.step < target:
                self.train_step()
                done = self.step == target
                evaluate = self.step == cfg.steps or (cfg.eval_every and self.step % cfg.eval_every == 0)
                if evaluate or self.step % self.log_every == 0:
                    val = self.evaluate() if evaluate else None
                    last = self._flush(val)
                    if last is not None and math.isfinite(last["loss"]):
                        post = {"loss": f"{last['loss']:.4f}"}
                        if val is not None:
                            post["val"] = f"{val:.4f}"
                        bar.set_postfix(post, refresh=False)
                bar.update(1)
                if cfg.checkpoint_path and (done or (cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0)):
                    self._flush()
                    self.save(cfg.checkpoint_path)
        finally:
            self._flush()
            bar.close()
        return self.history

    # ------------------------------------------------------------------ checkpoints

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write model, optimiser, step, RNG state, history and settings to ``path``."""
        self._flush()
        extra = {**self.extra, "train_config": asdict(self.config), "task": _task_config(self.task)}
        save_checkpoint(path, self.model, self.optimizer, step=self.step, history=self.history, extra=extra)

    def resume(self, path: str | os.PathLike[str]) -> Checkpoint:
        """Load a checkpoint written by :meth:`save` and continue from its step.

        Restores the model, the optimiser, lstmkit's random generator, the history and
        the data seed; the next batch is the one an uninterrupted run would draw.
        """
        ckpt = load_checkpoint(path, self.model, self.optimizer, restore_rng=True)
        saved = ckpt.extra.get("train_config", {})
        if "seed" in saved and saved["seed"] != self.config.seed:
            self.config.seed = int(saved["seed"])
            self._val = None
        self.step = ckpt.step
        self.history = ckpt.history
        self._pending.clear()
        return ckpt


def _task_config(task: Any) -> dict[str, Any]:
    config = getattr(task, "config", None)
    return config() if callable(config) else {"task": getattr(task, "name", type(task).__name__)}


def fit(
    model: Module, task: Any, *, optimizer: Any = None, loss_fn: LossFn | None = None,
    live_plot: LivePlot | None = None, **settings: Any,
) -> Trainer:
    """Train ``model`` on ``task`` with :class:`TrainConfig` ``settings``; returns the Trainer.

    The history is ``trainer.history``; the model is trained in place.
    """
    trainer = Trainer(model, task, optimizer=optimizer, loss_fn=loss_fn, live_plot=live_plot, **settings)
    trainer.fit()
    return trainer


# ---------------------------------------------------------------------- history files


def write_history(history: list[dict[str, Any]], json_path: str | os.PathLike[str], csv_path: str | os.PathLike[str] | None = None) -> None:
    """Write the history as JSON (a list of dicts) and optionally as CSV (step, loss, grad_norm, val)."""
    import csv  # noqa: PLC0415
    import json  # noqa: PLC0415

    with open(json_path, "w", encoding="utf-8") as handle:
        json.dump(history, handle)
    if csv_path is not None:
        columns = ["step", "loss", "grad_norm", "val"]
        with open(csv_path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for entry in history:
                writer.writerow({c: entry.get(c, "") for c in columns})


def plot_history(
    history: list[dict[str, Any]], path: str | os.PathLike[str], *,
    baseline: float | None = None, baseline_label: str = "baseline", title: str = "", log_y: bool = False,
) -> None:
    """Save a PNG of training loss (raw and smoothed) and validation loss against step.

    Uses Matplotlib's Agg canvas directly, so it works without a display.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    steps = [h["step"] for h in history]
    losses = [h["loss"] for h in history]
    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(steps, losses, color="tab:blue", alpha=0.3, linewidth=0.8, label="train loss")
    window = max(1, len(losses) // 50)
    if window > 1:
        smooth = [sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1]) for i in range(len(losses))]
        ax.plot(steps, smooth, color="tab:blue", linewidth=1.5, label=f"train loss (mean of {window})")
    val = [(h["step"], h["val"]) for h in history if h.get("val") is not None]
    if val:
        ax.plot([s for s, _ in val], [v for _, v in val], "o-", color="tab:orange", markersize=3, label="validation loss")
    if baseline is not None:
        ax.axhline(baseline, color="gray", linestyle="--", linewidth=1, label=baseline_label)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


# ---------------------------------------------------------------------- looking inside


def gradient_through_time(model: Module, x: Tensor, y: Tensor, kind: str) -> Any:
    """How strongly the loss reaches back to each input step: ‖d loss / d x_t‖ for every t.

    x: (batch, time, features) float inputs; y: the targets; ``kind`` as in a task
    ('regression' or 'classification'). Returns a host NumPy array of shape (time,).
    A vanilla RNN's values shrink roughly geometrically towards t = 0 (vanishing
    gradients); an LSTM's stay much larger. The model's own gradients are cleared.
    """
    if x.ndim != 3 or x.dtype.kind != "f":
        raise ValueError(
            f"gradient_through_time needs float inputs of shape (batch, time, features), got "
            f"{x.dtype} {x.shape}; character ids have no gradient, use a float task (adding, movie)."
        )
    probe = Tensor(x.data.copy(), requires_grad=True)
    was_training = model.training
    model.eval()
    try:
        loss_for(kind, model(probe), y).backward()
    finally:
        model.train(was_training)
        model.zero_grad()
    grad = probe.grad
    norms = (grad * grad).sum(axis=(0, 2)) ** 0.5
    return backend.to_numpy(norms)
