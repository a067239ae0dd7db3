"""Where the bundled rule files and model live.

The project runs from an editable install (``make`` does that), so ``rules/`` and ``models/``
are read from the source tree next to the package.  ``MQTRIAGE_RULES_DIR`` and
``MQTRIAGE_MODELS_DIR`` point elsewhere (tests, packaging into a container).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def rules_dir() -> Path:
    env = os.environ.get("MQTRIAGE_RULES_DIR")
    return Path(env) if env else PROJECT_ROOT / "rules"


def models_dir() -> Path:
    env = os.environ.get("MQTRIAGE_MODELS_DIR")
    return Path(env) if env else PROJECT_ROOT / "models"
