"""``python -m pipeline.ingest.phases``: the per-phase CPU breakdown used in docs/performance.md."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest import phases
from pipeline.samples.corpus import write_corpus


def test_phases_cover_every_entry_of_a_small_corpus(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 600_000, 3)
    spent, total, entries = phases.measure(Path(corpus.out_dir))
    assert total == corpus.total_bytes
    assert entries == corpus.entries  # every entry of the generated logs parses (no rejects)
    assert {
        "parse text (fastpath)",
        "rows to Arrow arrays",
        "event ids (blake2b)",
        "Parquet encode (zstd)",
    } <= set(spent)
    assert all(seconds >= 0 for seconds in spent.values())
    text = phases.render(spent, total, entries)
    assert f"{entries:,} entries" in text and "| parse text (fastpath) |" in text


def test_usage_message_without_a_folder(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert phases.main([]) == 2
    assert phases.main([str(tmp_path / "missing")]) == 2
    assert "usage" in capsys.readouterr().err
