"""Fit, evaluate and describe the fallback model.

The estimator is a cause classifier (TF-IDF over words and character n-grams of the normalised
message, plus binary signal tokens, into a linear SVM) whose scores are calibrated to
probabilities on *held-out message ids* (``CalibratedClassifierCV`` with grouped splits), so a
confidence reflects how the model does on ids it has not seen - the only ids it will meet, since
the rules decide the known ones.  The phase is the sum of its causes' probabilities; the answer
is the most probable phase and, within it, the most probable cause.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy
import sklearn
import skops
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from pipeline.errors import ModelError
from pipeline.model.features import feature_frame
from pipeline.model.generate import SEED
from pipeline.model.vocab import Vocabulary

FEATURE_VERSION = 1  # bump when features.py changes what the model sees
USE_MARGINS = True
HOLDOUT_FAMILIES = ("csqx", "java", "translated", "status", "event")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = SEED
    classifier: str = "linear_svc"        # linear_svc | logreg
    c: float = 0.5
    outer_folds: int = 5                  # grouped CV folds for the reported metrics
    calibration_folds: int = 3            # grouped folds inside CalibratedClassifierCV
    word_max_features: int = 6000
    char_max_features: int = 5000
    char_ngrams: tuple[int, int] = (3, 4)
    target_precision: float = 0.95        # of the answers given at the threshold, this share is right
    threshold_margin: float = 0.01        # chosen for target + margin on CV, so the target holds with room
    family_holdouts: bool = True
    weighting: str = "none"               # none | sqrt | count: weight of a distinct row by its repeats

    @classmethod
    def quick(cls) -> TrainConfig:
        """A reduced configuration for tests: fewer folds and features, no family hold-outs."""
        return cls(outer_folds=2, calibration_folds=2, word_max_features=2000, char_max_features=2000,
                   family_holdouts=False)


@dataclass
class Evaluation:
    metrics: dict[str, Any] = field(default_factory=dict)
    threshold: float = 1.0


def _grouped_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ModelError(f"grouped cross-validation needs at least 2 groups, the training set has {n_groups}")
    return list(GroupKFold(n_splits=min(n_splits, n_groups)).split(np.zeros(len(groups)), groups=groups))


def build_estimator(config: TrainConfig, groups: np.ndarray) -> Pipeline:
    """The pipeline for one fit; calibration folds are grouped by message id over ``groups``."""
    columns = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=config.word_max_features,
                                      sublinear_tf=True, dtype=np.float32), "text"),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, min_df=2,
                                      max_features=config.char_max_features, sublinear_tf=True,
                                      dtype=np.float32), "text"),
            ("signals", CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True,
                                        dtype=np.float32), "signals"),
        ]
    )
    if config.classifier == "linear_svc":
        base: Any = LinearSVC(C=config.c, class_weight="balanced", random_state=config.seed, max_iter=5000)
    elif config.classifier == "logreg":
        base = LogisticRegression(C=config.c * 20, class_weight="balanced", max_iter=3000)
    else:
        raise ModelError(f"unknown classifier {config.classifier!r} (linear_svc or logreg)")
    calibrated = CalibratedClassifierCV(
        base, method="sigmoid", cv=_grouped_splits(groups, config.calibration_folds), ensemble=False
    )
    return Pipeline([("features", columns), ("model", calibrated)])


def finish(estimator: Pipeline) -> Pipeline:
    """Drop what only fitting needed: the split indices and the vectorisers' pruned-term sets."""
    estimator.named_steps["model"].cv = None
    for _, transformer, _ in estimator.named_steps["features"].transformers_:
        if hasattr(transformer, "stop_words_"):
            transformer.stop_words_ = None
        if hasattr(transformer, "vocabulary_"):
            # plain ints: skops stores them inline instead of one numpy object per term (faster load)
            transformer.vocabulary_ = {term: int(index) for term, index in transformer.vocabulary_.items()}
    return estimator


def phase_matrix(classes: np.ndarray, vocab: Vocabulary) -> tuple[np.ndarray, list[str]]:
    phases = list(vocab.phases)
    matrix = np.zeros((len(classes), len(phases)))
    for i, cause in enumerate(classes):
        matrix[i, phases.index(vocab.cause_phase[str(cause)])] = 1.0
    return matrix, phases


def answer(
    probs: np.ndarray, classes: np.ndarray, vocab: Vocabulary, scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phase, cause, confidence) per row: the phase with the highest calibrated probability, and
    within it the cause with the highest ``scores`` (the raw margins; the probabilities if None)."""
    matrix, phases = phase_matrix(classes, vocab)
    phase_probs = probs @ matrix
    best_phase = phase_probs.argmax(axis=1)
    ranking = probs if scores is None else scores
    in_phase = np.where(matrix[:, best_phase].T > 0, ranking, -np.inf)
    cause = classes[in_phase.argmax(axis=1)]
    return np.asarray(phases, dtype=object)[best_phase], cause.astype(object), phase_probs.max(axis=1)


def distinct_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels, groups and weights of the distinct (group, features, cause) rows.

    Generated variants often normalise to the same features; fitting each distinct row once,
    weighted by how often it occurs, gives the same model for a fraction of the time."""
    features = feature_frame(frame)
    keyed = features.assign(cause=frame["cause"].to_numpy(), group=frame["group"].to_numpy())
    counted = keyed.groupby(["group", "text", "signals", "cause"], sort=True, dropna=False).size().reset_index(name="weight")
    return (counted[["text", "signals"]], counted["cause"].to_numpy(), counted["group"].to_numpy(),
            counted["weight"].to_numpy(dtype=float))


def fit(frame: pd.DataFrame, config: TrainConfig) -> Pipeline:
    features, y, groups, weights = distinct_rows(frame)
    estimator = build_estimator(config, groups)
    # Unweighted by default: how many variants the generator draws is arbitrary, and weighted
    # rows make liblinear's dual solver several times slower; each distinct form counts once.
    if config.weighting == "none":
        estimator.fit(features, y)
    else:
        estimator.fit(features, y, model__sample_weight=np.sqrt(weights) if config.weighting == "sqrt" else weights)
    return finish(estimator)


def predict_answers(estimator: Pipeline, features: pd.DataFrame, vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    """Answers for a feature frame: calibrated phase, cause ranked by the base model's margins.

    Per-class sigmoid calibration on grouped folds flattens classes whose ids were all held out
    in a fold; ranking causes by the uncalibrated margins keeps them, while the confidence stays
    the calibrated phase probability."""
    matrix = estimator.named_steps["features"].transform(features)
    calibrated = estimator.named_steps["model"]
    probs = calibrated.predict_proba(matrix)
    scores = None
    if USE_MARGINS and len(calibrated.calibrated_classifiers_) == 1:
        base = calibrated.calibrated_classifiers_[0].estimator
        scores = base.decision_function(matrix)
    return answer(probs, calibrated.classes_, vocab, scores)


def _predict(estimator: Pipeline, frame: pd.DataFrame, vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    return predict_answers(estimator, feature_frame(frame), vocab)


def choose_threshold(correct: np.ndarray, confidence: np.ndarray, target: float) -> float:
    """The lowest confidence at which the answers given are right at least ``target`` of the time."""
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = np.nonzero(precision >= target)[0]
    if len(ok) == 0:
        return 1.0
    # the deepest cut whose running precision still meets the target; ties resolved to that confidence
    return float(round(confidence[order][ok.max()], 4))


def _at_threshold(correct_phase: np.ndarray, correct_cause: np.ndarray, conf: np.ndarray, t: float) -> dict[str, Any]:
    given = conf >= t
    n = int(given.sum())
    return {
        "threshold": t,
        "coverage": round(n / len(conf), 4) if len(conf) else 0.0,
        "answered": n,
        "phase_accuracy": round(float(correct_phase[given].mean()), 4) if n else None,
        "cause_accuracy": round(float(correct_cause[given].mean()), 4) if n else None,
    }


def _scores(y_phase: np.ndarray, y_cause: np.ndarray, p_phase: np.ndarray, p_cause: np.ndarray) -> dict[str, Any]:
    return {
        "rows": len(y_phase),
        "phase_macro_f1": round(float(f1_score(y_phase, p_phase, average="macro", labels=np.unique(y_phase))), 4),
        "cause_macro_f1": round(float(f1_score(y_cause, p_cause, average="macro", labels=np.unique(y_cause))), 4),
        "phase_accuracy": round(float((y_phase == p_phase).mean()), 4),
        "cause_accuracy": round(float((y_cause == p_cause).mean()), 4),
    }


def evaluate(frame: pd.DataFrame, vocab: Vocabulary, config: TrainConfig) -> Evaluation:
    """Grouped CV (whole message ids held out), the threshold, and whole-family hold-outs."""
    groups = frame["group"].to_numpy()
    y_phase, y_cause = frame["phase"].to_numpy(), frame["cause"].to_numpy()
    p_phase = np.empty(len(frame), dtype=object)
    p_cause = np.empty(len(frame), dtype=object)
    conf = np.zeros(len(frame))
    for train_idx, test_idx in _grouped_splits(groups, config.outer_folds):
        model = fit(frame.iloc[train_idx], config)
        ph, ca, co = _predict(model, frame.iloc[test_idx], vocab)
        p_phase[test_idx], p_cause[test_idx], conf[test_idx] = ph, ca, co
    correct_phase, correct_cause = y_phase == p_phase, y_cause == p_cause
    threshold = choose_threshold(correct_phase, conf, min(0.999, config.target_precision + config.threshold_margin))
    phases = list(vocab.phases)
    cm = confusion_matrix(y_phase, p_phase, labels=phases)
    worst = _worst_causes(y_cause, p_cause)
    metrics: dict[str, Any] = {
        "held_out_message_ids": {
            "folds": len(_grouped_splits(groups, config.outer_folds)),
            "groups": int(len(np.unique(groups))),
            **_scores(y_phase, y_cause, p_phase, p_cause),
            "at_threshold": _at_threshold(correct_phase, correct_cause, conf, threshold),
            "phase_confusion": {"labels": phases, "rows_true_cols_predicted": cm.tolist()},
            # the same predictions, scored only on rows that carry a real message id (AMQ/CSQX
            # templates, their translations, rule examples), without the free-text paraphrases
            "id_rows_only": _id_rows_scores(frame, y_phase, y_cause, p_phase, p_cause, conf, threshold),
            "weakest_causes_f1": worst,
        }
    }
    if config.family_holdouts:
        fam: dict[str, Any] = {}
        for family in HOLDOUT_FAMILIES:
            test = (frame["family"] == family).to_numpy()
            if not test.any() or test.all():
                continue
            model = fit(frame[~test], config)
            ph, ca, co = _predict(model, frame[test], vocab)
            yp, yc = y_phase[test], y_cause[test]
            fam[family] = {**_scores(yp, yc, ph, ca), "at_threshold": _at_threshold(yp == ph, yc == ca, co, threshold)}
        metrics["held_out_families"] = fam
    return Evaluation(metrics=metrics, threshold=threshold)


def _id_rows_scores(frame: pd.DataFrame, y_phase: np.ndarray, y_cause: np.ndarray, p_phase: np.ndarray,
                    p_cause: np.ndarray, conf: np.ndarray, threshold: float) -> dict[str, Any]:
    mask = frame["family"].isin(["amq", "csqx", "translated", "rules"]).to_numpy()
    if not mask.any():
        return {}
    yp, yc, pp, pc = y_phase[mask], y_cause[mask], p_phase[mask], p_cause[mask]
    return {**_scores(yp, yc, pp, pc), "at_threshold": _at_threshold(yp == pp, yc == pc, conf[mask], threshold)}


def _worst_causes(y: np.ndarray, p: np.ndarray, n: int = 6) -> dict[str, float]:
    labels = np.unique(y)
    scores = f1_score(y, p, average=None, labels=labels)
    order = np.argsort(scores, kind="stable")[:n]
    return {str(labels[i]): round(float(scores[i]), 4) for i in order}


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
        "scipy": scipy.__version__, "skops": skops.__version__, "pandas": pd.__version__,
    }


def config_dict(config: TrainConfig) -> dict[str, Any]:
    out = asdict(config)
    out["char_ngrams"] = list(config.char_ngrams)
    out["feature_version"] = FEATURE_VERSION
    return out


def sha256_bytes(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
