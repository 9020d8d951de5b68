"""The course layer's shape: the trust boundary holds, one wire format, no dead code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy
import pytest

from lstmkit.course import wire
from lstmkit.course.exercises import EXERCISES
from lstmkit.course.model import Case, Failure, Outputs, Spec

ROOT = Path(__file__).resolve().parents[1]
SECRET = ("lstmkit.course.exercises", "lstmkit.course.judge", "lstmkit.gates", "lstmkit.course.grade.batch")


def test_the_sandboxed_side_and_check_import_no_secret_module():
    probe = ("import sys, lstmkit.course.grade.child\nfrom lstmkit.course import check, assert_passes\n"
             "print(sorted(m for m in sys.modules if m.startswith('lstmkit')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert "lstmkit.course.compute" in loaded and "lstmkit.course.checker" in loaded
    assert not [name for name in SECRET if f"'{name}'" in loaded], loaded


def test_a_job_round_trips_through_the_wire_with_the_same_python_types():
    exercise = EXERCISES["clip_grad_norm"]
    cases = exercise.cases(1)
    back = wire.loads(wire.dumps(cases))
    for sent, received in zip(cases, back, strict=True):
        assert isinstance(received, Case) and received.label == sent.label
        for a, b in zip(sent.inputs["grads"], received.inputs["grads"], strict=True):
            assert type(b) is numpy.ndarray and b.dtype == a.dtype and numpy.array_equal(a, b)
        assert type(received.inputs["max_norm"]) is float
    spec = wire.loads(wire.dumps(exercise.spec))
    assert spec == exercise.spec and isinstance(spec.signature, tuple)


@pytest.mark.parametrize("tree, words", [
    ({"type": "Nope", "fields": {}}, "not a known type"),
    ({"type": "Failure", "fields": {"kind": "passed", "message": "x"}}, "unknown failure kind"),
    ({"type": "Failure", "fields": {"kind": "error", "message": 3}}, "expected str"),
    ({"type": "Spec", "fields": {"name": "x"}}, "cannot be built"),
    ({"type": "Outputs", "fields": {"values": {"dict": {"y": "not an array"}}}}, "expected an array"),
])
def test_decoding_refuses_what_does_not_fit_the_types(tree, words):
    import json

    with pytest.raises(wire.WireError, match=words):
        wire.from_json(json.dumps(tree))


def test_deep_json_and_huge_declared_arrays_are_refused_before_any_work():
    with pytest.raises(wire.WireError, match="nests deeper"):
        wire.from_json("[" * 100_000 + "]" * 100_000)
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tree.npy", _npy_text(b'{"array": 0}'))
        archive.writestr("a0.npy", npy)
    with pytest.raises(wire.WireError, match="declares 1000000000000 elements"):
        wire.loads(buffer.getvalue())


def _npy_text(text: bytes) -> bytes:
    import io

    handle = io.BytesIO()
    numpy.save(handle, numpy.frombuffer(text, dtype=numpy.uint8))
    return handle.getvalue()


def test_links_and_fifos_are_not_read(tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(wire.dumps(Outputs(failure=Failure("error", "x"))))
    (tmp_path / "link.npz").symlink_to(target)
    with pytest.raises(wire.WireError, match="links are not followed"):
        wire.load(tmp_path / "link.npz")
    import os

    os.mkfifo(tmp_path / "fifo.npz")
    with pytest.raises(wire.WireError, match="not a regular file"):
        wire.load(tmp_path / "fifo.npz")
    assert wire.load(target, Outputs).failure.kind == "error"


def test_specs_are_the_public_half_only():
    fields = set(Spec.__dataclass_fields__)
    assert not fields & {"reference", "hints", "make_inputs", "rtol"}


def test_no_dead_code_in_the_course_layer():
    done = subprocess.run([sys.executable, "-m", "vulture", "lstmkit/course", "tests/vulture_whitelist.py",
                           "--min-confidence", "60"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
