"""The training set: deterministic, labelled with the vocabulary, rule examples both ways."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from pipeline.errors import ModelError
from pipeline.model import catalog
from pipeline.model.generate import (
    COLUMNS,
    build_training_set,
    read_training_set,
    rule_example_row,
    rule_examples,
    training_bytes,
    write_training_set,
)
from pipeline.model.vocab import UNKNOWN, load_vocabulary

REPO = Path(__file__).resolve().parents[2]


def test_same_seed_same_bytes() -> None:
    first, _ = build_training_set()
    second, _ = build_training_set()
    assert training_bytes(first) == training_bytes(second)
    other, _ = build_training_set(seed=1)
    assert training_bytes(other) != training_bytes(first)


def test_labels_come_from_the_vocabulary() -> None:
    vocab = load_vocabulary()
    frame, _ = build_training_set(vocab=vocab)
    assert list(frame.columns) == list(COLUMNS)
    assert UNKNOWN not in set(frame["cause"])
    assert all(vocab.cause_phase[c] == p for c, p in zip(frame["cause"], frame["phase"], strict=True))
    assert {"amq", "csqx", "java", "translated", "status", "event"} <= set(frame["family"])
    assert frame["group"].notna().all()
    assert len(training_bytes(frame)) < 5_000_000


def test_committed_training_set_is_current() -> None:
    committed = REPO / "data" / "training" / "training.csv"
    frame, _ = build_training_set()
    assert committed.read_bytes() == training_bytes(frame), "data/training is stale: run `make train`"


def test_round_trip_through_csv(tmp_path: Path) -> None:
    path, sha, frame, _ = write_training_set(tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    back = read_training_set(path)
    assert len(back) == len(frame)
    assert back["message"].fillna("").tolist() == frame["message"].fillna("").tolist()
    assert (tmp_path / "PROVENANCE.md").read_text(encoding="utf-8").count(sha) == 1


class _FakeRules:
    def examples(self):
        yield ("AMQ9633E: Bad SSL certificate for channel 'A.B'.", "AMQ9633E", "handshake", "cert_untrusted")
        yield ("AMQ9999E: Channel 'A.B' to host 'x' ended abnormally.", None, "other", "channel_ended_abnormally")
        yield ("AMQ9202E: Remote host 'x' not available, retry later.", "AMQ9202", "info", "address_failover")
        yield ("whatever", None, "other", "unknown")


def test_rule_examples_are_included_when_the_rules_exist() -> None:
    vocab = load_vocabulary()
    rows, skipped, note = rule_examples(vocab, loader=_FakeRules)
    assert [r["msg_id"] for r in rows] == ["AMQ9633", "AMQ9999"]
    assert rows[0]["severity"] == "E" and rows[0]["group"] == "AMQ9633"
    assert skipped == 2 and "included: 2" in note
    frame, source = build_training_set(vocab=vocab, rules_loader=_FakeRules)
    assert source.rule_examples == 2
    assert (frame["origin"] == "rule_example").sum() == 2


def test_rule_examples_are_skipped_without_pipeline_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pipeline.rules", None)  # makes the import fail
    rows, skipped, note = rule_examples(load_vocabulary())
    assert rows == [] and skipped == 0 and "not importable" in note


def test_rule_example_row_reads_header_signals() -> None:
    text = ("11/20/26 10:00:01 - Process(1.1) User(mqm) Program(amqrmppa)\n"
            "                    ArithInsert1(401) ArithInsert2(575010)\n\n"
            "AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.\n\nEXPLANATION:\nx\n")
    row = rule_example_row(text, None, "handshake", "cert_expired")
    assert row["msg_id"] == "AMQ9633" and row["gskit_rc"] == 401 and row["cert_validation_code"] == 575010
    assert row["message"] == "AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'."


def test_catalog_rejects_unknown_causes_and_keys(tmp_path: Path) -> None:
    vocab = load_vocabulary()
    bad = tmp_path / "t.yaml"
    bad.write_text("templates:\n  - {id: AMQ1, family: amq, text: x, cause: no_such_cause, conf: V}\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"t\.yaml: template #1 \(AMQ1\): cause 'no_such_cause'"):
        catalog.load_templates(vocab, bad)
    bad.write_text("templates:\n  - {id: AMQ1, family: amq, text: x, cause: cert_expired, conf: V, colour: red}\n", encoding="utf-8")
    with pytest.raises(ModelError, match="unknown keys"):
        catalog.load_templates(vocab, bad)
    bad.write_text("cases:\n  - {text: x, family: java, cause: cert_expired, conf: W}\n", encoding="utf-8")
    with pytest.raises(ModelError, match="needs a group"):
        catalog.load_cases(vocab, bad)


def test_bundled_catalog_is_valid() -> None:
    vocab = load_vocabulary()
    assert len(catalog.load_templates(vocab)) > 100
    assert len(catalog.load_cases(vocab)) > 50
