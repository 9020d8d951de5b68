"""lstmkit grade: the corpus of broken and hostile submissions, outputs, resume, parallel runs."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy
import pytest

from lstmkit.course import wire
from lstmkit.course.exercises import EXERCISES, get_exercise
from lstmkit.course.forbidden import Forbidden, in_source, parse
from lstmkit.course.grade import batch, bwrap, landlock, main
from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.report import Row
from lstmkit.course.grade.sandbox import Limits
from lstmkit.course.grade.submission import read_submission

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules["grading_corpus"] = corpus
_spec.loader.exec_module(corpus)

FAST = Settings(seed=1, limits=Limits(exercise_timeout=2.0, submission_timeout=20.0, memory_mb=1024))


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    corpus.write_corpus(folder)
    return folder


FENCES = ("bwrap", "fallback")  #: LSTMKIT_SANDBOX: bubblewrap's namespaces, or Landlock + seccomp + audit hook only


@pytest.fixture(scope="module", params=FENCES)
def graded(request, corpus_dir, tmp_path_factory):
    """The corpus graded with bubblewrap (CI installs it: .ci/run), and with only the fallback fence."""
    if request.param == "bwrap":
        assert not bwrap.why_not(), f"bubblewrap is needed for these tests ({bwrap.why_not()}): apt-get install bubblewrap"
    out = tmp_path_factory.mktemp(f"out-{request.param}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(bwrap.MODE_VARIABLE, request.param)
        result = grade_submissions([corpus_dir], out, FAST, workers=2)
    fence = json.loads((out / "results.json").read_text())["sandbox"]
    assert [f["bwrap"] for f in fence] == [request.param == "bwrap"], fence
    return result


def rows_of(out):
    """learner -> Row, read back from results.json with the wire format's validation."""
    learners = json.loads((out / "results.json").read_text())["learners"]
    return {name: wire.from_json(json.dumps(row), Row) for name, row in learners.items()}


def _row(graded, case):
    return rows_of(graded.out)[case]


@pytest.mark.parametrize("case", list(corpus.CASES))
def test_corpus_case_scores_exactly_and_records_why(graded, case):
    expected, _ = corpus.CASES[case]
    row = _row(graded, case)
    article, standard = row.results["use_gate_article"], row.results["use_gate_standard"]
    assert (article.score, standard.score) == (expected.article, expected.standard)
    assert row.total == expected.article + expected.standard and row.max == 5
    failing = [v for v in (article, standard) if not v.passed]
    assert [v.kind for v in failing][:1] == ([expected.kind] if expected.kind else [])
    if expected.note:
        assert any(expected.reason in note for note in row.notes), row.notes
    elif expected.reason:
        said = failing[0].message + " " + failing[0].hint
        assert expected.reason in said, said


def test_every_reference_notebook_scores_full_marks_and_every_blank_one_zero(tmp_path):
    stems = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
    for stem in stems:
        for learner, make in (("reference", corpus.reference_submission), ("blank", corpus.blank_submission)):
            (tmp_path / "subs" / learner).mkdir(parents=True, exist_ok=True)
            (tmp_path / "subs" / learner / f"{stem}.ipynb").write_bytes(make(stem))
    result = grade_submissions([tmp_path / "subs"], tmp_path / "out", FAST, workers=2)
    rows = rows_of(result.out)
    assert len(result.graded) == 2 * len(stems)
    assert rows["reference"].total == rows["reference"].max == sum(e.spec.points for e in EXERCISES.values())
    assert {n: v.score for n, v in rows["reference"].results.items()} == {
        n: e.spec.points for n, e in EXERCISES.items()}
    assert rows["blank"].total == 0
    assert {v.kind for v in rows["blank"].results.values()} == {"not_implemented"}


def test_committed_corpus_matches_its_generator():
    for case in corpus.CASES:
        path = ROOT / "tests" / "submissions" / "corpus" / case / f"{corpus.STEM}.ipynb"
        assert path.read_bytes() == corpus.submission(case), f"stale corpus: run python {corpus.__file__}"


def test_every_submission_gets_a_row_and_the_gradebook_is_ready_for_import(graded):
    with open(graded.out / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["learner"] for r in rows] == sorted(corpus.CASES)
    assert list(rows[0]) == ["learner", "use_gate_article", "use_gate_standard", "total"]
    by_learner = {r["learner"]: r for r in rows}
    assert by_learner["reference"]["total"] == "5" and by_learner["blank"]["total"] == "0"
    assert by_learner["invalid_json"]["total"] == "0"
    assert not list(graded.out.glob("*.tmp")) and not list(graded.out.glob(".*.tmp"))


def test_feedback_file_says_what_failed_and_the_hint(graded):
    text = (graded.out / "feedback" / "fake_passed.md").read_text()
    assert "**Total: 2 / 5 points**" in text
    assert "`use_gate_article`): 0 / 3, not passed" in text and "`use_gate_standard`): 2 / 2, passed" in text
    assert "leaves out the bias b_u" in text


def test_sandbox_wrote_nothing_outside_its_folder(graded):
    assert not (Path(tempfile.gettempdir()) / corpus.ESCAPE_FILE).exists()


def test_serial_run_gives_the_same_results_as_parallel(tmp_path):
    folder = tmp_path / "subs"
    for case in ("reference", "blank", "fake_passed", "sys_exit", "os_exit", "forged_result_zip", "deleted_cell"):
        (folder / case).mkdir(parents=True)
        (folder / case / f"{corpus.STEM}.ipynb").write_bytes(corpus.submission(case))
    serial = grade_submissions([folder], tmp_path / "serial", FAST, workers=1)
    parallel = grade_submissions([folder], tmp_path / "parallel", FAST, workers=2)
    for name in ("results.json", "gradebook.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()
    assert serial.graded == parallel.graded


def _three(tmp_path):
    folder = tmp_path / "subs"
    for case in ("reference", "blank", "fake_passed"):
        (folder / case).mkdir(parents=True)
        (folder / case / f"{corpus.STEM}.ipynb").write_bytes(corpus.submission(case))
    return folder


def test_resume_grades_only_what_is_missing_and_regrading_is_identical(tmp_path):
    folder, out = _three(tmp_path), tmp_path / "out"
    first = grade_submissions([folder], out, FAST, workers=1)
    assert len(first.graded) == 3 and first.reused == []
    before = (out / "results.json").read_bytes()
    lost = sorted((out / "state").glob("*.json"))[0]
    lost.unlink()
    second = grade_submissions([folder], out, FAST, workers=1, resume=True)
    assert second.graded == [lost.stem] and len(second.reused) == 2
    assert (out / "results.json").read_bytes() == before
    third = grade_submissions([folder], out, FAST, workers=1)  # without --resume: all again, same result
    assert len(third.graded) == 3 and (out / "results.json").read_bytes() == before


def test_interrupted_run_resumes_with_the_rest(tmp_path, monkeypatch):
    folder, out = _three(tmp_path), tmp_path / "out"
    real = batch.run_tasks

    def interrupted(tasks, workers, scheduler):
        yield from real(tasks[:1], workers, scheduler)
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_tasks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade_submissions([folder], out, FAST, workers=1)
    assert len(list((out / "state").glob("*.json"))) == 1 and not (out / "gradebook.csv").exists()
    monkeypatch.setattr(batch, "run_tasks", real)
    resumed = grade_submissions([folder], out, FAST, workers=1, resume=True)
    assert len(resumed.reused) == 1 and len(resumed.graded) == 2
    assert (out / "gradebook.csv").read_text().count("\n") == 4


def test_layouts_name_the_learner_and_the_exercises(tmp_path):
    data = corpus.submission("reference")
    per_assignment = read_submission(tmp_path / "05_use_gate" / "alice.ipynb", data)
    flat = read_submission(tmp_path / "bob.ipynb", data)
    per_learner = read_submission(tmp_path / "carol" / "05_use_gate.ipynb", data)
    assert (per_assignment.learner, per_assignment.notebook) == ("alice", "05_use_gate")
    assert (flat.learner, flat.notebook) == ("bob", "05_use_gate")
    assert (per_learner.learner, per_learner.notebook) == ("carol", "05_use_gate")
    assert flat.exercises == ["use_gate_article", "use_gate_standard"]


def test_static_scan_finds_forbidden_names_through_aliases_helpers_and_import_strings():
    exercise = get_exercise("learn_gate")

    def scan(source):
        return in_source(exercise.name, [parse(source)], Forbidden(exercise.spec.forbidden))

    assert scan("import lstmkit as lk\ndef learn_gate(*a):\n    return lk.gates.learn_gate(*a)") == [
        "lstmkit.gates.learn_gate"]
    assert scan("import lstmkit.gates as g\ndef helper(*a):\n    return g.learn_gate(*a)\n"
                "def learn_gate(*a):\n    return helper(*a)") == ["lstmkit.gates.learn_gate"]
    assert scan("def learn_gate(*a):\n    return __import__('torch')") == ["torch"]
    assert scan("import lstmkit as lk\nfrom lstmkit.course import check\ndef learn_gate(s, e, *w):\n"
                "    return lk.concat([s, e], axis=-1)\ncheck('learn_gate', learn_gate)") == []


def test_results_from_the_sandbox_are_read_without_pickle(tmp_path):
    path = tmp_path / "result.npz"
    numpy.savez(path, tree=numpy.frombuffer(b'{"array": 0}', dtype=numpy.uint8),
                a0=numpy.array([object()], dtype=object))
    with pytest.raises(wire.WireError, match="only numbers are accepted"):
        wire.load(path)


def test_cli_exit_status_is_nonzero_only_when_the_grader_fails(tmp_path, capsys):
    folder = _three(tmp_path)
    assert main([str(folder / "reference"), "--out", str(tmp_path / "o"), "--workers", "1", "--no-progress"]) == 0
    assert "reference" in capsys.readouterr().out
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main([str(folder), "--out", str(blocker), "--no-progress"]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err
    assert main([str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert main([str(folder), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert main(["--help"]) == 0


def test_register_grade_adds_the_subcommand_to_a_cli(tmp_path, capsys):
    import argparse

    from lstmkit.course.grade.cli import register_grade

    parser = argparse.ArgumentParser(prog="lstmkit")
    register_grade(parser.add_subparsers(dest="command"))
    folder = _three(tmp_path)
    args = parser.parse_args(["grade", str(folder / "blank"), "--out", str(tmp_path / "o"), "--workers", "1",
                              "--timeout", "3", "--no-progress"])
    assert args.func(args) == 0
    assert (tmp_path / "o" / "gradebook.csv").read_text().splitlines()[1] == "blank,0,0,0"


LANDLOCKED = """
import os, socket, sys
from lstmkit.course.grade import landlock
folder = sys.argv[1]
print("abi", landlock.restrict([sys.prefix, sys.base_prefix, "/usr"], [folder]))
open(os.path.join(folder, "inside.txt"), "w").write("ok")
for attempt in (lambda: open(sys.argv[2]).read(), lambda: open(sys.argv[3], "w"),
                lambda: os.kill(os.getppid(), 0), lambda: socket.socket().connect(("127.0.0.1", 9))):
    try:
        attempt()
        print("allowed")
    except OSError as error:
        print("refused", error.errno)
"""


def test_landlock_confines_reads_writes_and_signals_without_the_audit_hook(tmp_path):
    abi = landlock.abi_version()
    if abi < 1:
        pytest.skip("this kernel has no Landlock; the audit hook fences alone")
    folder, secret = tmp_path / "box", tmp_path / "secret.txt"
    folder.mkdir()
    secret.write_text("instructor only")
    done = subprocess.run([sys.executable, "-c", LANDLOCKED, str(folder), str(secret), str(tmp_path / "escape.txt")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = done.stdout.split("\n")
    assert lines[0] == f"abi {abi}" and (folder / "inside.txt").read_text() == "ok"
    assert lines[1:3] == ["refused 13", "refused 13"] and not (tmp_path / "escape.txt").exists()
    if abi >= 6:
        assert lines[3] == "refused 1"  # EPERM: signals do not leave the Landlock domain
    if abi >= 4:
        assert lines[4] == "refused 13"  # EACCES: TCP connect refused
