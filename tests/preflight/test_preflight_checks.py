"""Table-driven tests of every preflight check on a two-queue-manager world (QMX SDR -> QMY RCVR).

One line per case: what is changed, and the exact findings (check_id, qmgr, severity, fix_side) expected.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pipeline.preflight.checks import CHECKS, Checker, load_vocabulary, pair_channels
from pipeline.preflight.ciphers import TlsPolicy
from pipeline.preflight.config import Endpoint
from pipeline.preflight.mqsc import MqscObject

from .conftest import AS_OF, issue

E, W = "error", "warning"
BLOCKUSER_DEFAULT = {"CHLAUTH": "*", "TYPE": "BLOCKUSER", "USERLIST": "*MQADMIN"}


def _keys_without(pki: Any, *drop: str, qm: str = "qmx") -> dict[str, Any]:
    personal = pki.qmx if qm == "qmx" else pki.qmy
    keys = {"root": (pki.info(pki.root, "root"), False), "ca1": (pki.info(pki.ca1, "ca1"), False),
            f"ibmwebspheremq{qm}": (pki.info(personal, f"ibmwebspheremq{qm}"), True)}
    return {k: v for k, v in keys.items() if k not in drop}


CASES: list[tuple[str, dict[str, Any], set[tuple[str, str, str, str]]]] = [
    ("baseline passes", {}, set()),
    # --- ciphers
    ("one-sided SSLCIPH", {"rcvr": {"SSLCIPH": ""}}, {("cipher.one_sided", "QMY", E, "both")}),
    ("no TLS on either end", {"rcvr": {"SSLCIPH": ""}, "sdr": {"SSLCIPH": ""}}, set()),
    ("different named TLS 1.2 specs",
     {"sdr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_SHA384"}, "rcvr": {"SSLCIPH": "TLS_RSA_WITH_AES_128_CBC_SHA256"}},
     {("cipher.mismatch", "QMY", E, "both")}),
    ("same named spec", {"sdr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_SHA384"},
                         "rcvr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_SHA384"}}, set()),
    ("legacy alternate name equals its spec", {"sdr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_AEAD"},
                                               "rcvr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_SHA384"}}, set()),
    ("named TLS 1.2 spec against ANY_TLS12_OR_HIGHER", {"sdr": {"SSLCIPH": "ECDHE_RSA_AES_256_GCM_SHA384"}}, set()),
    ("ANY_TLS12 against ANY_TLS13: no common protocol",
     {"sdr": {"SSLCIPH": "ANY_TLS12"}, "rcvr": {"SSLCIPH": "ANY_TLS13"}}, {("cipher.protocol", "QMY", E, "both")}),
    ("ANY_TLS13_OR_HIGHER against ANY_TLS12_OR_HIGHER", {"sdr": {"SSLCIPH": "ANY_TLS13_OR_HIGHER"}}, set()),
    ("minimum alias initiator, fixed alias responder",
     {"rcvr": {"SSLCIPH": "ANY_TLS12"}}, {("cipher.alias_combination", "QMY", W, "both")}),
    ("minimum alias initiator, named responder",
     {"rcvr": {"SSLCIPH": "TLS_AES_256_GCM_SHA384"}}, {("cipher.alias_combination", "QMY", W, "both")}),
    ("fixed initiator, minimum responder is the documented good way", {"sdr": {"SSLCIPH": "ANY_TLS12"}}, set()),
    ("TLS 1.3 disabled on the responder leaves TLS 1.2",
     {"sdr": {"SSLCIPH": "ANY_TLS13"}, "qmy_tls": TlsPolicy(tls_v13_enable=False)},
     {("cipher.protocol", "QMY", E, "both")}),
    ("TLS 1.0 spec against a TLS 1.2+ alias",
     {"sdr": {"SSLCIPH": "TLS_RSA_WITH_AES_128_CBC_SHA"}, "qmx_tls": TlsPolicy(tls_v1_enable=True)},
     {("cipher.protocol", "QMY", E, "both"), ("cipher.deprecated", "QMX", W, "local")}),
    ("TLS 1.0 both ends, disabled at the responder",
     {"sdr": {"SSLCIPH": "TLS_RSA_WITH_AES_128_CBC_SHA"}, "rcvr": {"SSLCIPH": "TLS_RSA_WITH_AES_128_CBC_SHA"},
      "qmx_tls": TlsPolicy(tls_v1_enable=True)},
     {("cipher.protocol", "QMY", E, "both"), ("cipher.deprecated", "QMX", W, "local"),
      ("cipher.deprecated", "QMY", E, "local")}),
    ("ANY with TLS 1.0 re-enabled on both ends is fine",
     {"sdr": {"SSLCIPH": "ANY"}, "rcvr": {"SSLCIPH": "ANY"}, "qmx_tls": TlsPolicy(tls_v1_enable=True),
      "qmy_tls": TlsPolicy(tls_v1_enable=True)}, set()),
    ("NULL cipher not enabled", {"sdr": {"SSLCIPH": "TLS_RSA_WITH_NULL_SHA256"}, "rcvr": {"SSLCIPH": "TLS_RSA_WITH_NULL_SHA256"}},
     {("cipher.deprecated", "QMX", E, "local"), ("cipher.deprecated", "QMY", E, "local"),
      ("cipher.protocol", "QMY", E, "both")}),
    ("RC4 enabled on both ends via AMQ_SSL_WEAK_CIPHER_ENABLE",
     {"sdr": {"SSLCIPH": "TLS_RSA_WITH_RC4_128_SHA256"}, "rcvr": {"SSLCIPH": "TLS_RSA_WITH_RC4_128_SHA256"},
      "qmx_tls": TlsPolicy(weak_ciphers=frozenset({"TLS_RSA_WITH_RC4_128_SHA256"})),
      "qmy_tls": TlsPolicy(weak_ciphers=frozenset({"ALL"}))},
     {("cipher.deprecated", "QMX", W, "local"), ("cipher.deprecated", "QMY", W, "local")}),
    ("3DES SSL 3.0 spec", {"sdr": {"SSLCIPH": "TRIPLE_DES_SHA_US"}, "rcvr": {"SSLCIPH": "TRIPLE_DES_SHA_US"},
                           "qmx_tls": TlsPolicy(ssl_v3_enable=True, weak_ciphers=frozenset({"ALL"})),
                           "qmy_tls": TlsPolicy(ssl_v3_enable=True, weak_ciphers=frozenset({"ALL"}))},
     {("cipher.deprecated", "QMX", W, "local"), ("cipher.deprecated", "QMY", W, "local")}),
    ("unknown CipherSpec", {"sdr": {"SSLCIPH": "KRB5-DES-CBC3-MD5"}}, {("cipher.invalid", "QMX", E, "local")}),
    ("alias on MQ 9.0", {"qmx": {"VERSION": "09000000"}}, {("cipher.unsupported_level", "QMX", E, "local")}),
    ("no key repository", {"qmy": {"SSLKEYR": ""}}, {("keystore.unset", "QMY", E, "local")}),
    ("key repository named", {"qmy": {"SSLKEYR": "/var/mqm/qmgrs/QMY/ssl/key"}}, set()),
    # --- channel pairing
    ("responder channel missing", {"rcvr": {"CHANNEL": "X.Y.OLD"}}, {("pair.not_defined", "QMX", E, "remote")}),
    ("responder has the wrong type", {"rcvr": {"CHLTYPE": "SDR", "CONNAME": "qmx.example.com(1414)"}},
     {("pair.type_mismatch", "QMX", E, "both"), ("pair.type_mismatch", "QMY", E, "both")}),
    ("CONNAME names nobody we know", {"sdr": {"CONNAME": "elsewhere.example.com(1414)"}},
     {("pair.partner_unknown", "QMX", W, "local")}),
    ("second CONNAME address pairs", {"sdr": {"CONNAME": "dr.example.com(1414),10.0.0.2(1414)"}}, set()),
    # --- certificates
    ("responder label missing", {"qmy": {"CERTLABL": "qmy-2027"}}, {("cert.label_missing", "QMY", E, "local")}),
    ("initiator label missing, SSLCAUTH(REQUIRED)", {"sdr": {"CERTLABL": "nothere"}},
     {("cert.client_missing", "QMY", E, "remote")}),
    ("initiator label missing, SSLCAUTH(OPTIONAL)", {"sdr": {"CERTLABL": "nothere"}, "rcvr": {"SSLCAUTH": "OPTIONAL"}},
     {("cert.label_missing", "QMX", W, "local")}),
    ("initiator label missing, OPTIONAL but SSLPEER set",
     {"sdr": {"CERTLABL": "nothere"}, "rcvr": {"SSLCAUTH": "OPTIONAL", "SSLPEER": "CN=qmx*"}},
     {("cert.client_missing", "QMY", E, "remote")}),
    ("default label is case-insensitive", {"qmx": {"CERTLABL": "IBMWebSphereMQQMX"}}, set()),
    ("validator lacks the intermediate", "drop_ca1_qmy", {("cert.untrusted", "QMY", E, "local")}),
    ("validator lacks the root", "drop_root_qmx", {("cert.untrusted", "QMX", E, "local")}),
    ("initiator certificate expired", {"as_of": AS_OF + dt.timedelta(days=301)},
     {("cert.expired", "QMY", E, "remote"), ("cert.expired", "QMX", E, "remote")}),
    ("certificates expiring in the window", {"as_of": AS_OF + dt.timedelta(days=280)},
     {("cert.expiring", "QMY", W, "remote"), ("cert.expiring", "QMX", W, "remote")}),
    ("window 0 days silences expiring", {"as_of": AS_OF + dt.timedelta(days=280), "window": 0}, set()),
    ("certificates not yet valid", {"as_of": AS_OF - dt.timedelta(days=101)},
     {("cert.expired", "QMY", E, "remote"), ("cert.expired", "QMX", E, "remote")}),
    # --- SSLPEER
    ("SSLPEER matches a subset of attributes", {"rcvr": {"SSLPEER": "CN=qmx.example.com,O=Example Corp"}}, set()),
    ("SSLPEER with a different CN", {"rcvr": {"SSLPEER": "CN=qmx,O=Example Corp"}}, {("sslpeer.mismatch", "QMY", E, "local")}),
    ("SSLPEER on the initiator checks the responder", {"sdr": {"SSLPEER": "CN=qmz.example.com"}},
     {("sslpeer.mismatch", "QMX", E, "local")}),
    ("SSLPEER wildcard and attribute order", {"rcvr": {"SSLPEER": "O=example corp, CN=QMX.*"}}, set()),
    # --- CHLAUTH
    ("BLOCKADDR lists the partner", {"qmy_chlauth": [{"CHLAUTH": "*", "TYPE": "BLOCKADDR", "ADDRLIST": "10.0.0.1-9"}]},
     {("chlauth.blockaddr", "QMY", E, "local")}),
    ("BLOCKADDR elsewhere", {"qmy_chlauth": [{"CHLAUTH": "*", "TYPE": "BLOCKADDR", "ADDRLIST": "10.9.*"}]}, set()),
    ("blank MCAUSER runs as mqm: *MQADMIN blocks", {"rcvr": {"MCAUSER": ""}}, {("chlauth.blockuser", "QMY", E, "local")}),
    ("channel-specific BLOCKUSER overrides the * rule",
     {"rcvr": {"MCAUSER": ""}, "qmy_chlauth": [BLOCKUSER_DEFAULT, {"CHLAUTH": "X.Y", "TYPE": "BLOCKUSER", "USERLIST": "nobody"}]},
     set()),
    ("QMGRMAP maps the partner to a user", {"rcvr": {"MCAUSER": ""}, "qmy_chlauth": [
        BLOCKUSER_DEFAULT, {"CHLAUTH": "X.*", "TYPE": "QMGRMAP", "QMNAME": "QMX", "USERSRC": "MAP", "MCAUSER": "mqxfer"}]},
     set()),
    ("QMGRMAP NOACCESS", {"qmy_chlauth": [{"CHLAUTH": "*", "TYPE": "QMGRMAP", "QMNAME": "QM*", "USERSRC": "NOACCESS"}]},
     {("chlauth.qmgrmap", "QMY", E, "local")}),
    ("back-stop ADDRESSMAP blocks everyone", {"qmy_chlauth": [{"CHLAUTH": "*", "TYPE": "ADDRESSMAP", "ADDRESS": "*", "USERSRC": "NOACCESS"}]},
     {("chlauth.addressmap", "QMY", E, "local")}),
    ("specific allow beats the back-stop", {"qmy_chlauth": [
        {"CHLAUTH": "*", "TYPE": "ADDRESSMAP", "ADDRESS": "*", "USERSRC": "NOACCESS"},
        {"CHLAUTH": "X.Y", "TYPE": "ADDRESSMAP", "ADDRESS": "10.0.0.*", "USERSRC": "CHANNEL"}]}, set()),
    ("SYSTEM.* rule does not touch X.Y", {}, set()),
    ("SSLPEERMAP NOACCESS on the partner DN", {"qmy_chlauth": [
        {"CHLAUTH": "X.Y", "TYPE": "SSLPEERMAP", "SSLPEER": "CN=qmx*", "USERSRC": "NOACCESS"}]},
     {("chlauth.sslpeermap", "QMY", E, "local")}),
    ("SSLPEERMAP beats ADDRESSMAP on the same profile", {"qmy_chlauth": [
        {"CHLAUTH": "X.Y", "TYPE": "ADDRESSMAP", "ADDRESS": "*", "USERSRC": "CHANNEL"},
        {"CHLAUTH": "X.Y", "TYPE": "SSLPEERMAP", "SSLPEER": "CN=qmx*", "USERSRC": "NOACCESS"}]},
     {("chlauth.sslpeermap", "QMY", E, "local")}),
    ("SSLPEERMAP with SSLCERTI of another issuer does not apply", {"qmy_chlauth": [
        {"CHLAUTH": "X.Y", "TYPE": "SSLPEERMAP", "SSLPEER": "CN=qmx*", "SSLCERTI": "CN=Test CA 2", "USERSRC": "NOACCESS"}]},
     set()),
    ("WARN(YES) only warns", {"qmy_chlauth": [
        {"CHLAUTH": "X.Y", "TYPE": "SSLPEERMAP", "SSLPEER": "CN=qmx*", "USERSRC": "NOACCESS", "WARN": "YES"}]},
     {("chlauth.sslpeermap", "QMY", W, "local")}),
    ("CHLAUTH(DISABLED) switches records off", {"qmy": {"CHLAUTH": "DISABLED"}, "rcvr": {"MCAUSER": ""}}, set()),
]


def _resolve(case: Any, pki: Any) -> dict[str, Any]:
    if isinstance(case, dict):
        return case
    if case == "drop_ca1_qmy":
        return {"qmy_keys": _keys_without(pki, "ca1", qm="qmy")}
    if case == "drop_root_qmx":
        return {"qmx_keys": _keys_without(pki, "root", qm="qmx")}
    raise AssertionError(case)


@pytest.mark.parametrize("name,overrides,expected", CASES, ids=[c[0] for c in CASES])
def test_check(world: Any, pki: Any, name: str, overrides: Any, expected: set[tuple[str, str, str, str]]) -> None:
    findings = world(**_resolve(overrides, pki))
    got = {(f.check_id, f.qmgr, f.severity, f.fix_side) for f in findings}
    assert got == expected, "\n".join(f"{f.check_id} {f.qmgr}: {f.evidence} | {f.detail}" for f in findings)


def test_every_check_has_a_case() -> None:
    covered = {check for _n, _o, exp in CASES for (check, *_rest) in exp}
    covered |= {check for *_head, exp in CLIENT_CASES for (check, *_rest) in exp}
    assert covered == set(CHECKS), f"checks without a table case: {sorted(set(CHECKS) - covered)}"


def test_findings_use_the_vocabulary(world: Any) -> None:
    vocab = load_vocabulary()
    for f in world(rcvr={"SSLCIPH": "ANY_TLS13", "MCAUSER": ""}, sdr={"SSLCIPH": "ANY_TLS12"}):
        assert vocab[f.cause] == f.phase
        assert f.fix_side in {"local", "remote", "both"} and f.severity in {"error", "warning"}
        assert f.evidence and f.detail


def _client_world(pki: Any, user: str, chlauth: list[dict[str, str]], mcauser: str = "") -> list[Any]:
    from .conftest import keystore

    app = Endpoint(name="app", kind="client", host="app.example.com", addresses=["10.0.0.9"], user=user,
                   channels=[MqscObject("channel", {"CHANNEL": "APP.SVRCONN", "CHLTYPE": "CLNTCONN",
                                                    "CONNAME": "10.0.0.2(1414)", "SSLCIPH": "ANY_TLS12_OR_HIGHER"})],
                   keystore=keystore("app", {"root": (pki.info(pki.root, "root"), False),
                                             "ca1": (pki.info(pki.ca1, "ca1"), False),
                                             f"ibmwebspheremq{user}": (pki.info(pki.qmx, "x"), True)}))
    qmy = Endpoint(name="QMY", kind="qmgr", host="qmy.example.com", addresses=["10.0.0.2"], qmgr={"QMNAME": "QMY"},
                   channels=[MqscObject("channel", {"CHANNEL": "APP.SVRCONN", "CHLTYPE": "SVRCONN",
                                                    "SSLCIPH": "ANY_TLS12_OR_HIGHER", "MCAUSER": mcauser})],
                   chlauth=[MqscObject("chlauth", dict(r)) for r in chlauth],
                   keystore=keystore("QMY", {"root": (pki.info(pki.root, "root"), False),
                                             "ca1": (pki.info(pki.ca1, "ca1"), False),
                                             "ibmwebspheremqqmy": (pki.info(pki.qmy, "y"), True)}))
    assert [p.responder.name for p in pair_channels([app, qmy]) if p.responder] == ["QMY"]
    return Checker([app, qmy], AS_OF, 30).run()


CLIENT_CASES: list[tuple[str, str, list[dict[str, str]], str, set[tuple[str, str, str]]]] = [
    ("client asserts mqm, SVRCONN without MCAUSER", "mqm", [BLOCKUSER_DEFAULT], "", {("chlauth.blockuser", "QMY", "app")}),
    ("client asserts an ordinary user", "alice", [BLOCKUSER_DEFAULT], "", set()),
    ("SVRCONN MCAUSER overrides the asserted user", "mqm", [BLOCKUSER_DEFAULT], "appuser", set()),
    ("USERMAP NOACCESS for the asserted user", "alice",
     [{"CHLAUTH": "APP.*", "TYPE": "USERMAP", "CLNTUSER": "alice", "USERSRC": "NOACCESS"}], "",
     {("chlauth.usermap", "QMY", "app")}),
    ("USERMAP maps mqm to an ordinary user", "mqm",
     [BLOCKUSER_DEFAULT, {"CHLAUTH": "APP.SVRCONN", "TYPE": "USERMAP", "CLNTUSER": "mqm", "USERSRC": "MAP",
                          "MCAUSER": "appuser"}], "", set()),
    ("QMGRMAP never applies to SVRCONN", "alice",
     [{"CHLAUTH": "*", "TYPE": "QMGRMAP", "QMNAME": "*", "USERSRC": "NOACCESS"}], "", set()),
]


@pytest.mark.parametrize("name,user,chlauth,mcauser,expected", CLIENT_CASES, ids=[c[0] for c in CLIENT_CASES])
def test_client_check(pki: Any, name: str, user: str, chlauth: list[dict[str, str]], mcauser: str,
                      expected: set[tuple[str, str, str]]) -> None:
    findings = _client_world(pki, user, chlauth, mcauser)
    assert {(f.check_id, f.qmgr, f.partner_qmgr) for f in findings} == expected, [f.detail for f in findings]


def test_intermediate_held_only_by_the_sender_is_named(world: Any, pki: Any) -> None:
    leaf = issue("qmx.example.com", pki.ca2, ou="MQ", serial=40)
    keys = {"root": (pki.info(pki.root, "root"), False), "ca2": (pki.info(pki.ca2, "ca 2"), False),
            "ca1": (pki.info(pki.ca1, "ca1"), False), "ibmwebspheremqqmx": (pki.info(leaf, "x"), True)}
    findings = world(qmx_keys=keys)
    [f] = findings
    assert f.check_id == "cert.untrusted" and "CN=Test CA 2" in f.detail
    assert "a missing intermediate CA; QMX holds it as 'ca2'" in f.detail
