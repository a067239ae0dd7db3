"""The bounded-memory path (``scan`` + ``episodes_from_scan``, used by ``build_timeline``) gives the
same episodes and statistics as building every row (``episodes_from_classified``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.timeline import (
    build_timeline,
    episodes_from_classified,
    episodes_from_scan,
    frame_slices,
    scan_slices,
)
from pipeline.timeline.store import read_classified, read_stats

from .helpers import classified, entry, status
from .test_properties import MESSAGES
from .test_scenarios import CASES


def _same(frame: pd.DataFrame, slice_rows: int | None = None, batch_rows: int = 7) -> None:
    plain = episodes_from_classified(frame)
    streamed = episodes_from_scan(scan_slices(frame_slices(frame, slice_rows, batch_rows)))
    pd.testing.assert_frame_equal(streamed.episodes, plain.episodes)
    assert json.dumps(streamed.stats, sort_keys=True, default=str) == json.dumps(plain.stats, sort_keys=True,
                                                                                 default=str)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("slice_rows", [None, 5])
def test_scenarios_stream_to_the_same_episodes(name: str, slice_rows: int | None) -> None:
    _same(classified(CASES[name][0]()), slice_rows)


def test_all_scenarios_together_with_copies_and_probes() -> None:
    rows = [row for build, *_ in CASES.values() for row in build()]
    copies = [dict(row, event_id=row["event_id"] + "j", source_path=row["source_path"].replace(".LOG", ".json"))
              for row in rows[::3]]
    probes = [entry("QMA", f"10:0{i}:00", "AMQ9209", "listener_probe", remote_address="10.9.9.9") for i in range(5)]
    probes += [entry("QMB", f"10:0{i}:30", "AMQ9228", "listener_probe", remote_address="10.9.9.9") for i in range(3)]
    info = [entry("QMA", "09:00:00", "AMQ8003", "informational"),
            status("QMB", "09:30:00", "QMA.QMB", "RUNNING", "channel_started", remote_address="10.1.1.1")]
    _same(classified(rows + copies + probes + info), slice_rows=11, batch_rows=4)


def test_summary_pointing_at_an_info_row_and_orphans_named_by_info_rows() -> None:
    # An AMQ9999 whose context is an informational row (kept only by the scan's second pass), and
    # a channel-less failure named by an info row's context link.
    cause = entry("QMA", "10:00:00", "AMQ8004", "informational", "QMA.QMB")
    summary = entry("QMA", "10:00:01", "AMQ9999", "channel_ended_abnormally", "QMA.QMB",
                    context_event_id=cause["event_id"])
    orphan = entry("QMB", "10:00:02", "AMQ9202", "host_unreachable", None, pid=7, tid=3)
    namer = entry("QMB", "10:00:03", "AMQ8004", "informational", "QMA.QMB", context_event_id=orphan["event_id"])
    late = entry("QMB", "11:00:00", "AMQ9202", "host_unreachable", None, pid=8, tid=3)
    _same(classified([summary, orphan, late, cause, namer]), slice_rows=2, batch_rows=1)


event = st.tuples(
    st.sampled_from(["QMA", "QMB", None]),
    st.sampled_from(["QMA.QMB", "QMB.QMA", "????", None]),
    st.integers(min_value=0, max_value=3 * 24 * 3600),   # seconds after midnight, over three days
    st.sampled_from(MESSAGES + [("AMQ8003", "informational"), ("AMQ9001", "channel_ended")]),
    st.integers(min_value=1, max_value=3),
    st.booleans(),                                       # also written to the .json log
    st.sampled_from([None, "10.9.9.9", "mqb.example.com"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, max_size=40), st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=5),
       st.booleans())
def test_random_histories_stream_to_the_same_episodes(events, slice_rows: int, batch_rows: int, by_time: bool) -> None:
    rows = []
    base = pd.Timestamp("2026-11-20", tz="UTC")
    for qmgr, channel, offset, (msg, cause), pid, copied, remote in events:
        row = entry(qmgr or "QMA", "00:00:00", msg, cause, channel, pid=pid, tid=1, remote_address=remote,
                    conname="mqb.example.com(1414)" if qmgr == "QMA" else None)
        row.update(timestamp=base + pd.Timedelta(seconds=offset), qmgr=qmgr)
        rows.append(row)
        if copied:
            rows.append(dict(row, event_id=row["event_id"] + "j", source_path="qma/errors/AMQERR01.json"))
    if by_time:   # as the classify stage writes them: slices hold few days, so copy keys are forgotten
        rows.sort(key=lambda row: row["timestamp"])
    for i, row in enumerate(rows):   # a few summaries pointing back at an earlier row
        if row["msg_id"] == "AMQ9999" and i:
            row["context_event_id"] = rows[i - 1]["event_id"]
    _same(classified(rows), slice_rows, batch_rows)


def test_generated_corpus_streams_to_the_same_episodes(tmp_path: Path) -> None:
    from pipeline.classify import classify
    from pipeline.ingest.runner import IngestOptions, ingest
    from pipeline.samples.corpus import write_corpus

    write_corpus(tmp_path / "corpus", 2 * 1024 * 1024, seed=3)
    out = tmp_path / "out"
    ingest([str(tmp_path / "corpus")], str(out), IngestOptions(tz="UTC", jobs=1))
    classify(out, use_model=False)
    built = build_timeline(out)
    plain = episodes_from_classified(read_classified(out))
    assert len(built.episodes) > 10 and built.stats["skipped"]["copies"] > 0
    pd.testing.assert_frame_equal(built.episodes, plain.episodes)
    assert read_stats(out) == json.loads(json.dumps(plain.stats, default=str))
    stored = pq.read_table(out / "episodes" / "episodes.parquet")
    assert stored.num_rows == len(plain.episodes)
