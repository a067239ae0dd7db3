"""Certificates and key repositories, read offline with `cryptography` (no network, no revocation lookups).

A key repository is described by a folder (see docs/preflight.md):

* `cert-list.txt` - text output of `runmqakm -cert -list`: one label per line after a marker column
  (`-` personal, `!` trusted signer, `*` default, `#` secret key; markers may combine, `*-`);
* `<label>.pem` / `.crt` / `.cer` (PEM) or `<label>.der` (DER) - the certificate stored under that label
  (the public part only: no private keys are needed or read);
* `<label>.details.txt` - text output of `runmqakm -cert -details -label <label>` instead of a file.

Without `cert-list.txt`, every certificate file is an entry named after its file stem, personal when
it is not a CA.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from pipeline.errors import ConfigError
from pipeline.preflight.dn import Rdn, format_dn, parse_dn

_OID_NAMES = {
    NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "ST", NameOID.COUNTRY_NAME: "C",
    NameOID.DOMAIN_COMPONENT: "DC", NameOID.STREET_ADDRESS: "STREET", NameOID.USER_ID: "UID",
    NameOID.EMAIL_ADDRESS: "MAIL", NameOID.POSTAL_CODE: "POSTALCODE", NameOID.DN_QUALIFIER: "DNQ",
    NameOID.SURNAME: "SN", NameOID.TITLE: "T", NameOID.GIVEN_NAME: "GIVENNAME",
    NameOID.UNSTRUCTURED_NAME: "UNSTRUCTUREDNAME",
}
CERT_SUFFIXES = {".pem": "pem", ".crt": "pem", ".cer": "pem", ".der": "der"}
DETAILS_SUFFIX = ".details.txt"
LIST_FILE = "cert-list.txt"


@dataclass
class CertInfo:
    """What preflight needs from one certificate, whatever form it came in."""

    label: str
    subject: list[Rdn]
    issuer: list[Rdn]
    serial: str                  # colon hex, upper case: 00:94:71:A1
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool
    source: str
    personal: bool = False
    x509cert: x509.Certificate | None = None
    fingerprint: str = ""

    @property
    def subject_dn(self) -> str:
        return format_dn(self.subject)

    @property
    def issuer_dn(self) -> str:
        return format_dn(self.issuer)

    @property
    def self_signed(self) -> bool:
        return dn_key(self.subject) == dn_key(self.issuer)


def dn_key(rdns: list[Rdn]) -> tuple[tuple[str, str], ...]:
    """Order-sensitive, case-insensitive identity of a DN (for issuer/subject chaining)."""
    return tuple((r.attr, r.value.casefold()) for r in rdns)


def name_to_rdns(name: x509.Name) -> list[Rdn]:
    """MQ shows DNs most specific first (CN first): the reverse of the encoded RDN sequence."""
    out: list[Rdn] = []
    for rdn in reversed(list(name.rdns)):
        for attr in rdn:
            key = _OID_NAMES.get(attr.oid, attr.oid.dotted_string)
            value = attr.value if isinstance(attr.value, str) else attr.value.hex()
            out.append(Rdn(key, value))
    return out


def serial_hex(number: int) -> str:
    raw = f"{number:X}"
    if len(raw) % 2:
        raw = "0" + raw
    return ":".join(raw[i:i + 2] for i in range(0, len(raw), 2))


def from_x509(cert: x509.Certificate, label: str, source: str) -> CertInfo:
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = bool(basic.ca)
    except x509.ExtensionNotFound:
        is_ca = cert.subject == cert.issuer
    return CertInfo(
        label=label,
        subject=name_to_rdns(cert.subject),
        issuer=name_to_rdns(cert.issuer),
        serial=serial_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        source=source,
        x509cert=cert,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def load_cert_file(path: Path, label: str) -> list[CertInfo]:
    """All certificates in a PEM (one or several) or DER file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read certificate ({exc.strerror})") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ConfigError(f"{path}: not a PEM or DER X.509 certificate ({exc})") from exc
    out = []
    for index, cert in enumerate(certs):
        name = label if index == 0 else f"{label}#{index + 1}"
        out.append(from_x509(cert, name, str(path)))
    return out


# --- runmqakm text outputs -------------------------------------------------------------------------

_MARKERS = set("*-!#")


def parse_cert_list(text: str, source: str) -> list[tuple[str, bool, bool]]:
    """`runmqakm -cert -list` -> [(label, personal, default)].  Header and legend lines are skipped."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        stripped = line.lstrip()
        marker_end = 0
        while marker_end < len(stripped) and stripped[marker_end] in _MARKERS:
            marker_end += 1
        if marker_end == 0:
            if stripped.lower().startswith(("certificates found", "certificates in", "no certificates")):
                continue
            raise ConfigError(f"{source}:{number}: expected a marker (-, !, *, #) before the label: {line!r}")
        markers = stripped[:marker_end]
        label = stripped[marker_end:].strip()
        if not label or label.lower().startswith("default,"):
            continue  # the legend line `* default, - personal, ! trusted, # secret key`
        if "#" in markers and "-" not in markers and "!" not in markers:
            continue  # secret keys are not certificates
        out.append((label, "-" in markers, "*" in markers))
    return out


_DATE_FORMATS = (
    "%B %d, %Y %I:%M:%S %p", "%B %d, %Y %H:%M:%S", "%d %B %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d",
    "%B %d, %Y",
)


def _parse_akm_date(value: str, where: str) -> dt.datetime:
    text = value.strip()
    # drop a trailing zone such as `GMT+00:00` or `UTC` (the tool prints UTC on our inputs; assumption)
    for marker in (" GMT", " UTC", " Z"):
        if marker in text:
            text = text.split(marker)[0].strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise ConfigError(f"{where}: unrecognised date {value!r}")


def parse_cert_details(text: str, source: str) -> CertInfo:
    """`runmqakm -cert -details` text: `Key : value` lines (Label, Serial, Issuer, Subject, Not Before,
    Not After).  Indented continuation lines (public key dumps) are ignored."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        if not raw or raw[0].isspace() or " : " not in raw and not raw.rstrip().endswith(":"):
            continue
        key, _, value = raw.partition(":")
        key = key.strip().lower()
        if key and key not in fields:
            fields[key] = value.strip()
    missing = [k for k in ("label", "subject", "issuer", "not before", "not after") if not fields.get(k)]
    if missing:
        raise ConfigError(f"{source}: runmqakm -cert -details output lacks {', '.join(missing)}")
    subject = parse_dn(fields["subject"], f"{source}: Subject")
    issuer = parse_dn(fields["issuer"], f"{source}: Issuer")
    serial = fields.get("serial", "").replace(" ", "")
    if serial and ":" not in serial:
        serial = ":".join(serial[i:i + 2] for i in range(0, len(serial), 2))
    return CertInfo(
        label=fields["label"],
        subject=subject,
        issuer=issuer,
        serial=serial.upper(),
        not_before=_parse_akm_date(fields["not before"], f"{source}: Not Before"),
        not_after=_parse_akm_date(fields["not after"], f"{source}: Not After"),
        is_ca=dn_key(subject) == dn_key(issuer) or fields.get("basic constraints", "").lower().startswith("ca"),
        source=source,
    )


# --- key repository --------------------------------------------------------------------------------


@dataclass
class KeyRepository:
    """The labelled certificates one queue manager or client holds."""

    owner: str
    path: str
    entries: dict[str, CertInfo] = field(default_factory=dict)

    def personal(self, label: str) -> CertInfo | None:
        entry = self.find_label(label)
        return entry if entry is not None and entry.personal else None

    def find_label(self, label: str) -> CertInfo | None:
        # GSKit labels compare case-insensitively (assumption, see docs/preflight.md)
        wanted = label.casefold()
        for name, entry in self.entries.items():
            if name.casefold() == wanted:
                return entry
        return None

    def signers(self) -> list[CertInfo]:
        """Every certificate the repository can use to validate a partner's chain."""
        return list(self.entries.values())


def load_keystore(folder: Path, owner: str) -> KeyRepository:
    if not folder.is_dir():
        raise ConfigError(f"{folder}: key repository folder not found (for {owner})")
    repo = KeyRepository(owner=owner, path=str(folder))
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.endswith(DETAILS_SUFFIX):
            files[name[: -len(DETAILS_SUFFIX)]] = path
        elif path.suffix.lower() in CERT_SUFFIXES:
            files[path.stem] = path
    listing = folder / LIST_FILE
    if listing.is_file():
        for label, personal, _default in parse_cert_list(listing.read_text(encoding="utf-8"), str(listing)):
            found = _file_for_label(files, label)
            if found is None:
                raise ConfigError(f"{listing}: label {label!r} has no certificate file (expected {label}.pem,"
                                  f" {label}.der or {label}{DETAILS_SUFFIX} in {folder})")
            info = _load_entry(found, label)
            info.personal = personal
            repo.entries[label] = info
    else:
        for stem, path in files.items():
            for info in _load_entries(path, stem):
                info.personal = not info.is_ca
                repo.entries[info.label] = info
    return repo


def _file_for_label(files: dict[str, Path], label: str) -> Path | None:
    wanted = label.casefold()
    for stem, path in files.items():
        if stem.casefold() == wanted:
            return path
    return None


def _load_entries(path: Path, label: str) -> list[CertInfo]:
    if path.name.endswith(DETAILS_SUFFIX):
        info = parse_cert_details(path.read_text(encoding="utf-8"), str(path))
        return [info]
    return load_cert_file(path, label)


def _load_entry(path: Path, label: str) -> CertInfo:
    entries = _load_entries(path, label)
    info = entries[0]
    info.label = label
    return info


# --- chain building --------------------------------------------------------------------------------


@dataclass
class ChainResult:
    ok: bool
    chain: list[CertInfo]
    problem: str = ""        # '' | untrusted | expired | not_yet_valid | bad_signature
    detail: str = ""
    missing_issuer: str = ""  # DN of the first issuer the validating side lacks


def signed_by(child: CertInfo, parent: CertInfo) -> bool:
    """True when `parent` issued `child`: the DNs chain and, when both are real certificates,
    the signature verifies."""
    if dn_key(child.issuer) != dn_key(parent.subject):
        return False
    if child.x509cert is None or parent.x509cert is None:
        return True
    try:
        child.x509cert.verify_directly_issued_by(parent.x509cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def validate(presented: CertInfo, sender: KeyRepository, validator: KeyRepository,
             as_of: dt.datetime) -> ChainResult:
    """Would `validator` accept `presented` (sent by `sender`)?

    The validating side must hold every CA certificate of the chain - intermediates and root - in its
    own key repository (the conservative reading of MQ's guidance; see docs/preflight.md).  Validity
    dates are checked for every certificate of the chain at `as_of`.
    """
    chain = [presented]
    current = presented
    for _ in range(10):
        if current.self_signed:
            break
        parent = next((c for c in validator.signers() if c is not current and signed_by(current, c)), None)
        if parent is None:
            in_sender = next((c for c in sender.signers() if c is not current and signed_by(current, c)), None)
            kind = "intermediate CA" if in_sender is not None and not in_sender.self_signed else "CA"
            where = (f"a missing {kind}; {sender.owner} holds it as {in_sender.label!r}" if in_sender
                     else f"{sender.owner} does not hold it either")
            return ChainResult(
                False, chain, "untrusted",
                f"issuer {current.issuer_dn} of {current.subject_dn} is not in {validator.owner}'s key "
                f"repository ({where})",
                missing_issuer=current.issuer_dn,
            )
        chain.append(parent)
        current = parent
    if current.self_signed and not any(signed_by(current, c) for c in validator.signers()):
        return ChainResult(False, chain, "untrusted",
                           f"self-signed {current.subject_dn} is not trusted by {validator.owner}",
                           missing_issuer=current.subject_dn)
    for cert in chain:
        if cert.not_after < as_of:
            return ChainResult(False, chain, "expired",
                               f"{cert.subject_dn} (label {cert.label}) expired {cert.not_after:%Y-%m-%d}")
        if cert.not_before > as_of:
            return ChainResult(False, chain, "not_yet_valid",
                               f"{cert.subject_dn} (label {cert.label}) is valid only from {cert.not_before:%Y-%m-%d}")
    return ChainResult(True, chain)
