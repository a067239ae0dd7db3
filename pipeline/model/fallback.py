"""The interface the classify stage calls: ``load_fallback(models_dir)``.

A missing artifact gives a null model (``available=False``, a ``reason``, answers nothing); an
artifact that fails its checksum or holds untrusted types raises ``ModelError`` - silently
running without it would hide the tampering.  ``predict`` answers every row: the best phase,
the best cause within it and the phase's calibrated probability as ``model_confidence``; the
caller keeps the answer as the decision only at or above ``threshold``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.model.artifact import ARTIFACT, CARD, load_artifact, read_card
from pipeline.model.features import SIGNAL_COLUMNS, feature_frame
from pipeline.model.train import model_causes, predict_answers
from pipeline.model.vocab import Vocabulary, load_vocabulary
from pipeline.resources import models_dir as models_dir_of_project

OUTPUT_COLUMNS = ("model_phase", "model_cause", "model_confidence")


# ``MQTRIAGE_MODELS_DIR`` if set, else ``models/`` at the project root.
default_models_dir = models_dir_of_project


class NullFallback:
    """No model: answers nothing and says why, once."""

    available = False
    threshold = 1.0

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.card: dict[str, Any] = {}

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {"model_phase": pd.Series(None, index=df.index, dtype=object),
             "model_cause": pd.Series(None, index=df.index, dtype=object),
             "model_confidence": pd.Series(np.nan, index=df.index, dtype="float64")},
            index=df.index,
        )


class FallbackModel:
    available = True
    reason = ""

    def __init__(self, estimator: Any, card: dict[str, Any], vocab: Vocabulary) -> None:
        self.estimator = estimator
        self.card = card
        self.vocab = vocab
        self.threshold = float(card["threshold"])

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        if len(df) == 0:
            return NullFallback("").predict(df)
        # Log entries repeat (a retrying channel writes the same entries every interval): answer
        # each distinct input once - message plus signal columns, before any normalisation.
        codes, first = _distinct(df)
        features = feature_frame(df.iloc[first])
        # Then once per distinct *normalised* input: the same entry for other channels or hosts
        # normalises to the same features.
        norm_codes, norm_uniques = pd.factorize(features["text"] + "\x1f" + features["signals"], sort=False)
        norm_first = _first_positions(norm_codes, len(norm_uniques))
        phase, cause, conf = predict_answers(self.estimator, features.iloc[norm_first], self.vocab)
        phase, cause, conf = phase[norm_codes], cause[norm_codes], conf[norm_codes]
        return pd.DataFrame(
            {"model_phase": phase[codes], "model_cause": cause[codes], "model_confidence": conf[codes].astype("float64")},
            index=df.index,
        )


def _distinct(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, position of each code's first row) over the columns the model reads."""
    parts = [df["message"].astype(str) if "message" in df.columns else pd.Series("", index=df.index)]
    for name in SIGNAL_COLUMNS:
        if name in df.columns:
            column = df[name]
            if column.dtype == object:
                column = column.map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
            parts.append(column.astype(str))
    key = parts[0].str.cat(parts[1:], sep="\x1f", na_rep="") if len(parts) > 1 else parts[0].fillna("")
    codes, uniques = pd.factorize(key, sort=False)
    return codes, _first_positions(codes, len(uniques))


def _first_positions(codes: np.ndarray, n: int) -> np.ndarray:
    """Position of each code's first row."""
    first = np.full(n, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # the last write per code is its first row
    return first


def load_fallback(models_dir: str | Path | None = None) -> FallbackModel | NullFallback:
    models_dir = Path(models_dir) if models_dir is not None else default_models_dir()
    if not (models_dir / ARTIFACT).is_file() or not (models_dir / CARD).is_file():
        return NullFallback(f"no model artifact in {models_dir.name}/ (run `make train`)")
    card = read_card(models_dir)
    vocab = load_vocabulary()
    stale = sorted(set(card["labels"].get("causes", [])) - set(vocab.causes))
    if stale:
        raise ModelError(f"{models_dir / CARD}: the model knows causes no longer in rules/causes.yaml: {stale}; retrain")
    estimator = load_artifact(models_dir, card)
    if not isinstance(estimator, dict) or set(estimator) != {"features", "phase", "cause"}:
        raise ModelError(f"{models_dir / ARTIFACT}: not a fallback model of this format (features, phase, cause); retrain")
    if model_causes(estimator) != sorted(card["labels"]["causes"]):
        raise ModelError(f"{models_dir / ARTIFACT}: the model's labels differ from its card; retrain")
    return FallbackModel(estimator, card, vocab)
