"""Shared fixtures.  Reference logs from ../shared are read where they are, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"


def _shared_dir() -> Path:
    env = os.environ.get("MQTRIAGE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared/reference; with CI=true its absence fails, elsewhere it skips with a message."""
    ref = _shared_dir() / "reference"
    if not ref.is_dir():
        msg = f"reference material not found at {ref} (set MQTRIAGE_SHARED)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return ref


@pytest.fixture(scope="session")
def peer_fixtures(shared_dir: Path) -> Path:
    return shared_dir / "peer-fixtures"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES
