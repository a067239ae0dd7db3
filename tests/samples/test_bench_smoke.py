"""The benchmark machinery on a tiny corpus: every row present, doc rendered.  No timing checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import bench
from pipeline.errors import InputError
from pipeline.samples.corpus import MB


@pytest.mark.parametrize(
    "text,value",
    [("256MB", 256 * MB), ("2MB", 2 * MB), ("512K", 512 * 1024), ("1.5 MiB", int(1.5 * MB)), ("4096", 4096)],
)
def test_parse_size(text: str, value: int) -> None:
    assert bench.parse_size(text) == value


def test_parse_size_rejects_junk() -> None:
    with pytest.raises(InputError, match="not a size"):
        bench.parse_size("lots")


def test_run_measured_reports_exit_and_rss() -> None:
    ok = bench.run_measured([sys.executable, "-c", "x = bytearray(64 * 1024 * 1024); print(len(x))"])
    assert ok.exit_code == 0 and ok.stdout.strip() == str(64 * MB)
    assert ok.max_rss_kb >= 64 * 1024
    failed = bench.run_measured([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert failed.exit_code == 3


def test_bench_on_a_2mb_corpus(tmp_path: Path) -> None:
    # Only the ingest stage runs here (the whole pipeline takes too long for the suite); the
    # other stage rows must still be there, each with its reason.
    result = bench.run_bench(
        2 * MB, repeat=1, memory_sizes=(MB // 2, MB), workdir=tmp_path, stages=("ingest",)
    )
    names = [r.name for r in result.rows]
    assert names == list(bench.ROW_NAMES)
    for row in result.rows[:2]:
        assert row.ok and row.wall is not None and row.rss_mb is not None
    grep_counts = sum(int(line.rsplit(":", 1)[1]) for line in result.row(bench.GREP).runs[0].stdout.split())
    naive_entries = int(result.row(bench.NAIVE).runs[0].stdout.split()[0])
    assert naive_entries == result.corpus.entries
    assert grep_counts >= result.corpus.entries
    for row in result.rows[2:]:
        assert row.ok or row.note, f"{row.name}: neither a measurement nor a reason"
    assert result.row("mqtriage classify").note == "skipped (--stages)"
    assert [p.size_bytes for p in result.memory] == [MB // 2, MB]
    assert all(p.run.note == "skipped (--stages)" and p.ingest.ok for p in result.memory)
    targets = {row[0].split(" >=")[0].split(" <")[0]: row for row in bench.target_rows(result)}
    assert targets["run"][2] == "not measured" and targets["ingest --jobs 1"][2] in ("met", "NOT met")
    assert targets["ingest --jobs 2"][1].endswith("x")
    assert any(row[0].startswith("peak RSS not growing") for row in targets.values())
    text = bench.render_text_table(result)
    doc = bench.render_markdown(result)
    for name in bench.ROW_NAMES:
        assert name in text and f"| {name} |" in doc
    assert "## Targets" in doc and "target: run >= 40 MB/s" in text
    assert "nproc" in doc and result.machine["cpu"] in doc


def test_cli_writes_the_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {}

    def fake_run_bench(size, repeat, sizes, workdir, seed, stages):  # type: ignore[no-untyped-def]
        calls.update(size=size, repeat=repeat, sizes=sizes, stages=stages)
        raise InputError("stop here")

    monkeypatch.setattr(bench, "run_bench", fake_run_bench)
    result = CliRunner().invoke(
        bench.main, ["--size", "2MB", "--repeat", "1", "--memory-sizes", "none", "--stages", "ingest,run"]
    )
    assert result.exit_code == 1 and "stop here" in result.output
    assert calls == {"size": 2 * MB, "repeat": 1, "sizes": [], "stages": ["ingest", "run"]}
