"""Scores, decided in the grader's process: the job's inputs, references, verdicts.

The sandbox gets the hidden cases' inputs (generated here from the spec) and
returns plain arrays; :func:`judge_exercise` compares them with reference outputs
computed here, with the exercise's tolerances and hints (:mod:`..judge`). What
the learner's process printed or patched never reaches this module.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy

from ..exercises import EXERCISES
from ..judge import NOT_IMPLEMENTED_MESSAGE, judge_case, reference_outputs, summarize
from ..spec import Case, CheckResult, Exercise, Failure, Outputs
from . import protocol

_REFERENCES: dict[tuple[str, int, int], Outputs] = {}


def job_for(names: list[str], seed: int) -> tuple[list[dict[str, Any]], dict[str, numpy.ndarray]]:
    """The sandbox job for exercises ``names``: JSON specs and the input arrays."""
    arrays: dict[str, numpy.ndarray] = {}
    specs = []
    for name in names:
        exercise = EXERCISES[name]
        cases = []
        for index, case in enumerate(exercise.make_cases(seed)):
            key = f"{name}.{index}"
            gradcheck_key = None
            if exercise.gradcheck_input is not None:
                gradcheck_key = f"{key}.gradcheck"
                arrays[gradcheck_key] = exercise.gradcheck_input(numpy.random.default_rng([case.seed, 99]))
            cases.append({
                "label": case.label, "seed": case.seed, "gradcheck_input": gradcheck_key,
                "inputs": {k: protocol.encode_value(v, arrays, f"{key}.{k}") for k, v in case.inputs.items()},
            })
        specs.append({
            "name": name, "kind": exercise.kind, "signature": list(exercise.signature),
            "outputs": list(exercise.outputs), "differentiable": list(exercise.differentiable),
            "forbidden": list(exercise.forbidden), "cases": cases,
        })
    return specs, arrays


def blocked_imports(names: list[str]) -> list[str]:
    """Modules the sandbox refuses to import for these exercises: forbidden modules that
    ``import lstmkit`` does not load already (``torch``, ``lstmkit.gates``...)."""
    loaded = {"lstmkit.autograd", "lstmkit.functional"}
    return sorted({
        e for n in names for e in EXERCISES[n].forbidden
        if (e in ("torch", "scipy") or e.startswith("lstmkit.")) and e not in loaded
    })


def _reference(exercise: Exercise, case: Case, seed: int, index: int) -> Outputs:
    key = (exercise.name, seed, index)
    if key not in _REFERENCES:
        _REFERENCES[key] = reference_outputs(exercise, case)
    return _REFERENCES[key]


def failed(exercise: Exercise, kind: str, message: str, hint: str = "") -> CheckResult:
    """A zero for the whole exercise, with the reason."""
    return CheckResult(exercise.name, False, exercise.points, 0.0, message, hint, kind)


def judge_exercise(exercise: Exercise, seed: int, outputs: list[Outputs] | None,
                   failure: Failure | None = None, forbidden: list[str] | None = None) -> CheckResult:
    """The verdict on one exercise from the sandbox's arrays (or the reason there are none)."""
    if forbidden:
        return failed(exercise, "forbidden", f"{exercise.name} uses {', '.join(forbidden)}, which this exercise "
                      "asks you to write yourself; an answer that calls it scores zero.")
    if failure is not None:
        return failed(exercise, failure.kind, failure.message)
    cases = exercise.make_cases(seed)
    if not outputs:
        return failed(exercise, "crash", f"{exercise.name} produced no results.")
    results = []
    for index, (case, learner) in enumerate(zip(cases, outputs, strict=False)):
        result = judge_case(exercise, case, learner, _reference(exercise, case, seed, index))
        results.append(result)
        if result.failure_kind in ("not_implemented", "forbidden"):
            break
    if len(results) < len(cases) and results[-1].failure_kind not in ("not_implemented", "forbidden"):
        return failed(exercise, "crash", f"{exercise.name} returned results for {len(outputs)} of {len(cases)} cases.")
    verdict = summarize(exercise, results)
    if verdict.failure_kind == "not_implemented":
        verdict.message = f"{exercise.name} is not implemented yet: {NOT_IMPLEMENTED_MESSAGE}"
    return verdict


def verdict_to_json(verdict: CheckResult) -> dict[str, Any]:
    """A CheckResult as JSON-ready data (tuples become lists)."""
    data = asdict(verdict)
    for case in data["cases"]:
        case["notes"] = list(case["notes"])
        for key in ("expected_shape", "got_shape"):
            if case[key] is not None:
                case[key] = list(case[key])
    return data
