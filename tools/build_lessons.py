"""Build the lesson notebooks in ``notebooks/`` from ``tools/lessons/``, and run them.

    python tools/build_lessons.py              # rebuild every lesson and store fresh outputs
    python tools/build_lessons.py 02 05        # only the lessons whose names start so
    python tools/build_lessons.py --no-execute # write sources only (outputs cleared)
    python tools/build_lessons.py --check      # exit 1 when a notebook's sources drifted

The lessons' text and code live in ``tools/lessons/lNN_*.py`` (one ``CELLS`` list
each), so a lesson is edited there and rebuilt here, never by hand in JupyterLab.
Outputs are stored from a run with ``LSTMKIT_QUICK=1`` on the CPU (the settings the
test suite uses); cells whose output depends on the machine start with
``# NBVAL_IGNORE_OUTPUT`` and are followed by a cell that asserts what matters.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TOOLS = Path(__file__).resolve().parent
LESSON_MODULES = (
    "l00_start_here",
    "l01_autograd",
    "l02_learn_gate",
    "l03_forget_gate",
    "l04_remember_gate",
    "l05_use_gate",
    "l06_full_cell",
    "l07_gradients_through_time",
    "l08_train_on_gpu",
)
SINGLE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def lesson_modules() -> list:
    """The lesson modules that exist, in course order."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    found = []
    for name in LESSON_MODULES:
        if (TOOLS / "lessons" / f"{name}.py").exists():
            found.append(importlib.import_module(f"lessons.{name}"))
    return found


def build(module) -> nbformat.NotebookNode:
    """The notebook of one lesson module, sources only (no outputs), with stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for index, (kind, source) in enumerate(module.CELLS):
        cell_id = f"{module.NAME[:2]}-{index:02d}"
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source, id=cell_id)
        else:
            cell = nbformat.v4.new_code_cell(source, id=cell_id)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """(id, type, source) of every cell: what the builder owns and the tests compare."""
    return [(c.get("id", ""), c.cell_type, c.source) for c in nb.cells]


def execute(nb: nbformat.NotebookNode, timeout: int = 900) -> nbformat.NotebookNode:
    """Run ``nb`` in ``notebooks/`` with the test suite's settings; returns it with outputs."""
    from nbclient import NotebookClient  # noqa: PLC0415

    saved = {k: os.environ.get(k) for k in ("LSTMKIT_QUICK", "LSTMKIT_DEVICE", *SINGLE_THREAD)}
    os.environ["LSTMKIT_QUICK"] = "1"
    os.environ.pop("LSTMKIT_DEVICE", None)
    for name in SINGLE_THREAD:  # as notebooks/conftest.py does for the tests: small matrices, one thread
        os.environ.setdefault(name, "1")
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="lesson name prefixes, e.g. 02 05 (default: all)")
    parser.add_argument("--no-execute", action="store_true", help="write sources only")
    parser.add_argument("--check", action="store_true", help="compare sources with notebooks/, write nothing")
    args = parser.parse_args(argv)
    modules = [m for m in lesson_modules() if not args.only or any(m.NAME.startswith(p) for p in args.only)]
    drifted = []
    for module in modules:
        path = NOTEBOOKS / f"{module.NAME}.ipynb"
        nb = build(module)
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(nb):
                drifted.append(path.name)
            continue
        if not args.no_execute:
            start = time.perf_counter()
            nb = execute(nb)
            print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s")
        NOTEBOOKS.mkdir(exist_ok=True)
        nbformat.write(nb, path)
    if drifted:
        print("out of date (rebuild with python tools/build_lessons.py):", ", ".join(drifted))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
