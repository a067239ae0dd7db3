"""The streaming classify stage gives exactly the whole-table result.

``classify(out, max_rows=n)`` reads OUT/events one date partition at a time and classifies slices
of n rows plus their sequence context.  Each test compares its output, row for row and column for
column, with ``classify_frames`` run on the whole table at once (the reference implementation).
Small ``max_rows`` values force many batch boundaries, including inside same-second runs and
across midnight.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import layout, schemas
from pipeline.classify import classify, stream
from pipeline.classify.engine import classify_frames
from pipeline.classify.io import read_dataset, to_table
from pipeline.rules import load_rules

from .helpers import event, status, write_dataset

RULES = load_rules()
MIDNIGHT = pd.Timestamp("2026-11-21 00:00:00", tz="UTC")

R9202 = "AMQ9202E: Remote host 'qmb-dr.example.com (10.2.0.12)(1414)' not available, retry later."
E9202 = ("The attempt to allocate a conversation using TCP/IP to host 'qmb-dr.example.com (10.2.0.12)(1414)' "
         "for channel 'QMA.QMB.DR' was not successful.")
S9002 = "AMQ9002I: Channel 'QMA.QMB.DR' is starting."
P9209 = "AMQ9209E: Connection to host 'lb.example.com (10.1.0.250)' for channel '????' closed."
P9228 = "AMQ9228E: The TCP/IP responder program could not be started."
A9641 = "AMQ9641E: Remote CipherSpec error for channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)'."
A9999 = "AMQ9999E: Channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)' ended abnormally."
A9631 = ("AMQ9631E: The CipherSpec negotiated during the SSL handshake does not match the required CipherSpec "
         "for channel 'QMA.QMB'.")
A9308 = "AMQ9308E: (composed: an error entry whose id is in no rule)"
TEXTS = [R9202, S9002, P9209, P9228, A9641, A9999, A9631, A9308]


def _reference(out: Path) -> pa.Table:
    events = read_dataset(layout.dataset_dir(out, layout.EVENTS))
    status_rows = read_dataset(layout.dataset_dir(out, layout.CHANNEL_STATUS))
    frame = classify_frames(events, status_rows, RULES, model=None).frame
    return to_table(frame).sort_by([("event_id", "ascending")])


def _streamed(out: Path, max_rows: int) -> pa.Table:
    result = classify(out, use_model=False, max_rows=max_rows)
    table = ds.dataset(out / "classified", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == result.rows
    return table.drop_columns(["date"]).sort_by([("event_id", "ascending")])


def _assert_same(reference: pa.Table, streamed: pa.Table) -> None:
    assert streamed.schema.equals(reference.schema)
    assert streamed.num_rows == reference.num_rows
    differing = [c for c in reference.column_names if not streamed[c].equals(reference[c])]
    assert differing == [], differing


def _at(offset_s: float) -> dict[str, pd.Timestamp]:
    return {"timestamp": MIDNIGHT + timedelta(seconds=offset_s)}


def _midnight_rows() -> list[dict]:
    """Sequences whose members sit on both sides of midnight (two date partitions)."""
    return [
        event(R9202, explanation=E9202, arith_insert_1=110, **_at(-0.5)),   # followed_by: start after midnight
        event(S9002, **_at(0.5)),
        event(P9209, comment_insert_3="????", pid=77, **_at(-0.001)),        # pair across midnight
        event(P9228, pid=77, **_at(0.001)),
        event(A9641, pid=88, **_at(-2.0)),                                    # summary: AMQ9999 after midnight
        event(A9999, pid=88, **_at(1.0)),
        event(A9308, pid=99, **_at(3600.0)),
        status("09:09:00", channel="QMA.QMB",
               last_error="AMQ9643E: Remote SSL peer name error for channel 'QMA.QMB' on host 'mqb.example.com (10.1.0.12)(1414)'."),
    ]


def _write(out: Path, rows: list[dict]) -> None:
    events = [r for r in rows if "event_id" in r]
    statuses = [r for r in rows if "status_id" in r]
    write_dataset(out, layout.EVENTS, events)
    if statuses:
        write_dataset(out, layout.CHANNEL_STATUS, statuses)


@pytest.mark.parametrize("max_rows", [1, 2, 3, 1000])
def test_sequences_across_midnight_match_the_whole_table(tmp_path: Path, max_rows: int) -> None:
    out = tmp_path / "out"
    _write(out, _midnight_rows())
    assert sorted(p.name for p in (out / "events").iterdir()) == ["date=2026-11-20", "date=2026-11-21"]
    reference = _reference(out)
    streamed = _streamed(out, max_rows)
    _assert_same(reference, streamed)
    # The comparison is only worth something if the cross-midnight rules fired.
    by_id = dict(zip(streamed["msg_id"].to_pylist(), streamed["rule_id"].to_pylist(), strict=False))
    assert by_id["AMQ9202"] == "seq.amq9202-failover"
    causes = dict(zip(streamed["msg_id"].to_pylist(), streamed["cause"].to_pylist(), strict=False))
    assert causes["AMQ9209"] == causes["AMQ9228"] == "listener_probe"
    summary = streamed.filter(pa.compute.equal(streamed["msg_id"], "AMQ9999"))
    assert summary["context_event_id"].to_pylist()[0] is not None


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), max_rows=st.integers(3, 12))
def test_random_sequences_match_the_whole_table(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                                max_rows: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(5, 25)):
        text = rng.choice(TEXTS)
        extra = {"explanation": E9202, "arith_insert_1": 110} if text is R9202 else {}
        if text is P9209:
            extra["comment_insert_3"] = "????"
        # times cluster around midnight (a few identical ones) so windows cross batch and day edges
        offset = rng.choice([rng.uniform(-90, 90), float(rng.randint(-3, 3))])
        rows.append(event(text, pid=rng.choice([1, 2]), tid=rng.choice([1, 2]), qmgr=rng.choice(["QMA", "QMB"]),
                          **extra, **_at(offset)))
    if rng.random() < 0.3:
        rows.append(event(A9308, timestamp=None))   # date=unknown partition: missing time counts as the epoch
    out = tmp_path_factory.mktemp("rand") / "out"
    write_dataset(out, layout.EVENTS, rows)
    _assert_same(_reference(out), _streamed(out, max_rows))


def test_columns_read_cover_every_rule_field() -> None:
    cols = stream.event_columns(RULES, schemas.EVENTS.names)
    for rule in RULES.of_kind("signal"):
        for src in (*(rule.get("sources") or ()), rule.get("column")):
            assert src is None or src in cols or src not in schemas.EVENTS.names, (rule["id"], src)
    for rule in RULES.of_kind("context"):
        for cond in rule["when"]:
            assert cond.field in cols or cond.field not in schemas.EVENTS.names, (rule["id"], cond.field)
    assert {"timestamp", "source_offset", "pid", "tid", "qmgr", "message", "explanation"} <= set(cols)


def test_context_reach_covers_the_chain_of_sequence_windows() -> None:
    windows = [r["window_seconds"] for r in RULES.of_kind("sequence")]
    assert stream.context_ms(RULES) > max(windows) * 1000 * len(windows)


def test_overlapping_partitions_are_read_as_one_group(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = [event(S9002, at="10:00:00"), event(A9999, at="11:00:00"), event(A9641, at="10:59:59")]
    write_dataset(out, layout.EVENTS, rows[:2])
    # a second, hand-made file in another folder covering the same hour: ranges overlap
    extra = tmp_path / "extra"
    write_dataset(extra, layout.EVENTS, rows[2:])
    moved = out / "events" / "date=2026-11-20-copy"
    (extra / "events" / "date=2026-11-20").rename(moved)
    groups = stream.plan_groups(out / "events")
    assert len(groups) == 1 and groups[0].rows == 3
    _assert_same(_reference(out), _streamed(out, 1))


@pytest.mark.slow
def test_sample_logs_match_the_whole_table(samples_dir: Path, tmp_path: Path) -> None:
    runner = pytest.importorskip("pipeline.ingest.runner")
    out = tmp_path / "out"
    runner.ingest([str(samples_dir)], str(out), runner.IngestOptions())
    reference = _reference(out)
    assert reference.num_rows > 100
    _assert_same(reference, _streamed(out, 37))


@pytest.mark.slow
def test_generated_corpus_matches_the_whole_table(tmp_path: Path) -> None:
    runner = pytest.importorskip("pipeline.ingest.runner")
    corpus = pytest.importorskip("pipeline.samples.corpus")
    logs, out = tmp_path / "logs", tmp_path / "out"
    corpus.write_corpus(logs, 3 * 1024 * 1024, seed=7)
    runner.ingest([str(logs)], str(out), runner.IngestOptions())
    reference = _reference(out)
    assert len({d.name for d in (out / "events").iterdir()}) >= 1
    _assert_same(reference, _streamed(out, 500))
