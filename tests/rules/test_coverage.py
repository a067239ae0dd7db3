"""The message catalogue covers every id of the reference message table, flagging recalled ones."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.rules import canonical_id, load_rules


def _message_rules() -> dict[str, list[dict]]:
    exact: dict[str, list[dict]] = {}
    for rule in load_rules().of_kind("message"):
        for mid in rule["msg_ids"]:
            exact.setdefault(canonical_id(mid) or "", []).append(rule)
    return exact


def test_every_reference_message_has_a_rule_and_unverified_rows_are_flagged(shared_dir: Path) -> None:
    exact = _message_rules()
    with (shared_dir / "mq-messages.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 90
    missing, unflagged = [], []
    for row in rows:
        mid = canonical_id(row["msg_id"])
        rules = exact.get(mid or "")
        if not rules:
            missing.append(mid)
            continue
        best = max(rules, key=lambda r: r["priority"])
        if "UNVERIFIED" in row["source_url"] and best["verified"]:
            unflagged.append(f"{mid} ({best['id']})")
    assert not missing, f"no message rule for {missing}"
    assert not unflagged, f"UNVERIFIED in the reference but verified here: {unflagged}"


def test_mqrc_table_has_the_reason_codes_the_issue_names() -> None:
    table = load_rules().tables["mqrc_code"]
    for code in (2035, 2059, 2393, 2397, 2398, 2400, 2538, 2540, 2009, 2381, 2401, 2537, 2539, 2543, 2552, 2577):
        assert code in table, code
    assert table[2035]["name"] == "MQRC_NOT_AUTHORIZED" and table[2554]["cause"] == "other_failure"


def test_cipherspec_table_flags_protocols() -> None:
    rs = load_rules()
    index = rs.cipher_index()
    assert index["TLS_RSA_WITH_AES_128_CBC_SHA"]["protocol"] == "TLSv1.0"
    assert index["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]["name"] == "ECDHE_RSA_AES_256_GCM_SHA384"
    assert index["NULL_MD5"]["weak"] and index["NULL_MD5"]["deprecated"]
    assert index["ANY_TLS12_OR_HIGHER"]["protocol"] == "alias"
