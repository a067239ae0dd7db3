"""A large, realistic, deterministic error-log corpus for benchmarks (``make bench``).

``write_corpus(out_dir, size_bytes, seed)`` simulates many queue managers (40 by default) over as
many days as it takes to write ``size_bytes``: channels between them with failure episodes on both
ends (cipher, certificate, SSLPEER, CHLAUTH, channel-name, network failures, retried on MQ's
timers), healthy channel starts and ends, load-balancer probes and log-extent notices.  About 80%
of the bytes are text logs (9.x with inserts, and 9.0 ones in local time, some German in cp1252)
and about 20% JSON logs (twins of some queue managers' text logs).  Files rotate the way MQ does
(AMQERR01 -> 02 -> 03, the oldest dropped) at a per-queue-manager ErrorLogSize of at most 32 MB.

Memory stays flat: the simulation works one simulated hour at a time and streams each entry to
its file.  All choices come from ``random.Random(seed)`` in a fixed order; no wall clock is read,
so the same arguments give the same bytes.
"""

from __future__ import annotations

import os
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import OutputError
from pipeline.samples.render import Entry, QueueManager, render_json, render_text

MB = 1024 * 1024
DEFAULT_SIZE = 256 * MB
MAX_LOG_SIZE = 32 * MB  # MQ's default ErrorLogSize since 9.0.4; never exceeded
MIN_LOG_SIZE = 32 * 1024  # MQ's minimum ErrorLogSize
JSON_SHARE = 0.20
START = datetime(2026, 11, 1, tzinfo=UTC)
PORT = 1414
ZIPF = 0.9  # how unevenly the volume spreads over queue managers

# (cause, responder entries, initiator entries); "*" adds an AMQ9999 after the entry.
FAILURES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("cipher_mismatch", ("AMQ9631*",), ("AMQ9641*",)),
    ("sslpeer_mismatch", ("AMQ9636*",), ("AMQ9643*",)),
    ("cert_expired", ("AMQ9633*",), ("AMQ9665*",)),
    ("cert_untrusted", ("AMQ9633*",), ("AMQ9665*",)),
    ("client_cert_missing", ("AMQ9637*",), ("AMQ9642*",)),
    ("tls_policy_mismatch", ("AMQ9616",), ("AMQ9665*",)),
    ("channel_not_defined", ("AMQ9519",), ("AMQ9520*",)),
    ("connection_refused", (), ("AMQ9202*",)),
    ("host_unreachable", (), ("AMQ9202*",)),
    ("connection_reset", ("AMQ9208*",), ("AMQ9208*",)),
)


@dataclass
class _Log:
    """One rotating log of one queue manager (text or JSON)."""

    folder: Path
    suffix: str  # LOG | json
    limit: int  # ErrorLogSize / FileSize
    encoding: str
    budget: int  # bytes this log may write in total
    written: int = 0  # bytes written, including rotated-out files
    handle: BinaryIO | None = None
    current: int = 0  # bytes in AMQERR01
    entries: list[int] = field(default_factory=lambda: [0, 0, 0])  # entries in 01, 02, 03
    sizes: list[int] = field(default_factory=lambda: [0, 0, 0])
    dropped_entries: int = 0

    def path(self, n: int) -> Path:
        return self.folder / f"AMQERR{n:02d}.{self.suffix}"

    @property
    def full(self) -> bool:
        return self.written >= self.budget

    def write(self, data: bytes) -> None:
        if self.handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.path(1), "wb", buffering=256 * 1024)  # noqa: SIM115 - closed in close()
        if self.current and self.current + len(data) > self.limit:
            self._rotate()
        self.handle.write(data)  # type: ignore[union-attr]
        self.current += len(data)
        self.written += len(data)
        self.entries[0] += 1
        self.sizes[0] = self.current

    def _rotate(self) -> None:
        assert self.handle is not None
        self.handle.close()
        if self.path(3).exists():
            self.dropped_entries += self.entries[2]
            self.path(3).unlink()
        if self.path(2).exists():
            self.path(2).rename(self.path(3))
        self.path(1).rename(self.path(2))
        self.entries = [0, self.entries[0], self.entries[1]]
        self.sizes = [0, self.sizes[0], self.sizes[1]]
        self.handle = open(self.path(1), "wb", buffering=256 * 1024)  # noqa: SIM115
        self.current = 0

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


@dataclass
class _QM:
    qm: QueueManager
    lang_info: str  # language of informational entries
    activity: float  # relative volume
    text: _Log
    json: _Log | None
    senders: list[str]  # channel names QMxx.QMyy this QM initiates
    pool_pid: int
    next_tid: int = 2
    next_pid: int = 0

    def inbound(self) -> tuple[int, int]:
        self.next_tid += 1
        if self.next_tid > 60000:
            self.next_tid, self.pool_pid = 3, self.pool_pid + 17
        return self.pool_pid, self.next_tid

    def pid(self, rng: random.Random) -> int:
        self.next_pid += rng.randrange(3, 60)
        return self.next_pid

    @property
    def done(self) -> bool:
        return self.text.full and (self.json is None or self.json.full)


@dataclass(frozen=True)
class CorpusInfo:
    out_dir: str
    seed: int
    target_bytes: int
    files: tuple[tuple[str, int, int], ...]  # (relative path, bytes, entries)
    queue_managers: int
    episodes: int
    first: datetime
    last: datetime

    @property
    def total_bytes(self) -> int:
        return sum(f[1] for f in self.files)

    @property
    def entries(self) -> int:
        return sum(f[2] for f in self.files)

    def bytes_of(self, suffix: str) -> int:
        return sum(f[1] for f in self.files if f[0].endswith(suffix))

    def paths(self) -> list[Path]:
        return [Path(self.out_dir) / f[0] for f in self.files]


@dataclass
class _Episode:
    cause: str
    channel: str
    initiator: _QM
    responder: _QM | None
    start: datetime
    end: datetime
    init_pid: int
    client: bool = False
    retries: int = 0
    next_at: datetime = START

    def __post_init__(self) -> None:
        self.next_at = self.start


def _zipf_weights(n: int, rng: random.Random) -> list[float]:
    weights = [1.0 / (k**ZIPF) for k in range(1, n + 1)]
    rng.shuffle(weights)
    total = sum(weights)
    return [w / total for w in weights]


def _limit_for(budget: int) -> int:
    # About two and a half files' worth per log, so most logs rotate once or twice.
    size = min(MAX_LOG_SIZE, max(MIN_LOG_SIZE, int(budget / 2.2)))
    return size - size % 4096 if size >= 8192 else size


class _Corpus:
    def __init__(self, out: Path, size_bytes: int, seed: int, n_qmgrs: int) -> None:
        self.out, self.rng, self.seed = out, random.Random(seed), seed
        self.order = 0
        self.episodes: list[_Episode] = []
        self.n_episodes = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        weights = _zipf_weights(n_qmgrs, self.rng)
        names = [f"QM{i:02d}" for i in range(1, n_qmgrs + 1)]
        json_pick = self._json_pick(names, weights)
        json_weight = sum(weights[i] for i in json_pick) or 1.0
        text_total = size_bytes * (1 - JSON_SHARE) if json_pick else size_bytes
        self.qms: list[_QM] = []
        for i, name in enumerate(names):
            self.qms.append(
                self._make_qm(
                    i,
                    name,
                    weights[i],
                    n_qmgrs,
                    int(text_total * weights[i]),
                    int(size_bytes * JSON_SHARE * weights[i] / json_weight) if i in json_pick else 0,
                )
            )

    def _json_pick(self, names: list[str], weights: list[float]) -> set[int]:
        """Queue managers that also write JSON: 9.x ones until their text is about a third of all text
        (a JSON entry is about three quarters of a text one, so JSON ends near 20% of the bytes)."""
        picked: set[int] = set()
        share = 0.0
        for i in range(len(names)):
            if share >= 0.33:
                break
            if i % 5 != 4 and i % 3 == 0:
                picked.add(i)
                share += weights[i]
        return picked

    def _make_qm(self, i: int, name: str, weight: float, n: int, text_budget: int, json_budget: int) -> _QM:
        rng = self.rng
        number = i + 1
        host = f"mq{number:02d}.corp.example.com"
        address = f"10.20.{number // 200}.{10 + number % 200}"
        if i % 5 == 4:
            german = i % 10 == 4
            qm = QueueManager(
                name,
                host,
                address,
                rng.choice(("9.0.0.0", "9.0.0.11")),
                "text_v90",
                tz="Europe/Berlin" if german else "America/New_York",
                date_style="dmy4dot" if german else "mdy2",
            )
            encoding, lang = ("cp1252", "de") if german else ("utf-8", "en")
        else:
            qm = QueueManager(
                name,
                host,
                address,
                rng.choice(("9.4.0.5", "9.3.0.10", "9.2.0.25", "9.3.5.0")),
                "text_v9",
                qmgr_id=f"{name}_2025-0{1 + i % 9}-1{i % 10}_08.00.00",
            )
            encoding, lang = "utf-8", "en"
        folder = self.out / name.lower() / "errors"
        text = _Log(folder, "LOG", _limit_for(text_budget), encoding, text_budget)
        js = _Log(folder, "json", _limit_for(json_budget), "utf-8", json_budget) if json_budget else None
        partners = rng.sample([k for k in range(n) if k != i], k=min(n - 1, rng.randrange(3, 6)))
        senders = [f"{name}.QM{k + 1:02d}" for k in sorted(partners)]
        return _QM(
            qm,
            lang,
            weight * n,
            text,
            js,
            senders,
            pool_pid=1000 + 97 * number,
            next_pid=20000 + 331 * number,
        )

    # --- writing -------------------------------------------------------------------------
    def emit(
        self,
        batch: list[tuple[datetime, int, _QM, Entry]],
        node: _QM,
        when: datetime,
        msg_id: str,
        pid: int,
        tid: int,
        program: str,
        values: dict[str, str] | None = None,
        arith: tuple[int, int] = (0, 0),
        comments: tuple[str, str, str] = ("", "", ""),
        remote: str = "",
        lang: str = "en",
    ) -> None:
        if node.done:
            return
        self.order += 1
        batch.append(
            (
                when,
                self.order,
                node,
                Entry(
                    node.qm.name,
                    when,
                    msg_id,
                    pid,
                    tid,
                    program,
                    values or {},
                    arith,
                    comments,
                    remote,
                    lang,
                    self.order,
                ),
            )
        )

    def flush(self, batch: list[tuple[datetime, int, _QM, Entry]]) -> None:
        batch.sort(key=lambda item: (item[0], item[1]))
        for when, order, node, entry in batch:
            wrote = False
            if not node.text.full:
                node.text.write(render_text(node.qm, entry).encode(node.text.encoding))
                wrote = True
            if node.json is not None and not node.json.full:
                seq = f"{int(when.timestamp() * 1_000_000)}_{order}"
                node.json.write(render_json(node.qm, entry, seq).encode("utf-8"))
                wrote = True
            if wrote:
                self.first = self.first or when
                self.last = when

    # --- the simulation ------------------------------------------------------------------
    def by_name(self, name: str) -> _QM:
        return self.qms[int(name[2:]) - 1]

    def hour(self, start: datetime, batch: list[tuple[datetime, int, _QM, Entry]]) -> None:
        rng = self.rng
        for node in self.qms:
            if node.done:
                continue
            self.noise(node, start, batch)
            for channel in node.senders:
                if rng.random() < 0.035 * node.activity:
                    self.start_episode(node, channel, start + timedelta(seconds=rng.randrange(0, 3600)))
            if rng.random() < 0.01 * node.activity:
                self.start_episode(
                    node,
                    f"APP{node.qm.name[2:]}.SVRCONN",
                    start + timedelta(seconds=rng.randrange(0, 3600)),
                    client=True,
                )
        end = start + timedelta(hours=1)
        still = []
        for ep in self.episodes:
            self.run_episode(ep, end, batch)
            if ep.next_at < ep.end:
                still.append(ep)
        self.episodes = still

    def noise(self, node: _QM, start: datetime, batch: list[tuple[datetime, int, _QM, Entry]]) -> None:
        rng, qm = self.rng, node.qm
        every = max(1, round(10 / max(node.activity, 0.2)))  # load-balancer probe period, minutes
        for minute in range(rng.randrange(0, every), 60, every):
            t = start + timedelta(minutes=minute, milliseconds=rng.randrange(0, 999))
            pid, tid = node.inbound()
            self.emit(
                batch,
                node,
                t,
                "AMQ9209",
                pid,
                tid,
                "amqrmppa",
                {"host": "10.20.250.5", "channel": "????"},
                comments=("10.20.250.5", "TCP/IP", "????"),
                remote="10.20.250.5",
            )
            self.emit(
                batch,
                node,
                t + timedelta(milliseconds=2),
                "AMQ9228",
                pid,
                tid,
                "amqrmppa",
                comments=("", "TCP/IP", ""),
                remote="10.20.250.5",
            )
        if start.hour % 4 == 0:
            extent = f"S{(start - START).days * 6 + start.hour // 4 + 40:07d}.LOG"
            self.emit(
                batch,
                node,
                start + timedelta(seconds=1, milliseconds=250),
                "AMQ7467",
                node.pool_pid - 7,
                6,
                "amqzmuc0",
                {"qmgr": qm.name, "extent": extent},
                comments=(qm.name, extent, ""),
                lang=node.lang_info,
            )
        for channel in node.senders:  # healthy runs: start, then a normal end
            if rng.random() < 0.3:
                self.healthy_run(node, channel, start + timedelta(seconds=rng.randrange(0, 3000)), batch)

    def healthy_run(
        self, node: _QM, channel: str, when: datetime, batch: list[tuple[datetime, int, _QM, Entry]]
    ) -> None:
        partner = self.by_name("QM" + channel.rsplit(".QM", 1)[1])
        pid = node.pid(self.rng)
        rpid, rtid = partner.inbound()
        ended = when + timedelta(seconds=self.rng.randrange(120, 600))
        self.emit(
            batch,
            partner,
            when,
            "AMQ9002",
            rpid,
            rtid,
            "amqrmppa",
            {"channel": channel},
            comments=(channel, "", ""),
        )
        self.emit(
            batch,
            node,
            when + timedelta(milliseconds=60),
            "AMQ9002",
            pid,
            1,
            "runmqchl",
            {"channel": channel},
            comments=(channel, "", ""),
        )
        for n, tid, host, prog, p in (
            (node, 1, f"{partner.qm.host} ({partner.qm.address})({PORT})", "runmqchl", pid),
            (partner, rtid, f"{node.qm.host} ({node.qm.address})", "amqrmppa", rpid),
        ):
            self.emit(
                batch, n, ended, "AMQ9545", p, tid, prog, {"channel": channel}, comments=(channel, "", "")
            )
            self.emit(
                batch,
                n,
                ended + timedelta(milliseconds=5),
                "AMQ9001",
                p,
                tid,
                prog,
                {"channel": channel, "host": host},
                comments=(channel, "", host),
            )

    def start_episode(self, node: _QM, channel: str, when: datetime, client: bool = False) -> None:
        rng = self.rng
        if client:
            cause, responder, initiator = "sslpeermap_blocked", node, node
        else:
            cause = rng.choice(FAILURES)[0]
            responder, initiator = self.by_name("QM" + channel.rsplit(".QM", 1)[1]), node
        if any(ep.channel == channel for ep in self.episodes):
            return
        self.n_episodes += 1
        minutes = rng.randrange(15, 120)
        self.episodes.append(
            _Episode(
                cause,
                channel,
                initiator,
                responder,
                when,
                when + timedelta(minutes=minutes),
                initiator.pid(rng),
                client=client,
            )
        )

    def run_episode(
        self, ep: _Episode, until: datetime, batch: list[tuple[datetime, int, _QM, Entry]]
    ) -> None:
        rng = self.rng
        spec = {f[0]: f for f in FAILURES}.get(ep.cause)
        while ep.next_at < min(until, ep.end):
            t = ep.next_at + timedelta(milliseconds=rng.randrange(40, 900))
            if ep.client:
                self.blocked_client(ep, t, batch)
            else:
                assert spec is not None and ep.responder is not None
                self.attempt(ep, spec, t, batch)
            ep.retries += 1
            short = ep.client or ep.retries <= 10
            ep.next_at += timedelta(seconds=60 if short else 120)
        if (
            ep.next_at >= ep.end
            and not ep.client
            and ep.cause not in ("connection_refused", "host_unreachable")
        ):
            self.fixed(ep, ep.next_at, batch)

    def blocked_client(
        self, ep: _Episode, t: datetime, batch: list[tuple[datetime, int, _QM, Entry]]
    ) -> None:
        node = ep.responder
        assert node is not None
        pid, tid = node.inbound()
        client = f"10.30.{node.qm.name[2:].lstrip('0') or '0'}.{50 + tid % 20}"
        values = "SSLPEER(CN=legacy-app.corp.example.com,O=Example Corp)"
        self.emit(
            batch,
            node,
            t,
            "AMQ9777",
            pid,
            tid,
            "amqrmppa",
            {"channel": ep.channel, "address": client, "values": values},
            comments=(ep.channel, client, values),
            remote=client,
        )
        self.emit(
            batch,
            node,
            t + timedelta(milliseconds=3),
            "AMQ9999",
            pid,
            tid,
            "amqrmppa",
            {"channel": ep.channel, "host": client, "pid": str(pid)},
            comments=(ep.channel, str(pid), client),
            remote=client,
        )

    def attempt(
        self,
        ep: _Episode,
        spec: tuple[str, tuple[str, ...], tuple[str, ...]],
        t: datetime,
        batch: list[tuple[datetime, int, _QM, Entry]],
    ) -> None:
        init, resp, ch = ep.initiator, ep.responder, ep.channel
        assert resp is not None
        to_resp = f"{resp.qm.host} ({resp.qm.address})({PORT})"
        from_init = f"{init.qm.host} ({init.qm.address})"
        rpid, rtid = resp.inbound()
        for code in spec[1]:
            msg_id = code.rstrip("*")
            values, arith, comments = self.inserts(ep, msg_id, from_init, responder_side=True)
            self.emit(
                batch, resp, t, msg_id, rpid, rtid, "amqrmppa", values, arith, comments, init.qm.address
            )
            if code.endswith("*"):
                self.emit(
                    batch,
                    resp,
                    t + timedelta(milliseconds=4),
                    "AMQ9999",
                    rpid,
                    rtid,
                    "amqrmppa",
                    {"channel": ch, "host": from_init, "pid": str(rpid)},
                    comments=(ch, str(rpid), from_init),
                    remote=init.qm.address,
                )
        for code in spec[2]:
            msg_id = code.rstrip("*")
            values, arith, comments = self.inserts(ep, msg_id, to_resp, responder_side=False)
            at = t + timedelta(milliseconds=55)
            remote = "" if msg_id == "AMQ9202" else resp.qm.address
            self.emit(batch, init, at, msg_id, ep.init_pid, 1, "runmqchl", values, arith, comments, remote)
            if code.endswith("*"):
                self.emit(
                    batch,
                    init,
                    at + timedelta(milliseconds=5),
                    "AMQ9999",
                    ep.init_pid,
                    1,
                    "runmqchl",
                    {"channel": ch, "host": to_resp, "pid": str(ep.init_pid)},
                    comments=(ch, str(ep.init_pid), to_resp),
                    remote=remote,
                )

    def inserts(
        self, ep: _Episode, msg_id: str, host: str, responder_side: bool
    ) -> tuple[dict[str, str], tuple[int, int], tuple[str, str, str]]:
        ch, init = ep.channel, ep.initiator
        dn = f"CN={init.qm.host},OU=MQ,O=Example Corp,C=GB"
        if msg_id == "AMQ9631":
            return (
                {
                    "channel": ch,
                    "host": host,
                    "required": "TLS_AES_256_GCM_SHA384",
                    "negotiated": "ECDHE_RSA_AES_128_GCM_SHA256",
                },
                (0, 0),
                (ch, "TLS_AES_256_GCM_SHA384", "ECDHE_RSA_AES_128_GCM_SHA256"),
            )
        if msg_id == "AMQ9636":
            return {"channel": ch, "host": host, "dn": dn}, (0, 0), (ch, dn, host)
        if msg_id == "AMQ9633":
            expired = ep.cause == "cert_expired"
            issuer = (
                "CN=Example Issuing CA 1,O=Example Corp,C=GB" if expired else "CN=Partner CA,O=Partner,C=DE"
            )
            details = (
                f"[Class=]GSKVALMethod::X509[Issuer=]{issuer}[#=]{zlib.crc32(ch.encode()):010x}[Subject=]{dn}"
            )
            port_host = f"{host}({40000 + self.rng.randrange(0, 20000)})"
            rc, code = (401, 0) if expired else (414, 575010)
            return (
                {
                    "channel": ch,
                    "host": port_host,
                    "rc": str(rc),
                    "code_text": "" if expired else f", and the certificate validation error was {code}",
                    "details": details,
                },
                (rc, code),
                (ch, details, port_host),
            )
        if msg_id == "AMQ9616":
            return (
                {"cipher": "TLS_RSA_WITH_AES_128_CBC_SHA", "host": host},
                (0, 0),
                ("TLS_RSA_WITH_AES_128_CBC_SHA", host, ""),
            )
        if msg_id == "AMQ9202":
            errno = 111 if ep.cause == "connection_refused" else 110
            return (
                {"channel": ch, "host": host, "errno": str(errno), "errno_hex": f"{errno:X}"},
                (errno, errno),
                (host, "TCP/IP", ""),
            )
        if msg_id == "AMQ9208":
            return (
                {"channel": ch, "host": host, "errno": "104", "errno_hex": "68"},
                (104, 104),
                (host, "TCP/IP", "recv"),
            )
        if msg_id in ("AMQ9637", "AMQ9519"):
            return {"channel": ch, "host": host}, (0, 0), (ch, host if responder_side else "", "")
        return {"channel": ch, "host": host}, (0, 0), (ch, host, "")

    def fixed(self, ep: _Episode, when: datetime, batch: list[tuple[datetime, int, _QM, Entry]]) -> None:
        assert ep.responder is not None
        rpid, rtid = ep.responder.inbound()
        self.emit(
            batch,
            ep.responder,
            when,
            "AMQ9002",
            rpid,
            rtid,
            "amqrmppa",
            {"channel": ep.channel},
            comments=(ep.channel, "", ""),
        )
        self.emit(
            batch,
            ep.initiator,
            when + timedelta(milliseconds=60),
            "AMQ9002",
            ep.init_pid,
            1,
            "runmqchl",
            {"channel": ep.channel},
            comments=(ep.channel, "", ""),
        )

    def startup(self, batch: list[tuple[datetime, int, _QM, Entry]]) -> None:
        for n, node in enumerate(self.qms):
            t = START + timedelta(hours=6, seconds=n, milliseconds=self.rng.randrange(0, 999))
            pid = node.pid(self.rng)
            qm = node.qm
            self.emit(
                batch,
                node,
                t,
                "AMQ8003",
                pid,
                1,
                "amqzxma0",
                {"qmgr": qm.name, "vrmf": qm.vrmf},
                comments=(qm.vrmf, "", qm.name),
                lang=node.lang_info,
            )
            for k, task in enumerate(("LOGGER-IO", "ERROR-LOG", "APP-SIGNAL")):
                self.emit(
                    batch,
                    node,
                    t + timedelta(milliseconds=30 + 10 * k),
                    "AMQ5051",
                    pid,
                    3 + k,
                    "amqzmuc0",
                    {"task": task},
                    comments=(task, "", ""),
                    lang=node.lang_info,
                )
            self.emit(
                batch,
                node,
                t + timedelta(seconds=1),
                "AMQ5026",
                pid + 1,
                4,
                "amqzmgr0",
                {"listener": "SYSTEM.LISTENER.TCP.1", "lpid": str(pid + 2), "port": str(PORT)},
                arith=(pid + 2, 0),
                comments=("SYSTEM.LISTENER.TCP.1", "", ""),
                lang=node.lang_info,
            )

    def run(self) -> CorpusInfo:
        try:
            for node in self.qms:
                if node.qm.style == "text_v90":
                    node.text.folder.parent.mkdir(parents=True, exist_ok=True)
                    (node.text.folder.parent / "mqtriage.tz").write_text(node.qm.tz + "\n", encoding="ascii")
            batch: list[tuple[datetime, int, _QM, Entry]] = []
            self.startup(batch)
            hour = 6
            while not all(node.done for node in self.qms):
                self.hour(START + timedelta(hours=hour), batch)
                self.flush(batch)
                batch.clear()
                hour += 1
        except OSError as exc:
            raise OutputError(f"cannot write the corpus under {self.out}: {exc}") from exc
        finally:
            for node in self.qms:
                node.text.close()
                if node.json is not None:
                    node.json.close()
        return self.info()

    def info(self) -> CorpusInfo:
        files: list[tuple[str, int, int]] = []
        for node in self.qms:
            for log in (node.text, node.json):
                if log is None:
                    continue
                for n in (3, 2, 1):
                    path = log.path(n)
                    if path.exists():
                        files.append(
                            (path.relative_to(self.out).as_posix(), path.stat().st_size, log.entries[n - 1])
                        )
        assert self.first is not None and self.last is not None
        return CorpusInfo(
            str(self.out), self.seed, 0, tuple(files), len(self.qms), self.n_episodes, self.first, self.last
        )


def write_corpus(
    out_dir: str | os.PathLike[str], size_bytes: int = DEFAULT_SIZE, seed: int = 1, n_qmgrs: int = 40
) -> CorpusInfo:
    """Write a corpus of about ``size_bytes`` under ``out_dir`` (which must be empty or absent)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise OutputError(f"corpus folder {out} is not empty")
    if size_bytes < 64 * 1024:
        raise OutputError(f"corpus size {size_bytes} is too small (at least 64 KiB)")
    out.mkdir(parents=True, exist_ok=True)
    info = _Corpus(out, size_bytes, seed, n_qmgrs).run()
    return CorpusInfo(
        info.out_dir, seed, size_bytes, info.files, info.queue_managers, info.episodes, info.first, info.last
    )
