"""Rule files are validated at load: every problem names the file, the rule id and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.errors import RuleError
from pipeline.rules import bundled_rules_dir, collect, load_rules
from pipeline.rules.kinds import KINDS, RULE_KINDS

GOOD_RULE = {
    "id": "site.amq9308", "msg_ids": ["AMQ9308"], "cause": "other_failure", "description": "A site-specific id.",
    "examples": {"match": [{"text": "AMQ9308E: (composed)"}], "no_match": [{"text": "AMQ9307E: (composed)"}]},
}
ORIGINAL_CAUSES = {
    "connection_refused", "host_unreachable", "dns_failure", "connection_reset", "listener_probe", "address_blocked",
    "cipher_mismatch", "cipher_one_sided", "cipher_invalid", "tls_policy_mismatch", "cert_expired", "cert_untrusted",
    "cert_revocation", "client_cert_missing", "cert_label_missing", "keystore_error", "remote_closed_handshake",
    "handshake_other", "sslpeer_mismatch", "sslpeermap_blocked", "chlauth_blocked", "channel_not_defined",
    "channel_type_mismatch", "remote_channel_unavailable", "sequence_mismatch", "user_auth_failed",
    "negotiation_failed", "channel_started", "channel_ended", "channel_stopped", "informational",
    "channel_ended_abnormally", "other_failure", "unknown",
}


def write_rules(folder: Path, kind: str, rules: list[dict], name: str = "site.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = "entries" if KINDS[kind].is_table else "rules"
    path = folder / name
    path.write_text(yaml.safe_dump({"kind": kind, key: rules}, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, kind: str, rule: dict) -> list[str]:
    write_rules(tmp_path / "r", kind, [rule])
    _, problems = collect([tmp_path / "r"])
    return [str(p) for p in problems]


def test_bundled_rules_load_and_keep_every_original_cause() -> None:
    rs = load_rules()
    assert ORIGINAL_CAUSES <= set(rs.causes)
    assert {k for k, _ in rs.all_rules()} == set(RULE_KINDS)
    assert len(rs.of_kind("message")) > 80
    assert all(not Path(f).is_absolute() or Path(f).parent == bundled_rules_dir() for f in rs.files)


@pytest.mark.parametrize("change,field,words", [
    ({"cause": "no_such_cause"}, "cause", "unknown cause 'no_such_cause'"),
    ({"colour": "red"}, "colour", "unknown key"),
    ({"confidence": 1.5}, "confidence", "must be in (0, 1]"),
    ({"msg_ids": "AMQ9308"}, "msg_ids", "must be a list of str"),
    ({"msg_id_pattern": "(AMQ"}, "msg_id_pattern", "bad regular expression"),
    ({"description": None}, "description", "is required"),
    ({"examples": {"match": [{"text": "x"}]}}, "examples.no_match", "needs at least one example"),
], ids=["unknown-cause", "unknown-key", "confidence", "list-type", "bad-regex", "required", "examples"])
def test_message_rule_problems_name_file_rule_and_field(tmp_path: Path, change: dict, field: str, words: str) -> None:
    rule = {**GOOD_RULE, **change}
    found = problems_for(tmp_path, "message", rule)
    assert len(found) == 1, found
    assert "site.yaml" in found[0] and "rule site.amq9308" in found[0] and f"field {field}" in found[0]
    assert words in found[0]


def test_unsafe_regex_is_rejected(tmp_path: Path) -> None:
    rule = {"id": "sig.bad", "signal": "peer_dn", "sources": ["message"], "pattern": "(?P<value>(?:a+)+b)",
            "description": "x", "examples": GOOD_RULE["examples"]}
    found = problems_for(tmp_path, "signal", rule)
    assert found and "not linear-time" in found[0] and "field pattern" in found[0]


def test_context_condition_on_unknown_field(tmp_path: Path) -> None:
    rule = {"id": "ctx.bad", "msg_ids": ["AMQ9633"], "when": [{"field": "gskit", "in": [401]}], "cause": "cert_expired",
            "description": "x", "examples": GOOD_RULE["examples"]}
    found = problems_for(tmp_path, "context", rule)
    assert found and "unknown field 'gskit'" in found[0]


def test_duplicate_id_in_one_folder_is_a_problem(tmp_path: Path) -> None:
    write_rules(tmp_path / "r", "message", [GOOD_RULE], "a.yaml")
    write_rules(tmp_path / "r", "message", [{**GOOD_RULE, "msg_ids": ["AMQ9307"]}], "b.yaml")
    _, problems = collect([tmp_path / "r"])
    assert any("duplicate id" in str(p) and "site.amq9308" in str(p) for p in problems)


def test_two_rules_claiming_one_id_at_one_priority_is_ambiguous(tmp_path: Path) -> None:
    write_rules(tmp_path / "r", "message", [{**GOOD_RULE, "id": "site.mine", "msg_ids": ["AMQ9631"]}])
    _, problems = collect([tmp_path / "r"])
    assert any("AMQ9631 is also claimed by rule msg.amq9631" in str(p) for p in problems)


def test_unknown_kind_and_broken_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.yaml").write_text("kind: magic\nrules: []\n", encoding="utf-8")
    (folder / "b.yaml").write_text("kind: message\nrules: [\n", encoding="utf-8")
    _, problems = collect([folder])
    text = "\n".join(map(str, problems))
    assert "a.yaml: field kind: unknown kind 'magic'" in text
    assert "b.yaml: not valid YAML" in text


def test_load_rules_raises_one_rule_error_listing_problems(tmp_path: Path) -> None:
    write_rules(tmp_path / "r", "message", [{**GOOD_RULE, "cause": "nope"}])
    with pytest.raises(RuleError, match=r"site.yaml: rule site.amq9308: field cause: unknown cause 'nope'"):
        load_rules([tmp_path / "r"])


def test_user_folder_overrides_same_id_and_adds_new_ones(tmp_path: Path) -> None:
    override = {**load_rules().rule("msg.amq9228")}
    override = {k: v for k, v in override.items() if not k.startswith("_")}
    override["examples"] = {w: [dict(e) for e in override["examples"][w]] for w in ("match", "no_match")}
    override["cause"] = "other_failure"
    write_rules(tmp_path / "r", "message", [override, GOOD_RULE])
    rs = load_rules([tmp_path / "r"])
    assert rs.rule("msg.amq9228")["cause"] == "other_failure"
    assert rs.rule("site.amq9308")["cause"] == "other_failure"
    assert any("msg.amq9228" in line for line in rs.overridden)
    assert load_rules().rule("msg.amq9228")["cause"] == "listener_probe"  # the bundled set is unchanged


def test_tables_layer_by_code(tmp_path: Path) -> None:
    write_rules(tmp_path / "r", "gskit_code", [{"code": 573, "name": "GSK_SITE_573", "meaning": "Seen here.", "cause": "cert_untrusted"}])
    rs = load_rules([tmp_path / "r"])
    assert rs.tables["gskit_code"][573]["name"] == "GSK_SITE_573"
    assert rs.tables["gskit_code"][401]["name"] == "GSK_ERROR_BAD_DATE"


def test_examples_export_for_the_model() -> None:
    rs = load_rules()
    rows = list(rs.examples())
    assert len(rows) > 120
    causes = set(rs.causes)
    for text, _msg_id, phase, cause in rows:
        assert text and cause in causes and rs.phase_of(cause) == phase
    assert ("AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.", "AMQ9633", "handshake", "cert_expired") in rows
    assert ("Channel SSL Error: SSL Cipher Spec Error", None, "handshake", "cipher_mismatch") in rows


def test_every_rule_kind_has_an_implementation() -> None:
    from pipeline.classify.engine import IMPLEMENTATIONS

    assert set(IMPLEMENTATIONS) | {"signal"} == set(RULE_KINDS)
