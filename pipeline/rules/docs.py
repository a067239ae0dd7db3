"""Generate docs/rules.md from the rule files (``mqtriage rules docs --out docs/rules.md``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pipeline.rules.kinds import KINDS
from pipeline.rules.loader import PHASES, RuleSet

UNVERIFIED_CAP = 0.6  # kept equal to pipeline.classify.engine.UNVERIFIED_CAP (a test checks)

INTRO = """\
# Rules reference

Generated from the files under `rules/` by `mqtriage rules docs --out docs/rules.md` (`make docs`);
do not edit by hand - a test fails when this file is stale.  Validate a rules folder with
`mqtriage rules check [DIR]`; layer your own with `--rules DIR` (the same id replaces ours, new ids add).

## How a row is decided

Every log entry and every channel-status row ends with exactly one decision: the applicable rule
with the highest priority.  Typical priorities:

| priority | what decides |
|---|---|
| 40 | status rows: the JSSE exception text inside a Java client's chained exception |
| 35 | status rows: the amqsevt reason qualifier (SSL Handshake Error, Channel Blocked Noaccess, ...) |
| 30 | sequence rules: the entries around an entry (same process, short window) |
| 18-23 | context rules: inserts and signals (GSKit code, errno, CHLAUTH values) |
| 10 | message catalogue: the message id alone (`generic` wrappers count 5 less) |
| 8 | status rows: the MQ reason code alone |
| 5, 1 | id ranges and the severity letter (informational start-up entries) |
| 3 | status rows: STATUS and SUBSTATE alone |

Rows no rule decides go to the fallback model (`method = model` when its confidence reaches the
model's threshold); otherwise they stay `other/unknown` with `method = none`, and the model's
guess is kept in `model_phase`, `model_cause`, `model_confidence`.

Confidence is the rule's `confidence`; a rule marked `verified: false` (its message text was
recalled, not seen in a real log or IBM's catalogue) is capped at {cap}.  AMQ9999 keeps
`other/channel_ended_abnormally`; `context_event_id` points at the specific entry before it.
AMQ9638 takes the phase and cause of the entry before it.
"""


ASSUMPTIONS = """
## Assumptions and limits

1. **Where rules come from.** The bundled rules are the `rules/` folder next to the `pipeline`
   package (a repository checkout or editable install). Files are read with `yaml.safe_load`;
   `insert_slots.yaml` belongs to the parser and is not read here. Valid rule sets are cached per
   process, keyed by file names, sizes and modification times.
2. **Message ids** are compared without their severity letter (`AMQ9631E` = `AMQ9631`,
   `CSQX202E` = `CSQX202`); Java ids (`JMSWMQ2013`) as written.
3. **Unverified texts.** Rules marked `verified: false` rest on message titles recalled in the
   reference, not seen; their confidence is capped at 0.6. Their examples use the recalled title,
   and ids whose title is unknown (AMQ9619/9623/9624/9626, the `(composed ...)` examples) use a
   composed line - these examples test the rule mechanics, not IBM's wording.
4. **AMQ9202 without a return code** is `host_unreachable` at 0.6: refused and unreachable cannot
   be told apart. Socket return codes are the operating systems' standard values (Linux, Windows,
   AIX, Solaris; z/OS 1128 = X'468'), not taken from MQ documentation.
5. **AMQ9633.** GSKit 401/107 = expired, 8/413/414/417 = untrusted, 427 = revocation, other codes
   through the GSKit table. A 5750xx validation code alone means untrusted at 0.7: both known cases
   were incomplete chains, and IBM publishes no table of these codes.
6. **AMQ9788** is "Slow DNS lookup" in the real Nastel log (the reference CSV guessed a CipherSpec
   message); it is an `other_failure`, not a channel failure.
7. **Echo messages.** AMQ9641, AMQ9643 and AMQ9665 are what an end logs when its partner refused;
   they get the cause class the partner's message would have (`cipher_mismatch`, `sslpeer_mismatch`,
   `remote_closed_handshake`); the timeline decides which end holds the cause. AMQ9637 (responder)
   and AMQ9642 (initiator) are both `client_cert_missing`.
8. **Noise.** AMQ9228 alone is `listener_probe` at 0.5, AMQ9207 at 0.7; AMQ9209 + AMQ9228 of one
   process within 5 s, the AMQ9209 naming no channel, is `listener_probe` at 0.9.
9. **Windows and keys of sequence rules** (listed in the table above) are our choice: failover
   60 s, probe 5 s, AMQ9999 context 30 s, AMQ9638 10 s. Order is time, then file and byte offset.
   Rows without pid/tid/time join only rows equally without them.
10. **Status rows.** The id inside `last_error` wins over the Java wrapper id; JSSE text wins over
    both (the mapping of JSSE alerts to causes is inference from TLS semantics). MQRC 2035 alone is
    `user_auth_failed`: the client cannot see whether a CHLAUTH rule or authority refused it. A
    RETRYING row with no error text, qualifier or substate stays `unknown` on purpose.
11. **Channel names.** When the parser found no channel insert, the channel named in the summary
    or explanation is used (`'????'` counts as none).
12. **Linear-time patterns** are enforced by a structural check (no nested unbounded repeats, no
    alternation inside a repeat, no back-references, no leading unbounded repeat); it can refuse a
    safe pattern, never the reverse for these shapes.
13. **Causes added** to the original vocabulary: `bind_failed` (network), `channel_exit` (post_tls),
    `address_failover` (info). No original cause was removed or renamed.
14. **The fallback model** is called only for rows no rule decided; without an artifact the stage
    runs on rules alone and returns one note saying so.
"""


def _file(rule: dict[str, Any]) -> str:
    return Path(rule.get("_file", "")).name


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ").strip()


def _ids(rule: dict[str, Any]) -> str:
    ids = ", ".join(rule.get("msg_ids") or ())
    if rule.get("msg_id_pattern"):
        ids = (ids + ", " if ids else "") + f"`{rule['msg_id_pattern']}`"
    if rule.get("severities"):
        ids += " (severity " + "/".join(s or "none" for s in rule["severities"]) + ")"
    return ids


def render(rs: RuleSet) -> str:
    out: list[str] = [INTRO.format(cap=UNVERIFIED_CAP)]
    messages = rs.of_kind("message")
    contexts = rs.of_kind("context")
    sequences = rs.of_kind("sequence")
    by_cause: dict[str, list[str]] = defaultdict(list)
    for rule in sorted(messages, key=lambda r: r["id"]):
        by_cause[rule["cause"]].append(_ids(rule))
    ctx_by_cause: dict[str, list[str]] = defaultdict(list)
    for rule in sorted(contexts + sequences, key=lambda r: r["id"]):
        if rule.get("cause"):
            ctx_by_cause[str(rule["cause"])].append(f"`{rule['id']}`")
        if rule.get("cause_from"):
            table = rs.tables.get(rule["cause_from"]["table"], {})
            for table_cause in sorted({str(e["cause"]) for e in table.values() if e.get("cause")}):
                ctx_by_cause[table_cause].append(f"`{rule['id']}`")

    out.append("\n## Taxonomy\n\n| phase | meaning |\n|---|---|\n")
    for phase in PHASES:
        out.append(f"| `{phase}` | {_cell(rs.phases.get(phase))} |\n")

    out.append("\n## Causes\n\nWhere to fix: `local` = the queue manager whose log holds the entry, "
               "`remote` = its partner, `either`/`network` = both ends or the path between them.\n")
    for phase in PHASES:
        out.append(f"\n### Phase `{phase}`\n")
        for name, cause in rs.causes.items():
            if cause["phase"] != phase:
                continue
            out.append(f"\n#### `{name}`\n\n{_cell(cause['meaning'])}\n\n")
            out.append(f"- **Fix side:** {cause['fix_side']}\n- **What to check:** {_cell(cause['check'])}\n")
            if by_cause.get(name):
                out.append(f"- **Messages:** {'; '.join(by_cause[name])}\n")
            if ctx_by_cause.get(name):
                out.append(f"- **Also decided by:** {', '.join(sorted(set(ctx_by_cause[name])))}\n")

    out.append("\n## Message catalogue\n\nOne row per message rule (kind `message`), by id.\n\n")
    out.append("| rule | ids | first line | cause | phase | confidence | verified | fix side | what to do |\n")
    out.append("|---|---|---|---|---|---|---|---|---|\n")
    for rule in sorted(messages, key=lambda r: (r["msg_ids"][0] if r["msg_ids"] else "~" + r["id"])):
        side = rule["fix_side"] or rs.causes[rule["cause"]]["fix_side"]
        conf = min(rule["confidence"], UNVERIFIED_CAP) if not rule["verified"] else rule["confidence"]
        out.append(
            f"| `{rule['id']}` | {_cell(_ids(rule))} | {_cell(rule['title'])} | `{rule['cause']}` | "
            f"{rs.phase_of(rule['cause'])} | {conf:.2f} | {'yes' if rule['verified'] else 'no'} | {side} | "
            f"{_cell(rule['remediation'] or rule['description'])} |\n"
        )

    out.append("\n## Context rules\n\nKind `context`: all conditions must hold.  `cause_from` takes the "
               "cause from a code table (below).\n\n")
    out.append("| rule | rows | ids | conditions | cause | priority | description |\n|---|---|---|---|---|---|---|\n")
    for rule in sorted(contexts, key=lambda r: r["id"]):
        conds = "; ".join(c.describe() for c in rule["when"]) or "(any)"
        decides = f"`{rule['cause']}`" if rule["cause"] else ""
        if rule["cause_from"]:
            cf = rule["cause_from"]
            decides = f"from `{cf['table']}` by `{cf['field']}`" + (f", else {decides}" if decides else "")
        out.append(f"| `{rule['id']}` | {rule['applies_to']} | {_cell(_ids(rule))} | {_cell(conds)} | {decides} | "
                   f"{rule['priority']} | {_cell(rule['description'])} |\n")

    out.append("\n## Sequence rules\n\nKind `sequence`: entries are ordered by time, then file and offset; "
               "`same` keys must agree and the partner must fall inside the window.\n\n")
    out.append("| rule | mode | ids | partners | same | window | cause | description |\n|---|---|---|---|---|---|---|---|\n")
    for rule in sorted(sequences, key=lambda r: r["id"]):
        out.append(f"| `{rule['id']}` | {rule['mode']} | {_cell(_ids(rule))} | {', '.join(rule['partner_ids'])} | "
                   f"{', '.join(rule['same'])} | {rule['window_seconds']:g} s | "
                   f"{('`' + rule['cause'] + '`') if rule['cause'] else '(keeps its own)'} | {_cell(rule['description'])} |\n")

    out.append("\n## Signal extractors\n\nKind `signal`: fill the typed columns of `classified`.  "
               "Higher priority first; the first value found wins (`cipher_specs` collects all).\n\n")
    out.append("| signal | rule | ids | from | description |\n|---|---|---|---|---|\n")
    for rule in sorted(rs.of_kind("signal"), key=lambda r: (r["signal"], -r["priority"], r["id"])):
        if rule["column"]:
            source = f"column `{rule['column']}`"
        elif rule["pattern"]:
            source = f"`{_cell(rule['pattern'])}` in {', '.join(rule['sources'])}"
            if rule["value"] is not None:
                source += f" -> `{rule['value']}`"
        else:
            source = f"constant `{rule['value']}`"
        out.append(f"| `{rule['signal']}` | `{rule['id']}` | {_cell(_ids(rule)) or '(any)'} | {source} | "
                   f"{_cell(rule['description'])} |\n")

    out.append("\n## Code tables\n")
    out.append("\n### GSKit return codes (`gskit_code`)\n\n| code | name | meaning | cause |\n|---|---|---|---|\n")
    for code, e in sorted(rs.tables.get("gskit_code", {}).items()):
        out.append(f"| {code} | `{e['name']}` | {_cell(e['meaning'])} | {e.get('cause') or ''} |\n")
    out.append("\n### MQ reason codes (`mqrc_code`)\n\n| code | name | meaning | cause |\n|---|---|---|---|\n")
    for code, e in sorted(rs.tables.get("mqrc_code", {}).items()):
        out.append(f"| {code} | `{e['name']}` | {_cell(e['meaning'])} | {e.get('cause') or ''} |\n")
    out.append("\n### Socket return codes (`errno_code`)\n\n| code | name | platform | meaning | cause |\n"
               "|---|---|---|---|---|\n")
    for code, e in sorted(rs.tables.get("errno_code", {}).items()):
        out.append(f"| {code} | `{e['name']}` | {e['platform']} | {_cell(e['meaning'])} | {e.get('cause') or ''} |\n")
    out.append("\n### CipherSpecs (`cipherspec`)\n\n| CipherSpec | protocol | weak | deprecated | other names | note |\n"
               "|---|---|---|---|---|---|\n")
    for _, e in sorted(rs.tables.get("cipherspec", {}).items()):
        out.append(f"| `{e['name']}` | {e['protocol']} | {'yes' if e['weak'] else ''} | "
                   f"{'yes' if e['deprecated'] else ''} | {_cell(', '.join(e['alternate_names']))} | {_cell(e['meaning'])} |\n")

    out.append("\n## Rule kinds\n\nThe registry (`pipeline/rules/kinds.py`, `KINDS`): each kind declares its fields; "
               "unknown keys, bad regexes, unknown causes and duplicate ids fail at load with file, rule and field.\n")
    for kind in KINDS.values():
        out.append(f"\n### `{kind.name}`\n\n{kind.doc}\n\n| field | type | required | default | notes |\n|---|---|---|---|---|\n")
        for name, spec in kind.fields.items():
            default = "" if spec.default in (None, ()) else f"`{spec.default}`"
            notes = spec.doc + (f" (one of: {', '.join(spec.choices)})" if spec.choices and len(spec.choices) < 12 else "")
            out.append(f"| `{name}` | {spec.type} | {'yes' if spec.required else ''} | {default} | {_cell(notes)} |\n")

    out.append(ASSUMPTIONS)
    out.append("\n## Rule files\n\n")
    for f in rs.files:
        out.append(f"- `rules/{Path(f).name}`\n")
    return "".join(out)
