"""Gate explorers: sliders for a one-unit cell's inputs and weights, every intermediate live.

>>> from lstmkit.widgets import learn_gate_explorer, cell_explorer
>>> learn_gate_explorer()                       # the learn gate alone
>>> cell_explorer(learn_gate=my_learn_gate)     # the whole cell, with your learn gate

The explorer calls the gate functions (``lstmkit.gates``' or yours, same signatures)
on ``(1, 1)`` tensors made from the sliders and shows exactly what they return, read
with ``Tensor.item()``. When one of them raises, the explorer says which one and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import traitlets

from .. import gates
from ..autograd.tensor import Tensor, tensor
from ._compute import Computed, GateFunctionError, run_gates
from ._readout import GATE_COLOURS, error_box, note_box, readout_table
from .diagram import cell_svg

GATES = ("learn", "forget", "remember", "use", "cell")

#: slider key -> (label HTML, default value); W_x_stm and W_x_event are the two entries of W_x (1 x 2).
SLIDERS: dict[str, tuple[str, float]] = {
    "event": ("Event E<sub>t</sub>", 1.0),
    "stm_prev": ("STM<sub>t−1</sub>", 0.5),
    "ltm_prev": ("LTM<sub>t−1</sub>", 1.5),
    "W_n_stm": ("W<sub>n</sub> · STM", 0.5),
    "W_n_event": ("W<sub>n</sub> · E", 1.0),
    "b_n": ("b<sub>n</sub>", 0.0),
    "W_i_stm": ("W<sub>i</sub> · STM", -0.5),
    "W_i_event": ("W<sub>i</sub> · E", 1.0),
    "b_i": ("b<sub>i</sub>", 0.0),
    "W_f_stm": ("W<sub>f</sub> · STM", 0.5),
    "W_f_event": ("W<sub>f</sub> · E", -0.5),
    "b_f": ("b<sub>f</sub>", 1.5),
    "W_v_stm": ("W<sub>v</sub> · STM", 1.0),
    "W_v_event": ("W<sub>v</sub> · E", 0.5),
    "b_v": ("b<sub>v</sub>", -0.5),
    "W_u": ("W<sub>u</sub>", 1.0),
    "b_u": ("b<sub>u</sub>", 0.0),
}
GROUPS = {
    "input": ("Inputs", ["event", "stm_prev", "ltm_prev"]),
    "learn": ("learn gate weights", ["W_n_stm", "W_n_event", "b_n", "W_i_stm", "W_i_event", "b_i"]),
    "forget": ("forget gate weights", ["W_f_stm", "W_f_event", "b_f"]),
    "use": ("use gate weights", ["W_v_stm", "W_v_event", "b_v", "W_u", "b_u"]),
}
OUTPUTS = {
    "learn": ["N_t", "i_t", "learn_output"],
    "forget": ["f_t", "forget_output"],
    "remember": ["ltm_t"],
    "use": ["U_t", "V_t", "stm_t"],
}
TITLES = {
    "learn": "The learn gate: what to learn from this Event",
    "forget": "The forget gate: what to keep of the Long Term Memory",
    "remember": "The remember gate: the new Long Term Memory",
    "use": "The use gate: the new Short Term Memory",
    "cell": "One LSTM cell: Event, STM and LTM in, new LTM and STM out",
}


def steps_needed(gate: str, variant: str) -> list[str]:
    """The gate functions to call, in order, for an explorer of ``gate`` and a use-gate ``variant``."""
    if gate == "learn":
        return ["learn"]
    if gate == "forget":
        return ["forget"]
    if gate == "use" and variant == "article":
        return ["forget", "use"]
    return ["learn", "forget", "remember", "use"] if gate in ("use", "cell") else ["learn", "forget", "remember"]


class FineSlider(widgets.HBox):
    """A slider from ``low`` to ``high`` in hundredths, with a number box; ``value`` is a float.

    The bar underneath is an ``IntSlider`` counting hundredths and the box a
    ``BoundedFloatText``. A float slider's front end re-sends its value, rounded on its own
    step grid, whenever it draws itself; after "Run All" that stale echo arrives after the
    value the code set and overwrites it. Whole numbers have no rounding to send back, so
    the bar never echoes, and the box only sends what a learner types.
    """

    value = traitlets.Float(0.0)

    def __init__(self, value: float, *, low: float = -3.0, high: float = 3.0, width: str = "230px") -> None:
        self.low, self.high = low, high
        self.bar = widgets.IntSlider(
            value=round(value * 100), min=round(low * 100), max=round(high * 100), step=1, readout=False,
            continuous_update=True, layout=widgets.Layout(width=f"calc({width} - 70px)"),
        )
        self.box = widgets.BoundedFloatText(value=round(value, 2), min=low, max=high, step=0.01,
                                            layout=widgets.Layout(width="66px"))
        self.box.add_class("lstmkit-number")
        super().__init__([self.bar, self.box], layout=widgets.Layout(width=width, align_items="center"))
        self.value = value
        self.bar.observe(self._from_bar, names="value")
        self.box.observe(self._from_box, names="value")
        self.observe(self._to_front_end, names="value")

    @traitlets.validate("value")
    def _clamp(self, proposal: dict) -> float:
        return min(max(float(proposal["value"]), self.low), self.high)

    def _to_front_end(self, change: dict) -> None:
        ticks = round(change["new"] * 100)
        if self.bar.value != ticks:
            self.bar.value = ticks
        if abs(self.box.value - change["new"]) > 0.005:
            self.box.value = round(change["new"], 2)

    def _from_bar(self, change: dict) -> None:
        if change["new"] != round(self.value * 100):  # a learner moved the bar
            self.value = change["new"] / 100

    def _from_box(self, change: dict) -> None:
        if abs(change["new"] - self.value) > 1e-9 and abs(change["new"] - round(self.value, 2)) > 1e-9:
            self.value = change["new"]  # a learner typed a number


def _slider(key: str) -> FineSlider:
    """A -3..3 slider for ``key``; its label is a separate HTML widget (see ``_row``)."""
    slider = FineSlider(SLIDERS[key][1])
    slider.add_class(f"lstmkit-slider-{key}")
    return slider


def _row(label: str, slider: FineSlider) -> widgets.HBox:
    """``label`` (HTML, so subscripts render) right-aligned before ``slider``."""
    text = widgets.HTML(f'<div style="text-align:right;padding-right:8px">{label}</div>',
                        layout=widgets.Layout(width="112px"))
    return widgets.HBox([text, slider], layout=widgets.Layout(align_items="center"))


class GateExplorer(widgets.VBox):
    """Sliders for one gate (or the whole cell) of a one-unit LSTM and its values, live.

    ``gate``: ``"learn"``, ``"forget"``, ``"remember"``, ``"use"`` or ``"cell"``.
    ``variant``: the use gate's form, ``"article"`` or ``"standard"`` (a switch in the widget).
    ``learn_gate`` ... ``use_gate``: functions with ``lstmkit.gates``' signatures to use
    instead of the library's. Every tensor is ``(1, 1)`` (one batch row, one unit), every
    ``W`` is ``(1, 2)`` over ``[STM, E]``, ``W_u`` is ``(1, 1)``, every bias ``(1,)``.

    After each change, ``values`` holds the displayed numbers (keys ``N_t``, ``i_t``,
    ``learn_output``, ``f_t``, ``forget_output``, ``ltm_t``, ``U_t``, ``V_t``, ``stm_t``)
    and ``error`` the message shown, or None.
    """

    def __init__(
        self,
        gate: str = "cell",
        *,
        variant: str = "article",
        learn_gate: Callable | None = None,
        forget_gate: Callable | None = None,
        remember_gate: Callable | None = None,
        use_gate: Callable | None = None,
        **initial: float,
    ) -> None:
        if gate not in GATES:
            raise ValueError(f"GateExplorer: gate must be one of {GATES}, got {gate!r}.")
        if variant not in gates.VARIANTS:
            raise ValueError(f"GateExplorer: variant must be 'article' or 'standard', got {variant!r}.")
        unknown = sorted(set(initial) - set(SLIDERS))
        if unknown:
            raise TypeError(f"GateExplorer: unknown slider(s) {unknown}; the sliders are {list(SLIDERS)}.")
        self.gate = gate
        self.functions: dict[str, Callable] = {
            "learn": learn_gate or gates.learn_gate,
            "forget": forget_gate or gates.forget_gate,
            "remember": remember_gate or gates.remember_gate,
            "use": use_gate or gates.use_gate,
        }
        self.sliders = {key: _slider(key) for key in SLIDERS}
        self._rows = {key: _row(SLIDERS[key][0], slider) for key, slider in self.sliders.items()}
        for key, value in initial.items():
            self.sliders[key].value = value
        self.variant_switch = widgets.ToggleButtons(
            options=[("article", "article"), ("standard (PyTorch)", "standard")],
            value=variant, description="use gate:", style={"button_width": "150px", "description_width": "initial"},
            tooltips=["U_t = tanh(W_u (LTM_t-1 ⊙ f_t) + b_u), as in the article",
                      "U_t = tanh(LTM_t), as in PyTorch and cuDNN"],
        )
        self.variant_switch.add_class("lstmkit-variant")
        self.message = widgets.HTML()
        self.readout = widgets.HTML()
        self.diagram = widgets.HTML()
        self.diagram.add_class("lstmkit-diagram")
        self.values: dict[str, float | None] = {}
        self.error: str | None = None
        self.notes: list[str] = []
        self.from_library: set[str] = set()
        self._boxes = {name: self._group(name) for name in GROUPS}
        colour = GATE_COLOURS.get(gate, "#333") if gate != "cell" else "#333"
        title = widgets.HTML(f'<h3 style="margin:4px 0;color:{colour}">{TITLES[gate]}</h3>')
        columns = self._columns()
        has_switch = gate in ("use", "cell")
        super().__init__(
            [title, *([self.variant_switch] if has_switch else []), self.message,
             widgets.HBox(columns + [self.readout], layout=widgets.Layout(flex_flow="row wrap")),
             self.diagram],
        )
        self.add_class("lstmkit-explorer")
        self.add_class(f"lstmkit-explorer-{gate}")
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.variant_switch.observe(self._on_change, names="value")
        self.refresh()

    # ------------------------------------------------------------------ layout

    def _group(self, name: str) -> widgets.VBox:
        title, keys = GROUPS[name]
        colour = GATE_COLOURS[name]
        head = widgets.HTML(f'<b style="color:{colour}">{title}</b>')
        return widgets.VBox([head, *[self._rows[k] for k in keys]])

    def _columns(self) -> list[widgets.Widget]:
        b = self._boxes
        if self.gate in ("learn", "forget"):
            return [widgets.VBox([b["input"], b[self.gate]])]
        return [widgets.VBox([b["input"], b["learn"]]), widgets.VBox([b["forget"], b["use"]])]

    def _show_needed_sliders(self, steps: list[str]) -> None:
        """Hide the sliders this explorer's computation does not read."""
        needed = {"event", "stm_prev"}
        if "forget" in steps:
            needed |= {"ltm_prev", *GROUPS["forget"][1]}
        if "learn" in steps:
            needed |= set(GROUPS["learn"][1])
        if "use" in steps:
            needed |= {"W_v_stm", "W_v_event", "b_v"}
            if self.variant == "article":
                needed |= {"W_u", "b_u"}
        for key, row in self._rows.items():
            row.layout.display = None if key in needed else "none"
        for name, box in self._boxes.items():
            visible = any(k in needed for k in GROUPS[name][1])
            box.layout.display = None if visible else "none"

    # ------------------------------------------------------------------ state

    @property
    def variant(self) -> str:
        """The use gate's form now selected: ``"article"`` or ``"standard"``."""
        return self.variant_switch.value

    def inputs(self) -> dict[str, Tensor]:
        """The current slider values as the gate functions receive them.

        Keys: ``event``, ``stm_prev``, ``ltm_prev`` (each (1, 1)) and the weights
        ``W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v`` ((1, 2) and (1,)), ``W_u`` (1, 1), ``b_u`` (1,).
        """
        s = {key: slider.value for key, slider in self.sliders.items()}
        out = {name: tensor([[s[name]]]) for name in ("event", "stm_prev", "ltm_prev")}
        for g in "nifv":
            out[f"W_{g}"] = tensor([[s[f"W_{g}_stm"], s[f"W_{g}_event"]]])
            out[f"b_{g}"] = tensor([s[f"b_{g}"]])
        out["W_u"] = tensor([[s["W_u"]]])
        out["b_u"] = tensor([s["b_u"]])
        return out

    def set(self, **values: float) -> None:
        """Move several sliders at once (keys as in ``sliders``), then recompute once."""
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise TypeError(f"GateExplorer.set: unknown slider(s) {unknown}; the sliders are {list(SLIDERS)}.")
        self._holding = True
        try:
            for key, value in values.items():
                self.sliders[key].value = value
        finally:
            self._holding = False
        self.refresh()

    _holding = False

    def _on_change(self, change: dict) -> None:
        if not self._holding:
            self.refresh()

    # ------------------------------------------------------------------ computing

    def compute(self) -> Computed:
        """Call the gate functions for the current sliders: the values they return, as floats.

        Raises GateFunctionError naming the function that failed.
        """
        return run_gates(steps_needed(self.gate, self.variant), self.variant, self.functions, self.inputs())

    def refresh(self) -> None:
        """Recompute every value from the sliders and redraw the numbers and the diagram."""
        steps = steps_needed(self.gate, self.variant)
        self._show_needed_sliders(steps)
        inputs = {key: float(self.sliders[key].value) for key in ("event", "stm_prev", "ltm_prev")}
        try:
            computed = self.compute()
            self.error = None
            self.notes = computed.notes
            self.message.value = "".join(note_box(note) for note in computed.notes)
        except GateFunctionError as error:
            computed = Computed()
            self.error, self.notes = str(error), []
            self.message.value = error_box(self.error)
        keys = [key for step in steps for key in OUTPUTS[step]]
        self.values = {key: computed.values.get(key) for key in keys}
        self.from_library = computed.from_library
        if "forget" not in steps:
            inputs["ltm_prev"] = None  # type: ignore[assignment]
        tags = {key: "from lstmkit.gates (your function returns only its output)" for key in computed.from_library}
        self.readout.value = readout_table(self.values, keys, "Values now (what the gate functions return)", tags)
        focus = {self.gate} if self.gate != "cell" else None
        self.diagram.value = cell_svg({**inputs, **self.values}, variant=self.variant, focus=focus)


def learn_gate_explorer(learn_gate: Callable | None = None, **initial: float) -> GateExplorer:
    """Sliders for Event, STM and the learn gate's W_n, b_n, W_i, b_i; shows N_t, i_t, N_t ⊙ i_t."""
    return GateExplorer("learn", learn_gate=learn_gate, **initial)


def forget_gate_explorer(forget_gate: Callable | None = None, **initial: float) -> GateExplorer:
    """Sliders for Event, STM, LTM and W_f, b_f; shows f_t and LTM_{t-1} ⊙ f_t."""
    return GateExplorer("forget", forget_gate=forget_gate, **initial)


def remember_gate_explorer(remember_gate: Callable | None = None, **initial: float) -> GateExplorer:
    """The learn and forget gates feeding the remember gate; shows the new LTM_t."""
    return GateExplorer("remember", remember_gate=remember_gate, **initial)


def use_gate_explorer(use_gate: Callable | None = None, variant: str = "article", **initial: float) -> GateExplorer:
    """The use gate in either variant (a switch); shows U_t, V_t and the new STM_t."""
    return GateExplorer("use", use_gate=use_gate, variant=variant, **initial)


def cell_explorer(variant: str = "article", **functions_and_initial: Any) -> GateExplorer:
    """The whole cell: every slider, every intermediate, the diagram and the use-gate switch.

    Pass ``learn_gate=...``, ``forget_gate=...``, ``remember_gate=...``, ``use_gate=...``
    to see your own functions at work, and slider values (``event=1.5``) to start from.
    """
    return GateExplorer("cell", variant=variant, **functions_and_initial)
