"""`mqtriage query`: views over whatever tables exist, table and CSV output, clean errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import schemas
from pipeline.cli import main
from pipeline.query import discover_views, run_query, to_csv, to_text_table
from pipeline.timeline import build_timeline

HOSTILE = 'QM,"A"|\nB\x1b[2J'


def _row(event_id: str, qmgr: str, when: str, msg_id: str, phase: str, cause: str, channel: str | None,
         **extra: object) -> dict[str, object]:
    row: dict[str, object] = {name: None for name in schemas.CLASSIFIED.names}
    row.update(event_id=event_id, source_format="text", source_path=f"{qmgr}/AMQERR01.LOG", qmgr=qmgr,
               channel=channel, timestamp=pd.Timestamp(f"2026-11-20 {when}", tz="UTC"), msg_id=msg_id,
               phase=phase, cause=cause, method="rule", confidence=1.0, pid=1, tid=1, **extra)
    return row


@pytest.fixture
def out(tmp_path: Path) -> Path:
    rows = [
        _row("a1", "QMA", "08:00:00", "AMQ9633", "handshake", "cert_expired", "QMB.QMA", gskit_rc=401),
        _row("a2", "QMA", "08:01:00", "AMQ9633", "handshake", "cert_expired", "QMB.QMA", gskit_rc=401),
        _row("b1", "QMB", "08:00:00", "AMQ9665", "handshake", "remote_closed_handshake", "QMB.QMA"),
        _row("h1", "QMB", "09:00:00", "AMQ9999", "other", "channel_ended_abnormally", HOSTILE,
             message=f"Channel '{HOSTILE}' ended abnormally."),
    ]
    folder = tmp_path / "out" / "classified" / "date=2026-11-20"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schemas.CLASSIFIED), folder / "part-0.parquet")
    build_timeline(tmp_path / "out")
    return tmp_path / "out"


def test_views_are_the_tables_present(out: Path) -> None:
    assert [v.name for v in discover_views(out)] == ["classified", "episodes"]
    frame = run_query(out, "SELECT CAST(date AS VARCHAR) AS day, count(*) AS n FROM classified GROUP BY day")
    assert frame.to_dict("records") == [{"day": "2026-11-20", "n": 4}]   # the hive partition column


def test_episodes_join_classified(out: Path) -> None:
    frame = run_query(out, """
        SELECT e.qmgr, e.cause, e.cause_side, c.qmgr AS logged_by, c.gskit_rc
        FROM episodes e JOIN classified c ON c.event_id = e.decisive_event_id
        WHERE e.channel = 'QMB.QMA' ORDER BY e.qmgr""")
    assert frame.values.tolist() == [
        ["QMA", "cert_expired", "local", "QMA", 401],
        ["QMB", "cert_expired", "remote", "QMA", 401],
    ]


def test_csv_keeps_hostile_values_in_one_cell(out: Path) -> None:
    result = CliRunner().invoke(main, ["query", str(out), "SELECT channel, msg_ids FROM episodes ORDER BY channel",
                                       "--csv"])
    assert result.exit_code == 0, result.output
    parsed = list(csv.reader(io.StringIO(result.output)))
    assert parsed[0] == ["channel", "msg_ids"]
    shown = HOSTILE.replace("\x1b", "\\x1b")   # an escape sequence is shown, never sent to the terminal
    assert [row[0] for row in parsed[1:]] == sorted([shown, "QMB.QMA", "QMB.QMA"])
    assert parsed[1][1] == '["AMQ9999"]'


def test_table_output_escapes_control_characters(out: Path) -> None:
    text = to_text_table(run_query(out, "SELECT channel FROM classified WHERE event_id = 'h1'"))
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert len(text.splitlines()) == 4           # header, rule, one row, footer: the newline did not split it


def test_no_sql_lists_views(out: Path) -> None:
    result = CliRunner().invoke(main, ["query", str(out)])
    assert result.exit_code == 0
    assert "classified" in result.output and "episodes" in result.output


def test_preflight_views(out: Path) -> None:
    folder = out / "preflight"
    folder.mkdir()
    pd.DataFrame([{"qmgr": "QMA", "channel": "QMA.QMC", "partner_qmgr": "QMC", "phase": "handshake",
                   "cause": "client_cert_missing", "fix_side": "local", "severity": "error",
                   "evidence": "CERTLABL missing"}]).to_parquet(folder / "findings.parquet")
    pd.DataFrame([{"qmgr": "QMA", "days_left": 15}]).to_parquet(folder / "expiry.parquet")
    names = [v.name for v in discover_views(out)]
    assert {"preflight", "preflight_findings", "preflight_expiry"} <= set(names)
    assert run_query(out, "SELECT cause FROM preflight").cause.tolist() == ["client_cert_missing"]


def test_errors_are_clean(out: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", str(out), "SELECT nope FROM episodes"])
    assert result.exit_code == 1
    assert "query failed" in result.output and "views under" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["query", str(tmp_path / "absent"), "SELECT 1"])
    assert result.exit_code == 2


def test_csv_round_trips_awkward_values() -> None:
    frame = pd.DataFrame({"a": ['x,"y"\nz', None, "|"], "b": [[1, 2], None, float("nan")]})
    parsed = list(csv.reader(io.StringIO(to_csv(frame))))
    assert parsed == [["a", "b"], ['x,"y"\nz', "[1, 2]"], ["", ""], ["|", ""]]
