"""Compact id sets (``state.IdSet``) and the digest form of ids files: same answers as a set of str."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import OutputError
from pipeline.ingest import state as state_mod
from pipeline.ingest.state import IdSet

from .test_runner_support import ids, run, text_entry, write_log

# Ids drawn from a small pool so that repeats, near-misses and trailing NUL bytes all occur.
_hex_id = st.one_of(
    st.binary(min_size=16, max_size=16).map(bytes.hex),
    st.sampled_from(["00" * 16, "ff" * 16, "ab" * 15 + "00", "00" * 15 + "01", "ab" * 15 + "01"]),
)


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spill every 4 ids into a chunk and use a 64-bit filter, so chunks, merges and filter
    false positives all happen with a handful of ids."""
    monkeypatch.setattr(IdSet, "RECENT", 4)
    monkeypatch.setattr(IdSet, "FILTER_BITS", 64)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.lists(_hex_id, max_size=30),
    added=st.lists(_hex_id, max_size=120),
    probes=st.lists(_hex_id, max_size=40),
)
def test_idset_answers_like_a_set(seed: list[str], added: list[str], probes: list[str]) -> None:
    old = (IdSet.RECENT, IdSet.FILTER_BITS)
    IdSet.RECENT, IdSet.FILTER_BITS = 4, 64  # hypothesis and function fixtures do not mix
    try:
        digests = np.frombuffer(b"".join(bytes.fromhex(v) for v in seed), dtype=state_mod.ID_DTYPE)
        compact = IdSet(digests)
        reference = set(seed)
        for value in added:
            assert (value in compact) == (value in reference)
            if value not in reference:
                compact.add(value)
                reference.add(value)
        for value in probes + added + seed:
            assert (value in compact) == (value in reference)
        assert len(compact) == len(reference)
        assert compact.sorted_digests().tobytes().hex() == "".join(sorted(reference))
    finally:
        IdSet.RECENT, IdSet.FILTER_BITS = old


def test_idset_rejects_non_ids_without_error() -> None:
    compact = IdSet(np.frombuffer(bytes(16), dtype=state_mod.ID_DTYPE))
    assert "00" * 16 in compact
    assert "zz" not in compact and "00" * 8 not in compact and None not in compact


def test_digest_file_round_trip_matches_text_form(tmp_path: Path) -> None:
    values = sorted({bytes([i, 0, 255 - i] + [0] * 13).hex() for i in range(200)})
    plain, compact = tmp_path / "plain.txt", tmp_path / "compact.txt"
    state_mod.write_ids(plain, values)
    state_mod.write_id_digests(compact, state_mod.read_id_digests(tmp_path, "plain.txt"))
    assert compact.read_bytes() == plain.read_bytes()
    assert state_mod.read_ids(tmp_path, "compact.txt") == set(values)
    assert len(state_mod.read_id_digests(tmp_path, None)) == 0


def test_damaged_ids_file_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("ab" * 16 + "\nnot-an-id\n", encoding="ascii")
    with pytest.raises(OutputError, match=r"bad\.txt, line 2"):
        state_mod.read_id_digests(tmp_path, "bad.txt")
    with pytest.raises(OutputError, match="missing or unreadable"):
        state_mod.read_id_digests(tmp_path, "absent.txt")


# Repeated identical entries get ordinals 1, 2, ...; some repeats are far from their first copy.
_ENTRIES = [*range(30), 0, 1, 2, 5, 5, 5, 29, *range(30, 40), 3]
_APPENDED = [0, 5, 5, 40, 41, 40, 12]


def test_ingest_ids_do_not_depend_on_chunking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", _ENTRIES)
    run(tmp_path / "in", tmp_path / "plain")
    expected = ids(tmp_path / "plain")
    assert len(expected) == len(_ENTRIES)
    monkeypatch.setattr(IdSet, "RECENT", 4)
    monkeypatch.setattr(IdSet, "FILTER_BITS", 64)
    result = run(tmp_path / "in", tmp_path / "tiny")
    assert ids(tmp_path / "tiny") == expected
    assert result.totals["written"] == len(_ENTRIES)


def test_resume_with_repeats_matches_one_run(tmp_path: Path, tiny: None) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", _ENTRIES)
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("".join(text_entry(i) for i in _APPENDED))
    result = run(tmp_path / "in", out)
    assert result.files[0]["mode"] == "resume"
    assert result.totals["written"] == len(_APPENDED)
    write_log(tmp_path / "ref" / "AMQERR01.LOG", _ENTRIES + _APPENDED)
    run(tmp_path / "ref", tmp_path / "ref-out")
    assert ids(out) == ids(tmp_path / "ref-out")
    (ids_file,) = (out / "_state" / "ids").glob("*.txt")
    assert len(ids_file.read_text(encoding="ascii").split()) == len(_ENTRIES) + len(_APPENDED)


def test_copy_of_a_file_is_all_duplicates(tmp_path: Path, tiny: None) -> None:
    write_log(tmp_path / "in" / "a" / "AMQERR01.LOG", _ENTRIES)
    write_log(tmp_path / "in" / "b" / "AMQERR01.LOG", _ENTRIES)
    result = run(tmp_path / "in", tmp_path / "out")
    assert result.totals["written"] == len(_ENTRIES)
    assert result.totals["duplicates"] == len(_ENTRIES)


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(st.lists(_hex_id, max_size=20, unique=True), max_size=12),
    probes=st.lists(_hex_id, max_size=40),
)
def test_digest_set_answers_like_a_set(batches: list[list[str]], probes: list[str]) -> None:
    """The ingest parent's per-queue-manager set: whole arrays in, one bool per digest out."""
    digests = state_mod.DigestSet()
    plain: set[str] = set()
    for batch in batches:
        fresh = [value for value in batch if value not in plain]
        found = digests.contains(state_mod.digests_of(batch)) if batch else np.zeros(0, dtype=bool)
        assert found.tolist() == [value in plain for value in batch]
        digests.add(state_mod.digests_of(fresh))
        plain.update(fresh)
    assert len(digests) == len(plain)
    if probes:
        assert digests.contains(state_mod.digests_of(probes)).tolist() == [p in plain for p in probes]


def test_digests_of_refuses_what_is_not_an_id() -> None:
    with pytest.raises(OutputError):
        state_mod.digests_of(["abc"])
    with pytest.raises(OutputError):
        state_mod.digests_of(["zz" * 16])
