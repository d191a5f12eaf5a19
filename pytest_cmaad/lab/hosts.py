"""The lab's hosts: a sampled client, management point mp01 and the site server.

Each host is a folder laid out like the Windows machine it stands for (``C:/Windows/CCM/Logs``,
``C:/Program Files/SMS_CCM/Logs``, ...) with a ``bin`` folder holding its ``dsregcmd``. The
hosts source reaches every lab host through testinfra's ``local`` backend; what tells them
apart is the environment each command runs in: the folder as working directory, and the
variables a Windows host would have (``COMPUTERNAME``, ``WINDIR``, ``ProgramFiles``,
``SMS_LOG_PATH``), so that the source discovers the folders exactly as on a real host.

Logs are written from the scenario, in the formats and encodings ConfigMgr uses, and agree
with the lab database: the sampled client's dsregcmd ``DeviceId`` is the ``AADDeviceID`` the
database holds for it in the healthy lab.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..sources.hosts.urls import HostUrl
from . import build
from .build import Device
from .scenarios import MP01, LabScenario

CLIENT_BIAS = -60  # Central European Time: UTC = local time - 60 minutes
MP_BIAS = 300  # Eastern Standard Time
SITE_BIAS = 0
WINDIR = "C:/Windows"
PROGRAM_FILES = "C:/Program Files"
SITE_LOGS = f"{PROGRAM_FILES}/Microsoft Configuration Manager/Logs"
MP_NAME = MP01
SYSTEM_SID = "S-1-5-18"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1108"


@dataclass(frozen=True)
class LabHost:
    """One lab host: its name, folder and environment."""

    name: str
    root: Path
    environment: dict[str, str]

    @property
    def url(self) -> str:
        """Its URL in the lab's profile."""
        return f"local://{self.name}"


class LabShell:
    """Runs commands on a lab host through testinfra's local backend, in the host's folder
    and environment. Quoting is testinfra's."""

    def __init__(self, host: LabHost) -> None:
        import testinfra

        self.host = host
        self.backend = testinfra.get_host("local://").backend

    def run(self, command: str, *args: str) -> Any:
        """Run ``command`` (with ``%s`` arguments, quoted by testinfra) on the lab host."""
        inner = self.backend.quote(command, *args)
        assignments = [f"{k}={v}" for k, v in self.host.environment.items()]
        wrapper = "cd %s && exec env" + " %s" * len(assignments) + " /bin/sh -c %s"
        return self.backend.run_local(wrapper, str(self.host.root), *assignments, inner)


@dataclass(frozen=True)
class LabHosts:
    """The built lab hosts."""

    client: LabHost
    servers: tuple[LabHost, ...]
    sampled: Device

    def profile(self) -> dict[str, list[str]]:
        """``client_hosts`` and ``server_hosts`` for the lab's profile."""
        return {"client_hosts": [self.client.url],
                "server_hosts": [h.url for h in self.servers]}

    def open(self, url: HostUrl, timeout: int) -> LabShell:
        """The shell of the lab host ``url`` names."""
        for host in (self.client, *self.servers):
            if host.name.lower() == url.name.lower():
                return LabShell(host)
        raise ConnectionRefusedError(f"no lab host is named {url.name!r}")


def sampled_client(scenario: LabScenario, devices: list[Device]) -> Device:
    """The active client the lab samples: one registered with Azure AD in the database, or,
    when the scenario's client is not joined or registered without Azure AD, one without."""
    registered = scenario.client_joined and scenario.client_registers_with_aad

    def fits(d: Device) -> bool:
        active = d.client and d.active and not d.obsolete and not d.decommissioned
        has_ids = d.key_device_id is not None and d.heartbeat_device_id is not None
        has_none = d.key_device_id is None and d.heartbeat_device_id is None
        return active and d.build in build.CURRENT_BUILDS and (
            has_ids if registered else has_none)

    return min((d for d in devices if fits(d)), key=lambda d: d.name)


def build_hosts(scenario: LabScenario, folder: Path, devices: int, collections: int,
                now: datetime) -> LabHosts:
    """Write the lab hosts' folders into ``folder``; ``now`` is naive UTC."""
    device = sampled_client(scenario, build.population(scenario, devices, collections))
    path = os.environ.get("PATH", "")

    def host(name: str, **environment: str) -> LabHost:
        root = folder / name
        (root / "bin").mkdir(parents=True, exist_ok=True)
        env = {"COMPUTERNAME": name.split(".")[0].upper(), "WINDIR": WINDIR,
               "ProgramFiles": PROGRAM_FILES, **environment,
               "PATH": f"{root / 'bin'}{os.pathsep}{path}"}
        return LabHost(name, root, env)

    client = host(device.name)
    mp = host(MP_NAME)
    site = host(build.SITE_SERVER, SMS_LOG_PATH=SITE_LOGS)
    _client_files(scenario, client, device, now)
    _mp_files(scenario, mp, now)
    _site_files(scenario, site, now)
    return LabHosts(client, (mp, site), device)


# -- log writing ----------------------------------------------------------------------------


def _clock(when: datetime, bias: int) -> tuple[str, str]:
    local = when - timedelta(minutes=bias)
    sign = "+" if bias >= 0 else "-"
    return (local.strftime("%m-%d-%Y"),
            local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}{sign}{abs(bias)}")


def cmtrace(message: str, when: datetime, component: str, bias: int, severity: int = 1,
            thread: int = 4312, source: str = "") -> str:
    """One entry in the client (CMTrace) format."""
    date, clock = _clock(when, bias)
    return (f'<![LOG[{message}]LOG]!><time="{clock}" date="{date}" component="{component}" '
            f'context="" type="{severity}" thread="{thread}" file="{source}">')


def sitelog(message: str, when: datetime, component: str, bias: int, thread: int = 4844) -> str:
    """One entry in the site-server format."""
    date, clock = _clock(when, bias)
    return f"{message}  $$<{component}><{date} {clock}><thread={thread} (0x{thread:X})>"


def _write(path: Path, lines: list[str], encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(line + "\r\n" for line in lines)
    if encoding == "utf-16":
        path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    elif encoding == "utf-8-bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_bytes(text.encode("utf-8"))


def _device_id(device: Device, scenario: LabScenario) -> str:
    known = device.key_device_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, device.name))
    if scenario.client_device_id_matches:
        return known.lower()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rejoined/{device.name}"))


def _client_files(s: LabScenario, host: LabHost, device: Device, now: datetime) -> None:
    logs = host.root / WINDIR / "CCM" / "Logs"
    device_id = _device_id(device, s)
    tenant = build.TENANT_ID.lower()
    (host.root / "bin" / "dsregcmd-status.txt").write_text(
        _dsregcmd(device.name, s.client_joined, device_id, tenant), encoding="utf-8")
    dsregcmd = host.root / "bin" / "dsregcmd"
    dsregcmd.write_text(
        '#!/bin/sh\n'
        'if [ "$1" != "/status" ]; then echo "Usage: dsregcmd /status" >&2; exit 1; fi\n'
        'cat "$(dirname "$0")/dsregcmd-status.txt"\n', encoding="utf-8")
    dsregcmd.chmod(0o755)

    comp, bias = "ClientIDManagerStartup", CLIENT_BIAS
    installed = now - timedelta(days=21, minutes=17)
    entries = [cmtrace("[RegTask] - Executing registration task synchronously.", installed,
                       comp, bias, source="regtask.cpp:1110")]
    if not s.client_joined:
        entries.append(cmtrace("AADJoinStatusTask: Client hasn't been registered yet.",
                               installed, comp, bias))
    entries.append(cmtrace(
        f"[RegTask] - Client is not registered. Sending registration request for "
        f"{device.sms_id} ...", installed + timedelta(seconds=1), comp, bias,
        source="regtask.cpp:1503"))
    if s.client_registers_with_aad:
        entries.append(cmtrace("Registering client using AAD auth.",
                               installed + timedelta(seconds=2), comp, bias))
    status = 3 if s.client_registers_with_aad else 1
    entries.append(cmtrace(
        f"[RegTask] - Client is registered. Server assigned ClientID is {device.sms_id}. "
        f"Approval status {status}", installed + timedelta(seconds=9), comp, bias,
        source="regtask.cpp:1572"))
    if s.client_registers_with_aad:
        for hours in range(8 * 60, 0, -8):
            when = now - timedelta(hours=hours, minutes=3)
            entries.append(cmtrace(f"Getting CCM Token from https://{MP_NAME}/CCM_STS", when,
                                   comp, bias))
            expires = when + timedelta(hours=8)
            entries.append(cmtrace(
                f"Cached encrypted token for '{SYSTEM_SID}'. Will expire at "
                f"'{expires:%m/%d/%Y %H:%M:%S}'", when + timedelta(seconds=1), comp, bias))
    _write(logs / "ClientIDManagerStartup.log", entries, "utf-8-bom")

    # ADALOperationProvider.log is left over from before 2107: its failures are history.
    old = now - timedelta(days=1240)
    _write(logs / "ADALOperationProvider.log", [
        cmtrace(f"Getting AAD (device) token with: ClientId = {build.CLIENT_APP_ID.lower()}, "
                "ResourceUrl = https://ConfigMgrService, AccountId = "
                "https://login.microsoftonline.com/common/oauth2/token", old,
                "ADALOperationProvider", bias),
        cmtrace(f"Failed to get AAD token for '{SYSTEM_SID}' from WAM API. Error 0xd0090016",
                old + timedelta(seconds=1), "ADALOperationProvider", bias, severity=3),
    ], "utf-8")
    if s.client_joined:
        _token_logs(s, logs, device_id, now)


def _token_logs(s: LabScenario, logs: Path, device_id: str, now: datetime) -> None:
    comp, bias = "CcmAad", CLIENT_BIAS
    request = (f"Getting AAD (device) token with: ClientId = {build.CLIENT_APP_ID.lower()}, "
               "ResourceUrl = https://ConfigMgrService, AccountId = "
               "https://login.microsoftonline.com/common/oauth2/token")

    def success(when: datetime) -> list[str]:
        return [cmtrace(request, when, comp, bias),
                cmtrace(f"Retrieved AAD token for AAD device '{device_id}'",
                        when + timedelta(milliseconds=420), comp, bias)]

    older: list[str] = []
    for hours in range(72, 24, -8):
        older += success(now - timedelta(hours=hours, minutes=5))
    _write(logs / "CcmAad.lo_", older, "utf-8")
    current: list[str] = []
    for hours in range(24, 0, -8):
        when = now - timedelta(hours=hours, minutes=5)
        if not s.client_wam_failure:
            current += success(when)
            continue
        current += [
            cmtrace(request, when, comp, bias),
            cmtrace("WAM token request failed. Status 5, Details 'AAD WAM extension error'",
                    when + timedelta(milliseconds=300), comp, bias, severity=3),
            cmtrace(f"Failed to get AAD token for '{SYSTEM_SID}' from WAM API. Error "
                    "0xd0090016", when + timedelta(milliseconds=310), comp, bias, severity=3),
            cmtrace(f"Falling back to get user '{USER_SID}' token for system...",
                    when + timedelta(milliseconds=320), comp, bias, severity=2),
        ]
    _write(logs / "CcmAad.log", current, "utf-8")


def _mp_files(s: LabScenario, host: LabHost, now: datetime) -> None:
    logs = host.root / PROGRAM_FILES / "SMS_CCM" / "Logs"
    tenant = build.TENANT_ID.lower()
    comp, bias = "CCM_STS", MP_BIAS
    sts: list[str] = []
    for index in range(24):
        when = now - timedelta(minutes=15 * (24 - index) + 2)
        device_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"lab-device-{index}"))
        sts.append(cmtrace("ProcessRequest - Start", when, comp, bias, thread=7788))
        sts.append(cmtrace(f"Incoming request URL: https://{MP_NAME}/CCM_STS", when, comp, bias,
                           thread=7788))
        if s.mp_token_service_exception and index >= 12:
            sts.append(cmtrace(
                "ProcessRequest - Exception: System.IO.FileLoadException: Could not load file "
                "or assembly 'System.IdentityModel.Tokens.JWT, Version=4.0.40306.1554, "
                "Culture=neutral, PublicKeyToken=31bf3856ad364e35' or one of its dependencies. "
                "The located assembly's manifest definition does not match the assembly "
                "reference. (Exception from HRESULT: 0x80131040)",
                when + timedelta(milliseconds=40), comp, bias, severity=3, thread=7788))
            continue
        sts.append(cmtrace(
            f"Validated AAD token. TokenType: Device TenantId: {tenant} UserId: "
            f"00000000-0000-0000-0000-000000000000 DeviceId: {device_id} OnPrem_UserSid: "
            "OnPrem_DeviceSid: ", when + timedelta(milliseconds=60), comp, bias, thread=7788))
        sts.append(cmtrace(
            f"Created SCCM token, token type: Device, hierarchyId: "
            f"{uuid.uuid5(uuid.NAMESPACE_DNS, build.SITE_CODE)}, userId: , deviceId: "
            f"GUID:{uuid.uuid5(uuid.NAMESPACE_X500, device_id)}", when + timedelta(
                milliseconds=70), comp, bias, thread=7788))
        sts.append(cmtrace("Issued token", when + timedelta(milliseconds=71), comp, bias,
                           thread=7788))
        sts.append(cmtrace("Return token to client", when + timedelta(milliseconds=72), comp,
                           bias, thread=7788))
    _write(logs / "CCM_STS.log", sts, "utf-16")

    comp = "MP_RegistrationManager"
    registrations: list[str] = []
    for index in range(12):
        when = now - timedelta(minutes=47 * (12 - index))
        client = f"GUID:{uuid.uuid5(uuid.NAMESPACE_OID, f'lab-client-{index}')}".upper()
        registrations.append(cmtrace(
            f"Begin validation of Certificate [Thumbprint {index:040X}] issued to '{client}'",
            when, comp, bias, thread=5120))
        if s.mp_registers_with_aad:
            registered = uuid.uuid5(uuid.NAMESPACE_OID, f"lab-device-{index}")
            registrations.append(cmtrace(
                f"Registering device using AAD auth: DeviceId='{registered}', "
                f"TenantId='{tenant}'", when + timedelta(milliseconds=30), comp, bias,
                thread=5120))
        registrations.append(cmtrace(f"Processing Registration request from Client '{client}'",
                                     when + timedelta(milliseconds=90), comp, bias, thread=5120))
    _write(logs / "MP_RegistrationManager.log", registrations, "utf-8-bom")


def _site_files(s: LabScenario, host: LabHost, now: datetime) -> None:
    logs = host.root / SITE_LOGS
    comp, bias = build.DISCOVERY_COMPONENT, SITE_BIAS
    tenant = build.TENANT_ID
    lines: list[str] = []
    for cycle in range(24):
        when = now - timedelta(minutes=5 * (24 - cycle) - 1)
        failing = s.sync_secret_unobtainable and cycle >= 12
        lines.append(sitelog("Retrieving AAD discovery settings from database", when, comp,
                             bias))
        if failing:
            lines.append(sitelog(
                f"Could not obtain application secret for tenant {tenant}. If this is after a "
                'site expansion, please run "Renew Secret Key" from admin console.',
                when + timedelta(milliseconds=210), comp, bias))
            continue
        lines += [
            sitelog(f"AAD USER delta sync initialized for tenant {tenant}, with server "
                    f"https://graph.microsoft.com/", when + timedelta(milliseconds=200), comp,
                    bias),
            sitelog('STATMSG: ID=11801 SEV=I LEV=M SOURCE="SMS Server" '
                    f'COMP="{comp}" SYS={build.SITE_SERVER} SITE={build.SITE_CODE} PID=3016 '
                    "TID=4844", when + timedelta(milliseconds=230), comp, bias),
            sitelog("Making Graph request", when + timedelta(milliseconds=300), comp, bias),
            sitelog(f"AAD USER delta sync completed successfully at "
                    f"{when + timedelta(seconds=3):%m/%d/%Y %I:%M:%S %p}",
                    when + timedelta(seconds=3), comp, bias),
            sitelog('STATMSG: ID=11802 SEV=I LEV=M SOURCE="SMS Server" '
                    f'COMP="{comp}" SYS={build.SITE_SERVER} SITE={build.SITE_CODE} PID=3016 '
                    "TID=4844", when + timedelta(seconds=3, milliseconds=20), comp, bias),
            sitelog(f"Next DELTA USER sync for cloud service {build.CLOUD_SERVICE_ID} will "
                    f"start at {when + timedelta(minutes=5):%m/%d/%Y %I:%M:%S %p}",
                    when + timedelta(seconds=3, milliseconds=30), comp, bias),
        ]
    _write(logs / "SMS_AZUREAD_DISCOVERY_AGENT.log", lines, "utf-16")
    # Written by the site before 2303; a version that logs elsewhere no longer touches it.
    old = now - timedelta(days=900)
    _write(logs / "CollectionAADGroupSyncWorker.log", [
        sitelog(f"Could not obtain application secret for tenant {tenant}. If this is after a "
                'site expansion, please run "Renew Secret Key" from admin console.', old,
                "SMS_AZUREAD_DISCOVERY_AGENT", bias),
    ], "utf-8")


def _dsregcmd(name: str, joined: bool, device_id: str, tenant: str) -> str:
    border = "+" + "-" * 78 + "+"

    def section(title: str, *pairs: tuple[str, str]) -> list[str]:
        return [border, f"| {title:<76} |", border, "",
                *(f"{key:>27} : {value}" for key, value in pairs), ""]

    flag = "YES" if joined else "NO"
    lines = section("Device State", ("AzureAdJoined", flag), ("EnterpriseJoined", "NO"),
                    ("DomainJoined", "YES"), ("DomainName", "LAB"),
                    ("Device Name", f"{name.lower()}.lab.contoso.test"))
    if joined:
        lines += section(
            "Device Details", ("DeviceId", device_id),
            ("Thumbprint", uuid.uuid5(uuid.NAMESPACE_DNS, device_id).hex.upper()[:40]),
            ("DeviceCertificateValidity", "[ 2025-02-03 09:12:44.000 UTC -- "
                                          "2035-02-03 09:42:44.000 UTC ]"),
            ("KeyContainerId", str(uuid.uuid5(uuid.NAMESPACE_OID, device_id))),
            ("KeyProvider", "Microsoft Platform Crypto Provider"), ("TpmProtected", "YES"),
            ("DeviceAuthStatus", "SUCCESS"))
        lines += section(
            "Tenant Details", ("TenantName", build.TENANT_NAME), ("TenantId", tenant),
            ("AuthCodeUrl", f"https://login.microsoftonline.com/{tenant}/oauth2/authorize"),
            ("AccessTokenUrl", f"https://login.microsoftonline.com/{tenant}/oauth2/token"),
            ("JoinSrvVersion", "2.0"),
            ("JoinSrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/device/"))
    lines += section("User State", ("NgcSet", "NO"), ("WorkplaceJoined", "NO"),
                     ("WamDefaultSet", "YES" if joined else "NO"))
    lines += section("SSO State", ("AzureAdPrt", "YES" if joined else "NO"))
    if not joined:
        lines += section("Diagnostic Data",
                         ("Diagnostics Reference", "www.microsoft.com/aadjerrors"),
                         ("User Context", "UN-ELEVATED User"),
                         ("Client Time", "2026-11-29 11:00:00.000 UTC"),
                         ("AD Connectivity Test", "PASS"),
                         ("AD Configuration Test", "FAIL [0x80070002]"),
                         ("DRS Discovery Test", "SKIPPED"))
    lines.append("For more information, please visit https://www.microsoft.com/aadjerrors")
    return "\n" + "\n".join(lines) + "\n"
