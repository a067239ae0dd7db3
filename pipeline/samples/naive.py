"""The baseline a user would write first: read each log line by line, one regex per line, one
dict per entry, every entry kept in a list.  ``python -m pipeline.samples.naive FILE...`` prints
``entries lines``.  Used only by the benchmark (``pipeline.bench``) to put mqtriage's numbers in
context; it is deliberately not robust (no rotation, dedup, encodings beyond a lossy decode).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

HEADER = re.compile(r"^(\S+ \S+(?: [AP]M)?) - Process\((\d+)\.(\d+)\) User\(([^)]*)\) Program\(([^)]*)\)")
PAIR = re.compile(r"(\w+)\(([^)]*)\)")
MESSAGE = re.compile(r"^(AMQ\d{4})([A-Z]?): (.*)")
TRAILER = re.compile(r"^-----")


def parse_text(path: str, entries: list[dict[str, Any]]) -> int:
    lines = 0
    current: dict[str, Any] | None = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        while True:
            line = handle.readline()
            if not line:
                break
            lines += 1
            m = HEADER.match(line)
            if m:
                current = {
                    "time": m.group(1),
                    "pid": int(m.group(2)),
                    "tid": int(m.group(3)),
                    "user": m.group(4),
                    "program": m.group(5),
                    "text": [],
                }
                continue
            if current is None:
                continue
            if TRAILER.match(line):
                entries.append(current)
                current = None
                continue
            m = MESSAGE.match(line)
            if m:
                current["msg_id"], current["severity"], current["summary"] = m.groups()
            elif line.startswith(" "):
                for key, value in PAIR.findall(line):
                    current[key] = value
            else:
                current["text"].append(line.rstrip("\n"))
    return lines


def parse_json(path: str, entries: list[dict[str, Any]]) -> int:
    lines = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            lines += 1
            entries.append(json.loads(line))
    return lines


def main(paths: list[str]) -> int:
    entries: list[dict[str, Any]] = []
    lines = 0
    for path in paths:
        lines += parse_json(path, entries) if path.endswith(".json") else parse_text(path, entries)
    sys.stdout.write(f"{len(entries)} {lines}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
