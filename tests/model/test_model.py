"""Training is reproducible; the artifact is verified on load; the interface answers every row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.preprocessing import StandardScaler

from pipeline.errors import ModelError
from pipeline.model.artifact import ARTIFACT, CARD, sha256
from pipeline.model.fallback import NullFallback, load_fallback
from pipeline.model.features import feature_frame
from pipeline.model.run import TrainResult, train_and_save
from pipeline.model.train import (
    TrainConfig,
    answer,
    choose_threshold,
    fit,
    model_causes,
    predict_answers,
    transform_features,
)
from pipeline.model.vocab import load_vocabulary

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    base = tmp_path_factory.mktemp("quick")
    return train_and_save(base / "data", base / "models", TrainConfig.quick())


def test_retraining_reproduces_data_hash_metrics_and_artifact(quick: TrainResult, tmp_path: Path) -> None:
    again = train_and_save(tmp_path / "data", tmp_path / "models", TrainConfig.quick())
    assert again.card["training_data"]["sha256"] == quick.card["training_data"]["sha256"]
    assert again.card["metrics"] == quick.card["metrics"]
    assert again.card["threshold"] == quick.card["threshold"]
    # skops records object ids, so the bytes differ; the fitted models must not
    sample = pd.read_csv(quick.training_file, dtype=str).sample(300, random_state=0)
    first = load_fallback(quick.artifact.parent).predict(sample)
    second = load_fallback(again.artifact.parent).predict(sample)
    pd.testing.assert_frame_equal(first, second)


def test_card_names_data_versions_labels_and_metrics(quick: TrainResult) -> None:
    card = json.loads(quick.card_path.read_text(encoding="utf-8"))
    assert card["artifact_sha256"] == sha256(quick.artifact.read_bytes())
    assert set(card["libraries"]) >= {"scikit-learn", "skops", "numpy", "python"}
    assert "unknown" not in card["labels"]["causes"]
    held = card["metrics"]["held_out_message_ids"]
    assert 0.0 < held["phase_macro_f1"] <= 1.0 and 0.0 < held["cause_macro_f1"] <= 1.0
    assert 0.0 <= card["threshold"] <= 1.0
    assert quick.artifact.stat().st_size < 5_000_000


def test_predict_answers_every_row_consistently(quick: TrainResult) -> None:
    model = load_fallback(quick.artifact.parent)
    assert model.available
    df = pd.DataFrame(
        {
            "message": ["javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
                        "reason 2035", None, "Channel 'A.B' is starting.", "reason 2035"],
            "msg_id": [None, None, None, "AMQ9002", None],
            "cipher_specs": [None, None, ["X"], None, None],
        },
        index=[10, 11, 12, 13, 14],
    )
    out = model.predict(df)
    assert list(out.columns) == ["model_phase", "model_cause", "model_confidence"]
    assert list(out.index) == [10, 11, 12, 13, 14]
    vocab = load_vocabulary()
    assert all(vocab.cause_phase[c] == p for c, p in zip(out["model_cause"], out["model_phase"], strict=True))
    assert out["model_confidence"].between(0, 1).all()
    assert out.loc[11].tolist() == out.loc[14].tolist()  # same input, same answer
    assert model.predict(df.iloc[:0]).empty


def test_missing_artifact_gives_a_null_model(tmp_path: Path) -> None:
    model = load_fallback(tmp_path)
    assert isinstance(model, NullFallback) and not model.available
    assert "no model artifact" in model.reason
    out = model.predict(pd.DataFrame({"message": ["x", "y"]}, index=[5, 6]))
    assert list(out.index) == [5, 6] and out["model_phase"].isna().all() and out["model_confidence"].isna().all()


def test_tampered_artifact_is_refused(quick: TrainResult, tmp_path: Path) -> None:
    shutil.copytree(quick.artifact.parent, tmp_path / "m")
    data = bytearray((tmp_path / "m" / ARTIFACT).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "m" / ARTIFACT).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum .* does not match"):
        load_fallback(tmp_path / "m")


def test_untrusted_type_is_refused_even_with_a_matching_checksum(quick: TrainResult, tmp_path: Path) -> None:
    shutil.copytree(quick.artifact.parent, tmp_path / "m")
    payload = sio.dumps(StandardScaler().fit(np.ones((2, 2))))
    (tmp_path / "m" / ARTIFACT).write_bytes(payload)
    card = json.loads((tmp_path / "m" / CARD).read_text(encoding="utf-8"))
    card["artifact_sha256"] = sha256(payload)
    (tmp_path / "m" / CARD).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="trusted list"):
        load_fallback(tmp_path / "m")


def test_broken_card_is_a_clear_error(quick: TrainResult, tmp_path: Path) -> None:
    shutil.copytree(quick.artifact.parent, tmp_path / "m")
    (tmp_path / "m" / CARD).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"fallback\.card\.json: the model card is not valid JSON"):
        load_fallback(tmp_path / "m")


def test_committed_model_loads_and_matches_the_committed_training_set() -> None:
    model = load_fallback(REPO / "models")
    assert model.available, model.reason
    committed = (REPO / "data" / "training" / "training.csv").read_bytes()
    assert model.card["training_data"]["sha256"] == sha256(committed), "models/ is stale: run `make train`"
    out = model.predict(pd.DataFrame({"message": [
        "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
        "JMSWMQ2013: The security authentication was not valid ... reason '2035' ('MQRC_NOT_AUTHORIZED').",
    ]}))
    assert out["model_phase"].tolist() == ["handshake", "post_tls"]


def test_choose_threshold_meets_the_target() -> None:
    correct = np.array([1, 1, 1, 0, 1, 0, 0], dtype=bool)
    conf = np.array([0.99, 0.95, 0.9, 0.85, 0.8, 0.5, 0.4])
    assert choose_threshold(correct, conf, 0.75) == 0.8
    assert choose_threshold(correct, conf, 1.0) == 0.9
    assert choose_threshold(np.zeros(3, dtype=bool), conf[:3], 0.95) == 1.0


def test_answer_picks_the_cause_within_the_best_phase() -> None:
    vocab = load_vocabulary()
    phases = np.array(["handshake", "network"])
    causes = np.array(["cert_expired", "cert_untrusted", "connection_refused"])
    phase_probs = np.array([[0.7, 0.3], [0.2, 0.8]])
    # the cause with the highest margin overall is in the other phase; the answer stays in its phase
    margins = np.array([[0.1, 0.4, 0.9], [0.9, 0.5, -0.2]])
    phase, cause, conf = answer(phase_probs, phases, margins, causes, vocab)
    assert phase.tolist() == ["handshake", "network"]
    assert cause.tolist() == ["cert_untrusted", "connection_refused"]
    assert conf.tolist() == pytest.approx([0.7, 0.8])


def test_cause_classifier_per_phase_knows_only_its_phase(quick: TrainResult) -> None:
    model = load_fallback(quick.artifact.parent)
    vocab = model.vocab
    per_phase = model.estimator["cause"]
    assert isinstance(per_phase, dict) and set(per_phase) <= set(vocab.phases)
    for phase, part in per_phase.items():
        known = [part] if isinstance(part, str) else [str(c) for c in part.classes_]
        assert {vocab.cause_phase[c] for c in known} == {phase}
    assert model_causes(model.estimator) == sorted(model.card["labels"]["causes"])


def test_shared_cause_layout_still_answers_within_the_phase(quick: TrainResult) -> None:
    frame = pd.read_csv(quick.training_file, dtype=str).sample(1500, random_state=2)
    vocab = load_vocabulary()
    model = fit(frame, TrainConfig(**{**TrainConfig.quick().__dict__, "cause_model": "shared"}))
    assert not isinstance(model["cause"], dict)
    phase, cause, conf = predict_answers(model, feature_frame(frame.head(200)), vocab)
    assert all(vocab.cause_phase[c] == p for c, p in zip(cause, phase, strict=True))
    assert ((conf > 0) & (conf <= 1)).all()


def test_fast_character_ngrams_equal_the_vectoriser(quick: TrainResult) -> None:
    model = load_fallback(quick.artifact.parent)
    frame = pd.read_csv(quick.training_file, dtype=str).sample(400, random_state=1)
    frame = pd.concat([frame, pd.DataFrame({"message": ["", "   ", "ÄÖÜ straße 'X'", None]})], ignore_index=True)
    features = feature_frame(frame)
    fast = transform_features(model.estimator, features)
    slow = model.estimator["features"].transform(features)
    assert fast.shape == slow.shape
    assert abs(fast - slow).max() < 1e-6


def test_normalised_duplicates_get_one_answer(quick: TrainResult) -> None:
    model = load_fallback(quick.artifact.parent)
    df = pd.DataFrame({"message": [
        "AMQ9202E: Remote host 'mqa.example.com (10.1.2.3)(1414)' not available, retry later.",
        "AMQ9202E: Remote host 'mqb.example.com (10.9.8.7)(1415)' not available, retry later.",
    ], "msg_id": ["AMQ9202", "AMQ9202"]})
    out = model.predict(df)
    assert out.iloc[0].tolist() == out.iloc[1].tolist()
