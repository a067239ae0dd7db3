"""Turn rule examples into event or channel-status rows, and check them against the engine.

An example is real entry text (``text``: the summary line with its id) plus any columns the rule
reads (inserts, channel, pid, status columns...).  Sequence examples list several ``events`` with
``at`` (seconds from the first) and name the decided one with ``target`` (default: the first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline import schemas
from pipeline.rules.kinds import SIGNAL_COLUMNS

BASE_TIME = pd.Timestamp("2026-11-20T08:00:00Z")
_LEAD_ID = re.compile(r"^\s*(AMQ\d{4}[A-Z]?|CSQ[A-Z0-9]\d{3}[A-Z]?|JMS[A-Z]{2,4}\d{4})\b")
_ANY_ID = re.compile(r"\b(AMQ\d{4}[A-Z]?|CSQ[A-Z0-9]\d{3}[A-Z]?|JMS[A-Z]{2,4}\d{4})\b")
EVENT_NAMES = [f.name for f in schemas.EVENTS]
STATUS_NAMES = [f.name for f in schemas.CHANNEL_STATUS]


def example_text(ex: dict[str, Any]) -> tuple[str | None, str | None]:
    """The text and canonical message id an example stands for (the target's, for sequence examples).

    Status examples without error text are described the way the exports read: ``<event reason>:
    <qualifier>`` for events, ``STATUS(x) SUBSTATE(y)`` for channel status.
    """
    from pipeline.rules.loader import canonical_id

    if "events" in ex:
        target = ex["events"][ex.get("target", 0)]
        return example_text(target)
    text = ex.get("text") or ex.get("last_error") or ex.get("message")
    if not text and ex.get("reason_qualifier"):
        text = f"{ex.get('event_reason') or 'Channel Event'}: {ex['reason_qualifier']}"
    if not text and ex.get("status"):
        text = f"STATUS({ex['status']}) SUBSTATE({ex.get('substate') or ' '})"
    msg_id = ex.get("msg_id")
    if text and not msg_id:
        m = _ANY_ID.search(text)
        msg_id = m.group(1) if m else None
    return text, canonical_id(msg_id)


def _event_row(ex: dict[str, Any], n: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(EVENT_NAMES)
    row.update(event_id=f"ex{n:04d}", source_path="example", source_format="text", source_offset=n * 100,
               source_line=n + 1, qmgr="QMX", host="mqx.example.com", pid=4242, tid=1,
               timestamp=BASE_TIME + pd.Timedelta(seconds=float(ex.get("at", 0))), timestamp_source="time_field")
    text = ex.get("text")
    if text:
        m = _LEAD_ID.match(text)
        if m:
            ident = m.group(1)
            row["msg_id"] = ident[:7] if ident.startswith("AMQ") else ident
            row["severity"] = ident[7] if ident.startswith("AMQ") and len(ident) == 8 else None
            rest = text[m.end():].lstrip(":").strip()
            row["message"] = rest or text
        else:
            row["message"] = text
    for key, value in ex.items():
        if key in EVENT_NAMES:
            row[key] = value
    return row


def _status_row(ex: dict[str, Any], n: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(STATUS_NAMES)
    row.update(status_id=f"st{n:04d}", source_path="example", source_format="csv", source_offset=n * 100,
               qmgr="QMX", timestamp=BASE_TIME + pd.Timedelta(seconds=float(ex.get("at", 0))),
               timestamp_source="export")
    if ex.get("text") and not ex.get("last_error"):
        row["last_error"] = ex["text"]
    for key, value in ex.items():
        if key in STATUS_NAMES:
            row[key] = value
    if row["msg_id"] is None and row["last_error"]:
        m = _ANY_ID.search(row["last_error"])
        row["msg_id"] = m.group(1) if m else None
    return row


def example_rows(ex: dict[str, Any], applies_to: str = "events") -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(event rows, status rows, target position) for one example."""
    if applies_to == "status":
        return [], [_status_row(ex, 0)], 0
    items = ex["events"] if "events" in ex else [ex]
    return [_event_row(item, i) for i, item in enumerate(items)], [], int(ex.get("target", 0))


def example_frames(ex: dict[str, Any], applies_to: str = "events") -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(events, channel_status, target position) for one example."""
    events, status, target = example_rows(ex, applies_to)
    return _frame(events, EVENT_NAMES), _frame(status, STATUS_NAMES), target


def _frame(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=names)
    if "timestamp" in df.columns:
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    for col in ("pid", "tid", "arith_insert_1", "arith_insert_2", "source_offset", "source_line",
                "mqrc", "ssl_return_code"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    return df


@dataclass
class ExampleFailure:
    rule_id: str
    which: str          # match[0], no_match[1]
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule_id}: example {self.which}: {self.message}"


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return list(got) == want if got is not None and not isinstance(got, float) else False
    if got is None or (isinstance(got, float) and got != got) or got is pd.NA:
        return want is None
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return float(got) == float(want)
        except (TypeError, ValueError):
            return False
    return str(got) == str(want)


def _is_status_example(ex: dict[str, Any]) -> bool:
    return any(k in ex for k in ("last_error", "ssl_peer", "reason_qualifier", "ssl_cipher", "status"))


def run_examples(rs: Any) -> Iterator[ExampleFailure]:
    """Run every example of every rule through the engine; yield the ones that do not hold.

    All event examples go through one engine call (each example is its own queue manager, so
    sequence rules never join two examples), and so do all status examples.  Signal examples run
    per signal rule, with only that rule loaded.
    """
    from pipeline.classify.engine import classify_frames
    from pipeline.classify.signals import extract_signals

    cases: list[tuple[str, dict[str, Any], str, str, dict[str, Any], int]] = []
    event_rows: list[dict[str, Any]] = []
    status_rows: list[dict[str, Any]] = []
    for kind, rule in rs.all_rules():
        if kind == "signal":
            yield from _check_signal_rule(rs, rule, extract_signals)
            continue
        for which in ("match", "no_match"):
            for i, ex in enumerate(rule["examples"][which]):
                events, status, target = example_rows(ex, rule.get("applies_to", "events"))
                tag = f"EX{len(cases):05d}"
                for row in events + status:
                    row["qmgr"] = tag
                if status:
                    cases.append((kind, rule, which, f"{which}[{i}]", ex, -(len(status_rows) + 1)))
                    status_rows.extend(status)
                else:
                    cases.append((kind, rule, which, f"{which}[{i}]", ex, len(event_rows) + target))
                    event_rows.extend(events)
    all_events = _frame(event_rows, EVENT_NAMES)
    frame = classify_frames(all_events, _frame(status_rows, STATUS_NAMES), rs, model=None).frame
    for kind, rule, which, label, ex, pos in cases:
        row = frame.iloc[pos if pos >= 0 else len(all_events) + (-pos - 1)]
        yield from _judge(kind, rule, which, label, ex, row)


def _judge(kind: str, rule: dict[str, Any], which: str, label: str, ex: dict[str, Any],
           row: pd.Series) -> Iterator[ExampleFailure]:
    rid = rule["id"]
    summary = kind == "sequence" and rule["mode"] == "summary"
    decided = pd.notna(row["context_event_id"]) if summary else row["rule_id"] == rid
    if which == "no_match":
        if decided:
            yield ExampleFailure(rid, label, "this rule decided an example it must not match")
        return
    if not decided:
        what = "no context_event_id was set" if summary else f"decided by {row['rule_id']!r} ({row['cause']}), not by this rule"
        yield ExampleFailure(rid, label, what)
        return
    for col, want in (ex.get("expect") or {}).items():
        if not _same(row.get(col), want):
            yield ExampleFailure(rid, label, f"{col} is {row.get(col)!r}, expected {want!r}")


def _one_row(ex: dict[str, Any], applies: str) -> dict[str, Any]:
    events, status, _ = example_rows(ex, applies)
    return (events or status)[0]


def _check_signal_rule(rs: Any, rule: dict[str, Any], extract: Any) -> Iterator[ExampleFailure]:
    from pipeline.rules.loader import RuleSet

    single = RuleSet(causes=rs.causes, phases=rs.phases, rules={"signal": {rule["id"]: rule}}, tables=rs.tables)
    labelled = [(which, f"{which}[{i}]", ex) for which in ("match", "no_match")
                for i, ex in enumerate(rule["examples"][which])]
    results: dict[str, Any] = {}
    for applies in ("events", "status"):
        chosen = [(label, ex) for _, label, ex in labelled if _is_status_example(ex) == (applies == "status")]
        if not chosen:
            continue
        rows = [_one_row(ex, applies) for _, ex in chosen]
        got = extract(_frame(rows, EVENT_NAMES if applies == "events" else STATUS_NAMES), single)
        for (label, _), (_, row) in zip(chosen, got.iterrows(), strict=True):
            results[label] = row.get(rule["signal"])
    sig = rule["signal"]
    for which, label, ex in labelled:
        value = results.get(label)
        empty = value is None or value is pd.NA or (isinstance(value, float) and value != value)
        if which == "match":
            want = (ex.get("expect") or {}).get(sig)
            if empty:
                yield ExampleFailure(rule["id"], label, f"{sig} was not extracted")
            elif want is not None and not _same(value, want):
                yield ExampleFailure(rule["id"], label, f"{sig} is {value!r}, expected {want!r}")
        elif not empty:
            yield ExampleFailure(rule["id"], label, f"{sig} was extracted ({value!r}) but must not be")


__all__ = ["SIGNAL_COLUMNS", "example_frames", "example_text", "run_examples"]
