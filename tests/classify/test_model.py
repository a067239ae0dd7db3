"""The fallback model is asked only about rows no rule decided, and only trusted above its threshold."""

from __future__ import annotations

import pandas as pd

from pipeline.classify.engine import classify_frames
from pipeline.classify.model import NullFallback
from pipeline.rules import load_rules

from .helpers import event, events_frame, status_frame


class FakeModel:
    available = True
    reason = ""
    threshold = 0.7

    def __init__(self) -> None:
        self.asked: list[str] = []

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        self.asked.extend(df["msg_id"].tolist())
        conf = [0.9 if "certain" in m else 0.4 for m in df["message"]]
        return pd.DataFrame({"model_phase": "handshake", "model_cause": "handshake_other", "model_confidence": conf},
                            index=df.index)


def test_model_decides_only_unknown_rows_at_or_above_threshold() -> None:
    model = FakeModel()
    events = events_frame(event("AMQ9631E: The CipherSpec negotiated ... for channel 'X'."),
                          event("AMQ9308E: (composed, certain)"), event("AMQ9307E: (composed, doubtful)"))
    out = classify_frames(events, status_frame(), load_rules(), model=model).frame
    assert model.asked == ["AMQ9308", "AMQ9307"]
    assert out["method"].tolist() == ["rule", "model", "none"]
    assert out["cause"].tolist() == ["cipher_mismatch", "handshake_other", "unknown"]
    assert out.loc[1, "confidence"] == 0.9 and pd.isna(out.loc[1, "rule_id"])
    assert out.loc[2, "model_cause"] == "handshake_other" and out.loc[2, "model_confidence"] == 0.4
    assert pd.isna(out.loc[0, "model_cause"])


def test_unavailable_model_leaves_a_note() -> None:
    res = classify_frames(events_frame(event("AMQ9308E: x")), status_frame(), load_rules(), model=NullFallback("no artifact"))
    assert res.notes == ["fallback model not used: no artifact"]
    assert res.frame["method"].tolist() == ["none"]
