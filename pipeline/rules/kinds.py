"""Rule kinds: each declares its fields (type, required, default) and is validated against them.

``KINDS`` is the explicit registry from the ``kind:`` written at the top of a rule file to its
declaration; ``pipeline.classify.engine.IMPLEMENTATIONS`` maps each decision kind to the code that
applies it (signal rules: ``pipeline.classify.signals.extract_signals``).  Rule kinds carry ``description`` and ``examples``; table kinds (code tables and the
CipherSpec table) are reference data keyed by code or name and carry a ``meaning`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline import schemas
from pipeline.rules.regexcheck import UnsafePattern, compile_safe

# Signal columns of the classified table (the typed facts extractors produce).
SIGNAL_COLUMNS = (
    "gskit_rc", "gskit_name", "cert_validation_code", "cipher_specs", "tls_protocol", "peer_dn",
    "issuer_dn", "cert_label", "chlauth_type", "chlauth_values", "mqrc", "mqrc_name",
    "remote_address", "remote_port", "os_errno",
)
INT_SIGNALS = {"gskit_rc", "cert_validation_code", "mqrc", "remote_port", "os_errno"}
# Extra helper columns the extractors may fill (not written out, usable in conditions).
HELPER_SIGNALS = ("channel_hint", "inner_msg_id", "jsse_text", "errno_name")

EVENT_COLUMNS = tuple(f.name for f in schemas.EVENTS)
STATUS_COLUMNS = tuple(f.name for f in schemas.CHANNEL_STATUS)
TEXT_SOURCES = tuple(sorted(set(EVENT_COLUMNS) | set(STATUS_COLUMNS)))
CONDITION_FIELDS = tuple(sorted(set(TEXT_SOURCES) | set(SIGNAL_COLUMNS) | set(HELPER_SIGNALS)))

FIX_SIDES = ("local", "remote", "either", "network", "none", "unknown")
CONDITION_OPS = ("in", "not_in", "between", "matches", "present", "equals")


class FieldError(ValueError):
    """A field value is wrong; the loader adds file and rule id."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"field {field_name!r}: {message}")
        self.field_name = field_name


@dataclass(frozen=True)
class Field:
    type: str                       # str int float bool str_list int_list conditions examples mapping regex
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    doc: str = ""


def _check_regex(name: str, value: Any) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise FieldError(name, "must be a string (a regular expression)")
    try:
        return compile_safe(value)
    except re.error as exc:
        raise FieldError(name, f"bad regular expression {value!r}: {exc}") from exc
    except UnsafePattern as exc:
        raise FieldError(name, f"regular expression {value!r} is not linear-time: {exc}") from exc


def _coerce(name: str, spec: Field, value: Any) -> Any:
    t = spec.type
    if t == "str":
        if not isinstance(value, str):
            raise FieldError(name, f"must be a string, got {type(value).__name__}")
        if spec.choices and value not in spec.choices:
            raise FieldError(name, f"{value!r} is not one of {', '.join(spec.choices)}")
        return value
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(name, f"must be an integer, got {value!r}")
        return value
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(name, f"must be a number, got {value!r}")
        return float(value)
    if t == "bool":
        if not isinstance(value, bool):
            raise FieldError(name, f"must be true or false, got {value!r}")
        return value
    if t in ("str_list", "int_list"):
        want = str if t == "str_list" else int
        if not isinstance(value, list) or not all(isinstance(v, want) and not isinstance(v, bool) for v in value):
            raise FieldError(name, f"must be a list of {want.__name__}")
        if spec.choices:
            bad = [v for v in value if v not in spec.choices]
            if bad:
                raise FieldError(name, f"{bad[0]!r} is not one of {', '.join(spec.choices)}")
        return tuple(value)
    if t == "regex":
        _check_regex(name, value)
        return value
    if t == "mapping":
        if not isinstance(value, dict):
            raise FieldError(name, "must be a mapping")
        return dict(value)
    if t == "conditions":
        return tuple(_condition(name, i, c) for i, c in enumerate(_as_list(name, value)))
    if t == "examples":
        return _examples(name, value)
    raise AssertionError(f"unknown field type {t}")


def _as_list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(name, "must be a list")
    return value


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    pattern: re.Pattern[str] | None = None

    def describe(self) -> str:
        if self.op == "present":
            return f"`{self.field}` {'is set' if self.value else 'is empty'}"
        if self.op == "matches":
            return f"`{self.field}` matches `{self.value}`"
        if self.op == "between":
            return f"`{self.field}` between {self.value[0]} and {self.value[1]}"
        if self.op in ("in", "not_in"):
            values = ", ".join(str(v) for v in self.value)
            return f"`{self.field}` {'in' if self.op == 'in' else 'not in'} {{{values}}}"
        return f"`{self.field}` = {self.value!r}"


def _condition(name: str, index: int, raw: Any) -> Condition:
    where = f"{name}[{index}]"
    if not isinstance(raw, dict) or "field" not in raw:
        raise FieldError(where, "each condition is a mapping with `field` and one operator")
    unknown = set(raw) - {"field", *CONDITION_OPS}
    if unknown:
        raise FieldError(where, f"unknown key {sorted(unknown)[0]!r} (operators: {', '.join(CONDITION_OPS)})")
    ops = [k for k in raw if k in CONDITION_OPS]
    if len(ops) != 1:
        raise FieldError(where, "needs exactly one operator")
    fname, op = raw["field"], ops[0]
    if fname not in CONDITION_FIELDS:
        raise FieldError(where, f"unknown field {fname!r}")
    value = raw[op]
    pattern = None
    if op == "matches":
        pattern = _check_regex(f"{where}.matches", value)
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise FieldError(where, f"`{op}` takes a non-empty list")
        value = tuple(value)
    elif op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            raise FieldError(where, "`between` takes [low, high] integers")
        value = tuple(value)
    elif op == "present" and not isinstance(value, bool):
        raise FieldError(where, "`present` takes true or false")
    return Condition(fname, op, value, pattern)


EXAMPLE_KEYS = {"text", "events", "target", "expect", "at", *TEXT_SOURCES, *SIGNAL_COLUMNS}


def _examples(name: str, raw: Any) -> dict[str, tuple[dict[str, Any], ...]]:
    if not isinstance(raw, dict):
        raise FieldError(name, "must be a mapping with `match` and `no_match` lists")
    unknown = set(raw) - {"match", "no_match"}
    if unknown:
        raise FieldError(name, f"unknown key {sorted(unknown)[0]!r}")
    out: dict[str, tuple[dict[str, Any], ...]] = {}
    for key in ("match", "no_match"):
        items = raw.get(key)
        if not isinstance(items, list) or not items:
            raise FieldError(f"{name}.{key}", "needs at least one example")
        for i, item in enumerate(items):
            _check_example(f"{name}.{key}[{i}]", item)
        out[key] = tuple(items)
    return out


def _check_example(where: str, item: Any) -> None:
    if not isinstance(item, dict):
        raise FieldError(where, "an example is a mapping (text plus optional columns)")
    unknown = set(item) - EXAMPLE_KEYS
    if unknown:
        raise FieldError(where, f"unknown key {sorted(unknown)[0]!r}")
    if "events" in item:
        for j, ev in enumerate(_as_list(f"{where}.events", item["events"])):
            _check_example(f"{where}.events[{j}]", ev)
    if "expect" in item and not isinstance(item["expect"], dict):
        raise FieldError(f"{where}.expect", "must be a mapping of column to value")


@dataclass(frozen=True)
class Kind:
    name: str
    fields: dict[str, Field]
    key: str = "id"                 # the identity field (same key in a later folder overrides)
    is_table: bool = False
    doc: str = ""
    check: Callable[[dict[str, Any]], None] | None = None

    def build(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise FieldError("(entry)", "each entry must be a mapping")
        unknown = set(raw) - set(self.fields)
        if unknown:
            raise FieldError(sorted(unknown)[0], f"unknown key for kind {self.name!r}")
        out: dict[str, Any] = {}
        for fname, spec in self.fields.items():
            if fname in raw and raw[fname] is not None:
                out[fname] = _coerce(fname, spec, raw[fname])
            elif spec.required:
                raise FieldError(fname, "is required")
            else:
                out[fname] = spec.default
        if self.check:
            self.check(out)
        return out


def _common_rule_fields(priority: int) -> dict[str, Field]:
    return {
        "id": Field("str", required=True, doc="unique rule id (a later --rules folder with the same id replaces it)"),
        "description": Field("str", required=True, doc="what the rule recognises and why"),
        "examples": Field("examples", required=True, doc="`match` and `no_match` lists of real entry text"),
        "priority": Field("int", default=priority, doc="higher wins when several rules decide the same row"),
    }


def _check_message(rule: dict[str, Any]) -> None:
    if not rule["msg_ids"] and not rule["msg_id_pattern"]:
        raise FieldError("msg_ids", "a message rule needs msg_ids or msg_id_pattern")
    if not 0.0 < rule["confidence"] <= 1.0:
        raise FieldError("confidence", "must be in (0, 1]")


def _check_signal(rule: dict[str, Any]) -> None:
    if rule["pattern"] and rule["column"]:
        raise FieldError("pattern", "a signal rule takes `pattern` or `column`, not both")
    if not (rule["pattern"] or rule["column"] or rule["value"] is not None):
        raise FieldError("pattern", "a signal rule needs `pattern`, `column` or a constant `value`")
    if rule["column"] and rule["value"] is not None:
        raise FieldError("value", "a constant `value` goes with `pattern` or `msg_ids`, not `column`")
    if rule["pattern"] and not rule["sources"]:
        raise FieldError("sources", "a `pattern` needs the columns it reads (`sources`)")
    if rule["pattern"] and rule["value"] is None:
        compiled = compile_safe(rule["pattern"])
        if "value" not in compiled.groupindex:
            raise FieldError("pattern", "needs a named group (?P<value>...) unless a constant `value` is given")
    if rule["value"] is None and not rule["pattern"] and not rule["column"]:
        raise FieldError("value", "is required")


def _check_context(rule: dict[str, Any]) -> None:
    if not rule["when"] and not rule["msg_ids"]:
        raise FieldError("when", "a context rule needs `when` conditions or `msg_ids`")
    if rule["cause"] is None and rule["cause_from"] is None:
        raise FieldError("cause", "a context rule needs `cause` or `cause_from`")
    cf = rule["cause_from"]
    if cf is not None:
        if set(cf) - {"table", "field"} or "table" not in cf or "field" not in cf:
            raise FieldError("cause_from", "takes {table: <table kind>, field: <column>}")
        if cf["table"] not in TABLE_KINDS:
            raise FieldError("cause_from", f"unknown table {cf['table']!r}")
        if cf["field"] not in CONDITION_FIELDS:
            raise FieldError("cause_from", f"unknown field {cf['field']!r}")


def _check_sequence(rule: dict[str, Any]) -> None:
    if rule["mode"] in ("followed_by", "pair") and not rule["cause"]:
        raise FieldError("cause", f"mode {rule['mode']} needs a cause")
    if rule["mode"] in ("followed_by", "pair") and not rule["partner_ids"]:
        raise FieldError("partner_ids", f"mode {rule['mode']} needs partner_ids")


MESSAGE = Kind(
    "message",
    {
        **_common_rule_fields(10),
        "msg_ids": Field("str_list", default=(), doc="message ids (severity letter optional: AMQ9631 = AMQ9631E)"),
        "msg_id_pattern": Field("regex", doc="a pattern over the id, for whole ranges (lower priority than exact ids)"),
        "severities": Field("str_list", default=(), choices=("I", "W", "E", "S", "T", ""), doc="only these severity letters (\"\" = none written)"),
        "cause": Field("str", required=True, doc="a cause from causes.yaml; the phase follows from it"),
        "confidence": Field("float", default=0.9),
        "verified": Field("bool", default=True, doc="false: the message text was recalled, not seen; confidence is capped"),
        "title": Field("str", default="", doc="the first line as logged, inserts as <n>"),
        "inserts": Field("str", default="", doc="what each insert slot holds"),
        "remediation": Field("str", default="", doc="what to do, in our words"),
        "fix_side": Field("str", choices=FIX_SIDES, doc="overrides the cause's fix_side for this message"),
        "generic": Field("bool", default=False, doc="a wrapper or summary whose meaning lies in other text"),
        "source": Field("str", default="", doc="where the message facts come from"),
    },
    check=_check_message,
    doc="Message catalogue: a message id decides phase and cause.",
)

SIGNAL = Kind(
    "signal",
    {
        **_common_rule_fields(10),
        "signal": Field("str", required=True, choices=SIGNAL_COLUMNS + HELPER_SIGNALS),
        "msg_ids": Field("str_list", default=(), doc="only rows with these ids (empty: every row)"),
        "sources": Field("str_list", default=(), choices=TEXT_SOURCES, doc="columns the pattern is applied to, in order"),
        "pattern": Field("regex", doc="a linear-time pattern with a named group (?P<value>...)"),
        "column": Field("str", choices=TEXT_SOURCES, doc="copy this column as the signal value"),
        "value": Field("str", doc="a constant: set when `pattern` matches (or for every row of `msg_ids`)"),
        "convert": Field("str", default="str", choices=("str", "int", "hex", "upper", "lower", "strip_quotes")),
    },
    check=_check_signal,
    doc="Signal extractor: a named pattern (or a column copy) that fills one typed signal column.",
)

CONTEXT = Kind(
    "context",
    {
        **_common_rule_fields(20),
        "applies_to": Field("str", default="events", choices=("events", "status")),
        "msg_ids": Field("str_list", default=(), doc="only rows with these ids (empty: any row)"),
        "when": Field("conditions", default=(), doc="all must hold: {field, in|not_in|between|matches|present|equals}"),
        "cause": Field("str", doc="the cause when the conditions hold (or the fallback for cause_from)"),
        "cause_from": Field("mapping", doc="{table, field}: take the cause from a code table entry"),
        "confidence": Field("float", default=0.9),
        "verified": Field("bool", default=True),
        "remediation": Field("str", default=""),
    },
    check=_check_context,
    doc="Context rule: a message's meaning depends on its inserts, signals or status columns.",
)

SEQUENCE = Kind(
    "sequence",
    {
        **_common_rule_fields(30),
        "mode": Field("str", required=True, choices=("followed_by", "pair", "summary", "inherit")),
        "msg_ids": Field("str_list", required=True, doc="the entries this rule decides"),
        "partner_ids": Field("str_list", default=(), doc="the entries that must follow (followed_by, pair)"),
        "window_seconds": Field("float", default=5.0),
        "same": Field("str_list", default=("qmgr", "pid"), choices=("qmgr", "host", "pid", "tid", "channel", "source_path")),
        "target_without_channel": Field("bool", default=False, doc="the target must carry no channel name"),
        "cause": Field("str", doc="cause for followed_by/pair; fallback for inherit"),
        "confidence": Field("float", default=0.9),
        "remediation": Field("str", default=""),
    },
    check=_check_sequence,
    doc="Sequence rule: an entry's meaning depends on the entries around it (same process, short window).",
)

GSKIT = Kind(
    "gskit_code",
    {
        "code": Field("int", required=True), "name": Field("str", required=True),
        "meaning": Field("str", required=True), "cause": Field("str"),
    },
    key="code", is_table=True, doc="GSKit return codes (ArithInsert1 of AMQ9633, sslReturnCode of events).",
)
MQRC = Kind(
    "mqrc_code",
    {
        "code": Field("int", required=True), "name": Field("str", required=True),
        "meaning": Field("str", required=True), "cause": Field("str"),
    },
    key="code", is_table=True, doc="MQ reason codes seen by clients and in events.",
)
ERRNO = Kind(
    "errno_code",
    {
        "code": Field("int", required=True), "name": Field("str", required=True),
        "platform": Field("str", required=True, choices=("posix", "linux", "windows", "zos", "aix", "solaris")),
        "meaning": Field("str", required=True), "cause": Field("str"),
    },
    key="code", is_table=True, doc="Operating-system socket return codes (ArithInsert1 of AMQ9202/9206/9208).",
)
CIPHER = Kind(
    "cipherspec",
    {
        "name": Field("str", required=True), "protocol": Field("str", required=True,
                                                            choices=("SSLv3", "TLSv1.0", "TLSv1.2", "TLSv1.3", "alias")),
        "weak": Field("bool", default=False), "deprecated": Field("bool", default=False),
        "alternate_names": Field("str_list", default=(), doc="legacy MQ names and Java cipher-suite names"),
        "meaning": Field("str", default=""),
    },
    key="name", is_table=True, doc="MQ CipherSpecs with protocol and weak/deprecated flags.",
)

KINDS: dict[str, Kind] = {k.name: k for k in (MESSAGE, SIGNAL, CONTEXT, SEQUENCE, GSKIT, MQRC, ERRNO, CIPHER)}
TABLE_KINDS = tuple(k.name for k in KINDS.values() if k.is_table)
RULE_KINDS = tuple(k.name for k in KINDS.values() if not k.is_table)


@dataclass
class Problem:
    """One validation finding, already naming file, rule and field."""

    file: str
    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.rule:
            where += f": rule {self.rule}"
        if self.field:
            where += f": field {self.field}"
        return f"{where}: {self.message}"


@dataclass
class Entry:
    kind: str
    data: dict[str, Any]
    file: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Any:
        return self.data[KINDS[self.kind].key]
