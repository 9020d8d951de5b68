"""Widgets for the course: gate explorers, a sequence player and a live training plot.

Host-side code: these modules may use NumPy and matplotlib, and are never imported by
the layers below (``nn``, ``gates``, ``autograd``).
"""

from .explorer import (
    GateExplorer,
    GateFunctionError,
    cell_explorer,
    forget_gate_explorer,
    learn_gate_explorer,
    remember_gate_explorer,
    use_gate_explorer,
)
from .liveplot import LivePlot
from .player import SequencePlayer

__all__ = [
    "GateExplorer",
    "GateFunctionError",
    "LivePlot",
    "SequencePlayer",
    "cell_explorer",
    "forget_gate_explorer",
    "learn_gate_explorer",
    "remember_gate_explorer",
    "use_gate_explorer",
]
from .textline import TextLineViewer as TextLineViewer  # noqa: E402
