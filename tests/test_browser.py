"""The course in a real JupyterLab, driven by headless Chromium through Playwright.

Each test starts ``jupyter lab`` on a free local port, serving a temporary copy of what
it needs, and stops the server by its own process id, whatever happens:

* the gate explorers of ``tests/browser/gate_explorers.ipynb`` show what ``lstmkit.gates``
  computes for a typed Event and a switched variant;
* the lessons as a learner first opens them (untrusted, nothing run): no widget repr, no
  raw markup, no stale progress bar, drawings within the output's width;
* the lessons after Run All: every explorer shows the values the code set last, a
  moved slider changes the readout, the player shows the step its slider shows;
* ``python3 kit.py course`` prints a URL that lands on lesson 0.

Screenshots go to ``tests/artifacts/`` (not committed); two of them are in the README.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import lstmkit as lk
from lstmkit import gates
from lstmkit.widgets.explorer import SLIDERS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).parent / "browser" / "gate_explorers.ipynb"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_environment(home: Path) -> dict[str, str]:
    """Environment for a test's JupyterLab: its own settings (no news, no update checks, every
    cell in the page), and kernels that import this checkout's lstmkit and train briefly."""
    settings = home / "lab-settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    env = dict(os.environ)
    env.setdefault("LSTMKIT_QUICK", "1")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    env.update({
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    return env


def start_lab(root: Path, home: Path, port: int) -> subprocess.Popen:
    """``jupyter lab`` on 127.0.0.1:port serving ``root``, with no token, news or update checks."""
    env = lab_environment(home)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "lab.log", "wb")  # noqa: SIM115 - closed with the process below
    return subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(process: subprocess.Popen, url: str, log: Path, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/api/status", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer at {url} within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server we started, by its own pid: terminate, wait, kill if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def expected_learn_output(**changed: float) -> float:
    """learn_gate's output for the explorer's default sliders with ``changed`` applied."""
    s = {key: default for key, (_, default) in SLIDERS.items()} | changed
    result = gates.learn_gate(
        lk.tensor([[s["stm_prev"]]]), lk.tensor([[s["event"]]]),
        lk.tensor([[s["W_n_stm"], s["W_n_event"]]]), lk.tensor([s["b_n"]]),
        lk.tensor([[s["W_i_stm"], s["W_i_event"]]]), lk.tensor([s["b_i"]]),
    )
    return result.output.item()


def expected_stm(variant: str, **changed: float) -> float:
    s = {key: default for key, (_, default) in SLIDERS.items()} | changed
    w = {f"W_{g}": lk.tensor([[s[f"W_{g}_stm"], s[f"W_{g}_event"]]]) for g in "nifv"}
    w |= {f"b_{g}": lk.tensor([s[f"b_{g}"]]) for g in "nifv"}
    w |= {"W_u": lk.tensor([[s["W_u"]]]), "b_u": lk.tensor([s["b_u"]])}
    step = gates.lstm_step(lk.tensor([[s["event"]]]), lk.tensor([[s["stm_prev"]]]), lk.tensor([[s["ltm_prev"]]]),
                           w, variant)
    return step.stm.item()


def type_into_readout(page, explorer: str, slider: str, text: str) -> None:
    """Click a slider's number box, replace it with ``text`` and press Enter, as a learner would."""
    readout = page.locator(f".lstmkit-explorer-{explorer} .lstmkit-slider-{slider} input").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shown_value(page, explorer: str, key: str, differs_from: str | None = None) -> tuple[str, str]:
    """(text, data-value) of a displayed value, waiting until it differs from ``differs_from``."""
    selector = f".lstmkit-explorer-{explorer} [data-lstmkit='{key}']"
    page.wait_for_function(
        "([sel, old]) => { const el = document.querySelector(sel);"
        " return el && el.dataset.value !== '' && el.dataset.value !== old; }",
        arg=[selector, differs_from], timeout=20_000,
    )
    element = page.locator(selector).first
    return element.inner_text(), element.get_attribute("data-value")


def test_learn_gate_explorer_in_jupyterlab_shows_the_gate_output_for_a_typed_event(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_lab(root, home, port)
    try:
        wait_until_up(server, url, home / "lab.log")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 1500})
                page.goto(f"{url}/lab/tree/{NOTEBOOK.name}")
                page.wait_for_function(
                    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session"
                    " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                    timeout=40_000,
                )
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                before, before_raw = shown_value(page, "learn", "learn_output")
                assert float(before_raw) == pytest.approx(expected_learn_output(), rel=1e-6)
                assert before == f"{expected_learn_output():.4f}"

                type_into_readout(page, "learn", "event", "-2.35")
                text, raw = shown_value(page, "learn", "learn_output", differs_from=before_raw)
                want = expected_learn_output(event=-2.35)
                assert text == f"{want:.4f}"
                assert float(raw) == pytest.approx(want, rel=1e-6)
                assert page.locator(".lstmkit-explorer-learn svg.lstmkit-cell").count() == 1
                page.locator(".lstmkit-explorer-learn").screenshot(path=str(tmp_path / "learn_explorer.png"))

                cell = page.locator(".lstmkit-explorer-cell")
                cell.scroll_into_view_if_needed()
                _, stm_before = shown_value(page, "cell", "stm_t")
                assert float(stm_before) == pytest.approx(expected_stm("article"), rel=1e-6)
                cell.get_by_text("standard (PyTorch)").click()
                _, stm_standard = shown_value(page, "cell", "stm_t", differs_from=stm_before)
                assert float(stm_standard) == pytest.approx(expected_stm("standard"), rel=1e-6)
                cell.screenshot(path=str(tmp_path / "cell_explorer.png"))
                page.screenshot(path=str(tmp_path / "jupyterlab.png"))
            finally:
                browser.close()
    finally:
        stop(server)
    assert server.returncode is not None


# ---------------------------------------------------------------------- the course, as a learner sees it

WIDGET_REPRS = re.compile(r"(GateExplorer|SequencePlayer|HBox|VBox|FloatProgress|IntSlider)\(children=|Image\(value=")
STALE_BAR = re.compile(r"\d+%\|?.{0,40}\b\d+/\d+\b|\b0/\d+ \[")
RAW_MARKUP = re.compile(r"<(svg|div|span|table|img|g|rect|path)[ >]|&lt;|&gt;")
ALL_CELLS_RAN = """(count) => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    if (!k || k.status !== 'idle') return false;
    const cells = w.content.model.cells;
    let ran = 0;
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        if (cell.toJSON().outputs.some(o => o.output_type === 'error')) return 'error in cell ' + i;
        if (cell.executionCount !== null && cell.executionCount > 0) ran = Math.max(ran, cell.executionCount);
    }
    return ran >= count;
}"""
KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 0); }"""
RUN_IN_KERNEL = """async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code: code, silent: false, store_history: false});
    let text = '';
    future.onIOPub = (msg) => {
        if (msg.header.msg_type === 'stream') text += msg.content.text;
        if (msg.header.msg_type === 'error') text += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
    };
    await future.done;
    return text;
}"""
EXPLORERS_IN_KERNEL = """
import gc as _gc, json as _json
from lstmkit.widgets import GateExplorer as _GateExplorer
print(_json.dumps([{"gate": e.gate, "variant": e.variant, "values": e.values,
                    "sliders": {k: s.value for k, s in e.sliders.items()},
                    "hidden": sorted(k for k, row in e._rows.items() if row.layout.display == "none"),
                    "names": sorted(n for n, v in globals().items() if v is e and not n.startswith("_"))}
                   for e in _gc.get_objects() if isinstance(e, _GateExplorer)]))
"""
EXPLORER_IN_PAGE = """(gate) => {
    const root = window.jupyterapp.shell.currentWidget.node.querySelector('.lstmkit-explorer-' + gate);
    if (!root) return null;
    const values = {}, sliders = {}, visible = {};
    root.querySelectorAll('.lstmkit-readout [data-lstmkit]').forEach(el => { values[el.dataset.lstmkit] = el.dataset.value; });
    root.querySelectorAll('[class*="lstmkit-slider-"]').forEach(el => {
        const key = [...el.classList].find(c => c.startsWith('lstmkit-slider-')).slice('lstmkit-slider-'.length);
        const input = el.querySelector('input');
        sliders[key] = input ? input.value : null;
        visible[key] = el.offsetParent !== null;
    });
    const active = root.querySelector('.lstmkit-variant .mod-active');
    return {values, sliders, visible, variant: active ? active.innerText.trim() : null};
}"""


def code_set_values(lesson: str) -> tuple[dict[str, float], str | None]:
    """What the lesson's code last set on ``explorer``: constant ``explorer.set(...)`` keywords in
    source order, and the last constant ``explorer.variant_switch.value`` (or the constructor's)."""
    tree = ast.parse((ROOT / "sources" / "lessons" / f"{lesson}.py").read_text())
    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.Call, ast.Assign))),
                   key=lambda n: (n.lineno, n.col_offset))
    values: dict[str, float] = {}
    variant = None
    for node in nodes:
        if isinstance(node, ast.Assign):
            target = ast.unparse(node.targets[0])
            if target == "explorer" and isinstance(node.value, ast.Call):
                for kw in node.value.keywords:
                    if kw.arg == "variant" and isinstance(kw.value, ast.Constant):
                        variant = kw.value.value
            if target == "explorer.variant_switch.value" and isinstance(node.value, ast.Constant):
                variant = node.value.value
        elif ast.unparse(node.func) == "explorer.set":
            values.update({kw.arg: kw.value.value for kw in node.keywords if isinstance(kw.value, ast.Constant)})
    return values, variant


def kit_course_command(root: Path, port: int) -> list[str]:
    """``python3 kit.py course``'s own command line, serving ``root`` on ``port``."""
    sys.path.insert(0, str(ROOT))
    try:
        import kit  # noqa: PLC0415
    finally:
        sys.path.remove(str(ROOT))
    command = kit.course_command(["--no-browser"], root=root)
    if not Path(command[0]).exists():  # no ./.venv: the jupyter of this interpreter
        command = [sys.executable, "-m", "jupyter", *command[1:]]
    return [*command, f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True"]


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    """JupyterLab started as ``kit.py course`` starts it, on a copy of notebooks/ and exercises/.

    Yields the URL the server printed (with its token)."""
    root, home = tmp_path_factory.mktemp("course"), tmp_path_factory.mktemp("home")
    for folder in ("notebooks", "exercises"):
        (root / folder).mkdir()
        for notebook in (ROOT / folder).glob("*.ipynb"):
            shutil.copy(notebook, root / folder / notebook.name)
    log_path = home / "lab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(kit_course_command(root, free_port()), cwd=root, env=lab_environment(home),
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, printed = time.monotonic() + 60, None
        while printed is None and time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            found = re.search(r"http://127\.0\.0\.1:\d+/\S*\?token=\w+", log_path.read_text(errors="replace"))
            printed = found.group(0) if found else time.sleep(0.3)
        if printed is None:
            raise RuntimeError(f"jupyter lab printed no URL within 60 s:\n{log_path.read_text()[-3000:]}")
        ARTIFACTS.mkdir(exist_ok=True)
        yield printed
    finally:
        stop(server)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_lesson(browser, printed_url: str, lesson: str):
    """A new page showing ``notebooks/<lesson>.ipynb`` alone (fresh workspace), its kernel idle."""
    base, token = printed_url.split("/lab")[0], printed_url.split("token=")[1]
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(f"{base}/lab/tree/notebooks/{lesson}.ipynb?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    return page


def current_text(page) -> str:
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.node.innerText")


def run_all(page, lesson: str, timeout_s: float = 420) -> None:
    """Run every cell of the open lesson (Run All) and wait until the last one has run."""
    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())
    code_cells = sum(1 for cell in nb["cells"] if cell["cell_type"] == "code")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    handle = page.wait_for_function(ALL_CELLS_RAN, arg=code_cells, timeout=timeout_s * 1000)
    assert handle.json_value() is True, f"{lesson}: {handle.json_value()}"


def test_kit_course_prints_a_url_that_lands_on_lesson_0(course_lab, browser):
    assert "/lab/tree/notebooks/00_start_here.ipynb?token=" in course_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(course_lab)
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        title = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
        assert title == "notebooks/00_start_here.ipynb"
        assert "Lesson 0 · Start here" in current_text(page)
        assert page.locator(".jp-Launcher").count() == 0 or not page.locator(".jp-Launcher").first.is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("lesson", ["01_autograd", "02_learn_gate", "06_full_cell", "08_train_on_gpu"])
def test_lesson_looks_right_on_first_open_before_anything_runs(course_lab, browser, lesson):
    page = open_lesson(browser, course_lab, lesson)
    try:
        page.wait_for_timeout(1500)  # let every stored output render
        text = current_text(page)
        assert not WIDGET_REPRS.search(text), f"{lesson}: a widget repr shows: {WIDGET_REPRS.search(text).group(0)}"
        assert not STALE_BAR.search(text), f"{lesson}: a stale progress bar shows: {STALE_BAR.search(text).group(0)}"
        assert not RAW_MARKUP.search(text), f"{lesson}: raw markup shows: {RAW_MARKUP.search(text).group(0)}"
        drawings = page.evaluate("""() => [...window.jupyterapp.shell.currentWidget.node.querySelectorAll(
            '.jp-OutputArea-output img[src^="data:image/svg+xml"]')].map(img => ({
              width: img.getBoundingClientRect().width, natural: img.naturalWidth,
              area: img.closest('.jp-OutputArea-output').getBoundingClientRect().width}))""")
        if lesson in ("01_autograd", "06_full_cell"):
            assert drawings, f"{lesson}: the stored graph drawing is not shown as an image"
        for drawing in drawings:
            assert drawing["natural"] > 0, f"{lesson}: a drawing did not load"
            assert drawing["width"] <= drawing["area"] + 1, f"{lesson}: a drawing is wider than its output: {drawing}"
        page.screenshot(path=str(ARTIFACTS / f"first_open_{lesson}.png"))
    finally:
        page.close()


def _explorers_agree(page, lesson: str) -> list[dict]:
    """The kernel's explorers, once the page shows the same values; asserts on what differs."""
    deadline = time.monotonic() + 20
    while True:
        kernel = json.loads(page.evaluate(RUN_IN_KERNEL, EXPLORERS_IN_KERNEL))
        problems = []
        for explorer in kernel:
            shown = page.evaluate(EXPLORER_IN_PAGE, explorer["gate"])
            if shown is None:
                problems.append(f"{explorer['gate']} explorer not on the page")
                continue
            for key, value in explorer["values"].items():
                if value is not None and (shown["values"].get(key) in (None, "")
                                          or abs(float(shown["values"][key]) - value) > 1e-12):
                    problems.append(f"{explorer['gate']}: {key} shows {shown['values'].get(key)}, kernel {value}")
            for key, value in explorer["sliders"].items():
                visible = key not in explorer["hidden"]
                if bool(shown["visible"].get(key)) != visible:  # absent from the page: not visible
                    problems.append(f"{explorer['gate']}: slider {key} visible={shown['visible'].get(key)}, "
                                    f"kernel says {visible}")
                if visible and abs(float(shown["sliders"][key]) - value) > 0.005 + 1e-9:
                    problems.append(f"{explorer['gate']}: slider {key} shows {shown['sliders'][key]}, kernel {value}")
            if explorer["gate"] in ("use", "cell") and not (shown["variant"] or "").startswith(explorer["variant"]):
                problems.append(f"{explorer['gate']}: variant shows {shown['variant']}, kernel {explorer['variant']}")
        if not problems or time.monotonic() > deadline:
            assert not problems, f"{lesson}: " + "; ".join(problems)
            return kernel
        page.wait_for_timeout(500)


@pytest.mark.parametrize("lesson", ["02_learn_gate", "03_forget_gate", "04_remember_gate", "05_use_gate"])
def test_after_run_all_every_explorer_shows_what_the_code_set_last(course_lab, browser, lesson):
    page = open_lesson(browser, course_lab, lesson)
    try:
        run_all(page, lesson)
        kernel = _explorers_agree(page, lesson)
        (named,) = [e for e in kernel if "explorer" in e["names"]]
        expected, variant = code_set_values(lesson)
        assert expected, f"{lesson}: found no explorer.set(...) in the lesson's source"
        for key, value in expected.items():
            assert named["sliders"][key] == value, (
                f"{lesson}: the code set {key}={value}, the kernel now holds {named['sliders'][key]}")
        if variant is not None:
            assert named["variant"] == variant
        page.screenshot(path=str(ARTIFACTS / f"run_all_{lesson}.png"))
        explorer = page.locator(f".lstmkit-explorer-{named['gate']}").first
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(ARTIFACTS / f"explorer_{lesson}.png"))
        if lesson == "02_learn_gate":  # a learner types a new Event: the readout follows
            before = named["values"]["learn_output"]
            type_into_readout(page, "learn", "event", "-2.35")
            text, raw = shown_value(page, "learn", "learn_output", differs_from=repr(before))
            kernel = _explorers_agree(page, lesson)
            (named,) = [e for e in kernel if "explorer" in e["names"]]
            assert named["sliders"]["event"] == pytest.approx(-2.35)
            assert float(raw) == named["values"]["learn_output"] != before
            assert text == f"{named['values']['learn_output']:.4f}"
    finally:
        page.close()


@pytest.mark.parametrize("lesson", ["00_start_here", "01_autograd", "06_full_cell", "07_gradients_through_time",
                                    "08_train_on_gpu"])
def test_lesson_runs_all_in_jupyterlab(course_lab, browser, lesson):
    page = open_lesson(browser, course_lab, lesson)
    try:
        run_all(page, lesson)
        page.wait_for_timeout(1000)
        text = current_text(page)
        assert not WIDGET_REPRS.search(text), f"{lesson}: a widget repr shows after Run All"
        drawings = page.evaluate("""() => [...window.jupyterapp.shell.currentWidget.node.querySelectorAll(
            '.jp-OutputArea-output img')].map(img => ({width: img.getBoundingClientRect().width,
              area: img.closest('.jp-OutputArea-output').getBoundingClientRect().width}))""")
        for drawing in drawings:
            assert drawing["width"] <= drawing["area"] + 1, f"{lesson}: an image is wider than its output: {drawing}"
        if lesson == "06_full_cell":  # the player shows the step its slider shows
            handle = page.locator(".lstmkit-player .lstmkit-time .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "() => { const p = document.querySelector('.lstmkit-player');"
                " const slider = p.querySelector('.lstmkit-time .widget-readout').innerText.trim();"
                " return slider === '5' && p.querySelector('.lstmkit-readout b').innerText === 't = ' + slider; }",
                timeout=20_000)
            page.locator(".lstmkit-player").first.screenshot(path=str(ARTIFACTS / "player_06_full_cell.png"))
        page.screenshot(path=str(ARTIFACTS / f"run_all_{lesson}.png"))
    finally:
        page.close()
