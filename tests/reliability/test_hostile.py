"""Hostile names through the whole pipeline: never a path, never markup, never a broken cell.

A corpus of real-looking error logs (text and JSON) and a last-error CSV whose queue manager,
channel and DN values carry path traversal, HTML/JS, SQL and shell payloads goes through
``mqtriage run``; then the outputs are read back and compared with the stored values.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline import layout
from pipeline.reliability.corpus import HOSTILE_CHANNELS, HOSTILE_DNS, HOSTILE_QMGRS, write_hostile_corpus

from .helpers import invoke, table

SAFE_NAME = re.compile(r"[A-Za-z0-9._=-]{1,200}")
PARTITION = re.compile(r"date=(?:\d{4}-\d{2}-\d{2}|unknown)")


def _listing(root: Path, skip: set[Path]) -> dict[str, tuple[int, int]]:
    found = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(dirpath, d) not in skip]
        for name in files:
            path = Path(dirpath, name)
            if path in skip:
                continue
            st = path.lstat()
            found[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "logs"
    counts = write_hostile_corpus(corpus)
    out, html, markdown = root / "out", root / "report.html", root / "report.md"
    cwd = root / "cwd"
    cwd.mkdir()
    before = _listing(root, {out, html, markdown})
    old = os.getcwd()
    os.chdir(cwd)   # a relative path built from a hostile value would land here
    try:
        result = invoke("run", str(corpus), "--out", str(out), "--html", str(html), "--markdown", str(markdown),
                        "--no-model")
    finally:
        os.chdir(old)
    assert result.exit_code == 0, (result.output, result.exception)
    after = _listing(root, {out, html, markdown})
    return {"root": root, "out": out, "html": html, "markdown": markdown, "before": before, "after": after,
            "counts": counts, "stdout": result.stdout}


def test_every_entry_is_stored_with_its_hostile_values_verbatim(hostile_run: dict[str, Any]) -> None:
    out = hostile_run["out"]
    events = table(out, layout.EVENTS, ["qmgr", "channel", "comment_insert_2"])
    status = table(out, layout.CHANNEL_STATUS, ["qmgr", "channel"])
    assert len(events) == hostile_run["counts"]["log_entries"]
    assert len(status) == hostile_run["counts"]["export_rows"]
    assert {e["qmgr"] for e in events} == set(HOSTILE_QMGRS)
    assert {e["channel"] for e in events} == set(HOSTILE_CHANNELS)
    assert {s["channel"] for s in status} == set(HOSTILE_CHANNELS)
    classified = table(out, layout.CLASSIFIED, ["peer_dn"])
    assert set(HOSTILE_DNS) <= {c["peer_dn"] for c in classified}


def test_nothing_is_written_outside_out_and_partitions_are_dates(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["after"] == hostile_run["before"], "files appeared or changed outside OUT"
    assert not any((hostile_run["root"] / "cwd").iterdir())
    out: Path = hostile_run["out"]
    for dirpath, dirs, files in os.walk(out):
        here = Path(dirpath)
        assert not here.is_symlink()
        for name in [*dirs, *files]:
            assert SAFE_NAME.fullmatch(name), f"unexpected name under OUT: {here / name}"
            assert (here / name).resolve().is_relative_to(out.resolve())
    for name in (layout.EVENTS, layout.CHANNEL_STATUS, layout.CLASSIFIED):
        parts = [p.name for p in layout.dataset_dir(out, name).iterdir() if p.is_dir()]
        assert parts and all(PARTITION.fullmatch(p) for p in parts), parts


def _md_cells(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes and undo backslash escapes."""
    cells, current, chars = [], [], iter(line.strip()[1:-1])
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, ""))
        elif ch == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    cells.append("".join(current).strip())
    return cells


def test_markdown_cells_parse_back_to_the_stored_values(hostile_run: dict[str, Any]) -> None:
    text = hostile_run["markdown"].read_text(encoding="utf-8")
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| Start | End | Queue manager"))
    headers = _md_cells(lines[head])
    rows = []
    for line in lines[head + 2:]:
        if not line.startswith("|"):
            break
        cells = _md_cells(line)
        assert len(cells) == len(headers), f"a value broke the table: {line}"
        rows.append(dict(zip(headers, cells, strict=True)))
    episodes = table(hostile_run["out"], layout.EPISODES, ["qmgr", "channel", "cause"])
    assert len(rows) == len(episodes)
    shown = sorted((r["Queue manager"], r["Channel"], r["Cause"]) for r in rows)
    stored = sorted((e["qmgr"], e["channel"], e["cause"]) for e in episodes)
    assert shown == stored
    assert not re.search(r"(?<!\\)<(?:script|img|svg)", text)   # no unescaped HTML survives into Markdown


def test_query_csv_round_trips_every_hostile_value(hostile_run: dict[str, Any]) -> None:
    out = hostile_run["out"]
    sql = "SELECT qmgr, channel, comment_insert_2 AS dn, message FROM events ORDER BY event_id"
    result = invoke("query", str(out), sql, "--csv")
    assert result.exit_code == 0, result.output
    parsed = list(csv.reader(io.StringIO(result.stdout)))
    assert parsed[0] == ["qmgr", "channel", "dn", "message"]
    stored = sorted(table(out, layout.EVENTS, ["event_id", "qmgr", "channel", "comment_insert_2", "message"]),
                    key=lambda r: r["event_id"])
    assert [r for r in parsed[1:]] == [[s["qmgr"], s["channel"], s["comment_insert_2"] or "", s["message"]]
                                       for s in stored]


def test_hostile_values_are_data_in_sql_not_code(hostile_run: dict[str, Any]) -> None:
    # a value that looks like SQL stays a value: the events view still exists afterwards
    result = invoke("query", str(hostile_run["out"]), "SELECT count(*) AS n FROM events", "--csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == str(hostile_run["counts"]["log_entries"])


CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
def test_html_report_of_the_hostile_run_stays_inert(hostile_run: dict[str, Any]) -> None:
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not executable:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium not installed")
        pytest.skip("chromium not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    url = hostile_run["html"].resolve().as_uri()
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page()
            requests: list[str] = []
            dialogs: list[str] = []
            errors: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(200)   # let any injected handler (onerror/onload) fire
            body = page.inner_text("body")
            assert dialogs == []
            assert requests == [url]
            assert errors == []
            assert page.locator("img").count() == 0
            assert page.eval_on_selector_all("script", "els => els.filter(e => e.textContent.includes('alert')).length") == 0
            assert page.eval_on_selector_all("[onerror], [onload]", "els => els.length") == 0
            for value in (*HOSTILE_CHANNELS, *HOSTILE_QMGRS):
                assert value in body, f"{value!r} not shown as text"
        finally:
            browser.close()
