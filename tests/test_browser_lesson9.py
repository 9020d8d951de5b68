"""Lesson 9 in JupyterLab (headless Chromium): Run All trains the reader and its viewer renders.

The JupyterLab server, the browser and the page helpers are tests/test_browser.py's.
"""

from __future__ import annotations

import pytest
from test_browser import (
    ARTIFACTS,
    CHROMIUM,
    WIDGET_REPRS,
    browser,
    course_lab,
    current_text,
    open_lesson,
    run_all,
)

__all__ = ["browser", "course_lab"]  # the fixtures this module uses, imported from test_browser

LESSON = "09_reading_text"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

VIEWER_SHOWS = """(line) => {
  const viewer = document.querySelector('.lstmkit-textline-viewer');
  if (!viewer) return false;
  const img = viewer.querySelector('img');
  const reading = viewer.querySelector('.lstmkit-textline-reading');
  const readout = viewer.querySelector('.widget-readout');
  return !!img && img.naturalWidth > 0 && !!reading && reading.innerText.includes('truth:')
         && (line === null || (readout && readout.innerText.trim() === String(line)));
}"""


def test_lesson_9_viewer_renders_and_follows_its_slider(course_lab, browser):
    page = open_lesson(browser, course_lab, LESSON)
    try:
        run_all(page, LESSON)
        page.wait_for_function(VIEWER_SHOWS, arg=None, timeout=60_000)
        assert not WIDGET_REPRS.search(current_text(page)), "a widget repr shows after Run All"
        viewer = page.locator(".lstmkit-textline-viewer").first
        viewer.scroll_into_view_if_needed()
        before = viewer.locator(".lstmkit-textline-reading").inner_text()
        start = int(viewer.locator(".widget-readout").inner_text().strip())
        handle = viewer.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight" if start < 99 else "ArrowLeft")
        moved = start + 1 if start < 99 else start - 1
        page.wait_for_function(VIEWER_SHOWS, arg=moved, timeout=30_000)
        page.wait_for_function(
            "(before) => document.querySelector('.lstmkit-textline-reading').innerText !== before",
            arg=before, timeout=30_000)
        viewer.screenshot(path=str(ARTIFACTS / "textline_viewer_09.png"))
    finally:
        page.close()
