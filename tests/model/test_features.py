"""Normalisation and signal tokens: one line per case, real message shapes in, tokens out."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model.features import feature_frame, normalise_message, signal_tokens

CASES = [
    ("AMQ9633E: Bad SSL certificate for channel '????'.", "amq9633: bad ssl certificate for channel unknownchannel ."),
    ("AMQ9616E: The CipherSpec 'TLS_RSA_WITH_AES_128_CBC_SHA' proposed by remote host 'mqc (10.1.0.13)(1414)' is not enabled.",
     "amq9616: the cipherspec ciphertoken proposed by remote host qstr is not enabled."),
    ("AMQ9208: Error on receive from host 6-086 (172.16.6.86).", "amq9208: error on receive from host hostaddr ."),
    ("JMSWMQ2013: ... reason '2035' ('MQRC_NOT_AUTHORIZED')", "jmswmq2013: ... reason qstr ( qstr )"),
    ("reason 2035", "reason rc2035"),
    ("java.net.UnknownHostException: mqa.example.com", "java.net.unknownhostexception: hostname"),
    ("CSQX520E +CSQ1 CSQXRESP Remote channel TO.QM2 not defined", "csqx520 +csq1 csqxresp remote channel dottedname not defined"),
    ("javax.net.ssl.SSLHandshakeException: x\n\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n", "javax.net.ssl.sslhandshakeexception: x"),
    ("AMQ9777E: Channel was blocked SSLPEER(CN=app,O=Example Corp)", "amq9777: channel was blocked sslpeer( dnattr , dnattr )"),
    (None, ""),
    ("", ""),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_normalise_message(text: str | None, expected: str) -> None:
    assert normalise_message(text) == expected


SIGNALS = [
    ({"msg_id": "AMQ9633", "severity": "E", "source_format": "text", "gskit_rc": 414}, "fam_amq blk_amq96 fmt_text sev_e gsk_any gsk_414 gsk_cls_cert_untrusted hint_cert_untrusted"),
    ({"msg_id": "CSQX631E", "cipher_specs": ["A", "B"]}, "fam_csq blk_csqx6 fmt_none sev_none cipher_many"),
    ({"msg_id": None, "mqrc": 2035, "status": "RETRYING", "source_format": "csv"}, "fam_none fmt_csv sev_none mqrc_any mqrc_2035 status_retrying mqrc_cls_user_auth_failed hint_user_auth_failed"),
    ({"msg_id": "JMSWMQ2013", "peer_dn": "CN=x", "chlauth_type": "SSLPEERMAP"}, "fam_java blk_jmswmq fmt_none sev_none peer_dn chlauth_sslpeermap"),
    ({"gskit_rc": float("nan"), "os_errno": 111}, "fam_none fmt_none sev_none errno_111 errno_cls_connection_refused hint_connection_refused"),
    # the z/OS and Windows codes of one cause share its hint token with the Linux errno
    ({"msg_id": "CSQX202E", "os_errno": 1128}, "fam_csq blk_csqx2 fmt_none sev_none errno_1128 errno_cls_connection_refused hint_connection_refused"),
    ({"os_errno": 10060, "mqrc": 2538}, "fam_none fmt_none sev_none mqrc_any mqrc_2538 errno_10060 errno_cls_host_unreachable hint_host_unreachable mqrc_cls_host_unreachable hint_host_unreachable"),
    # a code the tables give no cause (GSK_OK, MQRC 2059) and an unknown errno: no hint
    ({"gskit_rc": 0, "mqrc": 2059, "os_errno": 99999}, "fam_none fmt_none sev_none gsk_any gsk_0 mqrc_any mqrc_2059 errno_99999"),
    ({"msg_id": "AMQ9633", "gskit_rc": "401", "cert_validation_code": "575010"}, "fam_amq blk_amq96 fmt_none sev_none gsk_any gsk_401 cert_validation certval_575010 gsk_cls_cert_expired hint_cert_expired"),
    ({"cert_validation_code": "n/a"}, "fam_none fmt_none sev_none cert_validation"),
    # code names and reason codes written in the text speak through the same hint tokens
    ({"message": "CSQX202E RC=00000468 (ECONNREFUSED) reason=00000000"}, "fam_none fmt_none sev_none txt_cls_connection_refused hint_connection_refused"),
    ({"message": "JMSWMQ2013: ... reason '2035' ('MQRC_NOT_AUTHORIZED')"}, "fam_none fmt_none sev_none txt_cls_user_auth_failed hint_user_auth_failed"),
    # a reason code in the text is not read when the mqrc column has one; unknown names (ERROR) are ignored
    ({"message": "ERROR reason 2035", "mqrc": 2009}, "fam_none fmt_none sev_none mqrc_any mqrc_2009 mqrc_cls_connection_reset hint_connection_reset"),
]


@pytest.mark.parametrize("row,expected", SIGNALS)
def test_signal_tokens(row: dict, expected: str) -> None:
    assert signal_tokens(row) == expected


def test_feature_frame_keeps_index_and_tolerates_missing_columns() -> None:
    df = pd.DataFrame({"message": ["AMQ9999E: Channel 'A.B' to host 'x' ended abnormally.", None]}, index=[7, 3])
    out = feature_frame(df)
    assert list(out.index) == [7, 3]
    assert out.loc[3, "text"] == "" and out.loc[3, "signals"] == "fam_none fmt_none sev_none"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_normalise_never_fails_and_masks_addresses(text: str) -> None:
    out = normalise_message(text)
    assert out == out.strip()
    assert not any(part.count(".") == 3 and part.replace(".", "").isdigit() for part in out.split())
