"""Table-driven tests of the preflight building blocks: CipherSpec aliases, DN matching, CHLAUTH
patterns, the runmqsc tokenizer, runmqakm text and the iCalendar writer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.preflight import ciphers, icalendar
from pipeline.preflight.certs import parse_cert_details, parse_cert_list
from pipeline.preflight.chlauth import address_matches, profile_specificity, wildcard_match
from pipeline.preflight.dn import Rdn, format_dn, match_peer, parse_dn
from pipeline.preflight.make_samples import _layout
from pipeline.preflight.mqsc import parse_display, tokenize

P = ciphers.TlsPolicy()
TLS10_ON = ciphers.TlsPolicy(tls_v1_enable=True)

# --- CipherSpec aliases: initiator, responder, expected (ok | cause), warning expected -----------------
ALIAS_CASES = [
    ("ANY", "ANY", "ok", False),
    ("ANY", "ANY_TLS12", "ok", True),
    ("ANY", "ANY_TLS12_OR_HIGHER", "ok", False),
    ("ANY", "ANY_TLS13", "ok", True),
    ("ANY", "ANY_TLS13_OR_HIGHER", "ok", False),
    ("ANY_TLS12", "ANY_TLS12", "ok", False),
    ("ANY_TLS12", "ANY_TLS12_OR_HIGHER", "ok", False),
    ("ANY_TLS12", "ANY_TLS13", "tls_policy_mismatch", False),
    ("ANY_TLS12", "ANY_TLS13_OR_HIGHER", "tls_policy_mismatch", False),
    ("ANY_TLS12_OR_HIGHER", "ANY_TLS12", "ok", True),
    ("ANY_TLS12_OR_HIGHER", "ANY_TLS13", "ok", True),
    ("ANY_TLS12_OR_HIGHER", "ANY_TLS13_OR_HIGHER", "ok", False),
    ("ANY_TLS13", "ANY_TLS12_OR_HIGHER", "ok", False),
    ("ANY_TLS13", "ANY_TLS13", "ok", False),
    ("ANY_TLS13_OR_HIGHER", "ANY_TLS12", "tls_policy_mismatch", False),
    ("ANY_TLS13_OR_HIGHER", "ANY_TLS13_OR_HIGHER", "ok", False),
    ("ECDHE_RSA_AES_256_GCM_SHA384", "ANY_TLS12", "ok", False),
    ("ECDHE_RSA_AES_256_GCM_SHA384", "ANY_TLS12_OR_HIGHER", "ok", False),
    ("ECDHE_RSA_AES_256_GCM_SHA384", "ANY_TLS13", "tls_policy_mismatch", False),
    ("ECDHE_RSA_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA256", "cipher_mismatch", False),
    ("TLS_AES_128_GCM_SHA256", "ANY_TLS13_OR_HIGHER", "ok", False),
    ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "cipher_mismatch", False),
    ("ANY_TLS13_OR_HIGHER", "TLS_CHACHA20_POLY1305_SHA256", "ok", True),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", "ANY_TLS12_OR_HIGHER", "tls_policy_mismatch", False),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", "ANY", "tls_policy_mismatch", False),  # TLS 1.0 off on both ends
    ("ecdhe_rsa_aes_256_gcm_aead", "ECDHE_RSA_AES_256_GCM_SHA384", "ok", False),  # legacy name, any case
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA_AES_128_GCM_SHA256", "ok", False),  # Java suite name
    ("SSL_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA_AES_256_GCM_SHA384", "cipher_mismatch", False),
    ("*TLS12ORHIGHER", "ANY_TLS13", "ok", True),                       # Java spelling of the alias
]


@pytest.mark.parametrize("initiator,responder,expected,warns", ALIAS_CASES)
def test_alias_combinations(initiator: str, responder: str, expected: str, warns: bool) -> None:
    outcome = ciphers.agree(initiator, responder, P, P)
    assert (outcome.ok and "ok" or outcome.cause) == expected, outcome.reason
    assert bool(outcome.warning) == warns


def test_any_admits_tls10_only_when_enabled_on_both_ends() -> None:
    assert ciphers.agree("TLS_RSA_WITH_AES_128_CBC_SHA", "ANY", TLS10_ON, TLS10_ON).ok
    half = ciphers.agree("TLS_RSA_WITH_AES_128_CBC_SHA", "ANY", TLS10_ON, P)
    assert not half.ok and half.cause == "tls_policy_mismatch" and "responder" in half.reason


@pytest.mark.parametrize("value,reason", [
    ("TLS_RSA_WITH_AES_128_CBC_SHA", "TLSv1.0 protocol"),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLSv1.0 protocol and 3DES algorithm"),
    ("NULL_SHA", "SSLv3 protocol and NULL algorithm"),
    ("RC4_MD5_EXPORT", "SSLv3 protocol and RC4 algorithm"),
    ("ECDHE_RSA_RC4_128_SHA256", "RC4 algorithm"),
    ("TLS_RSA_WITH_NULL_SHA256", "NULL algorithm"),
    ("ECDHE_ECDSA_3DES_EDE_CBC_SHA256", "3DES algorithm"),
    ("ECDHE_RSA_AES_256_GCM_SHA384", ""),
    ("ANY", ""),
    ("TLS_AES_256_GCM_SHA384", ""),
])
def test_deprecated_reason(value: str, reason: str) -> None:
    assert ciphers.deprecated_reason(value) == reason


def test_alias_sets() -> None:
    tls12 = ciphers.admitted("ANY_TLS12")
    assert "ECDHE_RSA_AES_256_GCM_SHA384" in tls12 and "TLS_AES_256_GCM_SHA384" not in tls12
    assert ciphers.admitted("ANY_TLS13") == ciphers.admitted("ANY_TLS13_OR_HIGHER")
    assert ciphers.admitted("ANY_TLS12_OR_HIGHER") == tls12 | ciphers.admitted("ANY_TLS13")
    assert ciphers.is_minimum("ANY") and not ciphers.is_minimum("ANY_TLS12") and not ciphers.is_minimum("NULL_MD5")
    assert ciphers.admitted("NOT_A_SPEC") == frozenset()
    assert ciphers.parse_version("09040005") == (9, 4, 0) and ciphers.parse_version("9.1.4.0") == (9, 1, 4)
    assert ciphers.parse_version("") is None


# --- DN matching: filter, certificate subject, serial, expected ----------------------------------------
QMA_DN = "CN=qma.example.com,OU=MQ,O=Example Corp,C=GB"
DN_CASES = [
    ("CN=qma.example.com,O=Example Corp", QMA_DN, "", True),          # only the filter's attributes count
    ("O=Example Corp,CN=qma.example.com", QMA_DN, "", True),          # order does not matter
    ("cn=QMA.EXAMPLE.COM", QMA_DN, "", True),                          # case-insensitive names and values
    ("CN=qma,O=Example Corp", QMA_DN, "", False),                      # short name is not the FQDN
    ("CN=qma*", QMA_DN, "", True),                                     # trailing wildcard
    ("CN=*.example.com", QMA_DN, "", True),                            # leading wildcard
    ("CN=qmb*", QMA_DN, "", False),
    ("CN=qma.example.com,L=London", QMA_DN, "", False),                # attribute absent from the certificate
    ("CN=qma.example.com, OU=MQ ,  C=GB", QMA_DN, "", True),           # spaces around separators
    ("CN=qma.example.com;O=Example Corp", QMA_DN, "", True),           # semicolon separator
    ('O="Example Corp",CN=qma.example.com', QMA_DN, "", True),         # quoted value
    ("S=Hampshire", "CN=x,ST=Hampshire", "", True),                    # S/ST synonym
    ("SP=hampshire", "CN=x,ST=Hampshire", "", True),                   # SP/ST synonym
    ("USERID=jdoe", "CN=x,UID=jdoe", "", True),                        # UID/USERID synonym
    ("E=a@b.c", "CN=x,MAIL=a@b.c", "", True),                          # E/MAIL synonym
    ("OU=MQ,OU=Ops", "CN=x,OU=MQ,OU=Ops", "", True),                   # repeated attribute, in order
    ("OU=Ops", "CN=x,OU=MQ,OU=Ops", "", False),                        # first OU must match first
    ("OU=MQ,OU=Ops,OU=Extra", "CN=x,OU=MQ,OU=Ops", "", False),         # more OUs than the certificate
    ("SERIALNUMBER=00:94:71:A1", "CN=x", "94:71:A1", True),            # certificate serial, leading zeros
    ("SERIALNUMBER=94:71:A2", "CN=x", "94:71:A1", False),
    ("SERIALNUMBER=9471a1", "CN=x", "94:71:A1", True),                 # colons and case do not matter
    ("SERIALNUMBER=94:71*", "CN=x", "94:71:A1", True),
    ("CN=a\\,b", "CN=a\\,b,O=x", "", True),                           # escaped comma
    ("", QMA_DN, "", True),                                            # no filter: everything matches
]


@pytest.mark.parametrize("pattern,subject,serial,ok", DN_CASES)
def test_dn_matching(pattern: str, subject: str, serial: str, ok: bool) -> None:
    result = match_peer(pattern, parse_dn(subject), serial)
    assert result.ok is ok, result.reason


@pytest.mark.parametrize("bad", ["CN", "CN=a,=b", "O=\"open", "C N=x"])
def test_dn_parse_errors_name_the_input(bad: str) -> None:
    with pytest.raises(ConfigError, match="SSLPEER"):
        parse_dn(bad, "SSLPEER")


@given(st.lists(st.tuples(st.sampled_from(["CN", "OU", "O", "L", "ST", "C", "DC"]),
                          st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
                          .map(str.strip).filter(lambda v: v and '"' not in v and "\\" not in v and not v.startswith("*")
                                                 and not v.endswith("*"))),
                min_size=1, max_size=6))
@settings(max_examples=150, deadline=None)
def test_dn_round_trip_and_self_match(pairs: list[tuple[str, str]]) -> None:
    rdns = [Rdn(a, v) for a, v in pairs]
    text = format_dn(rdns)
    assert parse_dn(text) == rdns
    assert match_peer(text, rdns).ok


# --- CHLAUTH patterns ----------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern,address,host,ok", [
    ("*", "10.1.0.50", "", True),
    ("10.1.0.*", "10.1.0.50", "", True),
    ("10.1.*", "10.1.0.50", "", True),
    ("10.1.0.40-60", "10.1.0.50", "", True),
    ("10.1.0.51-60", "10.1.0.50", "", False),
    ("10.2.*", "10.1.0.50", "", False),
    ("10.1.0.50", "10.1.0.50", "", True),
    ("10.1.0", "10.1.0.50", "", False),
    ("*.example.com", "10.1.0.50", "app01.example.com", True),
    ("*.example.org", "10.1.0.50", "app01.example.com", False),
    ("10.1.0.*", "", "app01.example.com", False),
])
def test_address_patterns(pattern: str, address: str, host: str, ok: bool) -> None:
    assert address_matches(pattern, address, host) is ok


@pytest.mark.parametrize("pattern,text,ok", [
    ("*", "ANY.CHANNEL", True), ("SYSTEM.*", "SYSTEM.ADMIN.SVRCONN", True), ("SYSTEM.*", "APP.SVRCONN", False),
    ("*.SVRCONN", "APP.SVRCONN", True), ("A*B*C", "AxxBxxC", True), ("A*B*C", "AxxBxx", False),
    ("APP.SVRCONN", "APP.SVRCONN", True), ("APP.SVRCONN", "APP.SVRCONN2", False), ("**", "", True),
])
def test_wildcards(pattern: str, text: str, ok: bool) -> None:
    assert wildcard_match(pattern, text) is ok


def test_profile_specificity_orders_exact_first() -> None:
    profiles = ["*", "SYSTEM.*", "APP.SVRCONN", "APP.*"]
    assert sorted(profiles, key=profile_specificity, reverse=True) == ["APP.SVRCONN", "SYSTEM.*", "APP.*", "*"]


# --- runmqsc tokenizer -------------------------------------------------------------------------------
@pytest.mark.parametrize("line,expected", [
    ("   CHANNEL(QMA.QMB)                        CHLTYPE(SDR)", [("CHANNEL", "QMA.QMB"), ("CHLTYPE", "SDR")]),
    ("   CONNAME(a.example.com(1414),10.0.0.5(1415))", [("CONNAME", "a.example.com(1414),10.0.0.5(1415)")]),
    ("   SSLCIPH( )                              SSLPEER( )", [("SSLCIPH", ""), ("SSLPEER", "")]),
    ("   DESCR(Auto-defined by)", [("DESCR", "Auto-defined by")]),
    ("   MCASTAT(NOT RUNNING)                    CURRENT", [("MCASTAT", "NOT RUNNING"), ("CURRENT", None)]),
    ("   SSLPEER('CN=legacy-app*')", [("SSLPEER", "CN=legacy-app*")]),
    ("   DESCR('it''s (odd)')", [("DESCR", "it's (odd)")]),
    ("   SSLPEER(CN=a\\,b,O=x (UK))", [("SSLPEER", "CN=a\\,b,O=x (UK)")]),
    ("   COMPHDR(NONE,NONE)  syncpt", [("COMPHDR", "NONE,NONE"), ("SYNCPT", None)]),
])
def test_tokenize(line: str, expected: list[tuple[str, str | None]]) -> None:
    assert tokenize(line) == expected


def test_tokenize_names_file_and_line_on_error() -> None:
    with pytest.raises(ConfigError, match=r"x.txt:7: unbalanced"):
        tokenize("   CONNAME(a(1414)", "x.txt", 7)


_VALUE = st.text(alphabet="abcXYZ019 .,*=_-()", max_size=20).filter(lambda v: v.count("(") == v.count(")") and
                                                                    _balanced(v) and v == v.strip())


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@given(st.lists(st.tuples(st.from_regex(r"[A-Z][A-Z0-9]{0,8}", fullmatch=True), _VALUE), min_size=1, max_size=9))
@settings(max_examples=150, deadline=None)
def test_layout_then_tokenize_round_trips(attrs: list[tuple[str, str]]) -> None:
    lines = _layout([(k, v) for k, v in attrs])
    got = [pair for line in lines for pair in tokenize(line)]
    assert got == list(attrs)


def test_parse_display_skips_other_replies() -> None:
    text = "\n".join([
        "     1 : DISPLAY QMSTATUS ALL", "AMQ8705I: Display Queue Manager Status Details.",
        "   QMNAME(QM1)                             TYPE(QMGR)",
        "AMQ8414: Display Channel details.", "   CHANNEL(A.B)                            CHLTYPE(SDR)",
        "One MQSC command read.", "   CHANNEL(STRAY)",
    ])
    objs = parse_display(text, "t.txt")
    assert [(o.kind, o.attrs) for o in objs] == [("channel", {"CHANNEL": "A.B", "CHLTYPE": "SDR"})]
    assert objs[0].line == 4


def test_reads_the_real_runmqsc_capture(shared_dir) -> None:  # type: ignore[no-untyped-def]
    path = shared_dir / "status-samples" / "instana-mq_status-9.4.2-QM1.txt"
    objs = parse_display(path.read_text(encoding="utf-8"), str(path))
    kinds = [o.kind for o in objs]
    assert kinds.count("qmgr") == 1 and kinds.count("channel") == 14 and kinds.count("chlauth") == 6
    qmgr = next(o for o in objs if o.kind == "qmgr")
    assert qmgr.get("CERTLABL") == "ibmwebspheremqqm1" and qmgr.get("CHLAUTH") == "DISABLED"
    assert qmgr.get("SSLKEYR") == "/var/mqm/qmgrs/QM1/ssl/key" and "SYNCPT" in qmgr.attrs
    clntconn = next(o for o in objs if o.get("CHLTYPE") == "CLNTCONN")
    assert "SSLCAUTH" not in clntconn.attrs and clntconn.get("SSLCIPH") == ""
    rules = [(o.get("CHLAUTH"), o.get("TYPE"), o.get("USERSRC") or o.get("USERLIST")) for o in objs if o.kind == "chlauth"]
    assert ("SYSTEM.*", "ADDRESSMAP", "NOACCESS") in rules and ("*", "BLOCKUSER", "*MQADMIN") in rules
    assert next(o for o in objs if o.get("CHLAUTH") == "DEV.ADMIN.SVRCONN").get("DESCR") == \
        "Allows admin user to connect via ADMIN channel"


# --- runmqakm text -----------------------------------------------------------------------------------
def test_cert_list_markers() -> None:
    text = "Certificates found\n* default, - personal, ! trusted, # secret key\n!\tRoot CA\n*-\tibmwebspheremqqm1\n-  other label\n#\tsecret\n"
    assert parse_cert_list(text, "l.txt") == [("Root CA", False, False), ("ibmwebspheremqqm1", True, True),
                                              ("other label", True, False)]
    with pytest.raises(ConfigError, match=r"l.txt:2"):
        parse_cert_list("Certificates found\nno marker here\n", "l.txt")


@pytest.mark.parametrize("stamp", ["November 19, 2026 12:00:00 PM GMT+00:00", "19 November 2026 12:00:00",
                                   "2026-11-19 12:00:00 UTC"])
def test_cert_details(stamp: str) -> None:
    text = (f"Label : qm cert\nKey Size : 2048\nSerial : 1b01\nIssuer : CN=CA,O=Ex\nSubject : CN=qm,O=Ex\n"
            f"Not Before : January 1, 2026 12:00:00 AM GMT+00:00\nNot After : {stamp}\nPublic Key\n    30 82 01\n")
    info = parse_cert_details(text, "d.txt")
    assert (info.label, info.serial, info.subject_dn, info.issuer_dn) == ("qm cert", "1B:01", "CN=qm,O=Ex", "CN=CA,O=Ex")
    assert info.not_after == dt.datetime(2026, 11, 19, 12, tzinfo=dt.UTC) and not info.is_ca
    with pytest.raises(ConfigError, match="d.txt: .*lacks subject"):
        parse_cert_details("Label : x\n", "d.txt")


# --- iCalendar -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,escaped", [
    ("a,b", "a\\,b"), ("a;b", "a\\;b"), ("a\\b", "a\\\\b"), ("l1\nl2", "l1\\nl2"), ("CN=x,O=y;z", "CN=x\\,O=y\\;z"),
])
def test_ics_escaping(raw: str, escaped: str) -> None:
    assert icalendar.escape_text(raw) == escaped


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=400))
@settings(max_examples=200, deadline=None)
def test_ics_folding(text: str) -> None:
    line = "DESCRIPTION:" + icalendar.escape_text(text)
    folded = icalendar.fold(line)
    assert folded.endswith("\r\n")
    physical = folded[:-2].split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert icalendar.unfold(folded)[0] == line


def test_ics_render_all_day_events() -> None:
    ev = icalendar.Event("abc@x", dt.date(2026, 12, 5), "Renew CN=qma,O=Ex", "line1\nline2", ("MQ",))
    text = icalendar.render([ev], dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    lines = icalendar.unfold(text)
    assert text.count("\r\n") == text.count("\n") and lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART;VALUE=DATE:20261205" in lines and "DTEND;VALUE=DATE:20261206" in lines
    assert "DTSTAMP:20261120T000000Z" in lines and "UID:abc@x" in lines
    assert "SUMMARY:Renew CN=qma\\,O=Ex" in lines and "DESCRIPTION:line1\\nline2" in lines


def test_catalogue_comes_from_the_rules_table() -> None:
    cat = ciphers.load_catalogue()
    assert cat.specs["TLS_RSA_WITH_AES_128_CBC_SHA"].protocol == ciphers.TLS10
    assert cat.specs["TLS_RSA_WITH_NULL_SHA256"].weak == "NULL"
    assert set(ciphers.ALIASES) <= set(cat.spellings.values())


@pytest.mark.parametrize("entry,message", [
    ({"name": "ANY_TLS14", "protocol": "alias"}, "ANY_TLS14: alias without a preflight meaning"),
    ({"name": "X", "protocol": "TLSv9"}, "X: unknown protocol 'TLSv9'"),
])
def test_catalogue_rejects_what_it_cannot_reason_about(entry: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        ciphers.Catalogue.from_entries([entry])


@given(st.text(alphabet="AMQ8414I: ()'\n CHANNELTYPE=.,*-_0123", max_size=300))
@settings(max_examples=200, deadline=None)
def test_parse_display_returns_objects_or_a_clear_error(text: str) -> None:
    try:
        objects = parse_display(text, "fuzz.txt")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.txt:")
    else:
        assert all(o.kind in {"qmgr", "channel", "chlauth"} for o in objects)
