"""The cause vocabulary (``rules/causes.yaml``) as the timeline and the report need it.

The rules stage owns the file and validates it in depth; this reader only takes what the
later stages use (phase, fix side, meaning, check) and fails with the file named when a
cause lacks one of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.errors import RuleError
from pipeline.resources import rules_dir

# rules/ sits next to the pipeline package (repository root); an editable install keeps it there.
CAUSES_PATH = rules_dir() / "causes.yaml"

FAILURE_PHASES = ("network", "handshake", "post_tls", "other")


@dataclass(frozen=True)
class Cause:
    name: str
    phase: str
    fix_side: str
    meaning: str
    check: str


@dataclass(frozen=True)
class Vocabulary:
    phases: dict[str, str]
    causes: dict[str, Cause]

    def phase_of(self, cause: str | None) -> str:
        found = self.causes.get(cause or "")
        return found.phase if found else "other"

    def get(self, cause: str | None) -> Cause | None:
        return self.causes.get(cause or "")


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read the phase and cause vocabulary; ``path`` defaults to the bundled file."""
    return _load(str(path or CAUSES_PATH))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Vocabulary:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the cause vocabulary ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("causes"), dict):
        raise RuleError(f"{path}: expected a mapping with a 'causes' section")
    phases = {str(k): str(v) for k, v in (data.get("phases") or {}).items()}
    causes: dict[str, Cause] = {}
    for name, entry in data["causes"].items():
        if not isinstance(entry, dict):
            raise RuleError(f"{path}: cause {name!r} is not a mapping")
        missing = [key for key in ("phase", "fix_side", "meaning", "check") if key not in entry]
        if missing:
            raise RuleError(f"{path}: cause {name!r} lacks {', '.join(missing)}")
        if phases and entry["phase"] not in phases:
            raise RuleError(f"{path}: cause {name!r} has unknown phase {entry['phase']!r}")
        causes[str(name)] = Cause(
            name=str(name),
            phase=str(entry["phase"]),
            fix_side=str(entry["fix_side"]),
            meaning=str(entry["meaning"]),
            check=str(entry["check"]),
        )
    return Vocabulary(phases=phases, causes=causes)
