"""CMAAD-601 to 606: what decides each verdict, version-dependent logs, and hosts that fail."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import run_lab

from pytest_cmaad.checks import Verdict, evaluate
from pytest_cmaad.config import SiteSettings, resolve_site
from pytest_cmaad.facts import Fact, SiteFacts, SiteInfo
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.lab.hosts import cmtrace
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.snapshot import SiteSnapshot, SourceState, load_snapshot
from pytest_cmaad.sources.hosts.collect import gather_hosts

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
HOST_CHECKS = {"CMAAD-601": "client", "CMAAD-602": "client", "CMAAD-603": "client",
               "CMAAD-604": "server", "CMAAD-605": "server", "CMAAD-606": "server"}
# A log line as quoted: file, time as written with its bias, component, the text in quotes.
QUOTED = r"{log} \d\d-\d\d-\d{{4}} \d\d:\d\d:\d\d\.\d{{3}}[+-]\d+ {component}: \"[^\"]*{text}"


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Site,
                                                                                SiteSnapshot]]]:
    """Lab sites by scenario, built and collected on first use."""
    built: dict[str, tuple[Site, SiteSnapshot]] = {}
    sites: list[LabSite] = []

    def get(name: str) -> tuple[Site, SiteSnapshot]:
        if name not in built:
            lab = LabSite.build(SCENARIOS[name], tmp_path_factory.mktemp(name), now=NOW)
            sites.append(lab)
            site = Site(resolve_site("lab", None, {}, {}, lab.profile()), lab)
            built[name] = (site, collect_snapshot(site, NOW))
        return built[name]

    class Labs(dict[str, tuple[Site, SiteSnapshot]]):
        def __missing__(self, key: str) -> tuple[Site, SiteSnapshot]:
            return get(key)

    yield Labs()
    # Each lab stops its servers in about a second and a half: stop them side by side.
    with ThreadPoolExecutor() as pool:
        list(pool.map(LabSite.close, sites))


def verdicts(site: Site, snapshot: SiteSnapshot, check: str) -> dict[str, Verdict]:
    kind = HOST_CHECKS[check]
    return {obj: evaluate(check, site.settings, snapshot, obj)
            for obj in snapshot.objects.get(kind, [])}


def outcome_of(site: Site, snapshot: SiteSnapshot, check: str) -> dict[str, str]:
    return {obj: v.outcome for obj, v in verdicts(site, snapshot, check).items()}


def test_healthy_hosts_pass_and_site_systems_skip_roles_they_lack(
        labs: dict[str, tuple[Site, SiteSnapshot]]) -> None:
    site, snapshot = labs["healthy"]
    client = snapshot.objects["client"][0]
    assert re.fullmatch(r"LAB-WS\d{5}", client)
    assert snapshot.objects["server"] == ["cm01.lab.contoso.test", "mp01.lab.contoso.test"]
    for check in ("CMAAD-601", "CMAAD-602", "CMAAD-603"):
        assert outcome_of(site, snapshot, check) == {client: "passed"}
    for check in ("CMAAD-604", "CMAAD-605"):
        found = verdicts(site, snapshot, check)
        assert found["mp01.lab.contoso.test"].outcome == "passed"
        assert found["cm01.lab.contoso.test"].reason == "not-applicable"
    found = verdicts(site, snapshot, "CMAAD-606")
    assert found["cm01.lab.contoso.test"].outcome == "passed"
    assert found["mp01.lab.contoso.test"].reason == "not-applicable"
    joined = verdicts(site, snapshot, "CMAAD-601")[client].message
    assert "DeviceId and TenantId match the site's AADDeviceID / AADTenantID" in joined


@pytest.mark.parametrize(("scenario", "check", "pattern"), [
    ("client-not-joined", "CMAAD-601", r"dsregcmd /status says AzureAdJoined : NO "
                                       r"\(DomainJoined : YES\)"),
    ("client-not-joined", "CMAAD-602", QUOTED.format(
        log="ClientIDManagerStartup.log", component="ClientIDManagerStartup",
        text="Approval status 1")),
    ("device-id-mismatch", "CMAAD-601", r"dsregcmd /status says DeviceId : [0-9a-f-]{36}, but "
                                        r"the site has AADDeviceID [0-9a-f-]{36} for LAB-WS"),
    ("registration-without-aad", "CMAAD-602", QUOTED.format(
        log="ClientIDManagerStartup.log", component="ClientIDManagerStartup",
        text="Approval status 1")),
    ("registration-without-aad", "CMAAD-605", "none with Azure AD auth.*" + QUOTED.format(
        log="MP_RegistrationManager.log", component="MP_RegistrationManager",
        text="Processing Registration request")),
    ("wam-failure", "CMAAD-603", QUOTED.format(log="CcmAad.log", component="CcmAad",
                                               text="Error 0xd0090016")),
    ("token-service-exception", "CMAAD-604", QUOTED.format(
        log="CCM_STS.log", component="CCM_STS", text="FileLoadException")),
    ("secret-unobtainable", "CMAAD-606", QUOTED.format(
        log="SMS_AZUREAD_DISCOVERY_AGENT.log", component="SMS_AZUREAD_DISCOVERY_AGENT",
        text="Could not obtain application secret")),
])
def test_a_failure_quotes_what_decided_it(labs: dict[str, tuple[Site, SiteSnapshot]],
                                          scenario: str, check: str, pattern: str) -> None:
    site, snapshot = labs[scenario]
    failed = [v for v in verdicts(site, snapshot, check).values() if v.outcome == "failed"]
    assert len(failed) == 1
    assert re.search(pattern, failed[0].message), failed[0].message
    assert failed[0].offenders is not None and failed[0].offenders.total == 1


def test_the_time_quoted_is_the_time_written_and_the_evidence_has_utc(
        labs: dict[str, tuple[Site, SiteSnapshot]]) -> None:
    site, snapshot = labs["token-service-exception"]
    verdict = verdicts(site, snapshot, "CMAAD-604")["mp01.lab.contoso.test"]
    line = verdict.observed["line"]
    assert line["time"].endswith("+300") and line["component"] == "CCM_STS"
    written = datetime.strptime(line["time"][:23], "%m-%d-%Y %H:%M:%S.%f")
    assert datetime.fromisoformat(line["utc"]).replace(tzinfo=None) - written == timedelta(
        minutes=300)


def with_version(snapshot: SiteSnapshot, version: str | None) -> SiteSnapshot:
    info = None if version is None else Fact(source="sql", value=SiteInfo(
        site_code="LAB", version=version))
    return snapshot.model_copy(update={"facts": snapshot.facts.model_copy(
        update={"site_info": info})})


@pytest.mark.parametrize(("version", "outcome", "log"), [
    ("5.00.9132.1000", "passed", "SMS_AZUREAD_DISCOVERY_AGENT.log"),  # 2409: back there
    ("5.00.9040.1000", "failed", "CollectionAADGroupSyncWorker.log"),  # 2010: the worker's
    ("5.00.8913.1000", "passed", "SMS_AZUREAD_DISCOVERY_AGENT.log"),  # 1910
    (None, "passed", "SMS_AZUREAD_DISCOVERY_AGENT.log"),  # unknown: the one written last
])
def test_the_sync_log_is_the_one_the_site_version_writes(
        labs: dict[str, tuple[Site, SiteSnapshot]], version: str | None, outcome: str,
        log: str) -> None:
    """The lab's site server keeps an old CollectionAADGroupSyncWorker.log with a secret
    error: only a 2002-2211 site reads it."""
    site, snapshot = labs["healthy"]
    verdict = verdicts(site, with_version(snapshot, version), "CMAAD-606")[
        "cm01.lab.contoso.test"]
    assert verdict.outcome == outcome, verdict.message
    assert verdict.observed["log"] == log
    if version is None:
        assert "the ConfigMgr version is not known" in verdict.message


def test_the_token_log_follows_the_client_version(
        labs: dict[str, tuple[Site, SiteSnapshot]]) -> None:
    """A client older than 2107 writes ADALOperationProvider.log (here with a WAM error)."""
    site, snapshot = labs["healthy"]
    fact = snapshot.facts.sampled_clients
    assert fact is not None and fact.value
    older = [r.model_copy(update={"client_version": "5.00.9049.1000"}) for r in fact.value]
    changed = snapshot.model_copy(update={"facts": snapshot.facts.model_copy(
        update={"sampled_clients": Fact(source="sql", value=older)})})
    client = snapshot.objects["client"][0]
    verdict = verdicts(site, changed, "CMAAD-603")[client]
    assert verdict.outcome == "failed"
    assert "ADALOperationProvider.log" in verdict.message and "0xd0090016" in verdict.message
    assert verdicts(site, snapshot, "CMAAD-603")[client].outcome == "passed"


def test_a_snapshot_replays_to_the_same_host_verdicts(
        labs: dict[str, tuple[Site, SiteSnapshot]]) -> None:
    site, snapshot = labs["wam-failure"]
    again = load_snapshot(snapshot.to_json(), "snapshot.json")
    for check in HOST_CHECKS:
        assert verdicts(site, again, check) == verdicts(site, snapshot, check)
    assert len(snapshot.to_json()) < 60_000


# -- hosts that fail ------------------------------------------------------------------------


DSREGCMD = """
+----------------------------------------------------------------------+
| Device State                                                         |
+----------------------------------------------------------------------+

             AzureAdJoined : YES
          EnterpriseJoined : NO
              DomainJoined : NO

+----------------------------------------------------------------------+
| Tenant Details                                                       |
+----------------------------------------------------------------------+

                TenantName : Contoso
                  TenantId : 9f1c2b7e-4d3a-4e8b-9a61-2c5d7e8f0a13
"""


def client_machine(root: Path, monkeypatch: pytest.MonkeyPatch, dsregcmd: str) -> None:
    """Make this machine look like a client to local://: logs under WINDIR, a dsregcmd."""
    logs = root / "Windows" / "CCM" / "Logs"
    logs.mkdir(parents=True)
    when = datetime(2026, 11, 29, 10, 0)
    (logs / "ClientIDManagerStartup.log").write_text(cmtrace(
        "[RegTask] - Client is registered. Server assigned ClientID is GUID:5B0A6C1D-2E3F-4A5B-"
        "8C6D-7E8F9A0B1C2D. Approval status 3", when, "ClientIDManagerStartup", 480) + "\n")
    (logs / "CcmAad.log").write_text(cmtrace(
        "Retrieved AAD token for AAD device '5d0c8e21-7b44-4f0e-8c3d-1a2b3c4d5e6f'", when,
        "CcmAad", 480) + "\n")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "dsregcmd").write_text("#!/bin/sh\n" + dsregcmd)
    (bin_dir / "dsregcmd").chmod(0o755)
    (bin_dir / "dsregcmd-status.txt").write_text(DSREGCMD)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WINDIR", str(root / "Windows"))


def test_a_denied_dsregcmd_errors_only_its_check(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client_machine(tmp_path, monkeypatch, 'echo "Access is denied." >&2; exit 5\n')
    report, objects, _, _ = gather_hosts(["local://WS0042"], [], 10, 65536)
    settings = SiteSettings("PS1", {"client_hosts": ["local://WS0042"],
                                    "host_log_bytes": 65536}, {})
    snapshot = SiteSnapshot(
        site="PS1", site_code=None, collected_at=NOW,
        sources={"hosts": SourceState(state="ok")},
        facts=SiteFacts(hosts=Fact(source="hosts", value=report)), objects=objects)
    found = {c: evaluate(c, settings, snapshot, "WS0042").outcome
             for c in ("CMAAD-601", "CMAAD-602", "CMAAD-603")}
    assert found == {"CMAAD-601": "error", "CMAAD-602": "passed", "CMAAD-603": "passed"}
    message = evaluate("CMAAD-601", settings, snapshot, "WS0042").message
    assert message == ("hosts WS0042: dsregcmd /status failed (exit 5: Access is denied.); run "
                       "it as a user allowed to")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_host_that_does_not_answer_errors_only_its_checks(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clients: this machine over local:// decides; a closed winrm:// port errors its three
    checks with one line each, quickly, and its password appears nowhere."""
    pytest.importorskip("winrm")
    client_machine(pytester.path / "machine", monkeypatch,
                   'cat "$(dirname "$0")/dsregcmd-status.txt"\n')
    port = closed_port()
    pytester.makefile(".toml", cmaad=(
        "[sites.PS1]\n"
        f'client_hosts = ["local://WS0042", "winrm://CONTOSO%5Csvc:Sup3r%21Secret@127.0.0.1:'
        f'{port}"]\n'
        'tenant_id = "9f1c2b7e-4d3a-4e8b-9a61-2c5d7e8f0a13"\n'
        "host_timeout = 3\n"))
    started = time.perf_counter()
    report = run_lab(pytester, "--cm-site=PS1", "-rE")
    assert time.perf_counter() - started < 3 + 10
    by_host = {(c.properties["cm_check_id"], c.properties.get("cm_object")): c
               for c in report.cases if c.properties["cm_check_id"] in HOST_CHECKS}
    for check in ("CMAAD-601", "CMAAD-602", "CMAAD-603"):
        assert by_host[check, "WS0042"].outcome == "passed", by_host[check, "WS0042"].message
        failed = by_host[check, "127.0.0.1"]
        assert failed.outcome == "error"
        assert (f"cannot be decided: hosts 127.0.0.1: cannot reach winrm://127.0.0.1:{port}: "
                "connection refused; check that WinRM listens") in failed.message
    for check in ("CMAAD-604", "CMAAD-605", "CMAAD-606"):
        assert by_host[check, None].outcome == "skipped"
    assert report.ids("error") == {"CMAAD-601", "CMAAD-602", "CMAAD-603"}
    output = report.result.stdout.str()
    assert "Traceback" not in output
    for text in (output, (pytester.path / "junit.xml").read_text()):
        assert "Sup3r" not in text
    errors = [line for line in report.result.stdout.lines if line.startswith("ERROR cmaad/")]
    assert len(errors) == 3 and all("127.0.0.1" in line for line in errors)
