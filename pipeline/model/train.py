"""Fit, evaluate and describe the fallback model.

The model is a dict of three fitted parts sharing one feature matrix (TF-IDF over words and
character n-grams of the normalised message, plus binary signal tokens): ``phase``, a linear SVM
over phases whose scores are calibrated to probabilities on *held-out message ids*
(``CalibratedClassifierCV`` with grouped splits), so a confidence reflects how the model does on
ids it has not seen - the only ids it will meet, since the rules decide the known ones; and
``cause``, per phase a linear SVM over that phase's causes, asked only for rows given that phase
(``cause_model="shared"``: one SVM over all causes whose margins rank the causes within the
chosen phase, the layout of format 2, still readable).
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy
import scipy.sparse
import sklearn
import skops
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from pipeline.errors import ModelError
from pipeline.model.features import CHAR_HEAD, feature_frame
from pipeline.model.generate import SEED
from pipeline.model.vocab import Vocabulary

FEATURE_VERSION = 3  # bump when features.py changes what the model sees
HOLDOUT_FAMILIES = ("csqx", "java", "translated", "status", "event")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = SEED
    classifier: str = "linear_svc"        # linear_svc | logreg | cnb
    c: float = 0.5                        # regularisation of the cause classifier
    phase_c: float = 0.2                  # and of the phase classifier
    outer_folds: int = 5                  # grouped CV folds for the reported metrics
    calibration_folds: int = 3            # grouped folds inside CalibratedClassifierCV
    word_max_features: int = 6000
    char_max_features: int = 5000
    char_ngrams: tuple[int, int] = (2, 5)
    char_head: bool = True                # char n-grams over the first CHAR_HEAD characters only
    vectorizer: str = "tfidf"             # tfidf | hashing (no vocabulary; idf still learnt)
    use_chars: bool = True
    class_weight: str = "balanced"        # balanced | none
    target_precision: float = 0.95        # of the answers given at the threshold, this share is right
    threshold_margin: float = 0.01        # chosen for target + margin on CV, so the target holds with room
    family_holdouts: bool = True
    signal_weight: float = 0.5            # scale of the binary signal-token block against the TF-IDF blocks
    cause_model: str = "per_phase"        # per_phase (a cause classifier per phase) | shared (one over all causes)
    hint_weight: float = 0.0              # > 0: the code-table hint tokens again, as a block of their own at this scale
    weighting: str = "group"              # none | sqrt | count (repeats of a distinct row) | group (1/sqrt(forms of its id)) | group_full (1/forms)

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


def build_features(config: TrainConfig) -> ColumnTransformer:
    """Word and character n-grams of the normalised text, plus binary signal tokens."""
    char_column = "head" if config.char_head else "text"
    if config.vectorizer == "tfidf":
        words: Any = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=config.word_max_features,
                                     sublinear_tf=True, dtype=np.float32)
        chars: Any = TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, min_df=2,
                                     max_features=config.char_max_features, sublinear_tf=True, dtype=np.float32)
    elif config.vectorizer == "hashing":
        words = Pipeline([("hash", HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=False,
                                                     norm=None, dtype=np.float32)),
                          ("idf", TfidfTransformer(sublinear_tf=True))])
        chars = Pipeline([("hash", HashingVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams,
                                                     n_features=2**18, alternate_sign=False, norm=None,
                                                     dtype=np.float32)),
                          ("idf", TfidfTransformer(sublinear_tf=True))])
    else:
        raise ModelError(f"unknown vectorizer {config.vectorizer!r} (tfidf or hashing)")
    parts: list[tuple[str, Any, str]] = [("words", words, "text")]
    if config.use_chars:
        parts.append(("chars", chars, char_column))
    parts.append(("signals", CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True,
                                             dtype=np.float32), "signals"))
    if config.hint_weight > 0:
        parts.append(("hints", CountVectorizer(token_pattern=r"\b(?:hint|gsk_cls|errno_cls|mqrc_cls)_\w+",
                                               lowercase=False, binary=True, dtype=np.float32), "signals"))
    weights: dict[str, float] | None = {"signals": config.signal_weight, "hints": config.hint_weight}
    weights = {k: v for k, v in (weights or {}).items() if v != 1.0 and (k != "hints" or config.hint_weight > 0)} or None
    return ColumnTransformer(parts, transformer_weights=weights)


def build_base(config: TrainConfig, c: float) -> Any:
    """One linear classifier (used for the phase, under calibration, and for the cause)."""
    weight = "balanced" if config.class_weight == "balanced" else None
    if config.classifier == "linear_svc":
        return LinearSVC(C=c, class_weight=weight, random_state=config.seed, max_iter=5000)
    if config.classifier == "logreg":
        return LogisticRegression(C=c * 20, class_weight=weight, max_iter=3000)
    if config.classifier == "cnb":
        return ComplementNB(alpha=c)
    raise ModelError(f"unknown classifier {config.classifier!r} (linear_svc, logreg or cnb)")


def model_causes(model: dict[str, Any]) -> list[str]:
    """The causes a fitted model can answer."""
    cause = model["cause"]
    if isinstance(cause, dict):  # per phase: a classifier, or the one cause of a single-cause phase
        return sorted({str(c) for part in cause.values() for c in ([part] if isinstance(part, str) else part.classes_)})
    return sorted(map(str, cause.classes_))


def finish(model: dict[str, Any]) -> dict[str, Any]:
    """Drop what only fitting needed: the split indices and the vectorisers' pruned-term sets."""
    model["phase"].cv = None
    for _, transformer, _ in model["features"].transformers_:
        if hasattr(transformer, "stop_words_"):
            transformer.stop_words_ = None
        if hasattr(transformer, "vocabulary_"):
            # plain ints: skops stores them inline instead of one numpy object per term (faster load)
            transformer.vocabulary_ = {term: int(index) for term, index in transformer.vocabulary_.items()}
    return model


def answer(
    phase_probs: np.ndarray, phases: np.ndarray, scores: np.ndarray, causes: np.ndarray, vocab: Vocabulary,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phase, cause, confidence) per row: the phase with the highest calibrated probability,
    and within it the cause with the highest score (the cause classifier's margin)."""
    best = phase_probs.argmax(axis=1)
    chosen = np.asarray(phases, dtype=object)[best]
    cause_phase = np.array([vocab.cause_phase[str(c)] for c in causes], dtype=object)
    in_phase = cause_phase[None, :] == chosen[:, None]
    ranked = np.where(in_phase, scores, -np.inf)
    # a phase none of whose causes was trained cannot occur (phases come from the cause labels)
    cause = np.asarray(causes, dtype=object)[ranked.argmax(axis=1)]
    return chosen, cause, phase_probs.max(axis=1)


def distinct_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels, groups and weights of the distinct (group, features, cause) rows.

    Generated variants often normalise to the same features; fitting each distinct row once
    gives the same model for a fraction of the time (``weights`` counts the repeats)."""
    features = feature_frame(frame)
    keyed = features.assign(cause=frame["cause"].to_numpy(), group=frame["group"].to_numpy())
    counted = keyed.groupby(["group", "text", "signals", "cause"], sort=True, dropna=False).size().reset_index(name="weight")
    counted["head"] = counted["text"].str.slice(0, CHAR_HEAD)
    return (counted[["text", "head", "signals"]], counted["cause"].to_numpy(), counted["group"].to_numpy(),
            counted["weight"].to_numpy(dtype=float))


def _row_weights(config: TrainConfig, groups: np.ndarray, repeats: np.ndarray) -> np.ndarray | None:
    if config.weighting == "none":
        return None
    if config.weighting == "sqrt":
        w = np.sqrt(repeats)
    elif config.weighting == "count":
        w = repeats
    elif config.weighting in ("group", "group_full"):
        # a message id with many distinct forms weighs less per form: 1/sqrt of its form count
        # ("group"), or 1/count so every id weighs the same in total ("group_full")
        sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy(dtype=float)
        w = 1.0 / (np.sqrt(sizes) if config.weighting == "group" else sizes)
    else:
        raise ModelError(f"unknown weighting {config.weighting!r} (none, sqrt, count, group or group_full)")
    return w * (len(w) / w.sum())


def fit(frame: pd.DataFrame, config: TrainConfig) -> dict[str, Any]:
    """Fit the features, the calibrated phase classifier and the cause classifier.

    Hierarchical: the phase is learnt directly (not summed from cause probabilities: measured
    0.89 vs 0.86 phase macro-F1), its probability calibrated on grouped folds (whole message ids
    held out) so a confidence describes unseen ids; the cause classifier only ranks causes
    within the chosen phase, by margin, and needs no calibration."""
    features, y_cause, groups, repeats = distinct_rows(frame)
    vocab_phase = dict(zip(frame["cause"], frame["phase"], strict=True))
    y_phase = np.array([vocab_phase[c] for c in y_cause], dtype=object)
    columns = build_features(config)
    matrix = columns.fit_transform(features)
    weights = _row_weights(config, groups, repeats)
    extra = {} if weights is None else {"sample_weight": weights}
    phase = CalibratedClassifierCV(
        build_base(config, config.phase_c), method="sigmoid", cv=_grouped_splits(groups, config.calibration_folds), ensemble=False
    )
    phase.fit(matrix, y_phase, **extra)
    cause: Any
    if config.cause_model == "shared":
        cause = build_base(config, config.c)
        cause.fit(matrix, y_cause, **extra)
    elif config.cause_model == "per_phase":
        cause = {}
        for name in sorted(set(y_phase)):
            rows = y_phase == name
            labels = np.unique(y_cause[rows])
            if len(labels) == 1:
                cause[str(name)] = str(labels[0])
                continue
            part = build_base(config, config.c)
            part.fit(matrix[rows], y_cause[rows], **({} if weights is None else {"sample_weight": weights[rows]}))
            cause[str(name)] = part
    else:
        raise ModelError(f"unknown cause_model {config.cause_model!r} (per_phase or shared)")
    return finish({"features": columns, "phase": phase, "cause": cause})


def _char_wb_counts(vectorizer: Any, docs: list[str]) -> scipy.sparse.csr_matrix:
    """Raw char_wb n-gram counts of ``docs``, computed once per distinct word of the batch.

    ``char_wb`` n-grams never cross a word boundary, so a document's counts are the sum of its
    words' counts: (documents x words) @ (words x n-grams).  Log text reuses a small set of words,
    so this replaces a Python loop over every n-gram of every row with one over the distinct
    words plus sparse products; the result is identical to ``vectorizer.transform``."""
    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, doc in enumerate(docs):
        for word in doc.lower().split():
            rows.append(i)
            cols.append(index.setdefault(word, len(index)))
    words = scipy.sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(docs), max(len(index), 1))
    )
    if not index:
        return scipy.sparse.csr_matrix((len(docs), len(vectorizer.vocabulary_)), dtype=np.float32)
    per_word = CountVectorizer.transform(vectorizer, list(index)).astype(np.float32)
    return (words @ per_word).tocsr()


def transform_features(model: dict[str, Any], features: pd.DataFrame) -> scipy.sparse.csr_matrix:
    """The fitted ColumnTransformer's output, with the character n-grams computed per distinct word."""
    blocks = []
    for name, transformer, column in model["features"].transformers_:
        if name == "remainder":
            continue
        if isinstance(transformer, TfidfVectorizer) and transformer.analyzer == "char_wb" and transformer.lowercase:
            counts = _char_wb_counts(transformer, features[column].tolist())
            block = transformer._tfidf.transform(counts, copy=False)
        else:
            block = transformer.transform(features[column])
        weight = (model["features"].transformer_weights or {}).get(name)
        if weight is not None:
            block = block * weight
        blocks.append(scipy.sparse.csr_matrix(block, dtype=np.float32))
    return scipy.sparse.hstack(blocks, format="csr")


def predict_answers(model: dict[str, Any], features: pd.DataFrame, vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    """Answers for a feature frame: calibrated phase, cause ranked by margin within that phase."""
    if len(features) == 0:
        empty = np.empty(0, dtype=object)
        return empty, empty, np.empty(0)
    matrix = transform_features(model, features)
    phase, cause = model["phase"], model["cause"]
    probs = phase.predict_proba(matrix)
    if isinstance(cause, dict):
        return _answer_per_phase(probs, phase.classes_, cause, matrix)
    scores = cause.decision_function(matrix) if hasattr(cause, "decision_function") else cause.predict_log_proba(matrix)
    if scores.ndim == 1:  # two causes: one margin column for the second class
        scores = np.column_stack([-scores, scores])
    return answer(probs, phase.classes_, scores, cause.classes_, vocab)


def _answer_per_phase(
    probs: np.ndarray, phases: np.ndarray, causes: dict[str, Any], matrix: scipy.sparse.csr_matrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The most probable phase, then the cause that phase's own classifier picks."""
    chosen = np.asarray(phases, dtype=object)[probs.argmax(axis=1)]
    cause = np.empty(len(chosen), dtype=object)
    for name in np.unique(chosen):
        rows = chosen == name
        part = causes.get(str(name))
        if part is None:  # cannot happen: the phases are those of the trained causes
            raise ModelError(f"the model has no cause classifier for phase {name!r}; retrain")
        cause[rows] = part if isinstance(part, str) else part.predict(matrix[rows])
    return chosen, cause, probs.max(axis=1)


def _predict(model: dict[str, Any], frame: pd.DataFrame, vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    return predict_answers(model, feature_frame(frame), vocab)


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
