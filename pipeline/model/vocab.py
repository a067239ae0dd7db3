"""The phase/cause vocabulary, read from ``rules/causes.yaml`` (the rules engineer owns the file).

Only the two mappings the model needs are read here: the phase names and each cause's phase.
``pipeline.rules`` validates the file fully; this reader checks just enough to fail clearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.errors import ModelError
from pipeline.resources import PROJECT_ROOT, rules_dir

REPO_ROOT = PROJECT_ROOT

# The model never learns or answers this cause: it is what classify writes when nobody knows.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Vocabulary:
    phases: tuple[str, ...]
    cause_phase: dict[str, str]

    @property
    def causes(self) -> tuple[str, ...]:
        return tuple(self.cause_phase)

    @property
    def trainable_causes(self) -> tuple[str, ...]:
        return tuple(c for c in self.cause_phase if c != UNKNOWN)


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    path = Path(path) if path is not None else rules_dir() / "causes.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the cause vocabulary ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("phases"), dict) or not isinstance(doc.get("causes"), dict):
        raise ModelError(f"{path}: expected mappings 'phases' and 'causes'")
    phases = tuple(str(p) for p in doc["phases"])
    cause_phase: dict[str, str] = {}
    for cause, spec in doc["causes"].items():
        phase = spec.get("phase") if isinstance(spec, dict) else None
        if phase not in phases:
            raise ModelError(f"{path}: cause {cause!r} has phase {phase!r}, not one of {list(phases)}")
        cause_phase[str(cause)] = str(phase)
    return Vocabulary(phases=phases, cause_phase=cause_phase)
