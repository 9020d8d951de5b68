"""lstmkit grade against submissions that try to fool, crash or escape it.

The kernel layers are probed on their own (bubblewrap's namespaces, the seccomp filter,
Landlock: no audit hook), then a probe submission runs with every layer; each attempt to
start a process, open a socket of any family, signal, read or write outside must be
refused. Then: no process outlives a grader killed by SIGTERM, SIGINT or SIGKILL; the
grader reads nothing the learner planted in place of a result; answers that come from
lstmkit are refused; what reaches the instructor's files is neutralised. Every test that
runs a sandbox runs with bubblewrap and with only the fallback fence.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import numpy
import pytest

from lstmkit.course import wire
from lstmkit.course.exercises import EXERCISES
from lstmkit.course.grade import bwrap, landlock, syscalls
from lstmkit.course.grade.batch import Settings, grade_submissions, make_task
from lstmkit.course.grade.job import Cell, ExerciseJob
from lstmkit.course.grade.report import Row
from lstmkit.course.grade.sandbox import Limits, SandboxReport, _collect, fence_layers, run_sandboxed

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
corpus = sys.modules.get("grading_corpus") or importlib.util.module_from_spec(_spec)
if "grading_corpus" not in sys.modules:
    sys.modules["grading_corpus"] = corpus
    _spec.loader.exec_module(corpus)

FAST = Settings(seed=1, limits=Limits(exercise_timeout=2.0, submission_timeout=20.0, memory_mb=1024))
FENCES = ("bwrap", "fallback")


@pytest.fixture(params=FENCES)
def fence(request, monkeypatch):
    """LSTMKIT_SANDBOX for the test: bubblewrap (CI installs it, .ci/run), or only the fallback fence."""
    if request.param == "bwrap":
        assert not bwrap.why_not(), f"bubblewrap is needed for these tests ({bwrap.why_not()}): apt-get install bubblewrap"
    monkeypatch.setenv(bwrap.MODE_VARIABLE, request.param)
    return request.param


def rows_of(out: Path) -> dict[str, Row]:
    learners = json.loads((out / "results.json").read_text())["learners"]
    return {name: wire.from_json(json.dumps(row), Row) for name, row in learners.items()}


# ------------------------------------------------------------------ the probe: one refusal per attempt

SOCKET_FAMILIES = [name for name in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET", "AF_VSOCK",
                                     "AF_ALG", "AF_BLUETOOTH", "AF_CAN", "AF_TIPC", "AF_RDS") if hasattr(socket, name)]

#: every attempt prints "<name> refused <why>" or "<name> ALLOWED"; argv: secret, escape, target pid, unix socket
ATTEMPTS = '''
import os, signal, socket, sys, threading
secret, escape, target, unix_path = sys.argv[-4], sys.argv[-3], int(sys.argv[-2]), sys.argv[-1]

def attempt(name, action):
    try:
        action()
    except BaseException as error:  # noqa: BLE001
        print(name, "refused", type(error).__name__, str(error)[:120].replace(chr(10), " "), flush=True)
    else:
        print(name, "ALLOWED", flush=True)

def fork():
    if os.fork() == 0:
        os._exit(0)

def fork_exec():
    import multiprocessing.util
    multiprocessing.util.spawnv_passfds(b"/bin/sh", [b"sh", b"-c", b"sleep 600"], ())

def popen():
    import subprocess
    subprocess.Popen(["/bin/sh", "-c", "sleep 600"])

def multiprocess():
    import multiprocessing
    multiprocessing.get_context("fork").Process(target=print).start()

def open_socket(family, kind=socket.SOCK_STREAM):
    def make():
        kinds = {"AF_PACKET": socket.SOCK_RAW, "AF_NETLINK": socket.SOCK_RAW, "AF_ALG": socket.SOCK_SEQPACKET,
                 "AF_CAN": socket.SOCK_RAW, "AF_BLUETOOTH": socket.SOCK_STREAM, "AF_TIPC": socket.SOCK_RDM,
                 "AF_RDS": socket.SOCK_SEQPACKET}
        socket.socket(getattr(socket, family), kinds.get(family, kind)).close()
    return make

def unix_connect(address):
    def connect():
        import _socket
        _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM).connect(address)
    return connect

attempt("fork", fork)
attempt("fork_exec", fork_exec)
attempt("popen", popen)
attempt("multiprocessing", multiprocess)
attempt("posix_spawn", lambda: os.posix_spawn("/bin/sh", ["sh", "-c", "sleep 600"], {}))
attempt("execv", lambda: os.execv("/bin/true", ["true"]))
for family in FAMILIES:
    attempt("socket_" + family, open_socket(family))
attempt("socket_udp", open_socket("AF_INET", socket.SOCK_DGRAM))
attempt("socketpair", lambda: socket.socketpair())
attempt("unix_pathname", unix_connect(unix_path))
attempt("unix_abstract", unix_connect("\\0lstmkit-probe"))
attempt("signal_outside", lambda: os.kill(target, signal.SIGKILL))
attempt("signal_group", lambda: os.kill(0, signal.SIGKILL) if os.getpgid(0) != os.getpid() else os.kill(-1, 0))
attempt("read_outside", lambda: open(secret).read())
attempt("write_outside", lambda: open(escape, "w").write("escaped"))
attempt("read_references", lambda: open(REFERENCES).read())
attempt("read_host_proc", lambda: open("/proc/1/environ", "rb").read())
t = threading.Thread(target=lambda: print("thread runs", flush=True))
t.start()
t.join()
'''.replace("FAMILIES", repr(SOCKET_FAMILIES)).replace(
    "REFERENCES", repr(str(ROOT / "lstmkit" / "course" / "exercises" / "e05_use_gate.py")))

KERNEL_PROBE = f'''
import sys
sys.path.insert(0, {str(ROOT)!r})
import os, multiprocessing.util, subprocess, multiprocessing, _socket
from lstmkit.course.grade import guard, landlock, syscalls
syscalls.library()
landlock.restrict(guard.read_roots(), [os.getcwd(), "/dev/null"])
syscalls.install()
''' + ATTEMPTS


@pytest.fixture
def outside(tmp_path):
    """Things outside the sandbox: a secret file, a place to write, a process to signal, a listening socket."""
    secret, escape = tmp_path / "secret.txt", tmp_path / "escape.txt"
    secret.write_text("instructor only")
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    address = str(tmp_path / "grader.sock")
    server.bind(address)
    server.listen(1)
    yield [str(secret), str(escape), str(target.pid), address]
    server.close()
    assert target.poll() is None, "the process outside the sandbox was killed"
    target.kill()
    target.wait()
    assert not escape.exists(), "the sandbox wrote outside its folder"


def _verdicts(text: str) -> dict[str, str]:
    lines = [line.split(" ", 1) for line in text.splitlines() if " refused " in line or line.endswith(" ALLOWED")]
    return {name: rest for name, rest in lines}


EXPECTED_ATTEMPTS = {"fork", "fork_exec", "popen", "multiprocessing", "posix_spawn", "execv", "socket_udp",
                     "socketpair", "unix_pathname", "unix_abstract", "signal_outside", "signal_group",
                     "read_outside", "write_outside", "read_references", "read_host_proc",
                     *(f"socket_{f}" for f in SOCKET_FAMILIES)}


def test_kernel_layers_alone_refuse_every_escape(fence, outside, tmp_path):
    """No audit hook here: bubblewrap (or not), Landlock and seccomp must refuse each attempt by themselves."""
    assert syscalls.available() and landlock.abi_version() >= 1, "the fallback needs libseccomp and Landlock"
    folder = tmp_path / "box"
    folder.mkdir()
    argv = [sys.executable, "-I", "-c", KERNEL_PROBE, *outside]
    command = bwrap.command(argv, str(folder)) if fence == "bwrap" else argv
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    verdicts = _verdicts(done.stdout)
    assert set(verdicts) == EXPECTED_ATTEMPTS, (done.stdout, done.stderr)
    allowed = [name for name, verdict in verdicts.items() if not verdict.startswith("refused")]
    assert allowed == [], done.stdout
    assert "thread runs" in done.stdout  # threads are not processes: the filter lets them start
    assert "fork_exec refused PermissionError [Errno 1]" in done.stdout  # seccomp: no audit event to catch it


def test_bubblewrap_shows_its_own_proc_no_network_and_no_references(tmp_path):
    assert not bwrap.why_not(), f"bubblewrap is needed for this test ({bwrap.why_not()})"
    folder = tmp_path / "box"
    folder.mkdir()
    look = ("import os, socket\n"
            "print(sorted(int(d) for d in os.listdir('/proc') if d.isdigit()))\n"
            f"print(os.listdir({str(bwrap.SECRET)!r}))\n"
            "print(sorted(os.listdir('/etc')), 'home' in os.listdir('/'))\n"
            "print(socket.if_nameindex())\n"
            f"open({str(folder / 'inside.txt')!r}, 'w').write('ok')\n"
            "try:\n    open('/usr/lstmkit-escape', 'w')\nexcept OSError as error:\n    print('usr', error.errno)\n")
    done = subprocess.run(bwrap.command([sys.executable, "-I", "-c", look], str(folder)), capture_output=True,
                          text=True, timeout=60)
    lines = done.stdout.splitlines()
    assert lines[0] == "[1, 2]", done.stdout + done.stderr  # bubblewrap's init and the process: no host pids
    assert lines[1] == "[]"  # the references, mistakes and case generators are not there at all
    assert lines[2] == "['ld.so.cache'] False"  # no passwd, no host configuration, no home folders
    assert lines[3] == "[(1, 'lo')]"  # a network namespace with only a loopback
    assert (folder / "inside.txt").read_text() == "ok"
    assert lines[4] == "usr 30"  # EROFS: Python and the system are read-only


def test_probe_submission_gets_a_refusal_for_each_attempt(fence, outside):
    cell = Cell(0, ATTEMPTS.replace("sys.argv[-4], sys.argv[-3], int(sys.argv[-2]), sys.argv[-1]",
                                    ", ".join(repr(x) for x in outside[:2]) + f", {outside[2]}, {outside[3]!r}"))
    report = run_sandboxed([cell], [ExerciseJob(EXERCISES["Tanh"].spec, tuple(EXERCISES["Tanh"].cases(1)))],
                           FAST.limits, [])
    verdicts = _verdicts(report.stdout)
    assert set(verdicts) == EXPECTED_ATTEMPTS, report.stdout + report.stderr
    assert [name for name, v in verdicts.items() if not v.startswith("refused")] == [], report.stdout
    readable = {name: v for name, v in verdicts.items() if "the grading sandbox does not allow" in v}
    # the audit hook gives a reason in words wherever Python raises an event
    kernel_only = {"fork_exec", "socketpair"}  # no audit event: the seccomp filter's EPERM is the refusal
    assert set(readable) == EXPECTED_ATTEMPTS - kernel_only, verdicts
    assert all(verdicts[name] == "refused PermissionError [Errno 1] Operation not permitted" for name in kernel_only)
    assert report.fence == fence_layers() and report.fence["bwrap"] == (fence == "bwrap")


# ------------------------------------------------------------------ no orphans

ORPHAN_GRADER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (a background job inherits SIG_IGN)
from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.sandbox import Limits
if __name__ == "__main__":
    limits = Limits(exercise_timeout=300.0, submission_timeout=600.0)
    grade_submissions([sys.argv[1]], sys.argv[2], Settings(limits=limits), workers=int(sys.argv[3]))
"""


def _ours(marker: str, folder: str) -> tuple[list[int], list[int]]:
    """(workers, sandboxes) of this grader: its processes carry ``marker``, sandboxes run in ``folder``."""
    workers, sandboxes = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd").startswith(folder):
                sandboxes.append(int(entry))
            elif marker.encode() in Path(f"/proc/{entry}/environ").read_bytes():
                workers.append(int(entry))
        except OSError:
            continue
    return workers, sandboxes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["TERM", "INT", "KILL"])
@pytest.mark.parametrize("workers", [1, 2])
def test_no_sandbox_or_worker_outlives_a_killed_grader(fence, signum, workers, tmp_path):
    subs = tmp_path / "subs"
    for learner in ("ann", "ben", "cat"):
        (subs / learner).mkdir(parents=True)
        (subs / learner / "05_use_gate.ipynb").write_bytes(corpus.answer_submission(
            "05_use_gate", {"use_gate_article": "import time\ntime.sleep(600)"}))
    temp = tempfile.mkdtemp(prefix="orphans-", dir=tmp_path)
    marker = f"LSTMKIT_ORPHAN_TEST={uuid.uuid4().hex}"
    env = {**os.environ, "TMPDIR": temp, marker.split("=")[0]: marker.split("=")[1]}
    grader = subprocess.Popen([sys.executable, "-c", ORPHAN_GRADER, str(subs), str(tmp_path / "out"), str(workers)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:  # the grader (and its pool workers) and one sandbox per worker, running the learner's code
            running, sandboxes = _ours(marker, temp)
            if len(running) >= 1 + (workers if workers > 1 else 0) and len(sandboxes) >= workers:
                break
            assert grader.poll() is None, grader.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, (running, sandboxes)
            time.sleep(0.2)
        time.sleep(1.0)
        grader.send_signal(signum)
        grader.wait(timeout=60)
        deadline = time.monotonic() + 15
        while any(_ours(marker, temp)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ours(marker, temp) == ([], [])
    finally:
        if grader.poll() is None:
            grader.kill()
            grader.wait()


# ------------------------------------------------------------------ what the grader reads back


def test_grader_follows_no_link_and_reads_no_fifo_the_learner_left_in_out(tmp_path):
    folder = tmp_path / "box"
    (folder / "out").mkdir(parents=True)
    secret = tmp_path / "secret.npz"
    secret.write_bytes(wire.dumps(("instructor", numpy.ones(3))))
    (folder / "out" / "use_gate_article.npz").symlink_to(secret)
    os.mkfifo(folder / "out" / "use_gate_standard.npz")
    (folder / "out" / "cell-notes.npz").symlink_to(secret)
    report = SandboxReport()
    remaining = ["use_gate_article", "use_gate_standard"]
    assert _collect(str(folder), remaining, report) == 2 and remaining == []
    assert "links are not followed" in report.failures["use_gate_article"].message
    assert "is not a regular file" in report.failures["use_gate_standard"].message
    assert report.notes == ["the sandbox's notes on the cells could not be read"]
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "out").symlink_to(folder / "out")  # the out folder itself replaced by a link
    assert _collect(str(linked), ["use_gate_article"], SandboxReport()) == 0


def test_two_hundred_compressed_arrays_are_refused_by_the_total_budget_before_they_are_read(tmp_path):
    path = tmp_path / "many.npz"
    rng = numpy.random.default_rng(0)
    arrays = {f"a{i}": rng.integers(0, 2, 70_000, dtype=numpy.uint8) for i in range(200)}
    numpy.savez_compressed(path, tree=numpy.frombuffer(b"[]", dtype=numpy.uint8), **arrays)
    each = wire.Limits().max_elements
    assert all(a.size < each for a in arrays.values()) and path.stat().st_size < wire.Limits().max_bytes
    with pytest.raises(wire.WireError, match="elements in all"):
        wire.load(path)


def test_submissions_that_are_links_fifos_or_devices_are_refused_with_a_reason(tmp_path):
    subs = tmp_path / "subs"
    for learner in ("linker", "piper", "device"):
        (subs / learner).mkdir(parents=True)
    (subs / "linker" / "05_use_gate.ipynb").symlink_to(ROOT / "solutions" / "05_use_gate.ipynb")
    os.mkfifo(subs / "piper" / "05_use_gate.ipynb")
    (subs / "device" / "05_use_gate.ipynb").symlink_to("/dev/zero")
    for path in sorted(subs.glob("*/*.ipynb")):
        task = make_task(path, FAST, FAST.digest())
        assert task["data"] == b"" and task["refused"].startswith("the submission was refused"), task["refused"]
    result = grade_submissions([subs], tmp_path / "out", FAST, workers=1)
    rows = rows_of(result.out)
    assert {r.learner for r in result.results} <= {"linker", "piper", "device"}
    for learner, row in rows.items():
        assert row.total == 0, (learner, row)


# ------------------------------------------------------------------ answers are the learner's

PROVENANCE = {
    "from_subclasses": ("01_autograd", {"Sigmoid": (
        "import lstmkit as lk\n"
        "Sigmoid = next(c for c in lk.Function.__subclasses__() if c.__name__ == 'Sigmoid')\n")}),
    "from_grad_fn": ("01_autograd", {"Sigmoid": (
        "import lstmkit as lk\n"
        "Sigmoid = type(lk.tensor([0.0], requires_grad=True).sigmoid().grad_fn)\n")}),
    "extra_output": ("07_clip_grad_norm", {"clip_grad_norm": (
        "def clip_grad_norm(grads, max_norm):\n"
        "    total = sum(float((g * g).sum()) for g in grads) ** 0.5\n"
        "    scale = min(1.0, max_norm / (total + 1e-6))\n"
        "    return [g * scale for g in grads] + [grads[0] * 0], total\n")}),
}


def test_answers_taken_from_lstmkit_or_with_extra_outputs_score_zero(fence, tmp_path):
    for learner, (stem, answers) in PROVENANCE.items():
        (tmp_path / "subs" / learner).mkdir(parents=True)
        (tmp_path / "subs" / learner / f"{stem}.ipynb").write_bytes(corpus.answer_submission(stem, answers))
    rows = rows_of(grade_submissions([tmp_path / "subs"], tmp_path / "out", FAST, workers=2).out)
    for learner in ("from_subclasses", "from_grad_fn"):
        verdict = rows[learner].results["Sigmoid"]
        assert (verdict.score, verdict.kind) == (0, "forbidden"), verdict
        assert "inherits from, lstmkit.autograd.ops.Sigmoid, which comes with lstmkit" in verdict.message
        assert rows[learner].results["Tanh"].score == EXERCISES["Tanh"].spec.points
    clip = rows["extra_output"].results["clip_grad_norm"]
    assert (clip.score, clip.kind) == (0, "wrong_structure") and "returned more than expected" in clip.message


# ------------------------------------------------------------------ what the instructor opens


def test_names_and_messages_from_learners_are_neutralised_in_the_instructors_files(tmp_path):
    subs = tmp_path / "subs"
    names = ["=HYPERLINK('evil.example','x')", "@SUM(1+1)", "+cmd", "-2+3", "Zoë", "Zoe\u0308"]
    for name in names:
        (subs / name).mkdir(parents=True)
        (subs / name / "05_use_gate.ipynb").write_bytes(corpus.submission("reference"))
    (subs / "markup").mkdir()
    (subs / "markup" / "05_use_gate.ipynb").write_bytes(corpus.submission("markup_in_error"))
    for learner in ("alice", "bob"):
        (subs / learner).mkdir()
        (subs / learner / "05_use_gate-Copy1.ipynb").write_bytes(corpus.submission("reference"))
    result = grade_submissions([subs], tmp_path / "out", FAST, workers=2)
    with open(result.out / "gradebook.csv", newline="") as handle:
        learners = [row["learner"] for row in csv.DictReader(handle)]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in learners), learners
    assert "'=HYPERLINK('evil.example','x')" in learners and "'@SUM(1+1)" in learners
    rows = rows_of(result.out)
    assert {"alice", "bob"} <= set(rows) and rows["alice"].total == rows["bob"].total == 5  # no phantom learner
    assert not any("Copy1" in learner for learner in rows)
    feedback = sorted((result.out / "feedback").glob("*.md"))
    assert len(feedback) == len(rows)  # one distinct file per learner, the two Zoës included
    text = next(p for p in feedback if p.name.startswith("markup")).read_text()
    assert "<script>" not in text and "\n# Full marks" not in text
    assert "&lt;script&gt;" in text or "\\<script\\>" in text or "`" in text


def test_results_json_reports_the_fence_the_grader_used_not_what_the_learner_wrote(fence, tmp_path):
    forged = ("import json, os\nos.makedirs('out', exist_ok=True)\n"
              "for name in ('fence.json', 'sandbox.json', 'results.json'):\n"
              "    open('out/' + name, 'w').write(json.dumps({'bwrap': True, 'seccomp': True, 'forged': True}))\n")
    (tmp_path / "subs" / "liar").mkdir(parents=True)
    (tmp_path / "subs" / "liar" / "05_use_gate.ipynb").write_bytes(
        corpus.answer_submission("05_use_gate", {"use_gate_standard": forged}))
    result = grade_submissions([tmp_path / "subs"], tmp_path / "out", FAST, workers=1)
    assert json.loads((result.out / "results.json").read_text())["sandbox"] == [fence_layers()]
    assert fence_layers()["bwrap"] == (fence == "bwrap") and fence_layers()["seccomp"] is True


def test_a_missing_seccomp_filter_fails_safe(fence, monkeypatch, tmp_path):
    """The grader counted on seccomp and the process could not load it: zero, before any learner code, never a pass."""
    code = textwrap.dedent("""
        from lstmkit.course.grade import syscalls
        syscalls.install = lambda: (_ for _ in ()).throw(OSError(38, "no filter"))
    """)
    boot = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n{code}\nfrom lstmkit.course.grade.child import main\nmain()\n"
    monkeypatch.setattr("lstmkit.course.grade.sandbox.BOOT", boot)
    exercise = EXERCISES["Tanh"]
    solution = corpus._solution_sources("01_autograd")["Tanh"]
    report = run_sandboxed([Cell(0, "import lstmkit as lk\n" + solution)],
                           [ExerciseJob(exercise.spec, tuple(exercise.cases(1)))], FAST.limits, [])
    assert report.outputs == {} and report.failures["Tanh"].kind == "crash"
    assert "exited with status 71" in report.failures["Tanh"].message
    assert "could not load its seccomp filter" in report.stderr


def test_the_printed_summary_says_which_layers_fenced_the_sandboxes(fence, tmp_path, capsys):
    from lstmkit.course.grade import main

    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / "05_use_gate.ipynb").write_bytes(corpus.submission("reference"))
    assert main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    if fence == "bwrap":
        assert "sandbox: bubblewrap (pid net mount ipc uts cgroup namespaces), Landlock ABI" in printed
    else:
        assert "sandbox: no bubblewrap (LSTMKIT_SANDBOX=fallback), Landlock ABI" in printed
    assert "seccomp, audit hook, resource limits" in printed
