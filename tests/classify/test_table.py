"""Table-driven classification: real entry text in, expected phase/cause/signals out, one line per case.

Texts come from the reference fact base (mq-facts), the Nastel and Elastic peer fixtures and the
sample scenario.  All cases run through the engine in one call, each on its own queue manager.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pipeline.classify.engine import classify_frames
from pipeline.rules import load_rules

from .helpers import event, events_frame, status, status_frame

DN_QMA = "CN=qma.example.com,OU=MQ,O=Example Corp,C=GB"
CERT_9633 = "[Class=]GSKVALMethod::X509[Issuer=]CN=Example Issuing CA 2,O=Example Corp[#=]1f2e[Subject=]CN=qmc.example.com,O=Example Corp"
JAVA_CHAIN = ("JMSWMQ0018: Failed to connect to queue manager 'QMA' with connection mode 'Client' and host name "
              "'mqa.example.com(1414)'.\nCaused by: com.ibm.mq.MQException: JMSCMQ0001: IBM MQ call failed with "
              "compcode '2' ('MQCC_FAILED') reason '2397' ('MQRC_JSSE_ERROR').\nCaused by: "
              "com.ibm.mq.jmqi.JmqiException: CC=2;RC=2397;AMQ9771: SSL handshake failed. [1=javax.net.ssl."
              "SSLHandshakeException[{inner}],3=mqa.example.com/10.1.0.11:1414 (mqa.example.com),"
              "4=SSLSocket.startHandshake,5=default]")

# (text, extra event columns, expected classified columns)
EVENT_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("AMQ9631E: The CipherSpec negotiated during the SSL handshake does not match the required CipherSpec for channel 'QMA.QMB'.",
     dict(channel="QMA.QMB", comment_insert_1="QMA.QMB", comment_insert_2="TLS_RSA_WITH_AES_128_CBC_SHA256", comment_insert_3="ECDHE_RSA_AES_256_GCM_SHA384"),
     dict(phase="handshake", cause="cipher_mismatch", cipher_specs=["TLS_RSA_WITH_AES_128_CBC_SHA256", "ECDHE_RSA_AES_256_GCM_SHA384"], tls_protocol="TLSv1.2")),
    ("AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.", dict(arith_insert_1=401, comment_insert_1="QMB.QMA"),
     dict(phase="handshake", cause="cert_expired", gskit_rc=401, gskit_name="GSK_ERROR_BAD_DATE", rule_id="ctx.amq9633.expired")),
    ("AMQ9633E: Bad SSL certificate for channel 'QMC.QMA'.", dict(arith_insert_1=414, arith_insert_2=575010, comment_insert_2=CERT_9633, comment_insert_3="mqc.example.com (10.1.0.13)(1414)"),
     dict(phase="handshake", cause="cert_untrusted", cert_validation_code=575010, issuer_dn="CN=Example Issuing CA 2,O=Example Corp",
          peer_dn="CN=qmc.example.com,O=Example Corp", remote_address="10.1.0.13", remote_port=1414)),
    ("AMQ9633: Bad SSL certificate for channel 'QMC.QMA'.", {}, dict(phase="handshake", cause="handshake_other", gskit_rc=None)),
    ("AMQ9637: Channel is lacking a certificate.", dict(explanation="The channel is 'QMA.QMC'; in some cases its name cannot be determined."),
     dict(phase="handshake", cause="client_cert_missing", channel="QMA.QMC")),
    ("AMQ9642E: No SSL or TLS certificate for channel 'QMA.QMC'.", {}, dict(phase="handshake", cause="client_cert_missing", channel="QMA.QMC")),
    ("AMQ9616E: The CipherSpec 'TLS_RSA_WITH_AES_128_CBC_SHA' proposed by remote host 'mqc.example.com (10.1.0.13)' is not enabled.",
     dict(comment_insert_1="TLS_RSA_WITH_AES_128_CBC_SHA", comment_insert_2="mqc.example.com (10.1.0.13)"),
     dict(phase="handshake", cause="tls_policy_mismatch", tls_protocol="TLSv1.0", remote_address="10.1.0.13", channel=None)),
    ("AMQ9636E: SSL distinguished name does not match peer name, channel 'QMA.QMB'.", dict(comment_insert_2=DN_QMA),
     dict(phase="post_tls", cause="sslpeer_mismatch", peer_dn=DN_QMA)),
    ("AMQ9643E: Remote SSL peer name error for channel 'QMA.QMB' on host 'mqb.example.com (10.1.0.12)(1414)'.", {},
     dict(phase="post_tls", cause="sslpeer_mismatch", remote_address="10.1.0.12", remote_port=1414)),
    ("AMQ9777E: Channel was blocked", dict(comment_insert_1="APP.SVRCONN", comment_insert_2="app01.example.com (10.1.0.50)", comment_insert_3="SSLPEER(CN=legacy-app.example.com,O=Example Corp)"),
     dict(phase="post_tls", cause="sslpeermap_blocked", chlauth_type="SSLPEERMAP", peer_dn="CN=legacy-app.example.com,O=Example Corp", remote_address="10.1.0.50")),
    ("AMQ9777E: Channel was blocked", dict(comment_insert_3="CLNTUSER(jochen)"),
     dict(phase="post_tls", cause="chlauth_blocked", chlauth_type="USERMAP", chlauth_values="CLNTUSER(jochen)")),
    ("AMQ9776E: Channel was blocked by userid", dict(comment_insert_2="mqm"), dict(phase="post_tls", cause="chlauth_blocked", chlauth_type="BLOCKUSER")),
    ("AMQ9202E: Remote host 'mqd.example.com (10.1.0.14)(1414)' not available, retry later.", dict(arith_insert_1=111, arith_insert_2=111),
     dict(phase="network", cause="connection_refused", os_errno=111, remote_address="10.1.0.14", remote_port=1414)),
    ("AMQ9202E: Remote host 'mqd.example.com (10.1.0.14)(1414)' not available, retry later.", dict(arith_insert_1=110),
     dict(phase="network", cause="host_unreachable", os_errno=110)),
    ("AMQ9202: Remote host 'mqd (10.1.0.14)(1414)' not available, retry later.", dict(action="The return code from the TCP/IP (connect) call was 10061 (X'274D')."),
     dict(phase="network", cause="connection_refused", os_errno=10061)),
    ("AMQ9520E: Channel not defined remotely.", dict(channel="QMB.QMC.NEW"), dict(phase="post_tls", cause="channel_not_defined")),
    ("AMQ9519: Channel 'QMB.QMC.NEW' not found.", {}, dict(phase="post_tls", cause="channel_not_defined", channel="QMB.QMC.NEW")),
    ("AMQ9660E: SSL key repository: password incorrect or, stash file absent or unusable.", {}, dict(phase="handshake", cause="keystore_error")),
    ("AMQ9635E: Channel 'SYSTEM.DEF.SVRCONN' did not specify a valid CipherSpec.", dict(comment_insert_2="TLS_RSA_WITH_NULL_SHA256"),
     dict(phase="handshake", cause="cipher_invalid", cipher_specs=["TLS_RSA_WITH_NULL_SHA256"])),
    ("AMQ9557: Queue Manager User ID initialization failed for 'slabs'.", dict(explanation="The call to initialize the User ID 'slabs' failed with CompCode 2 and Reason 2035."),
     dict(phase="post_tls", cause="user_auth_failed", mqrc=2035, mqrc_name="MQRC_NOT_AUTHORIZED")),
    ("AMQ9507: Channel 'TO_CL.T2' is currently in-doubt.", {}, dict(phase="other", cause="other_failure", channel="TO_CL.T2")),
    ("AMQ5051: The queue manager task 'LOGGER-IO' has started.", {}, dict(phase="info", cause="informational")),
    ("AMQ6184W: An internal IBM MQ error has occurred on queue manager QM1.", {}, dict(phase="other", cause="other_failure")),
    ("AMQ9208: Error on receive from host 6-086 (172.16.6.86).", dict(action="The return code from the TCP/IP recv() call was 10054 (X'2746'). Record these values and tell the systems administrator."),
     dict(phase="network", cause="connection_reset", os_errno=10054, remote_address="172.16.6.86")),
    ("AMQ9654E: Validation checks for the remote personal certificate failed. The channel did not start.", dict(arith_insert_1=8, comment_insert_1="QMR01.QM01", comment_insert_2="gsk_get_cert_by_label"),
     dict(phase="handshake", cause="cert_untrusted", gskit_rc=8)),
    ("AMQ9782E: (composed: a connection from address '10.9.9.9' blocked by CHLAUTH BLOCKADDR)", {}, dict(phase="network", cause="address_blocked", chlauth_type="BLOCKADDR", confidence=0.6)),
    ("CSQX202E +CSQX CSQXRCTL Connection or remote listener unavailable, channel QMZ.QMA connection 10.1.0.11(1414) TRPTYPE=TCP RC=00000468 (ECONNREFUSED) reason=00000000", {},
     dict(phase="network", cause="connection_refused", os_errno=1128, msg_id="CSQX202", channel="QMZ.QMA")),
    ("AMQ9999E: Channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)' ended abnormally.", {},
     dict(phase="other", cause="channel_ended_abnormally", context_event_id=None)),
    ("AMQ9308E: (composed: an error entry whose id is in no rule)", {}, dict(phase="other", cause="unknown", method="none", rule_id=None)),
    ("AMQ9207E: The data received from host '10.212.128.113' on channel '????' is not valid.", dict(comment_insert_3="????"),
     dict(phase="network", cause="listener_probe", remote_address="10.212.128.113", channel=None)),
    ("AMQ9716E: Remote SSL certificate revocation status check failed for channel 'QMA.QMB'.", {}, dict(phase="handshake", cause="cert_revocation")),
    ("AMQ9665: SSL connection closed by remote end of channel 'QMC.QMA'.", {}, dict(phase="handshake", cause="remote_closed_handshake", confidence=0.6)),
    ("AMQ9641E: Remote CipherSpec error for channel 'QMA.QMB' to host 'mqb.example.com (10.1.0.12)(1414)'.", {}, dict(phase="handshake", cause="cipher_mismatch")),
    ("AMQ9002I: Channel 'QMA.QMB' is starting.", {}, dict(phase="info", cause="channel_started", method="rule")),
    ("JMSCMQ0001: IBM MQ call failed with compcode '2' ('MQCC_FAILED') reason '2540' ('MQRC_UNKNOWN_CHANNEL_NAME').", {},
     dict(phase="post_tls", cause="channel_not_defined", mqrc=2540, msg_id="JMSCMQ0001")),
]

STATUS_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (dict(last_error=JAVA_CHAIN.format(inner="Received fatal alert: certificate_unknown"), channel="APP.SVRCONN"),
     dict(phase="handshake", cause="cert_untrusted", msg_id="AMQ9771", mqrc=2397, mqrc_name="MQRC_JSSE_ERROR", rule_id="status.jsse.cert-rejected")),
    (dict(last_error=JAVA_CHAIN.format(inner="PKIX path building failed: unable to find valid certification path to requested target")),
     dict(phase="handshake", cause="cert_untrusted", rule_id="status.jsse.pkix-path")),
    (dict(last_error=JAVA_CHAIN.format(inner="No appropriate protocol (protocol is disabled or cipher suites are inappropriate)")),
     dict(phase="handshake", cause="tls_policy_mismatch")),
    (dict(last_error="JMSWMQ2013: The security authentication was not valid that was supplied for queue manager 'QMA' with connection mode 'Client' and host name 'mqa.example.com(1414)'.\nCaused by: com.ibm.mq.MQException: JMSCMQ0001: IBM MQ call failed with compcode '2' ('MQCC_FAILED') reason '2035' ('MQRC_NOT_AUTHORIZED').", mqrc=2035, msg_id="JMSWMQ2013"),
     dict(phase="post_tls", cause="user_auth_failed", msg_id="JMSWMQ2013", mqrc=2035)),
    (dict(last_error="JMSWMQ0018: Failed to connect to queue manager 'QMA' ... JMSCMQ0001: IBM MQ call failed with compcode '2' ('MQCC_FAILED') reason '2538' ('MQRC_HOST_NOT_AVAILABLE')."),
     dict(phase="network", cause="host_unreachable", mqrc=2538, rule_id="status.mqrc")),
    (dict(source_format="amqsevt_json", event_reason="Channel SSL Error", reason_qualifier="SSL Handshake Error", ssl_return_code=401, mqrc=2371, channel="QMB.QMA"),
     dict(phase="handshake", cause="cert_expired", gskit_rc=401, gskit_name="GSK_ERROR_BAD_DATE")),
    (dict(source_format="amqsevt_json", event_reason="Channel SSL Error", reason_qualifier="SSL Cipher Spec Error", mqrc=2371, channel="QMA.QMB"),
     dict(phase="handshake", cause="cipher_mismatch", mqrc=2371)),
    (dict(source_format="amqsevt_json", event_reason="Channel SSL Error", reason_qualifier="SSL Client Auth Error", mqrc=2371), dict(phase="handshake", cause="client_cert_missing")),
    (dict(source_format="amqsevt_json", event_reason="Channel SSL Error", reason_qualifier="SSL Peer Name Error", ssl_peer=DN_QMA, mqrc=2371),
     dict(phase="post_tls", cause="sslpeer_mismatch", peer_dn=DN_QMA)),
    (dict(source_format="amqsevt_json", event_reason="Channel Blocked", reason_qualifier="Channel Blocked Address", conname="10.9.9.9", mqrc=2577),
     dict(phase="network", cause="address_blocked", chlauth_type="BLOCKADDR", remote_address="10.9.9.9")),
    (dict(source_format="amqsevt_json", event_reason="Channel Blocked", reason_qualifier="Channel Blocked Noaccess", ssl_peer="CN=legacy-app.example.com,O=Example Corp", mqrc=2577),
     dict(phase="post_tls", cause="sslpeermap_blocked")),
    (dict(source_format="chstatus", status="RETRYING", substate="SSLHANDSHK", channel="QMA.QMC", conname="mqc.example.com(1414)"),
     dict(phase="handshake", cause="handshake_other", remote_address="mqc.example.com", remote_port=1414, status="RETRYING")),
    (dict(source_format="chstatus", status="BINDING", substate="NETCONNECT", channel="QMA.QMD"), dict(phase="network", cause="host_unreachable")),
    (dict(source_format="chstatus", status="RUNNING", substate="RECEIVE", channel="QMA.QMB", ssl_cipher="ECDHE_RSA_AES_256_GCM_SHA384"),
     dict(phase="info", cause="channel_started", cipher_specs=["ECDHE_RSA_AES_256_GCM_SHA384"], tls_protocol="TLSv1.2")),
    (dict(last_error="AMQ9520E: Channel not defined remotely.", status="BINDING", msg_id="AMQ9520"), dict(phase="post_tls", cause="channel_not_defined", msg_id="AMQ9520")),
    (dict(source_format="chstatus", status="RETRYING", channel="QMA.QMD"), dict(phase="other", cause="unknown", method="none")),
]


def _same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None or got is pd.NA or (isinstance(got, float) and got != got)
    if isinstance(want, list):
        return got is not None and list(got) == want
    if isinstance(want, float):
        return abs(float(got) - want) < 1e-9
    if isinstance(want, int):
        return int(got) == want
    return got == want


@pytest.fixture(scope="module")
def decided() -> pd.DataFrame:
    rs = load_rules()
    events = events_frame(*[event(text, qmgr=f"T{i:03d}", **extra) for i, (text, extra, _) in enumerate(EVENT_CASES)])
    status_rows = status_frame(*[status(qmgr=f"S{i:03d}", **cols) for i, (cols, _) in enumerate(STATUS_CASES)])
    return classify_frames(events, status_rows, rs, model=None).frame


@pytest.mark.parametrize("case", range(len(EVENT_CASES)), ids=lambda i: EVENT_CASES[i][0][:9] + f"-{i}")
def test_event_case(decided: pd.DataFrame, case: int) -> None:
    row = decided.iloc[case]
    for col, want in EVENT_CASES[case][2].items():
        assert _same(row[col], want), f"{col}: got {row[col]!r}, want {want!r} (rule {row['rule_id']})"
    if row["cause"] != "unknown":
        assert row["method"] == "rule" and row["rule_id"]


@pytest.mark.parametrize("case", range(len(STATUS_CASES)), ids=lambda i: f"status-{i}")
def test_status_case(decided: pd.DataFrame, case: int) -> None:
    row = decided.iloc[len(EVENT_CASES) + case]
    assert row["event_id"].startswith("s")
    for col, want in STATUS_CASES[case][1].items():
        assert _same(row[col], want), f"{col}: got {row[col]!r}, want {want!r} (rule {row['rule_id']})"


def test_phase_always_follows_cause(decided: pd.DataFrame) -> None:
    rs = load_rules()
    for cause, phase in decided[["cause", "phase"]].drop_duplicates().itertuples(index=False):
        assert rs.phase_of(cause) == phase


def test_text_only_rows_classify() -> None:
    """The model engineer's training rows carry only text: ids, signals and rules still work."""
    from pipeline.classify import classify_frame
    from pipeline.classify.signals import extract_signals

    df = pd.DataFrame({"message": ["AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.",
                                   "AMQ9202E: Remote host 'mqd (10.1.0.14)(1414)' not available, retry later.", "hello"]})
    sig = extract_signals(df)
    assert sig["remote_address"].tolist()[1] == "10.1.0.14" and sig["channel_hint"].tolist()[0] == "QMB.QMA"
    out = classify_frame(df)
    assert out["cause"].tolist() == ["handshake_other", "host_unreachable", "unknown"]
