"""Real and sample logs through ingest and classify: the Nastel log, the Elastic fixture, data/samples.

The expectations for data/samples come from data/samples/EXPECTED.md (generated with the logs):
each failing channel end's decisive entry must carry the episode's phase and cause, the other
entries of that end the same phase, AMQ9999 its summary cause with a context link.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from pipeline.classify import classify

pytestmark = pytest.mark.slow

ingest_runner = pytest.importorskip("pipeline.ingest.runner")


def _ingest_and_classify(paths: list[Path], out: Path) -> pd.DataFrame:
    ingest_runner.ingest([str(p) for p in paths], str(out), ingest_runner.IngestOptions())
    result = classify(out, use_model=False)
    frame = ds.dataset(out / "classified", format="parquet", partitioning="hive").to_table().to_pandas()
    assert len(frame) == result.rows
    return frame


@pytest.fixture(scope="module")
def nastel(peer_fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = peer_fixtures / "nastel-tnt4j-streams"
    return _ingest_and_classify([folder / "AMQERR01.LOG", folder / "AMQERR01.JSON"], tmp_path_factory.mktemp("nastel"))


def test_nastel_entries_all_classify(nastel: pd.DataFrame) -> None:
    for fmt in ("text", "json"):
        rows = nastel[nastel["source_format"] == fmt]
        assert len(rows) == 2853, fmt
        unknown = rows.loc[rows["cause"] == "unknown", "msg_id"].value_counts().to_dict()
        assert unknown == {}, f"{fmt}: left unknown {unknown}"
        counts = rows["cause"].value_counts()
        assert counts["other_failure"] == 2272 + 1       # AMQ9507 in-doubt, AMQ9788 slow DNS
        assert counts["user_auth_failed"] == 83 + 83 + 87  # AMQ9557, AMQ9245, AMQ8075


def test_nastel_amq9999_point_at_the_network_error_before_them(nastel: pd.DataFrame) -> None:
    text = nastel[nastel["source_format"] == "text"]
    summaries = text[text["msg_id"] == "AMQ9999"]
    linked = summaries.merge(text[["event_id", "msg_id"]], left_on="context_event_id", right_on="event_id", how="left")
    assert linked["msg_id_y"].isin(["AMQ9208", "AMQ9206", "AMQ9271"]).all()
    receive = text[text["msg_id"] == "AMQ9208"]
    assert (receive["os_errno"] == 10054).all() and receive["remote_address"].notna().all()


def test_elastic_fixture_classifies(peer_fixtures: Path, tmp_path: Path) -> None:
    frame = _ingest_and_classify([peer_fixtures / "elastic-beats-filebeat-ibmmq" / "AMQERR01.LOG"], tmp_path / "out")
    assert len(frame) == 20
    assert (frame["cause"] != "unknown").all(), frame.loc[frame["cause"] == "unknown", "msg_id"].tolist()


# --- data/samples -----------------------------------------------------------------------------------
def _episodes(samples_dir: Path) -> list[dict[str, str]]:
    text = (samples_dir / "EXPECTED.md").read_text(encoding="utf-8")
    section = text.split("## Episodes", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for ln in lines[1:]:
        if set(ln) <= {"|", "-", " "}:
            continue
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


@pytest.fixture(scope="module")
def samples(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    if not (samples_dir / "EXPECTED.md").is_file():
        pytest.skip("data/samples not generated yet")
    return _ingest_and_classify([samples_dir], tmp_path_factory.mktemp("samples"))


def test_samples_every_failure_entry_has_the_expected_phase_and_cause(samples: pd.DataFrame, samples_dir: Path) -> None:
    logs = samples[samples["source_format"].isin(["text", "json"])]
    episodes = _episodes(samples_dir)
    assert len(episodes) >= 16
    for ep in episodes:
        # AMQ9616 names no channel (only the remote host): such entries count for the channel too.
        at = logs[(logs["qmgr"] == ep["qmgr"]) & ((logs["channel"] == ep["channel"]) | logs["channel"].isna())]
        start = pd.Timestamp(f"2026-11-20 {ep['start']}", tz="UTC")
        end = pd.Timestamp(f"2026-11-20 {ep['end']}", tz="UTC")
        window = at[(at["timestamp"] >= start) & (at["timestamp"] <= end)]
        decisive_qm, decisive_id = ep["decisive"].split()
        for msg_id in [m.strip() for m in ep["local messages"].split(",")]:
            rows = window[window["msg_id"] == msg_id]
            assert len(rows), f"row {ep['row']} {ep['qmgr']}: no {msg_id} in the window"
            if msg_id == "AMQ9999":
                assert (rows["cause"] == "channel_ended_abnormally").all()
                assert rows["context_event_id"].notna().all(), f"row {ep['row']}: AMQ9999 without context"
                continue
            assert (rows["phase"] == ep["phase"]).all(), f"row {ep['row']} {ep['qmgr']} {msg_id}: {rows['phase'].unique()}"
            if ep["qmgr"] == decisive_qm and msg_id == decisive_id:
                got = rows["cause"].unique().tolist()
                assert got == [ep["cause"]], f"row {ep['row']} {ep['qmgr']} {msg_id}: {got} != {ep['cause']}"


def test_samples_four_way_diagnosis(samples: pd.DataFrame) -> None:
    """The seed's four failures: handshake, SSLPEERMAP, bind name, connection refused."""
    logs = samples[samples["source_format"].isin(["text", "json"])]

    def decided(qmgr: str, channel: str, msg_id: str) -> set[tuple[str, str]]:
        rows = logs[(logs["qmgr"] == qmgr) & (logs["channel"] == channel) & (logs["msg_id"] == msg_id)]
        return set(map(tuple, rows[["phase", "cause"]].drop_duplicates().to_numpy().tolist()))

    assert decided("QMB", "QMA.QMB", "AMQ9631") == {("handshake", "cipher_mismatch")}
    assert decided("QMA", "APP.SVRCONN", "AMQ9777") == {("post_tls", "sslpeermap_blocked")}
    assert decided("QMB", "QMB.QMC.NEW", "AMQ9520") == {("post_tls", "channel_not_defined")}
    assert decided("QMA", "QMA.QMD", "AMQ9202") == {("network", "connection_refused")}


def test_samples_noise_is_not_a_failure(samples: pd.DataFrame, samples_dir: Path) -> None:
    logs = samples[samples["source_format"].isin(["text", "json"])]
    expected = (samples_dir / "EXPECTED.md").read_text(encoding="utf-8")
    pairs = int(re.search(r"(\d+) pairs of AMQ9209 \+ AMQ9228", expected).group(1))
    probes = logs[logs["msg_id"].isin(["AMQ9209", "AMQ9228"])]
    assert len(probes) == 2 * pairs and (probes["cause"] == "listener_probe").all()
    failover = logs[(logs["msg_id"] == "AMQ9202") & (logs["channel"] == "QMA.QMB.DR")]
    assert len(failover) >= 1 and (failover["cause"] == "address_failover").all()
    assert (logs.loc[logs["msg_id"] == "AMQ9528", "cause"] == "channel_stopped").all()
    assert (logs["cause"] != "unknown").all()
