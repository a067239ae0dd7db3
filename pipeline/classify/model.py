"""The fallback model, through the model engineer's interface only.

``pipeline.model.fallback.load_fallback(models_dir)`` returns an object with ``available``,
``reason``, ``threshold`` and ``predict(df)``.  Until that module exists (or when its artifact is
missing) we use ``NullFallback``, which is never available and says why once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class NullFallback:
    reason: str
    available: bool = False
    threshold: float = 1.0

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"model_phase": None, "model_cause": None, "model_confidence": float("nan")},
                            index=df.index)


def load_model(models_dir: str | Path | None = None) -> Any:
    try:
        from pipeline.model.fallback import load_fallback
    except ImportError as exc:
        return NullFallback(reason=f"the model package is not installed ({exc.name or exc})")
    return load_fallback(models_dir=models_dir)
