"""Seeds and mutations for the fuzz tests: real entries from the peer fixtures and the samples,
damaged the ways real files get damaged (cut, duplicated or dropped lines, CRLF, NUL, stray and
invalid bytes, UTF-16, huge lines, deep parentheses)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from pipeline.ingest import jsonlog, textlog
from pipeline.ingest.exports import read_export, sniff_export
from pipeline.ingest.records import FileContext, Parsed, RawBlock, Reject

SEED_BYTES = 48 * 1024   # of each seed file: a few dozen entries, enough variety, fast examples
REPO = Path(__file__).resolve().parents[2]
CTX = FileContext(source_path="fuzz/AMQERR01.LOG")


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str      # text | flat | json | export
    data: bytes


def _head(path: Path) -> bytes:
    data = path.read_bytes()[:SEED_BYTES]
    cut = data.rfind(b"\n")
    return data[: cut + 1] if 0 < cut < len(data) - 1 else data


def load_seeds(peer_fixtures: Path, samples_dir: Path) -> list[Seed]:
    seeds: list[Seed] = []
    candidates = sorted(peer_fixtures.glob("*/*"))
    candidates += sorted(samples_dir.glob("*/errors/*")) + sorted((samples_dir / "exports").glob("*"))
    candidates += sorted((REPO / "data" / "examples").glob("*"))
    for path in candidates:
        if not path.is_file() or path.name.endswith((".md", ".yaml")) or "expected" in path.name:
            continue
        data = _head(path)
        kind: str | None = "export" if sniff_export(path.name, data) else textlog.sniff(data)
        if kind is None and data.lstrip().startswith(b'{"ibm_'):
            kind = "json"
        if kind is not None:
            seeds.append(Seed(f"{path.parent.parent.name}/{path.parent.name}/{path.name}", kind, data))
    # No amqsevt text export ships with the samples or the peers: a generated one stands in.
    from pipeline.reliability.corpus import amqsevt_text, hostile_cases

    seeds.append(Seed("generated/exports/QMH.events.txt", "export", amqsevt_text(hostile_cases()).encode()))
    return seeds


# --- mutations -------------------------------------------------------------------------------
def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


@st.composite
def mutated(draw: st.DrawFn, seed: Seed) -> tuple[str, bytes]:
    """The seed with one to three damages applied; returns (description, bytes)."""
    data = seed.data
    done = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "cut_head", "drop_line", "dup_line", "bytes", "crlf", "nul",
                                   "bad_utf8", "utf16", "long_line", "parens", "spaces", "header_only"]))
        lines = _lines(data)
        at = draw(st.integers(0, max(len(data), 1)))
        row = draw(st.integers(0, len(lines) - 1))
        if op == "cut":
            data = data[:at]
        elif op == "cut_head":
            data = data[at:]
        elif op == "drop_line":
            data = b"".join(lines[:row] + lines[row + 1:])
        elif op == "dup_line":
            data = b"".join(lines[: row + 1] + lines[row:])
        elif op == "bytes":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
        elif op == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif op == "nul":
            data = data[:at] + b"\x00" * draw(st.integers(1, 8)) + data[at:]
        elif op == "bad_utf8":
            data = data[:at] + draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                                     b"\x80\x80\x80"])) + data[at:]
        elif op == "utf16":
            data = data.decode("latin-1").encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"])))
        elif op == "long_line":   # a 1 MB line inside a line of the entry
            data = b"".join(lines[:row]) + b"CommentInsert1(" + b"A" * (1 << 20) + b")\n" + b"".join(lines[row:])
        elif op == "parens":      # 10^5 nested parentheses in an insert
            depth = 100_000
            data = (b"".join(lines[:row]) + b"   CommentInsert2(" + b"(" * depth + b"x" + b")" * depth + b")\n"
                    + b"".join(lines[row:]))
        elif op == "spaces":
            data = data[:at] + b" " * draw(st.sampled_from([1000, 100_000])) + data[at:]
        elif op == "header_only":
            data = b"".join(lines[: row + 1])
        done.append(op)
    return "+".join(done), data


# --- what every parser must do with whatever it is given ----------------------------------------
def parse_text(data: bytes, kind: str) -> tuple[int, int, int]:
    """(blocks, parsed, rejected) for a text or flat log; asserts the blocks tile the input."""
    stream = io.BytesIO(data)
    if kind == "flat":
        blocks = list(textlog.iter_flat_lines(stream))
        results = [textlog.parse_flat_line(b.data, b.offset, b.line, CTX) for b in blocks]
        covered = sum(len(b.data) for b in blocks)
        assert covered <= len(data)
    else:
        blocks = list(textlog.split_blocks(stream))
        assert sum(len(b.data) for b in blocks) == len(data), "split_blocks lost or invented bytes"
        for a, b in zip(blocks, blocks[1:], strict=False):
            assert a.offset + len(a.data) == b.offset, "blocks are not contiguous"
        results = [textlog.parse_block(b, CTX) for b in blocks]
    return _tally(blocks, results)


def parse_json(data: bytes) -> tuple[int, int, int]:
    blocks = list(jsonlog.iter_json_lines(io.BytesIO(data)))
    results = [jsonlog.parse_json_line(b.data, b.offset, b.line, CTX) for b in blocks]
    return _tally(blocks, results)


def _tally(blocks: list[RawBlock], results: list[object]) -> tuple[int, int, int]:
    parsed = sum(isinstance(r, Parsed) for r in results)
    rejected = sum(isinstance(r, Reject) for r in results)
    assert parsed + rejected == len(blocks) == len(results), "a block gave neither one Parsed nor one Reject"
    for r in results:
        if isinstance(r, Reject):
            assert r.reason, "a reject without a reason"
    return len(blocks), parsed, rejected


def parse_export(name: str, data: bytes) -> tuple[str | None, int, int]:
    """(kind, parsed, rejected); a file-level problem must be an MQTriageError naming the file."""
    kind = sniff_export(name, data[:65536])
    if kind is None:
        return None, 0, 0
    ctx = FileContext(source_path=f"fuzz/{name}")
    parsed = rejected = 0
    for item in read_export(kind, io.BytesIO(data), ctx):
        assert isinstance(item, (Parsed, Reject)), type(item)
        if isinstance(item, Parsed):
            parsed += 1
        else:
            rejected += 1
            assert item.reason
    return kind, parsed, rejected
