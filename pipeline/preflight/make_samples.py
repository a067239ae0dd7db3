"""Generate `data/samples/config/`: definitions and certificates of the sample queue managers.

    python -m pipeline.preflight.make_samples [--out data/samples/config] [--as-of 2026-11-20]

The configuration is the state at the *start* of the reference day (docs/samples.md), chosen so that
preflight predicts the failures the sample logs show.  Certificate validity dates are offsets from
--as-of; keys are generated fresh each run (cryptography cannot derive keys from a seed), so the
generated files are committed and a test checks their properties rather than their bytes.  Only the
public certificates are written - private keys are discarded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "data" / "samples" / "config"


# --- certificates ------------------------------------------------------------------------------


@dataclass
class Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _name(cn: str, o: str = "Example Corp", ou: str | None = None, c: str | None = "GB") -> x509.Name:
    attrs = []
    if c:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _issue(subject: x509.Name, serial: int, start: dt.datetime, end: dt.datetime, ca: bool,
           issuer: Issued | None, dns: str | None = None) -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                   x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        if dns:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def build_certificates(as_of: dt.date) -> dict[str, Issued]:
    noon = dt.datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=dt.UTC)

    def days(n: int) -> dt.datetime:
        return noon + dt.timedelta(days=n)

    root = _issue(_name("Example Root CA"), 0x10, days(-1000), days(3650), True, None)
    ca1 = _issue(_name("Example Issuing CA 1"), 0x11, days(-900), days(1800), True, root)
    ca2 = _issue(_name("Example Issuing CA 2"), 0x12, days(-300), days(1800), True, root)
    return {
        "root": root, "ca1": ca1, "ca2": ca2,
        # QMA: valid, expires 15 days after as-of (2026-12-05): inside the 30-day window
        "qma": _issue(_name("qma.example.com", ou="MQ"), 0x1A01, days(-350), days(15), False, ca1, "qma.example.com"),
        # QMB: the old certificate expired the day before as-of (2026-11-19); the new one is valid
        "qmb_old": _issue(_name("qmb.example.com", ou="MQ"), 0x1B01, days(-366), days(-1), False, ca1, "qmb.example.com"),
        "qmb_new": _issue(_name("qmb.example.com", ou="MQ"), 0x1B02, days(-20), days(345), False, ca1, "qmb.example.com"),
        # QMC: issued by Example Issuing CA 2 (the intermediate QMA lacks), plus a CA 1 one for QMA.QMC
        "qmc": _issue(_name("qmc.example.com", ou="MQ", c="DE"), 0x1C01, days(-100), days(265), False, ca2, "qmc.example.com"),
        "qmc_ca1": _issue(_name("qmc.example.com", ou="MQ Inbound", c="DE"), 0x1C02, days(-100), days(300), False, ca1, "qmc.example.com"),
        # the Java client app01
        "app": _issue(_name("legacy-app.example.com", c=None), 0x0A01, days(-200), days(165), False, ca1, "legacy-app.example.com"),
    }


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _akm_date(moment: dt.datetime) -> str:
    return moment.strftime("%B %d, %Y %I:%M:%S %p") + " GMT+00:00"


def _dn(name: x509.Name) -> str:
    short = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.ORGANIZATION_NAME: "O",
             NameOID.COUNTRY_NAME: "C"}
    return ",".join(f"{short[a.oid]}={a.value!s}" for rdn in reversed(list(name.rdns)) for a in rdn)


def akm_details(label: str, cert: x509.Certificate) -> str:
    """Text in the shape of `runmqakm -cert -details -label <label>` output (layout: see docs/preflight.md)."""
    serial = f"{cert.serial_number:X}"
    serial = ("0" + serial) if len(serial) % 2 else serial
    sha1 = cert.fingerprint(hashes.SHA1()).hex(" ").upper()  # noqa: S303 - shown, as the tool does
    return "\n".join([
        f"Label : {label}",
        "Key Size : 2048",
        "Version : X509 V3",
        f"Serial : {serial}",
        f"Issuer : {_dn(cert.issuer)}",
        f"Subject : {_dn(cert.subject)}",
        f"Not Before : {_akm_date(cert.not_valid_before_utc)}",
        f"Not After : {_akm_date(cert.not_valid_after_utc)}",
        "Public Key Type : RSA (1.2.840.113549.1.1.1)",
        "Fingerprint : SHA1 :",
        f"    {sha1}",
        "Signature Algorithm : SHA256WithRSASignature (1.2.840.113549.1.1.11)",
        "Trust Status : Enabled",
        "",
    ])


def cert_list(entries: list[tuple[str, str]]) -> str:
    """`runmqakm -cert -list` text: marker, tab, label."""
    lines = ["Certificates found", "* default, - personal, ! trusted, # secret key"]
    lines += [f"{marker}\t{label}" for marker, label in entries]
    return "\n".join(lines) + "\n"


# --- runmqsc displays ----------------------------------------------------------------------------

HEADERS = {"qmgr": "AMQ8408{s}: Display Queue Manager details.", "channel": "AMQ8414{s}: Display Channel details.",
           "chlauth": "AMQ8878{s}: Display channel authentication record details."}
COMMANDS = {"qmgr": "DISPLAY QMGR ALL", "channel": "DISPLAY CHANNEL(*) ALL", "chlauth": "DISPLAY CHLAUTH(*) ALL"}


def _token(key: str, value: str | None) -> str:
    if value is None:
        return key
    return f"{key}({value if value else ' '})"


def _layout(attrs: list[tuple[str, str | None]]) -> list[str]:
    """Two attributes per line: 3-space indent, first in a 40-column field (runmqsc layout)."""
    tokens = [_token(k, v) for k, v in attrs]
    lines, i = [], 0
    while i < len(tokens):
        first = tokens[i]
        if len(first) > 39 or i + 1 == len(tokens) or len(tokens[i + 1]) > 70:
            lines.append("   " + first)
            i += 1
            continue
        lines.append("   " + first.ljust(40) + tokens[i + 1])
        i += 2
    return lines


def display(qmgr: str, kind: str, objects: list[list[tuple[str, str | None]]], severity: bool = True) -> str:
    out = ["5724-H72 (C) Copyright IBM Corp. 1994, 2025.", f"Starting MQSC for queue manager {qmgr}.", "", "",
           f"     1 : {COMMANDS[kind]}"]
    for attrs in objects:
        out.append(HEADERS[kind].format(s="I" if severity else ""))
        out.extend(_layout(attrs))
    out += ["One MQSC command read.", "No commands have a syntax error.", "All valid MQSC commands were processed."]
    return "\n".join(out) + "\n"


def qmgr_attrs(name: str, version: str, certlabl: str, date: str) -> list[tuple[str, str | None]]:
    return [
        ("QMNAME", name), ("ACCTCONO", "DISABLED"), ("ALTDATE", date), ("ALTTIME", "06.00.00"),
        ("CERTLABL", certlabl), ("CERTVPOL", "ANY"), ("CHLAUTH", "ENABLED"), ("CHLEV", "DISABLED"),
        ("CMDLEVEL", version[1] + version[3] + version[5]), ("CONNAUTH", "SYSTEM.DEFAULT.AUTHINFO.IDPWOS"),
        ("DEADQ", "SYSTEM.DEAD.LETTER.QUEUE"), ("PLATFORM", "UNIX"), ("SSLCRLNL", ""), ("SSLCRYP", ""),
        ("SSLEV", "ENABLED"), ("SSLFIPS", "NO"), ("KEYRPWD", ""), ("SSLKEYR", f"/var/mqm/qmgrs/{name}/ssl/key"),
        ("SSLRKEYC", "0"), ("SUITEB", "NONE"), ("VERSION", version),
    ]


def sender(name: str, conname: str, sslciph: str, certlabl: str = "", xmitq: str = "") -> list[tuple[str, str | None]]:
    return [
        ("CHANNEL", name), ("CHLTYPE", "SDR"), ("BATCHSZ", "50"), ("CERTLABL", certlabl), ("CONNAME", conname),
        ("DESCR", ""), ("DISCINT", "6000"), ("HBINT", "300"), ("LONGRTY", "999999999"), ("LONGTMR", "1200"),
        ("MCAUSER", ""), ("SHORTRTY", "10"), ("SHORTTMR", "60"), ("SSLCIPH", sslciph), ("SSLPEER", ""),
        ("TRPTYPE", "TCP"), ("XMITQ", xmitq or name.split(".")[1]),
    ]


def receiver(name: str, sslciph: str, sslpeer: str = "", certlabl: str = "", sslcauth: str = "REQUIRED",
             mcauser: str = "mqxfer") -> list[tuple[str, str | None]]:
    return [
        ("CHANNEL", name), ("CHLTYPE", "RCVR"), ("BATCHSZ", "50"), ("CERTLABL", certlabl), ("DESCR", ""),
        ("HBINT", "300"), ("MCAUSER", mcauser), ("PUTAUT", "DEF"), ("SSLCAUTH", sslcauth), ("SSLCIPH", sslciph),
        ("SSLPEER", sslpeer), ("TRPTYPE", "TCP"),
    ]


def svrconn(name: str, sslciph: str = "", mcauser: str = "", descr: str = "") -> list[tuple[str, str | None]]:
    return [
        ("CHANNEL", name), ("CHLTYPE", "SVRCONN"), ("CERTLABL", ""), ("DESCR", descr), ("HBINT", "300"),
        ("MAXINST", "999999999"), ("MAXINSTC", "999999999"), ("MCAUSER", mcauser), ("SHARECNV", "10"),
        ("SSLCAUTH", "REQUIRED"), ("SSLCIPH", sslciph), ("SSLPEER", ""), ("TRPTYPE", "TCP"),
    ]


def default_chlauth(date: str) -> list[list[tuple[str, str | None]]]:
    return [
        [("CHLAUTH", "SYSTEM.ADMIN.SVRCONN"), ("TYPE", "ADDRESSMAP"), ("DESCR", "Default rule to allow MQ Explorer access"),
         ("CUSTOM", ""), ("ADDRESS", "*"), ("USERSRC", "CHANNEL"), ("CHCKCLNT", "ASQMGR"), ("ALTDATE", date),
         ("ALTTIME", "06.00.00")],
        [("CHLAUTH", "SYSTEM.*"), ("TYPE", "ADDRESSMAP"), ("DESCR", "Default rule to disable all SYSTEM channels"),
         ("CUSTOM", ""), ("ADDRESS", "*"), ("USERSRC", "NOACCESS"), ("WARN", "NO"), ("ALTDATE", date),
         ("ALTTIME", "06.00.00")],
        [("CHLAUTH", "*"), ("TYPE", "BLOCKUSER"), ("DESCR", "Default rule to disallow privileged users"),
         ("CUSTOM", ""), ("USERLIST", "*MQADMIN"), ("WARN", "NO"), ("ALTDATE", date), ("ALTTIME", "06.00.00")],
    ]


def system_channels() -> list[list[tuple[str, str | None]]]:
    return [svrconn("SYSTEM.ADMIN.SVRCONN"), svrconn("SYSTEM.DEF.SVRCONN"), receiver("SYSTEM.DEF.RECEIVER", "", mcauser="")]


MANIFEST = """\
# mqtriage preflight manifest (docs/preflight.md).  Generated by
# `python -m pipeline.preflight.make_samples --as-of {as_of}`: the state at the start of the
# reference day of docs/samples.md.  Paths are relative to this file.
version: 1
endpoints:
  - name: QMA
    host: mqa.example.com
    addresses: [10.1.0.11]
    mqsc: [qma/runmqsc.txt]
    keystore: qma/keystore
    admin_users: [mqm]
  - name: QMB
    host: mqb.example.com
    addresses: [10.1.0.12]
    mqsc: [qmb/qmgr.txt, qmb/channels.txt, qmb/chlauth.txt]
    keystore: qmb/keystore
  - name: QMC
    host: mqc.example.com
    addresses: [10.1.0.13]
    mqsc: [qmc/runmqsc.txt]
    keystore: qmc/keystore
    tls:
      tls_v1_enable: true      # AMQ_TLS_V1_ENABLE=TRUE in QMC's environment (legacy partners)
  - name: app01
    kind: client
    description: Java client; its CLNTCONN definition as displayed on the CCDT queue manager
    host: app01.example.com
    addresses: [10.1.0.50]
    user: appuser
    mqsc: [app01/clntconn.txt]
    keystore: app01/keystore
"""


def write(out: Path, as_of: dt.date) -> list[Path]:
    certs = build_certificates(as_of)
    date = (as_of - dt.timedelta(days=30)).isoformat()
    if out.exists():
        shutil.rmtree(out)
    written: list[Path] = []

    def put(rel: str, data: bytes | str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_bytes(data.encode("utf-8"))
        else:
            path.write_bytes(data)
        written.append(path)

    put("preflight.yaml", MANIFEST.format(as_of=as_of.isoformat()))

    # QMA (MQ 9.4.0.5): one file with the three displays, PEM key repository without CA 2
    qma_channels = [
        sender("QMA.QMB", "mqb.example.com(1414)", "ECDHE_RSA_AES_256_GCM_SHA384"),
        sender("QMA.QMB.DR", "qmb-dr.example.com(1414),mqb.example.com(1414)", "ANY_TLS12_OR_HIGHER", xmitq="QMB.DR"),
        sender("QMA.QMC", "mqc.example.com(1414)", "ECDHE_RSA_AES_256_GCM_SHA384", certlabl="qma-tls-2025"),
        sender("QMA.QMD", "mqd.example.com(1414)", "ANY_TLS12_OR_HIGHER"),
        receiver("QMB.QMA", "ANY"),
        receiver("QMC.QMA", "ECDHE_RSA_AES_256_GCM_SHA384"),
        svrconn("APP.SVRCONN", "ANY_TLS12_OR_HIGHER", descr="Application clients (TLS, CHLAUTH SSLPEERMAP)"),
        *system_channels(),
    ]
    qma_chlauth = default_chlauth(date) + [
        [("CHLAUTH", "APP.SVRCONN"), ("TYPE", "SSLPEERMAP"), ("DESCR", "Retired application - no access"),
         ("CUSTOM", ""), ("SSLPEER", "CN=legacy-app*"), ("SSLCERTI", ""), ("ADDRESS", "*"), ("USERSRC", "NOACCESS"),
         ("WARN", "NO"), ("ALTDATE", date), ("ALTTIME", "06.00.00")],
        [("CHLAUTH", "APP.SVRCONN"), ("TYPE", "SSLPEERMAP"), ("DESCR", "Application certificates run as appuser"),
         ("CUSTOM", ""), ("SSLPEER", "CN=app*,O=Example Corp"), ("SSLCERTI", ""), ("ADDRESS", "10.1.0.*"),
         ("USERSRC", "MAP"), ("MCAUSER", "appuser"), ("ALTDATE", date), ("ALTTIME", "06.00.00")],
        [("CHLAUTH", "*"), ("TYPE", "BLOCKADDR"), ("DESCR", "Decommissioned test network"), ("CUSTOM", ""),
         ("ADDRLIST", "10.9.*"), ("WARN", "NO"), ("ALTDATE", date), ("ALTTIME", "06.00.00")],
    ]
    put("qma/runmqsc.txt", "\n".join([
        display("QMA", "qmgr", [qmgr_attrs("QMA", "09040005", "ibmwebspheremqqma", date)]),
        display("QMA", "channel", qma_channels),
        display("QMA", "chlauth", qma_chlauth),
    ]))
    put("qma/keystore/cert-list.txt", cert_list([("!", "example root ca"), ("!", "example issuing ca 1"),
                                                 ("*-", "ibmwebspheremqqma")]))
    put("qma/keystore/example root ca.pem", _pem(certs["root"].cert))
    put("qma/keystore/example issuing ca 1.pem", _pem(certs["ca1"].cert))
    put("qma/keystore/ibmwebspheremqqma.pem", _pem(certs["qma"].cert))

    # QMB (MQ 9.3.0.10): three files; QMGR CERTLABL points at the renewed certificate, the sender to
    # QMA still names the expired one
    qmb_channels = [
        receiver("QMA.QMB", "TLS_RSA_WITH_AES_128_CBC_SHA256", sslpeer="CN=qma,O=Example Corp"),
        receiver("QMA.QMB.DR", "ANY_TLS12_OR_HIGHER"),
        receiver("QMC.QMB", "ANY_TLS12_OR_HIGHER"),
        sender("QMB.QMA", "mqa.example.com(1414)", "ANY_TLS12_OR_HIGHER", certlabl="ibmwebspheremqqmb"),
        sender("QMB.QMC.NEW", "mqc.example.com(1414)", "ECDHE_RSA_AES_256_GCM_SHA384", xmitq="QMC"),
        *system_channels(),
    ]
    put("qmb/qmgr.txt", display("QMB", "qmgr", [qmgr_attrs("QMB", "09030010", "qmb-2026", date)]))
    put("qmb/channels.txt", display("QMB", "channel", qmb_channels))
    put("qmb/chlauth.txt", display("QMB", "chlauth", default_chlauth(date)))
    put("qmb/keystore/cert-list.txt", cert_list([("!", "example root ca"), ("!", "example issuing ca 1"),
                                                 ("!", "example issuing ca 2"), ("-", "ibmwebspheremqqmb"),
                                                 ("*-", "qmb-2026")]))
    put("qmb/keystore/example root ca.pem", _pem(certs["root"].cert))
    put("qmb/keystore/example issuing ca 1.pem", _pem(certs["ca1"].cert))
    put("qmb/keystore/example issuing ca 2.pem", _pem(certs["ca2"].cert))
    put("qmb/keystore/ibmwebspheremqqmb.pem", _pem(certs["qmb_old"].cert))
    put("qmb/keystore/qmb-2026.pem", _pem(certs["qmb_new"].cert))

    # QMC (MQ 9.0.0.0): replies without severity letters, DER key repository export
    qmc_channels = [
        sender("QMC.QMA", "mqa.example.com(1414)", "ECDHE_RSA_AES_256_GCM_SHA384"),
        sender("QMC.QMB", "mqb.example.com(1414)", "TLS_RSA_WITH_AES_128_CBC_SHA"),
        receiver("QMA.QMC", "ECDHE_RSA_AES_256_GCM_SHA384", certlabl="qmc-ca1"),
        receiver("QMB.QMC", "ECDHE_RSA_AES_256_GCM_SHA384"),
        *system_channels(),
    ]
    put("qmc/runmqsc.txt", "\n".join([
        display("QMC", "qmgr", [qmgr_attrs("QMC", "09000000", "ibmwebspheremqqmc", date)], severity=False),
        display("QMC", "channel", qmc_channels, severity=False),
        display("QMC", "chlauth", default_chlauth(date), severity=False),
    ]))
    put("qmc/keystore/cert-list.txt", cert_list([("!", "example root ca"), ("!", "example issuing ca 1"),
                                                 ("!", "example issuing ca 2"), ("*-", "ibmwebspheremqqmc"),
                                                 ("-", "qmc-ca1")]))
    put("qmc/keystore/example root ca.der", _der(certs["root"].cert))
    put("qmc/keystore/example issuing ca 1.der", _der(certs["ca1"].cert))
    put("qmc/keystore/example issuing ca 2.der", _der(certs["ca2"].cert))
    put("qmc/keystore/ibmwebspheremqqmc.der", _der(certs["qmc"].cert))
    put("qmc/keystore/qmc-ca1.der", _der(certs["qmc_ca1"].cert))

    # app01: the CLNTCONN as displayed where the CCDT is built; root CA given as runmqakm -details text
    clntconn: list[tuple[str, str | None]] = [
        ("CHANNEL", "APP.SVRCONN"), ("CHLTYPE", "CLNTCONN"), ("AFFINITY", "PREFERRED"), ("CERTLABL", ""),
        ("CONNAME", "mqa.example.com(1414)"), ("DESCR", "app01 (Java)"), ("HBINT", "300"), ("QMNAME", "QMA"),
        ("SHARECNV", "10"), ("SSLCIPH", "ANY_TLS12_OR_HIGHER"), ("SSLPEER", "CN=qma.example.com,O=Example Corp"),
        ("TRPTYPE", "TCP"), ("USERID", ""),
    ]
    put("app01/clntconn.txt", display("QMA", "channel", [clntconn]))
    put("app01/keystore/cert-list.txt", cert_list([("!", "example root ca"), ("!", "example issuing ca 1"),
                                                   ("*-", "ibmwebspheremqappuser")]))
    put("app01/keystore/example root ca.details.txt", akm_details("example root ca", certs["root"].cert))
    put("app01/keystore/example issuing ca 1.pem", _pem(certs["ca1"].cert))
    put("app01/keystore/ibmwebspheremqappuser.pem", _pem(certs["app"].cert))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.preflight.make_samples", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="target folder (replaced)")
    parser.add_argument("--as-of", default="2026-11-20", help="reference day for validity dates (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    written = write(args.out, as_of)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
