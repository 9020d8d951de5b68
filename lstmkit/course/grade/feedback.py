"""Feedback files for learners (markdown) and the instructor's summary table."""

from __future__ import annotations

import re
from typing import Any

from ..exercises import EXERCISES


def safe_name(learner: str) -> str:
    """A file-name-safe form of a learner's id."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", learner)[:100] or "_"


def markdown(learner: str, columns: list[str], row: dict[str, Any]) -> str:
    """One learner's feedback: score, then per exercise what passed, what failed, hints."""
    lines = [f"# Feedback for {learner}", "", f"**Total: {row['total']:g} / {row['max']:g} points**", ""]
    for name in columns:
        verdict = row["exercises"][name]
        mark = "passed" if verdict["passed"] else "not passed"
        lines += [f"## {EXERCISES[name].title} (`{name}`): {verdict['score']:g} / {verdict['points']:g}, {mark}", ""]
        lines.append(verdict["message"])
        if verdict.get("hint"):
            lines += ["", f"*Hint:* {verdict['hint']}"]
        failing = [c for c in verdict.get("cases", []) if not c["passed"]]
        if failing and len(verdict.get("cases", [])) > 1:
            lines += ["", "Hidden cases:"]
            lines += [f"- {c['label']}: {'passed' if c['passed'] else 'failed (' + c['property'] + ')'}"
                      for c in verdict["cases"]]
        lines.append("")
    if row["notes"]:
        lines += ["## Notes", ""] + [f"- {note}" for note in row["notes"]] + [""]
    return "\n".join(lines)


def summary_table(columns: list[str], rows: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one line per learner, the total, and passes per exercise."""
    width = max([len("learner"), *(len(name) for name in rows)])
    head = f"{'learner':<{width}}  " + "  ".join(f"{c[:12]:>12}" for c in columns) + f"  {'total':>7}"
    lines = [head, "-" * len(head)]
    for learner, row in rows.items():
        cells = "  ".join(f"{row['exercises'][c]['score']:>12g}" for c in columns)
        lines.append(f"{learner:<{width}}  {cells}  {row['total']:>7g}")
    if rows:
        passes = "  ".join(f"{sum(r['exercises'][c]['passed'] for r in rows.values()):>12d}" for c in columns)
        lines += ["-" * len(head), f"{'passed':<{width}}  {passes}  {len(rows):>7d}"]
    return "\n".join(lines)
