"""CLI for the whole pipeline: ``mqtriage run PATH... --out OUT [--html FILE]``.

ingest -> classify -> timeline -> report, each stage's options accepted here.  Stage lines
with counts and elapsed time go to stderr as each stage finishes; the short summary of the
report goes to stdout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import (
    date_order_option,
    handle_errors,
    jobs_option,
    no_model_option,
    out_option,
    rules_option,
    tz_option,
)
from pipeline.cli.report import build_filter, filter_options, write_text
from pipeline.cli.timeline import describe, gap_option
from pipeline.errors import MQTriageError

MAX_WARNINGS = 10


@dataclass(frozen=True)
class RunOptions:
    tz: str = "UTC"
    date_order: str = "auto"
    encoding: str = "cp1252"
    jobs: int | None = None
    engine: str = "local"
    wait: bool = False
    rules_dirs: tuple[str, ...] = ()
    use_model: bool = True
    gap: timedelta = timedelta(minutes=30)
    preflight: tuple[str, ...] = ()       # configuration paths; empty: no preflight stage
    as_of: date | None = None             # preflight's judging day (default: today, UTC)


@dataclass
class StageReport:
    name: str
    seconds: float
    line: str
    warnings: list[str] = field(default_factory=list)


def _stage(name: str) -> Any:
    """Import a stage's entry point late, so a missing stage is one clean error, not an import crash."""
    try:
        if name == "ingest":
            from pipeline.ingest.runner import IngestOptions, ingest

            return ingest, IngestOptions
        if name == "classify":
            from pipeline.classify import classify

            return classify
        if name == "preflight":
            from pipeline.preflight import run_preflight

            return run_preflight
    except ImportError as exc:
        raise MQTriageError(f"the {name} stage is not available in this installation ({exc})") from exc
    raise ValueError(name)


def run_stages(paths: list[str], out: str, options: RunOptions,
               progress: Callable[[StageReport], None] = lambda report: None,
               starting: Callable[[str], None] = lambda name: None) -> list[StageReport]:
    """Run ingest, classify and timeline on ``paths`` into ``out``; announce each stage and report its end."""
    from pipeline.storage import OutputLock

    # One lock across every stage, so a second run cannot interleave between them; the stage
    # functions take the same (re-entrant) lock again.
    with OutputLock(out, wait=options.wait, share=True):
        return _run_locked(paths, out, options, progress, starting)


def _run_locked(paths: list[str], out: str, options: RunOptions,
                progress: Callable[[StageReport], None],
                starting: Callable[[str], None]) -> list[StageReport]:
    reports: list[StageReport] = []

    def done(name: str, started: float, line: str, warnings: list[str] | None = None) -> None:
        report = StageReport(name, time.perf_counter() - started, line, warnings or [])
        reports.append(report)
        progress(report)

    starting("ingest")
    started = time.perf_counter()
    ingest, ingest_options = _stage("ingest")
    result = ingest(paths, out, ingest_options(tz=options.tz, date_order=options.date_order, encoding=options.encoding,
                                              jobs=options.jobs, engine=options.engine, wait=options.wait))
    t = result.totals
    done("ingest", started,
         f"{t.get('files_read', 0)} files read, {t.get('files_unchanged', 0)} unchanged, "
         f"{t.get('files_skipped', 0)} skipped; {t.get('written', 0)} entries written, "
         f"{t.get('rejected', 0)} rejected", list(result.warnings))

    _later_stages(out, options, done, starting)
    return reports


def _later_stages(out: str, options: RunOptions, done: Callable[..., None], starting: Callable[[str], None]) -> None:
    starting("classify")
    started = time.perf_counter()
    rows, status_rows, unknown, notes = _isolated(_classify_stage, out, options.rules_dirs, options.use_model)
    done("classify", started,
         f"{rows} rows classified ({status_rows} from exports); {unknown:.0%} left unknown", notes)

    starting("timeline")
    started = time.perf_counter()
    done("timeline", started, describe(_isolated(_timeline_stage, out, options.gap, options.wait)))

    if options.preflight:
        starting("preflight")
        started = time.perf_counter()
        run_preflight = _stage("preflight")
        day = options.as_of or datetime.now(UTC).date()
        checked = run_preflight([Path(p) for p in options.preflight], Path(out), day, 30, options.rules_dirs)
        done("preflight", started,
             f"as of {day}: {getattr(checked, 'errors', 0)} predicted failures, "
             f"{getattr(checked, 'warnings', 0)} warnings, {len(getattr(checked, 'certificates', []))} certificates")


def _classify_stage(out: str, rules_dirs: Any, use_model: bool) -> tuple[int, int, float, list[str]]:
    """classify, reduced to what the run reports (rows, rows from exports, unknown share, notes)."""
    classified = _stage("classify")(out, rules_dirs=rules_dirs, use_model=use_model)
    return (
        int(getattr(classified, "rows", 0)),
        int(getattr(classified, "status_rows", 0)),
        float(getattr(classified, "unknown_share", 0.0)),
        list(getattr(classified, "notes", [])),
    )


def _timeline_stage(out: str, gap: timedelta, wait: bool) -> dict[str, Any]:
    from pipeline.timeline import build_timeline

    return build_timeline(out, gap=gap, wait=wait).stats


def _isolated(stage: Callable[..., Any], *args: Any) -> Any:
    """Run a stage in a forked child and return its (small) result.

    The child's memory goes back to the system when it ends, so the run peaks at its largest stage
    rather than at that stage plus what earlier ones left in the heap (1 GiB corpus: 409 MiB in one
    process).  The child inherits the run's lock (the same open file), dies with the run
    (``PR_SET_PDEATHSIG`` on Linux) and re-raises its exceptions here.  Where fork is missing the
    stage runs in this process.
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return stage(*args)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_die_with_parent) as pool:
        return pool.submit(stage, *args).result()


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the run that forked it dies (a killed run leaves no stage behind)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a killed run's stage finishes its own work and exits


def _condense(warnings: list[str]) -> list[str]:
    """Files skipped as 'not a log' (certificates, configs next to the logs) become one line."""
    skipped = [w for w in warnings if ": skipped: " in w]
    rest = [w for w in warnings if ": skipped: " not in w]
    if len(skipped) > 1:
        first = skipped[0].split(": skipped:", 1)[0]
        rest.append(f"{len(skipped)} files are neither logs nor known exports and were skipped (first: {first})")
    return rest + skipped[:1] if len(skipped) == 1 else rest


@click.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@out_option()
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Write the HTML report to this file.")
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False),
              help="Write the Markdown report to this file.")
@tz_option
@date_order_option
@click.option("--encoding", default="cp1252", show_default=True,
              help="Code page for entries that are not valid UTF-8 (per entry).")
@jobs_option
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Parse files in a local process pool or on a Dask cluster.")
@click.option("--wait", is_flag=True, help="Wait for another run on OUT to finish instead of refusing.")
@rules_option
@no_model_option
@gap_option
@click.option("--preflight", "preflight_paths", multiple=True, type=click.Path(exists=True),
              help="Also run preflight on this configuration (preflight.yaml or its folder; repeatable).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Preflight: day to judge certificate dates against (YYYY-MM-DD). Default: today (UTC).")
@filter_options
@click.option("--quiet", "-q", is_flag=True, help="No stage lines on stderr.")
@handle_errors
def run_command(paths: tuple[str, ...], out: str, html_file: str | None, markdown_file: str | None, tz: str,
                date_order: str, encoding: str, jobs: int | None, engine: str, wait: bool,
                rules_dirs: tuple[str, ...], no_model: bool, gap: timedelta, preflight_paths: tuple[str, ...],
                as_of: datetime | None, qmgrs: tuple[str, ...], channels: tuple[str, ...], since: str | None,
                until: str | None, quiet: bool) -> None:
    """Ingest, classify, build timelines and report in one go; prints a short summary.

    Accepts the options of each stage; with --preflight also predicts failures from the
    configuration and adds them to the report.  The report filters (--qmgr, --channel,
    --since, --until) apply to the summary and the report files, not to what is stored under OUT.
    """
    from pipeline.report import load_report, render_data

    total = time.perf_counter()

    def progress(report: StageReport) -> None:
        if quiet:
            return
        click.echo(f"[{report.name}] {report.line} ({report.seconds:.1f}s)", err=True)
        for line in _condense(report.warnings)[:MAX_WARNINGS]:
            click.echo(f"  warning: {line}", err=True)
        if len(_condense(report.warnings)) > MAX_WARNINGS:
            click.echo(f"  warning: ... and {len(_condense(report.warnings)) - MAX_WARNINGS} more", err=True)

    def starting(name: str) -> None:
        if not quiet:
            click.echo(f"[{name}] running...", err=True)

    options = RunOptions(tz=tz, date_order=date_order, encoding=encoding, jobs=jobs, engine=engine, wait=wait,
                         rules_dirs=tuple(rules_dirs), use_model=not no_model, gap=gap,
                         preflight=tuple(preflight_paths), as_of=as_of.date() if as_of else None)
    run_stages(list(paths), out, options, progress, starting)
    started = time.perf_counter()
    data = load_report(out, build_filter(qmgrs, channels, since, until))
    written = []
    if html_file:
        write_text(html_file, render_data(data, "html"))
        written.append(html_file)
    if markdown_file:
        write_text(markdown_file, render_data(data, "markdown"))
        written.append(markdown_file)
    progress(StageReport("report", time.perf_counter() - started,
                         "wrote " + ", ".join(written) if written else "summary only"))
    click.echo(render_data(data, "text"), nl=False)
    if not quiet:
        click.echo(f"done in {time.perf_counter() - total:.1f}s; query with: mqtriage query {out} \"SELECT ...\"",
                   err=True)


COMMANDS: list[click.Command] = [run_command]
