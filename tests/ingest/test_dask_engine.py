"""--engine dask writes the same dataset as the local engine (in-process LocalCluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_runner_support import json_entry, rows, run, write_log

distributed = pytest.importorskip("distributed")


def test_dask_matches_single_process(tmp_path: Path) -> None:
    base = tmp_path / "in"
    for n in range(3):
        write_log(base / f"qm{n}" / "AMQERR01.LOG", range(n * 1000, n * 1000 + 40), qmgr=f"QM{n}")
    (base / "qmb").mkdir()
    (base / "qmb" / "AMQERR01.json").write_text(
        "".join(json_entry(i) for i in range(7)) + "{bad\n", encoding="utf-8"
    )
    run(base, tmp_path / "local", jobs=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = run(base, tmp_path / "dask", engine="dask", scheduler=cluster.scheduler_address)
    assert result.totals["written"] == 127 and result.totals["rejected"] == 1
    for table in ("events", "rejects"):
        local = [{k: v for k, v in r.items() if k != "run_id"} for r in rows(tmp_path / "local", table)]
        dask = [{k: v for k, v in r.items() if k != "run_id"} for r in rows(tmp_path / "dask", table)]
        assert local == dask
    # incremental on top of a dask run, on a LocalCluster the engine starts itself
    assert run(base, tmp_path / "dask", engine="dask", scheduler="local", jobs=1).totals["written"] == 0
    write_log(base / "qm9" / "AMQERR01.LOG", range(9000, 9005), qmgr="QM9")
    assert run(base, tmp_path / "dask", engine="dask", scheduler="local", jobs=1).totals["written"] == 5


def test_unreachable_scheduler_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.errors import MQTriageError
    from pipeline.ingest import dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(2))
    with pytest.raises(MQTriageError, match="Dask scheduler"):
        run(tmp_path / "in", tmp_path / "out", engine="dask", scheduler="tcp://127.0.0.1:9")
    assert not list((tmp_path / "out").rglob("*.parquet"))
