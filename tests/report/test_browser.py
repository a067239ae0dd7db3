"""The HTML report in a real headless Chromium: loads clean, fetches nothing, draws, stays inert.

Debian's chromium is driven through the playwright package; no browser is ever downloaded.
With CI=true a missing browser fails the test, elsewhere it skips with a message.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.report import render

from .helpers import HOSTILE_IMG, HOSTILE_SCRIPT, episode, sample_episodes, write_out
from .png import decode

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not executable:
        _unavailable("chromium not installed (apt-get install chromium); the browser test needs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Visit:
    """A page opened on a report file, with everything it asked for and complained about."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def close(self) -> None:
        self.page.close()


def _write_report(tmp_path: Path, episodes: list[dict[str, Any]], stats: dict[str, Any] | None = None) -> Path:
    out = write_out(tmp_path / "out", episodes, stats)
    target = tmp_path / "report.html"
    target.write_text(render(out, "html"), encoding="utf-8")
    return target


def test_report_loads_clean_and_fetches_nothing(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_report(tmp_path, sample_episodes()))
    try:
        assert visit.errors == []
        assert visit.requests == [visit.url]
        assert visit.page.locator("svg.timeline").count() == 3
        # the little script runs under the page's CSP: the filter box hides non-matching rows
        visit.page.fill("#episode-filter", "connection_refused")
        visible = visit.page.locator("#episode-table tbody tr:not([hidden])").count()
        assert visible == 1
        assert visit.errors == []
    finally:
        visit.close()


def test_chart_is_drawn(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_report(tmp_path, sample_episodes()))
    try:
        chart = visit.page.locator("svg.timeline").first
        box = chart.bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 40
        pixels = decode(chart.screenshot(type="png"))
        rgb = pixels[:, :, :3].astype(int)
        coloured = ((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum()   # saturated: bars, not grey text or axis
        assert coloured > 0.02 * rgb.shape[0] * rgb.shape[1]
        # the bars themselves are there and have width
        widths = visit.page.eval_on_selector_all(
            "svg.timeline:first-of-type g.episode rect", "els => els.map(e => e.getBoundingClientRect().width)")
        assert widths and min(widths) > 0
    finally:
        visit.close()


def test_hostile_log_text_stays_inert(browser: Any, tmp_path: Path) -> None:
    hostile = episode(HOSTILE_SCRIPT, HOSTILE_IMG, "08:00:00", "08:10:00", "sslpeer_mismatch", "post_tls",
                      conname=HOSTILE_IMG, summary=f"peer DN CN={HOSTILE_IMG},O={HOSTILE_SCRIPT}",
                      partner_qmgr=HOSTILE_SCRIPT, local_cause=HOSTILE_IMG, decisive_msg_id=HOSTILE_SCRIPT)
    stats = {"unplaced": [{"qmgr": HOSTILE_SCRIPT, "cause": "listener_probe", "msg_id": "AMQ9209",
                           "remote_address": HOSTILE_IMG, "count": 1, "first": "a", "last": "b"}]}
    visit = Visit(browser, _write_report(tmp_path, [hostile, *sample_episodes()], stats))
    try:
        assert visit.page.evaluate("typeof window.__pwned") == "undefined"
        assert visit.page.locator("img").count() == 0
        assert visit.page.locator("script").count() == 1
        assert visit.requests == [visit.url]     # no fetch of src=x
        text = visit.page.inner_text("body")
        assert HOSTILE_SCRIPT in text            # shown as text, exactly as logged
        assert HOSTILE_IMG in text
        assert visit.errors == []
    finally:
        visit.close()
