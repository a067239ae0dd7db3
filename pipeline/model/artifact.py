"""The model artifact: skops (no code runs on load), a JSON card, a sha256 checksum.

Loading checks the checksum in the card before the file is parsed, and skops is given an
explicit list of trusted types: anything else in the file is refused.  The zip members are
rewritten with a fixed timestamp and order so one model always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from pipeline.errors import ModelError

ARTIFACT = "fallback.skops"
CARD = "fallback.card.json"
MAX_BYTES = 5_000_000

# Every non-builtin type the fitted pipeline holds.  Loading refuses any other type; training
# refuses to write an artifact that would need one (a library upgrade shows up there, not here).
TRUSTED_TYPES = [
    "builtins.slice",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.svm._classes.LinearSVC",
]
# Plain containers the skops schema uses; not code, always allowed.
BUILTIN_TYPES = ["builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int",
                 "builtins.float", "builtins.bool", "builtins.NoneType", "builtins.bytes"]


def artifact_types(payload: bytes) -> set[str]:
    """Every ``module.class`` named in the artifact's schema.

    skops trusts many scikit-learn types by default; reading the schema ourselves makes the
    trusted list above the whole truth (a swapped-in estimator of another type is refused)."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _untrusted(payload: bytes) -> list[str]:
    return sorted(artifact_types(payload) - set(TRUSTED_TYPES) - set(BUILTIN_TYPES))


def _canonical_zip(payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


def dump_model(estimator: Any) -> bytes:
    """The artifact bytes; refuses a model holding a type outside TRUSTED_TYPES."""
    payload = _canonical_zip(sio.dumps(estimator))
    extra = _untrusted(payload)
    if extra:
        raise ModelError(f"the fitted model holds types outside the trusted list: {extra} (review, then extend TRUSTED_TYPES)")
    if len(payload) > MAX_BYTES:
        raise ModelError(f"the model artifact is {len(payload)} bytes, over the {MAX_BYTES}-byte budget")
    return payload


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def write_artifact(models_dir: str | Path, payload: bytes, card: dict[str, Any]) -> tuple[Path, Path]:
    """Write artifact and card; the card (updated in place) gains the artifact's name, size, sha256."""
    models_dir = Path(models_dir)
    card.update({ "artifact": ARTIFACT, "artifact_sha256": sha256(payload), "artifact_bytes": len(payload)})
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        (models_dir / ARTIFACT).write_bytes(payload)
        (models_dir / CARD).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{models_dir}: cannot write the model ({exc.strerror})") from exc
    return models_dir / ARTIFACT, models_dir / CARD


def read_card(models_dir: str | Path) -> dict[str, Any]:
    path = Path(models_dir) / CARD
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model card ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: the model card is not valid JSON (line {exc.lineno})") from exc
    for key in ("artifact_sha256", "threshold", "labels"):
        if key not in card:
            raise ModelError(f"{path}: the model card lacks {key!r}")
    return card


def load_artifact(models_dir: str | Path, card: dict[str, Any]) -> Any:
    """The fitted pipeline, after the checksum matched and only trusted types were found."""
    path = Path(models_dir) / ARTIFACT
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model artifact ({exc.strerror})") from exc
    digest = sha256(payload)
    if digest != card["artifact_sha256"]:
        raise ModelError(
            f"{path}: checksum {digest[:16]}... does not match the card's {str(card['artifact_sha256'])[:16]}...; "
            "the artifact was altered or belongs to another card - refusing to load it (retrain with `make train`)"
        )
    try:
        untrusted = _untrusted(payload)
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a readable skops artifact ({type(exc).__name__}: {exc})") from exc
    if untrusted:
        raise ModelError(f"{path}: holds types outside the trusted list, refusing to load it: {untrusted}")
    try:
        return sio.loads(payload, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ModelError(f"{path}: holds types outside the trusted list, refusing to load it ({exc})") from exc
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: the artifact could not be loaded ({type(exc).__name__}: {exc})") from exc
