"""``python -m pipeline.reliability pathological | limits ...`` (see docs/reliability.md)."""

from __future__ import annotations

from pipeline.reliability.cli import main

main()
