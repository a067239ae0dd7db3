"""Decoding, the insert-slot table, stable ids and format sniffing."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from pipeline.errors import RuleError
from pipeline.ingest import slots as slots_mod
from pipeline.ingest.decode import Utf16Reader, check_fallback, decode_entry, sniff_file_encoding
from pipeline.ingest.ids import OrdinalCounter, content_key, event_id
from pipeline.ingest.records import FileContext, Parsed
from pipeline.ingest.textlog import parse_block, sniff, split_blocks

GOLDEN = Path(__file__).parent / "golden"


# --- decoding --------------------------------------------------------------------------
def test_decode_utf8_bom_and_fallbacks() -> None:
    assert decode_entry("ERKLÄRUNG".encode()) == ("ERKLÄRUNG", "utf-8")
    assert decode_entry(b"\xef\xbb\xbfabc") == ("abc", "utf-8")
    assert decode_entry(b"ERKL\x8eRUNG f\x81r", "cp850") == ("ERKLÄRUNG für", "cp850")
    assert decode_entry(b"caf\xe9") == ("café", "cp1252")
    text, enc = decode_entry(b"f\x81r")  # 0x81 is not defined in cp1252
    assert (text, enc) == ("f\\x81r", "cp1252+escaped")
    assert "\ufffd" not in text


def test_fallback_names_are_checked() -> None:
    assert check_fallback("cp850") == "cp850"
    with pytest.raises(ValueError, match="nope"):
        check_fallback("nope")
    with pytest.raises(ValueError, match="single-byte"):
        check_fallback("utf-16")


def test_utf16_files_are_transcoded() -> None:
    entry = (GOLDEN / "v94_tls.log").read_text(encoding="utf-8")
    for enc, bom in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)):
        raw = bom + entry.encode(enc)
        assert sniff_file_encoding(raw[:4096]) == enc
        blocks = list(split_blocks(Utf16Reader(io.BytesIO(raw), enc, chunk_size=333)))  # type: ignore[arg-type]
        assert b"".join(b.data for b in blocks) == entry.encode("utf-8")
    assert sniff_file_encoding(entry.encode("utf-16-le")[:512]) == "utf-16-le"  # no BOM: NUL pattern
    assert sniff_file_encoding(entry.encode()) is None


# --- insert slots ----------------------------------------------------------------------
def test_repository_slot_table_loads() -> None:
    table = slots_mod.load_slot_table()
    assert table.slot("AMQ9999", "channel") == "comment_insert_1"
    assert table.slot("AMQ9207", "channel") == "comment_insert_3"
    assert table.slot("AMQ9209", "conname") == "comment_insert_1"
    assert table.slot("AMQ9633", "gskit_rc") == "arith_insert_1"
    assert table.slot("AMQ0000", "channel") is None


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (
            {"version": 1, "messages": {"AMQ9999": {"chanel": "comment_insert_1", "conf": "V"}}},
            "AMQ9999: unknown role 'chanel'",
        ),
        ({"version": 1, "messages": {"AMQ9999E": {"channel": "comment_insert_1", "conf": "V"}}}, "AMQ9999E"),
        (
            {"version": 1, "messages": {"AMQ9999": {"channel": "comment_insert_9", "conf": "V"}}},
            "unknown slot",
        ),
        (
            {"version": 1, "messages": {"AMQ9999": {"channel": "arith_insert_1", "conf": "V"}}},
            "text role placed in numeric slot",
        ),
        ({"version": 1, "messages": {"AMQ9999": {"channel": "comment_insert_1"}}}, "conf must be"),
        (
            {
                "version": 1,
                "messages": {
                    "AMQ9999": {"channel": "comment_insert_1", "user": "comment_insert_1", "conf": "V"}
                },
            },
            "given to both",
        ),
        ({"version": 2, "messages": {}}, "version"),
        ({"version": 1, "messages": {}, "extra": 1}, "unknown key"),
    ],
)
def test_slot_table_validation_names_file_and_id(doc: dict, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        slots_mod.parse_slot_table(doc, "rules/x.yaml")
    assert "rules/x.yaml" in str(info.value) and fragment in str(info.value)


def test_slot_table_bad_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "slots.yaml"
    bad.write_text("messages: [unclosed\n")
    with pytest.raises(RuleError, match="slots.yaml"):
        slots_mod.load_slot_table(bad)


# --- ids -------------------------------------------------------------------------------
def test_event_id_ignores_where_the_entry_was_read() -> None:
    data = (GOLDEN / "v94_tls.log").read_bytes()
    first = [parse_block(b, FileContext("AMQERR01.LOG")) for b in split_blocks(io.BytesIO(data))]
    # the same entries after rotation, at other offsets of another file
    again = [
        parse_block(b, FileContext("/elsewhere/AMQERR02.LOG"))
        for b in split_blocks(io.BytesIO(b"junk\n" + data), start_offset=100, start_line=7)
    ]
    again = [r for r in again if isinstance(r, Parsed)]
    assert all(isinstance(r, Parsed) for r in first)
    assert [r.content_key for r in first] == [r.content_key for r in again]  # type: ignore[union-attr]
    assert [r.row["source_offset"] for r in first] != [r.row["source_offset"] for r in again]  # type: ignore[union-attr]
    ids = [event_id(r.content_key, 0) for r in first]  # type: ignore[union-attr]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)


def test_ordinals_separate_identical_entries() -> None:
    row = {"msg_id": "AMQ9507", "message": "x"}
    key = content_key(row)
    assert content_key({**row, "source_path": "other", "source_offset": 5}) == key
    assert content_key({**row, "message": "None"}) != content_key({**row, "message": None})
    counter = OrdinalCounter()
    ids = [event_id(key, counter.next(key)) for _ in range(3)]
    assert len(set(ids)) == 3 and event_id(key, 0) == ids[0]


# --- sniffing --------------------------------------------------------------------------
def test_sniff_text_flat_and_other() -> None:
    assert sniff((GOLDEN / "v94_tls.log").read_bytes()) == "text"
    assert sniff((GOLDEN / "flat.log").read_bytes()) == "flat"
    assert sniff((GOLDEN / "rotation_cut.log").read_bytes()) == "text"
    assert sniff(b'{"ibm_messageId": "AMQ9999E"}\n') is None
    assert sniff(b"") is None
