"""Docs cannot drift: every check is documented, the schema section matches the Arrow schemas, and the
generator reproduces a configuration with the same predictions as the committed one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.preflight import analyse
from pipeline.preflight.checks import CHECKS
from pipeline.preflight.make_samples import main as make_samples
from pipeline.preflight.schema import CALENDAR, CERTIFICATES, PREFLIGHT

REPO = Path(__file__).resolve().parents[2]


def test_every_check_is_documented() -> None:
    text = (REPO / "docs" / "preflight.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| ([a-z_]+) \|", text, flags=re.M)
    assert [c for c, _ in documented] == list(CHECKS)
    assert all(CHECKS[c].cause == cause for c, cause in documented)


@pytest.mark.parametrize("heading,schema", [("findings.parquet", PREFLIGHT), ("certificates.parquet", CERTIFICATES),
                                            ("calendar.parquet", CALENDAR)])
def test_schema_doc_lists_every_column_in_order(heading: str, schema) -> None:  # type: ignore[no-untyped-def]
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    section = re.search(rf"^### {re.escape(heading)}.*?\n(.*?)(?=^##|\Z)", text, flags=re.M | re.S)
    assert section, f"docs/schema.md has no subsection {heading}"
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", section.group(1), flags=re.M)
    assert documented == schema.names


def test_generator_reproduces_the_scenario(tmp_path: Path) -> None:
    assert make_samples(["--out", str(tmp_path / "config"), "--as-of", "2026-11-20"]) == 0
    fresh = analyse([tmp_path / "config"], dt.date(2026, 11, 20))
    committed = analyse([REPO / "data" / "samples" / "config"], dt.date(2026, 11, 20))

    def key(result):  # type: ignore[no-untyped-def]
        return sorted((f.channel, f.qmgr, f.check_id, f.severity) for f in result.findings)

    assert key(fresh) == key(committed)
    # a later as-of moves every validity date with it: still the same findings
    later = tmp_path / "later"
    assert make_samples(["--out", str(later), "--as-of", "2027-03-01"]) == 0
    assert key(analyse([later], dt.date(2027, 3, 1))) == key(committed)
