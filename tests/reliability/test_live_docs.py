"""docs/ingest.md promises, checked through the CLI as a user would meet them.

The runner engineer's tests cover live files in depth at library level; these only check that
what the documentation says (`pending`, `mode: resume|new`, rename- and copy-style rotation,
truncation, a different file under the same name) is what `mqtriage ingest` does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.reliability.corpus import stream_entries

from .helpers import invoke, table


def _entries(n: int, start: int = 0) -> str:
    return "".join(stream_entries(n, qmgr="QMLIVE", start=start))


def _ingest(logs: Path, out: Path) -> dict[str, Any]:
    result = invoke("ingest", str(logs), "--out", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    doc["stderr"] = result.stderr
    return doc


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(f["path"]).name: f for f in doc["files"]}


def _ids(out: Path) -> set[str]:
    return {r["event_id"] for r in table(out, layout.EVENTS, ["event_id"])}


def test_documented_live_file_behaviour(tmp_path: Path) -> None:
    logs, out = tmp_path / "logs", tmp_path / "out"
    logs.mkdir()
    log = logs / "AMQERR01.LOG"
    full = _entries(6)
    half = full[: len(full) - 200]            # the 6th entry is still being written
    log.write_text(half, encoding="utf-8")
    doc = _ingest(logs, out)
    entry = _by_name(doc)["AMQERR01.LOG"]
    assert entry["written"] == 5 and entry["pending"] and entry["pending"]["offset"] > 0
    assert "AMQERR01.LOG" in doc["stderr"]    # "a warning names the file, offset and line"
    log.write_text(full + _entries(1, start=6), encoding="utf-8")   # appended: the rest and a 7th
    doc = _ingest(logs, out)
    entry = _by_name(doc)["AMQERR01.LOG"]
    assert entry["mode"] == "resume" and entry["written"] == 2
    assert len(_ids(out)) == 7

    # rename-style rotation: 01 becomes 02, a fresh 01 starts
    log.rename(logs / "AMQERR02.LOG")
    log.write_text(_entries(2, start=100), encoding="utf-8")
    doc = _ingest(logs, out)
    files = _by_name(doc)
    assert files["AMQERR02.LOG"]["written"] == 0           # nothing read twice
    assert files["AMQERR01.LOG"]["mode"] == "new" and files["AMQERR01.LOG"]["written"] == 2
    assert len(_ids(out)) == 9

    # copy-style rotation: 02 becomes a copy of 01 plus an entry appended before the copy
    (logs / "AMQERR02.LOG").unlink()
    (logs / "AMQERR01.LOG").write_text(_entries(2, start=100) + _entries(1, start=102), encoding="utf-8")
    shutil.copyfile(logs / "AMQERR01.LOG", logs / "AMQERR02.LOG")
    (logs / "AMQERR01.LOG").write_text("", encoding="utf-8")   # then 01 truncated, as copytruncate does
    doc = _ingest(logs, out)
    assert doc["totals"]["written"] == 1                       # only the entry appended before rotation
    assert len(_ids(out)) == 10

    # a different file under the same name is read from the start as a new file
    (logs / "AMQERR01.LOG").write_text(_entries(3, start=500), encoding="utf-8")
    doc = _ingest(logs, out)
    entry = _by_name(doc)["AMQERR01.LOG"]
    assert entry["mode"] == "new" and entry["written"] == 3
    assert len(_ids(out)) == 13
