"""The same report as Markdown (tables escaped cell by cell) and as a plain terminal summary."""

from __future__ import annotations

import pandas as pd

from pipeline.report.data import ReportData
from pipeline.report.escape import md, term

TIME = "%Y-%m-%d %H:%M:%S"


def _t(stamp: object) -> str:
    return stamp.strftime(TIME) if isinstance(stamp, pd.Timestamp) and not pd.isna(stamp) else ""


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(md(x) for x in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def render_markdown(data: ReportData) -> str:
    eps = data.episodes
    out = ["# mqtriage incident report", ""]
    out.append(f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC." + (
        f" Filtered to {md(data.filters.describe())}." if data.filters.describe() else ""))
    out += ["", "## Summary", ""]
    ends = int(eps[["qmgr", "channel"]].drop_duplicates().shape[0]) if len(eps) else 0
    out.append(f"- Channels failed: {len(data.channels)} ({ends} channel ends, {len(eps)} episodes, "
               f"{data.unresolved()} not resolved)")
    window = data.window()
    if window:
        out.append(f"- Window: {_t(window[0])} to {_t(window[1])} UTC")
    out.append("")
    if not eps.empty:
        out += _table(["Phase", "Channels", "Episodes"], [list(x) for x in data.phase_counts()])
        out += _table(["Cause", "Phase", "Channels", "Episodes", "Usually fixed on"], [
            [c, p, ch, n, (data.vocab.get(c).fix_side if data.vocab.get(c) else "unknown")]  # type: ignore[union-attr]
            for c, p, ch, n in data.top_causes()
        ])
    out += ["## Preflight", ""]
    pre = data.preflight
    if pre is None or (pre.findings is None and pre.expiry is None and not pre.other):
        out += ["No preflight results in this output folder.", ""]
    else:
        findings = data.preflight_findings()
        if findings is not None:
            out += [f"### Predicted failures ({len(findings)})", ""]
            out += _table(list(map(str, findings.columns)), [list(r) for r in findings.itertuples(index=False)])
        expiry = data.preflight_expiry()
        if expiry is not None:
            out += [f"### Certificates ({len(expiry)}), soonest expiry first", ""]
            out += _table(list(map(str, expiry.columns)),
                          [[_t(v) if isinstance(v, pd.Timestamp) else v for v in r]
                           for r in expiry.itertuples(index=False)])
        if pre.other:
            out += ["Also in OUT/preflight: " + md(", ".join(f"{n} ({len(f)} rows)" for n, f in pre.other.items())), ""]
    out += ["## Episodes", ""]
    outcomes = data.outcomes()
    shown, omitted = data.table_episodes()
    if eps.empty:
        out += ["No channel failures in the selected data.", ""]
    else:
        out += _table(
            ["Start", "End", "Queue manager", "Channel", "Partner", "Phase", "Cause", "Cause side", "This end logged",
             "Decisive entry", "Entries", "Attempts", "Resolved"],
            [[_t(r.start), _t(r.end), r.qmgr, r.channel, r.partner_qmgr, r.phase, r.cause, r.cause_side, r.local_cause,
              r.decisive_msg_id, int(r.event_count) + int(r.status_rows), int(r.retry_count),
              data.outcome_text(r, outcomes)] for r in shown.drop(columns=["msg_ids"]).itertuples()],
        )
        if omitted:
            out += [f"The {len(shown)} most recent of {len(eps)} episodes are listed; all are in OUT/episodes.", ""]
        out += ["## What to check", ""]
        for cause in data.causes_present():
            entry = data.vocab.get(cause)
            out += [f"### {md(cause)} ({md(data.vocab.phase_of(cause))})", ""]
            if entry:
                out += [f"- **Meaning:** {md(entry.meaning)}", f"- **Check:** {md(entry.check)}",
                        f"- **Usually fixed on:** {md(entry.fix_side)}"]
            for place in data.where_to_look(cause):
                out.append(f"- **Where:** {md(place)}")
            out.append("")
    groups = data.stats.get("unplaced") or []
    if groups:
        out += ["## Entries that name no channel", ""]
        out += _table(["Queue manager", "Message", "Cause", "Remote address", "Entries", "First", "Last"],
                      [[g.get("qmgr"), g.get("msg_id"), g.get("cause"), g.get("remote_address"), g.get("count"),
                        g.get("first"), g.get("last")] for g in groups])
    return "\n".join(out).rstrip() + "\n"


def channel_lines(data: ReportData) -> list[dict[str, str]]:
    """One line per channel and cause: both ends folded together, as the terminal summary shows them."""
    outcomes = data.outcomes()
    lines = []
    for (channel, cause), group in data.episodes.groupby(["channel", "cause"], sort=False):
        states = {outcomes.get(e, "open") for e in group["episode_id"]}
        if "open" in states:
            state = "NOT RESOLVED"
        elif "superseded" in states:
            state = "then a new cause"
        else:
            state = f"resolved {group['resolved_at'].max():%H:%M}"
        local = group[group["cause_side"] == "local"]
        logged = ", ".join(dict.fromkeys(local["qmgr"].tolist())) or "-"
        first = data.representative(group)
        lines.append({
            "when": f"{group['start'].min():%m-%d %H:%M}-{group['end'].max():%H:%M}",
            "channel": str(channel), "phase": str(group["phase"].iloc[0]), "cause": str(cause),
            "logged": logged, "state": state, "fix": data.fix_place(first),
        })
    return lines


def render_text(data: ReportData) -> str:
    """A short plain summary for a terminal: counts, then one line per failing channel and cause."""
    eps = data.episodes
    ends = int(eps[["qmgr", "channel"]].drop_duplicates().shape[0]) if len(eps) else 0
    lines = [f"{len(data.channels)} channels failed ({ends} channel ends, {len(eps)} episodes, "
             f"{data.unresolved()} not resolved)"]
    if data.filters.describe():
        lines.append(f"filtered to {term(data.filters.describe())}")
    if eps.empty:
        return "\n".join(lines) + "\n"
    lines.append("by phase: " + ", ".join(f"{p} {c}" for p, c, _ in data.phase_counts()))
    lines.append("")
    rows = [{k: term(v) for k, v in line.items()} for line in channel_lines(data)]
    headers = {"when": "when (UTC)", "channel": "channel", "phase": "phase", "cause": "cause",
               "logged": "logged by", "state": "outcome", "fix": "usually fixed on"}
    widths = {k: max(len(headers[k]), *(len(r[k]) for r in rows)) for k in headers}
    lines.append("  ".join(headers[k].ljust(widths[k]) for k in headers).rstrip())
    for row in rows:
        lines.append("  ".join(row[k].ljust(widths[k]) for k in headers).rstrip())
    return "\n".join(lines) + "\n"
