"""The class report: ``report.html`` (self-contained, plots embedded as PNG) and its twin ``report.md``.

Built from the gradebook's Rows, the same Results the feedback files render. Per
exercise: the distribution of scores (a bar chart of how many learners got each
score), the pass rate, the most common diagnosed mistakes (failing Results grouped by
their hint, or by their failure kind when no hint applied) with a count and one
example, and the learners whose answers timed out or crashed. Then every learner's
total with a link to their feedback file, and the files that were not graded.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ...files import write_atomic
from ..exercises import EXERCISES
from ..model import FAILURE_KINDS
from ..result import Result, md_escape
from .report import Row, feedback_name

TROUBLE_KINDS = ("timeout", "crash")
MAX_MISTAKES = 5


@dataclass(frozen=True)
class Mistake:
    """One diagnosis shared by several learners on one exercise."""

    what: str  #: the hint, or the failure kind's description
    count: int
    learner: str  #: an example
    message: str  #: that learner's message


def mistakes(name: str, rows: dict[str, Row]) -> list[Mistake]:
    """The most common diagnoses of failing answers to ``name``, most frequent first (ties by text)."""
    groups: dict[str, list[tuple[str, Result]]] = {}
    for learner, row in rows.items():
        result = row.results[name]
        if not result.passed and result.kind != "missing":  # handing in nothing is not a diagnosis
            what = result.hint or f"{result.kind}: {FAILURE_KINDS.get(result.kind, 'not passed')}"
            groups.setdefault(what, []).append((learner, result))
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [Mistake(what, len(found), found[0][0], found[0][1].message) for what, found in ordered[:MAX_MISTAKES]]


def distribution(name: str, rows: dict[str, Row]) -> list[tuple[float, int]]:
    """(score, how many learners got it), by score."""
    return sorted(Counter(round(row.results[name].score, 3) for row in rows.values()).items())


def score_plot(name: str, rows: dict[str, Row]) -> bytes:
    """A PNG bar chart of the score distribution of exercise ``name`` (deterministic bytes)."""
    from matplotlib.figure import Figure  # noqa: PLC0415  (heavy; only the report needs it)

    points = EXERCISES[name].spec.points
    counts = distribution(name, rows)
    figure = Figure(figsize=(4.0, 2.2), dpi=80)
    axes = figure.subplots()
    axes.bar([f"{score:g}" for score, _ in counts], [n for _, n in counts], color="#4c72b0")
    axes.set_xlabel(f"score (of {points:g})")
    axes.set_ylabel("learners")
    axes.set_title(name, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def trouble(name: str, rows: dict[str, Row]) -> list[tuple[str, str]]:
    """(learner, kind) for every learner whose answer to ``name`` timed out or crashed."""
    return [(learner, row.results[name].kind) for learner, row in rows.items()
            if row.results[name].kind in TROUBLE_KINDS]


def pass_rate(name: str, rows: dict[str, Row]) -> str:
    """``Passed: 3 of 5 (60%); 1 handed in nothing``."""
    passed, total = sum(row.results[name].passed for row in rows.values()), len(rows)
    missing = sum(row.results[name].kind == "missing" for row in rows.values())
    text = f"Passed: {passed} of {total}" + (f" ({passed / total:.0%})" if total else "")
    return text + (f"; {missing} handed in nothing" if missing else "")


def report_markdown(title: str, columns: list[str], rows: dict[str, Row], not_graded: list[tuple[str, str]]) -> str:
    """The class report as markdown (the distribution as a table instead of a plot)."""
    lines = [f"# Class report: {md_escape(title)}", "", f"{len(rows)} learners, {len(columns)} exercises.", ""]
    for name in columns:
        spec = EXERCISES[name].spec
        lines += [f"## {spec.title} (`{name}`, {spec.points:g} points)", "", pass_rate(name, rows), "",
                  "| score | learners |", "|---|---|"]
        lines += [f"| {score:g} | {count} |" for score, count in distribution(name, rows)]
        found = mistakes(name, rows)
        if found:
            lines += ["", "Most common mistakes:", "", "| diagnosis | learners | example |", "|---|---|---|"]
            lines += [f"| {md_escape(m.what)} | {m.count} | {md_escape(m.learner)}: {md_escape(m.message)} |"
                      for m in found]
        stopped = trouble(name, rows)
        if stopped:
            lines += ["", "Timeouts and crashes: " + ", ".join(f"{md_escape(who)} ({kind})" for who, kind in stopped)]
        lines.append("")
    lines += ["## Learners", "", "| learner | total | feedback |", "|---|---|---|"]
    for learner, row in rows.items():
        link = f"feedback/{feedback_name(learner)}.md"
        lines.append(f"| {md_escape(learner)} | {row.total:g} / {row.max:g} | [{link}]({link}) |")
    if not_graded:
        lines += ["", "## Not graded", "", "| file | reason |", "|---|---|"]
        lines += [f"| {md_escape(path)} | {md_escape(reason)} |" for path, reason in not_graded]
    return "\n".join(lines) + "\n"


_STYLE = """body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
section{border-top:1px solid #ddd;margin-top:1em}"""


def report_html(title: str, columns: list[str], rows: dict[str, Row], not_graded: list[tuple[str, str]]) -> str:
    """The class report as one self-contained HTML page (inline style, plots as data: URLs)."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report: {e(title)}</title>",
             f"<style>{_STYLE}</style></head><body><h1>Class report: {e(title)}</h1>",
             f"<p>{len(rows)} learners, {len(columns)} exercises.</p>"]
    for name in columns:
        spec = EXERCISES[name].spec
        image = base64.b64encode(score_plot(name, rows)).decode("ascii")
        parts += [f"<section class='exercise' id='{e(name)}'><h2>{e(spec.title)} (<code>{e(name)}</code>, "
                  f"{spec.points:g} points)</h2>",
                  f"<p class='pass-rate'>{e(pass_rate(name, rows))}</p>",
                  f"<img class='distribution' alt='score distribution of {e(name)}' "
                  f"src='data:image/png;base64,{image}'>"]
        found = mistakes(name, rows)
        if found:
            parts.append("<h3>Most common mistakes</h3><table class='mistakes'>"
                         "<tr><th>diagnosis</th><th>learners</th><th>example</th></tr>")
            parts += [f"<tr><td>{e(m.what)}</td><td>{m.count}</td><td>{e(m.learner)}: {e(m.message)}</td></tr>"
                      for m in found]
            parts.append("</table>")
        stopped = trouble(name, rows)
        if stopped:
            parts.append("<p class='trouble'>Timeouts and crashes: "
                         + ", ".join(f"{e(who)} ({kind})" for who, kind in stopped) + "</p>")
        parts.append("</section>")
    parts.append("<section><h2>Learners</h2><table class='learners'>"
                 "<tr><th>learner</th><th>total</th><th>feedback</th></tr>")
    for learner, row in rows.items():
        link = f"feedback/{feedback_name(learner)}.md"
        parts.append(f"<tr><td>{e(learner)}</td><td>{row.total:g} / {row.max:g}</td>"
                     f"<td><a class='feedback' href='{e(link)}'>{e(link)}</a></td></tr>")
    parts.append("</table></section>")
    if not_graded:
        parts.append("<section><h2>Not graded</h2><table class='not-graded'><tr><th>file</th><th>reason</th></tr>")
        parts += [f"<tr><td>{e(path)}</td><td>{e(reason)}</td></tr>" for path, reason in not_graded]
        parts.append("</table></section>")
    return "".join(parts) + "</body></html>\n"


def write_report(out: Path, columns: list[str], rows: dict[str, Row], not_graded: list[tuple[str, str]],
                 title: str) -> None:
    """OUT/report.html and OUT/report.md, each written atomically."""
    write_atomic(out / "report.html", report_html(title, columns, rows, not_graded))
    write_atomic(out / "report.md", report_markdown(title, columns, rows, not_graded))
