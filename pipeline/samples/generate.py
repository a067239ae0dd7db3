"""Write the sample scenario to a folder: logs, exports, ``mqtriage.tz`` and ``EXPECTED.md``.

``sample_files()`` returns every file as (relative path, bytes) without touching the disk;
``generate(out)`` writes them.  ``config/`` under the folder belongs to preflight and is never
touched here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.samples import export_files
from pipeline.samples.render import QueueManager, render_json, render_text
from pipeline.samples.scenario import QMA, QMB, QMC, Scenario, build

# QMA's ErrorLogSize (qm.ini QMErrorLog): small, so that the day rotates once, in the middle of
# episode 2.  MQ's minimum is 32768 bytes.
QMA_ERROR_LOG_SIZE = 307200


@dataclass(frozen=True)
class SampleFile:
    path: str  # relative, with "/" separators
    data: bytes
    entries: int  # log entries or export rows/blocks; 0 for other files
    kind: str  # text | json | csv | chstatus | amqsevt_json | tz | doc
    encoding: str
    first: datetime | None = None
    last: datetime | None = None


def _rotate(blocks: list[str], size: int) -> tuple[list[str], list[str]]:
    """Split like MQ: AMQERR01 grows to ``size``, is renamed AMQERR02 and a new AMQERR01 starts."""
    used = 0
    for i, block in enumerate(blocks):
        n = len(block.encode("utf-8"))
        if used + n > size:
            return blocks[:i], blocks[i:]
        used += n
    return blocks, []


def _text_file(path: str, qm: QueueManager, sc: Scenario, encoding: str) -> SampleFile:
    entries = sc.sorted_entries(qm.name)
    data = "".join(render_text(qm, e) for e in entries).encode(encoding)
    return SampleFile(path, data, len(entries), "text", encoding, entries[0].when, entries[-1].when)


def sample_files() -> list[SampleFile]:
    sc = build()
    files: list[SampleFile] = []

    qma = sc.sorted_entries("QMA")
    older, newer = _rotate([render_text(QMA, e) for e in qma], QMA_ERROR_LOG_SIZE)
    if not newer or len("".join(newer).encode("utf-8")) > QMA_ERROR_LOG_SIZE:
        raise OutputError(f"QMA's log does not rotate exactly once at {QMA_ERROR_LOG_SIZE} bytes")
    n_old = len(older)
    files.append(
        SampleFile(
            "qma/errors/AMQERR02.LOG",
            "".join(older).encode("utf-8"),
            n_old,
            "text",
            "utf-8",
            qma[0].when,
            qma[n_old - 1].when,
        )
    )
    files.append(
        SampleFile(
            "qma/errors/AMQERR01.LOG",
            "".join(newer).encode("utf-8"),
            len(newer),
            "text",
            "utf-8",
            qma[n_old].when,
            qma[-1].when,
        )
    )

    qmb = sc.sorted_entries("QMB")
    files.append(_text_file("qmb/errors/AMQERR01.LOG", QMB, sc, "utf-8"))
    epoch_us = [int(e.when.timestamp() * 1_000_000) for e in qmb]
    json_lines = [
        render_json(QMB, e, f"{us}_{1_407_220_000 + 3 * i}")
        for i, (e, us) in enumerate(zip(qmb, epoch_us, strict=True))
    ]
    files.append(
        SampleFile(
            "qmb/errors/AMQERR01.json",
            "".join(json_lines).encode("utf-8"),
            len(qmb),
            "json",
            "utf-8",
            qmb[0].when,
            qmb[-1].when,
        )
    )

    files.append(_text_file("qmc/errors/AMQERR01.LOG", QMC, sc, "cp1252"))
    files.append(SampleFile("qmc/mqtriage.tz", f"{QMC.tz}\n".encode("ascii"), 0, "tz", "ascii"))

    rows = sc.export_rows
    files.append(
        SampleFile(
            "exports/last_error.csv",
            export_files.last_error_csv(rows).encode("utf-8"),
            len(rows),
            "csv",
            "utf-8",
            min(r.last_error_time for r in rows),
            max(r.last_error_time for r in rows),
        )
    )
    files.append(
        SampleFile(
            "exports/QMA.chstatus.txt",
            export_files.chstatus_text("QMA", sc.chstatus).encode("utf-8"),
            len(sc.chstatus),
            "chstatus",
            "utf-8",
        )
    )
    files.append(
        SampleFile(
            "exports/QMB.events.json",
            export_files.amqsevt_json(sc.events).encode("utf-8"),
            len(sc.events),
            "amqsevt_json",
            "utf-8",
            sc.events[0].when,
            sc.events[-1].when,
        )
    )

    from pipeline.samples.expected import expected_markdown

    files.append(SampleFile("EXPECTED.md", expected_markdown(sc, files).encode("utf-8"), 0, "doc", "utf-8"))
    return files


def generate(out: str | Path) -> list[SampleFile]:
    """Write the samples below ``out`` (created if needed); returns what was written."""
    root = Path(out)
    files = sample_files()
    try:
        for f in files:
            target = root / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.data)
    except OSError as exc:
        raise OutputError(f"cannot write the samples under {root}: {exc}") from exc
    return files


def message_counts(sc: Scenario) -> dict[str, Counter[str]]:
    return {qm: Counter(e.msg_id for e in sc.entries[qm]) for qm in sorted(sc.entries)}
