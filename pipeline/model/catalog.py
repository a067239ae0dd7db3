"""Message templates and hand-written cases, declared as YAML next to this module and validated
before anything is generated: unknown keys, causes or families fail naming the file and entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ModelError
from pipeline.model.vocab import UNKNOWN, Vocabulary

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates.yaml"
HANDWRITTEN = HERE / "handwritten.yaml"

FAMILIES = ("amq", "csqx", "java", "status", "event", "translated", "rules")
LANGUAGES = ("de", "fr", "es", "it", "pt")
CONFIDENCE = ("V", "I", "R", "W")
SIGNAL_SPECS = {
    "gskit": list, "mqrc": list, "errno": list, "status": list, "chlauth_type": list,
    "cipher_specs": str, "peer_dn": bool, "cert_validation": bool, "tls_protocol": bool, "source_format": list,
}
TEMPLATE_KEYS = {"id", "group", "family", "severity", "text", "cause", "signals", "conf", "tr"}
CASE_KEYS = {
    "text", "id", "group", "family", "cause", "source_format", "severity", "gskit_rc", "mqrc", "os_errno",
    "status", "chlauth_type", "peer_dn", "cipher_specs", "conf",
}


@dataclass(frozen=True)
class Template:
    index: int
    msg_id: str | None
    group: str
    family: str
    severity: str | None
    text: str
    cause: str
    signals: dict[str, Any]
    conf: str
    translations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    index: int
    text: str
    msg_id: str | None
    group: str
    family: str
    cause: str
    conf: str
    values: dict[str, Any]


def _load(path: Path, key: str) -> list[Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise ModelError(f"{path}: expected a top-level list '{key}'")
    return doc[key]


def _check_common(path: Path, where: str, entry: dict[str, Any], vocab: Vocabulary) -> None:
    cause = entry.get("cause")
    if cause not in vocab.cause_phase or cause == UNKNOWN:
        raise ModelError(f"{path}: {where}: cause {cause!r} is not a trainable cause of rules/causes.yaml")
    if entry.get("family") not in FAMILIES:
        raise ModelError(f"{path}: {where}: family {entry.get('family')!r} is not one of {list(FAMILIES)}")
    if entry.get("conf") not in CONFIDENCE:
        raise ModelError(f"{path}: {where}: conf {entry.get('conf')!r} is not one of {list(CONFIDENCE)}")
    if not entry.get("id") and not entry.get("group"):
        raise ModelError(f"{path}: {where}: an entry without an id needs a group")
    if not isinstance(entry.get("text"), str):
        raise ModelError(f"{path}: {where}: text must be a string")


def load_templates(vocab: Vocabulary, path: Path = TEMPLATES) -> list[Template]:
    out = []
    for i, entry in enumerate(_load(path, "templates")):
        where = f"template #{i + 1} ({entry.get('id') or entry.get('group')})" if isinstance(entry, dict) else f"template #{i + 1}"
        if not isinstance(entry, dict):
            raise ModelError(f"{path}: {where}: expected a mapping")
        unknown = set(entry) - TEMPLATE_KEYS
        if unknown:
            raise ModelError(f"{path}: {where}: unknown keys {sorted(unknown)}")
        _check_common(path, where, entry, vocab)
        signals = entry.get("signals") or {}
        for name, value in signals.items():
            if name not in SIGNAL_SPECS or not isinstance(value, SIGNAL_SPECS[name]):
                raise ModelError(f"{path}: {where}: signal {name!r}={value!r} is unknown or of the wrong type")
        tr = entry.get("tr") or {}
        bad = set(tr) - set(LANGUAGES)
        if bad:
            raise ModelError(f"{path}: {where}: unknown translation languages {sorted(bad)}")
        msg_id = entry.get("id")
        out.append(Template(
            index=i, msg_id=msg_id, group=msg_id or entry["group"], family=entry["family"],
            severity=entry.get("severity"), text=entry["text"], cause=entry["cause"], signals=dict(signals),
            conf=entry["conf"], translations=dict(tr),
        ))
    return out


def load_cases(vocab: Vocabulary, path: Path = HANDWRITTEN) -> list[Case]:
    out = []
    for i, entry in enumerate(_load(path, "cases")):
        where = f"case #{i + 1}"
        if not isinstance(entry, dict):
            raise ModelError(f"{path}: {where}: expected a mapping")
        unknown = set(entry) - CASE_KEYS
        if unknown:
            raise ModelError(f"{path}: {where}: unknown keys {sorted(unknown)}")
        _check_common(path, where, entry, vocab)
        values = {k: v for k, v in entry.items() if k not in {"text", "id", "group", "family", "cause", "conf"}}
        msg_id = entry.get("id")
        out.append(Case(
            index=i, text=entry["text"], msg_id=msg_id, group=msg_id or entry["group"], family=entry["family"],
            cause=entry["cause"], conf=entry["conf"], values=values,
        ))
    return out
