"""Every rule's own examples: each must-match example is decided by that rule (with the expected
signals), each must-not-match example is not.  One test per rule id, all run in one engine pass."""

from __future__ import annotations

from collections import defaultdict

import pytest

from pipeline.rules import load_rules
from pipeline.rules.examples import run_examples

RULE_IDS = sorted(rule["id"] for _, rule in load_rules().all_rules())


@pytest.fixture(scope="module")
def failures() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for failure in run_examples(load_rules()):
        found[failure.rule_id].append(str(failure))
    return found


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples_hold(failures: dict[str, list[str]], rule_id: str) -> None:
    assert not failures.get(rule_id), "\n".join(failures[rule_id])


def test_every_rule_has_both_kinds_of_example() -> None:
    for _, rule in load_rules().all_rules():
        assert rule["examples"]["match"] and rule["examples"]["no_match"], rule["id"]
        assert rule["description"].strip(), rule["id"]
