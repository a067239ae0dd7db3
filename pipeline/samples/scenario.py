"""The sample scenario of ``docs/samples.md`` as data: every log entry, export row and truth.

``build()`` returns a :class:`Scenario`; nothing here touches files.  All randomness comes from
one ``random.Random(SEED)`` drawn in a fixed order, and no wall-clock time is read, so two runs
give identical results.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.samples.render import Entry, QueueManager

SEED = 20261120
DAY = date(2026, 11, 20)
PORT = 1414
# Sender retry timers of every sample channel: SHORTRTY(10) SHORTTMR(60), then LONGTMR(120).
# A fix is followed by an operator START CHANNEL, which resets the counts.
SHORT_RETRIES = 10
SHORT_SECONDS = 60
LONG_SECONDS = 120
CLIENT_SECONDS = 60  # the Java client (row 6) reconnects once a minute

QMA = QueueManager(
    "QMA", "mqa.example.com", "10.1.0.11", "9.4.0.5", "text_v9", qmgr_id="QMA_2026-03-02_09.14.33"
)
QMB = QueueManager(
    "QMB", "mqb.example.com", "10.1.0.12", "9.3.0.10", "text_v9", qmgr_id="QMB_2025-11-07_14.02.51"
)
QMC = QueueManager(
    "QMC",
    "mqc.example.com",
    "10.1.0.13",
    "9.0.0.0",
    "text_v90",
    tz="Europe/Berlin",
    date_style="dmy4dot",
    qmgr_id="QMC_2024-06-18_08.40.12",
)
QUEUE_MANAGERS = (QMA, QMB, QMC)


@dataclass(frozen=True)
class Peer:
    host: str
    address: str


APP = Peer("app01.example.com", "10.1.0.50")
LB = Peer("", "10.1.0.250")
QMD = Peer("mqd.example.com", "10.1.0.14")
QMB_DR = Peer("qmb-dr.example.com", "10.2.0.12")

# Identities that show in the logs (preflight's certificates use the same names).
ROOT_CA = "CN=Example Root CA,O=Example Corp,C=GB"
ISSUING_CA_1 = "CN=Example Issuing CA 1,O=Example Corp,C=GB"
ISSUING_CA_2 = "CN=Example Issuing CA 2,O=Example Corp,C=GB"
QMA_DN = "CN=qma.example.com,OU=MQ,O=Example Corp,C=GB"
QMB_DN = "CN=qmb.example.com,OU=MQ,O=Example Corp,C=GB"
QMC_DN = "CN=qmc.example.com,OU=MQ,O=Example Corp,C=GB"
APP_DN = "CN=legacy-app.example.com,O=Example Corp"
QMB_SSLPEER = "CN=qma.example.com,O=Example Corp"
QMA_CIPHER = "ECDHE_RSA_AES_256_GCM_SHA384"
QMB_CIPHER_BEFORE = "TLS_RSA_WITH_AES_128_CBC_SHA256"
QMC_TLS10_CIPHER = "TLS_RSA_WITH_AES_128_CBC_SHA"
QMB_CERT_SERIAL = "4a1f09c2e7"
QMC_CERT_SERIAL = "6d03b85a21"

SSL_ERROR = "Channel SSL Error"


def at(hour: int, minute: int, second: int = 0, ms: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, second, ms * 1000, tzinfo=UTC)


def conname_of(host: str, address: str) -> str:
    """How an initiator names its partner: ``host (ip)(port)``."""
    return f"{host} ({address})({PORT})"


def inbound_of(host: str, address: str) -> str:
    """How a responder names the connecting system: ``host (ip)``."""
    return f"{host} ({address})" if host else address


@dataclass(frozen=True)
class EpisodeTruth:
    """What the timeline must find for one end of one failing channel."""

    row: str
    qmgr: str
    channel: str
    chltype: str
    partner_qmgr: str
    start: datetime  # first failure entry at this end
    end: datetime  # last failure entry at this end
    attempts: int
    resolved_at: datetime | None  # AMQ9002 at this end, else None
    phase: str
    cause: str
    cause_side: str  # local: this end's log holds the decisive entry
    decisive_qmgr: str
    decisive_msg_id: str
    local_msg_ids: tuple[str, ...]  # message ids of this end's failure entries, first-seen order
    fix: str
    note: str = ""


@dataclass(frozen=True)
class ExportRow:
    qmgr: str
    channel: str
    last_error_time: datetime
    last_error: str
    status: str
    substate: str
    conname: str
    team: str


@dataclass(frozen=True)
class ChannelEvent:
    """One amqsevt Channel SSL Error event (QMB.events.json)."""

    when: datetime
    qmgr: str
    qualifier: str
    channel: str
    connection: str
    peer_name: str = ""


@dataclass(frozen=True)
class ChannelStatus:
    """One DISPLAY CHSTATUS block of QMA at 16:30."""

    channel: str
    chltype: str
    conname: str
    status: str
    substate: str
    since: datetime
    pid: int
    tid: int
    rqmname: str = ""
    xmitq: str = ""
    ssl_peer: str = ""
    ssl_issuer: str = ""
    ssl_cipher: str = ""
    secprot: str = "TLSV12"
    msgs: int = 0
    short_retries_left: int = 10


@dataclass
class Scenario:
    entries: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    truths: list[EpisodeTruth] = field(default_factory=list)
    export_rows: list[ExportRow] = field(default_factory=list)
    events: list[ChannelEvent] = field(default_factory=list)
    chstatus: list[ChannelStatus] = field(default_factory=list)
    noise: dict[str, int] = field(default_factory=dict)  # non-episode facts for EXPECTED.md

    def sorted_entries(self, qmgr: str) -> list[Entry]:
        return sorted(self.entries[qmgr], key=lambda e: (e.when, e.order))


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.sc = Scenario()
        self.order = 0
        self.next_pid = {"QMA": 4100, "QMB": 5200, "QMC": 2300}
        self.pool_pid = {"QMA": 3150, "QMB": 2870, "QMC": 2214}  # amqrmppa per queue manager
        self.pool_tid = {"QMA": 2, "QMB": 2, "QMC": 2}
        self.first: dict[tuple[str, str], datetime] = {}
        self.last: dict[tuple[str, str], datetime] = {}
        self.count: dict[tuple[str, str], int] = defaultdict(int)
        self.msgs: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.running: dict[str, tuple[int, int, datetime]] = {}  # channel -> (pid, tid, since) at 16:30
        self.retry_pid_qmd = 0
        self.retry_times_qmd: list[datetime] = []

    # --- primitives ----------------------------------------------------------------------
    def add(
        self,
        qm: QueueManager,
        when: datetime,
        msg_id: str,
        pid: int,
        tid: int,
        program: str,
        values: dict[str, str] | None = None,
        arith: tuple[int, int] = (0, 0),
        comments: tuple[str, str, str] = ("", "", ""),
        remote_host: str = "",
        lang: str = "en",
        track: str = "",
    ) -> None:
        self.order += 1
        self.sc.entries[qm.name].append(
            Entry(
                qm.name,
                when,
                msg_id,
                pid,
                tid,
                program,
                dict(values or {}),
                arith,
                comments,
                remote_host,
                lang,
                self.order,
            )
        )
        if track:
            key = (track, qm.name)
            self.first.setdefault(key, when)
            self.last[key] = when
            if msg_id not in self.msgs[key]:
                self.msgs[key].append(msg_id)

    def new_pid(self, qm: QueueManager) -> int:
        self.next_pid[qm.name] += self.rng.randrange(7, 90)
        return self.next_pid[qm.name]

    def inbound(self, qm: QueueManager) -> tuple[int, int]:
        self.pool_tid[qm.name] += 1
        return self.pool_pid[qm.name], self.pool_tid[qm.name]

    def attempts(
        self, start: datetime, until: datetime, track: str, qmgrs: tuple[str, ...], client: bool = False
    ) -> list[datetime]:
        """Connection attempts from ``start`` until before ``until`` as the retry timers schedule
        them (the client reconnects at a fixed interval); each gets a little seeded jitter."""
        times: list[datetime] = []
        when, retries = start, 0
        while when < until:
            times.append(when + timedelta(milliseconds=self.rng.randrange(40, 900)))
            retries += 1
            short = client or retries <= SHORT_RETRIES
            when += timedelta(
                seconds=(CLIENT_SECONDS if client else SHORT_SECONDS) if short else LONG_SECONDS
            )
        for name in qmgrs:
            self.count[(track, name)] = len(times)
        return times

    def abend(
        self,
        qm: QueueManager,
        when: datetime,
        channel: str,
        host: str,
        pid: int,
        tid: int,
        program: str,
        remote: str,
        track: str,
    ) -> None:
        self.add(
            qm,
            when,
            "AMQ9999",
            pid,
            tid,
            program,
            {"channel": channel, "host": host, "pid": str(pid)},
            comments=(channel, str(pid), host),
            remote_host=remote,
            track=track,
        )

    def started(
        self,
        qm: QueueManager,
        when: datetime,
        channel: str,
        pid: int,
        tid: int,
        program: str,
        lang: str = "en",
    ) -> None:
        self.add(
            qm,
            when,
            "AMQ9002",
            pid,
            tid,
            program,
            {"channel": channel},
            comments=(channel, "", ""),
            lang=lang,
        )

    def ended(
        self, qm: QueueManager, when: datetime, channel: str, host: str, pid: int, tid: int, program: str
    ) -> None:
        self.add(
            qm,
            when,
            "AMQ9001",
            pid,
            tid,
            program,
            {"channel": channel, "host": host},
            comments=(channel, "", host),
        )

    def stopped(self, qm: QueueManager, when: datetime, channel: str, pid: int) -> None:
        self.add(qm, when, "AMQ9528", pid, 1, "runmqchl", {"channel": channel}, comments=(channel, "", ""))

    def truth(self, track: str, qm: QueueManager, **kw: Any) -> EpisodeTruth:
        key = (track, qm.name)
        t = EpisodeTruth(
            qmgr=qm.name,
            start=self.first[key],
            end=self.last[key],
            attempts=self.count[key],
            local_msg_ids=tuple(self.msgs[key]),
            **kw,
        )
        self.sc.truths.append(t)
        return t

    # --- the day -----------------------------------------------------------------------
    def startup(self, qm: QueueManager, when: datetime, lang: str) -> int:
        pid = self.new_pid(qm)
        self.add(
            qm,
            when,
            "AMQ8003",
            pid,
            1,
            "amqzxma0",
            {"qmgr": qm.name, "vrmf": qm.vrmf},
            comments=(qm.vrmf, "", qm.name),
            lang=lang,
        )
        for i, task in enumerate(("LOGGER-IO", "ERROR-LOG", "APP-SIGNAL")):
            self.add(
                qm,
                when + timedelta(milliseconds=40 + 15 * i),
                "AMQ5051",
                pid,
                3 + i,
                "amqzmuc0",
                {"task": task},
                comments=(task, "", ""),
                lang=lang,
            )
        if lang == "en":
            self.add(qm, when + timedelta(milliseconds=900), "AMQ9410", self.new_pid(qm), 1, "amqrrmfa")
        lpid = self.new_pid(qm)
        self.add(
            qm,
            when + timedelta(seconds=1, milliseconds=200),
            "AMQ5026",
            self.new_pid(qm),
            4,
            "amqzmgr0",
            {"listener": "SYSTEM.LISTENER.TCP.1", "lpid": str(lpid), "port": str(PORT)},
            arith=(lpid, 0),
            comments=("SYSTEM.LISTENER.TCP.1", "", ""),
            lang=lang,
        )
        return pid

    def log_extents(self, qm: QueueManager, pid: int, times: list[datetime], lang: str) -> None:
        for n, when in enumerate(times):
            extent = f"S{41 + 3 * n:07d}.LOG"
            self.add(
                qm,
                when,
                "AMQ7467",
                pid,
                6,
                "amqzmuc0",
                {"qmgr": qm.name, "extent": extent},
                comments=(qm.name, extent, ""),
                lang=lang,
            )

    def build(self) -> Scenario:
        for qm, lang, when in (
            (QMA, "en", at(6, 0, 5, 113)),
            (QMB, "en", at(6, 0, 7, 402)),
            (QMC, "de", at(6, 0, 11, 27)),
        ):
            pid = self.startup(qm, when, lang)
            self.log_extents(
                qm, pid, [when + timedelta(seconds=4), at(10, 0, 0, 250), at(14, 0, 0, 250)], lang
            )
        self.row1_cipher_then_sslpeer()
        self.row2_expired()
        self.row3_untrusted()
        self.row4_client_cert()
        self.row5_tls10()
        self.row6_sslpeermap()
        self.row7_refused()
        self.row8_not_defined()
        self.row9_probes()
        self.row10_multi_address()
        self.status_at_1630()
        return self.sc

    # Row 1 and 1b: QMA.QMB (QMA SDR -> QMB RCVR)
    def row1_cipher_then_sslpeer(self) -> None:
        ch = "QMA.QMB"
        to_qmb, from_qma = conname_of(QMB.host, QMB.address), inbound_of(QMA.host, QMA.address)
        pid = self.new_pid(QMA)
        # Healthy start after the queue managers came up, normal end after DISCINT.
        rpid, rtid = self.inbound(QMB)
        self.started(QMA, at(6, 5, 2, 310), ch, pid, 1, "runmqchl")
        self.started(QMB, at(6, 5, 2, 402), ch, rpid, rtid, "amqrmppa")
        self.ended(QMA, at(7, 45, 3, 118), ch, to_qmb, pid, 1, "runmqchl")
        self.ended(QMB, at(7, 45, 3, 140), ch, from_qma, rpid, rtid, "amqrmppa")
        # 1: QMB's SSLCIPH was changed before 08:00; every retry is a cipher mismatch.
        pid = self.new_pid(QMA)
        for t in self.attempts(at(8, 0), at(8, 40), "1", ("QMA", "QMB")):
            rpid, rtid = self.inbound(QMB)
            self.add(
                QMB,
                t + timedelta(milliseconds=120),
                "AMQ9631",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "host": from_qma, "required": QMB_CIPHER_BEFORE, "negotiated": QMA_CIPHER},
                comments=(ch, QMB_CIPHER_BEFORE, QMA_CIPHER),
                remote_host=QMA.address,
                track="1",
            )
            self.abend(
                QMB, t + timedelta(milliseconds=126), ch, from_qma, rpid, rtid, "amqrmppa", QMA.address, "1"
            )
            self.sc.events.append(
                ChannelEvent(t + timedelta(milliseconds=121), "QMB", "SSL Cipher Spec Error", ch, QMA.address)
            )
            self.add(
                QMA,
                t + timedelta(milliseconds=181),
                "AMQ9641",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmb},
                comments=(ch, to_qmb, ""),
                remote_host=QMB.address,
                track="1",
            )
            self.abend(QMA, t + timedelta(milliseconds=186), ch, to_qmb, pid, 1, "runmqchl", QMB.address, "1")
        # 1b: at 08:40 QMB's SSLCIPH is fixed; the next retries fail on QMB's SSLPEER.
        for t in self.attempts(at(8, 41), at(9, 10), "1b", ("QMA", "QMB")):
            rpid, rtid = self.inbound(QMB)
            self.add(
                QMB,
                t + timedelta(milliseconds=140),
                "AMQ9636",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "host": from_qma, "dn": QMA_DN},
                comments=(ch, QMA_DN, from_qma),
                remote_host=QMA.address,
                track="1b",
            )
            self.abend(
                QMB, t + timedelta(milliseconds=145), ch, from_qma, rpid, rtid, "amqrmppa", QMA.address, "1b"
            )
            self.sc.events.append(
                ChannelEvent(
                    t + timedelta(milliseconds=141), "QMB", "SSL Peer Name Error", ch, QMA.address, QMA_DN
                )
            )
            self.add(
                QMA,
                t + timedelta(milliseconds=201),
                "AMQ9643",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmb},
                comments=(ch, to_qmb, ""),
                remote_host=QMB.address,
                track="1b",
            )
            self.abend(
                QMA, t + timedelta(milliseconds=206), ch, to_qmb, pid, 1, "runmqchl", QMB.address, "1b"
            )
        fixed = at(9, 10, 0, 377)
        rpid, rtid = self.inbound(QMB)
        self.started(QMB, fixed, ch, rpid, rtid, "amqrmppa")
        self.started(QMA, fixed + timedelta(milliseconds=64), ch, pid, 1, "runmqchl")
        self.running[ch] = (pid, 1, fixed + timedelta(milliseconds=64))
        self.truth(
            "1",
            QMA,
            row="1",
            channel=ch,
            chltype="SDR",
            partner_qmgr="QMB",
            resolved_at=None,
            phase="handshake",
            cause="cipher_mismatch",
            cause_side="remote",
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9631",
            fix="QMB: SSLCIPH of RCVR QMA.QMB (changed 08:40)",
            note="ends in episode 1b (new cause), not in a start",
        )
        self.truth(
            "1",
            QMB,
            row="1",
            channel=ch,
            chltype="RCVR",
            partner_qmgr="QMA",
            resolved_at=None,
            phase="handshake",
            cause="cipher_mismatch",
            cause_side="local",
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9631",
            fix="QMB: SSLCIPH of RCVR QMA.QMB (changed 08:40)",
            note="ends in episode 1b (new cause), not in a start",
        )
        self.truth(
            "1b",
            QMA,
            row="1b",
            channel=ch,
            chltype="SDR",
            partner_qmgr="QMB",
            resolved_at=fixed + timedelta(milliseconds=64),
            phase="post_tls",
            cause="sslpeer_mismatch",
            cause_side="remote",
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9636",
            fix="QMB: SSLPEER of RCVR QMA.QMB (fixed 09:10)",
        )
        self.truth(
            "1b",
            QMB,
            row="1b",
            channel=ch,
            chltype="RCVR",
            partner_qmgr="QMA",
            resolved_at=fixed,
            phase="post_tls",
            cause="sslpeer_mismatch",
            cause_side="local",
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9636",
            fix="QMB: SSLPEER of RCVR QMA.QMB (fixed 09:10)",
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMA",
                ch,
                self.last[("1b", "QMA")],
                f"AMQ9643E: Remote SSL peer name error for channel '{ch}' on host '{to_qmb}'.",
                "RETRYING",
                "",
                f"{QMB.host}({PORT})",
                "mq-platform",
            )
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMB",
                ch,
                self.last[("1b", "QMB")],
                f"AMQ9636E: SSL distinguished name does not match peer name, channel '{ch}'.",
                "",
                "",
                QMA.address,
                "mq-platform",
            )
        )

    # Row 2: QMB.QMA (QMB SDR -> QMA RCVR), QMB's certificate expired on 2026-11-19.
    def row2_expired(self) -> None:
        ch = "QMB.QMA"
        to_qma, from_qmb = conname_of(QMA.host, QMA.address), inbound_of(QMB.host, QMB.address)
        details = f"[Class=]GSKVALMethod::X509[Issuer=]{ISSUING_CA_1}[#=]{QMB_CERT_SERIAL}[Subject=]{QMB_DN}"
        pid = self.new_pid(QMB)
        for t in self.attempts(at(10, 0), at(11, 30), "2", ("QMA", "QMB")):
            rpid, rtid = self.inbound(QMA)
            port = 40000 + self.rng.randrange(0, 20000)
            host3 = f"{QMB.host} ({QMB.address})({port})"
            self.add(
                QMA,
                t + timedelta(milliseconds=95),
                "AMQ9633",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "host": host3, "rc": "401", "code_text": "", "details": details},
                arith=(401, 0),
                comments=(ch, details, host3),
                remote_host=QMB.address,
                track="2",
            )
            self.abend(
                QMA, t + timedelta(milliseconds=99), ch, from_qmb, rpid, rtid, "amqrmppa", QMB.address, "2"
            )
            self.add(
                QMB,
                t + timedelta(milliseconds=150),
                "AMQ9665",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qma},
                comments=(ch, to_qma, ""),
                remote_host=QMA.address,
                track="2",
            )
            self.abend(QMB, t + timedelta(milliseconds=154), ch, to_qma, pid, 1, "runmqchl", QMA.address, "2")
        renewed = at(11, 30, 0, 812)
        rpid, rtid = self.inbound(QMA)
        self.started(QMA, renewed, ch, rpid, rtid, "amqrmppa")
        self.running[ch] = (rpid, rtid, renewed)
        self.started(QMB, renewed + timedelta(milliseconds=55), ch, pid, 1, "runmqchl")
        kw = dict(
            row="2",
            channel=ch,
            phase="handshake",
            cause="cert_expired",
            decisive_qmgr="QMA",
            decisive_msg_id="AMQ9633",
            fix="QMB: renew its personal certificate (expired 2026-11-19)",
        )
        self.truth(
            "2",
            QMB,
            chltype="SDR",
            partner_qmgr="QMA",
            resolved_at=renewed + timedelta(milliseconds=55),
            cause_side="remote",
            **kw,
        )
        self.truth(
            "2",
            QMA,
            chltype="RCVR",
            partner_qmgr="QMB",
            resolved_at=renewed,
            cause_side="local",
            note="AMQ9633 ArithInsert1(401) = GSK_ERROR_BAD_DATE",
            **kw,
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMB",
                ch,
                self.last[("2", "QMB")],
                f"AMQ9665E: SSL connection closed by remote end of channel '{ch}'.",
                "RETRYING",
                "SSLHANDSHK",
                f"{QMA.host}({PORT})",
                "mq-platform",
            )
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMA",
                ch,
                self.last[("2", "QMA")],
                f"AMQ9633E: Bad SSL certificate for channel '{ch}'.",
                "",
                "",
                QMB.address,
                "mq-platform",
            )
        )

    # Row 3: QMC.QMA (QMC SDR -> QMA RCVR), QMC's issuing CA missing on QMA; stopped at 13:00.
    def row3_untrusted(self) -> None:
        ch = "QMC.QMA"
        to_qma, from_qmc = conname_of(QMA.host, QMA.address), inbound_of(QMC.host, QMC.address)
        details = f"[Class=]GSKVALMethod::X509[Issuer=]{ISSUING_CA_2}[#=]{QMC_CERT_SERIAL}[Subject=]{QMC_DN}"
        pid = self.new_pid(QMC)
        for t in self.attempts(at(12, 0), at(13, 0), "3", ("QMA", "QMC")):
            rpid, rtid = self.inbound(QMA)
            port = 40000 + self.rng.randrange(0, 20000)
            host3 = f"{QMC.host} ({QMC.address})({port})"
            self.add(
                QMA,
                t + timedelta(milliseconds=102),
                "AMQ9633",
                rpid,
                rtid,
                "amqrmppa",
                {
                    "channel": ch,
                    "host": host3,
                    "rc": "414",
                    "code_text": ", and the certificate validation error was 575010",
                    "details": details,
                },
                arith=(414, 575010),
                comments=(ch, details, host3),
                remote_host=QMC.address,
                track="3",
            )
            self.abend(
                QMA, t + timedelta(milliseconds=106), ch, from_qmc, rpid, rtid, "amqrmppa", QMC.address, "3"
            )
            self.add(
                QMC,
                t + timedelta(milliseconds=160),
                "AMQ9665",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qma},
                track="3",
            )
            self.abend(QMC, t + timedelta(milliseconds=164), ch, to_qma, pid, 1, "runmqchl", "", "3")
        self.stopped(QMC, at(13, 0, 20, 5), ch, pid)
        kw = dict(
            row="3",
            channel=ch,
            resolved_at=None,
            phase="handshake",
            cause="cert_untrusted",
            decisive_qmgr="QMA",
            decisive_msg_id="AMQ9633",
            fix="QMA: add 'Example Issuing CA 2' to its key repository; refresh security",
        )
        self.truth(
            "3",
            QMC,
            chltype="SDR",
            partner_qmgr="QMA",
            cause_side="remote",
            note="stopped by an operator at 13:00:20 (AMQ9528); never resolved",
            **kw,
        )
        self.truth(
            "3",
            QMA,
            chltype="RCVR",
            partner_qmgr="QMC",
            cause_side="local",
            note="AMQ9633 ArithInsert1(414) ArithInsert2(575010)",
            **kw,
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMC",
                ch,
                self.last[("3", "QMC")],
                f"AMQ9665: SSL connection closed by remote end of channel '{ch}'.",
                "STOPPED",
                "",
                f"{QMA.host}({PORT})",
                "integration",
            )
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMA",
                ch,
                self.last[("3", "QMA")],
                f"AMQ9633E: Bad SSL certificate for channel '{ch}'.",
                "",
                "",
                QMC.address,
                "mq-platform",
            )
        )

    # Row 4: QMA.QMC (QMA SDR -> QMC RCVR with SSLCAUTH(REQUIRED)); QMA's CERTLABL names no certificate.
    def row4_client_cert(self) -> None:
        ch = "QMA.QMC"
        to_qmc, from_qma = conname_of(QMC.host, QMC.address), inbound_of(QMA.host, QMA.address)
        pid = self.new_pid(QMA)
        for t in self.attempts(at(9, 0), at(9, 45), "4", ("QMA", "QMC")):
            rpid, rtid = self.inbound(QMC)
            self.add(
                QMC,
                t + timedelta(milliseconds=88),
                "AMQ9637",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "host": from_qma},
                track="4",
            )
            self.abend(QMC, t + timedelta(milliseconds=91), ch, from_qma, rpid, rtid, "amqrmppa", "", "4")
            self.add(
                QMA,
                t + timedelta(milliseconds=133),
                "AMQ9642",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmc},
                comments=(ch, to_qmc, ""),
                remote_host=QMC.address,
                track="4",
            )
            self.abend(QMA, t + timedelta(milliseconds=137), ch, to_qmc, pid, 1, "runmqchl", QMC.address, "4")
        fixed = at(9, 45, 0, 519)
        rpid, rtid = self.inbound(QMC)
        self.started(QMC, fixed, ch, rpid, rtid, "amqrmppa")
        self.started(QMA, fixed + timedelta(milliseconds=71), ch, pid, 1, "runmqchl")
        self.running[ch] = (pid, 1, fixed + timedelta(milliseconds=71))
        kw = dict(
            row="4",
            channel=ch,
            phase="handshake",
            cause="client_cert_missing",
            cause_side="local",
            fix="QMA: CERTLABL of SDR QMA.QMC names a label missing from QMA's key repository",
        )
        self.truth(
            "4",
            QMA,
            chltype="SDR",
            partner_qmgr="QMC",
            resolved_at=fixed + timedelta(milliseconds=71),
            decisive_qmgr="QMA",
            decisive_msg_id="AMQ9642",
            **kw,
        )
        self.truth(
            "4",
            QMC,
            chltype="RCVR",
            partner_qmgr="QMA",
            resolved_at=fixed,
            decisive_qmgr="QMC",
            decisive_msg_id="AMQ9637",
            note="9.0 log: channel named only in the explanation",
            **kw,
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMA",
                ch,
                self.last[("4", "QMA")],
                f"AMQ9642E: No SSL or TLS certificate for channel '{ch}'.",
                "RETRYING",
                "SSLHANDSHK",
                f"{QMC.host}({PORT})",
                "mq-platform",
            )
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMC",
                ch,
                self.last[("4", "QMC")],
                "AMQ9637: Channel is lacking a certificate.",
                "",
                "",
                QMA.address,
                "integration",
            )
        )

    # Row 5: QMC.QMB (QMC SDR -> QMB RCVR); QMC offers only TLS 1.0, QMB refuses it (AMQ9616, no channel name).
    def row5_tls10(self) -> None:
        ch = "QMC.QMB"
        to_qmb, from_qmc = conname_of(QMB.host, QMB.address), inbound_of(QMC.host, QMC.address)
        pid = self.new_pid(QMC)
        for t in self.attempts(at(14, 0), at(15, 0), "5", ("QMB", "QMC")):
            rpid, rtid = self.inbound(QMB)
            self.add(
                QMB,
                t + timedelta(milliseconds=70),
                "AMQ9616",
                rpid,
                rtid,
                "amqrmppa",
                {"cipher": QMC_TLS10_CIPHER, "host": from_qmc},
                comments=(QMC_TLS10_CIPHER, from_qmc, ""),
                remote_host=QMC.address,
                track="5",
            )
            self.add(
                QMC,
                t + timedelta(milliseconds=118),
                "AMQ9665",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmb},
                track="5",
            )
            self.abend(QMC, t + timedelta(milliseconds=122), ch, to_qmb, pid, 1, "runmqchl", "", "5")
        self.stopped(QMC, at(15, 0, 20, 611), ch, pid)
        kw = dict(
            row="5",
            channel=ch,
            resolved_at=None,
            phase="handshake",
            cause="tls_policy_mismatch",
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9616",
            fix="QMC: SSLCIPH of SDR QMC.QMB pins a TLS 1.0 CipherSpec; move to TLS 1.2+",
        )
        self.truth(
            "5",
            QMC,
            chltype="SDR",
            partner_qmgr="QMB",
            cause_side="remote",
            note="stopped by an operator at 15:00:20 (AMQ9528); never resolved",
            **kw,
        )
        self.truth(
            "5",
            QMB,
            chltype="RCVR",
            partner_qmgr="QMC",
            cause_side="local",
            note="AMQ9616 names only the remote host: attach by address 10.1.0.13 and time",
            **kw,
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMC",
                ch,
                self.last[("5", "QMC")],
                f"AMQ9665: SSL connection closed by remote end of channel '{ch}'.",
                "STOPPED",
                "",
                f"{QMB.host}({PORT})",
                "integration",
            )
        )

    # Row 6: APP.SVRCONN, a Java client blocked by an SSLPEERMAP rule on QMA.
    def row6_sslpeermap(self) -> None:
        ch = "APP.SVRCONN"
        values = f"SSLPEER({APP_DN})"
        from_app = inbound_of(APP.host, APP.address)
        for t in self.attempts(at(15, 0), at(15, 30), "6", ("QMA",), client=True):
            rpid, rtid = self.inbound(QMA)
            self.add(
                QMA,
                t + timedelta(milliseconds=210),
                "AMQ9777",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "address": APP.address, "values": values},
                comments=(ch, APP.address, values),
                remote_host=APP.address,
                track="6",
            )
            self.abend(
                QMA, t + timedelta(milliseconds=213), ch, from_app, rpid, rtid, "amqrmppa", APP.address, "6"
            )
        self.truth(
            "6",
            QMA,
            row="6",
            channel=ch,
            chltype="SVRCONN",
            partner_qmgr="",
            resolved_at=None,
            phase="post_tls",
            cause="sslpeermap_blocked",
            cause_side="local",
            decisive_qmgr="QMA",
            decisive_msg_id="AMQ9777",
            fix="QMA: CHLAUTH SSLPEERMAP SSLPEER('CN=legacy-app*') USERSRC(NOACCESS)",
            note="client end (app01) is only the last-error CSV row (JMSWMQ2013, reason 2035)",
        )
        last = self.last[("6", "QMA")] + timedelta(milliseconds=40)
        chain = (
            "com.ibm.msg.client.jms.DetailedJMSSecurityException: JMSWMQ2013: The security authentication "
            "was not valid that was supplied for queue manager 'QMA' with connection mode 'Client' and host "
            f"name '{QMA.host}({PORT})'.\n"
            "\tat com.ibm.msg.client.wmq.common.internal.Reason.reasonToException(Reason.java:595)\n"
            "\tat com.ibm.msg.client.wmq.internal.WMQConnection.<init>(WMQConnection.java:458)\n"
            "\tat com.example.orders.MqSession.open(MqSession.java:88)\n"
            "Caused by: com.ibm.mq.MQException: JMSCMQ0001: IBM MQ call failed with compcode '2' "
            "('MQCC_FAILED') reason '2035' ('MQRC_NOT_AUTHORIZED').\n"
            "\tat com.ibm.msg.client.wmq.common.internal.Reason.createException(Reason.java:223)\n"
            "\t... 7 more"
        )
        self.sc.export_rows.append(
            ExportRow("QMA", ch, last, chain, "", "", f"{QMA.host}({PORT})", "orders-java")
        )

    # Row 7: QMA.QMD, connection refused (no listener on qmd.example.com).
    def row7_refused(self) -> None:
        ch = "QMA.QMD"
        to_qmd = conname_of(QMD.host, QMD.address)
        pid = self.new_pid(QMA)
        times = self.attempts(at(16, 0), at(17, 0), "7", ("QMA",))
        for t in times:
            self.add(
                QMA,
                t + timedelta(milliseconds=3),
                "AMQ9202",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmd, "errno": "111", "errno_hex": "6F"},
                arith=(111, 111),
                comments=(to_qmd, "TCP/IP", ""),
                track="7",
            )
            self.abend(QMA, t + timedelta(milliseconds=8), ch, to_qmd, pid, 1, "runmqchl", "", "7")
        self.stopped(QMA, at(17, 0, 15, 2), ch, pid)
        self.truth(
            "7",
            QMA,
            row="7",
            channel=ch,
            chltype="SDR",
            partner_qmgr="",
            resolved_at=None,
            phase="network",
            cause="connection_refused",
            cause_side="local",
            decisive_qmgr="QMA",
            decisive_msg_id="AMQ9202",
            fix="QMD (not in the samples): start its listener on port 1414 / check firewalls",
            note="AMQ9202 ArithInsert1(111) = ECONNREFUSED; stopped 17:00:15; CHSTATUS RETRYING at 16:30",
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMA",
                ch,
                self.last[("7", "QMA")],
                f"AMQ9202E: Remote host '{to_qmd}' not available, retry later.",
                "RETRYING",
                "",
                f"{QMD.host}({PORT})",
                "mq-platform",
            )
        )
        self.retry_pid_qmd = pid
        self.retry_times_qmd = times

    # Row 8: QMB.QMC.NEW, a new sender whose receiver does not exist on QMC until 11:20.
    def row8_not_defined(self) -> None:
        ch = "QMB.QMC.NEW"
        to_qmc, from_qmb = conname_of(QMC.host, QMC.address), inbound_of(QMB.host, QMB.address)
        pid = self.new_pid(QMB)
        for t in self.attempts(at(11, 0), at(11, 20), "8", ("QMB", "QMC")):
            rpid, rtid = self.inbound(QMC)
            self.add(
                QMC,
                t + timedelta(milliseconds=77),
                "AMQ9519",
                rpid,
                rtid,
                "amqrmppa",
                {"channel": ch, "host": from_qmb},
                track="8",
            )
            self.add(
                QMB,
                t + timedelta(milliseconds=124),
                "AMQ9520",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": to_qmc},
                comments=(ch, to_qmc, ""),
                remote_host=QMC.address,
                track="8",
            )
            self.abend(QMB, t + timedelta(milliseconds=129), ch, to_qmc, pid, 1, "runmqchl", QMC.address, "8")
        renamed = at(11, 20, 0, 266)
        rpid, rtid = self.inbound(QMC)
        self.started(QMC, renamed, ch, rpid, rtid, "amqrmppa")
        self.started(QMB, renamed + timedelta(milliseconds=58), ch, pid, 1, "runmqchl")
        kw = dict(
            row="8",
            channel=ch,
            phase="post_tls",
            cause="channel_not_defined",
            cause_side="local",
            fix="QMC: define/rename its RCVR to QMB.QMC.NEW (done 11:20)",
        )
        self.truth(
            "8",
            QMB,
            chltype="SDR",
            partner_qmgr="QMC",
            resolved_at=renamed + timedelta(milliseconds=58),
            decisive_qmgr="QMB",
            decisive_msg_id="AMQ9520",
            **kw,
        )
        self.truth(
            "8",
            QMC,
            chltype="RCVR",
            partner_qmgr="QMB",
            resolved_at=renamed,
            decisive_qmgr="QMC",
            decisive_msg_id="AMQ9519",
            note="no AMQ9999 at QMC: the channel does not exist there",
            **kw,
        )
        self.sc.export_rows.append(
            ExportRow(
                "QMB",
                ch,
                self.last[("8", "QMB")],
                "AMQ9520E: Channel not defined remotely.",
                "BINDING",
                "",
                f"{QMC.host}({PORT})",
                "mq-platform",
            )
        )

    # Row 9: a load balancer probes QMA's listener every 10 minutes (AMQ9209 + AMQ9228, no channel).
    def row9_probes(self) -> None:
        n = 0
        for minute in range(6 * 60 + 10, 17 * 60 + 21, 10):
            t = at(minute // 60, minute % 60, 0, self.rng.randrange(0, 999))
            rpid, rtid = self.inbound(QMA)
            self.add(
                QMA,
                t,
                "AMQ9209",
                rpid,
                rtid,
                "amqrmppa",
                {"host": LB.address, "channel": "????"},
                comments=(LB.address, "TCP/IP", "????"),
                remote_host=LB.address,
            )
            self.add(
                QMA,
                t + timedelta(milliseconds=2),
                "AMQ9228",
                rpid,
                rtid,
                "amqrmppa",
                comments=("", "TCP/IP", ""),
                remote_host=LB.address,
            )
            n += 1
        self.sc.noise["listener_probes"] = n

    # Row 10: QMA.QMB.DR with two addresses in CONNAME; the first (DR site) times out, the second works.
    def row10_multi_address(self) -> None:
        ch = "QMA.QMB.DR"
        dr = conname_of(QMB_DR.host, QMB_DR.address)
        to_qmb, from_qma = conname_of(QMB.host, QMB.address), inbound_of(QMA.host, QMA.address)
        starts = ((at(7, 30, 0, 204), at(9, 25, 40, 8)), (at(13, 15, 0, 540), at(15, 40, 2, 77)))
        for begin, end in starts:
            pid = self.new_pid(QMA)
            failed = begin + timedelta(seconds=21, milliseconds=14)
            self.add(
                QMA,
                failed,
                "AMQ9202",
                pid,
                1,
                "runmqchl",
                {"channel": ch, "host": dr, "errno": "110", "errno_hex": "6E"},
                arith=(110, 110),
                comments=(dr, "TCP/IP", ""),
            )
            rpid, rtid = self.inbound(QMB)
            self.started(QMB, failed + timedelta(milliseconds=180), ch, rpid, rtid, "amqrmppa")
            self.started(QMA, failed + timedelta(milliseconds=233), ch, pid, 1, "runmqchl")
            self.ended(QMA, end, ch, to_qmb, pid, 1, "runmqchl")
            self.ended(QMB, end + timedelta(milliseconds=20), ch, from_qma, rpid, rtid, "amqrmppa")
        self.sc.noise["multi_address_9202"] = len(starts)

    def status_at_1630(self) -> None:
        last_retry = max(t for t in self.retry_times_qmd if t <= at(16, 30))
        qmb_pid, qmb_tid, qmb_since = self.running["QMA.QMB"]
        qmc_pid, qmc_tid, qmc_since = self.running["QMA.QMC"]
        rcv_pid, rcv_tid, rcv_since = self.running["QMB.QMA"]
        self.sc.chstatus.extend(
            [
                ChannelStatus(
                    "QMA.QMB",
                    "SDR",
                    f"{QMB.host}({PORT})",
                    "RUNNING",
                    "MQGET",
                    qmb_since,
                    qmb_pid,
                    qmb_tid,
                    rqmname="QMB",
                    xmitq="QMB",
                    ssl_peer=QMB_DN,
                    ssl_issuer=ISSUING_CA_1,
                    ssl_cipher=QMA_CIPHER,
                    msgs=1842,
                ),
                ChannelStatus(
                    "QMA.QMC",
                    "SDR",
                    f"{QMC.host}({PORT})",
                    "RUNNING",
                    "MQGET",
                    qmc_since,
                    qmc_pid,
                    qmc_tid,
                    rqmname="QMC",
                    xmitq="QMC",
                    ssl_peer=QMC_DN,
                    ssl_issuer=ISSUING_CA_2,
                    ssl_cipher=QMA_CIPHER,
                    msgs=377,
                ),
                ChannelStatus(
                    "QMB.QMA",
                    "RCVR",
                    QMB.address,
                    "RUNNING",
                    "RECEIVE",
                    rcv_since,
                    rcv_pid,
                    rcv_tid,
                    rqmname="QMB",
                    ssl_peer=QMB_DN,
                    ssl_issuer=ISSUING_CA_1,
                    ssl_cipher="TLS_CHACHA20_POLY1305_SHA256",
                    secprot="TLSV13",
                    msgs=9120,
                ),
                ChannelStatus(
                    "QMA.QMD",
                    "SDR",
                    f"{QMD.host}({PORT})",
                    "RETRYING",
                    "",
                    last_retry,
                    self.retry_pid_qmd,
                    1,
                    xmitq="QMD",
                    short_retries_left=0,
                ),
            ]
        )


def build() -> Scenario:
    return _Builder().build()
