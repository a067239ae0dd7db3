"""docs/rules.md cannot drift from the rule files; `mqtriage rules check|docs` exit codes."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from pipeline.classify import engine
from pipeline.cli import main
from pipeline.rules import docs, load_rules

REPO = Path(__file__).resolve().parents[2]


def test_rules_md_is_current() -> None:
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == docs.render(load_rules()), "docs/rules.md is stale: run `make docs`"


def test_docs_state_the_engine_confidence_cap() -> None:
    assert docs.UNVERIFIED_CAP == engine.UNVERIFIED_CAP


def test_every_cause_and_message_rule_is_documented() -> None:
    text = docs.render(load_rules())
    rs = load_rules()
    for cause in rs.causes:
        assert f"#### `{cause}`" in text
    for rule in rs.of_kind("message"):
        assert f"`{rule['id']}`" in text


def test_rules_check_ok_on_bundled_rules() -> None:
    res = CliRunner().invoke(main, ["rules", "check", "--no-examples"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok:")


def test_rules_check_lists_problems_and_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x.yaml").write_text(yaml.safe_dump({"kind": "message", "rules": [
        {"id": "site.bad", "msg_ids": ["AMQ9308"], "cause": "gremlins", "description": "d",
         "examples": {"match": [{"text": "AMQ9308E: x"}], "no_match": [{"text": "AMQ9307E: y"}]}}]}), encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert res.exit_code == 3
    assert "x.yaml: rule site.bad: field cause: unknown cause 'gremlins'" in res.output


def test_rules_check_runs_user_examples(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x.yaml").write_text(yaml.safe_dump({"kind": "message", "rules": [
        {"id": "site.wrong-example", "msg_ids": ["AMQ9308"], "cause": "other_failure", "description": "d",
         "examples": {"match": [{"text": "AMQ9307E: not my id"}], "no_match": [{"text": "AMQ9306E: y"}]}}]}), encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert res.exit_code == 3
    assert "rule site.wrong-example: example match[0]" in res.output


def test_rules_docs_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "rules.md"
    res = CliRunner().invoke(main, ["rules", "docs", "--out", str(target)])
    assert res.exit_code == 0, res.output
    assert target.read_text(encoding="utf-8") == docs.render(load_rules())
