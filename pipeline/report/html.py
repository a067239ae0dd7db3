"""The self-contained HTML report: inline CSS, inline SVG, one small inline script, no fetches.

A Content-Security-Policy in the page allows only that one script (by hash), inline styles and
data: images, and nothing from the network - a second line of defence behind the escaping.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from string import Template

import pandas as pd

from pipeline import __version__
from pipeline.report.data import ReportData
from pipeline.report.escape import h
from pipeline.report.svg import channel_chart, legend

TIME = "%Y-%m-%d %H:%M:%S"


def _asset(name: str) -> str:
    return resources.files("pipeline.report").joinpath("templates", name).read_text(encoding="utf-8")


def _t(stamp: object) -> str:
    return stamp.strftime(TIME) if isinstance(stamp, pd.Timestamp) and not pd.isna(stamp) else ""


def _phase(phase: object) -> str:
    return f'<span class="phase phase-{h(phase)}">{h(phase)}</span>'


def _table(headers: list[str], rows: list[list[str]], table_id: str = "", numeric: frozenset[int] = frozenset()) -> str:
    """Cells must already be escaped HTML."""
    head = "".join(f"<th>{h(name)}</th>" for name in headers)
    body = []
    for cells in rows:
        body.append("<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(cells)
        ) + "</tr>")
    ident = f' id="{h(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary(data: ReportData) -> str:
    eps = data.episodes
    window = data.window()
    cards = [
        ("channels failed", len(data.channels)),
        ("channel ends", int(eps[["qmgr", "channel"]].drop_duplicates().shape[0]) if len(eps) else 0),
        ("episodes", len(eps)),
        ("not resolved", data.unresolved()),
    ]
    parts = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    parts += [f'<div class="card"><b>{value}</b>{h(label)}</div>' for label, value in cards]
    parts.append("</div>")
    if eps.empty:
        parts.append('<p class="note">No channel failures in the selected data.</p></section>')
        return "".join(parts)
    if window:
        parts.append(f'<p class="muted">Failures between {h(_t(window[0]))} and {h(_t(window[1]))} UTC.</p>')
    parts.append("<h3>By phase</h3>")
    parts.append(_table(
        ["Phase", "Channels", "Episodes", "What it means"],
        [[_phase(p), str(c), str(n), h(data.vocab.phases.get(p, ""))] for p, c, n in data.phase_counts()],
        numeric=frozenset({1, 2}),
    ))
    parts.append("<h3>Top causes</h3>")
    rows = []
    for cause, phase, channels, episodes in data.top_causes():
        entry = data.vocab.get(cause)
        rows.append([f'<a href="#check-{h(cause)}">{h(cause)}</a>', _phase(phase), str(channels), str(episodes),
                     h(entry.fix_side if entry else "unknown")])
    parts.append(_table(["Cause", "Phase", "Channels", "Episodes", "Usually fixed on"], rows,
                        numeric=frozenset({2, 3})))
    parts.append("</section>")
    return "".join(parts)


def _frame_table(frame: pd.DataFrame) -> str:
    rows = [[h(_t(v) if isinstance(v, pd.Timestamp) else v) for v in row] for row in frame.itertuples(index=False)]
    return _table([str(c) for c in frame.columns], rows)


def _preflight(data: ReportData) -> str:
    parts = ['<section id="preflight"><h2>Preflight</h2>']
    pre = data.preflight
    if pre is None or (pre.findings is None and pre.expiry is None and not pre.other):
        parts.append('<p class="note">No preflight results in this output folder. '
                     "<code>mqtriage preflight</code> predicts failures from channel definitions and "
                     "certificates before they show in the logs.</p></section>")
        return "".join(parts)
    findings = data.preflight_findings()
    if findings is not None:
        parts.append(f"<h3>Predicted failures ({len(findings)})</h3>")
        if findings.empty:
            parts.append('<p class="note">Preflight found no problems.</p>')
        else:
            parts.append('<p class="muted">From the channel definitions, CHLAUTH rules and certificates; '
                         "<em>seen in logs</em> tells whether an episode of that channel shows the same cause.</p>")
            parts.append(_frame_table(findings))
    expiry = data.preflight_expiry()
    if expiry is not None:
        parts.append(f"<h3>Certificates ({len(expiry)}), soonest expiry first</h3>")
        parts.append(_frame_table(expiry))
    if pre.other:
        listed = ", ".join(f"{name} ({len(frame)} rows)" for name, frame in pre.other.items())
        parts.append(f'<p class="muted">Also in OUT/preflight: {h(listed)} - query them with '
                     "<code>mqtriage query</code> (views <code>preflight_&lt;name&gt;</code>).</p>")
    parts.append("</section>")
    return "".join(parts)


def _timelines(data: ReportData) -> str:
    parts = ['<section id="timelines"><h2>Timelines</h2>']
    if data.episodes.empty:
        parts.append('<p class="note">Nothing to draw.</p></section>')
        return "".join(parts)
    parts.append(legend())
    channels, omitted = data.chart_channels()
    if omitted:
        parts.append(f'<p class="note">{omitted} more channels failed; the {len(channels)} that failed most '
                     "recently are drawn. Use <code>--channel</code> to pick others.</p>")
    for number, channel in enumerate(channels):
        sub = data.episodes[data.episodes["channel"] == channel]
        ends = sorted(sub["qmgr"].unique().tolist())
        causes = ", ".join(dict.fromkeys(sub["cause"].tolist()))
        parts.append(f'<h3 id="chan-{number}">{h(channel)}</h3>')
        parts.append(f'<p class="muted">Ends: {h(" and ".join(ends))}. Causes: {h(causes)}.</p>')
        parts.append(f'<div class="chart">{channel_chart(channel, sub, f"chart-{number}")}</div>')
    parts.append("</section>")
    return "".join(parts)


def _episodes(data: ReportData) -> str:
    parts = ['<section id="episodes"><h2>Episodes</h2>']
    if data.episodes.empty:
        parts.append('<p class="note">No episodes.</p></section>')
        return "".join(parts)
    parts.append('<p><label>Filter rows: <input id="episode-filter" type="search" '
                 'placeholder="queue manager, channel, cause..."></label></p>')
    head = ["Start", "End", "Queue manager", "Channel", "Partner", "Phase", "Cause", "Cause side",
            "This end logged", "Decisive entry", "Entries", "Attempts", "Resolved"]
    body = []
    outcomes = data.outcomes()
    shown, omitted = data.table_episodes()
    if omitted:
        parts.append(f'<p class="note">The {len(shown)} most recent of {len(data.episodes)} episodes; all are in '
                     "OUT/episodes (<code>mqtriage query OUT \"SELECT * FROM episodes\"</code>).</p>")
    for row in shown.drop(columns=["msg_ids"]).itertuples():
        resolved = data.outcome_text(row, outcomes)
        cells = [
            h(_t(row.start)), h(_t(row.end)), h(row.qmgr), f"<code>{h(row.channel)}</code>", h(row.partner_qmgr),
            _phase(row.phase), f'<a href="#check-{h(row.cause)}">{h(row.cause)}</a>',
            f'<span class="side-{h(row.cause_side)}">{h(row.cause_side)}</span>', h(row.local_cause),
            h(row.decisive_msg_id), str(int(row.event_count) + int(row.status_rows)), str(int(row.retry_count)),
            h(resolved),
        ]
        klass = ' class="unresolved"' if outcomes.get(row.episode_id) == "open" else ""
        body.append(f'<tr{klass} title="{h(row.summary)}">' + "".join(
            f'<td class="num">{c}</td>' if i in (10, 11) else (f'<td class="t">{c}</td>' if i in (0, 1, 3, 12) else f"<td>{c}</td>")
            for i, c in enumerate(cells)
        ) + "</tr>")
    parts.append('<div class="wide"><table id="episode-table"><thead><tr>' + "".join(f"<th>{h(x)}</th>" for x in head)
                 + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")
    parts.append("</section>")
    return "".join(parts)


def _checks(data: ReportData) -> str:
    parts = ['<section id="checks"><h2>What to check</h2>']
    causes = data.causes_present()
    if not causes:
        parts.append('<p class="note">Nothing to check.</p></section>')
        return "".join(parts)
    for cause in causes:
        entry = data.vocab.get(cause)
        parts.append(f'<div class="check" id="check-{h(cause)}"><h3>{h(cause)} '
                     f'{_phase(data.vocab.phase_of(cause))}</h3><dl>')
        if entry:
            parts.append(f"<dt>What it means</dt><dd>{h(entry.meaning)}</dd>")
            parts.append(f"<dt>What to check</dt><dd>{h(entry.check)}</dd>")
            parts.append(f"<dt>Usually fixed on</dt><dd>{h(entry.fix_side)}</dd>")
        else:
            parts.append("<dt>What it means</dt><dd>Not in the cause vocabulary (rules/causes.yaml).</dd>")
        places = "".join(f"<li>{h(place)}</li>" for place in data.where_to_look(cause))
        parts.append(f"<dt>Where, in this data</dt><dd><ul>{places}</ul></dd></dl></div>")
    parts.append("</section>")
    return "".join(parts)


def _unplaced(data: ReportData) -> str:
    groups = data.stats.get("unplaced") or []
    if not groups:
        return ""
    parts = ['<section id="unplaced"><h2>Entries that name no channel</h2>',
             '<p class="muted">Failure and probe entries that could not be tied to a channel by process or by '
             "partner address (for example listener probes from health checks).</p>"]
    rows = [[h(g.get("qmgr")), h(g.get("msg_id")), h(g.get("cause")), h(g.get("remote_address")),
             str(int(g.get("count", 0))), h(g.get("first")), h(g.get("last"))] for g in groups]
    parts.append(_table(["Queue manager", "Message", "Cause", "Remote address", "Entries", "First", "Last"], rows,
                        numeric=frozenset({4})))
    parts.append("</section>")
    return "".join(parts)


def render_html(data: ReportData) -> str:
    title = "mqtriage incident report"
    filters = data.filters.describe()
    meta = [f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC by mqtriage {h(__version__)}"]
    if filters:
        meta.append(f"filtered to {h(filters)}")
    body = "".join([
        f"<header><h1>{h(title)}</h1><p class=\"meta\">{'; '.join(meta)}.</p></header>",
        _summary(data),
        _preflight(data),
        _timelines(data),
        _episodes(data),
        _checks(data),
        _unplaced(data),
    ])
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           "base-uri 'none'; form-action 'none'")
    return Template(_asset("report.html")).substitute(
        csp=csp, version=h(__version__), title=h(title), style=_asset("report.css"), body=body, script=script,
    )
