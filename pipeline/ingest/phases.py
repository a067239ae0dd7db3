"""Where ingest's CPU goes, phase by phase: ``python -m pipeline.ingest.phases CORPUS_DIR``.

Runs the same per-file work as ``mqtriage ingest --jobs 1`` (the text and JSON fast paths, the
date-order pass where a log needs it, Arrow conversion, event ids, the day split and zstd Parquet
encoding into memory) one phase at a time, and prints the CPU seconds of each
(``time.process_time``), per entry and as MB/s of the corpus.  The runner's own bookkeeping
(planning, state, dedup, commit) and the interpreter start are not included: compare the total
with a real run to see them.  Used for the breakdown in ``docs/performance.md``.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.ingest import dates, fastjson, fastpath, ids, textlog, writer
from pipeline.ingest.records import FileContext
from pipeline.ingest.runner import DATE_EVIDENCE_BLOCKS


def measure(corpus: Path) -> tuple[dict[str, float], int, int]:
    """({phase: CPU seconds}, corpus bytes, entries) over the AMQERR* logs under ``corpus``."""
    pa.array(["warm-up"])  # the first conversion imports pandas: a start-up cost, not a per-entry one
    spent: dict[str, float] = {}
    clock = time.process_time

    def timed(phase: str, work: Callable[..., Any], *args: Any) -> Any:
        started = clock()
        result = work(*args)
        spent[phase] = spent.get(phase, 0.0) + clock() - started
        return result

    files = sorted(p for p in corpus.rglob("AMQERR*") if p.is_file())
    total = entries = 0
    for path in files:
        data = path.read_bytes()
        total += len(data)
        ctx = FileContext(str(path), "UTC", "mdy")
        if path.suffix.lower() == ".json":
            batches = timed("parse JSON (fastjson)", _all, fastjson.parse_json_columnar, data, ctx)
        else:
            if b"Time(" not in data[:65536]:  # header times only: the runner needs the date order
                samples = timed("date order: header scan", _samples, data)
                timed("date order: decision", dates.detect_date_order, samples)
            batches = timed("parse text (fastpath)", _all, fastpath.parse_columnar, data, ctx)
        for batch in batches:
            arrays = timed("rows to Arrow arrays", fastpath.row_arrays, batch.rows)
            event_ids = timed("event ids (blake2b)", _event_ids, batch.keys)
            record = timed("split by day", fastpath.record_batch, batch, event_ids, arrays)
            parts = timed("split by day", fastpath.by_partition, record)
            for _day, part in parts:
                timed("Parquet encode (zstd)", _encode, part)
            entries += len(batch.rows)
    return spent, total, entries


def _all(parse: Callable[..., Any], data: bytes, ctx: FileContext) -> list[Any]:
    return list(parse(io.BytesIO(data), ctx))


def _samples(data: bytes) -> list[tuple[str, str | None]]:
    return textlog.date_samples(io.BytesIO(data), DATE_EVIDENCE_BLOCKS)


def _event_ids(keys: list[bytes]) -> list[str]:
    return [ids.event_id(key, 0) for key in keys]


def _encode(part: pa.RecordBatch) -> int:
    """The part as the ingest writer encodes events (zstd, its dictionary and statistics columns)."""
    sink = io.BytesIO()
    statistics = [name for name in part.schema.names if name not in writer.EVENTS_NO_STATISTICS]
    pq.write_table(
        pa.Table.from_batches([part]),
        sink,
        compression="zstd",
        use_dictionary=writer.EVENTS_DICTIONARY,
        write_statistics=statistics,
    )
    return sink.tell()


def render(spent: dict[str, float], total: int, entries: int) -> str:
    cpu = sum(spent.values())
    lines = [
        f"{total / 1e6:.1f} MB, {entries:,} entries: {cpu:.2f} CPU s, {total / 1e6 / cpu:.1f} MB/s",
        "| phase | CPU s | share | us per entry | MB/s alone |",
        "| --- | --- | --- | --- | --- |",
    ]
    for phase, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(
            f"| {phase} | {seconds:.2f} | {seconds / cpu:.0%} | {seconds * 1e6 / max(entries, 1):.1f} "
            f"| {total / 1e6 / seconds:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python -m pipeline.ingest.phases CORPUS_DIR", file=sys.stderr)
        return 2
    print(render(*measure(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
