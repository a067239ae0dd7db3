"""Splitting text logs into entries: streaming, boundaries, rotation remnants, interleaving, sizes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.ingest import textlog
from pipeline.ingest.records import FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.textlog import parse_block, split_blocks

GOLDEN = Path(__file__).parent / "golden"
CTX = FileContext("t.log", date_order="mdy")

ENTRY = (
    "11/20/26 10:05:12 - Process(4711.23) User(mqm) Program(amqrmppa)\n"
    "                    Host(mqa) Installation(Installation1)\n"
    "                    VRMF(9.4.0.5) QMgr(QMA)\n"
    "                    Time(2026-11-20T10:05:12.345Z)\n"
    "                    CommentInsert1(CH.{n})\n"
    "\n"
    "AMQ9002I: Channel 'CH.{n}' is starting.\n"
    "\n"
    "EXPLANATION:\n"
    "Starting {body}.\n"
    "ACTION:\n"
    "None.\n"
    "----- amqrccca.c : 1050 -------------------------------------------------------\n"
)


def entry(n: int, body: str = "now") -> bytes:
    return ENTRY.format(n=n, body=body).encode()


def blocks_of(data: bytes, **kw: int) -> list[RawBlock]:
    return list(split_blocks(io.BytesIO(data), **kw))


def test_trailer_ends_its_entry_and_offsets_add_up() -> None:
    data = entry(1) + entry(2) + entry(3)
    blocks = blocks_of(data)
    assert [b.data for b in blocks] == [entry(1), entry(2), entry(3)]
    assert [b.offset for b in blocks] == [0, len(entry(1)), 2 * len(entry(1))]
    assert [b.line for b in blocks] == [1, 14, 27]
    assert all(b.complete for b in blocks)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunk_size_does_not_change_blocks(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    data = b"".join((GOLDEN / n).read_bytes() for n in ("v94_tls.log", "v90_windows.log", "rotation_cut.log"))
    expected = blocks_of(data)
    monkeypatch.setattr(textlog, "CHUNK_SIZE", chunk)
    assert blocks_of(data) == expected


def test_nastel_chunking_and_resume(peer_fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (peer_fixtures / "nastel-tnt4j-streams" / "AMQERR01.LOG").read_bytes()
    full = blocks_of(data)
    assert len(full) == 2853
    monkeypatch.setattr(textlog, "CHUNK_SIZE", 4093)
    assert blocks_of(data) == full
    # resuming from a stored offset/line yields exactly the remaining blocks
    mid = full[1000]
    assert blocks_of(data[mid.offset :], start_offset=mid.offset, start_line=mid.line) == full[1000:]


def test_crlf_lines() -> None:
    data = entry(1).replace(b"\n", b"\r\n") * 2
    blocks = blocks_of(data)
    assert len(blocks) == 2 and all(b.complete for b in blocks)
    row = parse_block(blocks[0], CTX)
    assert isinstance(row, Parsed)
    assert row.row["source_module"] == "amqrccca.c:1050" and row.row["action"] == "None."
    assert row.row["explanation"] == "Starting now."


def test_incomplete_last_entry() -> None:
    cut = entry(2)[:-150]
    blocks = blocks_of(entry(1) + cut)
    assert [b.complete for b in blocks] == [True, False]
    r = parse_block(blocks[1], CTX)
    assert isinstance(r, Parsed) and "incomplete entry" in r.notes[0]


def test_rotation_remnant_becomes_its_own_reject() -> None:
    remnant = entry(9)[300:]
    blocks = blocks_of(remnant + entry(1))
    assert len(blocks) == 2
    r = parse_block(blocks[0], CTX)
    assert isinstance(r, Reject) and "mid-entry" in r.reason and r.offset == 0 and r.line == 1
    assert isinstance(parse_block(blocks[1], CTX), Parsed)


def test_text_before_first_header_is_split_off() -> None:
    junk = b"some banner line\nanother\n"
    blocks = blocks_of(junk + entry(1))
    assert [b.data for b in blocks] == [junk, entry(1)]
    assert blocks[1].offset == len(junk) and blocks[1].line == 3
    assert isinstance(parse_block(blocks[0], CTX), Reject)


def test_interleaved_header_splits_the_block() -> None:
    torn = entry(1)[: entry(1).index(b"Starting") + 5]  # entry 1 stops mid-explanation, entry 2 follows
    blocks = blocks_of(torn + b"\n" + entry(2))
    assert len(blocks) == 2
    first, second = (parse_block(b, CTX) for b in blocks)
    assert isinstance(first, Parsed) and any("no trailer" in n for n in first.notes)
    assert isinstance(second, Parsed) and second.row["channel"] == "CH.2"


def test_interleaved_message_without_header_is_rejected() -> None:
    data = entry(1).replace(
        b"Starting now.\n", b"Starting now.\nAMQ9999E: Channel 'X' to host 'y' ended abnormally.\n"
    )
    r = parse_block(blocks_of(data)[0], CTX)
    assert isinstance(r, Reject) and "interleaved" in r.reason and "AMQ9999" in r.reason


def test_blank_lines_between_entries_stay_with_the_next_entry() -> None:
    blocks = blocks_of(entry(1) + b"\n\n" + entry(2))
    assert len(blocks) == 2
    assert all(isinstance(parse_block(b, CTX), Parsed) for b in blocks)


def test_ten_megabyte_line() -> None:
    big = "x" * (10 * 1024 * 1024)
    blocks = blocks_of(entry(1, big) + entry(2))
    assert len(blocks) == 2
    r = parse_block(blocks[0], CTX)
    assert isinstance(r, Parsed) and len(r.row["explanation"]) == len(big) + len("Starting .")


def test_entry_over_the_size_limit_is_cut_and_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textlog, "MAX_ENTRY_BYTES", 4096)
    monkeypatch.setattr(textlog, "CHUNK_SIZE", 1024)
    flood = b"no trailer here\n" * 2000
    blocks = blocks_of(flood + entry(1))
    assert sum(len(b.data) for b in blocks) == len(flood) + len(entry(1))
    results = [parse_block(b, CTX) for b in blocks]
    assert isinstance(results[-1], Parsed)
    assert all(isinstance(r, Reject) for r in results[:-1])
    assert any("limit" in r.reason for r in results[:-1] if isinstance(r, Reject))


@pytest.mark.parametrize(
    "header_line",
    [
        "CommentInsert1(" + "(" * 100_000 + ")",
        "CommentInsert1(" + ")" * 100_000,
        "A(" * 50_000,
        "CommentInsert1(x" + " (y)" * 50_000 + ")",
    ],
)
def test_pathological_headers_parse_in_one_pass(header_line: str) -> None:
    text = ENTRY.format(n=1, body="now").replace("CommentInsert1(CH.1)", header_line)
    blocks = blocks_of(text.encode())
    assert len(blocks) == 1
    r = parse_block(blocks[0], CTX)
    assert isinstance(r, Parsed)
    assert r.row["msg_id"] == "AMQ9002" and r.row["message"] == "Channel 'CH.1' is starting."
    assert len(r.notes) <= 2  # at most one note per damaged line, not one per parenthesis


def test_pathological_dash_and_digit_lines() -> None:
    data = b"-----" + b"-" * 1_000_000 + b"x\n" + b"1/" * 200_000 + b"\n" + entry(1)
    blocks = blocks_of(data)
    results = [parse_block(b, CTX) for b in blocks]
    assert isinstance(results[-1], Parsed)
    assert all(isinstance(r, Reject) for r in results[:-1])
