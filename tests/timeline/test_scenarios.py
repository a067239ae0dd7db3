"""Scenario tests: each seed cause and the four-way diagnosis, both ends of the channel.

Each case is a small classified table written by hand (the entries each end's log holds, as
docs/samples.md describes them) and the episodes we expect, one line per channel end:
(qmgr, channel, start, end, phase, cause, cause_side, resolved, partner_qmgr, local_cause).
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.timeline import episodes_from_classified

from .helpers import attempts, classified, entry, status, ts

SDR_RETRY = 60  # seconds between attempts (SHORTTMR default)


def cipher_then_sslpeer():
    """Rows 1 and 1b: cipher fixed at 08:40, then SSLPEER fails until 09:10."""
    return [
        *attempts("QMA", "QMA.QMB", "08:00:00", SDR_RETRY, 5, ("AMQ9641", "cipher_mismatch"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqb.example.com(1414)"),
        *attempts("QMB", "QMA.QMB", "08:00:00", SDR_RETRY, 5, ("AMQ9631", "cipher_mismatch"),
                  remote_address="10.1.0.11"),
        *attempts("QMA", "QMA.QMB", "08:41:00", SDR_RETRY, 3, ("AMQ9643", "sslpeer_mismatch"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqb.example.com(1414)"),
        *attempts("QMB", "QMA.QMB", "08:41:00", SDR_RETRY, 3, ("AMQ9636", "sslpeer_mismatch")),
        entry("QMA", "09:10:00", "AMQ9002", "channel_started", "QMA.QMB"),
        entry("QMB", "09:10:00", "AMQ9002", "channel_started", "QMA.QMB"),
    ]


def expired_certificate():
    """Row 2: QMB's certificate expired; QMA (responder) validates it and logs AMQ9633 (GSKit 401)."""
    return [
        *attempts("QMA", "QMB.QMA", "10:00:00", SDR_RETRY, 4, ("AMQ9633", "cert_expired"),
                  gskit_rc=401, remote_address="10.1.0.12"),
        *attempts("QMB", "QMB.QMA", "10:00:00", SDR_RETRY, 4, ("AMQ9665", "remote_closed_handshake"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqa.example.com(1414)"),
        entry("QMA", "11:30:00", "AMQ9002", "channel_started", "QMB.QMA"),
        entry("QMB", "11:30:00", "AMQ9002", "channel_started", "QMB.QMA"),
    ]


def missing_intermediate():
    """Row 3: QMA lacks QMC's intermediate CA; its AMQ9633 names channel '????'."""
    return [
        *attempts("QMA", "????", "12:00:00", SDR_RETRY, 3, ("AMQ9633", "cert_untrusted"),
                  gskit_rc=414, remote_address="10.1.0.13"),
        *attempts("QMC", "QMC.QMA", "12:00:00", SDR_RETRY, 3, ("AMQ9665", "remote_closed_handshake"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqa.example.com(1414)"),
    ]


def client_cert_missing():
    """Row 4: QMC requires a client certificate; QMA's CERTLABL names a missing label."""
    return [
        *attempts("QMC", "QMA.QMC", "09:00:00", SDR_RETRY, 3, ("AMQ9637", "client_cert_missing")),
        *attempts("QMA", "QMA.QMC", "09:00:00", SDR_RETRY, 3, ("AMQ9642", "client_cert_missing"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqc.example.com(1414)"),
        entry("QMA", "09:45:00", "AMQ9002", "channel_started", "QMA.QMC"),
        entry("QMC", "09:45:01", "AMQ9002", "channel_started", "QMA.QMC"),
    ]


def tls_version_drift():
    """Row 5: QMC pinned to TLS 1.0; QMB's AMQ9616 names only the remote host."""
    return [
        *attempts("QMB", "QMC.QMB", "14:00:00", SDR_RETRY, 3, ("AMQ9616", "tls_policy_mismatch"),
                  no_channel_for="AMQ9616", remote_address="10.1.0.13",
                  cipher_specs=["TLS_RSA_WITH_AES_128_CBC_SHA"]),
        *attempts("QMC", "QMC.QMB", "14:00:00", SDR_RETRY, 3, ("AMQ9665", "remote_closed_handshake"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqb.example.com(1414)"),
    ]


def sslpeermap_blocked():
    """Row 6: CHLAUTH SSLPEERMAP maps the client's DN to NOACCESS; the client end is a last-error row."""
    return [
        *attempts("QMA", "APP.SVRCONN", "15:00:00", 300, 3, ("AMQ9777", "sslpeermap_blocked"),
                  remote_address="10.1.0.50", peer_dn="CN=legacy-app.example.com,O=Example Corp"),
        status("app01", "15:10:00", "APP.SVRCONN", "RETRYING", "user_auth_failed", mqrc=2035,
               conname="mqa.example.com(1414)"),
    ]


def bind_name_mismatch():
    """Row 8: QMB's sender names a channel QMC does not define."""
    return [
        *attempts("QMB", "QMB.QMC.NEW", "11:00:00", SDR_RETRY, 3, ("AMQ9520", "channel_not_defined"),
                  ("AMQ9999", "channel_ended_abnormally"), conname="mqc.example.com(1414)"),
        *attempts("QMC", "QMB.QMC.NEW", "11:00:00", SDR_RETRY, 3, ("AMQ9519", "channel_not_defined")),
    ]


def connection_refused():
    """Row 7: nothing listens on QMD; AMQ9202 names only the host, the AMQ9999 names the channel."""
    return [
        *attempts("QMA", "QMA.QMD", "16:00:00", SDR_RETRY, 5, ("AMQ9202", "connection_refused"),
                  ("AMQ9999", "channel_ended_abnormally"), no_channel_for="AMQ9202", os_errno=111,
                  conname="mqd.example.com(1414)"),
        status("QMA", "16:03:30", "QMA.QMD", "RETRYING", "unknown", source_format="chstatus",
               conname="mqd.example.com(1414)"),
    ]


CASES = {
    "cipher mismatch, then SSLPEER after the fix": (
        cipher_then_sslpeer,
        [
            ("QMA", "QMA.QMB", "08:00:00", "08:04:01", "handshake", "cipher_mismatch", "remote", False, "QMB", "cipher_mismatch"),
            ("QMB", "QMA.QMB", "08:00:00", "08:04:00", "handshake", "cipher_mismatch", "local", False, "QMA", "cipher_mismatch"),
            ("QMA", "QMA.QMB", "08:41:00", "08:43:01", "post_tls", "sslpeer_mismatch", "remote", True, "QMB", "sslpeer_mismatch"),
            ("QMB", "QMA.QMB", "08:41:00", "08:43:00", "post_tls", "sslpeer_mismatch", "local", True, "QMA", "sslpeer_mismatch"),
        ],
    ),
    "expired certificate": (
        expired_certificate,
        [
            ("QMA", "QMB.QMA", "10:00:00", "10:03:00", "handshake", "cert_expired", "local", True, "QMB", "cert_expired"),
            ("QMB", "QMB.QMA", "10:00:00", "10:03:01", "handshake", "cert_expired", "remote", True, "QMA", "remote_closed_handshake"),
        ],
    ),
    "missing intermediate CA (channel ????)": (
        missing_intermediate,
        [
            ("QMA", "QMC.QMA", "12:00:00", "12:02:00", "handshake", "cert_untrusted", "local", False, "QMC", "cert_untrusted"),
            ("QMC", "QMC.QMA", "12:00:00", "12:02:01", "handshake", "cert_untrusted", "remote", False, "QMA", "remote_closed_handshake"),
        ],
    ),
    "SSLCAUTH(REQUIRED) without a client certificate": (
        client_cert_missing,
        [
            ("QMA", "QMA.QMC", "09:00:00", "09:02:01", "handshake", "client_cert_missing", "local", True, "QMC", "client_cert_missing"),
            ("QMC", "QMA.QMC", "09:00:00", "09:02:00", "handshake", "client_cert_missing", "local", True, "QMA", "client_cert_missing"),
        ],
    ),
    "TLS version drift (AMQ9616 names no channel)": (
        tls_version_drift,
        [
            ("QMB", "QMC.QMB", "14:00:00", "14:02:00", "handshake", "tls_policy_mismatch", "local", False, "QMC", "tls_policy_mismatch"),
            ("QMC", "QMC.QMB", "14:00:00", "14:02:01", "handshake", "tls_policy_mismatch", "remote", False, "QMB", "remote_closed_handshake"),
        ],
    ),
    "SSLPEERMAP block after TLS": (
        sslpeermap_blocked,
        [
            ("QMA", "APP.SVRCONN", "15:00:00", "15:10:00", "post_tls", "sslpeermap_blocked", "local", False, "app01", "sslpeermap_blocked"),
            ("app01", "APP.SVRCONN", "15:10:00", "15:10:00", "post_tls", "user_auth_failed", "local", False, "QMA", "user_auth_failed"),
        ],
    ),
    "bind name mismatch after TLS": (
        bind_name_mismatch,
        [
            ("QMB", "QMB.QMC.NEW", "11:00:00", "11:02:01", "post_tls", "channel_not_defined", "local", False, "QMC", "channel_not_defined"),
            ("QMC", "QMB.QMC.NEW", "11:00:00", "11:02:00", "post_tls", "channel_not_defined", "local", False, "QMB", "channel_not_defined"),
        ],
    ),
    "connection refused before TLS": (
        connection_refused,
        [
            ("QMA", "QMA.QMD", "16:00:00", "16:04:01", "network", "connection_refused", "local", False, None, "connection_refused"),
        ],
    ),
}


def _observed(frame):
    return sorted(
        (
            r.qmgr, r.channel, r.start.strftime("%H:%M:%S"), r.end.strftime("%H:%M:%S"), r.phase, r.cause,
            r.cause_side, bool(r.resolved), r.partner_qmgr, r.local_cause,
        )
        for r in frame.itertuples()
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_scenario(name: str) -> None:
    build, expected = CASES[name]
    result = episodes_from_classified(classified(build()))
    assert _observed(result.episodes) == sorted(expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_partners_point_at_each_other(name: str) -> None:
    build, _ = CASES[name]
    frame = episodes_from_classified(classified(build())).episodes
    ids = dict(zip(frame.episode_id, frame.partner_episode_id, strict=True))
    for mine, theirs in ids.items():
        if theirs is not None:
            assert ids[theirs] == mine


def test_all_scenarios_together_keep_their_episodes() -> None:
    """The day's channels in one table: no episode bleeds into another channel."""
    rows = [row for build, _ in CASES.values() for row in build()]
    result = episodes_from_classified(classified(rows))
    expected = sorted(line for _, lines in CASES.values() for line in lines)
    assert _observed(result.episodes) == expected


@pytest.mark.parametrize("name,resolved_at", [
    ("cipher mismatch, then SSLPEER after the fix", {"08:00:00": None, "08:41:00": "09:10:00"}),
    ("expired certificate", {"10:00:00": "11:30:00"}),
    ("SSLCAUTH(REQUIRED) without a client certificate", {"09:00:00": "09:45:00"}),
])
def test_resolution_times(name: str, resolved_at: dict[str, str | None]) -> None:
    frame = episodes_from_classified(classified(CASES[name][0]())).episodes
    for row in frame.itertuples():
        expected = resolved_at[row.start.strftime("%H:%M:%S")]
        if expected is None:
            assert pd.isna(row.resolved_at)
        else:
            # each end resolves at its own AMQ9002 (QMC's comes a second after QMA's)
            assert row.resolved_at - ts(expected) <= pd.Timedelta(seconds=1)


def test_decisive_entry_is_the_specific_one_not_the_summary() -> None:
    rows = expired_certificate()
    frame = episodes_from_classified(classified(rows)).episodes
    by_qmgr = frame.set_index("qmgr")
    first_9633 = next(r for r in rows if r["msg_id"] == "AMQ9633")
    assert by_qmgr.loc["QMA", "decisive_msg_id"] == "AMQ9633"
    assert by_qmgr.loc["QMA", "decisive_event_id"] == first_9633["event_id"]
    # the echo end reports the partner's entry, and keeps its own reading
    assert by_qmgr.loc["QMB", "decisive_event_id"] == first_9633["event_id"]
    assert list(by_qmgr.loc["QMB", "msg_ids"]) == ["AMQ9665", "AMQ9999"]


def test_summary_defers_to_its_context_entry() -> None:
    cause_row = entry("QMA", "10:00:00", "AMQ9633", "cert_untrusted", None, pid=7, tid=9)
    summary = entry("QMA", "10:00:01", "AMQ9999", "channel_ended_abnormally", "X.Y", pid=8, tid=1,
                    context_event_id=cause_row["event_id"])
    frame = episodes_from_classified(classified([cause_row, summary])).episodes
    assert len(frame) == 1
    assert frame.loc[0, "decisive_event_id"] == cause_row["event_id"]
    assert frame.loc[0, "cause"] == "cert_untrusted"
    assert frame.loc[0, "cause_side"] == "local"


def test_counts_retries_and_status_rows() -> None:
    frame = episodes_from_classified(classified(connection_refused())).episodes
    assert frame.loc[0, "event_count"] == 10
    assert frame.loc[0, "retry_count"] == 5   # failed connection attempts, the first one included
    assert frame.loc[0, "status_rows"] == 1
    assert frame.loc[0, "decisive_msg_id"] == "AMQ9202"
    assert list(frame.loc[0, "msg_ids"]) == ["AMQ9202", "AMQ9999"]


@pytest.mark.parametrize("gap,expected", [("30m", 2), ("2h", 1)])
def test_quiet_gap_splits(gap: str, expected: int) -> None:
    from pipeline.timeline import parse_duration

    rows = [
        *attempts("QMA", "QMA.QMD", "10:00:00", 300, 2, ("AMQ9202", "connection_refused")),
        *attempts("QMA", "QMA.QMD", "11:00:00", 300, 2, ("AMQ9202", "connection_refused")),
    ]
    frame = episodes_from_classified(classified(rows), gap=parse_duration(gap)).episodes
    assert len(frame) == expected
    assert not frame.resolved.any()


def test_operator_stop_ends_unresolved() -> None:
    rows = [
        *attempts("QMA", "QMA.QMD", "10:00:00", 60, 2, ("AMQ9202", "connection_refused")),
        entry("QMA", "10:05:00", "AMQ9534", "channel_stopped", "QMA.QMD"),
        *attempts("QMA", "QMA.QMD", "10:06:00", 60, 2, ("AMQ9202", "connection_refused")),
    ]
    frame = episodes_from_classified(classified(rows)).episodes
    assert len(frame) == 2
    assert not frame.resolved.any()
    assert "stopped" in frame.loc[0, "summary"]


def test_running_status_row_resolves() -> None:
    rows = [
        *attempts("QMA", "QMA.QMD", "10:00:00", 60, 2, ("AMQ9202", "connection_refused")),
        status("QMA", "10:30:00", "QMA.QMD", "RUNNING", "informational", source_format="chstatus"),
    ]
    frame = episodes_from_classified(classified(rows)).episodes
    assert frame.loc[0, "resolved"]
    assert frame.loc[0, "resolved_at"] == ts("10:30:00")


def test_multi_address_failover_is_not_an_episode() -> None:
    """Row 10: AMQ9202 for the first CONNAME address, then the second address works."""
    rows = [
        entry("QMA", "07:30:00", "AMQ9202", "connection_refused", None, pid=5, tid=2, remote_address="qmb-dr.example.com"),
        entry("QMA", "07:30:01", "AMQ9002", "channel_started", "QMA.QMB.DR", pid=5, tid=2,
              conname="qmb-dr.example.com(1414),mqb.example.com(1414)"),
    ]
    result = episodes_from_classified(classified(rows))
    assert result.episodes.empty
    assert result.stats["failovers_dropped"] == 1


def test_listener_probes_stay_out_of_episodes() -> None:
    rows = [
        entry("QMA", f"0{h}:00:00", "AMQ9209", "listener_probe", None, remote_address="10.1.0.250")
        for h in range(3)
    ] + tls_version_drift()
    result = episodes_from_classified(classified(rows))
    assert set(result.episodes.channel) == {"QMC.QMB"}
    probes = [g for g in result.stats["unplaced"] if g["cause"] == "listener_probe"]
    assert probes == [{"qmgr": "QMA", "cause": "listener_probe", "msg_id": "AMQ9209", "remote_address": "10.1.0.250",
                       "count": 3, "first": "2026-11-20 00:00:00", "last": "2026-11-20 02:00:00"}]


def test_channel_less_entry_is_placed_only_near_a_partner_failure() -> None:
    rows = tls_version_drift() + [
        # an hour later no partner is failing: stays unplaced
        entry("QMB", "15:30:00", "AMQ9616", "tls_policy_mismatch", None, remote_address="192.0.2.99", pid=77),
        # in the window, but the address belongs to QMA, not to QMC: the address vetoes
        entry("QMB", "14:00:30", "AMQ9616", "tls_policy_mismatch", None, remote_address="mqa.example.com", pid=78),
        entry("QMA", "06:00:00", "AMQ8003", "informational"),  # QMA's log header names its host
    ]
    result = episodes_from_classified(classified(rows))
    assert sorted(g["remote_address"] for g in result.stats["unplaced"]) == ["192.0.2.99", "mqa.example.com"]
    assert result.stats["attached_by_partner"] == 3


def test_empty_input_gives_an_empty_table_with_the_schema() -> None:
    from pipeline import schemas
    from pipeline.timeline.store import to_table

    result = episodes_from_classified(classified([]))
    assert result.episodes.empty
    assert to_table(result.episodes).schema.equals(schemas.EPISODES)


def test_entry_written_to_text_and_json_logs_counts_once() -> None:
    """QMB writes every entry to AMQERR01.LOG and AMQERR01.json: one entry, not two."""
    rows = expired_certificate()
    copies = [dict(r, event_id=r["event_id"] + "j", source_format="json", source_path="qmb/errors/AMQERR01.json")
              for r in rows if r["qmgr"] == "QMB"]
    result = episodes_from_classified(classified(rows + copies))
    qmb = result.episodes.set_index("qmgr").loc["QMB"]
    assert qmb["event_count"] == 8 and qmb["retry_count"] == 4
    assert result.stats["skipped"]["copies"] == len(copies)


def test_probe_address_entries_are_never_attached_to_a_partner() -> None:
    """A health check's AMQ9228 classified as a network failure must not join QMB.QMA on QMA."""
    rows = expired_certificate() + [
        entry("QMA", "10:01:30", "AMQ9209", "listener_probe", None, remote_address="10.1.0.250", pid=9, tid=4),
        entry("QMA", "10:01:30", "AMQ9228", "connection_reset", None, remote_address="10.1.0.250", pid=9, tid=4),
    ]
    result = episodes_from_classified(classified(rows))
    qma = result.episodes.set_index("qmgr").loc["QMA"]
    assert list(qma["msg_ids"]) == ["AMQ9633"]
    assert {g["msg_id"] for g in result.stats["unplaced"]} == {"AMQ9209", "AMQ9228"}


def test_running_status_row_defers_to_the_log_start_entry() -> None:
    """CHSTATUS gives the start in whole seconds; the AMQ9002 a moment later is the precise time."""
    rows = [
        *attempts("QMA", "QMA.QMC", "09:00:00", 60, 2, ("AMQ9642", "client_cert_missing")),
        status("QMA", "09:45:00", "QMA.QMC", "RUNNING", "informational", source_format="chstatus"),
        entry("QMA", "09:45:00.590", "AMQ9002", "channel_started", "QMA.QMC"),
    ]
    frame = episodes_from_classified(classified(rows)).episodes
    assert frame.loc[0, "resolved_at"] == ts("09:45:00.590")
