"""A drawing of one LSTM cell as inline SVG whose paths show the current values.

Each wire is as thick as its value is large, blue when positive and red when negative;
a label next to it gives the number. Gates that an explorer does not teach are drawn
faded. Only the Python standard library is used: the SVG is a string.
"""

from __future__ import annotations

import html

from ._readout import GATE_COLOURS, MISSING, NEGATIVE, POSITIVE, QUANTITIES, fmt

WIDTH, HEIGHT = 790, 370
LTM_Y, BUS_Y = 60, 312
Point = tuple[float, float]

# Where each gate sits: (x, y, width, height) of its shaded region.
REGIONS = {
    "forget": (190, 90, 95, 190),
    "learn": (315, 118, 185, 175),
    "remember": (392, 30, 56, 58),
    "use": (545, 88, 185, 210),
}
GATE_TITLES = {"forget": "forget gate", "learn": "learn gate", "remember": "remember gate", "use": "use gate"}


def _sub(text: str) -> str:
    """``LTM_t-1`` -> SVG text with a subscript after the underscore."""
    if "_" not in text:
        return html.escape(text)
    main, sub = text.split("_", 1)
    return f'{html.escape(main)}<tspan baseline-shift="sub" font-size="72%">{html.escape(sub)}</tspan>'


def _style(value: float | None, scale: float) -> tuple[str, float, str]:
    """(colour, width, dash) of a wire carrying ``value``."""
    if value is None:
        return MISSING, 1.5, ' stroke-dasharray="4 3"'
    share = min(abs(value) / scale, 1.0)
    return (POSITIVE if value >= 0 else NEGATIVE), 1.5 + 6.5 * share, ""


def _wire(points: list[Point], value: float | None, scale: float, key: str) -> str:
    """A polyline with a white halo underneath, so crossing wires stay readable."""
    d = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
    colour, width, dash = _style(value, scale)
    return (
        f'<polyline points="{d}" fill="none" stroke="white" stroke-width="{width + 5:.1f}" '
        'stroke-linejoin="round"/>'
        f'<polyline class="lstmkit-wire" data-lstmkit-wire="{key}" points="{d}" fill="none" '
        f'stroke="{colour}" stroke-width="{width:.1f}" stroke-linejoin="round" '
        f'stroke-linecap="round"{dash}/>'
    )


def _label(x: float, y: float, name: str, value: float | None, anchor: str = "start") -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="13" text-anchor="{anchor}" fill="#222">'
        f'{_sub(name)} <tspan font-family="monospace" font-weight="bold">{fmt(value, 3)}</tspan></text>'
    )


def _box(cx: float, cy: float, symbol: str, gate: str, w: float = 64) -> str:
    colour = GATE_COLOURS[gate]
    return (
        f'<rect x="{cx - w / 2}" y="{cy - 16}" width="{w}" height="32" rx="6" fill="white" '
        f'stroke="{colour}" stroke-width="2"/>'
        f'<text x="{cx}" y="{cy + 5}" font-size="15" text-anchor="middle" fill="{colour}">{symbol}</text>'
    )


def _node(cx: float, cy: float, symbol: str, gate: str) -> str:
    colour = GATE_COLOURS[gate]
    return (
        f'<circle cx="{cx}" cy="{cy}" r="12" fill="white" stroke="{colour}" stroke-width="2"/>'
        f'<text x="{cx}" y="{cy + 5}" font-size="16" text-anchor="middle" fill="{colour}">{symbol}</text>'
    )


def _region(gate: str, faded: bool) -> str:
    x, y, w, h = REGIONS[gate]
    colour = GATE_COLOURS[gate]
    ty = y - 6 if gate == "remember" else y + h - 8
    tx = x + w / 2 if gate == "remember" else x + 6
    anchor = "middle" if gate == "remember" else "start"
    opacity = 0.05 if faded else 0.12
    return (
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{colour}" fill-opacity="{opacity}" '
        f'stroke="{colour}" stroke-opacity="{0.3 if faded else 0.7}" stroke-dasharray="5 4"/>'
        f'<text x="{tx}" y="{ty}" font-size="12" font-weight="bold" text-anchor="{anchor}" '
        f'fill="{colour}" fill-opacity="{0.5 if faded else 1}">{GATE_TITLES[gate]}</text>'
    )


_T = '<tspan baseline-shift="sub" font-size="72%">{}</tspan>'
_ARTICLE_NOTE = (f"article use gate: U{_T.format('t')} = tanh(W{_T.format('u')} (LTM{_T.format('t−1')} ⊙ "
                 f"f{_T.format('t')}) + b{_T.format('u')})")
_STANDARD_NOTE = f"standard use gate: U{_T.format('t')} = tanh(LTM{_T.format('t')})"


def cell_svg(
    values: dict[str, float | None],
    *,
    variant: str = "article",
    focus: frozenset[str] | set[str] | None = None,
) -> str:
    """The cell drawn with ``values`` (keys as in ``QUANTITIES``; missing ones are dashed grey).

    ``focus`` names the gates to draw at full strength (default: all four).
    Returns an ``<svg>`` element as a string, WIDTH x HEIGHT pixels.
    """
    v = {key: values.get(key) for key in QUANTITIES}
    focus = set(focus) if focus is not None else set(GATE_TITLES)

    def wire(points: list[Point], key: str) -> str:
        return _wire(points, v[key], QUANTITIES[key].scale, key)

    article = variant == "article"
    parts = [
        f'<svg class="lstmkit-cell" xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" '
        f'style="background:white;max-width:{WIDTH}px;height:auto">',
    ]
    parts += [_region(gate, gate not in focus) for gate in ("forget", "learn", "remember", "use")]
    # The joined [STM, E] bus feeds every sigmoid and tanh box.
    parts.append(
        f'<polyline points="110,{BUS_Y} 600,{BUS_Y}" fill="none" stroke="#777" stroke-width="3"/>'
        f'<text x="125" y="{BUS_Y + 18}" font-size="12" fill="#555">[STM, E] joined</text>'
    )
    parts.append(wire([(15, BUS_Y), (110, BUS_Y)], "stm_prev"))
    parts.append(wire([(110, HEIGHT - 5), (110, BUS_Y)], "event"))
    parts.append(wire([(15, LTM_Y), (223, LTM_Y)], "ltm_prev"))
    # Forget gate.
    parts.append(f'<polyline points="235,{BUS_Y} 235,216" fill="none" stroke="#777" stroke-width="2"/>')
    parts.append(wire([(235, 184), (235, 72)], "f_t"))
    parts.append(wire([(247, LTM_Y), (408, LTM_Y)], "forget_output"))
    # Learn gate.
    for x in (360, 450):
        parts.append(f'<polyline points="{x},{BUS_Y} {x},246" fill="none" stroke="#777" stroke-width="2"/>')
    parts.append(wire([(360, 214), (360, 160), (408, 160)], "N_t"))
    parts.append(wire([(450, 214), (450, 160), (432, 160)], "i_t"))
    # Use gate, memory side: the article reads the forget output, the standard LSTM reads LTM_t.
    u_source = [(310, LTM_Y), (310, 102), (600, 102), (600, 134)] if article else [(600, LTM_Y), (600, 134)]
    parts.append(_wire(u_source, v["forget_output"] if article else v["ltm_t"],
                       QUANTITIES["ltm_t"].scale, "use_memory_in"))
    parts.append(wire([(420, 148), (420, 72)], "learn_output"))
    parts.append(wire([(432, LTM_Y), (775, LTM_Y)], "ltm_t"))
    parts.append(f'<polyline points="600,{BUS_Y} 600,266" fill="none" stroke="#777" stroke-width="2"/>')
    parts.append(wire([(632, 150), (690, 150), (690, 188)], "U_t"))
    parts.append(wire([(632, 250), (690, 250), (690, 212)], "V_t"))
    parts.append(wire([(702, 200), (775, 200)], "stm_t"))
    # Boxes and nodes on top of the wires.
    parts += [
        _box(235, 200, "σ", "forget"),
        _node(235, LTM_Y, "×", "forget"),
        _box(360, 230, "tanh", "learn"),
        _box(450, 230, "σ", "learn"),
        _node(420, 160, "×", "learn"),
        _node(420, LTM_Y, "+", "remember"),
        _box(600, 150, "tanh" if not article else "tanh(W<tspan baseline-shift='sub' font-size='72%'>u</tspan>·)",
             "use", w=70 if not article else 84),
        _box(600, 250, "σ", "use"),
        _node(690, 200, "×", "use"),
    ]
    # Labels with the values.
    parts += [
        _label(15, LTM_Y - 10, "LTM_t-1", v["ltm_prev"]),
        _label(15, BUS_Y - 10, "STM_t-1", v["stm_prev"]),
        _label(118, HEIGHT - 14, "Event E_t", v["event"]),
        _label(243, 128, "f_t", v["f_t"]),
        _label(262, LTM_Y - 10, "forget out", v["forget_output"]),
        _label(352, 190, "N_t", v["N_t"], "end"),
        _label(458, 190, "i_t", v["i_t"]),
        _label(428, 128, "learn out", v["learn_output"]),
        _label(775, LTM_Y - 10, "LTM_t", v["ltm_t"], "end"),
        _label(650, 138, "U_t", v["U_t"]),
        _label(640, 270, "V_t", v["V_t"]),
        _label(775, 190, "STM_t", v["stm_t"], "end"),
        f'<text x="775" y="{HEIGHT - 14}" font-size="12" fill="#555" text-anchor="end">'
        f'{_ARTICLE_NOTE if article else _STANDARD_NOTE}</text>',
    ]
    parts.append("</svg>")
    return "".join(parts)
