"""Preflight: predict handshake and post-TLS channel failures from definitions, CHLAUTH rules and
certificates, before any channel is started.  See docs/preflight.md."""

from __future__ import annotations

from pipeline.preflight.stage import PreflightResult, analyse, run_preflight

__all__ = ["PreflightResult", "analyse", "run_preflight"]
