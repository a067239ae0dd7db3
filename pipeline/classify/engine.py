"""The decision engine: rules (message, context, sequence) then the fallback model.

Each row ends with one decision: the highest-priority rule that applies.  Message rules are looked
up once per distinct (message id, severity); context rules evaluate their conditions only on the
rows of their message ids; sequence rules join entries of the same process with ``merge_asof``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline import schemas
from pipeline.classify.signals import NO_CHANNEL, extract_signals
from pipeline.rules.kinds import INT_SIGNALS, SIGNAL_COLUMNS, Condition
from pipeline.rules.loader import FAILURE_PHASES, RuleSet, canonical_id

UNVERIFIED_CAP = 0.6      # confidence ceiling for rules built on recalled (unverified) message text
CLASSIFIED_NAMES = [f.name for f in schemas.CLASSIFIED]


@dataclass
class Decisions:
    cause: np.ndarray
    rule_id: np.ndarray
    confidence: np.ndarray
    priority: np.ndarray
    context: np.ndarray
    generic: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Decisions:
        return cls(np.full(n, None, dtype=object), np.full(n, None, dtype=object), np.full(n, np.nan),
                   np.full(n, -1e9), np.full(n, None, dtype=object), np.zeros(n, dtype=bool))

    def set(self, mask: np.ndarray, cause: Any, rule_id: str, confidence: Any, priority: float,
            generic: bool = False) -> None:
        take = mask & (priority > self.priority)
        if not take.any():
            return
        self.cause[take] = cause if np.isscalar(cause) or cause is None else np.asarray(cause, dtype=object)[take]
        self.rule_id[take] = rule_id
        self.confidence[take] = confidence if np.isscalar(confidence) else np.asarray(confidence)[take]
        self.priority[take] = priority
        self.generic[take] = generic


def _confidence(rule: dict[str, Any]) -> float:
    conf = float(rule.get("confidence", 0.9))
    return min(conf, UNVERIFIED_CAP) if rule.get("verified") is False else conf


# --- message rules ---------------------------------------------------------------------------
def _message_index(rs: RuleSet) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    exact: dict[str, list[dict[str, Any]]] = {}
    patterned: list[dict[str, Any]] = []
    for rule in rs.of_kind("message"):
        for mid in rule["msg_ids"]:
            exact.setdefault(canonical_id(mid) or "", []).append(rule)
        if rule["msg_id_pattern"]:
            patterned.append(rule)
    return exact, patterned


def _best_message_rule(mid: str | None, sev: str | None, exact: dict[str, list[dict[str, Any]]],
                       patterned: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not mid:
        return None
    sev = sev or ""
    best = None
    for rule in exact.get(mid, []):
        if rule["severities"] and sev not in rule["severities"]:
            continue
        if best is None or rule["priority"] > best["priority"]:
            best = rule
    if best is not None:
        return best
    for rule in patterned:
        if rule["severities"] and sev not in rule["severities"]:
            continue
        if re.search(rule["msg_id_pattern"], mid) and (best is None or rule["priority"] > best["priority"]):
            best = rule
    return best


@dataclass(frozen=True)
class Scope:
    """What a rule implementation needs to know about the rows it decides."""

    applies_to: str            # events | status
    id_columns: list[str]      # columns holding canonical message ids, most specific first
    ids: np.ndarray            # event_id (or status_id) per row, for context_event_id


def _apply_message_rules(df: pd.DataFrame, dec: Decisions, rs: RuleSet, scope: Scope) -> None:
    id_columns = scope.id_columns
    exact, patterned = _message_index(rs)
    sev = df["severity"].astype("object") if "severity" in df.columns else pd.Series(None, index=df.index, dtype="object")
    sev = sev.where(sev.notna(), "")
    keys = pd.DataFrame({c: df[c].astype("object").where(df[c].notna(), "") for c in id_columns})
    keys["_sev"] = sev.to_numpy()
    combos = keys.drop_duplicates()
    chosen: dict[tuple[Any, ...], dict[str, Any] | None] = {}
    for combo in combos.itertuples(index=False):
        *ids, s = combo
        pick = None
        for ident in ids:
            rule = _best_message_rule(ident or None, s, exact, patterned)
            if rule is None:
                continue
            if pick is None or (pick["generic"] and not rule["generic"]):
                pick = rule
            if not rule["generic"]:
                break
        chosen[tuple(combo)] = pick
    if not any(chosen.values()):
        return
    rule_ids = {k: (v["id"] if v else None) for k, v in chosen.items()}
    joined = keys.iloc[:, 0].astype(str)
    for col in keys.columns[1:]:
        joined = joined + "\x1f" + keys[col].astype(str)
    codes, uniques = pd.factorize(joined)
    combo_of = {"\x1f".join(map(str, k)): v for k, v in rule_ids.items()}
    picked_codes = np.array([combo_of.get(u) for u in uniques], dtype=object)
    picked = pd.Series(picked_codes[codes], index=df.index, dtype="object")
    for rid in {r for r in rule_ids.values() if r}:
        rule = rs.rules["message"][rid]
        mask = (picked == rid).to_numpy()
        prio = rule["priority"] - (5 if rule["generic"] else 0)
        dec.set(mask, rule["cause"], rid, _confidence(rule), prio, generic=rule["generic"])


# --- context rules ---------------------------------------------------------------------------
def _condition_mask(df: pd.DataFrame, cond: Condition) -> np.ndarray:
    col = df[cond.field] if cond.field in df.columns else pd.Series(None, index=df.index, dtype="object")
    if cond.op == "present":
        filled = col.notna() & ~col.astype("object").isin(NO_CHANNEL)
        return (filled if cond.value else ~filled).to_numpy(dtype=bool)
    if cond.op == "matches":
        text = col.astype("object")
        hit = text.str.contains(cond.pattern, regex=True, na=False) if cond.pattern else text.isna()
        return hit.to_numpy(dtype=bool)
    values = list(cond.value) if cond.op in ("in", "not_in", "between") else [cond.value]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    series = pd.to_numeric(col, errors="coerce") if numeric else col.astype("object")
    if cond.op == "between":
        lo, hi = cond.value
        return (series.ge(lo) & series.le(hi)).fillna(False).to_numpy(dtype=bool)
    if not numeric:
        series = series.map(lambda v: v.upper() if isinstance(v, str) else v, na_action="ignore")
        values = [str(v).upper() for v in values]
    hit = series.isin(values).fillna(False).to_numpy(dtype=bool)
    if cond.op == "not_in":
        return ~hit & series.notna().to_numpy(dtype=bool)
    return hit


def _apply_context_rules(df: pd.DataFrame, dec: Decisions, rs: RuleSet, scope: Scope) -> None:
    applies_to, id_columns = scope.applies_to, scope.id_columns
    for rule in rs.of_kind("context"):
        if rule["applies_to"] != applies_to:
            continue
        mask = np.ones(len(df), dtype=bool)
        if rule["msg_ids"]:
            wanted = {canonical_id(m) for m in rule["msg_ids"]}
            mask = np.zeros(len(df), dtype=bool)
            for col in id_columns:
                mask |= df[col].isin(wanted).to_numpy(dtype=bool)
        mask &= rule["priority"] > dec.priority
        if not mask.any():
            continue
        sub = df.loc[mask]
        sub_mask = np.ones(len(sub), dtype=bool)
        for cond in rule["when"]:
            sub_mask &= _condition_mask(sub, cond)
            if not sub_mask.any():
                break
        if not sub_mask.any():
            continue
        full = np.zeros(len(df), dtype=bool)
        full[np.flatnonzero(mask)[sub_mask]] = True
        cause: Any = rule["cause"]
        if rule["cause_from"]:
            table = rs.tables.get(rule["cause_from"]["table"], {})
            lookup = {k: v.get("cause") for k, v in table.items() if v.get("cause")}
            keys = df[rule["cause_from"]["field"]] if rule["cause_from"]["field"] in df.columns else None
            if keys is None:
                continue
            numeric = pd.to_numeric(keys, errors="coerce")
            mapped = numeric.map(lambda v, table=lookup: table.get(int(v)) if v == v else None, na_action="ignore")
            mapped = mapped.astype("object").where(mapped.notna(), rule["cause"])
            cause = mapped.to_numpy(dtype=object)
            full &= pd.notna(cause)
        dec.set(full, cause, rule["id"], _confidence(rule), rule["priority"])


def _phases(causes: np.ndarray, rs: RuleSet) -> np.ndarray:
    codes, uniques = pd.factorize(pd.Series(causes, dtype="object"), use_na_sentinel=True)
    table = np.array([rs.phase_of(c) for c in uniques] + [None], dtype=object)
    return table[codes]


# --- sequence rules --------------------------------------------------------------------------
def _key_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Join keys with nulls filled (merge_asof cannot join on nulls) and a global order."""
    keys = pd.DataFrame(index=df.index)
    for col in ("qmgr", "host", "source_path"):
        keys[col] = df[col].astype("object").fillna("") if col in df.columns else ""
    for col in ("pid", "tid"):
        keys[col] = pd.to_numeric(df[col], errors="coerce").fillna(-1).astype("int64") if col in df.columns else -1
    keys["channel"] = df["_channel"].astype("object").fillna("")
    ts = pd.to_datetime(df["timestamp"] if "timestamp" in df.columns else pd.Series(pd.NaT, index=df.index), utc=True)
    millis = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    keys["_ts"] = pd.to_numeric(millis, errors="coerce").fillna(0).astype("int64")
    order = pd.DataFrame({"ts": keys["_ts"], "path": keys["source_path"],
                          "off": pd.to_numeric(df.get("source_offset"), errors="coerce").fillna(0).to_numpy()
                          if "source_offset" in df.columns else 0})
    ranked = order.sort_values(["ts", "path", "off"], kind="stable")
    keys["_seq"] = 0
    keys.loc[ranked.index, "_seq"] = np.arange(len(ranked))
    keys["_pos"] = np.arange(len(df))
    return keys


def _asof(left: pd.DataFrame, right: pd.DataFrame, by: list[str], direction: str) -> pd.DataFrame:
    if left.empty or right.empty:
        return left.assign(_pos_r=np.nan, _ts_r=np.nan)
    r = right[[*by, "_seq", "_pos", "_ts"]].rename(columns={"_pos": "_pos_r", "_ts": "_ts_r"})
    merged = pd.merge_asof(left.sort_values("_seq"), r.sort_values("_seq"), on="_seq", by=by,
                           direction=direction, allow_exact_matches=False)
    return merged


def _apply_sequence_rules(df: pd.DataFrame, dec: Decisions, rs: RuleSet, scope: Scope) -> None:
    event_ids = scope.ids
    rules = rs.of_kind("sequence")
    if scope.applies_to != "events" or not rules or df.empty:
        return
    keys = _key_frame(df)
    mid = df["_mid"]
    # Run lower priorities first is not needed: a rule only takes rows it outranks.
    for rule in sorted(rules, key=lambda r: r["mode"] in ("summary", "inherit")):
        wanted = {canonical_id(m) for m in rule["msg_ids"]}
        target = mid.isin(wanted).to_numpy(dtype=bool).copy()
        if rule["target_without_channel"]:
            target &= (keys["channel"] == "").to_numpy()
        if not target.any():
            continue
        window_ms = rule["window_seconds"] * 1000.0
        by = [c for c in rule["same"]]
        left = keys.loc[target]
        if rule["mode"] in ("followed_by", "pair"):
            partner_ids = {canonical_id(m) for m in rule["partner_ids"]}
            right = keys.loc[mid.isin(partner_ids).to_numpy(dtype=bool)]
            merged = _asof(left, right, by, "forward")
            ok = merged["_pos_r"].notna() & ((merged["_ts_r"] - merged["_ts"]).abs() <= window_ms)
            hit = merged.loc[ok]
            mask = np.zeros(len(df), dtype=bool)
            mask[hit["_pos"].to_numpy(dtype=int)] = True
            dec.set(mask, rule["cause"], rule["id"], _confidence(rule), rule["priority"])
            if rule["mode"] == "pair":
                pmask = np.zeros(len(df), dtype=bool)
                pmask[hit["_pos_r"].to_numpy(dtype=int)] = True
                dec.set(pmask, rule["cause"], rule["id"], _confidence(rule), rule["priority"])
            continue
        # summary / inherit: the nearest specific failure before it, same process and channel.
        phases = _phases(dec.cause, rs)
        specific = np.isin(phases, FAILURE_PHASES) & ~dec.generic & ~mid.isin(wanted).to_numpy(dtype=bool)
        found = pd.Series(np.nan, index=left["_pos"].to_numpy())
        for by_cols, cand_mask in ((by + ["channel"], specific),
                                   (by, specific & (keys["channel"] == "").to_numpy())):
            todo = left.loc[found.loc[left["_pos"].to_numpy()].isna().to_numpy()]
            if todo.empty:
                break
            merged = _asof(todo, keys.loc[cand_mask], by_cols, "backward")
            ok = merged["_pos_r"].notna() & ((merged["_ts"] - merged["_ts_r"]).abs() <= window_ms)
            found.loc[merged.loc[ok, "_pos"].to_numpy()] = merged.loc[ok, "_pos_r"].to_numpy()
        hit = found.dropna()
        if hit.empty:
            continue
        tpos = hit.index.to_numpy(dtype=int)
        cpos = hit.to_numpy(dtype=int)
        if rule["mode"] == "summary":
            dec.context[tpos] = event_ids[cpos]
            continue
        mask = np.zeros(len(df), dtype=bool)
        mask[tpos] = True
        causes = np.full(len(df), None, dtype=object)
        causes[tpos] = dec.cause[cpos]
        conf = np.full(len(df), np.nan)
        conf[tpos] = np.minimum(dec.confidence[cpos], _confidence(rule))
        dec.set(mask, causes, rule["id"], conf, rule["priority"])
        dec.context[tpos] = event_ids[cpos]


# --- frames ------------------------------------------------------------------------------------
@dataclass
class FramesResult:
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


# The explicit registry from decision rule kind to its implementation, in the order they run
# (a later kind only takes rows it outranks).  Signal rules are applied by
# ``pipeline.classify.signals.extract_signals`` before any of these.
IMPLEMENTATIONS: dict[str, Callable[[pd.DataFrame, Decisions, RuleSet, Scope], None]] = {
    "message": _apply_message_rules,
    "context": _apply_context_rules,
    "sequence": _apply_sequence_rules,
}


def _decide(sig: pd.DataFrame, rs: RuleSet, applies_to: str, id_columns: list[str], ids: np.ndarray) -> Decisions:
    dec = Decisions.empty(len(sig))
    if sig.empty:
        return dec
    scope = Scope(applies_to, id_columns, ids)
    for apply in IMPLEMENTATIONS.values():
        apply(sig, dec, rs, scope)
    return dec


def _events_part(events: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    sig = extract_signals(events, rs).reset_index(drop=True)
    channel = sig["channel"].astype("object") if "channel" in sig.columns else pd.Series(None, index=sig.index, dtype="object")
    channel = channel.where(~channel.isin(NO_CHANNEL), None)
    sig["_channel"] = channel.where(channel.notna(), sig["channel_hint"])
    if "event_id" not in sig.columns:  # text-only rows (e.g. training text): positional ids
        sig["event_id"] = [f"row{i}" for i in range(len(sig))]
    ids = sig["event_id"].astype("object").to_numpy()
    dec = _decide(sig, rs, "events", ["_mid"], ids)
    out = _base_columns(sig, dec, rs)
    out["channel"] = sig["_channel"]
    out["status"] = None
    return out


def _status_part(status: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    src = status.copy()
    if "message" not in src.columns:
        src["message"] = src["last_error"] if "last_error" in src.columns else None
    src["severity"] = None
    sig = extract_signals(src, rs).reset_index(drop=True)
    sig["_inner"] = sig["inner_msg_id"].astype("object").str.upper().str.replace(
        r"^(AMQ\d{4}|CSQ[A-Z0-9]\d{3})[A-Z]$", r"\1", regex=True)
    # Context conditions may name the status table's own columns (ssl_peer, reason_qualifier...).
    ids = sig["status_id"].astype("object").to_numpy()
    sig["event_id"] = sig["status_id"]
    dec = _decide(sig, rs, "status", ["_inner", "_mid"], ids)
    out = _base_columns(sig, dec, rs)
    best_id = sig["_inner"].where(sig["_inner"].notna(), sig["_mid"])
    out["msg_id"] = best_id
    out["message"] = sig["last_error"] if "last_error" in sig.columns else None
    channel = sig["channel"].astype("object") if "channel" in sig.columns else None
    out["channel"] = channel
    out["status"] = sig["status"] if "status" in sig.columns else None
    for col in ("severity", "pid", "tid", "program", "host"):
        out[col] = None
    return out


def _base_columns(sig: pd.DataFrame, dec: Decisions, rs: RuleSet) -> pd.DataFrame:
    out = pd.DataFrame(index=sig.index)
    for col in CLASSIFIED_NAMES:
        if col in sig.columns:
            out[col] = sig[col]
    out["msg_id"] = sig["_mid"]
    decided = pd.notna(dec.cause)
    cause = np.where(decided, dec.cause, "unknown")
    out["cause"] = cause
    out["phase"] = _phases(cause, rs)
    out["method"] = np.where(decided, "rule", "none")
    out["rule_id"] = dec.rule_id
    out["confidence"] = np.where(decided, dec.confidence, np.nan)
    out["context_event_id"] = dec.context
    for col in ("model_phase", "model_cause"):
        out[col] = None
    out["model_confidence"] = np.nan
    for col in SIGNAL_COLUMNS:
        out[col] = sig[col] if col in sig.columns else None
    return out


def apply_model(frame: pd.DataFrame, model: Any, notes: list[str]) -> None:
    if model is None:
        return
    if not getattr(model, "available", False):
        notes.append(f"fallback model not used: {getattr(model, 'reason', 'unavailable')}")
        return
    todo = frame["cause"] == "unknown"
    if not todo.any():
        return
    guess = model.predict(frame.loc[todo])
    frame.loc[guess.index, "model_phase"] = guess["model_phase"].astype("object")
    frame.loc[guess.index, "model_cause"] = guess["model_cause"].astype("object")
    frame.loc[guess.index, "model_confidence"] = guess["model_confidence"].astype("float64")
    sure = guess.index[(guess["model_confidence"] >= float(model.threshold)).to_numpy()]
    frame.loc[sure, "phase"] = guess.loc[sure, "model_phase"].astype("object")
    frame.loc[sure, "cause"] = guess.loc[sure, "model_cause"].astype("object")
    frame.loc[sure, "method"] = "model"
    frame.loc[sure, "confidence"] = guess.loc[sure, "model_confidence"].astype("float64")
    frame.loc[sure, "rule_id"] = None


def classify_frames(events: pd.DataFrame, status: pd.DataFrame, rs: RuleSet, model: Any = None) -> FramesResult:
    """Classify event rows then status rows; one output row per input row, in that order."""
    notes: list[str] = []
    parts = []
    if len(events):
        parts.append(_events_part(events, rs))
    if len(status):
        parts.append(_status_part(status, rs))
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in CLASSIFIED_NAMES})
    for col in CLASSIFIED_NAMES:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[CLASSIFIED_NAMES]
    for col in INT_SIGNALS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    apply_model(frame, model, notes)
    return FramesResult(frame=frame, notes=notes)
