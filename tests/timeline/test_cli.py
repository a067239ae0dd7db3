"""`mqtriage timeline`: reads OUT/classified (partitioned or not), writes OUT/episodes, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import schemas
from pipeline.cli import main
from pipeline.timeline import build_timeline, parse_duration

from .helpers import classified, entry
from .test_scenarios import expired_certificate, tls_version_drift

HOSTILE = '<script>window.__pwned=1</script>"|\n'


def _write_classified(out: Path, rows: list[dict], partitioned: bool = True) -> Path:
    table = pa.Table.from_pandas(classified(rows), schema=schemas.CLASSIFIED, preserve_index=False)
    if partitioned:
        for day in sorted({r["timestamp"].strftime("%Y-%m-%d") for r in rows}):
            folder = out / "classified" / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "part-0.parquet")
    else:
        (out / "classified").mkdir(parents=True)
        pq.write_table(table, out / "classified" / "classified.parquet")
    return out


@pytest.mark.parametrize("partitioned", [True, False])
def test_timeline_command_writes_episodes(tmp_path: Path, partitioned: bool) -> None:
    out = _write_classified(tmp_path / "out", expired_certificate() + tls_version_drift(), partitioned)
    result = CliRunner().invoke(main, ["timeline", str(out), "--gap", "45m"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("4 episodes from ")
    table = pq.read_table(out / "episodes" / "episodes.parquet")
    assert table.schema.equals(schemas.EPISODES)
    stats = json.loads((out / "episodes" / "_timeline.json").read_text(encoding="utf-8"))
    assert stats["gap_seconds"] == 45 * 60 and stats["attached_by_partner"] == 3


def test_rerun_replaces_the_previous_episodes(tmp_path: Path) -> None:
    out = _write_classified(tmp_path / "out", expired_certificate())
    build_timeline(out)
    (out / "episodes" / "stale.parquet").write_bytes(b"left over from an older run")
    build_timeline(out)
    assert sorted(p.name for p in (out / "episodes").iterdir()) == ["_timeline.json", "episodes.parquet"]


def test_log_text_passes_through_unchanged(tmp_path: Path) -> None:
    rows = [entry("QMA", "10:00:00", "AMQ9636", "sslpeer_mismatch", HOSTILE, peer_dn=HOSTILE)]
    out = _write_classified(tmp_path / "out", rows)
    frame = build_timeline(out).episodes
    assert frame.loc[0, "channel"] == HOSTILE.strip()   # names are stripped, otherwise kept as logged


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["--gap", "soon"], 2, "expected a duration"),
        (["--gap", "0m"], 2, "longer than zero"),
    ],
)
def test_bad_gap(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    out = _write_classified(tmp_path / "out", expired_certificate())
    result = CliRunner().invoke(main, ["timeline", str(out), *args])
    assert result.exit_code == code
    assert message in result.output


def test_missing_classified_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(main, ["timeline", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no classified table; run `mqtriage classify` first" in result.output
    assert "Traceback" not in result.output


def test_unreadable_classified_names_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "classified"
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_bytes(b"not parquet at all")
    result = CliRunner().invoke(main, ["timeline", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "cannot read the classified table" in result.output and "classified" in result.output


@pytest.mark.parametrize("text,minutes", [("30m", 30), ("90s", 1.5), ("2h", 120), ("1h30m", 90), ("45", 45)])
def test_parse_duration(text: str, minutes: float) -> None:
    assert parse_duration(text) == pd.Timedelta(minutes=minutes)


def test_timeline_refuses_while_another_run_holds_out(tmp_path: Path) -> None:
    from pipeline.storage import OutputLock

    out = _write_classified(tmp_path / "out", expired_certificate())
    with OutputLock(out):
        result = CliRunner().invoke(main, ["timeline", str(out)])
    assert result.exit_code == 1
    assert "in use by another mqtriage run" in result.output
    assert not (out / "episodes").exists()


def test_write_error_keeps_the_previous_episodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from pipeline.timeline import store

    out = _write_classified(tmp_path / "out", expired_certificate())
    build_timeline(out)
    before = {p.name: p.read_bytes() for p in (out / "episodes").iterdir()}

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.pq, "write_table", no_space)
    result = CliRunner().invoke(main, ["timeline", str(out), "--gap", "5m"])
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "previous episodes are unchanged" in result.output
    assert {p.name: p.read_bytes() for p in (out / "episodes").iterdir()} == before
