"""The insert-slot table (``rules/insert_slots.yaml``): which insert of a message holds what.

Loaded once, validated before any log is read: an unknown top-level key, message id, role, slot or
confidence fails with the file and the message id named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import RuleError
from pipeline.resources import rules_dir

SLOTS_FILE = "insert_slots.yaml"  # in the rules folder (pipeline.resources.rules_dir)

SLOTS = ("arith_insert_1", "arith_insert_2", "comment_insert_1", "comment_insert_2", "comment_insert_3")
CATALOGUE_INSERT = {
    1: "arith_insert_1",
    2: "arith_insert_2",
    3: "comment_insert_1",
    4: "comment_insert_2",
    5: "comment_insert_3",
}
TEXT_ROLES = frozenset(
    {
        "channel",
        "conname",
        "user",
        "qmgr",
        "cipher_spec",
        "cipher_spec_local",
        "cipher_spec_remote",
        "cert_details",
        "peer_dn",
        "attribute",
        "active_values",
        "protocol",
        "call",
        "function",
        "exit",
        "object",
        "local_address",
        "pid",
    }
)
NUMERIC_ROLES = frozenset(
    {
        "rc",
        "rc_hex",
        "comp_code",
        "gskit_rc",
        "validation_code",
        "seq_sent",
        "seq_expected",
        "control_type",
        "error_code",
        "failure_type",
        "data",
        "pid",
    }
)
ROLES = TEXT_ROLES | NUMERIC_ROLES
CONFIDENCE = ("V", "I", "R")
_MSG_ID = re.compile(r"AMQ\d{4}")


@dataclass(frozen=True)
class SlotTable:
    """msg_id (``AMQnnnn``, no severity letter) -> {role: slot}; plus each entry's confidence."""

    path: str
    roles: Mapping[str, Mapping[str, str]]
    confidence: Mapping[str, str]

    def slot(self, msg_id: str | None, role: str) -> str | None:
        if not msg_id:
            return None
        entry = self.roles.get(msg_id)
        return entry.get(role) if entry else None

    def value(self, row: Mapping[str, Any], role: str) -> Any:
        """The value of ``role`` in a parsed row (None when the message has no such slot or it is empty)."""
        slot = self.slot(row.get("msg_id"), role)
        return row.get(slot) if slot else None


def _fail(path: Path | str, where: str, what: str) -> RuleError:
    return RuleError(f"{path}: {where}: {what}")


def parse_slot_table(doc: Any, path: Path | str) -> SlotTable:
    """Validate a loaded YAML document and build the table."""
    if not isinstance(doc, dict):
        raise _fail(path, "top level", "expected a mapping with keys version and messages")
    unknown = set(doc) - {"version", "messages"}
    if unknown:
        raise _fail(path, "top level", f"unknown key(s) {sorted(unknown)}")
    if doc.get("version") != 1:
        raise _fail(path, "version", f"expected 1, got {doc.get('version')!r}")
    messages = doc.get("messages")
    if not isinstance(messages, dict) or not messages:
        raise _fail(path, "messages", "expected a non-empty mapping of message id -> slots")
    roles: dict[str, dict[str, str]] = {}
    confidence: dict[str, str] = {}
    for msg_id, entry in messages.items():
        if not isinstance(msg_id, str) or not _MSG_ID.fullmatch(msg_id):
            raise _fail(
                path, f"message {msg_id!r}", "id must be AMQ followed by 4 digits, without severity letter"
            )
        if not isinstance(entry, dict):
            raise _fail(path, f"message {msg_id}", "expected a mapping of role -> slot")
        conf = entry.get("conf")
        if conf not in CONFIDENCE:
            raise _fail(path, f"message {msg_id}", f"conf must be one of {CONFIDENCE}, got {conf!r}")
        used: dict[str, str] = {}
        for role, slot in entry.items():
            if role == "conf":
                continue
            if role not in ROLES:
                raise _fail(path, f"message {msg_id}", f"unknown role {role!r} (known: {sorted(ROLES)})")
            if slot not in SLOTS:
                raise _fail(path, f"message {msg_id}, role {role}", f"unknown slot {slot!r} (known: {SLOTS})")
            if slot in used:
                raise _fail(path, f"message {msg_id}", f"slot {slot} given to both {used[slot]} and {role}")
            numeric_slot = slot.startswith("arith")
            if numeric_slot and role not in NUMERIC_ROLES:
                raise _fail(
                    path, f"message {msg_id}, role {role}", f"text role placed in numeric slot {slot}"
                )
            if not numeric_slot and role not in TEXT_ROLES:
                raise _fail(
                    path, f"message {msg_id}, role {role}", f"numeric role placed in text slot {slot}"
                )
            used[slot] = role
        roles[msg_id] = {role: slot for slot, role in used.items()}
        confidence[msg_id] = conf
    return SlotTable(str(path), roles, confidence)


def load_slot_table(path: str | Path | None = None) -> SlotTable:
    """Read and validate the slot table (default: the repository's ``rules/insert_slots.yaml``)."""
    p = Path(path) if path is not None else rules_dir() / SLOTS_FILE
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{p}: cannot read insert-slot table: {exc.strerror or exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{p}: invalid YAML: {exc}") from None
    return parse_slot_table(doc, p)


@lru_cache(maxsize=1)
def default_slot_table() -> SlotTable:
    """The repository table, loaded once per process."""
    return load_slot_table()
