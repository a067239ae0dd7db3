"""Measure the fallback model: load time and inference throughput on one core.

Run: ``python -m pipeline.model.bench [--rows N] [--models-dir DIR]``.  Prints JSON.  Two loads:
``log-like`` rows drawn with repetition from the training set (log entries repeat: a retrying
channel writes the same three entries every minute), and ``distinct`` rows that are all
different after normalisation (the worst case: no answer can be reused).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.model.fallback import FallbackModel, load_fallback  # noqa: E402
from pipeline.model.features import feature_frame  # noqa: E402
from pipeline.model.generate import build_training_set  # noqa: E402
from pipeline.model.train import distinct_rows, predict_answers  # noqa: E402


def _classified_like(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=["phase", "cause", "origin", "family", "group", "conf", "example_id"])
    out["cipher_specs"] = [c.split(";") if isinstance(c, str) else None for c in out["cipher_specs"]]
    return out


def measure(rows: int = 200_000, models_dir: str | None = None, seed: int = 7) -> dict[str, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    model = load_fallback(models_dir)
    load_seconds, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    if not isinstance(model, FallbackModel):
        return {"error": model.reason}
    frame, _ = build_training_set()
    events = _classified_like(frame)
    rng = np.random.default_rng(seed)
    log_like = events.iloc[rng.integers(0, len(events), rows)].reset_index(drop=True)
    start, cpu = time.perf_counter(), time.process_time()
    model.predict(log_like)
    log_seconds, log_cpu = time.perf_counter() - start, time.process_time() - cpu
    # the same kind of rows without the dedup: every row normalised and vectorised
    plain = log_like.iloc[: min(rows, 20_000)]
    start, cpu = time.perf_counter(), time.process_time()
    predict_answers(model.estimator, feature_frame(plain), model.vocab)
    plain_seconds, plain_cpu = time.perf_counter() - start, time.process_time() - cpu
    distinct, _, _, _ = distinct_rows(frame)
    # distinct_rows gives normalised text; feed it back as messages (normalising it again is a no-op)
    distinct_frame = pd.DataFrame({"message": distinct["text"].to_numpy()})
    repeat = max(1, 20_000 // len(distinct_frame))
    worst = pd.concat([distinct_frame] * repeat, ignore_index=True)
    worst["message"] = worst["message"] + " " + pd.Series(np.arange(len(worst)).astype(str)).map(lambda s: "w" + "".join(chr(97 + int(d)) for d in s))
    start, cpu = time.perf_counter(), time.process_time()
    model.predict(worst)
    worst_seconds, worst_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "load_seconds": round(load_seconds, 3),
        "load_cpu_seconds": round(load_cpu, 3),
        # wall clock, and CPU time of this process (the fairer figure on a shared machine)
        "log_like": {"rows": rows, "seconds": round(log_seconds, 3), "events_per_second": int(rows / log_seconds),
                     "cpu_seconds": round(log_cpu, 3), "events_per_cpu_second": int(rows / log_cpu)},
        "log_like_without_dedup": {"rows": len(plain), "seconds": round(plain_seconds, 3),
                                   "events_per_second": int(len(plain) / plain_seconds),
                                   "cpu_seconds": round(plain_cpu, 3), "events_per_cpu_second": int(len(plain) / plain_cpu)},
        "distinct": {"rows": len(worst), "seconds": round(worst_seconds, 3),
                     "events_per_second": int(len(worst) / worst_seconds), "cpu_seconds": round(worst_cpu, 3),
                     "events_per_cpu_second": int(len(worst) / worst_cpu)},
        "threads": os.environ.get("OMP_NUM_THREADS"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.rows, args.models_dir), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
