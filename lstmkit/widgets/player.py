"""A sequence player: run a cell over a sequence and step through time with a Play button.

>>> player = SequencePlayer(cell, events)            # an LSTMCell, events (T, event)
>>> player = SequencePlayer(weights, events, variant="article")   # or a weights dict
>>> player                                           # Play, a time slider, heatmaps, numbers

The heatmaps (Event, STM, LTM and the factors i, f, V over time) are drawn once; each
step only moves a marker and swaps the PNG of one ``ipywidgets.Image`` (frames are
cached, the next one drawn ahead), so playing does not flicker or lag behind the slider.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np

from .. import gates
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor, tensor
from ._figure import new_figure, png_bytes
from ._readout import GATE_COLOURS

#: history key -> (row title, colour map, fixed (vmin, vmax) or None for symmetric around 0)
ROWS: dict[str, tuple[str, str, tuple[float, float] | None]] = {
    "event": ("Event E", "RdBu_r", None),
    "stm": ("STM (short term)", "RdBu_r", (-1.0, 1.0)),
    "ltm": ("LTM (long term)", "RdBu_r", None),
    "i_t": ("i: ignore factor", "viridis", (0.0, 1.0)),
    "f_t": ("f: forget factor", "viridis", (0.0, 1.0)),
    "V_t": ("V: use factor", "viridis", (0.0, 1.0)),
}
STEP_FIELDS = ("stm", "ltm", "N_t", "i_t", "learn_output", "f_t", "forget_output", "U_t", "V_t")


def _host(values: Any) -> np.ndarray:
    """A host NumPy array from a Tensor, a NumPy array or nested lists."""
    if isinstance(values, Tensor):
        return values.numpy()
    if hasattr(values, "get") and not isinstance(values, dict):  # a CuPy array
        return values.get()
    return np.asarray(values, dtype=float)


def _events(sequence: Any, event_size: int) -> np.ndarray:
    """``sequence`` (T, event) or (T, 1, event) -> host array (T, event)."""
    events = _host(sequence)
    if events.ndim == 3 and events.shape[1] == 1:
        events = events[:, 0, :]
    if events.ndim != 2 or events.shape[1] != event_size or len(events) == 0:
        raise ValueError(
            f"SequencePlayer: the sequence has shape {events.shape}; expected (T, {event_size}) or "
            f"(T, 1, {event_size}) with T >= 1 for a cell with {event_size} event feature(s). "
            "Pass one sequence, not a batch (take seq[:, 0] of a (T, batch, event) batch)."
        )
    return events


class SequencePlayer(widgets.VBox):
    """Play a cell over one sequence; heatmaps of STM, LTM, i, f, V over time and this step's values.

    ``model``: an object with ``step(event, stm_prev, ltm_prev) -> gates.LSTMStep``,
    ``gate_weights()`` and ``variant`` (``nn.LSTMCell``), or a weights dict as
    ``gates.lstm_step`` takes (``variant`` defaults to ``"article"`` when it holds
    ``W_u``, else ``"standard"``). ``sequence``: (T, event) or (T, 1, event).
    ``stm0``, ``ltm0``: starting memories (hidden,) or (1, hidden); zeros by default.

    ``history[name]`` is a (T, hidden) array for ``stm, ltm, N_t, i_t, learn_output, f_t,
    forget_output, U_t, V_t`` and (T, event) for ``event``; ``values`` holds the current step's.
    """

    def __init__(
        self,
        model: Any,
        sequence: Any,
        *,
        variant: str | None = None,
        stm0: Any = None,
        ltm0: Any = None,
        interval_ms: int = 400,
        max_units: int = 8,
    ) -> None:
        weights, self.variant, stepper = self._resolve_model(model, variant)
        w_n = weights["W_n"]
        hidden = w_n.shape[0]
        events = _events(sequence, w_n.shape[1] - hidden)
        self.history = self._run(stepper, events, hidden, w_n, stm0, ltm0)
        self.max_units = max_units
        steps = len(events)
        self.play = widgets.Play(value=0, min=0, max=steps - 1, step=1, interval=interval_ms,
                                 description="Play")
        self.slider = widgets.IntSlider(value=0, min=0, max=steps - 1, description="time step t",
                                        style={"description_width": "90px"},
                                        layout=widgets.Layout(width="420px"))
        self.slider.add_class("lstmkit-time")
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="auto"))
        self.current = widgets.HTML()
        self.values: dict[str, list[float]] = {}
        self._frames: dict[int, bytes] = {}
        self._figure, self._markers = self._draw()
        super().__init__([
            widgets.HTML(f"<h3 style='margin:4px 0'>An LSTM cell over {steps} steps "
                         f"({self.variant} use gate, {hidden} memory units)</h3>"),
            widgets.HBox([self.play, self.slider]),
            widgets.HBox([self.image, self.current], layout=widgets.Layout(flex_flow="row wrap")),
        ])
        self.add_class("lstmkit-player")
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(0)

    # ------------------------------------------------------------------ running

    @staticmethod
    def _resolve_model(model: Any, variant: str | None) -> tuple[dict, str, Any]:
        if hasattr(model, "step") and hasattr(model, "gate_weights"):
            chosen = variant or getattr(model, "variant", "standard")
            return model.gate_weights(), chosen, model.step
        if isinstance(model, dict):
            if "W_n" not in model:
                raise KeyError(
                    f"SequencePlayer: the weights dict has keys {sorted(model)}; expected W_n, b_n, W_i, "
                    "b_i, W_f, b_f, W_v, b_v (and W_u, b_u for the article variant), as gates.lstm_step takes."
                )
            chosen = variant or ("article" if "W_u" in model else "standard")
            return model, chosen, lambda e, s, c: gates.lstm_step(e, s, c, model, chosen)
        raise TypeError(
            f"SequencePlayer: model is a {type(model).__name__}; expected an LSTMCell (with step() and "
            "gate_weights()) or a dict of gate weights as gates.lstm_step takes."
        )

    @staticmethod
    def _run(stepper: Any, events: np.ndarray, hidden: int, like: Tensor, stm0: Any, ltm0: Any) -> dict:
        def start(value: Any) -> Tensor:
            host = np.zeros((1, hidden)) if value is None else _host(value).reshape(1, hidden)
            return tensor(host, dtype=like.dtype, device=like.device)

        stm, ltm = start(stm0), start(ltm0)
        rows: dict[str, list[np.ndarray]] = {name: [] for name in STEP_FIELDS}
        with no_grad():
            for t in range(len(events)):
                event = tensor(events[t:t + 1], dtype=like.dtype, device=like.device)
                result = stepper(event, stm, ltm)
                for name in STEP_FIELDS:
                    rows[name].append(getattr(result, name).numpy().reshape(hidden))
                stm, ltm = result.stm, result.ltm
        history = {name: np.stack(values) for name, values in rows.items()}
        history["event"] = events
        return history

    # ------------------------------------------------------------------ drawing

    def _draw(self) -> tuple[Any, list[Any]]:
        steps = len(self.history["stm"])
        figure = new_figure(min(3.0 + 0.09 * steps, 9.0), 0.85 * len(ROWS) + 0.5)
        axes = figure.subplots(len(ROWS), 1, sharex=True)
        markers = []
        for ax, (key, (title, cmap, limits)) in zip(axes, ROWS.items(), strict=True):
            data = self.history[key].T  # (units, T)
            if limits is None:
                top = float(np.abs(data).max()) or 1.0
                limits = (-top, top)
            image = ax.imshow(data, aspect="auto", cmap=cmap, vmin=limits[0], vmax=limits[1],
                              interpolation="nearest")
            ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
            ax.set_yticks([])
            figure.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
            markers.append(ax.axvspan(-0.5, 0.5, fill=False, edgecolor="black", linewidth=1.8))
        axes[-1].set_xlabel("time step t")
        return figure, markers

    def frame(self, step: int) -> bytes:
        """The heatmaps with the marker on ``step``, as PNG bytes (cached)."""
        if step not in self._frames:
            for marker in self._markers:
                marker.set_x(step - 0.5)
            self._frames[step] = png_bytes(self._figure)
        return self._frames[step]

    # ------------------------------------------------------------------ showing

    @property
    def step(self) -> int:
        """The time step now shown (move it with ``slider.value``)."""
        return int(self.slider.value)

    def show(self, step: int) -> None:
        """Show time step ``step``: move the marker and list that step's values."""
        h = self.history
        self.values = {
            "event": h["event"][step].tolist(),
            "stm_t": h["stm"][step].tolist(),
            "ltm_t": h["ltm"][step].tolist(),
            "i_t": h["i_t"][step].tolist(),
            "f_t": h["f_t"][step].tolist(),
            "V_t": h["V_t"][step].tolist(),
        }
        self.image.value = self.frame(step)
        self.current.value = self._table(step)
        if step + 1 < len(h["stm"]):
            self.frame(step + 1)  # drawn now, while Play waits: the next step shows at once

    def _table(self, step: int) -> str:
        names = {
            "event": ("Event E<sub>t</sub>", "input"),
            "stm_t": ("STM<sub>t</sub>", "use"),
            "ltm_t": ("LTM<sub>t</sub>", "remember"),
            "i_t": ("i<sub>t</sub>", "learn"),
            "f_t": ("f<sub>t</sub>", "forget"),
            "V_t": ("V<sub>t</sub>", "use"),
        }
        rows = []
        for key, (label, gate) in names.items():
            shown = self.values[key][: self.max_units]
            more = " …" if len(self.values[key]) > self.max_units else ""
            text = ", ".join(f"{x:.3f}" for x in shown) + more
            raw = ",".join(repr(x) for x in self.values[key])
            rows.append(
                f'<tr><td style="padding:2px 8px;color:{GATE_COLOURS[gate]};font-weight:bold;white-space:nowrap">{label}</td>'
                f'<td style="padding:2px 8px;font-family:monospace;white-space:nowrap"><span class="lstmkit-value" '
                f'data-lstmkit="{key}" data-value="{raw}">[{text}]</span></td></tr>'
            )
        return (f'<div class="lstmkit-readout"><b>t = {step}</b>'
                f'<table style="border-collapse:collapse">{"".join(rows)}</table></div>')
