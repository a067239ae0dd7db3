"""Run the per-file parse on a Dask cluster (``--engine dask``).

Each input file is one task (``runner.process_file``), exactly as in the local process pool, so
the dataset written is the same.  Workers write their Parquet files straight into the run's
staging folder under OUT, so every worker must see OUT (and the inputs) at the same path - a
shared file system, or a LocalCluster on this machine.  Dedup, state and the commit stay in the
calling process.  ``dask`` and ``distributed`` are an optional extra (``pip install .[dask]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.errors import MQTriageError

if TYPE_CHECKING:
    from pipeline.ingest.runner import FileOutcome, FileTask


CONNECT_TIMEOUT = "10s"  # how long to try a remote scheduler before giving up with a clean error


class DaskUnavailableError(MQTriageError):
    """--engine dask was asked for but dask/distributed is not installed or not reachable."""


def run_tasks(tasks: list[FileTask], scheduler: str, jobs: int | None) -> list[FileOutcome]:
    """Map ``process_file`` over ``tasks`` on ``scheduler`` (an address, or ``local``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise DaskUnavailableError(
            "--engine dask needs the optional dask extra: pip install 'mqtriage[dask]'"
        ) from exc
    from pipeline.ingest.runner import process_file

    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(
                n_workers=jobs or None, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise DaskUnavailableError(f"cannot reach Dask scheduler {scheduler!r}: {exc}") from exc
    try:
        futures = client.map(
            process_file, tasks, pure=False, key=[f"mqtriage-file-{t.index}-{t.run_id}" for t in tasks]
        )
        results: list[FileOutcome] = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results
