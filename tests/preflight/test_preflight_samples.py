"""The committed sample configuration (`data/samples/config/`): it parses, it has the intended
properties, and preflight predicts exactly the failures the sample logs show."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.preflight import analyse, config, icalendar
from pipeline.preflight.certs import validate
from pipeline.preflight.schema import CALENDAR, CERTIFICATES, PREFLIGHT

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "data" / "samples" / "config"
EXPECTED_MD = REPO / "data" / "samples" / "EXPECTED.md"
AS_OF = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)

# The failures of docs/samples.md rows 1-8 as preflight reports them: (channel, detecting qmgr, cause).
TRUTH = {
    ("QMA.QMB", "QMB", "cipher_mismatch"),        # row 1
    ("QMA.QMB", "QMB", "sslpeer_mismatch"),       # row 1b (shows once the cipher is fixed)
    ("QMB.QMA", "QMA", "cert_expired"),           # row 2
    ("QMC.QMA", "QMA", "cert_untrusted"),         # row 3
    ("QMA.QMC", "QMC", "client_cert_missing"),    # row 4
    ("QMC.QMB", "QMB", "tls_policy_mismatch"),    # row 5
    ("APP.SVRCONN", "QMA", "sslpeermap_blocked"), # row 6
    ("QMB.QMC.NEW", "QMB", "channel_not_defined"),  # row 8
}
# Causes preflight cannot see from configuration: they need the network at run time.
NOT_PREDICTABLE = {"connection_refused", "host_unreachable", "dns_failure", "connection_reset", "listener_probe"}


@pytest.fixture(scope="module")
def endpoints() -> dict[str, config.Endpoint]:
    return {ep.name: ep for ep in config.load([CONFIG])}


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return analyse([CONFIG], AS_OF, 30)


def test_manifest_names_the_sample_endpoints(endpoints: dict[str, config.Endpoint]) -> None:
    assert set(endpoints) == {"QMA", "QMB", "QMC", "app01"}
    assert endpoints["app01"].kind == "client" and endpoints["app01"].user == "appuser"
    assert {c.get("CHANNEL") for c in endpoints["QMA"].channels} >= {
        "QMA.QMB", "QMA.QMC", "QMA.QMD", "QMA.QMB.DR", "QMB.QMA", "QMC.QMA", "APP.SVRCONN"}
    assert {c.get("CHANNEL") for c in endpoints["QMB"].channels} >= {"QMA.QMB", "QMB.QMA", "QMB.QMC.NEW", "QMC.QMB"}
    assert endpoints["QMC"].channel("QMB.QMC.NEW") is None and endpoints["QMC"].channel("QMB.QMC") is not None
    assert endpoints["QMC"].qmgr["VERSION"] == "09000000" and endpoints["QMC"].tls.tls_v1_enable


def test_certificates_have_the_intended_properties(endpoints: dict[str, config.Endpoint]) -> None:
    qma, qmb, qmc = (endpoints[n].keystore for n in ("QMA", "QMB", "QMC"))
    assert qma and qmb and qmc
    own = qma.personal("ibmwebspheremqqma")
    assert own and own.subject_dn == "CN=qma.example.com,OU=MQ,O=Example Corp,C=GB"
    assert own.not_after.date() == dt.date(2026, 12, 5)                        # expiring (15 days)
    old = qmb.personal("ibmwebspheremqqmb")
    assert old and old.not_after.date() == dt.date(2026, 11, 19) and old.not_after < NOON  # expired
    qmc_cert = qmc.personal("ibmwebspheremqqmc")
    assert qmc_cert and qmc_cert.issuer_dn.startswith("CN=Example Issuing CA 2")
    assert qmc_cert.x509cert is not None                                       # read from DER
    assert not any(e.subject_dn.startswith("CN=Example Issuing CA 2") for e in qma.entries.values())
    assert any(e.subject_dn.startswith("CN=Example Issuing CA 2") for e in qmb.entries.values())
    assert qma.personal("qma-tls-2025") is None                                # QMA.QMC's CERTLABL
    # the deliberately missing intermediate: QMC's chain fails at QMA, passes at QMB
    assert validate(qmc_cert, qmc, qma, NOON).problem == "untrusted"
    assert validate(qmc_cert, qmc, qmb, NOON).ok
    # every certificate signature verifies against its issuer in the same repository
    for repo in (qma, qmb, qmc):
        for entry in repo.entries.values():
            if entry.personal:
                assert validate(entry, repo, repo, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)).ok, entry.label
    app = endpoints["app01"].keystore
    assert app and app.find_label("example root ca").x509cert is None         # from runmqakm -details text


def test_predicts_exactly_the_sample_failures(result) -> None:  # type: ignore[no-untyped-def]
    errors = {(f.channel, f.qmgr, f.cause) for f in result.findings if f.severity == "error"}
    assert errors == TRUTH
    warnings = {(f.channel, f.check_id) for f in result.findings if f.severity == "warning"}
    assert ("QMA.QMD", "pair.partner_unknown") in warnings         # row 7: needs the network
    assert ("QMC.QMB", "cipher.deprecated") in warnings            # TLS 1.0 re-enabled on QMC
    assert ("QMB.QMA", "cert.expiring") in warnings                # QMA's certificate, 2026-12-05
    assert not any(f.channel in {"QMA.QMB.DR"} and f.severity == "error" for f in result.findings)  # row 10
    # QMB.QMA's alias pair (ANY_TLS12_OR_HIGHER -> ANY) is fine: no cipher finding
    assert not any(f.channel == "QMB.QMA" and f.check_id.startswith("cipher.") for f in result.findings)


def _expected_episodes() -> list[dict[str, str]]:
    text = EXPECTED_MD.read_text(encoding="utf-8")
    section = text.split("## Episodes", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:]]


def _compare(episodes: list[tuple[str, str, str]], findings: set[tuple[str, str, str]]) -> list[str]:
    """episodes: (channel, qmgr whose log decides, cause). Each predictable episode needs an error finding
    with the same channel and cause, detected on one of the queue managers that log it decisively; each
    error finding needs an episode."""
    problems = []
    by_key: dict[tuple[str, str], set[str]] = {}
    for channel, qmgr, cause in episodes:
        if cause not in NOT_PREDICTABLE:
            by_key.setdefault((channel, cause), set()).add(qmgr)
    for (channel, cause), qmgrs in sorted(by_key.items()):
        if not any(f[0] == channel and f[2] == cause and f[1] in qmgrs for f in findings):
            problems.append(f"episode {channel} {cause} ({'/'.join(sorted(qmgrs))}) not predicted")
    for channel, qmgr, cause in sorted(findings):
        if (channel, cause) not in by_key:
            problems.append(f"predicted {channel} {cause} on {qmgr} has no episode")
    return problems


def test_predictions_match_the_expected_episodes(result) -> None:  # type: ignore[no-untyped-def]
    episodes = [(r["channel"], r["decisive"].split()[0], r["cause"]) for r in _expected_episodes()]
    assert len(episodes) >= 15
    errors = {(f.channel, f.qmgr, f.cause) for f in result.findings if f.severity == "error"}
    assert _compare(episodes, errors) == []


@pytest.mark.slow
def test_predictions_match_the_timeline_episodes(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Runs the real pipeline on data/samples and compares with OUT/episodes.  While the timeline does
    not yet reproduce data/samples/EXPECTED.md this is an expected failure naming the differences."""
    run = CliRunner().invoke(main, ["run", str(REPO / "data" / "samples"), "--out", str(tmp_path / "out"),
                                    "--tz", "UTC"])
    episodes_dir = tmp_path / "out" / "episodes"
    if run.exit_code != 0 or not episodes_dir.exists():
        pytest.xfail(f"mqtriage run did not produce OUT/episodes yet (exit {run.exit_code}): {run.output[-300:]}")
    frame = pd.read_parquet(episodes_dir)
    decided = frame[frame["cause_side"] == "local"] if "cause_side" in frame else frame
    got = [(r.channel, r.qmgr, r.cause) for r in decided.itertuples() if r.phase in {"handshake", "post_tls"}]
    errors = {(f.channel, f.qmgr, f.cause) for f in result.findings if f.severity == "error"}
    problems = _compare(got, errors)
    if problems:
        expected = {(r["channel"], r["qmgr"], r["cause"]) for r in _expected_episodes()
                    if r["cause_side"] == "local" and r["phase"] in {"handshake", "post_tls"}}
        timeline_gaps = sorted(expected - set(got))
        if timeline_gaps:
            pytest.xfail(f"timeline does not yet reproduce EXPECTED.md {timeline_gaps}; preflight vs episodes: {problems}")
    assert problems == []


def test_cli_writes_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["preflight", str(CONFIG), "--out", str(out), "--as-of", "2026-11-20"])
    assert run.exit_code == 0, run.output
    assert "8 errors" in run.output
    target = out / "preflight"
    findings = pq.read_table(target / "findings.parquet")
    assert findings.schema.equals(PREFLIGHT) and findings.num_rows >= 8
    certs = pq.read_table(target / "certificates.parquet")
    assert certs.schema.equals(CERTIFICATES)
    frame = certs.to_pandas()
    status = dict(zip(frame["owner"] + ":" + frame["label"], frame["status"], strict=True))
    assert status["QMB:ibmwebspheremqqmb"] == "expired" and status["QMA:ibmwebspheremqqma"] == "expiring"
    assert status["QMB:qmb-2026"] == "ok"
    calendar = pq.read_table(target / "calendar.parquet")
    assert calendar.schema.equals(CALENDAR)
    # one event per distinct certificate: the root CA is held by all four repositories, one event
    assert calendar.num_rows == 9
    ics = (target / "renewals.ics").read_bytes().decode("utf-8")
    assert ics.count("BEGIN:VEVENT") == 9 and "\n" not in ics.replace("\r\n", "")
    lines = icalendar.unfold(ics)
    assert "DTSTART;VALUE=DATE:20261205" in lines and "DTSTART;VALUE=DATE:20261119" in lines
    assert all(line.startswith("DTSTAMP:20261120T000000Z") for line in lines if line.startswith("DTSTAMP"))
    assert len({line for line in lines if line.startswith("UID:")}) == 9
    assert all(len(raw.encode("utf-8")) <= 75 for raw in ics.split("\r\n"))
    # re-running replaces the outputs (no duplicates)
    again = CliRunner().invoke(main, ["preflight", str(CONFIG), "--out", str(out), "--as-of", "2026-11-20"])
    assert again.exit_code == 0 and pq.read_table(target / "findings.parquet").num_rows == findings.num_rows


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    failing = runner.invoke(main, ["preflight", str(CONFIG), "--out", str(tmp_path), "--as-of", "2026-11-20",
                                   "--fail-on", "error"])
    assert failing.exit_code == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nendpoints:\n  - name: QMX\n    colour: blue\n", encoding="utf-8")
    broken = runner.invoke(main, ["preflight", str(bad), "--out", str(tmp_path / "o")])
    assert broken.exit_code == 1 and "endpoints[0] (QMX): unknown key(s) colour" in broken.output
    assert "Traceback" not in broken.output
    missing = runner.invoke(main, ["preflight", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    assert runner.invoke(main, ["preflight", "--help"]).exit_code == 0


def test_input_errors_name_file_and_place(tmp_path: Path) -> None:
    (tmp_path / "qm").mkdir()
    (tmp_path / "qm" / "defs.txt").write_text(
        "AMQ8414I: Display Channel details.\n   CHANNEL(A.B)                            CONNAME(x(1414)\n",
        encoding="utf-8")
    run = CliRunner().invoke(main, ["preflight", str(tmp_path), "--out", str(tmp_path / "o")])
    assert run.exit_code == 1 and re.search(r"defs\.txt:2: unbalanced parentheses in CONNAME", run.output)
    ks = tmp_path / "m" / "ks"
    ks.mkdir(parents=True)
    (ks / "cert-list.txt").write_text("-\tmissing-label\n", encoding="utf-8")
    (tmp_path / "m" / "preflight.yaml").write_text(
        "version: 1\nendpoints:\n  - name: QMX\n    keystore: ks\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["preflight", str(tmp_path / "m"), "--out", str(tmp_path / "o")])
    assert run.exit_code == 1 and "cert-list.txt: label 'missing-label' has no certificate file" in run.output
    (ks / "cert-list.txt").write_text("-\tbroken\n", encoding="utf-8")
    (ks / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                                   encoding="utf-8")
    run = CliRunner().invoke(main, ["preflight", str(tmp_path / "m"), "--out", str(tmp_path / "o")])
    assert run.exit_code == 1 and "broken.pem: not a PEM or DER X.509 certificate" in run.output


def test_directory_convention_without_manifest(tmp_path: Path) -> None:
    """Sub-folders with runmqsc output and keystore/; names from QMNAME; pairs by channel name."""
    import shutil

    for sub in ("qmb", "qmc"):
        shutil.copytree(CONFIG / sub, tmp_path / sub)
    result = analyse([tmp_path], AS_OF, 30)
    assert set(result.endpoints) == {"QMB", "QMC"}
    errors = {(f.channel, f.qmgr, f.cause) for f in result.findings if f.severity == "error"}
    # without a manifest QMC's TLS policy is the default (TLS 1.0 off), so its own TLS 1.0 CipherSpec is
    # an error too; without addresses QMB.QMC.NEW cannot be paired by name: an unknown partner
    assert errors == {("QMC.QMB", "QMB", "tls_policy_mismatch"), ("QMC.QMB", "QMC", "tls_policy_mismatch")}
    assert any(f.channel == "QMB.QMC.NEW" and f.check_id == "pair.partner_unknown" for f in result.findings)


def test_runs_on_the_real_runmqsc_capture(shared_dir: Path, tmp_path: Path) -> None:
    """The real 9.4.2 capture, read in place through a manifest: every object loads, nothing pairs
    (its only sender has no CONNAME) and CHLAUTH(DISABLED) switches the records off."""
    capture = shared_dir / "status-samples" / "instana-mq_status-9.4.2-QM1.txt"
    manifest = tmp_path / "preflight.yaml"
    manifest.write_text(f"version: 1\nendpoints:\n  - name: QM1\n    mqsc: ['{capture.as_posix()}']\n",
                        encoding="utf-8")
    [qm1] = config.load([manifest])
    assert len(qm1.channels) == 14 and len(qm1.chlauth) == 6 and qm1.qmgr["CHLAUTH"] == "DISABLED"
    result = analyse([manifest], AS_OF)
    assert result.findings == [] and result.pairs == 0
