"""The preflight stage: read the configuration, run the checks, write OUT/preflight/.

Outputs (docs/preflight.md, docs/schema.md section `preflight`):

    OUT/preflight/findings.parquet      PREFLIGHT schema, one row per finding
    OUT/preflight/certificates.parquet  CERTIFICATES schema, one row per certificate per key repository
    OUT/preflight/calendar.parquet      CALENDAR schema, one row per distinct certificate
    OUT/preflight/renewals.ics          the same renewal deadlines as all-day iCalendar events
    OUT/preflight/run.json              as-of, window, inputs and counts
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import layout
from pipeline.errors import OutputError
from pipeline.preflight import config, icalendar
from pipeline.preflight.certs import CertInfo
from pipeline.preflight.checks import CHECKS, Checker, Finding, pair_channels, presented_cert
from pipeline.preflight.ciphers import load_catalogue
from pipeline.preflight.schema import CALENDAR, CERTIFICATES, PREFLIGHT

FINDINGS_FILE = "findings.parquet"
CERTIFICATES_FILE = "certificates.parquet"
CALENDAR_FILE = "calendar.parquet"
ICS_FILE = "renewals.ics"
RUN_FILE = "run.json"

SEVERITY_ORDER = {"error": 0, "warning": 1}


@dataclass
class PreflightResult:
    findings: list[Finding]
    certificates: list[dict[str, object]]
    calendar: list[dict[str, object]]
    endpoints: list[str]
    pairs: int
    written: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def as_of_datetime(day: dt.date) -> dt.datetime:
    """--as-of DATE means the start of that UTC day (the state at the start of the day)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def analyse(paths: list[Path], as_of: dt.date, expiry_window: int = 30,
            rules_dirs: tuple[str, ...] = ()) -> PreflightResult:
    """Read and check; no files written.  `rules_dirs` layer extra rule folders (CipherSpec table)."""
    if expiry_window < 0:
        raise ValueError("expiry_window must be >= 0")
    endpoints = config.load(paths)
    moment = as_of_datetime(as_of)
    checker = Checker(endpoints, moment, expiry_window, catalogue=load_catalogue(tuple(rules_dirs)))
    findings = checker.run()
    findings.sort(key=lambda f: (f.channel, SEVERITY_ORDER.get(f.severity, 9), f.qmgr, f.check_id, f.evidence))
    bases = [p if p.is_dir() else p.parent for p in paths]
    certificates = _certificate_rows(endpoints, moment, expiry_window, bases)
    calendar = _calendar_rows(certificates)
    return PreflightResult(findings, certificates, calendar, [e.name for e in endpoints],
                           len(pair_channels(endpoints)))


def run_preflight(paths: list[Path], out: Path, as_of: dt.date, expiry_window: int = 30,
                  rules_dirs: tuple[str, ...] = ()) -> PreflightResult:
    result = analyse(paths, as_of, expiry_window, rules_dirs)
    target = layout.dataset_dir(out, layout.PREFLIGHT)
    try:
        target.mkdir(parents=True, exist_ok=True)
        findings = pa.Table.from_pylist([asdict(f) for f in result.findings], schema=PREFLIGHT)
        _write_parquet(findings, target / FINDINGS_FILE)
        _write_parquet(pa.Table.from_pylist(result.certificates, schema=CERTIFICATES), target / CERTIFICATES_FILE)
        _write_parquet(pa.Table.from_pylist(result.calendar, schema=CALENDAR), target / CALENDAR_FILE)
        ics = icalendar.render(_events(result.calendar), as_of_datetime(as_of))
        _write_bytes(target / ICS_FILE, ics.encode("utf-8"))
        meta = {
            "as_of": as_of.isoformat(), "expiry_window_days": expiry_window,
            "inputs": [str(p) for p in paths], "endpoints": result.endpoints, "channel_pairs": result.pairs,
            "errors": result.errors, "warnings": result.warnings, "certificates": len(result.certificates),
            "checks": sorted(CHECKS),
        }
        _write_bytes(target / RUN_FILE, (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write preflight outputs ({exc.strerror or exc})") from exc
    result.written = [str(target / name) for name in (FINDINGS_FILE, CERTIFICATES_FILE, CALENDAR_FILE, ICS_FILE, RUN_FILE)]
    return result


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _status(cert: CertInfo, moment: dt.datetime, window: int) -> tuple[str, int]:
    days = (cert.not_after - moment).days if cert.not_after >= moment else -((moment - cert.not_after).days + 1)
    if cert.not_after < moment:
        return "expired", days
    if cert.not_before > moment:
        return "not_yet_valid", days
    if cert.not_after - moment <= dt.timedelta(days=window):
        return "expiring", days
    return "ok", days


def _renew_by(cert: CertInfo) -> dt.date:
    return (cert.not_after - dt.timedelta(seconds=1)).date()


def _relative(source: str, bases: list[Path]) -> str:
    path = Path(source)
    for base in bases:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def _certificate_rows(endpoints: list[config.Endpoint], moment: dt.datetime, window: int,
                      bases: list[Path]) -> list[dict[str, object]]:
    used: dict[tuple[str, str], set[str]] = {}
    for ep in endpoints:
        for chl in ep.channels:
            if not chl.get("SSLCIPH") or chl.get("CHANNEL").startswith("SYSTEM."):
                continue
            label, cert = presented_cert(ep, chl)
            if cert is not None:
                used.setdefault((ep.name, cert.label), set()).add(chl.get("CHANNEL"))
    rows = []
    for ep in endpoints:
        if ep.keystore is None:
            continue
        for label, cert in sorted(ep.keystore.entries.items()):
            status, days = _status(cert, moment, window)
            rows.append({
                "owner": ep.name, "label": label, "personal": cert.personal, "subject": cert.subject_dn,
                "issuer": cert.issuer_dn, "serial": cert.serial, "not_before": cert.not_before,
                "not_after": cert.not_after, "days_left": days, "status": status, "renew_by": _renew_by(cert),
                "fingerprint": cert.fingerprint, "source": _relative(cert.source, bases),
                "used_by": sorted(used.get((ep.name, label), set())),
            })
    return rows


def _calendar_rows(certificates: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per distinct certificate (issuer + serial), however many key repositories hold it."""
    groups: dict[str, list[dict[str, object]]] = {}
    for row in certificates:
        key = f"{str(row['issuer']).casefold()}|{str(row['serial']).replace(':', '').lstrip('0').upper()}"
        groups.setdefault(key, []).append(row)
    out = []
    for key, rows in groups.items():
        first = rows[0]
        holders = sorted(f"{r['owner']}:{r['label']}" for r in rows)
        used_by = sorted({c for r in rows for c in r["used_by"]})  # type: ignore[attr-defined]
        subject = first["subject"]
        out.append({
            "uid": f"{_stable_id(key)[:32]}@preflight.mqtriage",
            "renew_by": first["renew_by"], "subject": subject, "serial": first["serial"], "status": first["status"],
            "days_left": first["days_left"], "holders": holders, "used_by": used_by,
            "summary": f"Renew MQ certificate {subject} ({first['status']}, held by {', '.join(holders)})",
        })
    out.sort(key=lambda r: (r["renew_by"], r["subject"]))
    return out


def _stable_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _events(calendar: list[dict[str, object]]) -> list[icalendar.Event]:
    events = []
    for row in calendar:
        used = ", ".join(row["used_by"]) or "no channel found"  # type: ignore[arg-type]
        description = (f"Subject: {row['subject']}\nSerial: {row['serial']}\nStatus at as-of: {row['status']} "
                       f"({row['days_left']} days)\nHeld by: {', '.join(row['holders'])}\n"  # type: ignore[arg-type]
                       f"Presented on channels: {used}\nRenew, add to every partner's key repository, "
                       f"then REFRESH SECURITY TYPE(SSL).")
        events.append(icalendar.Event(
            uid=str(row["uid"]), day=row["renew_by"], summary=str(row["summary"]),  # type: ignore[arg-type]
            description=description, categories=("MQ", "certificate renewal"),
        ))
    return events
