"""The classify stage end to end: OUT/events + OUT/channel_status Parquet in, OUT/classified out."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import layout, schemas
from pipeline.classify import classify
from pipeline.cli import main
from pipeline.errors import InputError

from .helpers import event, status, write_dataset

ROWS = [
    event("AMQ9631E: The CipherSpec negotiated during the SSL handshake does not match the required CipherSpec for channel 'QMA.QMB'.",
          "08:00:00", comment_insert_2="TLS_RSA_WITH_AES_128_CBC_SHA256", comment_insert_3="ECDHE_RSA_AES_256_GCM_SHA384"),
    event("AMQ9999E: Channel 'QMA.QMB' to host 'mqa.example.com (10.1.0.11)(1414)' ended abnormally.", "08:00:00"),
    event("AMQ9002I: Channel 'QMA.QMB' is starting.", "06:00:00"),
    event("AMQ9308E: (composed: an error entry whose id is in no rule)", "09:00:00"),
]


def _out(tmp_path: Path, with_status: bool = True) -> Path:
    out = tmp_path / "out"
    rows = [dict(r) for r in ROWS]
    import pandas as pd

    rows[2]["timestamp"] = pd.Timestamp("2026-11-21 06:00:00", tz="UTC")
    write_dataset(out, layout.EVENTS, rows)
    if with_status:
        write_dataset(out, layout.CHANNEL_STATUS, [
            status("09:09:00", channel="QMA.QMB", last_error="AMQ9643E: Remote SSL peer name error for channel 'QMA.QMB' on host 'mqb.example.com (10.1.0.12)(1414)'."),
            status(None, source_format="chstatus", status="RUNNING", channel="QMA.QMC"),
        ])
    return out


def test_writes_the_classified_schema_partitioned_by_day(tmp_path: Path) -> None:
    out = _out(tmp_path)
    result = classify(out, use_model=False)
    assert (result.rows, result.event_rows, result.status_rows) == (6, 4, 2)
    assert result.by_method == {"rule": 5, "none": 1}
    assert result.unknown_ids == {"AMQ9308": 1}
    target = out / "classified"
    days = sorted(p.name for p in target.iterdir())
    assert days == ["date=2026-11-20", "date=2026-11-21", "date=unknown"]
    for part in target.rglob("*.parquet"):
        assert pq.read_schema(part).remove_metadata() == schemas.CLASSIFIED
    table = ds.dataset(target, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 6
    causes = dict(zip(table["msg_id"].to_pylist(), table["cause"].to_pylist(), strict=True))
    assert causes["AMQ9631"] == "cipher_mismatch" and causes["AMQ9643"] == "sslpeer_mismatch"


def test_rerun_replaces_the_output_without_leftovers(tmp_path: Path) -> None:
    out = _out(tmp_path)
    classify(out, use_model=False)
    first = sorted(p.relative_to(out) for p in (out / "classified").rglob("*.parquet"))
    classify(out, use_model=False)
    second = sorted(p.relative_to(out) for p in (out / "classified").rglob("*.parquet"))
    assert first == second
    assert not [p for p in out.iterdir() if p.name.startswith(".classified")]
    assert ds.dataset(out / "classified", format="parquet", partitioning="hive").count_rows() == 6


def test_events_only_is_fine_and_nothing_at_all_is_an_input_error(tmp_path: Path) -> None:
    out = _out(tmp_path, with_status=False)
    assert classify(out, use_model=False).status_rows == 0
    with pytest.raises(InputError, match="run `mqtriage ingest` first"):
        classify(tmp_path / "empty", use_model=False)


def test_missing_model_is_reported_once_as_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.classify as stage
    from pipeline.classify.model import NullFallback

    # The model engineer's loader is tested in tests/model; here only what classify does with "absent".
    monkeypatch.setattr(stage, "load_model", lambda models_dir=None: NullFallback(f"no model artifact in {models_dir}"))
    out = _out(tmp_path)
    result = classify(out, use_model=True, models_dir=tmp_path / "no-models")
    assert len(result.notes) == 1 and "model" in result.notes[0]
    assert result.by_method == {"rule": 5, "none": 1}


def test_cli_prints_counts_and_unknown_ids(tmp_path: Path) -> None:
    out = _out(tmp_path)
    res = CliRunner().invoke(main, ["classify", str(out), "--no-model"])
    assert res.exit_code == 0, res.output
    assert "6 rows classified (4 log entries, 2 status rows)" in res.output
    assert "AMQ9308: 1" in res.output


def test_cli_bad_input_is_one_clean_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["classify", str(tmp_path / "nothing"), "--no-model"])
    assert res.exit_code == 1
    assert "Error:" in res.output and "Traceback" not in res.output


def test_cli_user_rules_layer_over_ours(tmp_path: Path) -> None:
    out = _out(tmp_path)
    extra = tmp_path / "myrules"
    extra.mkdir()
    (extra / "local.yaml").write_text(
        "kind: message\nrules:\n"
        "  - id: local.amq9308\n    msg_ids: [AMQ9308]\n    cause: other_failure\n"
        "    description: Our site's own id.\n"
        "    examples:\n      match: [{text: \"AMQ9308E: (composed)\"}]\n      no_match: [{text: \"AMQ9307E: (composed)\"}]\n",
        encoding="utf-8")
    res = CliRunner().invoke(main, ["classify", str(out), "--no-model", "--rules", str(extra)])
    assert res.exit_code == 0, res.output
    assert "unknown: 0 (0.0%)" in res.output


def test_another_run_holding_the_output_is_a_clean_error(tmp_path: Path) -> None:
    from pipeline.errors import LockHeldError
    from pipeline.storage import OutputLock

    out = _out(tmp_path)
    with OutputLock(out), pytest.raises(LockHeldError):
        classify(out, use_model=False)
