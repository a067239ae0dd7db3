"""Sequence rules: the entries around an entry decide it (same process, short window)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.classify.engine import classify_frames
from pipeline.rules import load_rules

from .helpers import event, events_frame, status_frame

R9202 = "AMQ9202E: Remote host 'qmb-dr.example.com (10.2.0.12)(1414)' not available, retry later."
E9202 = "The attempt to allocate a conversation using TCP/IP to host 'qmb-dr.example.com (10.2.0.12)(1414)' for channel 'QMA.QMB.DR' was not successful."
S9002 = "AMQ9002I: Channel 'QMA.QMB.DR' is starting."
P9209 = "AMQ9209E: Connection to host 'lb.example.com (10.1.0.250)' for channel '????' closed."
P9228 = "AMQ9228E: The TCP/IP responder program could not be started."
A9641 = "AMQ9641E: Remote CipherSpec error for channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)'."
A9999 = "AMQ9999E: Channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)' ended abnormally."


def run(*rows: dict) -> pd.DataFrame:
    return classify_frames(events_frame(*rows), status_frame(), load_rules(), model=None).frame


def test_failover_address_followed_by_start_is_not_a_failure() -> None:
    out = run(event(R9202, "07:30:00", explanation=E9202, arith_insert_1=110), event(S9002, "07:30:01"))
    assert out.loc[0, ["phase", "cause", "rule_id"]].tolist() == ["info", "address_failover", "seq.amq9202-failover"]
    assert out.loc[0, "channel"] == "QMA.QMB.DR"   # from the explanation


@pytest.mark.parametrize("later,pid", [("07:32:00", 4242), ("07:30:01", 999)], ids=["too-late", "other-process"])
def test_failover_needs_the_start_soon_and_in_the_same_process(later: str, pid: int) -> None:
    out = run(event(R9202, "07:30:00", explanation=E9202, arith_insert_1=111), event(S9002, later, pid=pid))
    assert out.loc[0, ["phase", "cause"]].tolist() == ["network", "connection_refused"]


def test_listener_probe_marks_both_entries() -> None:
    out = run(event(P9209, "06:10:00.100", comment_insert_3="????"), event(P9228, "06:10:00.102"))
    assert out["cause"].tolist() == ["listener_probe", "listener_probe"]
    assert out["rule_id"].tolist() == ["seq.listener-probe"] * 2
    assert out.loc[0, "remote_address"] == "10.1.0.250"


def test_a_named_channel_closing_is_not_a_probe() -> None:
    out = run(event("AMQ9209E: Connection to host 'app01 (10.1.0.50)' for channel 'APP.SVRCONN' closed.", "06:10:00",
                    channel="APP.SVRCONN"), event(P9228, "06:10:00.002"))
    assert out.loc[0, "cause"] == "connection_reset"
    assert out.loc[1, "rule_id"] == "msg.amq9228"     # the base rule, lower confidence
    assert out.loc[1, "confidence"] < 0.9


def test_probe_pair_too_far_apart_is_not_joined() -> None:
    out = run(event(P9209, "06:10:00"), event(P9228, "06:10:30"))
    assert out.loc[0, "rule_id"] == "msg.amq9209"


def test_amq9999_keeps_its_cause_and_points_at_the_specific_entry() -> None:
    rows = [event(A9641, "08:00:00", channel="QMA.QMB"), event(A9999, "08:00:00", channel="QMA.QMB")]
    out = run(*rows)
    assert out.loc[1, ["phase", "cause", "rule_id"]].tolist() == ["other", "channel_ended_abnormally", "msg.amq9999"]
    assert out.loc[1, "context_event_id"] == rows[0]["event_id"]


def test_amq9999_context_accepts_a_channel_less_entry_of_the_same_thread() -> None:
    rows = [event("AMQ9208: Error on receive from host 6-086 (172.16.6.86).", "09:23:27", tid=4),
            event("AMQ9999: Channel 'SYSTEM.DEF.SVRCONN' to host '172.16.6.86' ended abnormally.", "09:23:27", tid=4)]
    out = run(*rows)
    assert out.loc[1, "context_event_id"] == rows[0]["event_id"]


@pytest.mark.parametrize("change", [dict(tid=9), dict(channel="QMA.QMC"), dict(at="08:01:00")],
                         ids=["other-thread", "other-channel", "outside-window"])
def test_amq9999_context_needs_same_thread_channel_and_window(change: dict) -> None:
    first = dict(at="08:00:00", channel="QMA.QMB", tid=1)
    first.update({k: v for k, v in change.items() if k != "at"})
    rows = [event(A9641, **first), event(A9999, change.get("at", "08:00:00"), channel="QMA.QMB", tid=1)]
    out = run(*rows)
    assert pd.isna(out.loc[1, "context_event_id"])


def test_amq9638_inherits_the_cause_before_it() -> None:
    rows = [event("AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.", "10:00:00", arith_insert_1=401),
            event("AMQ9638E: SSL communications error for channel 'QMB.QMA'.", "10:00:00")]
    out = run(*rows)
    assert out.loc[1, ["phase", "cause", "rule_id"]].tolist() == ["handshake", "cert_expired", "seq.amq9638-inherit"]
    assert out.loc[1, "context_event_id"] == rows[0]["event_id"]


def test_amq9638_alone_stays_generic() -> None:
    out = run(event("AMQ9638E: SSL communications error for channel '????'.", "10:00:00"))
    assert out.loc[0, ["cause", "rule_id"]].tolist() == ["handshake_other", "msg.amq9638"]


def test_entries_without_time_or_pid_do_not_break_sequence_rules() -> None:
    rows = [event(P9209, "06:10:00", pid=None, tid=None), event(P9228, "06:10:00", pid=None, tid=None),
            event(A9999, "08:00:00", pid=None, tid=None)]
    rows[2]["timestamp"] = None
    out = run(*rows)
    assert len(out) == 3
    assert out.loc[0, "cause"] == "listener_probe"


# --- property: any mix of rows gives one decision per row, consistent with the vocabulary -----------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

IDS = ["AMQ9202", "AMQ9002", "AMQ9209", "AMQ9228", "AMQ9999", "AMQ9638", "AMQ9633", "AMQ9777", "AMQ9308", "AMQ5051", None]
row_strategy = st.fixed_dictionaries({
    "msg_id": st.sampled_from(IDS),
    "severity": st.sampled_from(["I", "W", "E", None]),
    "second": st.integers(0, 90),
    "pid": st.sampled_from([1, 2, None]),
    "channel": st.sampled_from(["QMA.QMB", "????", None]),
    "arith_insert_1": st.sampled_from([None, 111, 401, 414, 10054]),
    "comment_insert_3": st.sampled_from([None, "SSLPEER(CN=x)", "CLNTUSER(u)"]),
})


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(row_strategy, min_size=1, max_size=12))
def test_any_rows_get_one_consistent_decision(rows: list[dict]) -> None:
    built = []
    for r in rows:
        text = f"{r['msg_id']}{r['severity'] or ''}: text" if r["msg_id"] else "no id here"
        built.append(event(text, f"08:00:{r['second'] % 60:02d}", pid=r["pid"], channel=r["channel"],
                           arith_insert_1=r["arith_insert_1"], comment_insert_3=r["comment_insert_3"]))
    out = run(*built)
    rs = load_rules()
    assert len(out) == len(built)
    assert out["event_id"].tolist() == [b["event_id"] for b in built]
    for cause, phase, method, rule_id in out[["cause", "phase", "method", "rule_id"]].itertuples(index=False):
        assert cause in rs.causes and rs.phase_of(cause) == phase
        assert (method == "rule") == (cause != "unknown") and (method == "rule") == isinstance(rule_id, str)
    ids = set(out["event_id"])
    assert set(out["context_event_id"].dropna()) <= ids
