"""The bundled sample scenario (data/samples): every log entry parses, and QMB's text and JSON logs
(the same entries written twice) give the same fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest.jsonlog import iter_json_lines, parse_json_line
from pipeline.ingest.records import FileContext, Parsed
from pipeline.ingest.textlog import parse_block, split_blocks

SHARED = [
    "msg_id", "severity", "timestamp", "qmgr", "host", "pid", "tid", "program", "user", "vrmf", "installation",
    "arith_insert_1", "arith_insert_2", "comment_insert_1", "comment_insert_2", "comment_insert_3",
    "remote_host", "channel", "conname", "source_module", "message",
]  # fmt: skip


def _text(path: Path, tz: str = "UTC") -> list[Parsed]:
    with path.open("rb") as fh:
        results = [parse_block(b, FileContext(path.name, tz=tz)) for b in split_blocks(fh)]
    assert all(isinstance(r, Parsed) for r in results), [getattr(r, "reason", "") for r in results]
    return results  # type: ignore[return-value]


def test_sample_logs_parse_without_rejects(samples_dir: Path) -> None:
    logs = sorted(samples_dir.glob("qm*/errors/AMQERR0*.LOG"))
    if not logs:
        pytest.skip("data/samples has no error logs yet")
    for path in logs:
        tz = (
            (path.parents[1] / "mqtriage.tz").read_text().strip()
            if (path.parents[1] / "mqtriage.tz").exists()
            else "UTC"
        )
        rows = [p.row for p in _text(path, tz)]
        assert rows, path
        assert all(r["timestamp"].date().isoformat() == "2026-11-20" for r in rows), path
        failures = [r for r in rows if r["msg_id"] in {"AMQ9633", "AMQ9631", "AMQ9636", "AMQ9637", "AMQ9999"}]
        assert all(r["channel"] for r in failures), path


def test_text_and_json_twins_agree(samples_dir: Path) -> None:
    folder = samples_dir / "qmb" / "errors"
    if not (folder / "AMQERR01.json").exists():
        pytest.skip("data/samples has no QMB JSON log yet")
    text = [p.row for p in _text(folder / "AMQERR01.LOG")]
    with (folder / "AMQERR01.json").open("rb") as fh:
        json_rows = [
            parse_json_line(b.data, b.offset, b.line, FileContext("AMQERR01.json"))
            for b in iter_json_lines(fh)
        ]
    assert all(isinstance(r, Parsed) for r in json_rows)
    assert len(text) == len(json_rows)
    for t, j in zip(text, (r.row for r in json_rows), strict=True):  # type: ignore[union-attr]
        assert {c: t[c] for c in SHARED} == {c: j[c] for c in SHARED}
