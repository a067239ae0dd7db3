"""The benchmark corpus: deterministic, about the size asked, realistic shape, flat memory."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.samples.corpus import MB, write_corpus

HEADER = re.compile(rb"^(\d\d/\d\d/\d\d|\d\d\.\d\d\.\d{4}) \d\d:\d\d:\d\d - Process\(\d+\.\d+\)", re.M)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return write_corpus(tmp_path_factory.mktemp("corpus") / "c", 3 * MB, seed=5)


def test_same_seed_same_bytes(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    again = write_corpus(tmp_path / "again", 3 * MB, seed=5)
    assert again.files == corpus.files
    for rel, _, _ in corpus.files:
        assert (tmp_path / "again" / rel).read_bytes() == (Path(corpus.out_dir) / rel).read_bytes(), rel
    other = write_corpus(tmp_path / "other", 3 * MB, seed=6)
    assert other.files != corpus.files


def test_size_split_and_layout(corpus) -> None:  # type: ignore[no-untyped-def]
    assert 0.97 * 3 * MB <= corpus.total_bytes <= 1.03 * 3 * MB
    json_share = corpus.bytes_of(".json") / corpus.total_bytes
    assert 0.15 <= json_share <= 0.25
    assert corpus.queue_managers == 40 and corpus.episodes > 0
    names = {Path(rel).name for rel, _, _ in corpus.files}
    assert names <= {f"AMQERR0{n}.{ext}" for n in (1, 2, 3) for ext in ("LOG", "json")}
    assert "AMQERR02.LOG" in names, "logs should rotate"
    assert sum(1 for rel, _, _ in corpus.files if rel.endswith("AMQERR01.LOG")) == 40
    tz_files = sorted(Path(corpus.out_dir).glob("*/mqtriage.tz"))
    assert tz_files and {p.read_text().strip() for p in tz_files} == {"Europe/Berlin", "America/New_York"}


def test_entry_counts_match_the_files(corpus) -> None:  # type: ignore[no-untyped-def]
    for rel, size, entries in corpus.files:
        data = (Path(corpus.out_dir) / rel).read_bytes()
        assert len(data) == size
        if rel.endswith(".json"):
            lines = data.splitlines()
            assert len(lines) == entries
            assert all(json.loads(line)["ibm_messageId"].startswith("AMQ") for line in lines[:50])
        else:
            assert len(HEADER.findall(data)) == entries, rel
            assert data.endswith(b"-\n")


def test_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep")
    with pytest.raises(OutputError, match="not empty"):
        write_corpus(tmp_path, MB)


def test_memory_does_not_grow_with_size(tmp_path: Path) -> None:
    peaks = []
    for size in (MB, 4 * MB):
        tracemalloc.start()
        write_corpus(tmp_path / str(size), size, seed=3)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0] + MB, peaks


def test_corpus_parses_without_rejects(corpus) -> None:  # type: ignore[no-untyped-def]
    textlog = pytest.importorskip("pipeline.ingest.textlog")
    jsonlog = pytest.importorskip("pipeline.ingest.jsonlog")
    from pipeline.ingest.records import FileContext, Parsed

    for rel, _, entries in [f for f in corpus.files if "/AMQERR01." in f[0]]:  # every queue manager
        path = Path(corpus.out_dir) / rel
        tz_file = path.parent.parent / "mqtriage.tz"
        ctx = FileContext(source_path=rel, tz=tz_file.read_text().strip() if tz_file.exists() else "UTC")
        data = path.read_bytes()
        if rel.endswith(".json"):
            results = [
                jsonlog.parse_json_line(line, 0, n, ctx) for n, line in enumerate(data.splitlines(True), 1)
            ]
        else:
            results = [textlog.parse_block(b, ctx) for b in textlog.split_blocks(io.BytesIO(data))]
        assert len(results) == entries
        assert all(isinstance(r, Parsed) for r in results), rel
