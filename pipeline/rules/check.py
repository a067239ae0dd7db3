"""``rules check``: validate a rules folder (layered over the bundled one) and run its examples."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.rules.loader import collect


@dataclass
class CheckReport:
    problems: list[Any] = field(default_factory=list)
    rules: int = 0
    tables: int = 0
    examples: int = 0
    files: int = 0

    @property
    def summary(self) -> str:
        state = "ok" if not self.problems else f"{len(self.problems)} problem(s)"
        return (f"{state}: {self.rules} rules and {self.tables} table entries in {self.files} files; "
                f"{self.examples} examples run")


def check_rules(dirs: Iterable[str | Path] = (), run_examples: bool = True) -> CheckReport:
    rs, problems = collect(dirs)
    report = CheckReport(problems=list(problems), files=len(rs.files),
                         rules=sum(len(v) for v in rs.rules.values()),
                         tables=sum(len(v) for v in rs.tables.values()))
    if run_examples and not problems:
        from pipeline.rules.examples import run_examples as run

        report.problems.extend(run(rs))
        report.examples = sum(len(r["examples"]["match"]) + len(r["examples"]["no_match"]) for _, r in rs.all_rules())
    return report
