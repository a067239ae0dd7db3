"""Fixtures for preflight tests: a small in-memory PKI (EC keys: fast) and a two-queue-manager world
whose definitions are built per test from a few overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pipeline.preflight.certs import CertInfo, KeyRepository, from_x509
from pipeline.preflight.checks import Checker, Finding
from pipeline.preflight.ciphers import TlsPolicy
from pipeline.preflight.config import Endpoint
from pipeline.preflight.mqsc import MqscObject

AS_OF = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def issue(cn: str, issuer: Issued | None, days_from: int = -100, days_to: int = 300, ca: bool = False,
          ou: str | None = None, serial: int = 1, key: ec.EllipticCurvePrivateKey | None = None) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp")]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    name = x509.Name(attrs)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key()).serial_number(serial)
        .not_valid_before(AS_OF + dt.timedelta(days=days_from)).not_valid_after(AS_OF + dt.timedelta(days=days_to))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer.key if issuer else key, hashes.SHA256())
    )
    return Issued(cert, key)


@dataclass
class Pki:
    root: Issued
    ca1: Issued
    ca2: Issued
    qmx: Issued
    qmy: Issued

    def info(self, issued: Issued, label: str, personal: bool = False) -> CertInfo:
        entry = from_x509(issued.cert, label, f"{label}.pem")
        entry.personal = personal
        return entry


@pytest.fixture(scope="session")
def pki() -> Pki:
    root = issue("Test Root CA", None, -1000, 3000, ca=True)
    ca1 = issue("Test CA 1", root, -900, 2000, ca=True, serial=2)
    ca2 = issue("Test CA 2", root, -900, 2000, ca=True, serial=3)
    qmx = issue("qmx.example.com", ca1, ou="MQ", serial=10)
    qmy = issue("qmy.example.com", ca1, ou="MQ", serial=11)
    return Pki(root, ca1, ca2, qmx, qmy)


def keystore(owner: str, entries: dict[str, tuple[CertInfo, bool]]) -> KeyRepository:
    repo = KeyRepository(owner=owner, path=f"{owner.lower()}/keystore")
    for label, (info, personal) in entries.items():
        info.label = label
        info.personal = personal
        repo.entries[label] = info
    return repo


def obj(kind: str, **attrs: str) -> MqscObject:
    return MqscObject(kind=kind, attrs={k.upper(): v for k, v in attrs.items()})


World = Callable[..., list[Finding]]


@pytest.fixture()
def world(pki: Pki) -> World:
    """Run the checks on QMX (SDR X.Y) -> QMY (RCVR X.Y), a configuration that passes every check;
    keyword overrides change one thing: `sdr` / `rcvr` (channel attributes), `qmx` / `qmy` (QMGR
    attributes), `qmy_chlauth` (list of CHLAUTH attribute dicts), `qmx_keys` / `qmy_keys` (label ->
    (CertInfo, personal)), `qmx_tls` / `qmy_tls` (TlsPolicy), `as_of`, `window`."""

    def run(**over: Any) -> list[Finding]:
        sdr = {"CHANNEL": "X.Y", "CHLTYPE": "SDR", "CONNAME": "qmy.example.com(1414)",
               "SSLCIPH": "ANY_TLS12_OR_HIGHER", "CERTLABL": "", "SSLPEER": ""}
        rcvr = {"CHANNEL": "X.Y", "CHLTYPE": "RCVR", "SSLCIPH": "ANY_TLS12_OR_HIGHER", "SSLCAUTH": "REQUIRED",
                "SSLPEER": "", "CERTLABL": "", "MCAUSER": "mqxfer"}
        sdr.update(over.get("sdr", {}))
        rcvr.update(over.get("rcvr", {}))
        qmx_keys = over.get("qmx_keys") or {
            "root": (pki.info(pki.root, "root"), False), "ca1": (pki.info(pki.ca1, "ca1"), False),
            "ibmwebspheremqqmx": (pki.info(pki.qmx, "ibmwebspheremqqmx"), True),
        }
        qmy_keys = over.get("qmy_keys") or {
            "root": (pki.info(pki.root, "root"), False), "ca1": (pki.info(pki.ca1, "ca1"), False),
            "ibmwebspheremqqmy": (pki.info(pki.qmy, "ibmwebspheremqqmy"), True),
        }
        chlauth = over.get("qmy_chlauth", [
            {"CHLAUTH": "SYSTEM.*", "TYPE": "ADDRESSMAP", "ADDRESS": "*", "USERSRC": "NOACCESS"},
            {"CHLAUTH": "*", "TYPE": "BLOCKUSER", "USERLIST": "*MQADMIN"},
        ])
        qmx = Endpoint(name="QMX", kind="qmgr", host="qmx.example.com", addresses=["10.0.0.1"],
                       qmgr={"QMNAME": "QMX", "VERSION": "09040000", **over.get("qmx", {})},
                       channels=[MqscObject("channel", sdr)], keystore=keystore("QMX", qmx_keys),
                       tls=over.get("qmx_tls", TlsPolicy()))
        qmy = Endpoint(name="QMY", kind="qmgr", host="qmy.example.com", addresses=["10.0.0.2"],
                       qmgr={"QMNAME": "QMY", "VERSION": "09040000", **over.get("qmy", {})},
                       channels=[MqscObject("channel", rcvr)],
                       chlauth=[MqscObject("chlauth", dict(r)) for r in chlauth],
                       keystore=keystore("QMY", qmy_keys), tls=over.get("qmy_tls", TlsPolicy()))
        checker = Checker([qmx, qmy], over.get("as_of", AS_OF), over.get("window", 30))
        return checker.run()

    return run
