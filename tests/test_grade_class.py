"""Grading a whole class against a course file: roster, strays, renamed copies, deadlines, overrides,
regrading a subset, the class report (in headless Chromium), LMS exports and nbgrader's gradebook."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import socket
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lstmkit.course.grade import main
from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.course_file import CourseError, LatePolicy, load_course
from lstmkit.course.grade.late import penalised
from lstmkit.course.grade.overrides import read_overrides
from lstmkit.course.grade.sandbox import Limits
from lstmkit.course.result import Result

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
corpus = sys.modules.get("grading_corpus") or importlib.util.module_from_spec(_spec)
if "grading_corpus" not in sys.modules:
    sys.modules["grading_corpus"] = corpus
    _spec.loader.exec_module(corpus)

FAST = Settings(seed=1, limits=Limits(exercise_timeout=2.0, submission_timeout=20.0, memory_mb=1024))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
EXERCISES = ["learn_gate", "forget_gate", "clip_grad_norm"]  # 07 (clip_grad_norm): nobody hands it in
ON_TIME = datetime(2027, 2, 1, 12, 0, tzinfo=timezone.utc).timestamp()

COURSE_TOML = """
[course]
name = "LSTMs, spring term"
notebooks = ["02_learn_gate", "03_forget_gate", "07_clip_grad_norm"]
roster = "roster.csv"
overrides = "overrides.csv"
times = "times.csv"

[deadlines]
default = "2027-03-01T23:59:00Z"
"03_forget_gate" = "2027-02-10T23:59:00+00:00"

[late]
grace_minutes = 10
per_day = 0.25
max_fraction = 0.5
"""
ROSTER = "id,name,email,lms_id\ns01,Ada Lovelace,ada@example.org,101\ns02,Alan Turing,alan@example.org,102\n" \
         "s03,Grace Hopper,grace@example.org,103\ns04,Edsger Dijkstra,edsger@example.org,104\n"
OVERRIDE = "s03,learn_gate,2.5,emailed a working answer on time,ta-kim,2027-02-12\n"
# s01 hands in 03 one day and ten hours late: two started days at 25% each -> 50%
TIMES = "learner,notebook,submitted\ns01,03_forget_gate,2027-02-12T10:00:00Z\n"


def tanh_forget_gate() -> bytes:
    """The forget gate with tanh where the sigmoid belongs: a diagnosed mistake."""
    source = corpus._solution_sources("03_forget_gate")["forget_gate"].replace(".sigmoid()", ".tanh()")
    return corpus.answer_submission("03_forget_gate", {"forget_gate": source})


def write_class(root: Path) -> Path:
    """The class folder: three learners' files, strays, renamed copies; s04 hands in nothing."""
    files = {
        "s01/02_learn_gate.ipynb": corpus.reference_submission("02_learn_gate"),
        "s01/03_forget_gate.ipynb": corpus.reference_submission("03_forget_gate"),
        "s01/08_attention.ipynb": corpus.blank_submission("02_learn_gate"),  # no such notebook
        "s01/05_use_gate.ipynb": corpus.reference_submission("05_use_gate"),  # not in this course
        "s02/02_learn_gate (1).ipynb": corpus.reference_submission("02_learn_gate"),
        "s02/Copy of 03_forget_gate.ipynb": tanh_forget_gate(),
        "s03/02_learn_gate.ipynb": corpus.blank_submission("02_learn_gate"),
        "s03/03_forget_gate.ipynb": tanh_forget_gate(),
        "zed/02_learn_gate.ipynb": corpus.reference_submission("02_learn_gate"),  # not on the roster
        "notes.txt": b"remember to grade s04",
    }
    folder = root / "class"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        os.utime(folder / name, (ON_TIME, ON_TIME))
    return folder


def write_course(root: Path, overrides: str = OVERRIDE) -> Path:
    (root / "course.toml").write_text(COURSE_TOML)
    (root / "roster.csv").write_text(ROSTER)
    (root / "overrides.csv").write_text("learner,exercise,score,reason,who,when\n" + overrides)
    (root / "times.csv").write_text(TIMES)
    return root / "course.toml"


def gradebook_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def scores(out: Path) -> dict[str, list[str]]:
    return {r["learner"]: [r[n] for n in (*EXERCISES, "total")] for r in gradebook_rows(out)}


EXPECTED = {
    "points possible": ["3", "2", "3", "8"],
    "s01": ["3", "1", "0", "4"],  # forget_gate 2 points, late: 50% off
    "s02": ["3", "0", "0", "3"],  # the renamed copies are graded as s02's notebooks
    "s03": ["2.5", "0", "0", "2.5"],  # learn_gate blank, overridden to 2.5
    "s04": ["0", "0", "0", "0"],
}
NOT_GRADED = {
    "class/notes.txt": "not a notebook",
    "class/s01/05_use_gate.ipynb": "05_use_gate is not a notebook of this course",
    "class/s01/08_attention.ipynb": "unknown notebook 08_attention.ipynb",
    "class/zed/02_learn_gate.ipynb": "zed is not on the roster",
}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """A class graded once against the course file: (root, class folder, course, out, batch)."""
    root = tmp_path_factory.mktemp("term")
    folder, course = write_class(root), load_course(write_course(root))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # paths in the gradebook as an instructor would type them
        batch = grade_submissions([Path("class")], root / "grades", FAST, workers=2, course=course)
        yield root, folder, course, root / "grades", batch


def test_every_roster_learner_is_a_row_and_every_exercise_a_column(term):
    root, _, _, out, batch = term
    rows = gradebook_rows(out)
    assert list(rows[0]) == ["learner", "name", *EXERCISES, "total", "adjusted"]
    assert [r["learner"] for r in rows] == ["points possible", "s01", "s02", "s03", "s04"]
    assert scores(out) == EXPECTED
    assert rows[1]["name"] == "Ada Lovelace"
    assert len(batch.graded) == 6 and batch.kept == []


def test_strays_unknown_notebooks_and_learners_are_listed_as_not_graded_with_the_reason(term):
    _, _, _, out, batch = term
    found = {n.path: n.reason for n in batch.not_graded}
    assert sorted(found) == sorted(NOT_GRADED)
    for path, reason in NOT_GRADED.items():
        assert reason in found[path], found[path]
    document = json.loads((out / "results.json").read_text())
    assert sorted(d["path"] for d in document["not_graded"]) == sorted(NOT_GRADED)
    assert sorted(document["learners"]) == ["s01", "s02", "s03", "s04"]
    assert "zed" not in (out / "gradebook.csv").read_text()
    assert "08\\_attention.ipynb was not graded" in (out / "feedback" / "s01.md").read_text()


def test_renamed_copies_belong_to_the_learner_and_their_notebook(term):
    _, _, _, out, _ = term
    row = json.loads((out / "results.json").read_text())["learners"]["s02"]["fields"]
    assert sorted(row["submissions"]) == ["class/s02/02_learn_gate (1).ipynb", "class/s02/Copy of 03_forget_gate.ipynb"]


def test_a_late_submission_is_penalised_as_configured_and_says_so(term):
    _, _, course, out, _ = term
    assert course.late == LatePolicy(10, 0.25, 0.5)
    feedback = (out / "feedback" / "s01.md").read_text()
    assert "The forget gate (`forget_gate`): 1 / 2, passed" in feedback
    assert "1 day 10 h 1 min after the deadline 2027-02-10 23:59 UTC" in feedback
    assert "takes 50% of the score: 2 → 1 / 2" in feedback
    assert "forget_gate: Late:" in gradebook_rows(out)[1]["adjusted"]
    assert course.late.fraction(course.deadlines["03_forget_gate"] - course.deadlines["03_forget_gate"]) == 0
    assert LatePolicy(10, 0.25, 0.5).fraction(datetime(2027, 1, 1, 0, 9) - datetime(2027, 1, 1)) == 0


def test_the_most_common_mistake_is_named_in_the_report_with_count_and_example(term):
    _, _, _, out, _ = term
    text = (out / "report.md").read_text()
    section = text[text.index("(`forget_gate`"):text.index("(`clip_grad_norm`")]
    assert "Passed: 1 of 4 (25%); 1 handed in nothing" in section
    mistakes = section[section.index("Most common mistakes"):].splitlines()[4:]
    assert "tanh" in mistakes[0] and "| 2 | s02: forget\\_gate failed 4 of 4 hidden cases" in mistakes[0]
    assert "not\\_implemented" not in section and "missing" not in section  # handing in nothing is counted apart
    assert "[feedback/s04.md](feedback/s04.md)" in text
    assert "| class/notes.txt | not a notebook" in text


def test_exports_in_canvas_and_moodle_layouts(term):
    _, _, _, out, _ = term
    canvas = list(csv.reader((out / "exports" / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "02_learn_gate",
                         "03_forget_gate", "07_clip_grad_norm"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "3", "2", "3"]
    assert canvas[2] == ["Ada Lovelace", "101", "s01", "ada@example.org", "", "3", "1", "0"]
    moodle = list(csv.reader((out / "exports" / "moodle.csv").open()))
    assert moodle[0] == ["ID number", "Email address", "Full name", "02_learn_gate", "03_forget_gate",
                         "07_clip_grad_norm"]
    assert moodle[3] == ["s03", "grace@example.org", "Grace Hopper", "2.5", "0", "0"]
    assert len(moodle) == 5


def test_nbgrader_reads_back_the_gradebook_through_its_own_api(term, tmp_path):
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    _, _, _, out, _ = term
    with Gradebook(f"sqlite:///{out / 'exports' / 'gradebook.db'}", course_id="course") as book:
        assert sorted(s.id for s in book.students) == ["s01", "s02", "s03", "s04"]
        assert sorted(a.name for a in book.assignments) == ["02_learn_gate", "03_forget_gate", "07_clip_grad_norm"]
        assert book.find_assignment("07_clip_grad_norm").num_submissions == 0
        assert book.find_student("s01").first_name == "Ada" and book.find_student("s01").lms_user_id == "101"
        late = book.find_submission("03_forget_gate", "s01")
        assert (late.score, late.late_submission_penalty) == (2.0, 1.0)
        assert late.timestamp == datetime(2027, 2, 12, 10, 0)
        overridden = book.find_grade("check_learn_gate", "02_learn_gate", "02_learn_gate", "s03")
        assert (overridden.auto_score, overridden.manual_score, overridden.score) == (0.0, 2.5, 2.5)
        assert book.find_grade_cell("check_forget_gate", "03_forget_gate", "03_forget_gate").max_score == 2
        assert book.find_submission("02_learn_gate", "s02").score == 3.0
        with pytest.raises(Exception, match="No such submission"):
            book.find_submission("02_learn_gate", "s04")
        exported = tmp_path / "grades.csv"
        CsvExportPlugin(to=str(exported)).export(book)  # what `nbgrader export` runs
    lines = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(exported.open())}
    assert len(lines) == 3 * 4
    assert float(lines["03_forget_gate", "s01"]["score"]) == 1.0  # 2 points, half taken for lateness
    assert float(lines["02_learn_gate", "s03"]["score"]) == 2.5 and float(lines["07_clip_grad_norm", "s02"]["score"]) == 0


def test_an_override_survives_two_resumes_and_shows_in_gradebook_and_feedback(term, tmp_path):
    root, _, course, out, _ = term
    for _ in range(2):
        again = grade_submissions([Path("class")], out, FAST, workers=1, resume=True, course=course)
        assert again.graded == [] and len(again.reused) == 6
        assert scores(out) == EXPECTED
    assert "learn_gate: Score set by hand to 2.5 / 3 by ta-kim on 2027-02-12" in gradebook_rows(out)[3]["adjusted"]
    feedback = (out / "feedback" / "s03.md").read_text()
    assert "(`learn_gate`): 2.5 / 3, not passed" in feedback
    assert "emailed a working answer on time" in feedback


def test_regrading_one_learner_keeps_every_other_row(term, tmp_path):
    root, folder, course, _, _ = term
    out = tmp_path / "grades"
    grade_submissions([Path("class")], out, FAST, workers=2, course=course)
    before = {r["learner"]: r for r in gradebook_rows(out)}
    feedback_before = (out / "feedback" / "s01.md").read_text()
    (folder / "s02" / "Copy of 03_forget_gate.ipynb").write_bytes(corpus.reference_submission("03_forget_gate"))
    os.utime(folder / "s02" / "Copy of 03_forget_gate.ipynb", (ON_TIME, ON_TIME))
    regrade = grade_submissions([Path("class/s02")], out, FAST, workers=1, resume=True, course=course)
    try:
        assert len(regrade.graded) == 1 and len(regrade.reused) == 1 and len(regrade.kept) == 4
        after = {r["learner"]: r for r in gradebook_rows(out)}
        assert after["s02"]["forget_gate"] == "2" and after["s02"]["total"] == "5"
        assert {k: v for k, v in after.items() if k != "s02"} == {k: v for k, v in before.items() if k != "s02"}
        assert (out / "feedback" / "s01.md").read_text() == feedback_before
        assert sorted(n.path for n in regrade.not_graded) == sorted(NOT_GRADED)
    finally:
        (folder / "s02" / "Copy of 03_forget_gate.ipynb").write_bytes(tanh_forget_gate())


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)")
def test_class_report_renders_in_chromium_with_plots_and_working_links(term):
    from playwright.sync_api import sync_playwright

    _, _, _, out, _ = term
    report = out / "report.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            assert page.title() == "Class report: LSTMs, spring term"
            assert page.locator("section.exercise").count() == 3
            widths = page.eval_on_selector_all("img.distribution", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
            assert len(widths) == 3 and all(w > 100 for w in widths)
            assert all(url.startswith(("file:", "data:")) for url in requests)  # self-contained
            links = page.eval_on_selector_all("a.feedback", "links => links.map(a => a.href)")
            assert len(links) == 4
            for link in links:
                target = Path(link.removeprefix("file://"))
                assert target.is_file() and target.parent == out / "feedback"
            response = page.goto(links[0])
            assert response.ok and "Feedback for s01" in page.content()
        finally:
            browser.close()


# ------------------------------------------------------------------ bad instructor input


def test_out_inside_a_submission_folder_is_refused_and_nothing_written(term, capsys):
    root, folder, _, _, _ = term
    assert main([str(folder), "--out", str(folder / "s01" / "grades"), "--no-progress", "--workers", "1"]) == 2
    assert "is inside the submissions folder" in capsys.readouterr().err
    assert not (folder / "s01" / "grades").exists()
    assert main([str(folder), "--out", str(folder), "--no-progress"]) == 2
    assert not (folder / "gradebook.csv").exists()


def test_unreachable_scheduler_is_one_line_exit_2_nothing_written(term, tmp_path, capsys):
    _, folder, _, _, _ = term
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nobody listens there
    code = main([str(folder / "s01"), "--out", str(tmp_path / "o"), "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "o").exists()
    ours = [line for line in err.splitlines() if line.startswith("lstmkit grade")]
    assert len(ours) == 1 and "Traceback" not in err
    assert ours[0].startswith(f"lstmkit grade: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")


def test_an_empty_submission_folder_is_a_warning_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert "warning: no notebooks found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_course_input_is_refused_before_anything_is_written(term, tmp_path, capsys):
    root, folder, _, _, _ = term
    bad = tmp_path / "bad"
    bad.mkdir()
    course = write_course(bad, overrides="s03,learn_gate,7,generous,ta-kim,2027-02-12\n")
    assert main([str(folder / "s01"), "--out", str(tmp_path / "o"), "--course", str(course), "--no-progress"]) == 2
    assert "line 2: score '7' for learn_gate must be a number from 0 to 3" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    (bad / "roster.csv").write_text("learner,mail\nx,y\n")
    with pytest.raises(CourseError, match="needs the columns id"):
        load_course(course)
    (bad / "course.toml").write_text(COURSE_TOML.replace('"07_clip_grad_norm"]', '"09_transformers"]'))
    with pytest.raises(CourseError, match="09_transformers"):
        load_course(course)


def test_cli_grades_against_the_course_file_and_lists_what_was_not_graded(term, tmp_path, capsys):
    root, _, _, _, _ = term
    code = main(["class", "--out", str(tmp_path / "o"), "--course", str(root / "course.toml"), "--workers", "2",
                 "--no-progress", "--timeout", "2"])
    printed = capsys.readouterr().out
    assert code == 0 and "not graded (4 files):" in printed
    assert "class/zed/02_learn_gate.ipynb: zed is not on the roster" in printed
    assert scores(tmp_path / "o") == EXPECTED


def test_late_policy_grace_started_days_and_cap(tmp_path):
    course = load_course(write_course(tmp_path))
    due = course.deadlines["03_forget_gate"]
    assert course.deadlines["02_learn_gate"] == datetime(2027, 3, 1, 23, 59, tzinfo=timezone.utc)  # the default
    result = Result("forget_gate", True, 2, 2, "All hidden cases passed.")
    assert penalised(result, due - timedelta(hours=1), due, course) is result
    grace = penalised(result, due + timedelta(minutes=5), due, course)
    assert grace.score == 2 and grace.adjustments[0].endswith("within the grace period: no penalty.")
    assert penalised(result, due + timedelta(hours=20), due, course).score == 1.5  # one started day: 25%
    assert penalised(result, due + timedelta(days=9), due, course).score == 1.0  # capped at 50%
    assert penalised(result.replace(score=0.0), due + timedelta(days=1), due, course).score == 0


def test_a_later_override_line_replaces_an_earlier_one_and_bad_lines_are_named(tmp_path):
    lines = OVERRIDE + "s03,learn_gate,3,checked again,prof-lee,2027-02-14T09:00:00Z\n"
    course = load_course(write_course(tmp_path, overrides=lines))
    found = read_overrides(course.overrides, course)
    assert list(found) == [("s03", "learn_gate")] and found["s03", "learn_gate"].who == "prof-lee"
    for bad, message in (("zed,learn_gate,1,r,w,2027-02-12", "'zed' is not on the roster"),
                         ("s01,use_gate_article,1,r,w,2027-02-12", "not an exercise of this course"),
                         ("s01,learn_gate,1,,w,2027-02-12", "the reason is empty"),
                         ("s01,learn_gate,1,r,w,yesterday", "is not a time")):
        (tmp_path / "overrides.csv").write_text("learner,exercise,score,reason,who,when\n" + bad + "\n")
        with pytest.raises(CourseError, match=message):
            read_overrides(course.overrides, course)


def test_report_lists_timeouts_and_crashes_and_escapes_learner_text():
    from lstmkit.course.grade.class_report import report_html, report_markdown
    from lstmkit.course.grade.report import Row
    from lstmkit.course.result import failed

    def row(learner, result):
        return Row(learner, {"remember_gate": result}, (), ())

    rows = {"ann": row("ann", failed("remember_gate", 2, "timeout", "stopped after 2 s")),
            "bo": row("bo", failed("remember_gate", 2, "crash", "<script>alert(1)</script>")),
            "cy": row("cy", Result("remember_gate", True, 2, 2, "All hidden cases passed."))}
    text = report_markdown("t", ["remember_gate"], rows, [])
    assert "Timeouts and crashes: ann (timeout), bo (crash)" in text and "Passed: 1 of 3 (33%)" in text
    page = report_html("t", ["remember_gate"], rows, [("x/<b>.ipynb", "not a notebook")])
    assert "<script>" not in page and "&lt;script&gt;" in page and "x/&lt;b&gt;.ipynb" in page
    assert page.count("<img class='distribution'") == 1 and "data:image/png;base64," in page
