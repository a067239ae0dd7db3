"""``textlog.date_samples`` (one scan of a file's head) gives the samples of the block-by-block way."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import textlog

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent


def _by_blocks(data: bytes, limit: int) -> list[tuple[str, str | None]]:
    """The block-by-block samples of the first ``limit`` blocks that hold a header line."""
    samples = []
    count = 0
    for block in textlog.split_blocks(io.BytesIO(data), 0, 1):
        if count >= limit:
            break
        if textlog._HEADER_B.search(block.data) is None:
            continue  # a remnant: no sample, and date_samples does not count it
        count += 1
        sample = textlog.date_sample(block.data)
        if sample is not None:
            samples.append(sample)
    return samples


def _entry(header: str, summary: str, time: str | None, explanation: bytes = b"Why.\n") -> bytes:
    head = f"{header} - Process(7.1) QMgr(QMA)\n" + (f"    Time({time})\n" if time else "")
    return (
        (head + f"\nAMQ9002I: {summary}\n\nEXPLANATION:\n").encode()
        + explanation
        + (b"ACTION:\nNone.\n----- amqrccca.c : 1170 ------\n")
    )


def _text_logs() -> list[Path]:
    found = [*(TESTS / "ingest" / "golden").glob("*.log"), *(REPO / "data").rglob("AMQERR0*.LOG")]
    return sorted(p for p in found if p.is_file())


@pytest.mark.parametrize("chunk", [64, 1000, textlog.CHUNK_SIZE])
def test_same_samples_as_the_blocks_on_every_bundled_log(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(textlog, "CHUNK_SIZE", chunk)
    files = _text_logs()
    assert len(files) >= 10
    for path in files:
        data = path.read_bytes()
        for limit in (1, 4, 5000):
            assert textlog.date_samples(io.BytesIO(data), limit) == _by_blocks(data, limit), (path, limit)


def test_time_after_the_trailer_or_past_4096_bytes_is_not_the_entrys() -> None:
    far = _entry("03/04/26 10:00:00", "Far.", None, b"x" * 5000 + b" Time(2026-03-04T09:00:00.000Z)\n")
    after_trailer = _entry("03/04/26 11:00:00", "Then a remnant.", None)
    remnant = b"Time(2026-04-03T11:00:00.000Z)\n----- amqx.c : 1 ----\n"
    own = _entry("03/04/26 12:00:00", "Own.", "2026-03-04T12:00:00.000Z")
    data = far + after_trailer + remnant + own
    expected = [("03/04/26 10:00:00", None), ("03/04/26 11:00:00", None),
                ("03/04/26 12:00:00", "2026-03-04T12:00:00.000Z")]  # fmt: skip
    assert _by_blocks(data, 5000) == expected
    assert textlog.date_samples(io.BytesIO(data), 5000) == expected


_pieces = st.sampled_from(
    [
        b"11/02/26 05:49:57 - Process(1.1) Time(2026-11-02T05:49:57.123Z)\n",
        b"02.11.2026 06:49:57 - Process(2)\n",
        b"1/2/2026 5:49:57 PM - QMgr(Q)\n",
        b"   Time(2026-11-02T05:49:57.123Z)\n",
        b"xTime(2026-11-02T05:49:57.123Z)\n",
        b"AMQ9002I: Channel 'A' is starting.\n",
        b"\n",
        b"----- amqrmrsa.c : 938 ----------\n",
        b"-----\n",
        b"text (Time(x)) more\n",
        b"11/02/26 05:49:57\n",
        b"11/02/26 05:49:57\r\n",
        b"11/02/26 05:49:57 - \n",
        b"11/02/26 05:49:57 - Time(2026-11-02T05:49:57.123Z)\r\n",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(_pieces, max_size=40), chunk=st.sampled_from([16, 80, 1 << 20]), limit=st.integers(1, 30)
)
def test_same_samples_on_arbitrary_line_mixes(lines: list[bytes], chunk: int, limit: int) -> None:
    old = textlog.CHUNK_SIZE
    textlog.CHUNK_SIZE = chunk
    try:
        data = b"".join(lines)
        assert textlog.date_samples(io.BytesIO(data), limit) == _by_blocks(data, limit)
    finally:
        textlog.CHUNK_SIZE = old


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_pieces, max_size=40))
def test_header_lines_are_the_anchored_matches(lines: list[bytes]) -> None:
    """``sniff``'s header scan from leading newlines ends where the ``^`` pattern's matches end."""
    data = b"".join(lines)
    assert list(textlog._header_line_ends(data)) == [m.end() for m in textlog._HEADER_B.finditer(data)]
