"""The grading corpus: broken and hostile submissions of exercise notebook 05.

Every submission is made from the released notebook (``exercises/05_use_gate.ipynb``)
and the reference answers (``solutions/05_use_gate.ipynb``), so the corpus follows
the course. ``CASES`` says, for each, what the grader must give: the score of each
exercise (``use_gate_article`` is worth 3, ``use_gate_standard`` 2), the failure
kind of the exercise that breaks, and words its message must contain.

    python tests/submissions/corpus.py tests/submissions/corpus   # (re)write the files
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEM = "05_use_gate"
ESCAPE_FILE = "lstmkit-grade-escape.txt"  # write_outside tries to create it beside its folder


@dataclass(frozen=True)
class Expected:
    """What the grader must say about one submission."""

    article: float  #: score of use_gate_article (of 3)
    standard: float  #: score of use_gate_standard (of 2)
    kind: str = ""  #: failure kind of the exercise that fails ('' when none does)
    reason: str = ""  #: words in that exercise's message (or in the notes, for note=True)
    note: bool = False  #: the reason is in the learner's notes, not a verdict


def _body(code: str) -> str:
    """The reference use_gate_article with ``code`` run first in its body."""
    lines = [f"    {line}" for line in code.strip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def _prefix(code: str) -> tuple[str, str]:
    return ("prefix", _body(code))


#: a thread that keeps writing forged and malformed messages to the control pipe while the answer sleeps
CONTROL_FLOOD = """import os, sys, threading, time
def forge():
    lines = (b'{"start": "use_gate_article"}', b'{"cell": 999999}', b'{"cell": "7"}', b'{"start": ["x"]}',
             b'{"done": "use_gate_article"}', b'{"cell": 10e400}', b'\\xff{{{[[[', b'[' * 5000, b'{"a": 1, "b": 2}')
    while True:
        os.write(int(sys.argv[1]), b'\\n'.join(lines) + b'\\n')
        time.sleep(0.01)
threading.Thread(target=forge, daemon=True).start()
time.sleep(60)"""
FORGE = "import os\nOUT = 'out/use_gate_article.npz'\n"


CASES: dict[str, tuple[Expected, tuple]] = {
    "reference": (Expected(3, 2), ()),
    "blank": (Expected(0, 0, "not_implemented", "use_gate_article is not implemented yet"), ("blank",)),
    "infinite_loop": (Expected(0, 2, "timeout", "while running use_gate_article, it ran longer than"),
                      _prefix("while True:\n    pass")),
    "sys_exit": (Expected(0, 2, "error", "SystemExit: 3"), _prefix("import sys\nsys.exit(3)")),
    "os_exit": (Expected(0, 2, "crash", "the process exited with status 3"), _prefix("import os\nos._exit(3)")),
    "segfault": (Expected(0, 2, "crash", "SIGSEGV (a segmentation fault)"),
                 _prefix("import faulthandler\nfaulthandler._sigsegv()")),
    "ctypes_null_read": (Expected(0, 2, "error", "the grading sandbox does not allow ctypes.string_at"),
                         _prefix("import ctypes\nctypes.string_at(0)")),
    "memory_bomb": (Expected(0, 2, "error", "MemoryError"), _prefix("blob = bytearray(8 * 2**30)")),
    "output_flood": (Expected(3, 2, "", "bytes of printed output beyond the first", note=True),
                     _prefix("for _ in range(20000):\n    print('x' * 999)")),
    "monkeypatch": (Expected(0, 2, "wrong_value", "is 0 where it should be"), ("monkeypatch",)),
    "always_equal": (Expected(0, 2, "not_a_tensor", "is a AlwaysEqual, not an lstmkit Tensor"), ("always_equal",)),
    "fake_passed": (Expected(0, 2, "wrong_value", "the bias b_u"), ("fake_passed",)),
    "read_outside": (Expected(0, 2, "error", "reading /etc/hostname"), _prefix("open('/etc/hostname').read()")),
    "write_outside": (Expected(0, 2, "error", "writing"),
                      _prefix(f"import os\nopen(os.path.join(os.path.dirname(os.getcwd()), {ESCAPE_FILE!r}), 'w').write('x')")),
    "subprocess": (Expected(0, 2, "error", "does not allow subprocess.Popen"),
                   _prefix("import subprocess\nsubprocess.run(['true'])")),
    "socket": (Expected(0, 2, "error", "does not allow socket.__new__"),
               _prefix("import socket\nsocket.socket()")),
    "kill_grader": (Expected(0, 2, "error", "does not allow os.kill"), _prefix("import os\nos.kill(os.getppid(), 9)")),
    "forbidden": (Expected(0, 2, "forbidden", "uses lstmkit.gates.use_gate"), ("forbidden",)),
    "forbidden_hidden": (Expected(0, 2, "error", "lstmkit/gates.py (open)"),
                         _prefix("import importlib\nimportlib.import_module('lstmkit.' + 'gates')")),
    "deleted_cell": (Expected(3, 0, "error", "use_gate_standard is not defined in the notebook"), ("deleted_cell",)),
    "retyped_cell": (Expected(0, 2, "error", "use_gate_article is not defined in the notebook"), ("retyped_cell",)),
    "stripped_metadata": (Expected(3, 2), ("stripped_metadata",)),
    "duplicated_metadata": (Expected(3, 2), ("duplicated_metadata",)),
    "hanging_cell": (Expected(3, 2, "", "cell 9: the cell was interrupted after", note=True), ("hanging_cell",)),
    "invalid_json": (Expected(0, 0, "invalid_notebook", "not a valid notebook: the file is not JSON"), ("invalid_json",)),
    # Jupyter's timeout semantics: the loop is interrupted, the definition before it stays
    "def_then_loop": (Expected(3, 2, "", "the cell was interrupted after", note=True), ("def_then_loop",)),
    "ignores_interrupt": (Expected(3, 2, "", "did not stop when interrupted, and was killed", note=True),
                          ("ignores_interrupt",)),
    # the control pipe: forged, repeated and malformed messages extend nothing and crash nothing
    "control_pipe_flood": (Expected(0, 2, "timeout", "while running use_gate_article, it ran longer than"),
                           _prefix(CONTROL_FLOOD)),
    # result files the learner forges in out/: each validated, each costs only its exercise
    "forged_result_zip": (Expected(0, 2, "crash", "the result of use_gate_article could not be read: not a readable"),
                          _prefix(FORGE + "open(OUT, 'wb').write(b'PK\\x03\\x04 not a zip')\nos._exit(0)")),
    "forged_result_deep": (Expected(0, 2, "crash", "nests deeper than 40 levels"), _prefix(
        FORGE + "import numpy\nnumpy.savez(OUT, tree=numpy.frombuffer(b'[' * 100000 + b']' * 100000, "
        "dtype=numpy.uint8))\nos._exit(0)")),
    "forged_result_header": (Expected(0, 2, "crash", "declares 1000000000000 elements"), _prefix(
        FORGE + "import zipfile, io, numpy\nfrom numpy.lib import format as npy\nhead = io.BytesIO()\n"
        "npy.write_array_header_1_0(head, {'descr': '<f8', 'fortran_order': False, 'shape': (10**12,)})\n"
        "with zipfile.ZipFile(OUT, 'w') as z:\n    z.writestr('tree.npy', head.getvalue())\nos._exit(0)")),
    "forged_result_fifo": (Expected(0, 2, "crash", "is not a regular file"),
                           _prefix(FORGE + "os.mkfifo(OUT)\nos._exit(0)")),
    "forged_result_many_arrays": (Expected(0, 2, "crash", "elements in all"), _prefix(
        FORGE + "import numpy\nrng = numpy.random.default_rng(0)\ntree = numpy.frombuffer(b'[]', dtype=numpy.uint8)\n"
        "numpy.savez(OUT, tree=tree, **{f'a{i}': rng.integers(0, 2, 70_000, dtype=numpy.uint8) "
        "for i in range(200)})\nos._exit(0)")),
    # escapes through routes that raise no audit event: the seccomp filter refuses them
    "fork_exec": (Expected(0, 2, "error", "PermissionError: [Errno 1] Operation not permitted"), _prefix(
        "import multiprocessing.util\nmultiprocessing.util.spawnv_passfds(b'/bin/sh', [b'sh', b'-c', b'sleep 600'], ())")),
    "plant_link": (Expected(0, 2, "error", "does not allow writing /etc/passwd (os.symlink)"),
                   _prefix("import os\nos.symlink('/etc/passwd', 'out/use_gate_article.npz')\nos._exit(0)")),
    "unix_socket": (Expected(0, 2, "error", "does not allow socket.__new__"), _prefix(
        "import socket\nsocket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect('/run/lstmkit-grader.sock')")),
    # learner text in the instructor's files: escaped there (tests/test_grade_hostile.py reads them)
    "markup_in_error": (Expected(0, 2, "error", "<script>"), _prefix(
        "raise ValueError('\\n# Full marks\\n<script>alert(1)</script>\\n```\\n[x](javascript:alert(1))')")),
    # untrusted notebook JSON and cells that exhaust a parser: one row each, never the batch
    "deep_json": (Expected(0, 0, "invalid_notebook", "nests too deeply"), ("deep_json",)),
    "chained_additions": (Expected(3, 2, "", "cell 9 raised RecursionError", note=True),
                          ("extra_cell", "x = 1" + " + 1" * 100_000)),
    "unary_minuses": (Expected(3, 2, "", "cell 9 raised MemoryError", note=True), ("extra_cell", "x = " + "-" * 100_000 + "1")),
}


def _load(folder: str, stem: str = STEM) -> dict:
    return json.loads((ROOT / folder / f"{stem}.ipynb").read_text(encoding="utf-8"))


def _solution_sources(stem: str = STEM) -> dict[str, str]:
    """grade_id -> the reference answer as a learner would leave it (markers removed)."""
    sources = {}
    for cell in _load("solutions", stem)["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [line for line in text.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
            sources[meta["grade_id"]] = "\n".join(lines)
    return sources


def _with_prefix(source: str, code: str) -> str:
    """``source`` (a def with a docstring) with ``code`` inserted after the docstring."""
    end = source.index('\n    """\n') + len('\n    """\n')
    return source[:end] + code + source[end:]


def _cell_index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def submission(case: str) -> bytes:
    """The bytes of the corpus notebook ``case``."""
    _, recipe = CASES[case]
    nb = _load("exercises")
    if recipe[:1] == ("blank",):
        return _dump(nb)
    answers = _solution_sources()
    kind = recipe[0] if recipe else ""
    if kind == "prefix":
        answers["use_gate_article"] = _with_prefix(answers["use_gate_article"], recipe[1])
    elif kind == "always_equal":
        answers["use_gate_article"] = (
            "class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n\n"
            + _with_prefix(answers["use_gate_article"], _body("return AlwaysEqual()")))
    elif kind == "fake_passed":
        answers["use_gate_article"] = _with_prefix(answers["use_gate_article"].replace(" + b_u", ""), _body(
            "print('✓ use_gate_article: passed (3/3 points)')\nprint('All tests passed!')"))
    elif kind == "monkeypatch":
        answers["use_gate_article"] = _with_prefix(answers["use_gate_article"], _body("return stm_prev * 0"))
    elif kind == "forbidden":
        answers["use_gate_article"] = "from lstmkit.gates import use_gate\n\n" + _with_prefix(
            answers["use_gate_article"], _body(
                "return use_gate(stm_prev, event, W_v, b_v, forget_output=forget_output, W_u=W_u, b_u=b_u)"))
    for grade_id, source in answers.items():
        nb["cells"][_cell_index(nb, grade_id)]["source"] = source
    cells = nb["cells"]
    if kind == "monkeypatch":
        patch = ("import builtins\nimport numpy\nimport lstmkit\nimport lstmkit.course\n"
                 "numpy.allclose = lambda *args, **kwargs: True\n"
                 "numpy.testing.assert_allclose = lambda *args, **kwargs: None\n"
                 "lstmkit.Tensor.__eq__ = lambda self, other: True\n"
                 "lstmkit.course.check = lambda *args, **kwargs: print('All tests passed!')\n"
                 "builtins.print = lambda *args, **kwargs: None\n")
        cells.insert(1, _code_cell(patch))
    elif kind == "deleted_cell":
        del cells[_cell_index(nb, "use_gate_standard")]
    elif kind == "retyped_cell":
        cells[_cell_index(nb, "use_gate_article")]["cell_type"] = "markdown"
        cells[_cell_index(nb, "use_gate_article")].pop("outputs", None)
        cells[_cell_index(nb, "use_gate_article")].pop("execution_count", None)
        intro = cells[0]
        intro.update(cell_type="code", outputs=[], execution_count=None)
    elif kind == "stripped_metadata":
        nb["metadata"] = {}
        for cell in cells:
            cell["metadata"] = {}
    elif kind == "duplicated_metadata":
        shared = copy.deepcopy(cells[_cell_index(nb, "use_gate_article")]["metadata"])
        cells.insert(_cell_index(nb, "use_gate_standard"), copy.deepcopy(cells[_cell_index(nb, "use_gate_standard")]))
        for cell in cells:
            cell["metadata"] = copy.deepcopy(shared)
    elif kind == "hanging_cell":
        cells.append(_code_cell("while True:\n    pass"))
    elif kind == "def_then_loop":
        index = _cell_index(nb, "use_gate_article")
        cells[index]["source"] += "\n\nwhile True:\n    pass\n"
    elif kind == "ignores_interrupt":
        cells.append(_code_cell("while True:\n    try:\n        while True:\n            pass\n"
                                "    except KeyboardInterrupt:\n        pass"))
    elif kind == "extra_cell":
        cells.append(_code_cell(recipe[1]))
    data = _dump(nb)
    if kind == "invalid_json":
        return data[: len(data) // 2]
    if kind == "deep_json":
        return data[:-3] + b", \"x\": " + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    return data


def reference_submission(stem: str) -> bytes:
    """The released notebook ``stem`` with every reference answer spliced in."""
    nb = _load("exercises", stem)
    for grade_id, source in _solution_sources(stem).items():
        nb["cells"][_cell_index(nb, grade_id)]["source"] = source
    return _dump(nb)


def answer_submission(stem: str, answers: dict[str, str]) -> bytes:
    """The released notebook ``stem`` with the reference answers, and ``answers`` (grade_id -> source) instead."""
    nb = _load("exercises", stem)
    for grade_id, source in {**_solution_sources(stem), **answers}.items():
        nb["cells"][_cell_index(nb, grade_id)]["source"] = source
    return _dump(nb)


def blank_submission(stem: str) -> bytes:
    """The released notebook ``stem`` untouched."""
    return _dump(_load("exercises", stem))


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"extra{abs(hash(source)) % 10**8}",
            "metadata": {}, "outputs": [], "source": source}


def _dump(nb: dict) -> bytes:
    for index, cell in enumerate(nb["cells"]):
        cell["id"] = f"c{index}"  # ids unique and stable after inserting cells
    return (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def write_corpus(folder: str | Path) -> list[Path]:
    """Write every case as FOLDER/<case>/05_use_gate.ipynb (a folder per learner)."""
    written = []
    for case in CASES:
        path = Path(folder, case, f"{STEM}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(submission(case))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_corpus(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "corpus"):
        print(written_path)
