"""Properties of the episode builder over random channel histories."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import schemas
from pipeline.timeline import episodes_from_classified
from pipeline.timeline.store import to_table

from .helpers import classified, entry

MESSAGES = [
    ("AMQ9631", "cipher_mismatch"), ("AMQ9641", "cipher_mismatch"), ("AMQ9665", "remote_closed_handshake"),
    ("AMQ9633", "cert_untrusted"), ("AMQ9999", "channel_ended_abnormally"), ("AMQ9202", "connection_refused"),
    ("AMQ9002", "channel_started"), ("AMQ9528", "channel_stopped"), ("AMQ9209", "listener_probe"),
    ("AMQ9999", "unknown"),
]

event = st.tuples(
    st.sampled_from(["QMA", "QMB"]),
    st.sampled_from(["QMA.QMB", "QMB.QMA", None]),
    st.integers(min_value=0, max_value=6 * 3600),     # seconds after 08:00
    st.sampled_from(MESSAGES),
    st.integers(min_value=1, max_value=3),           # pid
)


def _rows(events):
    rows = []
    for qmgr, channel, offset, (msg, cause), pid in events:
        hh, rest = divmod(8 * 3600 + offset, 3600)
        mm, ss = divmod(rest, 60)
        rows.append(entry(qmgr, f"{hh:02d}:{mm:02d}:{ss:02d}", msg, cause, channel, pid=pid, tid=1,
                          conname="mqb.example.com(1414)" if qmgr == "QMA" else "mqa.example.com(1414)"))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, max_size=40))
def test_episode_invariants(events) -> None:
    rows = _rows(events)
    result = episodes_from_classified(classified(rows))
    frame = result.episodes
    assert to_table(frame).schema.equals(schemas.EPISODES)
    assert frame.episode_id.is_unique
    assert (frame.start <= frame.end).all()
    assert set(frame.cause_side) <= {"local", "remote", "unknown"}
    assert (frame.resolved == frame.resolved_at.notna()).all()
    assert (frame[frame.resolved].resolved_at >= frame[frame.resolved].end).all()
    by_id = frame.set_index("episode_id")
    for row in frame.itertuples():
        if row.cause_side == "remote":
            assert row.partner_episode_id is not None
        if row.partner_episode_id is not None:
            partner = by_id.loc[row.partner_episode_id]
            assert partner.channel == row.channel and partner.qmgr != row.qmgr
    # episodes of one channel end never overlap
    for _, group in frame.sort_values("start").groupby(["qmgr", "channel"]):
        starts, ends = group.start.tolist(), group.end.tolist()
        assert all(ends[i] <= starts[i + 1] for i in range(len(starts) - 1))
    # no log entry is counted twice
    failures = sum(1 for r in rows if r["phase"] != "info" and r["cause"] != "listener_probe")
    assert frame.event_count.sum() <= failures


@settings(max_examples=20, deadline=None)
@given(st.lists(event, max_size=30), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(events, rnd) -> None:
    rows = _rows(events)
    # Shuffle, but keep rows of one queue manager and millisecond in their input (file) order: within
    # a tie, log order is the only evidence of which entry explains which (a channel-less entry is
    # named by the entry of its process that follows it), so the builder rightly depends on it.
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    position = {id(row): i for i, row in enumerate(rows)}
    slots = sorted(range(len(shuffled)), key=lambda i: (shuffled[i]["qmgr"], shuffled[i]["timestamp"]))
    tied: dict[tuple[object, object], list[int]] = {}
    for i in slots:
        tied.setdefault((shuffled[i]["qmgr"], shuffled[i]["timestamp"]), []).append(i)
    for members in tied.values():
        ordered = sorted((shuffled[i] for i in members), key=lambda row: position[id(row)])
        for i, row in zip(sorted(members), ordered, strict=True):
            shuffled[i] = row
    first = episodes_from_classified(classified(rows)).episodes
    second = episodes_from_classified(classified(shuffled)).episodes
    key = ["qmgr", "channel", "start"]
    # entries of one millisecond keep their input (file) order, so only the order of msg_ids and
    # which of two equally decisive entries is named may differ
    unordered = ["decisive_event_id", "episode_id", "partner_episode_id", "summary", "msg_ids"]
    a = pa.Table.from_pandas(first.sort_values(key).reset_index(drop=True), schema=schemas.EPISODES)
    b = pa.Table.from_pandas(second.sort_values(key).reset_index(drop=True), schema=schemas.EPISODES)
    assert a.drop(unordered).equals(b.drop(unordered))
    assert [sorted(m) for m in a["msg_ids"].to_pylist()] == [sorted(m) for m in b["msg_ids"].to_pylist()]
