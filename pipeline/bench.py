"""Throughput and memory benchmark: ``python -m pipeline.bench`` (``make bench``).

One run measures, side by side and as medians of ``--repeat`` runs over the same generated corpus
(``pipeline.samples.corpus``): a ``grep -c AMQ`` scan (the floor: reading the bytes), a naive
line-by-line Python parser (``pipeline.samples.naive``), and each mqtriage stage called as the
CLI in a subprocess.  Peak RSS of every subprocess comes from ``os.wait4``; a stage the CLI does
not offer yet is reported as "not available".  A memory check repeats ``ingest --jobs 1`` and the
naive parser at two corpus sizes to show whether RSS grows with the input.

Library functions return data; ``main`` prints the table and writes the Markdown document.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import click

from pipeline.errors import InputError, MQTriageError
from pipeline.samples.corpus import MB, CorpusInfo, write_corpus

SIZE_UNITS = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KB": 1024,
    "KIB": 1024,
    "M": MB,
    "MB": MB,
    "MIB": MB,
    "G": 1024 * MB,
    "GB": 1024 * MB,
    "GIB": 1024 * MB,
}
LIBRARIES = ("pandas", "pyarrow", "duckdb", "scikit-learn", "regex", "click", "pyyaml", "dask")
GREP = "grep -c AMQ (scan floor)"
NAIVE = "naive Python parser"
STAGES: tuple[tuple[str, str], ...] = (
    ("mqtriage ingest --jobs 1", "ingest"),
    ("mqtriage ingest --jobs 2", "ingest"),
    ("mqtriage classify", "classify"),
    ("mqtriage timeline", "timeline"),
    ("mqtriage run (all stages)", "run"),
)
ROW_NAMES = (GREP, NAIVE, *(name for name, _ in STAGES))


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).upper() not in SIZE_UNITS:
        raise InputError(f"not a size: {text!r} (examples: 256MB, 2MB, 512K)")
    return int(float(m.group(1)) * SIZE_UNITS[m.group(2).upper()])


def human_size(n: int) -> str:
    return f"{n / MB:g} MB" if n >= MB else f"{n / 1024:g} KB"


@dataclass(frozen=True)
class Run:
    exit_code: int
    wall: float  # seconds
    max_rss_kb: int  # ru_maxrss of the child (largest process of its tree, Linux: KiB)
    stdout: str
    stderr_tail: str


TIME = "/usr/bin/time"


def run_measured(argv: Sequence[str], cwd: str | None = None) -> Run:
    """Run one subprocess; wall time from ``perf_counter``, peak RSS from ``os.wait4``.

    On Linux a child's ``ru_maxrss`` starts at its parent's high-water mark (it is carried over
    exec), so a direct child of this Python process never reports less than this process's own
    RSS.  When ``/usr/bin/time`` exists the command is started through it: it forks the command
    from its own small process and reports the command's peak RSS (``%M``), which is used instead.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".rss") as rss_file,
    ):
        wrapped = [TIME, "-q", "-o", rss_file.name, "-f", "%M", *argv] if Path(TIME).exists() else list(argv)
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(wrapped, stdout=out, stderr=err, cwd=cwd)
        except OSError as exc:
            return Run(127, 0.0, 0, "", f"cannot start {argv[0]}: {exc}")
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        rss_kb = int(usage.ru_maxrss)
        if len(wrapped) > len(argv):
            reported = Path(rss_file.name).read_text(encoding="ascii", errors="replace").split()
            if reported and reported[-1].isdigit():
                rss_kb = int(reported[-1])
        out.seek(0)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        return Run(proc.returncode, wall, rss_kb, out.read().decode("utf-8", "replace"), tail)


def mqtriage_argv() -> list[str]:
    script = Path(sys.executable).with_name("mqtriage")
    if script.exists():
        return [str(script)]
    found = shutil.which("mqtriage")
    if found:
        return [found]
    return [sys.executable, "-c", "from pipeline.cli import main; main()"]


def stage_available(command: str) -> bool:
    result = subprocess.run([*mqtriage_argv(), command, "--help"], capture_output=True, check=False)
    return result.returncode == 0


@dataclass
class Row:
    name: str
    available: bool = True
    note: str = ""
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.available and bool(self.runs) and all(r.exit_code == 0 for r in self.runs)

    @property
    def wall(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.ok else None

    @property
    def rss_mb(self) -> float | None:
        return max(r.max_rss_kb for r in self.runs) / 1024 if self.ok else None


@dataclass
class MemoryPoint:
    size_bytes: int
    corpus_bytes: int
    entries: int
    ingest: Row
    naive: Row
    run: Row


@dataclass
class BenchResult:
    corpus: CorpusInfo
    corpus_seconds: float
    repeat: int
    rows: list[Row]
    memory: list[MemoryPoint]
    machine: dict[str, str]
    parameters: str = ""

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "unknown"


def machine_description() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    memory = "unknown"
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(encoding="utf-8"))
        if m:
            memory = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        memory = "unknown"
    versions = []
    for lib in ("mqtriage", *LIBRARIES):
        try:
            versions.append(f"{lib} {metadata.version(lib)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{lib} (not installed)")
    grep = subprocess.run(["grep", "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": str(os.cpu_count() or "unknown"),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": ", ".join(versions),
        "grep": (grep.stdout.splitlines() or ["unknown"])[0],
    }


def _corpus_files(corpus: CorpusInfo) -> list[str]:
    return [str(p) for p in corpus.paths()]


def _grep(corpus: CorpusInfo) -> Run:
    run = run_measured(["env", "LC_ALL=C", "grep", "-c", "AMQ", *_corpus_files(corpus)])
    # grep exits 1 when a file has no match; that is not a failure of the scan.
    return Run(
        0 if run.exit_code in (0, 1) else run.exit_code, run.wall, run.max_rss_kb, run.stdout, run.stderr_tail
    )


def _naive(corpus: CorpusInfo) -> Run:
    return run_measured([sys.executable, "-m", "pipeline.samples.naive", *_corpus_files(corpus)])


def _fresh(work: Path, name: str) -> Path:
    out = work / name
    if out.exists():
        shutil.rmtree(out)
    return out


def measure(corpus: CorpusInfo, work: Path, repeat: int, stages: Sequence[str] | None = None) -> list[Row]:
    """Every row of the comparison table for one corpus."""
    mq = mqtriage_argv()
    rows = [Row(GREP), Row(NAIVE)]
    for _ in range(repeat):
        rows[0].runs.append(_grep(corpus))
        rows[1].runs.append(_naive(corpus))
    src = corpus.out_dir
    staged_out = work / "out-stages"
    for name, command in STAGES:
        row = Row(name)
        rows.append(row)
        if stages is not None and command not in stages:
            row.available, row.note = False, "skipped (--stages)"
            continue
        if not stage_available(command):
            row.available, row.note = False, "not available (no such command yet)"
            continue
        for i in range(repeat):
            if name == "mqtriage ingest --jobs 1":
                out = _fresh(work, f"out-ingest1-{i}")
                argv = [*mq, "ingest", src, "--out", str(out), "--tz", "UTC", "--jobs", "1"]
            elif name == "mqtriage ingest --jobs 2":
                out = _fresh(work, f"out-ingest2-{i}")
                argv = [*mq, "ingest", src, "--out", str(out), "--tz", "UTC", "--jobs", "2"]
            elif command == "run":
                out = _fresh(work, f"out-run-{i}")
                argv = [*mq, "run", src, "--out", str(out), "--tz", "UTC"]
            else:
                if not (staged_out / "events").exists():
                    ingest = run_measured([*mq, "ingest", src, "--out", str(staged_out), "--tz", "UTC"])
                    if ingest.exit_code != 0:
                        row.note = f"ingest for it failed (exit {ingest.exit_code}): {_last_line(ingest.stderr_tail)}"
                        break
                argv = [*mq, command, str(staged_out)]
            run = run_measured(argv)
            row.runs.append(run)
            if run.exit_code != 0:
                row.note = f"failed (exit {run.exit_code}): {_last_line(run.stderr_tail)}"
                break
            if command in ("ingest", "run"):
                shutil.rmtree(out, ignore_errors=True)
    return rows


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "no message")[:160]


def memory_check(
    sizes: Sequence[int], work: Path, seed: int, stages: Sequence[str] | None = None
) -> list[MemoryPoint]:
    mq = mqtriage_argv()
    points = []
    ingest_ok = stage_available("ingest")
    for size in sizes:
        folder = work / f"corpus-{size}"
        corpus = write_corpus(folder, size, seed)
        ingest = Row("mqtriage ingest --jobs 1")
        if ingest_ok:
            _measure_once(ingest, work, "out-memory", [*mq, "ingest", corpus.out_dir, "--jobs", "1"])
        else:
            ingest.available, ingest.note = False, "not available (no such command yet)"
        whole = Row("mqtriage run")
        if stages is not None and "run" not in stages:
            whole.available, whole.note = False, "skipped (--stages)"
        elif stage_available("run"):
            _measure_once(whole, work, "out-memory-run", [*mq, "run", corpus.out_dir])
        else:
            whole.available, whole.note = False, "not available (no such command yet)"
        naive = Row(NAIVE, runs=[_naive(corpus)])
        points.append(MemoryPoint(size, corpus.total_bytes, corpus.entries, ingest, naive, whole))
        shutil.rmtree(folder, ignore_errors=True)
    return points


def _measure_once(row: Row, work: Path, out_name: str, argv: list[str]) -> None:
    """One measured run of ``argv --out OUT --tz UTC`` into a fresh OUT (removed afterwards)."""
    out = _fresh(work, out_name)
    run = run_measured([*argv, "--out", str(out), "--tz", "UTC"])
    row.runs.append(run)
    if run.exit_code != 0:
        row.note = f"failed (exit {run.exit_code}): {_last_line(run.stderr_tail)}"
    shutil.rmtree(out, ignore_errors=True)


def run_bench(
    size: int,
    repeat: int = 3,
    # the generator writes ~90% of what is asked: 1150 MB gives more than 1 GiB
    memory_sizes: Sequence[int] = (128 * MB, 1150 * MB),
    workdir: str | Path | None = None,
    seed: int = 1,
    stages: Sequence[str] | None = None,
    keep: bool = False,
) -> BenchResult:
    if repeat < 1:
        raise InputError("--repeat must be at least 1")
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="mqtriage-bench-")) if own else Path(workdir)  # type: ignore[arg-type]
    work.mkdir(parents=True, exist_ok=True)
    parameters = (
        f"--size {human_size(size).replace(' ', '')} --repeat {repeat} --memory-sizes "
        f"{','.join(human_size(s).replace(' ', '') for s in memory_sizes) or 'none'} --seed {seed}"
        + (f" --stages {','.join(stages)}" if stages else "")
    )
    try:
        load_before = load_average()
        start = time.perf_counter()
        corpus = write_corpus(work / "corpus", size, seed)
        corpus_seconds = time.perf_counter() - start
        rows = measure(corpus, work, repeat, stages)
        memory = memory_check(memory_sizes, work, seed, stages)
        machine = machine_description()
        machine["load"] = f"{load_before} before, {load_average()} after"
        return BenchResult(corpus, corpus_seconds, repeat, rows, memory, machine, parameters)
    finally:
        if own and not keep:
            shutil.rmtree(work, ignore_errors=True)


# --- presentation --------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table_rows(result: BenchResult) -> list[list[str]]:
    corpus_mb = result.corpus.total_bytes / MB
    grep = result.row(GREP).wall
    out = []
    for row in result.rows:
        wall = row.wall
        out.append(
            [
                row.name,
                _fmt(wall, ".2f"),
                _fmt(corpus_mb / wall if wall else None, ".1f"),
                _fmt(result.corpus.entries / wall if wall else None, ",.0f"),
                _fmt(row.rss_mb, ".0f"),
                _fmt(wall / grep if wall and grep else None, ".1f"),
                row.note or ("ok" if row.ok else "failed"),
            ]
        )
    return out


HEAD = ["measurement", "median wall s", "MB/s", "entries/s", "peak RSS MB", "x grep", "note"]

# The targets of the performance issue, checked against each bench run.
TARGET_INGEST_MBS = 80.0
TARGET_RUN_MBS = 40.0
TARGET_JOBS2_SPEEDUP = 1.7
TARGET_RSS_MB = 400.0
FLAT_GROWTH = 1.25  # "not growing": peak at the largest memory size at most this times the smallest's


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "NOT met")


def target_rows(result: BenchResult) -> list[list[str]]:
    """[target, measured, verdict] for each target of the performance issue."""
    corpus_mb = result.corpus.total_bytes / MB
    grep = result.row(GREP).wall

    def speed(name: str) -> tuple[float | None, str]:
        wall = result.row(name).wall
        if wall is None:
            return None, "not measured"
        ratio = f", {wall / grep:.0f}x the grep time" if grep else ""
        return corpus_mb / wall, f"{corpus_mb / wall:.1f} MB/s{ratio}"

    ingest, ingest_text = speed("mqtriage ingest --jobs 1")
    run, run_text = speed("mqtriage run (all stages)")
    one, two = result.row("mqtriage ingest --jobs 1").wall, result.row("mqtriage ingest --jobs 2").wall
    speedup = one / two if one and two else None
    rows = [
        [f"ingest --jobs 1 >= {TARGET_INGEST_MBS:.0f} MB/s", ingest_text,
         _verdict(None if ingest is None else ingest >= TARGET_INGEST_MBS)],
        [f"run >= {TARGET_RUN_MBS:.0f} MB/s", run_text, _verdict(None if run is None else run >= TARGET_RUN_MBS)],
        [f"ingest --jobs 2 >= {TARGET_JOBS2_SPEEDUP}x --jobs 1", _fmt(speedup, ".2f") + "x",
         _verdict(None if speedup is None else speedup >= TARGET_JOBS2_SPEEDUP)],
    ]  # fmt: skip
    points = [p for p in result.memory if p.ingest.ok or p.run.ok]
    if points:
        peaks = [max(v for v in (p.ingest.rss_mb, p.run.rss_mb) if v is not None) for p in points]
        small, large = points[0], points[-1]
        rows.append(
            [
                f"peak RSS < {TARGET_RSS_MB:.0f} MB at {large.corpus_bytes / MB:.0f} MB (ingest and run)",
                f"{peaks[-1]:.0f} MB",
                _verdict(peaks[-1] < TARGET_RSS_MB),
            ]
        )
        rows.append(
            [
                f"peak RSS not growing ({small.corpus_bytes / MB:.0f} MB -> {large.corpus_bytes / MB:.0f} MB input)",
                f"{peaks[0]:.0f} -> {peaks[-1]:.0f} MB",
                _verdict(len(points) > 1 and peaks[-1] <= FLAT_GROWTH * peaks[0])
                if len(points) > 1
                else "not measured",
            ]
        )
    return rows


def render_text_table(result: BenchResult) -> str:
    rows = [HEAD, *table_rows(result)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    c = result.corpus
    lines.insert(
        0,
        f"corpus: {c.total_bytes / MB:.1f} MB, {c.entries:,} entries, {len(c.files)} files, "
        f"{c.queue_managers} queue managers; medians of {result.repeat} run(s)",
    )
    for p in result.memory:
        lines.append(
            f"memory @ {human_size(p.size_bytes)}: ingest --jobs 1 peak RSS {_fmt(p.ingest.rss_mb, '.0f')} MB"
            f" ({p.ingest.note or 'ok'}), run {_fmt(p.run.rss_mb, '.0f')} MB ({p.run.note or 'ok'}),"
            f" naive parser {_fmt(p.naive.rss_mb, '.0f')} MB"
        )
    lines.extend(
        f"target: {target}: {measured} ({verdict})" for target, measured, verdict in target_rows(result)
    )
    return "\n".join(lines) + "\n"


def _md(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


KEEP_MARKER = "<!-- Everything below this line is kept when make bench rewrites the file. -->"


def _kept_notes(doc: Path) -> str:
    """Hand-written measurements after KEEP_MARKER survive a regeneration of the bench tables."""
    if not doc.exists():
        return ""
    text = doc.read_text(encoding="utf-8")
    at = text.find(KEEP_MARKER)
    return "" if at < 0 else "\n" + text[at:]


def render_markdown(result: BenchResult) -> str:
    c, m = result.corpus, result.machine
    json_share = c.bytes_of(".json") / c.total_bytes if c.total_bytes else 0.0
    lines = [
        "# Performance",
        "",
        "Generated by `python -m pipeline.bench` (`make bench`); do not edit by hand - re-run it.",
        "",
        "## Machine",
        "",
        f"- CPUs (nproc): {m['nproc']}; CPU: {m['cpu']}",
        f"- Memory: {m['memory']}; OS: {m['os']}",
        f"- {m['python']}; {m['grep']}",
        f"- Libraries: {m['libraries']}",
        f"- Measured: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `python -m pipeline.bench "
        f"{result.parameters}`",
        f"- Load average (1, 5, 15 min): {m.get('load', 'unknown')} - other work on the machine slows",
        "  every row alike, so compare rows with each other rather than across runs.",
        "",
        "## Corpus",
        "",
        f"`pipeline.samples.corpus.write_corpus(size={human_size(c.target_bytes)}, seed={c.seed})`: "
        f"{c.total_bytes / MB:.1f} MB in {len(c.files)} files, {c.entries:,} log entries, "
        f"{c.queue_managers} queue managers, {c.episodes} failure episodes, simulated "
        f"{c.first:%Y-%m-%d %H:%M} to {c.last:%Y-%m-%d %H:%M} UTC; JSON {json_share:.0%} of the bytes, "
        f"text the rest. Written in {result.corpus_seconds:.1f} s.",
        "",
        f"## Throughput (medians of {result.repeat} run(s))",
        "",
        _md(HEAD),
        _md(["---"] * len(HEAD)),
        *(_md(r) for r in table_rows(result)),
        "",
        "MB/s and entries/s are corpus bytes and corpus log entries divided by the wall time, for every",
        "row alike (classify and timeline read Parquet, not the corpus: their MB/s is an equivalent).",
        "`x grep` is the wall time relative to `grep -c AMQ` over the same files.",
        "",
        "## Targets",
        "",
        "The performance issue's targets against this run (MB/s on one core of this machine; \"not",
        f"growing\" means the larger corpus's peak is at most {FLAT_GROWTH}x the smaller one's).",
        "",
        _md(["target", "measured", "verdict"]),
        _md(["---"] * 3),
        *(_md(r) for r in target_rows(result)),
        "",
        "## Memory check",
        "",
        "Peak RSS of `mqtriage ingest --jobs 1`, of the whole `mqtriage run` (ingest, classify, timeline",
        "and report in one process, so its peak is the largest of the stages) and of the naive parser",
        "at two corpus sizes; flat streaming shows as an RSS that does not grow with the input.",
        "",
        _md(
            [
                "corpus",
                "entries",
                "ingest wall s",
                "ingest peak RSS MB",
                "run wall s",
                "run peak RSS MB",
                "naive wall s",
                "naive peak RSS MB",
            ]
        ),
        _md(["---"] * 8),
    ]
    for p in result.memory:
        lines.append(
            _md(
                [
                    f"{p.corpus_bytes / MB:.1f} MB",
                    f"{p.entries:,}",
                    _fmt(p.ingest.wall, ".1f"),
                    _fmt(p.ingest.rss_mb, ".0f") if p.ingest.ok else (p.ingest.note or "failed"),
                    _fmt(p.run.wall, ".1f"),
                    _fmt(p.run.rss_mb, ".0f") if p.run.ok else (p.run.note or "failed"),
                    _fmt(p.naive.wall, ".1f"),
                    _fmt(p.naive.rss_mb, ".0f"),
                ]
            )
        )
    lines += [
        "",
        "## Corpus model (assumptions)",
        "",
        "- 40 queue managers with Zipf-like volumes (exponent 0.9, shuffled): a few noisy ones, many",
        "  quiet ones. One in five writes MQ 9.0 logs (no severity letter, no Time() or inserts, local",
        "  time, `mqtriage.tz` beside `errors/`): half German (`DD.MM.YYYY`, Europe/Berlin, cp1252),",
        "  half US (`MM/DD/YY`, America/New_York). The others write 9.2-9.4 logs with inserts in UTC.",
        "- Some 9.x queue managers also write JSON twins of their text log, chosen so JSON is about 20%",
        "  of the bytes. Each log rotates at its own ErrorLogSize (budget / 2.2, between 32 KiB and",
        "  32 MiB): AMQERR01 -> 02 -> 03, the oldest dropped, as MQ does.",
        "- Each queue manager has 3-5 sender channels to others and an SVRCONN. Per simulated hour:",
        "  load-balancer probes (AMQ9209 + AMQ9228) every 10 minutes on an average queue manager, healthy",
        "  channel runs (AMQ9002, AMQ9545, AMQ9001 on both ends), AMQ7467 every 4 hours, and failure",
        "  episodes (3.5% per sender channel per hour, scaled by volume) of 15-120 minutes: cipher,",
        "  SSLPEER, expired or untrusted certificate, missing client certificate, TLS policy, channel",
        "  not defined, refused, unreachable, connection reset - retried on SHORTRTY(10) SHORTTMR(60)",
        "  LONGTMR(120) with entries at both ends - and CHLAUTH blocks on the SVRCONN.",
        "- The simulation runs one hour at a time and streams entries to their files, so generating",
        "  any size takes flat memory; it stops each log when its byte budget is reached.",
        "",
        "## Method and assumptions",
        "",
        "- Every measurement is a subprocess; wall time is `time.perf_counter()` around it and peak RSS",
        "  is `ru_maxrss` from `os.wait4` (Linux: KiB). For a process tree (`--jobs 2`) that is the",
        "  largest single process of the tree that was waited for, not the sum of the workers.",
        "- `grep -c AMQ` runs with `LC_ALL=C` over the corpus files: the cost of reading the bytes once.",
        "- The naive parser (`pipeline/samples/naive.py`) is what a user writes first: `readline()`, one",
        "  regex per line, a dict per entry, all entries kept in a list; JSON lines with `json.loads`.",
        "  It is not robust (lossy decoding, no rotation order, no dedup) and writes nothing.",
        "- Ingest runs start from an empty output folder each time (otherwise they are incremental",
        "  no-ops); classify and timeline run on one ingested folder; `run` is ingest + classify +",
        "  timeline + report summary from scratch. All with `--tz UTC` (9.0 logs carry `mqtriage.tz`).",
        "- The page cache is warm after the first run; medians hide the cold first read.",
        "- A stage missing from the CLI is reported as not available; rerun `make bench` when it lands.",
        "",
    ]
    return "\n".join(lines)


@click.command()
@click.option("--size", default="256MB", show_default=True, help="Corpus size (e.g. 256MB, 2MB).")
@click.option(
    "--repeat",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Runs per measurement; the table shows medians.",
)
@click.option(
    "--memory-sizes",
    default="128MB,1150MB",
    show_default=True,
    help="Comma-separated corpus sizes for the memory check, or 'none'.",
)
@click.option(
    "--out-doc",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the Markdown report here (e.g. docs/performance.md).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write corpora and outputs (default: a temporary folder, removed after).",
)
@click.option("--seed", default=1, show_default=True, help="Corpus seed.")
@click.option(
    "--stages", default=None, help="Only these mqtriage commands, comma-separated (ingest,run,...)."
)
def main(
    size: str,
    repeat: int,
    memory_sizes: str,
    out_doc: str | None,
    workdir: str | None,
    seed: int,
    stages: str | None,
) -> None:
    """Benchmark mqtriage against grep and a naive parser on a generated corpus."""
    try:
        sizes = (
            [] if memory_sizes.strip().lower() == "none" else [parse_size(s) for s in memory_sizes.split(",")]
        )
        result = run_bench(
            parse_size(size), repeat, sizes, workdir, seed, stages.split(",") if stages else None
        )
    except MQTriageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(render_text_table(result), nl=False)
    if out_doc:
        Path(out_doc).write_text(render_markdown(result) + _kept_notes(Path(out_doc)), encoding="utf-8")
        click.echo(f"wrote {out_doc}")


if __name__ == "__main__":
    main()
