"""The sandboxed side: run a learner's cells, then each exercise's cases, into bundles.

Started by :mod:`.sandbox` as ``python -I -c BOOT CONTROL_FD`` in a fresh folder
holding ``job.json``, ``inputs.npz`` and the notebook. Before any learner code it
lowers its resource limits, confines itself with Landlock where the kernel has it
(:mod:`.landlock`) and installs the audit hooks of :mod:`.guard`. It reports
progress on the control pipe as JSON lines (``{"cell": i}``, ``{"start": name}``,
``{"done": name}``) so that the grader knows whom to blame for a hang or a crash,
and writes each exercise's outputs to ``out/<name>.npz/.json``. Nothing it says is
trusted: the grader judges the arrays itself.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy

from ..run import compute_outputs
from ..spec import Case, Exercise, Failure, Outputs
from . import guard, landlock, protocol

STOP_KINDS = ("not_implemented", "forbidden")  #: no point running more cases after these


class Control:
    """JSON lines on the control pipe (a learner may write there too; it can only confuse blame)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, **message: Any) -> None:
        os.write(self.fd, (json.dumps(message) + "\n").encode())


def exercise_from(spec: dict[str, Any], gradcheck_x: numpy.ndarray | None) -> Exercise:
    """An Exercise with only what computing needs (no reference, no hints)."""
    return Exercise(
        name=spec["name"], lesson=0, notebook="", title="", kind=spec["kind"],
        signature=tuple(spec["signature"]), outputs=tuple(spec["outputs"]),
        differentiable=tuple(spec["differentiable"]), cases=(), reference=None, points=0,
        forbidden=tuple(spec["forbidden"]),
        gradcheck_input=None if gradcheck_x is None else (lambda rng, x=gradcheck_x: x.copy()),
    )


def run_cells(cells: list[dict[str, Any]], skip: set[int], namespace: dict[str, Any], control: Control) -> list[str]:
    """Execute the learner's code cells in order; notes on the cells that raised."""
    notes = []
    for cell in cells:
        index = cell["index"]
        if index in skip:
            continue
        control.send(cell=index)
        try:
            exec(compile(cell["source"], f"<cell {index}>", "exec"), namespace)  # noqa: S102
        except BaseException as error:  # noqa: BLE001  (SystemExit, KeyboardInterrupt: the cell ends, grading goes on)
            notes.append(f"cell {index} raised {type(error).__name__}: {str(error)[:300]}")
    return notes


def run_exercise(spec: dict[str, Any], arrays: Any, namespace: dict[str, Any]) -> dict[str, Any]:
    """Every case of one exercise on the learner's answer -> the bundle header."""
    out_arrays: dict[str, numpy.ndarray] = {}
    header: dict[str, Any] = {"exercise": spec["name"], "cases": []}
    answer = namespace.get(spec["name"])
    for index, case_spec in enumerate(spec["cases"]):
        key = case_spec["gradcheck_input"]
        exercise = exercise_from(spec, None if key is None else numpy.array(arrays[key]))
        inputs = {name: protocol.decode_value(node, arrays) for name, node in case_spec["inputs"].items()}
        case = Case(case_spec["label"], inputs, case_spec["seed"])
        if answer is None:
            outputs = Outputs(failure=Failure(
                "error", f"{spec['name']} is not defined in the notebook: its cell was deleted, retyped, "
                "or raised an error before the definition ran.",
                f"NameError: name '{spec['name']}' is not defined"))
        else:
            try:
                outputs = compute_outputs(exercise, answer, case)
            except BaseException as error:  # noqa: BLE001  (sys.exit and friends inside the answer)
                detail = f"{type(error).__name__}: {str(error)[:300]}"
                outputs = Outputs(failure=Failure("error", detail, detail))
        header["cases"].append(protocol.outputs_to_json(outputs, out_arrays, f"c{index}"))
        if outputs.failure is not None and outputs.failure.kind in STOP_KINDS:
            break
    header["_arrays"] = out_arrays
    return header


def main() -> None:
    """Entry point of the sandboxed process (argv[1]: the control pipe's fd)."""
    control = Control(int(sys.argv[1]))
    with open("job.json", encoding="utf-8") as handle:
        job = json.load(handle)
    arrays = dict(numpy.load("inputs.npz", allow_pickle=False))
    guard.set_limits(job["cpu_seconds"], job["memory_mb"])
    write = protocol.write_bundle  # bound before learner code can patch the module
    os.makedirs("out", exist_ok=True)
    try:
        fence = {"landlock_abi": landlock.restrict(guard.read_roots(), [os.getcwd(), "/dev/null"])}
    except OSError as error:  # the ruleset was not applied: the audit hook alone fences
        fence = {"landlock_abi": 0, "landlock_error": str(error)[:300]}
    with open("out/sandbox.json", "w", encoding="utf-8") as handle:
        json.dump(fence, handle)
    guard.install(os.getcwd(), job["blocked_imports"])
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    notes = run_cells(job["cells"], set(job["skip_cells"]), namespace, control)
    with open("out/notes.json", "w", encoding="utf-8") as handle:
        json.dump(notes, handle)
    for spec in job["exercises"]:
        control.send(start=spec["name"])
        header = run_exercise(spec, arrays, namespace)
        out_arrays = header.pop("_arrays")
        write(os.path.join("out", spec["name"]), header, out_arrays)
        control.send(done=spec["name"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers, no finalizers the learner registered
