"""The preflight checks: pair the two ends of each channel and predict how it would fail.

Each finding is reported from the point of view of the queue manager that would *detect and log* the
failure (the same convention as `rules/causes.yaml`), with `fix_side` relative to it: `local` = fix
on `qmgr`, `remote` = fix on `partner_qmgr`, `both` = the two ends must agree.

The checks are an explicit registry (`CHECKS`): id -> cause, severity and a one-line description;
docs/preflight.md lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.preflight import ciphers
from pipeline.preflight.certs import CertInfo, KeyRepository, validate
from pipeline.preflight.chlauth import Partner, evaluate
from pipeline.preflight.config import Endpoint
from pipeline.preflight.dn import match_peer
from pipeline.preflight.mqsc import MqscObject

INITIATORS = {"SDR": "RCVR", "SVR": "RQSTR", "CLUSSDR": "CLUSRCVR", "CLNTCONN": "SVRCONN", "RQSTR": "SVR"}


@dataclass(frozen=True)
class Check:
    check_id: str
    cause: str
    severity: str
    description: str


CHECKS: dict[str, Check] = {c.check_id: c for c in [
    Check("pair.not_defined", "channel_not_defined", "error",
          "The initiator's channel name is not defined on the queue manager its CONNAME points at."),
    Check("pair.type_mismatch", "channel_type_mismatch", "error",
          "The partner defines the channel name with a type that does not pair (SDR/RCVR, SVR/RQSTR, CLUSSDR/CLUSRCVR, CLNTCONN/SVRCONN)."),
    Check("pair.partner_unknown", "unknown", "warning",
          "No queue manager in the configuration answers on the CONNAME: the partner's side was not checked."),
    Check("cipher.invalid", "cipher_invalid", "error", "SSLCIPH is not a CipherSpec or alias known to MQ."),
    Check("cipher.unsupported_level", "cipher_invalid", "error",
          "An alias or TLS 1.3 CipherSpec on a queue manager older than MQ 9.1.4."),
    Check("cipher.deprecated", "tls_policy_mismatch", "warning",
          "A deprecated or weak CipherSpec (SSL 3.0, TLS 1.0, NULL, RC4, 3DES, DES, export); an error when this end's policy does not enable it."),
    Check("cipher.one_sided", "cipher_one_sided", "error", "Only one end of the channel sets SSLCIPH."),
    Check("cipher.mismatch", "cipher_mismatch", "error",
          "The two SSLCIPH values admit no common CipherSpec of a common protocol (aliases expanded)."),
    Check("cipher.protocol", "tls_policy_mismatch", "error",
          "The two ends share no TLS protocol version, or every shared CipherSpec is disabled by policy."),
    Check("cipher.alias_combination", "cipher_mismatch", "warning",
          "A minimum-protocol alias on the initiator against a fixed value on the responder (can be rejected)."),
    Check("keystore.unset", "keystore_error", "error",
          "The queue manager shows SSLKEYR( ) - no key repository - while a channel uses TLS."),
    Check("cert.label_missing", "cert_label_missing", "error",
          "The certificate label the channel or queue manager uses (CERTLABL or ibmwebspheremq<name>) is not a personal certificate in the key repository."),
    Check("cert.client_missing", "client_cert_missing", "error",
          "The responder requires a client certificate (SSLCAUTH(REQUIRED) or SSLPEER) and the initiator has none to send."),
    Check("cert.untrusted", "cert_untrusted", "error",
          "The presented chain does not reach a CA in the validating side's key repository (missing root or intermediate)."),
    Check("cert.expired", "cert_expired", "error",
          "A certificate of the presented chain is expired (or not yet valid) at --as-of."),
    Check("cert.expiring", "cert_expired", "warning",
          "A certificate of the presented chain expires within --expiry-window days of --as-of."),
    Check("sslpeer.mismatch", "sslpeer_mismatch", "error",
          "The channel's SSLPEER filter does not match the partner certificate's subject DN (MQ matching rules)."),
    Check("chlauth.blockaddr", "address_blocked", "error", "A CHLAUTH BLOCKADDR rule lists the partner's address."),
    Check("chlauth.sslpeermap", "sslpeermap_blocked", "error",
          "The CHLAUTH SSLPEERMAP rule that applies maps the partner's DN to USERSRC(NOACCESS)."),
    Check("chlauth.addressmap", "chlauth_blocked", "error",
          "The CHLAUTH ADDRESSMAP rule that applies (e.g. the SYSTEM.* back-stop) is USERSRC(NOACCESS)."),
    Check("chlauth.usermap", "chlauth_blocked", "error", "The CHLAUTH USERMAP rule that applies is USERSRC(NOACCESS)."),
    Check("chlauth.qmgrmap", "chlauth_blocked", "error", "The CHLAUTH QMGRMAP rule that applies is USERSRC(NOACCESS)."),
    Check("chlauth.blockuser", "chlauth_blocked", "error",
          "The user the channel would run as is listed by the BLOCKUSER rule that applies (incl. *MQADMIN)."),
]}


def load_vocabulary(path: Path | None = None) -> dict[str, str]:
    """cause -> phase from rules/causes.yaml (the fixed vocabulary)."""
    from pipeline.resources import rules_dir

    path = path or rules_dir() / "causes.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the cause vocabulary ({exc})") from exc
    vocab = {name: body["phase"] for name, body in doc["causes"].items()}
    missing = {c.cause for c in CHECKS.values()} - set(vocab)
    if missing:
        raise ConfigError(f"{path}: preflight checks use causes not in the vocabulary: {sorted(missing)}")
    return vocab


@dataclass
class Finding:
    qmgr: str
    channel: str
    chltype: str
    partner_qmgr: str
    partner_channel: str
    phase: str
    cause: str
    fix_side: str
    severity: str
    check_id: str
    evidence: str
    detail: str


@dataclass
class Pair:
    initiator: Endpoint
    init_channel: MqscObject
    responder: Endpoint | None
    resp_channel: MqscObject | None
    conname: str
    how: str  # conname | name-only


def conname_hosts(conname: str) -> list[str]:
    """`a.example.com(1414),10.0.0.5(1415)` -> ['a.example.com', '10.0.0.5']."""
    hosts = []
    depth, start = 0, 0
    for i, ch in enumerate(conname + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            item = conname[start:i].strip()
            start = i + 1
            if item:
                hosts.append(item.split("(")[0].strip().lower())
    return hosts


def pair_channels(endpoints: list[Endpoint]) -> list[Pair]:
    pairs = []
    for ep in endpoints:
        for chl in ep.channels:
            chltype = chl.get("CHLTYPE")
            if chltype not in INITIATORS or not chl.get("CONNAME"):
                continue  # a responder, or an SVR/RQSTR/CLUSSDR that does not initiate
            name = chl.get("CHANNEL")
            if name.startswith("SYSTEM.DEF.") or name.startswith("SYSTEM.AUTO."):
                continue
            conname = chl.get("CONNAME")
            hosts = conname_hosts(conname)
            partner = next((o for h in hosts for o in endpoints if o is not ep and h in o.names()), None)
            how = "conname"
            if partner is None:
                # no addresses known (directory convention): fall back to the channel name
                partner = next((o for o in endpoints if o is not ep and o.kind == "qmgr" and not o.names()
                                and o.channel(name) is not None), None)
                how = "name-only"
            resp = partner.channel(name) if partner else None
            pairs.append(Pair(ep, chl, partner, resp, conname, how))
    return pairs


def _label_for(ep: Endpoint, chl: MqscObject | None) -> str:
    if chl is not None and chl.get("CERTLABL"):
        return chl.get("CERTLABL")
    return ep.default_label()


def presented_cert(ep: Endpoint, chl: MqscObject | None) -> tuple[str, CertInfo | None]:
    """The label `ep` presents on `chl`, and its personal certificate if the key repository has it."""
    label = _label_for(ep, chl)
    if ep.keystore is None:
        return label, None
    return label, ep.keystore.personal(label)


class Checker:
    def __init__(self, endpoints: list[Endpoint], as_of: dt.datetime, expiry_window: int,
                 vocabulary: dict[str, str] | None = None, catalogue: ciphers.Catalogue | None = None) -> None:
        self.endpoints = endpoints
        self.as_of = as_of
        self.window = dt.timedelta(days=expiry_window)
        self.vocab = vocabulary or load_vocabulary()
        self.cat = catalogue or ciphers.load_catalogue()

    def finding(self, check_id: str, qmgr: str, chl: MqscObject | None, partner: str, partner_channel: str,
                fix_side: str, evidence: str, detail: str, severity: str | None = None) -> Finding:
        check = CHECKS[check_id]
        return Finding(
            qmgr=qmgr, channel=chl.get("CHANNEL") if chl else partner_channel,
            chltype=chl.get("CHLTYPE") if chl else "", partner_qmgr=partner, partner_channel=partner_channel,
            phase=self.vocab[check.cause], cause=check.cause, fix_side=fix_side,
            severity=severity or check.severity, check_id=check_id, evidence=evidence, detail=detail,
        )

    def run(self) -> list[Finding]:
        findings: list[Finding] = []
        for ep in self.endpoints:
            findings.extend(self.channel_checks(ep))
        for pair in pair_channels(self.endpoints):
            findings.extend(self.pair_checks(pair))
        return findings

    # --- one end at a time ------------------------------------------------------------------------

    def channel_checks(self, ep: Endpoint) -> Iterator[Finding]:
        version = ciphers.parse_version(ep.qmgr.get("VERSION", ""))
        for chl in ep.channels:
            value = chl.get("SSLCIPH")
            if not value or chl.get("CHANNEL").startswith("SYSTEM."):
                continue
            evidence = f"{ep.name} {chl.get('CHANNEL')} SSLCIPH({value})"
            if ep.kind == "qmgr" and "SSLKEYR" in ep.qmgr and not ep.qmgr["SSLKEYR"]:
                yield self.finding("keystore.unset", ep.name, chl, "", "", "local", f"{evidence}; QMGR SSLKEYR( )",
                                   f"{ep.name} has no key repository (SSLKEYR is blank): no TLS channel can start")
            if not ciphers.is_known(value, self.cat):
                yield self.finding("cipher.invalid", ep.name, chl, "", "", "local", evidence,
                                   f"{value} is not a CipherSpec or alias; the channel cannot start")
                continue
            canonical = ciphers.canonical(value, self.cat)
            named = ciphers.spec(value, self.cat)
            newer = named is None or named.protocol == ciphers.TLS13  # None: an alias
            if newer and version is not None and version < ciphers.ALIAS_MIN_VERSION:
                yield self.finding("cipher.unsupported_level", ep.name, chl, "", "", "local",
                                   f"{evidence}; VERSION({ep.qmgr.get('VERSION')})",
                                   f"{canonical} needs MQ 9.1.4 or later")
            reason = ciphers.deprecated_reason(value, self.cat)
            if reason and named is not None:
                blocked = ep.tls.allows(named)
                yield self.finding(
                    "cipher.deprecated", ep.name, chl, "", "", "local", evidence,
                    f"{canonical} is deprecated ({reason})" + (f"; {blocked}: the channel cannot start" if blocked
                                                               else "; re-enabled at this end, but weak"),
                    severity="error" if blocked else "warning",
                )

    # --- both ends ----------------------------------------------------------------------------------

    def pair_checks(self, pair: Pair) -> Iterator[Finding]:
        ini, ichl, resp, rchl = pair.initiator, pair.init_channel, pair.responder, pair.resp_channel
        name = ichl.get("CHANNEL")
        if resp is None:
            yield self.finding("pair.partner_unknown", ini.name, ichl, "", name, "local",
                               f"{ini.name} {name} CONNAME({pair.conname})",
                               "no queue manager in the configuration answers on this CONNAME; only this end was checked")
            return
        if rchl is None:
            similar = sorted(c.get("CHANNEL") for c in resp.channels
                             if c.get("CHLTYPE") == INITIATORS[ichl.get("CHLTYPE")]
                             and _similar(c.get("CHANNEL"), name))
            hint = f"; {resp.name} defines {', '.join(similar)}" if similar else ""
            yield self.finding("pair.not_defined", ini.name, ichl, resp.name, name, "remote",
                               f"{ini.name} {ichl.get('CHLTYPE')} {name} CONNAME({pair.conname}); no channel {name} on {resp.name}{hint}",
                               f"{resp.name} has no {INITIATORS[ichl.get('CHLTYPE')]} named {name}")
            return
        if rchl.get("CHLTYPE") != INITIATORS[ichl.get("CHLTYPE")]:
            yield self.finding("pair.type_mismatch", ini.name, ichl, resp.name, name, "both",
                               f"{ini.name} {ichl.get('CHLTYPE')} against {resp.name} {rchl.get('CHLTYPE')}",
                               f"{ichl.get('CHLTYPE')} pairs with {INITIATORS[ichl.get('CHLTYPE')]}")
            return
        tls_ok = yield from self.cipher_pair(pair)
        if tls_ok:
            yield from self.cert_pair(pair)
        yield from self.chlauth_pair(pair)

    def cipher_pair(self, pair: Pair) -> Generator[Finding, None, bool]:
        """Returns (via StopIteration) whether TLS is in use and the ciphers are consistent enough to go on."""
        ini, ichl, resp, rchl = pair.initiator, pair.init_channel, pair.responder, pair.resp_channel
        assert resp is not None and rchl is not None
        a, b = ichl.get("SSLCIPH"), rchl.get("SSLCIPH")
        name = ichl.get("CHANNEL")
        evidence = f"{ini.name} {ichl.get('CHLTYPE')} SSLCIPH({a}); {resp.name} {rchl.get('CHLTYPE')} SSLCIPH({b})"
        if not a and not b:
            return False
        if not a or not b:
            yield self.finding("cipher.one_sided", resp.name, rchl, ini.name, name, "both", evidence,
                               f"only {ini.name if a else resp.name} uses TLS on {name}")
            return False
        if not ciphers.is_known(a, self.cat) or not ciphers.is_known(b, self.cat):
            return False  # reported by cipher.invalid
        outcome = ciphers.agree(a, b, ini.tls, resp.tls, self.cat)
        if not outcome.ok:
            check = "cipher.mismatch" if outcome.cause == "cipher_mismatch" else "cipher.protocol"
            yield self.finding(check, resp.name, rchl, ini.name, name, "both", evidence, outcome.reason)
            return True  # later checks (certificates, SSLPEER) still describe the state after a cipher fix
        if outcome.warning:
            yield self.finding("cipher.alias_combination", resp.name, rchl, ini.name, name, "both", evidence,
                               outcome.warning)
        return True

    def cert_pair(self, pair: Pair) -> Iterator[Finding]:
        ini, ichl, resp, rchl = pair.initiator, pair.init_channel, pair.responder, pair.resp_channel
        assert resp is not None and rchl is not None
        name = ichl.get("CHANNEL")
        # the responder (TLS server) always presents a certificate
        r_label, r_cert = presented_cert(resp, rchl)
        if resp.keystore is not None and r_cert is None:
            yield self.finding("cert.label_missing", resp.name, rchl, ini.name, name, "local",
                               f"{resp.name} label {r_label!r} ({_label_origin(resp, rchl)}); key repository {resp.keystore.path} holds {_labels(resp.keystore)}",
                               f"{resp.name} has no personal certificate {r_label!r} to present on {name}")
        elif r_cert is not None and ini.keystore is not None:
            yield from self.validate_cert(ini, ichl, resp, r_cert, name)
        # the initiator (TLS client) sends one if it has one
        i_label, i_cert = presented_cert(ini, ichl)
        requires = rchl.get("SSLCAUTH", "REQUIRED") == "REQUIRED" or bool(rchl.get("SSLPEER"))
        if ini.keystore is not None and i_cert is None:
            if requires:
                yield self.finding(
                    "cert.client_missing", resp.name, rchl, ini.name, name, "remote",
                    f"{resp.name} {rchl.get('CHLTYPE')} SSLCAUTH({rchl.get('SSLCAUTH', 'REQUIRED')})"
                    f"{' SSLPEER(' + rchl.get('SSLPEER') + ')' if rchl.get('SSLPEER') else ''}; {ini.name} label "
                    f"{i_label!r} ({_label_origin(ini, ichl)}) not in its key repository ({_labels(ini.keystore)})",
                    f"{ini.name} sends no certificate on {name}; {resp.name} requires one",
                )
            else:
                yield self.finding("cert.label_missing", ini.name, ichl, resp.name, name, "local",
                                   f"{ini.name} label {i_label!r} ({_label_origin(ini, ichl)}) not in its key repository",
                                   f"{ini.name} connects anonymously on {name} (the responder does not require a certificate)",
                                   severity="warning")
        elif i_cert is not None and resp.keystore is not None:
            yield from self.validate_cert(resp, rchl, ini, i_cert, name)
        # SSLPEER on each end against the other end's certificate
        for local, lchl, remote, rcert in ((resp, rchl, ini, i_cert), (ini, ichl, resp, r_cert)):
            peer = lchl.get("SSLPEER")
            if not peer or rcert is None:
                continue
            result = match_peer(peer, rcert.subject, rcert.serial, f"{local.name} {name} SSLPEER")
            if not result.ok:
                yield self.finding("sslpeer.mismatch", local.name, lchl, remote.name, name, "local",
                                   f"{local.name} {lchl.get('CHLTYPE')} SSLPEER({peer}); {remote.name} certificate "
                                   f"{rcert.label!r} subject {rcert.subject_dn}",
                                   result.reason)

    def validate_cert(self, validator: Endpoint, vchl: MqscObject, sender: Endpoint, cert: CertInfo,
                      name: str) -> Iterator[Finding]:
        assert validator.keystore is not None and sender.keystore is not None
        result = validate(cert, sender.keystore, validator.keystore, self.as_of)
        evidence = (f"{sender.name} certificate {cert.label!r} subject {cert.subject_dn} issuer {cert.issuer_dn} "
                    f"valid {cert.not_before:%Y-%m-%d}..{cert.not_after:%Y-%m-%d}")
        if result.problem == "untrusted":
            yield self.finding("cert.untrusted", validator.name, vchl, sender.name, name, "local", evidence,
                               result.detail)
        elif result.problem in ("expired", "not_yet_valid"):
            yield self.finding("cert.expired", validator.name, vchl, sender.name, name, "remote", evidence,
                               result.detail)
        elif result.ok:
            soonest = min(result.chain, key=lambda c: c.not_after)
            if soonest.not_after - self.as_of <= self.window:
                days = (soonest.not_after - self.as_of).days
                yield self.finding("cert.expiring", validator.name, vchl, sender.name, name, "remote", evidence,
                                   f"{soonest.subject_dn} (label {soonest.label}) expires "
                                   f"{soonest.not_after:%Y-%m-%d}, in {days} days")

    def chlauth_pair(self, pair: Pair) -> Iterator[Finding]:
        ini, ichl, resp, rchl = pair.initiator, pair.init_channel, pair.responder, pair.resp_channel
        assert resp is not None and rchl is not None
        if resp.kind != "qmgr" or resp.qmgr.get("CHLAUTH", "ENABLED") == "DISABLED" or not resp.chlauth:
            return
        _label, cert = presented_cert(ini, ichl)
        partner = Partner(
            address=next((a for a in ini.addresses if a[:1].isdigit() or ":" in a), ""),
            host=ini.host,
            qmgr=ini.name if ini.kind == "qmgr" else "",
            client_user=ini.user if ini.kind == "client" else "",
            subject=tuple(cert.subject) if cert else None,
            issuer=tuple(cert.issuer) if cert else None,
            serial=cert.serial if cert else "",
        )
        verdict = evaluate([r.attrs for r in resp.chlauth], rchl.get("CHANNEL"), rchl.get("CHLTYPE"),
                           rchl.get("MCAUSER"), partner, resp.admin_users, resp.mca_user)
        if verdict.blocked:
            who = f"{ini.name} from {partner.address or ini.host}"
            if cert is not None:
                who += f" with certificate subject {cert.subject_dn}"
            yield self.finding(verdict.check_id, resp.name, rchl, ini.name, rchl.get("CHANNEL"), "local",
                               f"{verdict.rule}; partner {who}",
                               f"{resp.name} refuses {ini.name} on {rchl.get('CHANNEL')}: {verdict.detail}",
                               severity="warning" if verdict.warn_only else "error")


def _similar(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _labels(repo: KeyRepository) -> str:
    personal = sorted(k for k, v in repo.entries.items() if v.personal)
    return "personal: " + (", ".join(personal) or "none")


def _label_origin(ep: Endpoint, chl: MqscObject | None) -> str:
    if chl is not None and chl.get("CERTLABL"):
        return f"channel CERTLABL({chl.get('CERTLABL')})"
    if ep.kind == "client":
        return "client CertificateLabel" if ep.certlabl else f"default ibmwebspheremq{ep.user.lower()}"
    if ep.qmgr.get("CERTLABL"):
        return f"QMGR CERTLABL({ep.qmgr.get('CERTLABL')})"
    return "default label"
