"""``mqtriage ingest``: exit codes, summary, warnings."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

from .test_runner_support import rows, write_log


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["ingest", *args])


def test_summary_and_exit_zero(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(4))
    (tmp_path / "in" / "random.bin").write_bytes(b"\x00\x01\x02" * 100)
    result = _invoke(str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "1 files read" in result.output and "1 skipped" in result.output
    assert "4 written" in result.output
    assert "warning:" in result.output and "random.bin" in result.output
    assert "manifest:" in result.output
    assert len(rows(tmp_path / "out")) == 4


def test_missing_path_exits_one_with_message(tmp_path: Path) -> None:
    result = _invoke(str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "Error: input path" in result.output and "nope" in result.output
    assert "Traceback" not in result.output


def test_unknown_tz_exits_one(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(1))
    result = _invoke(str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--tz", "Nowhere/Land")
    assert result.exit_code == 1 and "unknown time zone" in result.output


def test_bad_fallback_encoding_exits_one(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(1))
    result = _invoke(str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--encoding", "utf-16")
    assert result.exit_code == 1 and "fallback encoding" in result.output


def test_unwritable_out_exits_one(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(1))
    (tmp_path / "blocker").write_text("x", encoding="utf-8")
    result = _invoke(str(tmp_path / "in"), "--out", str(tmp_path / "blocker" / "out"))
    assert result.exit_code == 1 and "cannot create output folder" in result.output


def test_options_reach_the_manifest(tmp_path: Path) -> None:
    import json

    write_log(tmp_path / "in" / "AMQERR01.LOG", range(2))
    result = _invoke(
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "out"),
        "--tz",
        "Europe/Berlin",
        "--date-order",
        "dmy",
        "--encoding",
        "cp850",
        "--jobs",
        "2",
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["options"]["tz"] == "Europe/Berlin" and manifest["options"]["encoding"] == "cp850"
    assert manifest["options"]["date_order"] == "dmy" and manifest["options"]["jobs"] == 2
    assert manifest["files"][0]["tz"] == "Europe/Berlin" and manifest["files"][0]["tz_source"] == "--tz"


def test_help_lists_options() -> None:
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert result.exit_code == 0
    for option in (
        "--out",
        "--tz",
        "--date-order",
        "--encoding",
        "--jobs",
        "--engine",
        "--scheduler",
        "--wait",
    ):
        assert option in result.output
