"""The deterministic training-set generator: ``data/training/training.csv`` + ``PROVENANCE.md``.

Sources, in this order: the message templates (``templates.yaml``) with varied inserts and
signals, their translations, the hand-written cases (``handwritten.yaml``) and every example the
rule files carry (``pipeline.rules.load_rules().examples()``, when that module is importable).
One seeded ``random.Random`` drives every choice, so one commit always yields the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import regex

from pipeline.errors import ModelError
from pipeline.model.catalog import Case, Template, load_cases, load_templates
from pipeline.model.vocab import REPO_ROOT, UNKNOWN, Vocabulary, load_vocabulary

SEED = 20261120
TRAINING_FILE = "training.csv"
PROVENANCE_FILE = "PROVENANCE.md"
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "training"

COLUMNS = (
    "example_id", "origin", "family", "group", "conf", "msg_id", "severity", "source_format", "message",
    "gskit_rc", "mqrc", "cipher_specs", "peer_dn", "chlauth_type", "cert_validation_code", "os_errno",
    "status", "tls_protocol", "phase", "cause",
)
# Variants drawn per template (per language for translations); hand cases are repeated so one
# case weighs about as much as a template's smallest share.
VARIANTS = {"amq": 24, "csqx": 16, "java": 16, "status": 14, "event": 14}
TRANSLATION_VARIANTS = 8
HAND_REPEAT = 6

FORMATS = {
    "amq": ["text", "text", "json"], "translated": ["text"], "csqx": ["text"], "java": ["csv", "jsonl"],
    "status": ["csv", "jsonl", "chstatus"], "event": ["amqsevt_json", "amqsevt_text"], "rules": ["text"],
}

# ---- insert values -------------------------------------------------------------------------
_QMGRS = ["QMA", "QMB", "QMC", "QM1", "QM2", "PRDQM01", "GW01", "T1", "MQHUB", "CSQ1", "ZQM4", "EUQM03"]
_CHANNEL_WORDS = ["TO", "FROM", "APP", "PAY", "ORDERS", "GW", "CL", "DR", "HUB", "RISK", "BATCH", "EDGE"]
_HOSTS = ["mqa.example.com", "mqb.example.com", "mqc.example.com", "app01.example.com", "qm-dr", "mqhub01",
          "zos1.example.org", "10-1-0-11", "gw.corp.example", "mqd00", "WINDOWS-MQ", "lb-probe"]
_CIPHERS = [
    "ECDHE_RSA_AES_256_GCM_SHA384", "ECDHE_RSA_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256", "ANY_TLS12_OR_HIGHER", "ANY_TLS13", "ECDHE_ECDSA_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_NULL_SHA256", "SSL_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
]
_USERS = ["mqm", "app01", "svc_mq", "legacy", "slabs", "jdoe", "MUSR_MQADMIN", "nobody", "batch1"]
_TASKS = ["LOGGER-IO", "CHECKPOINT", "ERROR-LOG", "IQM-COMMS-MANAGER", "STATISTICS", "EXPIRER"]
_VRMF = ["9.4.0.5", "9.3.0.10", "9.2.0.15", "9.0.0.0", "9.1.0.4", "8.0.0.14"]
_CSECTS = ["CSQXRCTL", "CSQXRESP", "CSQXSSLI", "CSQXSPRT", "CSQXRSSL", "CSQXTCPC"]
_ZRC = ["402", "414", "456", "514", "8", "407"]
_DN_KEYS = ["CN", "OU", "O", "EMAIL", "XCN", "SERIALNO"]


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _host(rng: random.Random) -> str:
    name, ip, port = rng.choice(_HOSTS), _ip(rng), rng.choice([1414, 1415, 1416, 1501, 14140])
    return rng.choice([f"{name} ({ip})({port})", ip, f"{name} ({ip})", f"{ip}({port})", name])


def _channel(rng: random.Random) -> str:
    shape = rng.randint(0, 3)
    if shape == 0:
        return f"{rng.choice(_QMGRS)}.{rng.choice(_QMGRS)}"
    if shape == 1:
        return f"{rng.choice(_CHANNEL_WORDS)}.{rng.choice(_QMGRS)}"
    if shape == 2:
        return rng.choice(["SYSTEM.DEF.SVRCONN", "SYSTEM.ADMIN.SVRCONN", "APP.SVRCONN", "CLOUD.APP.SVRCONN"])
    return f"{rng.choice(_QMGRS)}.{rng.choice(_CHANNEL_WORDS)}.{rng.choice(['TLS', 'SSL', 'NEW', 'DR', '01'])}"


def _dn(rng: random.Random) -> str:
    cn = rng.choice(["qma.example.com", "legacy-app.example.com", "app01", "QMB", "mq client", "gw01"])
    ou = rng.choice(["", ",OU=MQ", ",OU=Payments"])
    return f"CN={cn}{ou},O={rng.choice(['Example Corp', 'Example Ltd', 'ACME'])},C={rng.choice(['GB', 'DE', 'US'])}"


SLOTS: dict[str, Callable[[random.Random], str]] = {
    "host": _host,
    "ip": _ip,
    "hostname": lambda r: rng_pick(r, _HOSTS),
    "channel": _channel,
    "conn": lambda r: f"{rng_pick(r, _HOSTS)}({r.choice([1414, 1415, 1501])})",
    "cipher": lambda r: rng_pick(r, _CIPHERS),
    "cipher2": lambda r: rng_pick(r, _CIPHERS),
    "dn": _dn,
    "dnkey": lambda r: rng_pick(r, _DN_KEYS),
    "user": lambda r: rng_pick(r, _USERS),
    "qmgr": lambda r: rng_pick(r, _QMGRS),
    "object": lambda r: rng_pick(r, ["SYSTEM.DEFAULT.LOCAL.QUEUE", "APP.IN", "QMA", "SYSTEM.ADMIN.COMMAND.QUEUE"]),
    "num": lambda r: str(r.randint(1, 99999)),
    "hex": lambda r: f"{r.randint(0, 0xFFFF):08X}",
    "zrc": lambda r: rng_pick(r, _ZRC),
    "label": lambda r: rng_pick(r, ["ibmwebspheremqqma", "qmb-2026", "APPCERT", "ibmWebSphereMQQM1"]),
    "task": lambda r: rng_pick(r, _TASKS),
    "listener": lambda r: rng_pick(r, ["SYSTEM.DEFAULT.LISTENER.TCP", "LISTENER.1414", "TCP.LSR"]),
    "vrmf": lambda r: rng_pick(r, _VRMF),
    "csect": lambda r: rng_pick(r, _CSECTS),
    "ssid": lambda r: r.choice(["+", ""]) + rng_pick(r, ["CSQ1", "MQ01", "QML1", "ZQM4"]),
    "date": lambda r: f"{r.choice(['Mon', 'Thu', 'Sat'])} Nov {r.randint(1, 28):02d} 10:00:00 UTC 2026",
    "gsk": lambda r: "{gsk}",  # filled from the drawn gskit_rc signal, see _template_rows
    "stage": lambda r: rng_pick(r, ["1", "2", "3", "gsk_secure_soc_init"]),
}
_SLOT = regex.compile(r"\{([a-z0-9]+)\}")


def rng_pick(rng: random.Random, values: list[str]) -> str:
    return rng.choice(values)


def fill(text: str, rng: random.Random) -> str:
    """Fill every {slot}; a host insert is sometimes unquoted, as older releases wrote it."""
    if "'{host}'" in text and rng.random() < 0.2:
        text = text.replace("'{host}'", "{host}")

    def one(match: regex.Match[str]) -> str:
        name = match.group(1)
        if name not in SLOTS:
            raise ModelError(f"templates: unknown slot {{{name}}} in {text!r}")
        return SLOTS[name](rng)

    return _SLOT.sub(one, text)


# ---- rows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Counts of what went into a generated set, for PROVENANCE.md and the card."""

    templates: int
    translations: int
    cases: int
    rule_examples: int
    rule_examples_skipped: int
    rules_note: str


def _signal_values(signals: dict[str, Any], rng: random.Random, text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "gskit" in signals and rng.random() < 0.75:
        out["gskit_rc"] = rng.choice(signals["gskit"])
    if "mqrc" in signals and rng.random() < 0.85:
        out["mqrc"] = rng.choice(signals["mqrc"])
    if "errno" in signals and rng.random() < 0.7:
        out["os_errno"] = rng.choice(signals["errno"])
    if "cipher_specs" in signals and rng.random() < 0.8:
        count = 2 if signals["cipher_specs"] == "two" else 1
        out["cipher_specs"] = ";".join(rng.sample(_CIPHERS, count))
    if signals.get("peer_dn") and rng.random() < 0.8:
        out["peer_dn"] = _dn(rng)
    if "chlauth_type" in signals and rng.random() < 0.85:
        out["chlauth_type"] = rng.choice(signals["chlauth_type"])
    if signals.get("cert_validation") and rng.random() < 0.6:
        out["cert_validation_code"] = rng.choice([575010, 575074, 575135, 575014])
    if signals.get("tls_protocol"):
        out["tls_protocol"] = rng.choice(["TLSv1.2", "TLSv1.3"])
    if "status" in signals:
        out["status"] = rng.choice(signals["status"])
    return out


def _prefix(msg_id: str | None, family: str, severity: str | None, text: str, rng: random.Random) -> tuple[str, str | None]:
    """The message as an ingest row holds it: with or without the id, with or without the letter."""
    if not msg_id or family not in {"amq", "translated", "csqx"}:
        return text, severity
    letter = severity or ""
    if family == "csqx":
        return f"{msg_id}{letter} {text}", severity
    with_letter = rng.random() < 0.7
    shown = f"{msg_id}{letter if with_letter else ''}"
    if rng.random() < 0.5:
        return f"{shown}: {text}", severity if with_letter else None
    return text, severity if with_letter else None


def _template_rows(tpl: Template, vocab: Vocabulary, rng: random.Random) -> Iterable[dict[str, Any]]:
    variants = [(tpl.text, tpl.family, "template", VARIANTS[tpl.family])]
    variants += [(tr, "translated", f"translation:{lang}", TRANSLATION_VARIANTS) for lang, tr in sorted(tpl.translations.items())]
    for text, family, origin, count in variants:
        for _ in range(count):
            message, severity = _prefix(tpl.msg_id, family, tpl.severity, fill(text, rng), rng)
            fmt = rng.choice(FORMATS[family])
            if fmt == "json" and tpl.msg_id:  # the JSON log always writes the id with its letter
                message, severity = f"{tpl.msg_id}{tpl.severity or ''}: {fill(text, rng)}", tpl.severity
            row = {
                "origin": origin, "family": family, "group": tpl.group, "conf": tpl.conf, "msg_id": tpl.msg_id,
                "severity": severity, "source_format": fmt, "message": message,
                "phase": vocab.cause_phase[tpl.cause], "cause": tpl.cause,
            }
            row.update(_signal_values(tpl.signals, rng, message))
            if "{gsk}" in message:
                code = row.get("gskit_rc") or rng.choice(tpl.signals["gskit"])
                row["gskit_rc"] = code
                message = message.replace("{gsk}", str(code))
                row["message"] = message
            if family == "java" and "status" not in row and rng.random() < 0.5:
                row["status"] = rng.choice(["RETRYING", "BINDING", "STOPPED"])
            yield row


def _case_rows(case: Case, vocab: Vocabulary, rng: random.Random) -> Iterable[dict[str, Any]]:
    values = dict(case.values)
    fmt_choices = [values.pop("source_format")] if "source_format" in values else FORMATS[case.family]
    if values.get("peer_dn") is True:
        values["peer_dn"] = None
    if isinstance(values.get("cipher_specs"), list):
        values["cipher_specs"] = ";".join(values["cipher_specs"])
    for _ in range(HAND_REPEAT):
        row = {
            "origin": "handwritten", "family": case.family, "group": case.group, "conf": case.conf,
            "msg_id": case.msg_id, "source_format": rng.choice(fmt_choices), "message": fill(case.text, rng),
            "phase": vocab.cause_phase[case.cause], "cause": case.cause,
        }
        row.update(values)
        if case.values.get("peer_dn") is True:
            row["peer_dn"] = _dn(rng)
        yield row


# ---- rule examples -------------------------------------------------------------------------
# Causes a rule gives from the *context* (the entries around one), which no single text can show:
# address_failover is an AMQ9202 followed by a start on the next address.  Their examples would
# teach the model to contradict itself, so they are left out (counted as skipped).
CONTEXT_ONLY_CAUSES = frozenset({"address_failover"})
_ID_LINE = regex.compile(r"(?m)^[ \t]*\+?((?:AMQ|CSQX)\d{3,4})([IWEST]?):?[ \t]+([^\n]*)$")
_ARITH1 = regex.compile(r"ArithInsert1\((\d+)\)")
_CVC = regex.compile(r"ArithInsert2\((5750\d\d)\)")
_CHLAUTH_TYPE = regex.compile(r"TYPE\((BLOCKUSER|BLOCKADDR|ADDRESSMAP|SSLPEERMAP|USERMAP|QMGRMAP)\)")


def rule_example_row(text: str, msg_id: str | None, phase: str, cause: str) -> dict[str, Any]:
    """A rule's example (often a whole log entry) as a training row: summary line plus signals."""
    match = _ID_LINE.search(text)
    severity = None
    if msg_id and regex.fullmatch(r"AMQ\d{4}[IWEST]", msg_id):  # ids are stored without the letter
        msg_id, severity = msg_id[:7], msg_id[7]
    if match:
        msg_id = msg_id or match.group(1)
        severity = match.group(2) or severity
        message = f"{match.group(1)}{match.group(2)}: {match.group(3).strip()}"
    else:
        message = " ".join(text.split())[:1000]
    row: dict[str, Any] = {"msg_id": msg_id, "severity": severity, "message": message, "phase": phase, "cause": cause}
    arith = _ARITH1.search(text)
    if arith and msg_id and msg_id.upper().startswith(("AMQ96", "AMQ97")):
        row["gskit_rc"] = int(arith.group(1))
    elif arith and msg_id and msg_id.upper().startswith("AMQ92"):
        row["os_errno"] = int(arith.group(1))
    cvc = _CVC.search(text)
    if cvc:
        row["cert_validation_code"] = int(cvc.group(1))
    if "CN=" in text:
        row["peer_dn"] = "present"
    chlauth = _CHLAUTH_TYPE.search(text)
    if chlauth:
        row["chlauth_type"] = chlauth.group(1)
    return row


def rule_examples(vocab: Vocabulary, loader: Callable[[], Any] | None = None) -> tuple[list[dict[str, Any]], int, str]:
    """Rows from the rule files' examples; ``(rows, skipped, note)``.  Without ``pipeline.rules``
    (not written yet, or not importable) the set is built without them and the note says so."""
    if loader is None:
        try:
            from pipeline.rules import load_rules  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            return [], 0, f"rule examples not included: pipeline.rules is not importable ({exc})"
        loader = load_rules
    ruleset = loader()
    rows, skipped = [], 0
    for n, example in enumerate(ruleset.examples()):
        text, msg_id, phase, cause = example
        if (cause == UNKNOWN or cause in CONTEXT_ONLY_CAUSES or vocab.cause_phase.get(cause) != phase
                or not isinstance(text, str) or not text.strip()):
            skipped += 1  # not learnable from one entry's text, or inconsistent with causes.yaml
            continue
        row = rule_example_row(text, msg_id, phase, cause)
        row.update({
            "origin": "rule_example", "family": "rules", "conf": "V", "source_format": "text",
            "group": str(row["msg_id"]).upper() if row["msg_id"] else f"rule:{n}",
        })
        rows.append(row)
    return rows, skipped, f"rule examples included: {len(rows)} (skipped {skipped})"


# ---- the set -------------------------------------------------------------------------------
def build_training_set(
    seed: int = SEED, vocab: Vocabulary | None = None, rules_loader: Callable[[], Any] | None = None,
) -> tuple[pd.DataFrame, Source]:
    vocab = vocab or load_vocabulary()
    templates = load_templates(vocab)
    cases = load_cases(vocab)
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for tpl in templates:
        rows.extend(_template_rows(tpl, vocab, rng))
    for case in cases:
        rows.extend(_case_rows(case, vocab, rng))
    rule_rows, skipped, note = rule_examples(vocab, rules_loader)
    rows.extend(rule_rows)
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame["example_id"] = [f"ex{i:05d}" for i in range(len(frame))]
    for column in ("gskit_rc", "mqrc", "cert_validation_code", "os_errno"):
        frame[column] = frame[column].astype("Int64")
    source = Source(
        templates=len(templates), translations=sum(len(t.translations) for t in templates), cases=len(cases),
        rule_examples=len(rule_rows), rule_examples_skipped=skipped, rules_note=note,
    )
    return frame[list(COLUMNS)], source


def training_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def read_training_set(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError) as exc:
        raise ModelError(f"{path}: cannot read the training set ({exc})") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ModelError(f"{path}: training set lacks columns {missing}")
    frame = frame.astype(object).where(frame.notna(), None)
    for column in ("gskit_rc", "mqrc", "cert_validation_code", "os_errno"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["cipher_specs"] = [c.split(";") if isinstance(c, str) and c else None for c in frame["cipher_specs"]]
    return frame


def provenance_text(frame: pd.DataFrame, source: Source, sha256: str, seed: int) -> str:
    def table(counter: Counter[str], head: str) -> str:
        lines = [f"| {head} | rows |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in sorted(counter.items())]
        return "\n".join(lines)

    return f"""# Training set of the fallback classifier: provenance

Generated by `mqtriage model train` (or `mqtriage model generate`) from `pipeline/model/generate.py`
with seed `{seed}`; do not edit by hand. The same commit produces the same bytes (checked by a test).

- File: `{TRAINING_FILE}`, {len(frame)} rows, sha256 `{sha256}`.
- Labels: `phase` and `cause` from the vocabulary in `rules/causes.yaml` (the phase is always the
  cause's phase there). The cause `unknown` is never a label.
- Groups: `group` is the message id without its severity letter (AMQ9631, CSQX631, JMSWMQ2013) or,
  for free text without an id, a named group (`java:pkix`, `hand:...`). Cross-validation holds out
  whole groups, so translations and Java forms of one id leave together.

## Sources

1. **Message templates** (`pipeline/model/templates.yaml`, {source.templates} templates): one summary
   line per template, with inserts (channel, host, CipherSpec, DN, user...) drawn from fixed lists
   and the signal columns the classify stage extracts (GSKit rc, MQRC, errno, CipherSpec list, peer
   DN, CHLAUTH type, channel status) drawn per variant. First lines marked V in the template follow
   `shared/reference/mq-facts.md` / `mq-messages.csv`; R marks wording recalled there and not
   verified; I and W mark forms inferred or written here (z/OS CSQX lines, Java exception chains,
   channel-event and status summaries). The id is shown with or without its severity letter and
   with or without the `AMQnnnnX:` prefix, and host inserts are sometimes unquoted (older releases).
2. **Translations** ({source.translations} lines in de/fr/es/it/pt): our own wording of a line in that
   language, not IBM's translated catalogue. They teach the model to lean on the id block, the
   inserts and the signals rather than English words.
3. **Hand-written cases** (`pipeline/model/handwritten.yaml`, {source.cases} cases, each repeated
   {HAND_REPEAT} times with refilled inserts): client-library errors (Python, Go, Node, .NET), operator
   notes from last-error exports, OpenSSL-style and Java exception texts.
4. **Rule examples** (`pipeline.rules.load_rules().examples()`): {source.rules_note}.

The templates and hand-written cases copy no log text from the shared reference fixtures. Rule
examples are whatever the rule files carry, and some quote real fixture lines (for example from
the Nastel log used to judge the model), so that judgement counts only ids absent from this set.

## Rows by origin

{table(Counter(frame["origin"].str.split(":").str[0]), "origin")}

## Rows by family

{table(Counter(frame["family"]), "family")}

## Rows by cause

{table(Counter(frame["cause"]), "cause")}
"""


def write_training_set(
    data_dir: str | Path = DEFAULT_DATA_DIR, seed: int = SEED, rules_loader: Callable[[], Any] | None = None,
) -> tuple[Path, str, pd.DataFrame, Source]:
    """Write training.csv and PROVENANCE.md; returns (csv path, sha256, frame, source counts)."""
    data_dir = Path(data_dir)
    frame, source = build_training_set(seed=seed, rules_loader=rules_loader)
    payload = training_bytes(frame)
    sha = hashlib.sha256(payload).hexdigest()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / TRAINING_FILE).write_bytes(payload)
        (data_dir / PROVENANCE_FILE).write_text(provenance_text(frame, source, sha, seed), encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{data_dir}: cannot write the training set ({exc.strerror})") from exc
    return data_dir / TRAINING_FILE, sha, frame, source
