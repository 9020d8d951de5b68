"""Build the lesson and solution notebooks from their percent-format sources, and run them.

    python tools/build_notebooks.py               # rebuild every notebook, store fresh outputs
    python tools/build_notebooks.py 02 05         # only the notebooks whose names start so
    python tools/build_notebooks.py --lessons     # only notebooks/ (--solutions: only solutions/)
    python tools/build_notebooks.py --no-execute  # write sources only (outputs cleared)
    python tools/build_notebooks.py --check       # exit 1 naming the notebooks that are stale

Lessons are written in ``sources/lessons/NN_name.py`` and exercise solutions in
``sources/solutions/NN_name.py``, as jupytext percent-format Python: ``# %%`` starts a
code cell, ``# %% [markdown]`` a markdown cell, and a cell's metadata (nbgrader's, tags)
follows in its header. Each source is read with jupytext, given stable cell ids and the
course's kernelspec, executed with nbclient in its target folder (``LSTMKIT_QUICK=1``,
CPU, one BLAS thread: the settings the test suite uses) and written to
``notebooks/NN_name.ipynb`` or ``solutions/NN_name.ipynb``. After rebuilding solutions,
run ``lstmkit release solutions exercises`` to refresh the learners' exercise notebooks.

Cells whose output depends on the machine carry the tag ``nbval-ignore-output`` (nbval
reads it; learners do not see it) and are followed by a cell that asserts what matters.
Outputs that only a live kernel can show (widgets, progress bars) are not stored: in a
notebook nobody has run yet they would show as stale text.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_METADATA = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
SINGLE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_TAG = "nbval-ignore-output"


@dataclass(frozen=True)
class Target:
    """One notebook to build: its percent-format source and where the notebook goes."""

    source: Path
    notebook: Path

    @property
    def name(self) -> str:
        return self.source.stem


KINDS = {"lessons": ROOT / "notebooks", "solutions": ROOT / "solutions"}


def targets(kinds: tuple[str, ...] = tuple(KINDS), only: tuple[str, ...] = ()) -> list[Target]:
    """The notebooks built from ``sources/<kind>/*.py``, in course order, filtered by name prefix."""
    found = []
    for kind in kinds:
        for source in sorted((SOURCES / kind).glob("[0-9][0-9]_*.py")):
            if not only or any(source.stem.startswith(prefix) for prefix in only):
                found.append(Target(source, KINDS[kind] / f"{source.stem}.ipynb"))
    return found


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook of one percent-format source, without outputs, with stable cell ids.

    A cell with nbgrader metadata is named by its ``grade_id`` (nbgrader's own key, and what
    the release step expects); any other cell by the notebook's number and its position.
    """
    parsed = jupytext.read(source, fmt="py:percent")
    nb = nbformat.v4.new_notebook(metadata=nbformat.from_dict(NOTEBOOK_METADATA))
    number = source.stem[:2]
    for index, cell in enumerate(parsed.cells):
        metadata = dict(cell.metadata)
        grade_id = metadata.get("nbgrader", {}).get("grade_id")
        cell_id = grade_id or f"{number}-{index:02d}"
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source, id=cell_id, metadata=metadata)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, id=cell_id, metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, id=cell_id, metadata=metadata)
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def fingerprint(nb: nbformat.NotebookNode) -> list[tuple]:
    """(id, type, source, metadata) of every cell: what the builder owns and ``--check`` compares."""
    return [(c.get("id", ""), c.cell_type, c.source, _plain(c.metadata)) for c in nb.cells]


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@contextlib.contextmanager
def fresh_progress() -> Iterator[None]:
    """Run as a new learner would: the course folders' records of checks (``check()`` writes
    one per folder; progress tables read them, 00_start_here the one in exercises/) are set
    aside and put back afterwards, so stored outputs never depend on who built them or on
    which notebooks ran before."""
    from lstmkit.course.checker import PROGRESS_FILE  # noqa: PLC0415

    records = [ROOT / folder / PROGRESS_FILE for folder in ("notebooks", "solutions", "exercises")]
    kept = [record.with_name(record.name + ".kept-while-building") for record in records]
    for record, aside in zip(records, kept, strict=True):
        if record.exists():
            record.replace(aside)
    try:
        yield
    finally:
        for record, aside in zip(records, kept, strict=True):
            record.unlink(missing_ok=True)
            if aside.exists():
                aside.replace(record)


def execute(nb: nbformat.NotebookNode, folder: Path, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run ``nb`` in ``folder`` with the test suite's settings, as a new learner (see
    ``fresh_progress``); returns it with outputs stored."""
    from nbclient import NotebookClient  # noqa: PLC0415  (only building needs a kernel)

    saved = {k: os.environ.get(k) for k in ("LSTMKIT_QUICK", "LSTMKIT_DEVICE", *SINGLE_THREAD)}
    os.environ["LSTMKIT_QUICK"] = "1"
    os.environ.pop("LSTMKIT_DEVICE", None)  # the default device: the CPU
    for name in SINGLE_THREAD:  # as notebooks/conftest.py does for the tests: small matrices, one thread
        os.environ[name] = "1"
    try:
        with fresh_progress():
            NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                           store_widget_state=False, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nb.metadata = nbformat.from_dict(NOTEBOOK_METADATA)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    return nb


def stale(selected: list[Target]) -> list[str]:
    """The notebooks (paths relative to the repository) missing or not built from their sources."""
    out = []
    for target in selected:
        if not target.notebook.exists():
            out.append(str(target.notebook.relative_to(ROOT)))
            continue
        stored = nbformat.read(target.notebook, as_version=4)
        if fingerprint(stored) != fingerprint(build(target.source)) or stored.metadata != NOTEBOOK_METADATA:
            out.append(str(target.notebook.relative_to(ROOT)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="notebook name prefixes, e.g. 02 05 (default: all)")
    parser.add_argument("--lessons", action="store_true", help="only the lessons (notebooks/)")
    parser.add_argument("--solutions", action="store_true", help="only the solutions (solutions/)")
    parser.add_argument("--no-execute", action="store_true", help="write sources only, outputs cleared")
    parser.add_argument("--check", action="store_true", help="compare sources with the notebooks, write nothing")
    args = parser.parse_args(argv)
    kinds = tuple(k for k, chosen in (("lessons", args.lessons), ("solutions", args.solutions)) if chosen)
    selected = targets(kinds or tuple(KINDS), tuple(args.only))
    if not selected:
        print("no sources match; names look like 02_learn_gate (see sources/)", file=sys.stderr)
        return 2
    if args.check:
        out_of_date = stale(selected)
        if out_of_date:
            print("stale (rebuild with python tools/build_notebooks.py):", ", ".join(out_of_date))
            return 1
        print(f"{len(selected)} notebooks are up to date with sources/")
        return 0
    for target in selected:
        nb = build(target.source)
        if not args.no_execute:
            start = time.perf_counter()
            nb = execute(nb, target.notebook.parent)
            print(f"{target.notebook.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s", flush=True)
        target.notebook.parent.mkdir(exist_ok=True)
        nbformat.write(nb, target.notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
