"""The three export files of the samples: a last-error CSV, runmqsc DISPLAY CHSTATUS text and
amqsevt ``-o json`` channel events.  Each function returns the file's text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC

from pipeline.samples.scenario import ChannelEvent, ChannelStatus, ExportRow

CSV_COLUMNS = ("qmgr", "channel", "last_error_time", "last_error", "status", "substate", "conname", "team")


def last_error_csv(rows: Iterable[ExportRow]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.qmgr,
                r.channel,
                r.last_error_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                r.last_error,
                r.status,
                r.substate,
                r.conname,
                r.team,
            ]
        )
    return buf.getvalue()


def _mqsc_lines(attrs: list[str]) -> list[str]:
    """Two attributes a line (the second at column 43); one too wide for its field stands alone."""
    lines: list[str] = []
    left: str | None = None
    for attr in attrs:
        if len(attr) > 39:
            if left is not None:
                lines.append("   " + left.ljust(40))
                left = None
            lines.append("   " + attr)
        elif left is None:
            left = attr
        else:
            lines.append("   " + left.ljust(40) + attr)
            left = None
    if left is not None:
        lines.append("   " + left)
    return lines


def _local_address(s: ChannelStatus) -> str:
    if s.status != "RUNNING":
        return " "
    # A sender's local end is an ephemeral port; a receiver's is the listener's.
    return f"10.1.0.11({50000 + s.pid % 10000})" if s.chltype == "SDR" else "10.1.0.11(1414)"


def _status_attrs(s: ChannelStatus) -> list[str]:
    day, clock = s.since.strftime("%Y-%m-%d"), s.since.strftime("%H.%M.%S")
    running = s.status == "RUNNING"
    sender = s.chltype == "SDR"
    msgs = s.msgs if running else 0
    attrs = [
        f"CHANNEL({s.channel})",
        f"CHLTYPE({s.chltype})",
        f"BATCHES({msgs // 7 if running else 0})",
        "BATCHSZ(50)",
        f"BUFSRCVD({msgs + 3 if running else 0})",
        f"BUFSSENT({msgs + 2 if running else 0})",
        f"BYTSRCVD({msgs * 2230 + 268 if running else 0})",
        f"BYTSSENT({msgs * 1910 + 268 if running else 0})",
        f"CHSTADA({day})",
        f"CHSTATI({clock})",
        "COMPHDR(NONE,NONE)",
        "COMPMSG(NONE,NONE)",
        "COMPRATE(0,0)",
        "COMPTIME(0,0)",
        f"CONNAME({s.conname})",
        "CURLUWID(0000000000000000)",
        "CURMSGS(0)",
        "CURRENT",
        f"CURSEQNO({msgs})",
        "EXITTIME(0,0)",
        "HBINT(300)",
        "INDOUBT(NO)",
        f"JOBNAME({s.pid:08X}{s.tid:08X})" if running else "JOBNAME(0000000000000000)",
        f"LOCLADDR({_local_address(s)})",
    ]
    if sender:
        attrs.append("LONGRTS(999999999)")
    attrs += [
        "LSTLUWID(0000000000000000)",
        f"LSTMSGDA({day if running else ' '})",
        f"LSTMSGTI({'16.29.41' if running else ' '})",
        f"LSTSEQNO({msgs})",
        f"MCASTAT({'RUNNING' if running else 'NOT RUNNING'})",
    ]
    if not sender:
        attrs.append("MCAUSER(mqm)")
    attrs += ["MONCHL(OFF)", f"MSGS({msgs})"]
    if sender:
        attrs.append("NETTIME(0,0)")
    attrs += ["NPMSPEED(FAST)", f"RQMNAME({s.rqmname or ' '})"]
    if sender:
        attrs.append(f"SHORTRTS({s.short_retries_left})")
    attrs += [
        f"SECPROT({s.secprot if running else 'NONE'})",
        f"SSLCERTI({s.ssl_issuer or ' '})",
        f"SSLCIPH({s.ssl_cipher or ' '})",
        "SSLKEYDA( )",
        "SSLKEYTI( )",
        f"SSLPEER({s.ssl_peer or ' '})",
        "SSLRKEYS(0)",
        f"STATUS({s.status})",
        "STOPREQ(NO)",
        f"SUBSTATE({s.substate or ' '})",
        "XBATCHSZ(0,0)",
    ]
    if sender:
        attrs += [f"XMITQ({s.xmitq})", "XQTIME(0,0)"]
    attrs += [f"RVERSION({'09040005' if running else ' '})", f"RPRODUCT({'MQMM' if running else ' '})"]
    return attrs


def chstatus_text(qmgr: str, statuses: Iterable[ChannelStatus]) -> str:
    lines = [
        "5724-H72 (C) Copyright IBM Corp. 1994, 2024.",
        f"Starting MQSC for queue manager {qmgr}.",
        "",
        "",
        "     1 : DISPLAY CHSTATUS(*) ALL",
    ]
    for s in statuses:
        lines.append("AMQ8417I: Display Channel Status details.")
        lines.extend(_mqsc_lines(_status_attrs(s)))
    lines += [
        "One MQSC command read.",
        "No commands have a syntax error.",
        "All valid MQSC commands were processed.",
    ]
    return "\n".join(lines) + "\n"


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def amqsevt_json(events: Iterable[ChannelEvent]) -> str:
    """amqsevt ``-o json``: pretty-printed objects one after another (not an array)."""
    out: list[str] = []
    for e in events:
        when = e.when.astimezone(UTC).replace(microsecond=0)
        data = [
            f'    "queueMgrName" : {_q(e.qmgr)}',
            f'    "reasonQualifier" : {_q(e.qualifier)}',
            f'    "channelName" : {_q(e.channel)}',
            f'    "connectionName" : {_q(e.connection)}',
        ]
        if e.peer_name:
            data.append(f'    "sslPeerName" : {_q(e.peer_name)}')
        out.append(
            "\n".join(
                [
                    "{",
                    '  "eventSource" : { "objectName": "SYSTEM.ADMIN.CHANNEL.EVENT",',
                    '                    "objectType" : "Queue",',
                    f'                    "queueMgr" : {_q(e.qmgr)}}},',
                    '  "eventType" : {',
                    '    "name" : "Channel Event",',
                    '    "value" : 46',
                    "  },",
                    '  "eventReason" : {',
                    '    "name" : "Channel SSL Error",',
                    '    "value" : 2371',
                    "  },",
                    '  "eventCreation" : {',
                    f'    "timeStamp"  : "{when.strftime("%Y-%m-%dT%H:%M:%SZ")}",',
                    f'    "epoch"      : {int(when.timestamp())}',
                    "  },",
                    '  "eventData" : {',
                    ",\n".join(data),
                    "  }",
                    "}",
                ]
            )
        )
    return "\n".join(out) + "\n"
