"""The model stage's two entry points: ``train_and_save`` (``make train``) and ``evaluate_set``.

Both read the training set back from ``data/training/training.csv``, so what is evaluated and
trained is exactly the committed file, identified by its sha256 in the card.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.model.artifact import dump_model, write_artifact
from pipeline.model.generate import DEFAULT_DATA_DIR, TRAINING_FILE, read_training_set, write_training_set
from pipeline.model.train import TrainConfig, config_dict, evaluate, fit, library_versions, model_causes
from pipeline.model.vocab import Vocabulary, load_vocabulary


@dataclass(frozen=True)
class TrainResult:
    card: dict[str, Any]
    artifact: Path
    card_path: Path
    training_file: Path


def _quiet_fit() -> warnings.catch_warnings:
    # Grouped calibration folds can lack a class whose every id is held out; sklearn warns per
    # fold.  That is the point of grouping (calibrate on unseen ids); the count is in the card.
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.filterwarnings("ignore", message="Number of classes in training fold", category=RuntimeWarning)
    return ctx


def load_set(data_dir: str | Path) -> tuple[pd.DataFrame, str]:
    path = Path(data_dir) / TRAINING_FILE
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the training set ({exc.strerror}); run `mqtriage model generate`") from exc
    return read_training_set(path), digest


def evaluate_set(data_dir: str | Path = DEFAULT_DATA_DIR, config: TrainConfig | None = None) -> dict[str, Any]:
    """A fresh grouped cross-validation on the committed training set: metrics and threshold."""
    config = config or TrainConfig()
    frame, digest = load_set(data_dir)
    vocab = load_vocabulary()
    ctx = _quiet_fit()
    try:
        ev = evaluate(frame, vocab, config)
    finally:
        ctx.__exit__(None, None, None)
    return {"training_data_sha256": digest, "rows": len(frame), "threshold": ev.threshold, "metrics": ev.metrics}


def _card(frame: pd.DataFrame, digest: str, vocab: Vocabulary, config: TrainConfig, ev_threshold: float,
          metrics: dict[str, Any], estimator: Any) -> dict[str, Any]:
    causes = model_causes(estimator)
    return {
        "name": "mqtriage fallback classifier",
        "format_version": 3,
        "task": "phase and cause of an MQ log entry or last error that no rule decided",
        "training_data": {
            "file": f"data/training/{TRAINING_FILE}",
            "sha256": digest,
            "rows": len(frame),
            "groups": int(frame["group"].nunique()),
            "by_family": {k: int(v) for k, v in sorted(frame["family"].value_counts().items())},
        },
        "libraries": library_versions(),
        "labels": {"phases": list(vocab.phases), "causes": causes},
        "config": config_dict(config),
        "threshold": ev_threshold,
        "confidence": "calibrated probability of the answered phase",
        "metrics": metrics,
    }


def train_and_save(
    data_dir: str | Path = DEFAULT_DATA_DIR, models_dir: str | Path | None = None, config: TrainConfig | None = None,
    regenerate: bool = True, rules_loader: Callable[[], Any] | None = None,
) -> TrainResult:
    """Regenerate the training set, cross-validate, fit on everything, write artifact and card."""
    from pipeline.model.fallback import default_models_dir

    config = config or TrainConfig()
    models_dir = Path(models_dir) if models_dir is not None else default_models_dir()
    if regenerate:
        write_training_set(data_dir, seed=config.seed, rules_loader=rules_loader)
    frame, digest = load_set(data_dir)
    vocab = load_vocabulary()
    ctx = _quiet_fit()
    try:
        ev = evaluate(frame, vocab, config)
        estimator = fit(frame, config)
    finally:
        ctx.__exit__(None, None, None)
    payload = dump_model(estimator)
    card = _card(frame, digest, vocab, config, ev.threshold, ev.metrics, estimator)
    artifact, card_path = write_artifact(models_dir, payload, card)
    return TrainResult(card=card, artifact=artifact, card_path=card_path, training_file=Path(data_dir) / TRAINING_FILE)


def summary_lines(metrics: dict[str, Any], threshold: float) -> list[str]:
    """Human-readable metric lines (the CLI prints them)."""
    held = metrics["held_out_message_ids"]
    at = held["at_threshold"]
    lines = [
        f"held-out message ids ({held['folds']} grouped folds, {held['groups']} groups, {held['rows']} rows):",
        f"  phase macro-F1 {held['phase_macro_f1']:.4f}   cause macro-F1 {held['cause_macro_f1']:.4f}   "
        f"phase accuracy {held['phase_accuracy']:.4f}   cause accuracy {held['cause_accuracy']:.4f}",
        f"  at threshold {threshold:.4f}: coverage {at['coverage']:.4f}, phase accuracy {at['phase_accuracy']}, "
        f"cause accuracy {at['cause_accuracy']}",
        "  phase confusion (rows true, columns predicted): " + " ".join(held["phase_confusion"]["labels"]),
    ]
    for label, row in zip(held["phase_confusion"]["labels"], held["phase_confusion"]["rows_true_cols_predicted"], strict=True):
        lines.append(f"    {label:<10} " + " ".join(f"{v:>5}" for v in row))
    ids = held.get("id_rows_only") or {}
    if ids:
        lines.append(
            f"  rows with a real message id only ({ids['rows']}): phase macro-F1 {ids['phase_macro_f1']:.4f}, "
            f"cause macro-F1 {ids['cause_macro_f1']:.4f}, at threshold coverage {ids['at_threshold']['coverage']:.4f} "
            f"phase accuracy {ids['at_threshold']['phase_accuracy']}"
        )
    lines.append("  weakest causes (F1): " + ", ".join(f"{k} {v:.2f}" for k, v in held["weakest_causes_f1"].items()))
    for family, fam in metrics.get("held_out_families", {}).items():
        fat = fam["at_threshold"]
        lines.append(
            f"held-out family {family:<10} rows {fam['rows']:>5}  phase F1 {fam['phase_macro_f1']:.4f}  "
            f"cause F1 {fam['cause_macro_f1']:.4f}  coverage {fat['coverage']:.4f}  phase acc. at threshold {fat['phase_accuracy']}"
        )
    return lines


__all__ = ["TrainResult", "evaluate_set", "load_set", "summary_lines", "train_and_save", "np"]
