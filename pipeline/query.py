"""SQL over the Parquet outputs with DuckDB.

Each dataset present under OUT becomes a view named after it (``events``, ``rejects``,
``channel_status``, ``classified``, ``episodes``); hive partitions add their ``date`` column.
The preflight folder may hold several tables: the one with predicted failures (it has
``cause`` and ``evidence`` columns) is the view ``preflight``, and every table is also
``preflight_<name>``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import regex

from pipeline import layout
from pipeline.errors import InputError
from pipeline.report.escape import term

_CSV_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

TABLE_VIEWS = (layout.EVENTS, layout.REJECTS, layout.CHANNEL_STATUS, layout.CLASSIFIED, layout.EPISODES)


@dataclass(frozen=True)
class View:
    name: str
    files: tuple[Path, ...]
    hive: bool


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def discover_views(out: str | Path) -> list[View]:
    """The views a query can use: one per dataset present (and per preflight table)."""
    root = Path(out)
    if not root.is_dir():
        raise InputError(f"{root}: output folder not found")
    views: list[View] = []
    for name in TABLE_VIEWS:
        folder = layout.dataset_dir(root, name)
        files = tuple(sorted(p for p in folder.rglob("*.parquet") if p.is_file())) if folder.is_dir() else ()
        if files:
            views.append(View(name, files, any("=" in part for f in files for part in f.relative_to(folder).parts)))
    folder = layout.dataset_dir(root, layout.PREFLIGHT)
    if folder.is_dir():
        tables: dict[str, list[Path]] = {}
        for path in sorted(folder.rglob("*.parquet")):
            rel = path.relative_to(folder)
            name = rel.parts[0] if len(rel.parts) > 1 and "=" not in rel.parts[0] else path.stem
            tables.setdefault(name, []).append(path)
        findings_named = False
        for name, table_files in tables.items():
            files = tuple(table_files)
            hive = any("=" in part for f in files for part in f.relative_to(folder).parts)
            safe = "".join(c if c.isalnum() else "_" for c in name.lower())
            views.append(View(f"preflight_{safe}", files, hive))
            columns = set(pq.read_schema(files[0]).names)
            if not findings_named and {"cause", "evidence"} <= columns:
                views.append(View("preflight", files, hive))
                findings_named = True
    return views


def connect(out: str | Path) -> tuple[duckdb.DuckDBPyConnection, list[View]]:
    views = discover_views(out)
    con = duckdb.connect(":memory:")
    for view in views:
        files = "[" + ", ".join(_quote(str(f)) for f in view.files) + "]"
        con.execute(
            f'CREATE VIEW "{view.name}" AS SELECT * FROM read_parquet({files}, '
            f"hive_partitioning={'true' if view.hive else 'false'}, union_by_name=true)"
        )
    return con, views


def run_query(out: str | Path, sql: str) -> pd.DataFrame:
    """Run one SQL statement over OUT's views; returns the result as a DataFrame."""
    con, views = connect(out)
    try:
        return con.execute(sql).fetchdf()
    except duckdb.Error as exc:
        names = ", ".join(v.name for v in views) or "none"
        raise InputError(f"query failed: {exc} (views under {out}: {names})") from exc
    finally:
        con.close()


def describe_views(out: str | Path) -> pd.DataFrame:
    """One row per view: name, rows, columns."""
    con, views = connect(out)
    try:
        rows = []
        for view in views:
            count = con.execute(f'SELECT count(*) FROM "{view.name}"').fetchone()
            columns = [r[0] for r in con.execute(f'DESCRIBE "{view.name}"').fetchall()]
            rows.append({"view": view.name, "rows": int(count[0]) if count else 0, "columns": ", ".join(columns)})
        return pd.DataFrame(rows, columns=["view", "rows", "columns"])
    finally:
        con.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, ensure_ascii=False)
    if value is pd.NaT:
        return ""
    return str(value)


def _csv_cell(value: Any) -> str:
    # escape sequences would act on a terminal (and click strips them from non-terminals, silently)
    return _CSV_CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", _cell(value))


def to_csv(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV: quotes, separators and newlines inside values are quoted, never split a row.

    Control characters other than tab and line breaks are written as ``\\xNN``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def to_text_table(frame: pd.DataFrame, limit: int = 200, max_width: int = 60) -> str:
    """An aligned plain table for a terminal; control characters in values are shown escaped."""
    shown = frame.head(limit)
    headers = [term(c) for c in frame.columns]
    cells = [[term(_cell(v)) for v in row] for row in shown.itertuples(index=False, name=None)]
    cells = [[c if len(c) <= max_width else c[: max_width - 3] + "..." for c in row] for row in cells]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    footer = f"({len(frame)} row{'s' if len(frame) != 1 else ''}"
    footer += f", first {limit} shown)" if len(frame) > limit else ")"
    return "\n".join(lines + [footer]) + "\n"
