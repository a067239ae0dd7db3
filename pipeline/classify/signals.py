"""Typed signals (GSKit code, CipherSpecs, DNs, CHLAUTH values, MQRC, address, errno) from rows.

Every extractor is a ``signal`` rule in ``rules/*.yaml``: a column copy or a named pattern applied
to a few columns, optionally only for some message ids.  Rules run by priority; the first value
found for a signal wins, except ``cipher_specs``, which collects every CipherSpec named.  Work is
vectorised: each extractor touches only the rows of its message ids that still lack the signal.

``extract_signals(df)`` works on any frame - event rows, channel-status rows, or text-only rows with
just ``message`` (the model engineer's training rows); missing columns count as empty.
"""

from __future__ import annotations

import functools
import re
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pandas as pd

from pipeline.rules import RuleSet, load_rules
from pipeline.rules.kinds import INT_SIGNALS, SIGNAL_COLUMNS, TEXT_SOURCES
from pipeline.rules.loader import canonical_id

HELPERS = ("channel_hint", "inner_msg_id", "errno_name")
_ID_IN_TEXT = re.compile(r"\b(AMQ\d{4}[A-Z]?|CSQ[A-Z0-9]\d{3}[A-Z]?|JMS[A-Z]{2,4}\d{4})\b")
_MID_SUFFIX = r"^(AMQ\d{4}|CSQ[A-Z0-9]\d{3})[A-Z]$"
NO_CHANNEL = {"", "????"}


def msg_key(df: pd.DataFrame) -> pd.Series:
    """Canonical message id per row (severity letter dropped); from the text when msg_id is empty."""
    if "msg_id" in df.columns:
        mid = df["msg_id"].astype("object")
    else:
        mid = pd.Series(None, index=df.index, dtype="object")
    missing = mid.isna().to_numpy()
    if missing.any() and "message" in df.columns:
        found = df.loc[missing, "message"].astype("object").str.extract(_ID_IN_TEXT, expand=False)
        mid = mid.where(~missing, found)
    codes, uniques = pd.factorize(mid, use_na_sentinel=True)
    canon = np.array([canonical_id(u) for u in uniques] + [None], dtype=object)
    return pd.Series(canon[codes], index=df.index, dtype="object")


def _hex(value: Any) -> int | None:
    try:
        return int(str(value), 16)
    except ValueError:
        return None


def _clean(value: Any, strip_quotes: bool) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if strip_quotes:
        text = text.strip("'\"").strip()
    return None if text in NO_CHANNEL else text


def _convert(values: pd.Series, how: str, signal: str) -> pd.Series:
    values = values.astype("object")
    if how == "hex":
        return pd.to_numeric(values.map(_hex, na_action="ignore"), errors="coerce")
    values = values.map(lambda v: _clean(v, how == "strip_quotes"), na_action="ignore")
    if how == "upper":
        values = values.map(lambda v: v.upper() if isinstance(v, str) else v, na_action="ignore")
    elif how == "lower":
        values = values.map(lambda v: v.lower() if isinstance(v, str) else v, na_action="ignore")
    if signal in INT_SIGNALS or how == "int":
        return pd.to_numeric(values, errors="coerce")
    return values


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(None, index=df.index, dtype="object")


class _Texts:
    """Text columns as object arrays, factorised once: patterns run per distinct value, not per row."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.arrays: dict[str, np.ndarray] = {}
        self.codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def array(self, col: str) -> np.ndarray:
        if col not in self.arrays:
            self.arrays[col] = _column(self.df, col).astype("object").to_numpy()
        return self.arrays[col]

    def factorized(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        if col not in self.codes:
            codes, uniques = pd.factorize(_column(self.df, col), use_na_sentinel=True)
            values = np.asarray(uniques, dtype=object)
            values = np.array([v if isinstance(v, str) or not pd.isna(v) else None for v in values], dtype=object)
            self.codes[col] = (np.asarray(codes), values)
        return self.codes[col]


@functools.lru_cache(maxsize=512)
def required_literal(pattern: str) -> str:
    """The longest run of plain characters every match must contain ('' when there is none).

    Checking ``literal in text`` first is far cheaper than a regex search, and most texts fail it.
    """
    compiled = re.compile(pattern)
    if compiled.flags & re.IGNORECASE:
        return ""
    best, run = "", ""
    for op, av in sre_parse.parse(pattern):
        if op is sre_c.LITERAL:
            run += chr(av)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


def _search_all(pattern: re.Pattern[str], rule: dict[str, Any], sig: str, uniques: np.ndarray) -> np.ndarray:
    """The (converted) value of ``rule`` for each distinct text."""
    out = np.empty(len(uniques), dtype=object)
    constant = rule["value"]
    literal = required_literal(pattern.pattern)
    for i, text in enumerate(uniques):
        if not isinstance(text, str) or (literal and literal not in text):
            out[i] = None
        elif constant is not None:
            out[i] = constant if pattern.search(text) else None
        elif sig == "cipher_specs":
            # every CipherSpec named counts (e.g. local= and remote= in one line)
            names = [m.group("value") for m in pattern.finditer(text)]
            out[i] = " ".join(names) if names else None
        else:
            m = pattern.search(text)
            out[i] = m.group("value") if m else None
    converted = _convert(pd.Series(out, dtype="object"), rule["convert"], sig)
    return converted.astype("object").where(converted.notna(), None).to_numpy(dtype=object)


def _convert_all(uniques: np.ndarray, how: str, sig: str) -> np.ndarray:
    """Converted value per distinct column value, plus a trailing None for missing."""
    converted = _convert(pd.Series(uniques, dtype="object"), how, sig)
    arr = converted.astype("object").where(converted.notna(), None).to_numpy(dtype=object)
    return np.concatenate([arr, np.array([None], dtype=object)])


def extract_signals(df: pd.DataFrame, rules: RuleSet | None = None) -> pd.DataFrame:
    """Return a copy of ``df`` with the signal columns (and helper columns) filled."""
    rs = rules or load_rules()
    out = df.copy()
    out["_mid"] = msg_key(out)
    n = len(out)
    values: dict[str, np.ndarray] = {}
    for sig in (*SIGNAL_COLUMNS, *HELPERS):
        if sig != "cipher_specs":
            values[sig] = np.full(n, None, dtype=object)
    filled = {sig: np.zeros(n, dtype=bool) for sig in values}
    cipher_hits: list[pd.Series] = []
    texts = _Texts(out)
    mid_codes, mid_uniques = pd.factorize(out["_mid"].astype("object"), use_na_sentinel=True)

    for rule in rs.of_kind("signal"):
        sig = rule["signal"]
        if rule["msg_ids"]:
            wanted = {canonical_id(m) or "" for m in rule["msg_ids"]}
            hit_codes = np.flatnonzero(np.isin(np.asarray(mid_uniques, dtype=object), np.array(sorted(wanted), dtype=object)))
            rows = np.isin(mid_codes, hit_codes)
        else:
            rows = np.ones(n, dtype=bool)
        if sig in filled:
            rows &= ~filled[sig]
        if not rows.any():
            continue
        found = np.full(n, None, dtype=object)
        have = np.zeros(n, dtype=bool)
        if rule["column"]:
            codes, uniques = texts.factorized(rule["column"])
            sub_codes = codes[rows]
            per_unique = _convert_all(uniques, rule["convert"], sig)
            found[rows] = np.where(sub_codes >= 0, per_unique[np.maximum(sub_codes, 0)], None)
            have[rows] = sub_codes >= 0
            have &= np.not_equal(found, None)  # type: ignore[call-overload]  # element-wise "is not None"
        elif rule["pattern"]:
            pattern = re.compile(rule["pattern"])
            for src in rule["sources"]:
                todo = rows & ~have
                if not todo.any():
                    break
                codes, uniques = texts.factorized(src)
                sub_codes = codes[todo]
                present = sub_codes[sub_codes >= 0]
                needed = np.flatnonzero(np.bincount(present, minlength=len(uniques))) if present.size else present
                if needed.size == 0:
                    continue
                per_unique = np.full(len(uniques) + 1, None, dtype=object)   # last slot: missing text
                per_unique[needed] = _search_all(pattern, rule, sig, uniques[needed])
                got = per_unique[sub_codes]
                found[todo] = got
                have[todo] = np.not_equal(got, None)  # type: ignore[call-overload]  # element-wise "is not None"
        else:
            found[rows] = rule["value"]
            have = rows
        if not have.any():
            continue
        if sig == "cipher_specs":
            cipher_hits.append(pd.Series(found[have], index=out.index[have], dtype="object"))
            continue
        values[sig][have] = found[have]
        filled[sig] |= have

    series: dict[str, pd.Series] = {}
    for sig, arr in values.items():
        if sig in INT_SIGNALS:
            numbers = pd.to_numeric(pd.Series(arr, dtype="object"), errors="coerce").to_numpy(dtype="float64")
            series[sig] = pd.Series(numbers, index=out.index)
        else:
            series[sig] = pd.Series(arr, index=out.index, dtype="object")
    _derive(out, series, cipher_hits, rs)
    for sig, column in series.items():
        out[sig] = column.round().astype("Int64") if sig in INT_SIGNALS else column
    assert len(out) == n
    return out


def _split_ciphers(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [p for p in re.split(r"[\s,;]+", value.strip()) if p]


def _derive(out: pd.DataFrame, values: dict[str, pd.Series], cipher_hits: list[pd.Series], rs: RuleSet) -> None:
    """Fill names from code tables, the CipherSpec list and the TLS protocol it implies."""
    gskit = {int(k): v["name"] for k, v in rs.tables.get("gskit_code", {}).items()}
    mqrc = {int(k): v["name"] for k, v in rs.tables.get("mqrc_code", {}).items()}
    mqrc_by_name = {v: k for k, v in mqrc.items()}
    rc = values["gskit_rc"]
    values["gskit_name"] = values["gskit_name"].where(values["gskit_name"].notna(), rc.map(gskit, na_action="ignore"))
    # An MQRC given only by name gets its number, a number gets its name.
    code = values["mqrc"]
    by_name = values["mqrc_name"].map(mqrc_by_name, na_action="ignore")
    values["mqrc"] = code.where(code.notna(), pd.to_numeric(by_name, errors="coerce"))
    values["mqrc_name"] = values["mqrc_name"].where(values["mqrc_name"].notna(),
                                                    values["mqrc"].map(mqrc, na_action="ignore"))
    # CipherSpecs: every name found, canonical MQ spelling, first seen first.
    index = rs.cipher_index()
    specs = pd.Series(None, index=out.index, dtype="object")
    if cipher_hits:
        combined = pd.concat(cipher_hits)
        per_row: dict[Any, list[str]] = {}
        for row, val in combined.items():
            names = per_row.setdefault(row, [])
            for part in _split_ciphers(val):
                entry = index.get(part.upper())
                name = entry["name"] if entry else part
                if name not in names:
                    names.append(name)
        if per_row:
            specs.loc[list(per_row)] = pd.Series(per_row, dtype="object")
    out["cipher_specs"] = specs
    protocol = specs.map(lambda names: _protocol(names, index), na_action="ignore")
    tls = values["tls_protocol"]
    values["tls_protocol"] = tls.where(tls.notna(), protocol)
    # Channel: keep the parser's; fill it from the text when the parser had none.
    hint = values["channel_hint"]
    values["channel_hint"] = hint.where(~hint.isin(NO_CHANNEL), None)


def _protocol(names: Any, index: dict[str, dict[str, Any]]) -> str | None:
    for name in names or ():
        entry = index.get(name.upper())
        if entry and entry["protocol"] != "alias":
            return str(entry["protocol"])
    return None


__all__ = ["extract_signals", "msg_key", "TEXT_SOURCES"]
