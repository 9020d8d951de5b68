"""The gate explorers in a real JupyterLab, driven by headless Chromium through Playwright.

Starts ``jupyter lab`` on a free local port in a temporary folder holding
``tests/browser/gate_explorers.ipynb``, runs the notebook, types a new Event into the
learn gate explorer's slider and checks that the page shows what ``lstmkit.gates``
computes for it. The server is stopped by its own process id, whatever happens.
"""

from __future__ import annotations

import json
import os
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

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).parent / "browser" / "gate_explorers.ipynb"
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


def start_lab(root: Path, home: Path, port: int) -> subprocess.Popen:
    """``jupyter lab`` on 127.0.0.1:port serving ``root``, with no token, news or update checks."""
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    env.update({
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
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
    readout = page.locator(f".lstmkit-explorer-{explorer} .lstmkit-slider-{slider} .widget-readout")
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
