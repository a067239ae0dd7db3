"""Which files belong to which queue manager (or client): the preflight manifest.

A PATH given to `mqtriage preflight` is either a manifest file (`preflight.yaml`), a folder holding
one, or a folder laid out by convention (one sub-folder per queue manager; see docs/preflight.md).
The manifest is validated before anything is read: unknown keys are rejected with the file and the
entry named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError
from pipeline.preflight.certs import KeyRepository, load_keystore
from pipeline.preflight.ciphers import TlsPolicy
from pipeline.preflight.mqsc import MqscObject, read_display

MANIFEST = "preflight.yaml"
ENDPOINT_KEYS = {
    "name", "kind", "host", "addresses", "mqsc", "keystore", "tls", "admin_users", "mca_user", "user",
    "certlabl", "description",
}
TLS_KEYS = {"tls_v1_enable", "ssl_v3_enable", "tls_v13_enable", "weak_ciphers"}
MQSC_SUFFIXES = {".txt", ".mqsc", ".out", ".log"}


@dataclass
class Endpoint:
    """A queue manager, or a client application (kind `client`) holding CLNTCONN definitions."""

    name: str
    kind: str                       # qmgr | client
    host: str = ""
    addresses: list[str] = field(default_factory=list)
    qmgr: dict[str, str] = field(default_factory=dict)
    channels: list[MqscObject] = field(default_factory=list)
    chlauth: list[MqscObject] = field(default_factory=list)
    keystore: KeyRepository | None = None
    tls: TlsPolicy = field(default_factory=TlsPolicy)
    admin_users: list[str] = field(default_factory=lambda: ["mqm"])
    mca_user: str = "mqm"          # the user a RCVR-type MCA runs as when MCAUSER is blank
    user: str = ""                 # clients: the user id the client asserts
    certlabl: str = ""             # clients: the certificate label (mqclient.ini CertificateLabel)
    source: str = ""

    def names(self) -> set[str]:
        """Host names and addresses this endpoint answers on, lower case."""
        out = {a.lower() for a in self.addresses}
        if self.host:
            out.add(self.host.lower())
        return out

    def channel(self, name: str) -> MqscObject | None:
        return next((c for c in self.channels if c.get("CHANNEL") == name), None)

    def default_label(self) -> str:
        if self.kind == "client":
            return self.certlabl or f"ibmwebspheremq{self.user.lower()}"
        return self.qmgr.get("CERTLABL") or f"ibmwebspheremq{self.name.lower()}"


def load(paths: list[Path]) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    for path in paths:
        if path.is_file():
            endpoints.extend(_load_manifest(path))
        elif (path / MANIFEST).is_file():
            endpoints.extend(_load_manifest(path / MANIFEST))
        elif path.is_dir():
            endpoints.extend(_load_convention(path))
        else:
            raise ConfigError(f"{path}: no such file or folder")
    seen: dict[str, str] = {}
    for ep in endpoints:
        if ep.name in seen:
            raise ConfigError(f"{ep.source}: {ep.name} is also defined in {seen[ep.name]}")
        seen[ep.name] = ep.source
    return endpoints


def _load_manifest(path: Path) -> list[Endpoint]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read manifest ({exc})") from exc
    if not isinstance(doc, dict) or set(doc) - {"version", "endpoints"}:
        raise ConfigError(f"{path}: a manifest is a mapping with `version: 1` and `endpoints:`")
    if doc.get("version") != 1:
        raise ConfigError(f"{path}: unsupported manifest version {doc.get('version')!r} (expected 1)")
    entries = doc.get("endpoints")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: `endpoints` must be a non-empty list")
    base = path.parent
    return [_endpoint_from_entry(entry, base, f"{path}: endpoints[{i}]") for i, entry in enumerate(entries)]


def _endpoint_from_entry(entry: Any, base: Path, where: str) -> Endpoint:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: `name` is required")
    where = f"{where} ({name})"
    unknown = set(entry) - ENDPOINT_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = entry.get("kind", "qmgr")
    if kind not in ("qmgr", "client"):
        raise ConfigError(f"{where}: kind must be qmgr or client, not {kind!r}")
    ep = Endpoint(name=name, kind=kind, source=where)
    ep.host = str(entry.get("host", ""))
    ep.addresses = [str(a) for a in _as_list(entry.get("addresses", []), where, "addresses")]
    ep.admin_users = [str(u) for u in _as_list(entry.get("admin_users", ["mqm"]), where, "admin_users")]
    ep.mca_user = str(entry.get("mca_user", "mqm"))
    ep.user = str(entry.get("user", ""))
    ep.certlabl = str(entry.get("certlabl", ""))
    ep.tls = _tls_policy(entry.get("tls", {}), where)
    for rel in _as_list(entry.get("mqsc", []), where, "mqsc"):
        _add_objects(ep, read_display(base / str(rel)))
    if entry.get("keystore"):
        ep.keystore = load_keystore(base / str(entry["keystore"]), name)
    _check_qmgr_name(ep, where)
    return ep


def _as_list(value: Any, where: str, key: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: `{key}` must be a list")
    return value


def _tls_policy(value: Any, where: str) -> TlsPolicy:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `tls` must be a mapping")
    unknown = set(value) - TLS_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown tls key(s) {', '.join(sorted(unknown))}")
    for key in ("tls_v1_enable", "ssl_v3_enable", "tls_v13_enable"):
        if key in value and not isinstance(value[key], bool):
            raise ConfigError(f"{where}: tls.{key} must be true or false")
    return TlsPolicy(
        tls_v1_enable=value.get("tls_v1_enable", False),
        ssl_v3_enable=value.get("ssl_v3_enable", False),
        tls_v13_enable=value.get("tls_v13_enable", True),
        weak_ciphers=frozenset(str(v).upper() for v in _as_list(value.get("weak_ciphers", []), where, "tls.weak_ciphers")),
    )


def _add_objects(ep: Endpoint, objects: list[MqscObject]) -> None:
    for obj in objects:
        if obj.kind == "qmgr":
            ep.qmgr.update(obj.attrs)
        elif obj.kind == "channel":
            ep.channels.append(obj)
        elif obj.kind == "chlauth":
            ep.chlauth.append(obj)


def _check_qmgr_name(ep: Endpoint, where: str) -> None:
    shown = ep.qmgr.get("QMNAME")
    if ep.kind == "qmgr" and shown and shown != ep.name:
        raise ConfigError(f"{where}: DISPLAY QMGR shows QMNAME({shown}), not {ep.name}")


def _load_convention(folder: Path) -> list[Endpoint]:
    """One sub-folder per queue manager or client: runmqsc outputs (*.txt, *.mqsc) and `keystore/`.
    The name comes from DISPLAY QMGR QMNAME; a folder with CLNTCONN definitions only is a client
    named after the folder."""
    endpoints = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        ep = Endpoint(name=sub.name, kind="qmgr", source=str(sub))
        for path in sorted(sub.iterdir()):
            if path.is_file() and path.suffix.lower() in MQSC_SUFFIXES:
                _add_objects(ep, read_display(path))
        if not ep.qmgr and not ep.channels:
            continue
        if ep.qmgr.get("QMNAME"):
            ep.name = ep.qmgr["QMNAME"]
        elif all(c.get("CHLTYPE") == "CLNTCONN" for c in ep.channels):
            ep.kind = "client"
        if (sub / "keystore").is_dir():
            ep.keystore = load_keystore(sub / "keystore", ep.name)
        endpoints.append(ep)
    if not endpoints:
        raise ConfigError(f"{folder}: no {MANIFEST} and no sub-folder with runmqsc output")
    return endpoints
