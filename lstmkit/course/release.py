"""Release: make the learners' notebooks in ``exercises/`` from ``solutions/``.

Each solution notebook goes through nbgrader's own preprocessors, in the order
``nbgrader generate_assignment`` uses (without its database, header and test
templates): lock cells, replace solution regions by a stub, clear outputs, check
the metadata, compute checksums, remove hidden tests, compute checksums again,
check again. The stub raises ``NotImplementedError("learn_gate is not implemented
yet")`` so that ``check()`` can say so plainly. Output is deterministic: releasing
twice gives byte-identical files.

Command line (``lstmkit release SOURCE DEST``, or ``python -m lstmkit.course.release``)::

    lstmkit release solutions exercises           # write exercises/*.ipynb
    lstmkit release solutions exercises --check   # exit 1 if exercises/ is stale
    lstmkit release solutions exercises --prune   # also remove exercises with no solution

A notebook in ``exercises/`` whose solution is gone would go stale: release refuses
(listing them, writing nothing) unless ``--prune`` removes them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .exercises import EXERCISES

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_METADATA = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}


class ReleaseError(ValueError):
    """A solution notebook cannot be released; nothing was written."""


def stub_for(name: str) -> str:
    """The code that replaces a solution region of exercise ``name``."""
    what = name if name in EXERCISES else "this exercise"
    return f'# YOUR CODE HERE\nraise NotImplementedError("{what} is not implemented yet")'


def _preprocessors() -> list[Any]:
    """nbgrader's preprocessors in generate_assignment's order (nbgrader imported here:
    it is an instructor-only dependency, and ``check()`` must work without it)."""
    try:
        from nbgrader.preprocessors import (  # noqa: PLC0415
            CheckCellMetadata,
            ClearHiddenTests,
            ClearMarkScheme,
            ClearOutput,
            ClearSolutions,
            ComputeChecksums,
            LockCells,
        )
    except ImportError as error:
        raise ReleaseError(
            f"releasing notebooks needs nbgrader, which is not installed ({error}); "
            "install the instructor tools: pip install 'lstmkit[instructor]'."
        ) from error

    class ClearSolutionsWithStub(ClearSolutions):
        """nbgrader's ClearSolutions, with a stub that names the cell's exercise."""

        def preprocess_cell(self, cell, resources, cell_index):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            self.code_stub = {"python": stub_for(grade_id)}
            return super().preprocess_cell(cell, resources, cell_index)

    checksums = ComputeChecksums()
    validate = CheckCellMetadata()
    return [
        LockCells(),
        ClearSolutionsWithStub(),
        ClearOutput(),
        validate,
        checksums,
        ClearHiddenTests(),
        ClearMarkScheme(),
        checksums,
        validate,
    ]


def _check_source(nb: NotebookNode, name: str) -> None:
    """Every check cell must name a registered exercise, and every exercise have a cell."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        if meta.get("grade") and grade_id.startswith("check_") and grade_id[6:] not in EXERCISES:
            raise ReleaseError(
                f"{name}: the check cell {grade_id!r} names no registered exercise; expected "
                f"check_<name> with <name> one of {', '.join(EXERCISES)}. Register the exercise "
                "in lstmkit/course/exercises.py or fix the cell's grade_id."
            )
        if meta.get("solution") and cell.cell_type == "code" and "### BEGIN SOLUTION" not in cell.source:
            raise ReleaseError(
                f"{name}: solution cell {grade_id!r} has no '### BEGIN SOLUTION' region, so the "
                "whole cell would be replaced by a stub. Mark the part the learner writes."
            )


def release_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The learner's version of one solution notebook (a new notebook; ``nb`` is unchanged)."""
    nb = nbformat.from_dict(nb)  # a deep copy
    _check_source(nb, name)
    resources: dict[str, Any] = {}
    try:
        for preprocessor in _preprocessors():
            nb, resources = preprocessor.preprocess(nb, resources)
    except Exception as error:  # nbgrader raises RuntimeError / ValidationError with its own words
        raise ReleaseError(f"{name}: nbgrader could not release it: {type(error).__name__}: {error}") from error
    nb.metadata = NotebookNode(dict(NOTEBOOK_METADATA))
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # nbclient's timings: not part of an exercise
    nbformat.validate(nb)
    return nb


def released_files(source_dir: str | Path) -> dict[str, str]:
    """File name -> released notebook text, for every ``*.ipynb`` in ``source_dir``."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ReleaseError(f"the source folder {source_dir} does not exist; give the folder of solution notebooks.")
    paths = sorted(source_dir.glob("*.ipynb"))
    if not paths:
        raise ReleaseError(f"{source_dir} holds no .ipynb notebooks; give the folder of solution notebooks.")
    texts = {}
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001  (JSON or schema errors, reported with the file)
            raise ReleaseError(f"{path} is not a readable notebook ({error}); fix or remove it.") from error
        texts[path.name] = nbformat.writes(release_notebook(nb, str(path))) + "\n"
    return texts


def orphans(source_dir: str | Path, dest_dir: str | Path) -> list[str]:
    """Notebooks in ``dest_dir`` that no notebook of ``source_dir`` releases (their solution is missing)."""
    sources = {p.name for p in Path(source_dir).glob("*.ipynb")}
    return sorted(p.name for p in Path(dest_dir).glob("*.ipynb") if p.name not in sources)


def release(source_dir: str | Path, dest_dir: str | Path, prune: bool = False) -> list[Path]:
    """Release every notebook of ``source_dir`` into ``dest_dir``; returns the written paths.

    All notebooks are released in memory first, so a broken one changes nothing. A
    notebook of ``dest_dir`` without a solution is an error (nothing written) unless
    ``prune``, which removes it.
    """
    texts = released_files(source_dir)
    dest_dir = Path(dest_dir)
    stale = orphans(source_dir, dest_dir)
    if stale and not prune:
        raise ReleaseError(f"{dest_dir} holds {', '.join(stale)}, which no notebook of {source_dir} releases: "
                           "they would go stale. Restore their solutions, or pass --prune to remove them.")
    dest_dir.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (dest_dir / name).unlink()
    written = []
    for name, text in texts.items():
        path = dest_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(source_dir: str | Path, dest_dir: str | Path) -> list[str]:
    """Names of notebooks in ``dest_dir`` that differ from, lack, or have no, a release."""
    texts = released_files(source_dir)
    dest_dir = Path(dest_dir)
    stale = []
    for name, text in texts.items():
        path = dest_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    stale += sorted(p.name for p in dest_dir.glob("*.ipynb") if p.name not in texts)
    return stale


# ------------------------------------------------------------------ command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The release command's arguments (for ``lstmkit release`` and ``main``)."""
    parser.add_argument("source", type=Path, help="folder of solution notebooks (e.g. solutions)")
    parser.add_argument("dest", type=Path, help="folder for the learners' notebooks (e.g. exercises)")
    parser.add_argument(
        "--check", action="store_true",
        help="write nothing; exit with status 1 if DEST differs from what release would write",
    )
    parser.add_argument(
        "--prune", action="store_true",
        help="remove notebooks of DEST that no solution releases (without it, release refuses to leave them stale)",
    )


def run(args: argparse.Namespace) -> int:
    """Run a parsed release command; returns the exit status (2 on a user error)."""
    try:
        if args.check:
            stale = stale_files(args.source, args.dest)
            if stale:
                print(
                    f"{args.dest} is stale: {', '.join(stale)} differ from a release of {args.source}. "
                    f"Run: lstmkit release {args.source} {args.dest}",
                    file=sys.stderr,
                )
                return 1
            print(f"{args.dest} is up to date with {args.source}.")
            return 0
        pruned = orphans(args.source, args.dest) if args.prune else []
        written = release(args.source, args.dest, prune=args.prune)
    except ReleaseError as error:
        print(f"lstmkit: error: {error}", file=sys.stderr)
        return 2
    for name in pruned:
        print(f"removed {Path(args.dest) / name} (no solution releases it)")
    for path in written:
        print(f"released {path}")
    return 0


def register_release(subparsers: Any) -> None:
    """Add ``lstmkit release SOURCE DEST [--check]`` to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "release", help="make learners' exercise notebooks from solution notebooks",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``release SOURCE DEST [--check]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="lstmkit release", description="Release exercise notebooks.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
