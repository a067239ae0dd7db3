"""Measure classify throughput on a large input: ``python -m pipeline.classify.bench OUT --rows N``.

OUT must hold an ingested ``events`` dataset (e.g. the Nastel peer fixture).  Its rows are
replicated to N rows (new ids, each copy shifted by a day and given its own process ids so
sequence rules see realistic groups), then classified in memory with the rules only.  Prints
rows, seconds and rows per second for the rule engine, and for writing the Parquet output.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import layout
from pipeline.classify.engine import classify_frames
from pipeline.classify.io import read_dataset, write_classified
from pipeline.rules import load_rules


def replicate(events: pd.DataFrame, rows: int) -> pd.DataFrame:
    copies = -(-rows // len(events))
    big = pd.concat([events] * copies, ignore_index=True).iloc[:rows].copy()
    copy_no = np.repeat(np.arange(copies), len(events))[:rows]
    big["event_id"] = big["event_id"].astype("object") + "-" + pd.Series(copy_no, dtype="int64").astype(str).to_numpy()
    big["timestamp"] = pd.to_datetime(big["timestamp"], utc=True) + pd.to_timedelta(copy_no, unit="D")
    big["pid"] = pd.to_numeric(big["pid"]).astype("Int64") + pd.array(copy_no * 100_000, dtype="Int64")
    return big


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="an output folder with an ingested events dataset")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true", help="also time writing OUT/classified (to a temp folder)")
    args = parser.parse_args(argv)
    events = read_dataset(layout.dataset_dir(args.out, layout.EVENTS))
    if events.empty:
        print(f"{args.out}: no events dataset", file=sys.stderr)
        return 1
    rs = load_rules()
    big = replicate(events, args.rows)
    empty_status = pd.DataFrame()
    started, cpu = time.perf_counter(), time.process_time()
    frame = classify_frames(big, empty_status, rs, model=None).frame
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    unknown = int((frame["cause"] == "unknown").sum())
    print(f"classify (rules, in memory): {len(frame)} rows in {seconds:.1f} s wall ({cpu:.1f} s CPU) = "
          f"{len(frame) / seconds:,.0f} rows/s wall, {len(frame) / cpu:,.0f} rows/CPU-s; unknown {unknown}")
    if args.write:
        with tempfile.TemporaryDirectory() as tmp:
            started, cpu = time.perf_counter(), time.process_time()
            write_classified(Path(tmp), frame)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"write Parquet: {len(frame)} rows in {seconds:.1f} s wall ({cpu:.1f} s CPU) = "
                  f"{len(frame) / seconds:,.0f} rows/s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
