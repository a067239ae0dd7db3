"""Golden files: small committed log excerpts and the rows they must produce.

Each ``golden/<name>`` input has ``golden/<name>.expected.json`` next to it (one item per block:
the parsed row with its notes, or the reject).  Review changes as diffs; regenerate with
``MQTRIAGE_REGEN_GOLDEN=1 pytest tests/ingest/test_textlog_golden.py``.
"""

from __future__ import annotations

import io
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.ingest import textlog
from pipeline.ingest.records import FileContext, Reject
from pipeline.ingest.textlog import iter_flat_lines, parse_block, parse_flat_line, split_blocks

GOLDEN = Path(__file__).parent / "golden"
CONTEXTS = {
    k: v for k, v in json.loads((GOLDEN / "contexts.json").read_text()).items() if not k.startswith("_")
}


def render(name: str) -> list[dict[str, Any]]:
    spec = CONTEXTS[name]
    ctx = FileContext(
        name, tz=spec["tz"], date_order=spec["date_order"], fallback_encoding=spec["fallback_encoding"]
    )
    data = (GOLDEN / name).read_bytes()
    out: list[dict[str, Any]] = []
    if spec["form"] == "flat":
        results = [parse_flat_line(b.data, b.offset, b.line, ctx) for b in iter_flat_lines(io.BytesIO(data))]
    else:
        results = [parse_block(b, ctx) for b in split_blocks(io.BytesIO(data))]
    for r in results:
        if isinstance(r, Reject):
            out.append({"reject": r.reason, "offset": r.offset, "line": r.line, "raw_length": len(r.raw)})
        else:
            row = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.row.items()}
            out.append({"row": row, "notes": r.notes})
    return out


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_golden(name: str) -> None:
    expected_path = GOLDEN / f"{name}.expected.json"
    got = render(name)
    if os.environ.get("MQTRIAGE_REGEN_GOLDEN") == "1":
        expected_path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert len(got) == len(expected), f"{name}: block count changed"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"{name}: item {i} differs"


def test_golden_covers_every_variant() -> None:
    """The golden set keeps at least one example of each header variant and date style."""
    rows = [item["row"] for name in CONTEXTS for item in render(name) if "row" in item]
    header_times = [r["header_time"] for r in rows]
    assert any(h.endswith(("AM", "PM")) for h in header_times)
    assert any("." in h.split()[0] for h in header_times)  # DD.MM.YYYY
    assert any(len(h.split()[0].split("/")[2]) == 2 for h in header_times if "/" in h)  # MM/DD/YY
    assert any(len(h.split()[0].split("/")[0]) == 1 for h in header_times if "/" in h)  # M/D/YYYY
    assert {r["timestamp_source"] for r in rows} == {"time_field", "header_local"}
    assert any(r["severity"] is None for r in rows) and any(r["severity"] for r in rows)
    assert any(r["qmgr"] is None for r in rows) and any(r["qmgr"] for r in rows)
    assert any(r["remote_host"] for r in rows)
    assert any(r["arith_insert_1"] is not None for r in rows)
    assert any(r["comment_insert_3"] is not None for r in rows)
    modules = [r["source_module"] for r in rows if r["source_format"] == "text"]
    assert None in modules and any(modules)  # both trailer styles
    assert any(r["encoding"] == "cp850" for r in rows)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_golden_general_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-regex fast path is an optimisation only: switched off, the output is the same."""
    monkeypatch.setattr(textlog, "FAST_PATH", False)
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert render(name) == expected
