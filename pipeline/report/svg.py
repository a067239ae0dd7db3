"""Inline SVG timeline charts: one per channel, one lane per queue manager end, on one time axis."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.report.escape import h

PHASE_COLOURS = {"network": "#2f6db5", "handshake": "#c8362f", "post_tls": "#d9820f", "other": "#6f6f6f"}
RESOLVED_COLOUR = "#1d8a3a"

WIDTH = 880
LEFT = 130          # lane labels
RIGHT = 24
TOP = 12
LANE = 38
BAR = 20
AXIS = 34

_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200)


def _seconds(stamp: pd.Timestamp) -> float:
    return stamp.value / 1e9


def _ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    span_min = max((hi - lo) / 60.0, 1.0)
    step = next((s for s in _STEPS_MIN if span_min / s <= most), _STEPS_MIN[-1]) * 60.0
    first = math.ceil(lo / step) * step
    count = int((hi - first) // step) + 1
    return [first + i * step for i in range(max(count, 0))]


def _label(seconds: float, multi_day: bool) -> str:
    stamp = pd.Timestamp(seconds, unit="s", tz="UTC")
    return stamp.strftime("%m-%d %H:%M" if multi_day else "%H:%M")


def channel_chart(channel: str, episodes: pd.DataFrame, chart_id: str) -> str:
    """The chart of one channel's episodes (all ends); ``chart_id`` must be unique in the page."""
    lanes = (
        episodes.sort_values(["start", "qmgr"])["qmgr"].drop_duplicates().tolist()
    )
    lo = _seconds(episodes["start"].min())
    hi = _seconds(episodes["end"].max())
    span = max(hi - lo, 600.0)
    pad = span * 0.05
    lo, hi = lo - pad, lo + span + pad
    inner = WIDTH - LEFT - RIGHT
    height = TOP + LANE * len(lanes) + AXIS

    def x(seconds: float) -> float:
        return LEFT + (seconds - lo) / (hi - lo) * inner

    multi_day = pd.Timestamp(lo, unit="s").date() != pd.Timestamp(hi, unit="s").date()
    title_id = f"{chart_id}-title"
    parts = [
        f'<svg class="timeline" id="{h(chart_id)}" role="img" aria-labelledby="{h(title_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{h(title_id)}">Failure episodes of channel {h(channel)} on {h(", ".join(lanes))}</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    lane_y = {qmgr: TOP + i * LANE for i, qmgr in enumerate(lanes)}
    for i, qmgr in enumerate(lanes):
        y = lane_y[qmgr]
        if i % 2 == 0:
            parts.append(f'<rect x="{LEFT}" y="{y}" width="{inner}" height="{LANE}" fill="#f3f5f8"/>')
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + LANE / 2 + 4:.1f}" text-anchor="end" class="lane">{h(qmgr)}</text>'
        )
    axis_y = TOP + LANE * len(lanes)
    parts.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#888"/>')
    for tick in _ticks(lo, hi):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{axis_y + 4}" stroke="#d6d9de"/>')
        parts.append(
            f'<text x="{tx:.1f}" y="{axis_y + 18}" text-anchor="middle" class="tick">{_label(tick, multi_day)}</text>'
        )
    episodes = episodes.drop(columns=["msg_ids"], errors="ignore")
    by_id = {row.episode_id: row for row in episodes.itertuples()}
    drawn_links: set[frozenset[str]] = set()
    for row in episodes.itertuples():
        partner = by_id.get(row.partner_episode_id) if isinstance(row.partner_episode_id, str) else None
        if partner is None or partner.qmgr not in lane_y:
            continue
        key = frozenset((row.episode_id, partner.episode_id))
        if key in drawn_links:
            continue
        drawn_links.add(key)
        x1, x2 = x(_seconds(row.start)), x(_seconds(partner.start))
        y1 = lane_y[row.qmgr] + LANE / 2
        y2 = lane_y[partner.qmgr] + LANE / 2
        parts.append(
            f'<line class="pair" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="#555" stroke-dasharray="3 3"/>'
        )
    for row in episodes.itertuples():
        top = lane_y[row.qmgr] + (LANE - BAR) / 2
        x1 = x(_seconds(row.start))
        x2 = max(x(_seconds(row.end)), x1 + 4)
        colour = PHASE_COLOURS.get(str(row.phase), PHASE_COLOURS["other"])
        style = {"local": 'fill-opacity="1"', "remote": 'fill-opacity="0.45"'}.get(
            str(row.cause_side), 'fill-opacity="0.7" stroke-dasharray="4 2"'
        )
        parts.append(
            f'<g class="episode" data-episode="{h(row.episode_id)}">'
            f'<title>{h(row.summary)}</title>'
            f'<rect x="{x1:.1f}" y="{top:.1f}" width="{x2 - x1:.1f}" height="{BAR}" rx="3" '
            f'fill="{colour}" {style} stroke="{colour}"/>'
        )
        label = str(row.cause)
        if (x2 - x1) > 7 * len(label):
            klass = "bar-label pale" if str(row.cause_side) == "remote" else "bar-label"
            parts.append(f'<text x="{x1 + 4:.1f}" y="{top + BAR / 2 + 4:.1f}" class="{klass}">{h(label)}</text>')
        elif x2 + 6 + 6 * len(label) < WIDTH - RIGHT:
            parts.append(f'<text x="{x2 + 4:.1f}" y="{top + BAR / 2 + 4:.1f}" class="bar-note">{h(label)}</text>')
        if bool(row.resolved) and isinstance(row.resolved_at, pd.Timestamp):
            rx = x(_seconds(row.resolved_at))
            parts.append(
                f'<circle cx="{rx:.1f}" cy="{top + BAR / 2:.1f}" r="5" fill="{RESOLVED_COLOUR}" stroke="#fff"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    items = []
    for phase, colour in PHASE_COLOURS.items():
        items.append(f'<span class="key"><span class="swatch" style="background:{colour}"></span>{h(phase)}</span>')
    items.append(
        f'<span class="key"><span class="swatch" style="background:{PHASE_COLOURS["handshake"]};opacity:.45">'
        "</span>cause taken from the partner's log</span>"
    )
    items.append(
        f'<span class="key"><span class="dot" style="background:{RESOLVED_COLOUR}"></span>channel ran again</span>'
    )
    items.append('<span class="key"><span class="dash"></span>the two ends of one failure</span>')
    return '<p class="legend">' + "".join(items) + "</p>"
