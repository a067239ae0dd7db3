"""The report's content in each format, its filters, escaping and the preflight section."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.report import ReportFilter, load_report, parse_when, render, render_data
from pipeline.timeline.vocab import load_vocabulary

from .helpers import HOSTILE_IMG, HOSTILE_MD, HOSTILE_SCRIPT, episode, sample_episodes, write_out


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_out(tmp_path / "out", sample_episodes())


def test_html_has_every_section_and_one_chart_per_channel(out: Path) -> None:
    page = render(out, "html")
    for section in ("summary", "preflight", "timelines", "episodes", "checks"):
        assert f'<section id="{section}">' in page
    assert page.count('<svg class="timeline"') == 3   # QMA.QMB, QMB.QMA, QMA.QMD
    assert "<b>3</b>channels failed" in page
    assert "<b>5</b>episodes" in page


def test_html_fetches_nothing(out: Path) -> None:
    page = render(out, "html")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, flags=re.I)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page   # the CSP forbids fetches even if something slipped through


def test_what_to_check_comes_from_the_vocabulary(out: Path) -> None:
    vocab = load_vocabulary()
    page = render(out, "html")
    for cause in ("cipher_mismatch", "cert_expired", "connection_refused"):
        assert f'id="check-{cause}"' in page
        assert vocab.causes[cause].check.replace("'", "&#x27;").replace('"', "&quot;") in page
    data = load_report(out)
    # cert_expired is fixed on the remote side: the partner of the end that logs it (QMA logs, QMB fixes)
    assert data.where_to_look("cert_expired") == ["QMB (QMA logs AMQ9633) - channel QMB.QMA"]
    assert data.where_to_look("cipher_mismatch") == ["both ends: QMA and QMB - channel QMA.QMB"]
    assert data.where_to_look("connection_refused") == [
        "the partner at mqd.example.com(1414) (QMA logs AMQ9633) - channel QMA.QMD"]


@pytest.mark.parametrize(
    "filters,expected",
    [
        (ReportFilter(qmgrs=("QMB",)), {"QMA.QMB", "QMB.QMA"}),
        (ReportFilter(qmgrs=("qmb",)), {"QMA.QMB", "QMB.QMA"}),
        (ReportFilter(channels=("QMA.*",)), {"QMA.QMB", "QMA.QMD"}),
        (ReportFilter(since=parse_when("2026-11-20T09:00", "--since")), {"QMB.QMA", "QMA.QMD"}),
        (ReportFilter(until=parse_when("2026-11-20 09:00", "--until")), {"QMA.QMB"}),
        (ReportFilter(channels=("NOPE",)), set()),
    ],
)
def test_filters(out: Path, filters: ReportFilter, expected: set[str]) -> None:
    data = load_report(out, filters)
    assert set(data.channels) == expected
    page = render_data(data, "html")
    assert page.count('<svg class="timeline"') == len(expected)


def test_markdown_and_text_carry_the_same_episodes(out: Path) -> None:
    markdown = render(out, "markdown")
    text = render(out, "text")
    rows = [line for line in markdown.splitlines() if line.startswith("| 2026-11-20")]
    assert len(rows) == 5
    assert "3 channels failed (5 channel ends, 5 episodes, 3 not resolved)" in text
    assert "3 channels failed" in markdown.replace("Channels failed: 3", "3 channels failed")
    # the terminal folds both ends of a channel into one line per channel and cause
    lines = [line for line in text.splitlines() if re.match(r"\d\d-\d\d \d\d:\d\d", line)]
    assert [line.split()[2] for line in lines] == ["QMA.QMB", "QMB.QMA", "QMA.QMD"]
    assert "QMB (QMA logs AMQ9633)" in lines[1] and "resolved 11:30" in lines[1]


def test_preflight_section_degrades_when_absent(out: Path) -> None:
    assert "No preflight results" in render(out, "html")
    assert "No preflight results" in render(out, "markdown")


def test_preflight_section_renders_findings_and_expiry(tmp_path: Path) -> None:
    findings = pd.DataFrame([{
        "qmgr": "QMA", "channel": "QMA.QMC", "partner_qmgr": "QMC", "phase": "handshake",
        "cause": "client_cert_missing", "fix_side": "local", "severity": "error",
        "evidence": f"CERTLABL {HOSTILE_SCRIPT} not in key repository",
    }])
    expiry = pd.DataFrame([{"owner": "QMA", "label": "ibmwebspheremqqma",
                            "not_after": pd.Timestamp("2026-12-05", tz="UTC"), "days_left": 15}])
    out = write_out(tmp_path / "out", sample_episodes(), preflight={"findings": findings, "expiry": expiry})
    page = render(out, "html")
    assert "Predicted failures (1)" in page and "Certificates (1), soonest expiry first" in page
    assert "<th>seen in logs</th>" in page
    assert "2026-12-05 00:00:00" in page
    assert HOSTILE_SCRIPT not in page
    markdown = render(out, "markdown")
    assert "### Predicted failures (1)" in markdown and "ibmwebspheremqqma" in markdown


def _hostile_out(tmp_path: Path) -> Path:
    bad = episode(HOSTILE_SCRIPT, HOSTILE_IMG, "08:00:00", "08:10:00", "sslpeer_mismatch", "post_tls",
                  conname=HOSTILE_MD, summary=f"peer DN {HOSTILE_IMG} {HOSTILE_SCRIPT}",
                  partner_qmgr=HOSTILE_MD, local_cause=HOSTILE_MD, decisive_msg_id=HOSTILE_SCRIPT)
    stats = {"unplaced": [{"qmgr": "QMA", "cause": "listener_probe", "msg_id": "AMQ9209",
                           "remote_address": HOSTILE_IMG, "count": 2, "first": "x", "last": "y"}]}
    return write_out(tmp_path / "out", [bad, *sample_episodes()], stats=stats)


def test_html_escapes_log_text(tmp_path: Path) -> None:
    page = render(_hostile_out(tmp_path), "html")
    assert "<script>window" not in page
    assert "<img" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert page.count("<script>") == 1   # our own, hash-allowed script only


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_markdown_tables_survive_hostile_text(tmp_path: Path) -> None:
    markdown = render(_hostile_out(tmp_path), "markdown")
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            width = line.count("|") - 1
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(_cells(lines[j])) == width, lines[j]
                j += 1
    # every <, >, [ and backtick that came from a log is backslash-escaped, so no markup is left
    hostile_lines = [line for line in lines if "pwned" in line or "example.invalid" in line]
    assert hostile_lines
    for line in hostile_lines:
        assert not re.search(r"(?<!\\)[<>`\[]", line), line


def test_text_summary_neutralises_control_characters(tmp_path: Path) -> None:
    bad = episode("QMA", "EVIL\x1b[31m.CHL\nSECOND LINE", "08:00:00", "08:10:00", "unknown", "other")
    out = write_out(tmp_path / "out", [bad])
    text = render(out, "text")
    assert "\x1b" not in text
    assert "EVIL\\x1b[31m.CHL SECOND LINE" in text


def test_cli_report_writes_html_and_prints_markdown(out: Path, tmp_path: Path) -> None:
    target = tmp_path / "r" / "report.html"
    result = CliRunner().invoke(main, ["report", str(out), "--html", str(target), "--format", "markdown",
                                       "--qmgr", "QMA"])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "# mqtriage incident report" in result.output
    assert "filtered to queue manager QMA" in target.read_text(encoding="utf-8")


def test_cli_report_errors_are_clean(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no episodes; run `mqtriage timeline` first" in result.output
    out = write_out(tmp_path / "out", sample_episodes())
    result = CliRunner().invoke(main, ["report", str(out), "--since", "yesterday-ish"])
    assert result.exit_code == 1
    assert "--since 'yesterday-ish'" in result.output


def test_big_outputs_are_capped_with_a_note(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.report import data as report_data

    monkeypatch.setattr(report_data, "MAX_TABLE_ROWS", 2)
    monkeypatch.setattr(report_data, "MAX_CHARTS", 1)
    page = render(out, "html")
    assert page.count('<svg class="timeline"') == 1
    assert "2 more channels failed; the 1 that failed most recently are drawn" in page
    assert page.count("<tr title=") + page.count('<tr class="unresolved" title=') == 2
    assert "The 2 most recent of 5 episodes" in page
    markdown = render(out, "markdown")
    assert "The 2 most recent of 5 episodes are listed" in markdown
