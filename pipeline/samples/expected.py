"""``data/samples/EXPECTED.md``: the truth the scenario tests of classify and timeline check.

Generated from the same :class:`~pipeline.samples.scenario.Scenario` that wrote the logs, so it
cannot disagree with them.  Tests can also import the truth directly:
``pipeline.samples.scenario.build().truths``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pipeline.samples.scenario import Scenario

if TYPE_CHECKING:
    from pipeline.samples.generate import SampleFile


def _t(when: datetime | None) -> str:
    if when is None:
        return "-"
    return when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def expected_markdown(sc: Scenario, files: Sequence[SampleFile]) -> str:
    out = [
        "# Expected results for `data/samples/` (generated - do not edit)",
        "",
        "Written by `python -m pipeline.samples` from `pipeline/samples/scenario.py` together with the",
        "logs, so the two cannot drift; `tests/samples/` fails if this folder differs from a fresh",
        "generation. The scenario is described in `docs/samples.md`; this file is its exact outcome.",
        "",
        "Conventions:",
        "",
        "- All times are UTC on 2026-11-20 (QMC's log writes them as Europe/Berlin local time, UTC+1).",
        "  Times carry milliseconds from `Time()`/`ibm_datetime`; QMC's 9.0 headers have whole",
        "  seconds only, so compare QMC's times truncated to the second.",
        "- One row per failing **channel end** (a queue manager's view of one episode).",
        "- `start` = time of the first failure entry at that end; `end` = time of the last failure",
        "  entry at that end (the AMQ9999 after the last attempt, where there is one).",
        "- `resolved_at` = the AMQ9002 at that end that ends the outage; `-` when the channel was",
        "  stopped (AMQ9528) or never recovered, or when the next episode is a new cause (row 1 -> 1b).",
        "- `attempts` = connection attempts at that end (one per 60 s retry).",
        "- `cause_side` = `local` when this end's own log holds the decisive entry, `remote` when it",
        "  holds only the echo (AMQ9641, AMQ9643, AMQ9665) and the partner's log holds the cause.",
        "- `decisive` = queue manager and message id of the entry that decides phase and cause.",
        "- QMB writes every entry twice, in `AMQERR01.LOG` and in `AMQERR01.json`: counts below are",
        "  per file, not summed.",
        "",
        "## Episodes",
        "",
        "| row | qmgr | channel | type | partner | start | end | attempts | resolved_at | phase | cause | "
        "cause_side | decisive | local messages | fix |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in sc.truths:
        out.append(
            f"| {t.row} | {t.qmgr} | {t.channel} | {t.chltype} | {t.partner_qmgr or '-'} | {_t(t.start)} | "
            f"{_t(t.end)} | {t.attempts} | {_t(t.resolved_at)} | {t.phase} | {t.cause} | {t.cause_side} | "
            f"{t.decisive_qmgr} {t.decisive_msg_id} | {', '.join(t.local_msg_ids)} | {_cell(t.fix)} |"
        )
    out += ["", "Notes per row:", ""]
    for t in sc.truths:
        if t.note:
            out.append(f"- row {t.row}, {t.qmgr} {t.channel}: {t.note}")
    out += [
        "",
        "## Entries that are not channel failures",
        "",
        f"- Listener probes (row 9): {sc.noise['listener_probes']} pairs of AMQ9209 + AMQ9228 on QMA from",
        "  10.1.0.250, every 10 minutes from 06:10 to 17:20, same process and thread, 2 ms apart, channel",
        "  `????` - cause `listener_probe`, no episode.",
        f"- QMA.QMB.DR (row 10): {sc.noise['multi_address_9202']} starts (07:30 and 13:15), each an AMQ9202",
        "  (errno 110) for `qmb-dr.example.com` followed within a second by AMQ9002 from the same",
        "  process - not a failure, no episode; each run ends normally (AMQ9001).",
        "- QMA.QMB ran 06:05-07:45 (AMQ9002 ... AMQ9001 on both ends) before its outage.",
        "- Operator stops (AMQ9528, cause `channel_stopped`): QMC QMC.QMA 13:00:20, QMC QMC.QMB 15:00:20,",
        "  QMA QMA.QMD 17:00:15.",
        "- Start-up of every queue manager at 06:00 (AMQ8003, AMQ5051 x3, AMQ9410 on QMA/QMB, AMQ5026)",
        "  and AMQ7467 log-extent notices at 06:00, 10:00 and 14:00 - `informational`. QMC writes its",
        "  start-up and AMQ7467 entries in German (`ERKLÄRUNG:` / `AKTION:`).",
        "",
        "## Exports",
        "",
        "- `exports/last_error.csv`: one row per failing channel end at its last failure (status as seen",
        "  then), plus the Java client's row for APP.SVRCONN (JMSWMQ2013 ... reason '2035'); extra",
        "  column `team`.",
        "- `exports/QMA.chstatus.txt`: DISPLAY CHSTATUS(*) ALL on QMA at 16:30 - QMA.QMD `RETRYING`,",
        "  QMA.QMB, QMA.QMC and QMB.QMA `RUNNING`.",
        "- `exports/QMB.events.json`: one Channel SSL Error event per failed attempt of rows 1",
        "  (`SSL Cipher Spec Error`) and 1b (`SSL Peer Name Error`, with `sslPeerName`).",
        "",
        "## Files",
        "",
        "| file | kind | encoding | bytes | entries/rows | first (UTC) | last (UTC) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in files:
        out.append(
            f"| `{f.path}` | {f.kind} | {f.encoding} | {len(f.data)} | {f.entries} | {_t(f.first)} | "
            f"{_t(f.last)} |"
        )
    out += [
        "",
        "## Log entries per message id",
        "",
        "| msg_id | QMA (01+02) | QMB (each file) | QMC |",
        "|---|---|---|---|",
    ]
    counts = {qm: Counter(e.msg_id for e in sc.entries[qm]) for qm in ("QMA", "QMB", "QMC")}
    for msg_id in sorted(set().union(*counts.values())):
        out.append(
            f"| {msg_id} | {counts['QMA'][msg_id]} | {counts['QMB'][msg_id]} | {counts['QMC'][msg_id]} |"
        )
    totals = " | ".join(str(sum(counts[q].values())) for q in ("QMA", "QMB", "QMC"))
    out.append(f"| total | {totals} |")
    return "\n".join(out) + "\n"
