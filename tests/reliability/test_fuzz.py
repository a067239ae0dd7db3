"""Fuzzing the parsers with damaged real entries: never a crash, never a hang, counts reconcile.

Seeds are the peer fixtures (read in place) and the bundled samples; ``fuzz.mutated`` damages
them.  Each example runs under an alarm so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import MQTriageError
from pipeline.ingest.runner import IngestOptions, ingest

from .fuzz import Seed, load_seeds, mutated, parse_export, parse_json, parse_text
from .helpers import alarm, table

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
GUARD = 30   # seconds for one example: generous (a linear parser needs well under one)


@pytest.fixture(scope="module")
def seeds(peer_fixtures: Path, samples_dir: Path) -> dict[str, list[Seed]]:
    found = load_seeds(peer_fixtures, samples_dir)
    by_kind: dict[str, list[Seed]] = {}
    for seed in found:
        by_kind.setdefault(seed.kind, []).append(seed)
    assert {"text", "flat", "json", "export"} <= set(by_kind), sorted(by_kind)
    return by_kind


def test_seeds_parse_cleanly_before_damage(seeds: dict[str, list[Seed]]) -> None:
    """The undamaged seeds parse with (almost) no rejects: the fuzz starts from real, valid input."""
    for kind in ("text", "flat"):
        for seed in seeds[kind]:
            blocks, parsed, rejected = parse_text(seed.data, kind)
            assert blocks and parsed >= blocks - 1, (seed.name, blocks, parsed, rejected)
    for seed in seeds["json"]:
        blocks, parsed, _ = parse_json(seed.data)
        assert blocks and parsed == blocks, seed.name
    for seed in seeds["export"]:
        kind, parsed, _ = parse_export(seed.name.split("/")[-1], seed.data)
        assert kind and parsed, seed.name


@FUZZ
@given(data=st.data())
def test_text_and_flat_parsers_survive_damage(seeds: dict[str, list[Seed]], data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds["text"] + seeds["flat"]))
    how, damaged = data.draw(mutated(seed))
    with alarm(GUARD, f"{seed.name} {how}"):
        blocks, parsed, rejected = parse_text(damaged, seed.kind)
    assert parsed + rejected == blocks


@FUZZ
@given(data=st.data())
def test_json_parser_survives_damage(seeds: dict[str, list[Seed]], data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds["json"]))
    how, damaged = data.draw(mutated(seed))
    with alarm(GUARD, f"{seed.name} {how}"):
        blocks, parsed, rejected = parse_json(damaged)
    assert parsed + rejected == blocks


@FUZZ
@given(data=st.data())
def test_export_readers_survive_damage(seeds: dict[str, list[Seed]], data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds["export"]))
    how, damaged = data.draw(mutated(seed))
    name = seed.name.split("/")[-1]
    with alarm(GUARD, f"{seed.name} {how}"):
        try:
            kind, parsed, rejected = parse_export(name, damaged)
        except MQTriageError as exc:   # a file-level refusal is allowed, if it names the file
            assert name in str(exc), str(exc)
            return
    assert parsed >= 0 and rejected >= 0 and (kind is not None or parsed == rejected == 0)


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_runner_manifest_reconciles_on_damaged_files(seeds: dict[str, list[Seed]], data: st.DataObject,
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("fuzzrun")
    logs = root / "logs"
    chosen = data.draw(st.lists(st.sampled_from([s for k in ("text", "flat", "json", "export") for s in seeds[k]]),
                                min_size=1, max_size=4, unique_by=lambda s: s.name))
    for i, seed in enumerate(chosen):
        _how, damaged = data.draw(mutated(seed))
        folder = logs / f"f{i}"
        folder.mkdir(parents=True)
        (folder / seed.name.split("/")[-1]).write_bytes(damaged)
    out = root / "out"
    with alarm(120, "ingest of damaged files"):
        result = ingest([str(logs)], out, IngestOptions(jobs=1))
    t = result.totals
    assert t["seen"] == t["written"] + t["rejected"] + t["duplicates"], t
    stored = len(table(out, "events")) + len(table(out, "channel_status"))
    assert stored == t["written"], (stored, t)
    assert len(table(out, "rejects")) == t["rejected"], t
