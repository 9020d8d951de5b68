"""The numbers the widgets show, as HTML: one row per quantity, a formatted value and a bar.

Every value is an element ``<span class="lstmkit-value" data-lstmkit="KEY"
data-value="REPR">`` so that tests (and curious learners) find it in the page.
"""

from __future__ import annotations

import html
from typing import NamedTuple

POSITIVE = "#1f77b4"
NEGATIVE = "#d62728"
MISSING = "#9e9e9e"


class Quantity(NamedTuple):
    symbol: str  #: HTML, e.g. ``N<sub>t</sub>``
    meaning: str  #: in the course's words
    scale: float  #: |value| that fills a bar
    gate: str  #: learn, forget, remember, use or input


QUANTITIES: dict[str, Quantity] = {
    "event": Quantity("E<sub>t</sub>", "Event", 3.0, "input"),
    "stm_prev": Quantity("STM<sub>t−1</sub>", "previous Short Term Memory", 3.0, "input"),
    "ltm_prev": Quantity("LTM<sub>t−1</sub>", "previous Long Term Memory", 3.0, "input"),
    "N_t": Quantity("N<sub>t</sub>", "learn matrix, tanh(W<sub>n</sub>[STM, E] + b<sub>n</sub>)", 1.0, "learn"),
    "i_t": Quantity("i<sub>t</sub>", "ignore factor, σ(W<sub>i</sub>[STM, E] + b<sub>i</sub>)", 1.0, "learn"),
    "learn_output": Quantity("N<sub>t</sub> ⊙ i<sub>t</sub>", "learn gate output", 1.0, "learn"),
    "f_t": Quantity("f<sub>t</sub>", "forget factor, σ(W<sub>f</sub>[STM, E] + b<sub>f</sub>)", 1.0, "forget"),
    "forget_output": Quantity("LTM<sub>t−1</sub> ⊙ f<sub>t</sub>", "forget gate output", 3.0, "forget"),
    "ltm_t": Quantity("LTM<sub>t</sub>", "remember gate: the new Long Term Memory", 4.0, "remember"),
    "U_t": Quantity("U<sub>t</sub>", "use gate, what the memory could say (tanh)", 1.0, "use"),
    "V_t": Quantity("V<sub>t</sub>", "use factor, σ(W<sub>v</sub>[STM, E] + b<sub>v</sub>)", 1.0, "use"),
    "stm_t": Quantity("STM<sub>t</sub>", "use gate: the new Short Term Memory", 1.0, "use"),
}

GATE_COLOURS = {
    "input": "#555555",
    "learn": "#2e7d32",
    "forget": "#6a1b9a",
    "remember": "#8d6e63",
    "use": "#e65100",
}


def fmt(value: float | None, digits: int = 4) -> str:
    """A value as the widgets print it: ``0.7616``, ``-1.0000``; ``—`` when there is none."""
    return "—" if value is None else f"{value:.{digits}f}"


def value_span(key: str, value: float | None, digits: int = 4) -> str:
    """``<span data-lstmkit=key data-value=repr>formatted</span>`` for one value."""
    raw = "" if value is None else repr(float(value))
    return (
        f'<span class="lstmkit-value" data-lstmkit="{html.escape(key)}" data-value="{raw}" '
        f'style="font-family:monospace;font-size:1.05em">{fmt(value, digits)}</span>'
    )


def bar(value: float | None, scale: float, width: int = 130) -> str:
    """A bar centred on zero: blue to the right for positive values, red to the left for negative."""
    base = (
        f"position:relative;display:inline-block;width:{width}px;height:12px;"
        "background:#eeeeee;border-radius:3px;vertical-align:middle"
    )
    mid = "position:absolute;left:50%;top:0;bottom:0;width:1px;background:#888"
    if value is None:
        return f'<span style="{base}"><span style="{mid}"></span></span>'
    share = min(abs(value) / scale, 1.0) * 50.0
    side = f"left:50%;width:{share:.1f}%" if value >= 0 else f"left:{50 - share:.1f}%;width:{share:.1f}%"
    colour = POSITIVE if value >= 0 else NEGATIVE
    fill = f"position:absolute;top:1px;bottom:1px;{side};background:{colour};border-radius:2px"
    return f'<span style="{base}"><span style="{fill}"></span><span style="{mid}"></span></span>'


def readout_table(
    values: dict[str, float | None], keys: list[str], title: str = "", tags: dict[str, str] | None = None
) -> str:
    """An HTML table: symbol, value, bar and meaning (plus ``tags[key]`` in grey) for each of ``keys``."""
    rows = []
    tags = tags or {}
    for key in keys:
        q = QUANTITIES[key]
        colour = GATE_COLOURS[q.gate]
        tag = f' <i style="color:#999">({html.escape(tags[key])})</i>' if key in tags else ""
        rows.append(
            "<tr>"
            f'<td style="padding:2px 8px;color:{colour};font-weight:bold;white-space:nowrap">{q.symbol}</td>'
            f'<td style="padding:2px 8px;text-align:right">{value_span(key, values.get(key))}</td>'
            f'<td style="padding:2px 8px">{bar(values.get(key), q.scale)}</td>'
            f'<td style="padding:2px 8px;color:#555;font-size:0.9em">{q.meaning}{tag}</td>'
            "</tr>"
        )
    head = f'<div style="font-weight:bold;margin:4px 0">{title}</div>' if title else ""
    return (
        f'<div class="lstmkit-readout">{head}'
        f'<table style="border-collapse:collapse;line-height:1.5">{"".join(rows)}</table></div>'
    )


def error_box(message: str) -> str:
    """A red box that says what went wrong (the message is escaped, newlines kept)."""
    text = html.escape(message).replace("\n", "<br>")
    return (
        '<div class="lstmkit-error" style="border:1px solid #d62728;background:#fdecea;color:#8b0000;'
        f'padding:6px 10px;border-radius:4px;font-family:monospace;white-space:normal">{text}</div>'
    )


def note_box(message: str) -> str:
    """A yellow box for something worth knowing that is not an error."""
    return (
        '<div class="lstmkit-note" style="border:1px solid #f0c36d;background:#fff8e1;color:#5d4200;'
        f'padding:4px 10px;border-radius:4px;margin:2px 0">{html.escape(message)}</div>'
    )
