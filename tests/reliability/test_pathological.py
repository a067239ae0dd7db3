"""Linear time on inputs built to make ambiguous regexes explode, and a static check of rule regexes.

``python -m pipeline.reliability pathological`` runs every parser and export reader on 14
pathological payloads (10^5 open/nested parentheses, ``'a' * 10**6 + '!'``, 10^6 spaces, ...)
and searches every rule regex with them; it runs in a child process with a timeout, because
Python's ``re`` cannot be interrupted while it matches.  Outcomes are asserted, times are not.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.ingest.exports import read_export
from pipeline.ingest.records import FileContext, Parsed, Reject
from pipeline.ingest.runner import IngestOptions, ingest
from pipeline.reliability import pathological

from .helpers import REPO, table

HANG_GUARD = 240   # seconds for the whole child run; a linear run needs a small fraction


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    try:
        done = subprocess.run([sys.executable, "-m", "pipeline.reliability", "pathological", "--progress",
                               "--skip-modules"], cwd=REPO, capture_output=True, timeout=HANG_GUARD, check=False)
    except subprocess.TimeoutExpired as exc:
        last = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        pytest.fail(f"pathological inputs did not finish in {HANG_GUARD}s; last case started: {last}")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return json.loads(done.stdout)


def test_every_parser_returns_rows_or_rejects_on_pathological_input(outcomes: dict[str, Any]) -> None:
    cases = outcomes["parsers"]
    parsers = {c["parser"] for c in cases}
    assert {"text.split+parse", "flat", "json", "export.csv", "export.jsonl", "export.chstatus",
            "export.amqsevt_text", "export.amqsevt_json"} <= parsers
    assert len(cases) >= 14 * len(parsers)
    assert [c for c in cases if c["outcome"] != "ok"] == []


def test_rule_regexes_have_no_nested_quantifiers_and_finish(outcomes: dict[str, Any]) -> None:
    rules = outcomes["rules"]
    assert len(rules) >= 20                       # the bundled rules carry a few dozen patterns
    assert [r for r in rules if r["nested"]] == []
    assert all(r["inputs"] >= len(pathological.payloads(10, 10)) for r in rules)


@pytest.mark.parametrize(("pattern", "flagged"), [
    (r"(a+)+$", True), (r"(?:\s*x)*", True), (r"(a|ab)*c", False), (r"(?:\.\d{1,3}){3}", False),
    (r"SSLPEER\((?P<value>[^)]{1,1024})\)", False), (r"(?:[ \t]*[AaPp]\.?[Mm]\.?)?", False), (r"(x{2,})+", True),
])
def test_static_check_flags_nested_quantifiers(pattern: str, flagged: bool) -> None:
    assert (pathological.nested_quantifier(pattern) is not None) is flagged


def test_a_user_rule_with_a_catastrophic_regex_is_refused(tmp_path: Path) -> None:
    """The rules loader must refuse ``(a+)+`` before it ever sees log text."""
    from pipeline.errors import RuleError
    from pipeline.rules import load_rules

    (tmp_path / "evil.yaml").write_text(
        "kind: signal\n"
        "rules:\n"
        "  - id: sig.evil\n"
        "    signal: peer_dn\n"
        "    sources: [message]\n"
        "    pattern: \"(?P<value>(a+)+)X\"\n"
        "    priority: 5\n"
        "    description: catastrophic backtracking\n"
        "    examples:\n"
        "      match:\n"
        "        - {text: \"aaX\", expect: {peer_dn: aa}}\n"
        "      no_match:\n"
        "        - {text: \"bbb\"}\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path])
    message = str(caught.value)
    assert "evil.yaml" in message and "sig.evil" in message and "not linear-time" in message


DEEP = "[" * 100_000 + "]" * 100_000
ROW = '{"qmgr":"QMA","channel":"%s","last_error_time":"2026-11-20T08:00:00Z","last_error":"AMQ9999E: x"}\n'


def test_jsonl_reader_rejects_a_deeply_nested_line() -> None:
    data = (ROW % "C1" + DEEP + "\n" + ROW % "C2").encode()
    items = list(read_export("jsonl", io.BytesIO(data), FileContext(source_path="x.jsonl")))
    assert [type(i) for i in items] == [Parsed, Reject, Parsed]


def test_amqsevt_json_reader_rejects_deep_nesting() -> None:
    data = ('{"eventType":' + DEEP + "}").encode()
    items = list(read_export("amqsevt_json", io.BytesIO(data), FileContext(source_path="x.json")))
    assert items and all(isinstance(i, Reject) for i in items)


def test_runner_keeps_the_good_rows_of_a_file_with_one_nested_line(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "last_error.jsonl").write_text(ROW % "C1" + DEEP + "\n" + ROW % "C2", encoding="utf-8")
    result = ingest([str(logs)], tmp_path / "out", IngestOptions(jobs=1))
    assert result.totals["files_failed"] == 0
    assert result.totals["written"] == 2 and result.totals["rejected"] == 1
    assert len(table(tmp_path / "out", "channel_status")) == 2
