"""CipherSpecs, the alias CipherSpecs, and whether two channel ends can agree.

The list of CipherSpecs (protocol, weak flag, legacy and Java spellings) is the project's table
`rules/ciphers.yaml` (kind `cipherspec`), shared with the classifier.  What each alias admits is
MQ behaviour and lives here (mq-facts section 9): ANY and the *_OR_HIGHER aliases are
"minimum protocol" aliases; ANY_TLS12, ANY_TLS13 and every named CipherSpec are "fixed".  A minimum
alias on the initiator with a fixed value on the responder can be rejected, so it is worth a warning.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pipeline.errors import ConfigError

TLS13, TLS12, TLS10, SSL30 = "TLSv1.3", "TLSv1.2", "TLSv1.0", "SSLv3"
PROTOCOL_ORDER = {SSL30: 0, TLS10: 1, TLS12: 2, TLS13: 3}


@dataclass(frozen=True)
class CipherSpec:
    name: str
    protocol: str
    weak: str = ""  # NULL | RC4 | 3DES | DES | EXPORT | weak: needs AMQ_SSL_WEAK_CIPHER_ENABLE


@dataclass(frozen=True)
class Alias:
    name: str
    protocols: frozenset[str]
    minimum: bool  # True: a minimum-protocol alias; False: fixed to its protocol(s)


ALIASES = {
    "ANY": Alias("ANY", frozenset(PROTOCOL_ORDER), True),
    "ANY_TLS12": Alias("ANY_TLS12", frozenset({TLS12}), False),
    "ANY_TLS12_OR_HIGHER": Alias("ANY_TLS12_OR_HIGHER", frozenset({TLS12, TLS13}), True),
    "ANY_TLS13": Alias("ANY_TLS13", frozenset({TLS13}), False),
    "ANY_TLS13_OR_HIGHER": Alias("ANY_TLS13_OR_HIGHER", frozenset({TLS13}), True),
}

# Aliases and TLS 1.3 CipherSpecs arrived with MQ 9.1.4 (CD) / 9.2 (LTS) - assumption, see docs/preflight.md.
ALIAS_MIN_VERSION = (9, 1, 4)


def weak_kind(name: str) -> str:
    """Which weak algorithm a CipherSpec name carries (for messages)."""
    upper = name.upper()
    for marker, kind in (("NULL", "NULL"), ("RC4", "RC4"), ("3DES", "3DES"), ("TRIPLE_DES", "3DES"),
                         ("EXPORT", "EXPORT"), ("RC2", "EXPORT"), ("DES", "DES")):
        if marker in upper:
            return kind
    return "weak"


@dataclass(frozen=True)
class Catalogue:
    """The CipherSpecs MQ knows: canonical name -> spec, and every spelling (legacy MQ names, Java
    cipher-suite names, `*TLS12`-style Java aliases) -> canonical name."""

    specs: dict[str, CipherSpec]
    spellings: dict[str, str]

    @classmethod
    def from_entries(cls, entries: list[dict[str, Any]]) -> Catalogue:
        specs: dict[str, CipherSpec] = {}
        spellings: dict[str, str] = {}
        for entry in entries:
            name = str(entry["name"]).upper()
            protocol = str(entry["protocol"])
            where = f"{entry.get('_file', 'cipherspec table')}: {name}"
            if protocol == "alias":
                if name not in ALIASES:
                    raise ConfigError(f"{where}: alias without a preflight meaning")
            elif protocol in PROTOCOL_ORDER:
                specs[name] = CipherSpec(name, protocol, weak_kind(name) if entry.get("weak") else "")
            else:
                raise ConfigError(f"{where}: unknown protocol {protocol!r}")
            spellings[name] = name
            for alt in entry.get("alternate_names") or ():
                spellings[str(alt).upper()] = name
        return cls(specs, spellings)


@functools.lru_cache(maxsize=8)
def load_catalogue(rules_dirs: tuple[str, ...] = ()) -> Catalogue:
    """The bundled CipherSpec table, layered with `--rules` folders."""
    from pipeline.errors import RuleError
    from pipeline.rules.loader import load_rules

    try:
        ruleset = load_rules(rules_dirs)
    except RuleError as exc:
        raise ConfigError(f"cannot load the CipherSpec table from the rules: {exc}") from exc
    return Catalogue.from_entries(list(ruleset.tables.get("cipherspec", {}).values()))


def _cat(catalogue: Catalogue | None) -> Catalogue:
    return catalogue if catalogue is not None else load_catalogue()


@dataclass(frozen=True)
class TlsPolicy:
    """What one end lets through: qm.ini SSL stanza / environment (AMQ_TLS_V1_ENABLE, AMQ_SSL_V3_ENABLE,
    AMQ_SSL_WEAK_CIPHER_ENABLE, AllowTLSV13)."""

    tls_v1_enable: bool = False
    ssl_v3_enable: bool = False
    tls_v13_enable: bool = True
    weak_ciphers: frozenset[str] = frozenset()  # CipherSpec names, or "ALL"

    def allows(self, spec: CipherSpec) -> str:
        """'' if the spec is enabled here, else why it is not."""
        if spec.protocol == TLS10 and not self.tls_v1_enable:
            return "TLS 1.0 is disabled (AMQ_TLS_V1_ENABLE not set)"
        if spec.protocol == SSL30 and not self.ssl_v3_enable:
            return "SSL 3.0 is disabled (AMQ_SSL_V3_ENABLE not set)"
        if spec.protocol == TLS13 and not self.tls_v13_enable:
            return "TLS 1.3 is disabled (AllowTLSV13=NO)"
        if spec.weak and "ALL" not in self.weak_ciphers and spec.name not in self.weak_ciphers:
            return f"{spec.weak} CipherSpecs are disabled (AMQ_SSL_WEAK_CIPHER_ENABLE does not name {spec.name})"
        return ""


def canonical(value: str, catalogue: Catalogue | None = None) -> str:
    name = value.strip().upper()
    return _cat(catalogue).spellings.get(name, name)


def spec(value: str, catalogue: Catalogue | None = None) -> CipherSpec | None:
    return _cat(catalogue).specs.get(canonical(value, catalogue))


def is_known(value: str, catalogue: Catalogue | None = None) -> bool:
    name = canonical(value, catalogue)
    return name in _cat(catalogue).specs or name in ALIASES


def admitted(value: str, catalogue: Catalogue | None = None) -> frozenset[str]:
    """The named CipherSpecs an SSLCIPH value admits (before any policy)."""
    cat = _cat(catalogue)
    name = canonical(value, cat)
    if name in ALIASES:
        protocols = ALIASES[name].protocols
        return frozenset(s.name for s in cat.specs.values() if s.protocol in protocols)
    if name in cat.specs:
        return frozenset({name})
    return frozenset()


def is_minimum(value: str, catalogue: Catalogue | None = None) -> bool:
    alias = ALIASES.get(canonical(value, catalogue))
    return bool(alias and alias.minimum)


def deprecated_reason(value: str, catalogue: Catalogue | None = None) -> str:
    """Why a named CipherSpec is deprecated or weak ('' for aliases and current CipherSpecs)."""
    found = spec(value, catalogue)
    if found is None:
        return ""
    reasons = []
    if found.protocol in (TLS10, SSL30):
        reasons.append(f"{found.protocol} protocol")
    if found.weak:
        reasons.append(f"{found.weak} algorithm")
    return " and ".join(reasons)


@dataclass(frozen=True)
class Agreement:
    """The outcome of putting two SSLCIPH values (and their policies) against each other."""

    ok: bool
    cause: str = ""        # cipher_mismatch | tls_policy_mismatch when not ok
    reason: str = ""
    shared: frozenset[str] = frozenset()
    warning: str = ""      # set when ok but fragile (minimum alias vs fixed value)


def agree(initiator: str, responder: str, init_policy: TlsPolicy, resp_policy: TlsPolicy,
          catalogue: Catalogue | None = None) -> Agreement:
    """Would a channel whose initiator has SSLCIPH `initiator` and responder `responder` pass the handshake
    and MQ's own CipherSpec comparison?  Both values must be known CipherSpecs or aliases."""
    cat = _cat(catalogue)
    a, b = admitted(initiator, cat), admitted(responder, cat)
    raw = a & b
    if not raw:
        pa = {cat.specs[s].protocol for s in a}
        pb = {cat.specs[s].protocol for s in b}
        if not pa & pb:
            return Agreement(
                False, "tls_policy_mismatch",
                f"no common protocol: {initiator} allows {_protocols(pa)}, {responder} allows {_protocols(pb)}",
            )
        return Agreement(False, "cipher_mismatch", f"{initiator} and {responder} admit no common CipherSpec")
    enabled = frozenset(
        s for s in raw if not init_policy.allows(cat.specs[s]) and not resp_policy.allows(cat.specs[s])
    )
    if not enabled:
        sample = cat.specs[sorted(raw)[0]]
        why = init_policy.allows(sample) or resp_policy.allows(sample)
        side = "initiator" if init_policy.allows(sample) else "responder"
        return Agreement(False, "tls_policy_mismatch", f"every shared CipherSpec is disabled: {why} on the {side}")
    warning = ""
    if is_minimum(initiator, cat) and not is_minimum(responder, cat):
        warning = (
            f"minimum-protocol alias {canonical(initiator, cat)} on the initiator against fixed "
            f"{canonical(responder, cat)} on the responder can be rejected; use minimum aliases on both ends"
        )
    return Agreement(True, shared=enabled, warning=warning)


def _protocols(protocols: set[str]) -> str:
    return "/".join(sorted(protocols, key=PROTOCOL_ORDER.__getitem__)) or "nothing"


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`09040200` (DISPLAY QMGR VERSION) or `9.4.0.5` -> (9, 4, 0)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 8:
        return int(text[0:2]), int(text[2:4]), int(text[4:6])
    parts = text.split(".")
    if len(parts) >= 3 and all(p.isdigit() for p in parts[:3]):
        return int(parts[0]), int(parts[1]), int(parts[2])
    return None
