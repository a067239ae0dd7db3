"""The Arrow/RE2 experiment (pipeline/ingest/arrowpath.py) gives exactly the reference parser's rows.

Same comparisons as test_fastpath.py (rows column by column, content keys, rejects, end offset) on
the golden text files, the peer fixtures, a generated corpus and mutated input; plus checks that the
Arrow extraction really takes the usual entries (so the equality is not the fallback's alone).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import arrowpath, fastpath
from pipeline.ingest.records import FileContext
from tests.ingest.test_fastpath import _PIECES, CONTEXTS, GOLDEN, reference


def via_arrow(
    data: bytes, ctx: FileContext, include_partial: bool = True, read_size: int = 1 << 20
) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": [], "keys": [], "rejects": [], "end": 0, "fast": 0}
    for batch in arrowpath.parse_columnar(
        io.BytesIO(data), ctx, include_partial=include_partial, read_size=read_size
    ):
        out["rows"].extend(batch.rows)
        out["keys"].extend(batch.keys)
        out["rejects"].extend((r.offset, r.line, r.reason, r.raw) for r in batch.rejects)
        out["end"] = batch.end_offset
        out["fast"] += batch.fast_rows
    return out


def assert_same(data: bytes, ctx: FileContext, **kwargs: Any) -> dict[str, Any]:
    want = reference(data, ctx, kwargs.get("include_partial", True))
    got = via_arrow(data, ctx, **kwargs)
    assert len(got["rows"]) == len(want["rows"])
    for i, (g, w) in enumerate(zip(got["rows"], want["rows"], strict=True)):
        assert g == w, (
            f"row {i} differs: {[(c, a, b) for c, a, b in zip(fastpath.ROW_COLUMNS, g, w, strict=True) if a != b]}"
        )
    assert got["keys"] == want["keys"]
    assert got["rejects"] == want["rejects"]
    assert got["end"] == want["end"]
    return got


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_golden_files_match_reference(name: str) -> None:
    spec = CONTEXTS[name]
    ctx = FileContext(
        name, tz=spec["tz"], date_order=spec["date_order"], fallback_encoding=spec["fallback_encoding"]
    )
    data = (GOLDEN / name).read_bytes()
    assert_same(data, ctx)
    assert_same(data, ctx, include_partial=False)
    assert_same(data * 3, ctx, read_size=97)


def test_usual_entries_are_taken_by_the_arrow_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    python_region = fastpath._Parser.ascii_region

    def counting(self: fastpath._Parser, data: bytes, begin: int, end: int, offset: int, line: int) -> None:
        calls.append(end - begin)
        python_region(self, data, begin, end, offset, line)

    monkeypatch.setattr(fastpath._Parser, "ascii_region", counting)
    data = (GOLDEN / "v94_tls.log").read_bytes() * 4
    got = assert_same(data, FileContext("v94_tls.log"))
    assert got["fast"] == len(got["rows"]) > 0
    assert calls == []  # no entry needed the per-entry Python code


def test_flagged_entries_leave_the_arrow_extraction() -> None:
    """Entries the RE2 pattern must not take: a second AMQ line, a control byte, a colon summary."""
    base = (GOLDEN / "v94_tls.log").read_bytes()
    first_end = base.index(b"\n-----") + 1
    entry = base[:first_end] + base[first_end:].split(b"\n", 1)[0] + b"\n"
    entries = pa.array([entry.decode(), entry.decode().replace("QMgr(", "QMgr(\x0b")])
    fields = pc.extract_regex(entries, arrowpath.ENTRY_RE2)
    assert fields.is_valid().to_pylist() == [True, True]
    assert pc.match_substring_regex(entries, arrowpath._CONTROL).to_pylist() == [False, True]
    twice = entry.replace(b"\nAMQ", b"\nAMQ9999E: x\nAMQ", 1).decode()
    assert pc.count_substring_regex(pa.array([twice]), arrowpath._AMQ_LINE).to_pylist() == [2]


@pytest.mark.parametrize(
    ("fixture", "ctx_args"),
    [
        ("nastel-tnt4j-streams/AMQERR01.LOG", {"tz": "UTC"}),
        ("elastic-beats-filebeat-ibmmq/AMQERR01.LOG", {"fallback_encoding": "cp850"}),
        ("elastic-integrations-ibmmq/test-errorlog-9-4.log", {}),
        ("elastic-integrations-ibmmq/test-errorlog.log", {}),
    ],
)
def test_peer_fixtures_match_reference(peer_fixtures: Path, fixture: str, ctx_args: dict[str, str]) -> None:
    data = (peer_fixtures / fixture).read_bytes()
    for order in ("mdy", "dmy", "auto"):
        assert_same(data, FileContext(fixture, date_order=order, **ctx_args))  # type: ignore[arg-type]


_MORE_PIECES = [
    *_PIECES,
    b"\x0b\n",
    b"  CommentInsert1(x)\n",
    b"AMQ9999X: bad letter\n",
    b"12/31/26 23:59:59 - Process(1) User(x)\n",
    b"EXPLANATION:\n",
    b"----- amq.c : 1 \n",
    b"--------\n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.sampled_from(_MORE_PIECES)),
        min_size=0,
        max_size=6,
    ),
    st.integers(min_value=0, max_value=400),
    st.sampled_from([64, 1000, 1 << 20]),
)
def test_mutated_input_matches_reference(edits: list[tuple[int, bytes]], cut: int, read_size: int) -> None:
    data = bytearray((GOLDEN / "v94_tls.log").read_bytes() + (GOLDEN / "sparse_layout.log").read_bytes())
    for where, piece in edits:
        at = data.find(b"\n", where % len(data)) + 1
        data[at:at] = piece
    if cut:
        del data[len(data) - cut :]
    ctx = FileContext("mutated", date_order="auto")
    assert_same(bytes(data), ctx, read_size=read_size)
    assert_same(bytes(data), ctx, include_partial=False, read_size=read_size)


def test_generated_corpus_matches_reference(tmp_path: Path) -> None:
    from pipeline.samples.corpus import write_corpus

    write_corpus(tmp_path / "c", 3 << 20, seed=7, n_qmgrs=6)
    logs = sorted((tmp_path / "c").rglob("*.LOG"))
    assert logs
    taken = rows = 0
    for path in logs:
        got = assert_same(path.read_bytes(), FileContext(path.name, date_order="mdy"))
        taken += got["fast"]
        rows += len(got["rows"])
    assert taken > 0.9 * rows
