"""The one result type, from the learner's ``check()`` to the class gradebook.

A :class:`Result` is the verdict on one exercise: passed or not, the score, the message
and hint, and a :class:`CaseVerdict` per hidden case that ran. ``check()`` returns one;
the grader makes one per exercise of every submission, stores it (:func:`wire.to_json`),
and builds the gradebook and feedback files from it. It renders itself as plain text
(``str``), HTML (``_repr_html_``, for Jupyter), markdown (feedback files) and JSON.

Text that came from the learner's code (exception messages, lines) is escaped in the
HTML and markdown renderings: it can never become markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from . import wire
from .kernel import shown_in_this_cell
from .model import FAILURE_KINDS

_COLORS = {"passed": "#1a7f37", "todo": "#9a6700", "failed": "#cf222e"}


@wire.register
@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one hidden case. ``property`` names what was checked last
    (``"value of stm"``, ``"gradient with respect to weights.W_n"``...)."""

    label: str
    passed: bool
    property: str = ""
    message: str = ""
    hint: str = ""
    kind: str = ""
    expected_shape: tuple[int, ...] | None = None
    got_shape: tuple[int, ...] | None = None
    max_error: float | None = None
    notes: tuple[str, ...] = ()
    trace: str = ""


@wire.register
@dataclass(frozen=True, repr=False)
class Result:
    """The verdict on one exercise: truthy when every hidden case passed.

    ``score`` is ``points`` when passed, else 0 (an exercise is all or nothing), unless
    the grader adjusted it (``adjustments`` says how: a late penalty, an override).
    """

    name: str
    passed: bool
    points: float
    score: float
    message: str
    hint: str = ""
    kind: str = ""
    cases: tuple[CaseVerdict, ...] = ()
    title: str = ""
    adjustments: tuple[str, ...] = ()
    trace: str = ""

    def __post_init__(self) -> None:  # points given as ints read back as floats: keep one form
        if self.kind and self.kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")
        object.__setattr__(self, "points", float(self.points))
        object.__setattr__(self, "score", float(self.score))

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"<check {self.name}: {'passed' if self.passed else 'not passed'}, score {self.score:g}/{self.points:g}>"

    def _ipython_display_(self) -> None:
        if shown_in_this_cell(self):  # check() showed it already; it is also the cell's value
            return
        from IPython.display import display  # noqa: PLC0415

        display({"text/plain": str(self), "text/html": self._repr_html_()}, raw=True)

    @property
    def not_implemented(self) -> bool:
        """True when the exercise still holds its stub."""
        return self.kind == "not_implemented"

    @property
    def notes(self) -> list[str]:
        """Notes for the learner: NumPy's warnings while the answer ran, and how the score was adjusted."""
        warned = sorted({note for case in self.cases for note in case.notes})
        notes = []
        if warned:
            notes.append("Note: NumPy warned while your code ran (" + "; ".join(warned) + "). A formula that "
                         "overflows for large inputs can still round to the right value, but a stable one is better.")
        return notes + list(self.adjustments)

    def replace(self, **changes: object) -> Result:
        """A copy with ``changes`` (results are immutable)."""
        return replace(self, **changes)

    # ---------------------------------------------------------------- renderings

    def state(self) -> str:
        """'passed', 'todo' (still the stub) or 'failed'."""
        if self.passed:
            return "passed"
        return "todo" if self.not_implemented else "failed"

    def headline(self) -> str:
        """One line: the mark, the exercise and the points."""
        state = self.state()
        if state == "passed":
            return f"✓ {self.name}: passed ({self.score:g}/{self.points:g} points)"
        if state == "todo":
            return f"… {self.name}: not implemented yet"
        return f"✗ {self.name}: not yet right ({self.score:g}/{self.points:g} points)"

    def __str__(self) -> str:
        lines = [self.headline(), self.message]
        if self.trace:
            lines.append(f"Where: {self.trace}")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines + self.notes)

    def _repr_html_(self) -> str:
        color = _COLORS[self.state()]
        parts = [
            f'<div class="lstmkit-check" style="border-left: 4px solid {color}; padding: 4px 10px; margin: 4px 0">',
            f'<b style="color: {color}">{html.escape(self.headline())}</b>',
            f"<div>{html.escape(self.message)}</div>",
        ]
        if self.trace:
            parts.append(f"<div><b>Where:</b> {html.escape(self.trace)}</div>")
        if self.hint:
            parts.append(f"<div><b>Hint:</b> {html.escape(self.hint)}</div>")
        parts += [f"<div><i>{html.escape(note)}</i></div>" for note in self.notes]
        return "".join(parts) + "</div>"

    def to_markdown(self, heading: str = "##") -> str:
        """A feedback section: heading with the score, the message, the hint, the cases."""
        title = f"{self.title} (`{self.name}`)" if self.title else f"`{self.name}`"
        mark = "passed" if self.passed else "not passed"
        lines = [f"{heading} {title}: {self.score:g} / {self.points:g}, {mark}", "", md_escape(self.message)]
        if self.trace:
            lines += ["", f"*Where:* {md_escape(self.trace)}"]
        if self.hint:
            lines += ["", f"*Hint:* {self.hint}"]  # the course's own words
        if len(self.cases) > 1 and not self.passed:
            lines += ["", "Hidden cases:"]
            lines += [f"- {md_escape(c.label)}: " + ("passed" if c.passed else f"failed ({md_escape(c.property)})")
                      for c in self.cases]
        lines += [f"\n*{md_escape(note)}*" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return wire.to_json(self)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return wire.from_json(text, cls)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def md_escape(text: str) -> str:
    """Learner text as inert markdown: HTML escaped, markdown punctuation and list starts backslashed."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return _MD_LINE_START.sub(r"\1\\\2", escaped)


def failed(spec_name: str, points: float, kind: str, message: str, title: str = "", hint: str = "") -> Result:
    """A zero for a whole exercise, with the reason (no case ran, or none could be read)."""
    return Result(spec_name, False, points, 0.0, message, hint, kind, title=title)

