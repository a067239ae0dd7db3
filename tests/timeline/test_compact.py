"""The compact forms the timeline keeps rows in change no output.

Event ids are held packed (``pack_id``: a 32-digit lowercase hex id as an integer) and the values
many rows share sit in one ``Shared`` object; ids in either form, or mixed, give the same episodes.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.timeline import episodes_from_classified, episodes_from_scan, frame_slices, scan_slices
from pipeline.timeline.builder import id_text, make_row, pack_id
from pipeline.timeline.rows import Rank, Role

from .helpers import classified, entry
from .test_scenarios import CASES

_HEX = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_ANY_ID = st.one_of(_HEX, st.text(max_size=40), st.text(alphabet="0123456789abcdefABCDEFx_+- ", min_size=32,
                                                       max_size=32))


@settings(max_examples=300, deadline=None)
@given(_ANY_ID, _ANY_ID)
def test_packed_ids_round_trip_and_compare_as_their_text(a: str, b: str) -> None:
    key_a, key_b = pack_id(a), pack_id(b)
    assert id_text(key_a) == a and id_text(key_b) == b
    assert (key_a == key_b) == (a == b)
    assert bool(key_a) == bool(a)      # a packed id is true exactly when its text is (even "000...0")
    if isinstance(key_a, int) and isinstance(key_b, int):
        assert (key_a < key_b) == (a < b)


def test_only_canonical_hex_ids_are_packed_as_integers() -> None:
    assert isinstance(pack_id("0" * 32), int)
    assert isinstance(pack_id("0123456789abcdef" * 2), int)
    for text in ("0123456789ABCDEF" * 2, "0x" + "1" * 30, "1_" + "2" * 30, " " + "3" * 31, "e00001", "a" * 33):
        assert pack_id(text) == text
    assert pack_id(None) is None


def test_rows_share_their_common_values() -> None:
    frame = classified([entry("QMA", "10:00:00", "AMQ9202", "host_unreachable", "QMA.QMB"),
                        entry("QMA", "10:00:05", "AMQ9202", "host_unreachable", "QMA.QMB"),
                        entry("QMA", "10:00:09", "AMQ9999", "channel_ended_abnormally", "QMA.QMB")])
    cols: dict[str, list[Any]] = {name: frame[name].astype(object).where(frame[name].notna(), None).tolist()
                                  for name in frame.columns}
    shared: dict[tuple[Any, ...], Any] = {}
    rows = [make_row(i, cols, i, 1000 * i, False, "QMA.QMB", cols["msg_id"][i], shared) for i in range(3)]
    assert rows[0].shared is rows[1].shared and rows[2].shared is not rows[0].shared
    assert (rows[0].qmgr, rows[0].cause, rows[0].role, rows[0].rank) == ("QMA", "host_unreachable", Role.FAILURE,
                                                                         Rank.SPECIFIC)
    assert rows[2].msg_id == "AMQ9999" and rows[2].rank is Rank.SUMMARY
    assert id_text(rows[1].event_id) == cols["event_id"][1]


def _renamed(rows: list[dict[str, Any]], canonical: bool, mixed: bool) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rows with new event ids that sort as the old ones do: canonical hex ids, or every other one
    made non-canonical (33 characters, sorting right after its hex prefix)."""
    old = sorted({row["event_id"] for row in rows})
    new = {}
    for k, text in enumerate(old):
        hex_id = f"{2 * k + 1:032x}" if canonical else text
        new[text] = hex_id + "z" if mixed and k % 2 else hex_id
    renamed = [dict(row, event_id=new[row["event_id"]],
                    context_event_id=new.get(row["context_event_id"], row["context_event_id"])) for row in rows]
    return renamed, {value: key for key, value in new.items()}


def _comparable(frame: pd.DataFrame, back: dict[str, str]) -> pd.DataFrame:
    # episode ids hash the first row's id text, so they differ with the ids; the rest must not
    out = frame.drop(columns=["episode_id", "partner_episode_id"]).copy()
    out["decisive_event_id"] = out["decisive_event_id"].map(lambda v: back.get(v, v))
    return out


def test_hex_and_mixed_ids_give_the_same_episodes() -> None:
    rows = [row for build, *_ in CASES.values() for row in build()]
    plain = episodes_from_classified(classified(rows))
    for mixed in (False, True):
        renamed, back = _renamed(rows, canonical=True, mixed=mixed)
        frame = classified(renamed)
        full = episodes_from_classified(frame)
        streamed = episodes_from_scan(scan_slices(frame_slices(frame, 9, 4)))
        pd.testing.assert_frame_equal(streamed.episodes, full.episodes)
        assert json.dumps(streamed.stats, sort_keys=True) == json.dumps(full.stats, sort_keys=True)
        pd.testing.assert_frame_equal(_comparable(full.episodes, back), _comparable(plain.episodes, {}))
        assert full.stats == plain.stats
        # the partner links still join the same episodes
        assert full.episodes["partner_episode_id"].notna().sum() == plain.episodes["partner_episode_id"].notna().sum()
