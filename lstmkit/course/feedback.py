"""Feedback for a learner: a CheckResult as plain text and as a small HTML box."""

from __future__ import annotations

import html

from .spec import CheckResult

_COLORS = {"passed": "#1a7f37", "todo": "#9a6700", "failed": "#cf222e"}


def _state(result: CheckResult) -> str:
    if result.passed:
        return "passed"
    return "todo" if result.not_implemented else "failed"


def _headline(result: CheckResult) -> str:
    state = _state(result)
    if state == "passed":
        return f"✓ {result.name}: passed ({result.score:g}/{result.points:g} points)"
    if state == "todo":
        return f"… {result.name}: not implemented yet"
    return f"✗ {result.name}: not yet right (0/{result.points:g} points)"


def _notes(result: CheckResult) -> list[str]:
    notes = sorted({note for case in result.cases for note in case.notes})
    if not notes:
        return []
    return [
        "Note: NumPy warned while your code ran (" + "; ".join(notes) + "). A formula that "
        "overflows for large inputs can still round to the right value, but a stable one is better."
    ]


def render_text(result: CheckResult) -> str:
    """Feedback as plain text: a headline, what failed, and a hint when there is one."""
    lines = [_headline(result), result.message]
    if result.hint:
        lines.append(f"Hint: {result.hint}")
    lines += _notes(result)
    return "\n".join(lines)


def render_html(result: CheckResult) -> str:
    """Feedback as a small HTML box (for Jupyter)."""
    color = _COLORS[_state(result)]
    parts = [
        f'<div class="lstmkit-check" style="border-left: 4px solid {color}; padding: 4px 10px; margin: 4px 0">',
        f'<b style="color: {color}">{html.escape(_headline(result))}</b>',
        f"<div>{html.escape(result.message)}</div>",
    ]
    if result.hint:
        parts.append(f"<div><b>Hint:</b> {html.escape(result.hint)}</div>")
    parts += [f"<div><i>{html.escape(note)}</i></div>" for note in _notes(result)]
    parts.append("</div>")
    return "".join(parts)
