"""The hosts source over real testinfra backends: the lab's hosts, a plain local:// host,
and a winrm:// host that does not answer."""

from __future__ import annotations

import base64
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pytest_cmaad.facts import HostReport, HostsReport
from pytest_cmaad.lab.build import TENANT_ID
from pytest_cmaad.lab.hosts import LabHosts, build_hosts, cmtrace, sitelog
from pytest_cmaad.lab.scenarios import SCENARIOS
from pytest_cmaad.sources.hosts.collect import gather_hosts
from pytest_cmaad.sources.hosts.scripts import (
    encoded_command,
    ps_literal,
    tails_script_ps,
    values_script_ps,
)
from pytest_cmaad.sources.hosts.urls import (
    client_names,
    computer_name,
    parse_host_url,
    unique_labels,
)

NOW = datetime(2026, 11, 29, 12, 0)  # naive UTC, as the lab takes it
LIMIT = 262144


@pytest.fixture(scope="module")
def lab_hosts(tmp_path_factory: pytest.TempPathFactory) -> LabHosts:
    return build_hosts(SCENARIOS["healthy"], tmp_path_factory.mktemp("hosts"), 300, 4, NOW)


def gather(hosts: LabHosts, log_bytes: int = LIMIT) -> tuple[HostsReport, int]:
    profile = hosts.profile()
    report, _, _, commands = gather_hosts(profile["client_hosts"], profile["server_hosts"], 10,
                                          log_bytes, hosts.open)
    return report, commands


def by_id(report: HostsReport, host_id: str) -> HostReport:
    return next(h for h in [*report.clients, *report.servers] if h.id == host_id)


# -- the lab's hosts --------------------------------------------------------------------------


def test_folders_are_discovered_from_the_host_environment(lab_hosts: LabHosts) -> None:
    """Each role's folder is the first candidate holding its logs; nothing is assumed."""
    report, commands = gather(lab_hosts)
    client = by_id(report, lab_hosts.client.name)
    assert client.problem is None and client.platform == "posix"
    assert client.computer_name == lab_hosts.client.name
    assert {f.role: f.path for f in client.folders} == {"client": "C:/Windows/CCM/Logs"}
    mp = by_id(report, "mp01.lab.contoso.test")
    site = by_id(report, "cm01.lab.contoso.test")
    assert {f.role: f.path for f in mp.folders} == {
        "mp": "C:/Program Files/SMS_CCM/Logs", "site": None}
    site_folder = "C:/Program Files/Microsoft Configuration Manager/Logs"
    assert {f.role: f.path for f in site.folders} == {"mp": None, "site": site_folder}
    # SMS_LOG_PATH and the default installation folder are the same here: looked at once.
    assert next(f for f in site.folders if f.role == "site").looked == [site_folder]
    # Two commands per host, plus dsregcmd on the client.
    assert commands == 2 * 3 + 1


def test_every_encoding_and_the_rotated_file_are_read(lab_hosts: LabHosts) -> None:
    """UTF-8, UTF-8 with BOM, UTF-16 LE; CcmAad.lo_ merged before CcmAad.log; UTC times."""
    report, _ = gather(lab_hosts)
    logs = {log.name: log for h in [*report.clients, *report.servers] for log in h.logs}
    assert set(logs) == {"ClientIDManagerStartup.log", "CcmAad.log", "ADALOperationProvider.log",
                         "CCM_STS.log", "MP_RegistrationManager.log",
                         "SMS_AZUREAD_DISCOVERY_AGENT.log", "CollectionAADGroupSyncWorker.log"}
    for log in logs.values():
        assert log.problem is None and log.entries > 0, log.name
        assert log.last_time is not None and log.last_time <= NOW.replace(tzinfo=timezone.utc)
        assert log.bytes_read == log.size + log.rotated_bytes
    sts = logs["CCM_STS.log"]  # UTF-16 LE with BOM, bias +300
    assert sts.counts == {"validated": 24}
    assert sts.lines[-1].raw_time.endswith("+300")
    assert sts.last_time == datetime(2026, 11, 29, 11, 43, 0, 72000, tzinfo=timezone.utc)
    token = logs["CcmAad.log"]
    assert token.rotated_bytes > 0
    assert token.counts["token_ok"] == 9  # 6 from CcmAad.lo_, 3 from CcmAad.log
    rotated = [line for line in token.lines if line.rotated]
    assert rotated and max(r.seq for r in rotated) < min(
        line.seq for line in token.lines if not line.rotated)
    assert logs["SMS_AZUREAD_DISCOVERY_AGENT.log"].counts["success"] == 24


@pytest.mark.parametrize("limit", [2048, 2047])
def test_only_the_end_of_each_log_is_read(lab_hosts: LabHosts, limit: int) -> None:
    """At most log_bytes per log (rotated file included); the partial first line is dropped;
    an odd limit cuts UTF-16 logs mid-character, which still decode."""
    report, _ = gather(lab_hosts, log_bytes=limit)
    for host in [*report.clients, *report.servers]:
        for log in host.logs:
            assert log.bytes_read <= limit, log.name
            assert log.entries > 0, log.name
            full = [e for e in log.lines if not e.raw_time]
            assert full == [], log.name
    sts = next(log for log in by_id(report, "mp01.lab.contoso.test").logs
               if log.name == "CCM_STS.log")
    assert sts.size > limit and 0 < sts.entries < 24 * 6
    assert all(line.time is not None for line in sts.lines)


def test_the_sampled_client_agrees_with_the_database(lab_hosts: LabHosts) -> None:
    """dsregcmd's DeviceId and TenantId are the database's for that client."""
    report, _ = gather(lab_hosts)
    status = report.clients[0].dsregcmd
    assert status is not None and status.azure_ad_joined is True
    assert lab_hosts.sampled.key_device_id is not None
    assert status.device_id == lab_hosts.sampled.key_device_id.lower()
    assert status.tenant_id == TENANT_ID.lower()
    assert status.keys["Device State/AzureAdJoined"] == "YES"


# -- a plain local:// host ----------------------------------------------------------------


def windows_tree(root: Path, windir_name: str) -> Path:
    """A client's folders under ``root``; returns its WINDIR."""
    windir = root / windir_name
    logs = windir / "CCM" / "Logs"
    logs.mkdir(parents=True)
    when = datetime(2026, 11, 29, 10, 0)
    (logs / "ClientIDManagerStartup.log").write_bytes("".join(
        line + "\r\n" for line in [
            cmtrace("Registering client using AAD auth.", when, "ClientIDManagerStartup", -120),
            cmtrace("[RegTask] - Client is registered. Server assigned ClientID is GUID:"
                    "5B0A6C1D-2E3F-4A5B-8C6D-7E8F9A0B1C2D. Approval status 3", when,
                    "ClientIDManagerStartup", -120)]).encode("utf-16-le"))
    (logs / "CcmAad.log").write_text(cmtrace(
        "Retrieved AAD token for AAD user '0c4d2e1f-3a5b-4c6d-8e7f-9a0b1c2d3e4f'", when,
        "CcmAad", -120) + "\n", encoding="utf-8")
    return windir


def fake_tool(folder: Path, name: str, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)


def test_plain_local_host_with_hostile_folder_names(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """testinfra quotes every argument: a folder name with quotes, ; and $( ) is just a name."""
    windir = windows_tree(tmp_path, "Win dows';$(touch INJECTED);\"x")
    fake_tool(tmp_path / "bin", "dsregcmd", 'echo "  AzureAdJoined : YES"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("WINDIR", str(windir))
    monkeypatch.setenv("COMPUTERNAME", "WS0042")
    monkeypatch.chdir(tmp_path)
    report, objects, _, _ = gather_hosts(["local://"], [], 10, LIMIT)
    host = report.clients[0]
    assert host.problem is None and host.logs_problem is None, host
    assert host.computer_name == "WS0042"
    assert objects == {"client": [host.id]}
    assert {log.name for log in host.logs} == {"ClientIDManagerStartup.log", "CcmAad.log"}
    registration = next(log for log in host.logs if log.name == "ClientIDManagerStartup.log")
    assert registration.counts == {"registering_aad": 1, "registered": 1}
    assert not (tmp_path / "INJECTED").exists() and not Path("INJECTED").exists()


@pytest.mark.parametrize(("script", "expected"), [
    ('echo "Access is denied."; exit 5\n',
     "dsregcmd /status failed (exit 5: Access is denied.); run it as a user allowed to"),
    ("exit 127\n", "dsregcmd is not on this host (exit 127)"),
    ("echo hello\n", "dsregcmd /status printed nothing this version of pytest-cmaad "
                     "recognises"),
])
def test_a_dsregcmd_that_fails_spoils_only_dsregcmd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, expected: str) -> None:
    windir = windows_tree(tmp_path, "Windows")
    fake_tool(tmp_path / "bin", "dsregcmd", script)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("WINDIR", str(windir))
    report, _, _, _ = gather_hosts(["local://WS0042"], [], 10, LIMIT)
    host = report.clients[0]
    assert host.id == "WS0042"
    assert host.problem is None and host.dsregcmd is None
    assert host.dsregcmd_problem is not None
    assert expected in host.dsregcmd_problem.message
    assert "\n" not in host.dsregcmd_problem.message
    assert len(host.logs) == 2


def test_no_client_folder_is_reported_with_where_it_looked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "nowhere"))
    monkeypatch.delenv("SMS_LOG_PATH", raising=False)
    report, _, _, _ = gather_hosts([], ["local://cm99"], 10, LIMIT)
    host = report.servers[0]
    assert host.problem is None and host.logs == []
    assert {f.role: f.looked for f in host.folders} == {
        "mp": [f"{tmp_path}/nowhere/SMS_CCM/Logs"],
        "site": [f"{tmp_path}/nowhere/Microsoft Configuration Manager/Logs"]}


# -- a host that does not answer --------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def silent_listener() -> socket.socket:
    """A port that accepts connections and never says anything."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def test_winrm_host_refusing_is_one_line_without_the_password() -> None:
    pytest.importorskip("winrm")
    url = f"winrm://CONTOSO%5Csvc_mecm:S3cr%3Ft-pw@127.0.0.1:{closed_port()}"
    started = time.perf_counter()
    report, objects, _, _ = gather_hosts([url], [], 3, LIMIT)
    assert time.perf_counter() - started < 3
    host = report.clients[0]
    assert objects == {"client": ["127.0.0.1"]}
    assert host.problem is not None
    message = host.problem.message
    assert message.startswith("hosts 127.0.0.1: cannot reach winrm://127.0.0.1:")
    assert "connection refused" in message and "WinRM listens" in message
    assert "\n" not in message and "S3cr" not in host.model_dump_json()


def test_winrm_host_that_never_answers_errors_within_the_timeout() -> None:
    pytest.importorskip("winrm")
    listener = silent_listener()
    try:
        port = listener.getsockname()[1]
        started = time.perf_counter()
        report, _, _, _ = gather_hosts(
            [f"winrm://svc:pw@127.0.0.1:{port}?no_ssl=true"], [], 2, LIMIT)
        elapsed = time.perf_counter() - started
    finally:
        listener.close()
    problem = report.clients[0].problem
    assert problem is not None and "no answer within 2 s" in problem.message, problem
    assert elapsed < 2 + 1.5


def test_a_bad_url_is_that_host_only() -> None:
    report, objects, _, _ = gather_hosts(["me:pw@ws01.contoso.test", "local://"], [], 5,
                                         LIMIT)
    bad = by_id(report, "ws01.contoso.test")
    assert bad.problem is not None
    assert bad.problem.message == (
        "hosts ws01.contoso.test: bad host URL: expected a URL such as winrm://user@host:5986, "
        "ssh://host or local://; fix it in client_hosts")
    assert len(objects["client"]) == 2


# -- URLs and the Windows scripts ---------------------------------------------------------


def test_host_urls() -> None:
    url = parse_host_url("winrm://CONTOSO%5Csvc:P%40ss@WS042.Contoso.com:5986?no_ssl=false")
    assert (url.scheme, url.name, url.port) == ("winrm", "WS042.Contoso.com", 5986)
    assert url.label == "WS042.Contoso.com" and url.address == "winrm://WS042.Contoso.com:5986"
    assert url.redact("failed for P@ss and P%40ss") == "failed for *** and ***"
    assert computer_name(url) == "WS042"
    assert computer_name(parse_host_url("ssh://10.1.2.3")) is None
    assert client_names(["local://lab-ws00001", "winrm://u@[::1]:5986", "nonsense"]) == [
        "LAB-WS00001"]
    hosts = [parse_host_url("winrm://a:5986"), parse_host_url("ssh://a"),
             parse_host_url("local://b")]
    assert unique_labels(hosts) == ["a:winrm5986", "a:ssh", "b"]


def test_powershell_literals_and_encoding() -> None:
    assert ps_literal("C:\\It's ‘here’") == "'C:\\It''s ‘‘here’’'"
    script = tails_script_ps(["C:\\Program Files\\SMS_CCM\\Logs\\CCM_STS.log"], 4096)
    assert script.startswith("$n=4096\n$paths=@('C:\\Program Files\\SMS_CCM\\Logs\\CCM_STS.log')")
    assert base64.b64decode(encoded_command(script)).decode("utf-16-le") == script
    values = values_script_ps(("WINDIR",), (("REG_X", r"HKLM:\SOFTWARE\X", "Installation "
                                                                           "Directory"),))
    assert "GetEnvironmentVariable('WINDIR')" in values
    assert "-LiteralPath 'HKLM:\\SOFTWARE\\X' -Name 'Installation Directory'" in values


def test_windows_command_lines_fit_cmd() -> None:
    """The longest tails command stays under cmd.exe's 8191 characters, quoted by testinfra."""
    winrm_backend = pytest.importorskip("testinfra.backend.winrm")
    folder = "C:\\Program Files\\Microsoft Configuration Manager\\Logs\\"
    paths = [folder + name for name in ("SMS_AZUREAD_DISCOVERY_AGENT.log",
                                        "CollectionAADGroupSyncWorker.log",
                                        "CCM_STS.log", "MP_RegistrationManager.log")] * 3
    line = winrm_backend.WinRMBackend.quote(
        "powershell -NoProfile -NonInteractive -EncodedCommand %s",
        encoded_command(tails_script_ps(paths, LIMIT)))
    assert len(line) < 8191


def test_site_log_helper_writes_the_documented_shape() -> None:
    line = sitelog("SQL>>>>> Done.", datetime(2022, 11, 30, 2, 3, 34, 174000),
                   "SMS_COLLECTION_EVALUATOR", -60)
    assert line == ("SQL>>>>> Done.  $$<SMS_COLLECTION_EVALUATOR><11-30-2022 "
                    "03:03:34.174-60><thread=4844 (0x12EC)>")
