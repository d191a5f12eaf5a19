"""Build a lab site database from a scenario: a realistic, seeded device population.

Besides the active clients the checks count, the lab adds records that they must ignore:
inactive, obsolete and decommissioned clients, discovered systems without a client, and revoked
keys, each with data that would change a verdict if a filter were missing.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .scenarios import LabScenario
from .schema import create_information_schema, create_schema

SITE_CODE = "LAB"
SECONDARY_SITE = "LS1"
TENANT_ID = "6F1C7E2A-3B4D-4C5E-9F60-718293A4B5C6"
FOREIGN_TENANT_ID = "0D2E4F60-8193-4A5B-8C7D-E9F0A1B2C3D4"
TENANT_NAME = "Contoso Lab"
SERVER_APP_ID = "A8B9C0D1-E2F3-4A5B-9C6D-7E8F90A1B2C3"
CLIENT_APP_ID = "B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E"
CLOUD_SERVICE_ID = 16777217
SITE_SERVER = "cm01.lab.contoso.test"
MP_VERSION = "9132"
MANAGEMENT_POINTS = ("mp01.lab.contoso.test", "mp02.lab.contoso.test")
DISCOVERY_COMPONENT = "SMS_AZUREAD_DISCOVERY_AGENT"
SEVERITY = {"info": 1073741824, "warning": -2147483648, "error": -1073741824}
# The lab's own id for a failed discovery: real failure ids are not documented.
LAB_DISCOVERY_FAILED = 11805

GROUPS = {
    "LAB00010": ("2C9D8E7F-6A5B-4C3D-8E1F-0A9B8C7D6E5F", "CM-Windows11-Workstations"),
    "LAB00011": ("3D0E9F8A-7B6C-4D5E-9F2A-1B0C9D8E7F6A", "CM-Autopilot-Devices"),
}
COLLECTION_NAMES = {
    "SMS00001": "All Systems",
    "LAB00010": "Windows 11 Workstations",
    "LAB00011": "Autopilot Devices",
    "LAB00012": "Kiosks",
}
CURRENT_BUILDS = ("10.0.19045", "10.0.22631", "10.0.26100", "10.0.22621", "10.0.17763")
LEGACY_BUILDS = ("10.0.16299", "10.0.14393", "6.1.7601", "6.3.9600")
WIN11 = ("10.0.22631", "10.0.26100", "10.0.22621")


@dataclass
class Device:
    """One discovered system, and whether and how it registered."""

    resource_id: int
    name: str
    build: str | None
    client: bool = True
    active: bool = True
    obsolete: bool = False
    decommissioned: bool = False
    key_device_id: str | None = None
    key_tenant_id: str | None = None
    heartbeat_device_id: str | None = None
    heartbeat_tenant_id: str | None = None
    revoked_keys: int = 0
    collections: list[str] = field(default_factory=list)

    @property
    def sms_id(self) -> str:
        """``GUID:...`` as ConfigMgr writes it."""
        return "GUID:" + str(uuid.UUID(int=self.resource_id * 7919 + 1, version=4)).upper()


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def population(scenario: LabScenario, devices: int, collections: int) -> list[Device]:
    """The lab's systems: ``devices`` active clients plus records the checks must ignore."""
    rng = random.Random(20200223)
    legacy = round(devices * scenario.legacy_share)
    heartbeat = round(devices * scenario.heartbeat_only_share)
    not_joined = max(1, round(devices * scenario.not_joined_share))
    result: list[Device] = []
    for index in range(devices):
        rid = 16777220 + index
        device = Device(rid, f"LAB-WS{index:05d}", rng.choice(CURRENT_BUILDS))
        aad_id = _guid(rng)
        if index < legacy:
            device.build = LEGACY_BUILDS[index % len(LEGACY_BUILDS)]
        elif index < legacy + heartbeat:
            device.heartbeat_device_id, device.heartbeat_tenant_id = aad_id, TENANT_ID
        elif index < legacy + heartbeat + not_joined:
            pass
        else:
            device.key_device_id = aad_id
            device.key_tenant_id = TENANT_ID if scenario.tenant_id_on_registration else None
            device.heartbeat_device_id, device.heartbeat_tenant_id = aad_id, TENANT_ID
            if index % 37 == 0:
                device.revoked_keys = 1
            if index % 97 == 0:
                device.build = None
        result.append(device)
    rng.shuffle(result)
    result.extend(_ignored(rng, devices))
    _assign_collections(rng, result, collections)
    return result


def _ignored(rng: random.Random, devices: int) -> Iterator[Device]:
    extra = max(4, devices // 20)
    base = 16777220 + devices
    for index in range(extra):
        kind = index % 4
        device = Device(base + index, f"LAB-OLD{index:05d}", rng.choice(LEGACY_BUILDS))
        if kind == 0:
            device.active = False
        elif kind == 1:
            device.obsolete = True
        elif kind == 2:
            device.decommissioned = True
        else:
            device.client = False
        device.heartbeat_device_id, device.heartbeat_tenant_id = _guid(rng), FOREIGN_TENANT_ID
        if kind in (0, 1):
            device.key_device_id, device.key_tenant_id = _guid(rng), None
        yield device


def _assign_collections(rng: random.Random, systems: list[Device], count: int) -> None:
    names = list(COLLECTION_NAMES)[1:]
    names += [f"LAB{n:05d}" for n in range(13, 10 + max(count, len(names)))]
    for device in systems:
        device.collections.append("SMS00001")
        if not (device.client and device.active):
            continue
        if device.build in WIN11:
            device.collections.append("LAB00010")
        for name in names[1:]:
            if rng.random() < (0.3 if name == "LAB00011" else 0.05):
                device.collections.append(name)


def build_database(
    scenario: LabScenario, folder: Path, devices: int, collections: int, now: datetime
) -> tuple[Path, Path]:
    """Write ``CM_LAB.db`` and its ``INFORMATION_SCHEMA.db`` into ``folder``.

    :returns: the two paths.
    """
    path, info = folder / "CM_LAB.db", folder / "INFORMATION_SCHEMA.db"
    systems = population(scenario, devices, collections)
    with sqlite3.connect(path) as conn:
        create_schema(conn)
        _fill(conn, scenario, systems, collections, now)
    conn.close()
    with sqlite3.connect(path) as main, sqlite3.connect(info) as target:
        create_information_schema(main, target)
    main.close()
    target.close()
    return path, info


def _fill(conn: sqlite3.Connection, s: LabScenario, systems: list[Device], collections: int,
          now: datetime) -> None:
    def ago(minutes: float) -> str:
        return _stamp(now - timedelta(minutes=minutes))

    _site(conn, s, ago)
    _onboarding(conn, s, now, ago)
    _discovery(conn, s, ago)
    _systems(conn, systems, ago)
    _collections(conn, s, systems, collections, ago)


def _site(conn: sqlite3.Connection, s: LabScenario, ago: Any) -> None:
    tenants = f'<Tenant TenantID="{{{TENANT_ID}}}" Name="{TENANT_NAME}" />' if (
        s.tenant and s.client_auth_enabled) else ""
    settings = (f'<SiteSettings SiteCode="{SITE_CODE}"><AADTenants>{tenants}</AADTenants>'
                '<Property Name="SiteType" Value="2" /></SiteSettings>')
    conn.executemany("INSERT INTO Sites VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (SITE_CODE, "Contoso Lab Primary", SITE_SERVER, "", 2, "5.00.9132.1000", settings),
        (SECONDARY_SITE, "Contoso Lab Secondary", "cm02.lab.contoso.test", SITE_CODE, 1,
         "5.00.9132.1000", "<SiteSettings />"),
    ])
    conn.executemany("INSERT INTO SC_SiteDefinition VALUES (?, ?, ?, ?, ?)", [
        (1, SITE_CODE, "Contoso Lab Primary", "", SITE_SERVER),
        (2, SECONDARY_SITE, "Contoso Lab Secondary", SITE_CODE, "cm02.lab.contoso.test"),
    ])
    components = [
        (1, 1, "SMS_SITE_COMPONENT_MANAGER", f"SMS_SITE_COMPONENT_MANAGER|{SITE_SERVER}"),
        (2, 1, "SMS_AZUREAD_DISCOVERY_AGENT", f"SMS_AZUREAD_DISCOVERY_AGENT|{SITE_SERVER}"),
        (3, 2, "SMS_SITE_COMPONENT_MANAGER", "SMS_SITE_COMPONENT_MANAGER|cm02.lab.contoso.test"),
    ]
    conn.executemany("INSERT INTO SC_Component VALUES (?, ?, ?, ?)", components)
    conn.executemany("INSERT INTO SC_Component_Property VALUES (?, ?, ?, ?, ?, ?)", [
        (1, 1, "IISSSLState", "", "", s.iisssl_state),
        (2, 1, "Enforce Enhanced Hash Algorithm", "", "", 1),
        (3, 2, "Startup Schedule", "0001200000100038", "", 0),
        (4, 3, "IISSSLState", "", "", 192),
    ])
    roles = [(SITE_SERVER, SITE_CODE, "SMS Site Server"), (SITE_SERVER, SITE_CODE, "SMS Provider")]
    roles += [(mp.name, SITE_CODE, "SMS Management Point") for mp in s.mps]
    roles += [("cm02.lab.contoso.test", SECONDARY_SITE, "SMS Distribution Point")]
    conn.executemany("INSERT INTO v_SystemResourceList VALUES (?, ?, ?, ?)", [
        (server, site, role, f'["Display=\\\\{server}\\"]MSWNET:["SMS_SITE={site}"]\\\\{server}\\')
        for server, site, role in roles])


def _onboarding(conn: sqlite3.Connection, s: LabScenario, now: datetime, ago: Any) -> None:
    if not s.tenant:
        return
    conn.execute("INSERT INTO AAD_Tenant_Ex VALUES (1, ?, ?, 0, ?, ?)",
                 (TENANT_ID, TENANT_NAME, SITE_CODE, ago(60 * 24 * 200)))
    expiry = _stamp(now + timedelta(days=s.secret_expires_in_days))
    apps: list[tuple[Any, ...]] = []
    if s.server_app:
        apps.append((1, 1, SERVER_APP_ID, "ConfigMgr Lab Server", 0, "https://ConfigMgrService",
                     "https://ConfigMgrService", b"\x0c\x01\x00\x00lab", b"\x30\x82lab",
                     ago(60 * 24 * 300), expiry, ago(60 * 24 * 400), ago(60 * 24 * 30)))
    if s.client_app:
        apps.append((2, 1, CLIENT_APP_ID, "ConfigMgr Lab Client", 1, None,
                     f"ms-appx-web://Microsoft.AAD.BrokerPlugin/{CLIENT_APP_ID}", None, None,
                     None, None, ago(60 * 24 * 400), ago(60 * 24 * 30)))
    conn.executemany(
        "INSERT INTO AAD_Application_Ex VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", apps)


def _discovery(conn: sqlite3.Connection, s: LabScenario, ago: Any) -> None:
    if s.tenant:
        conn.execute(
            "INSERT INTO vSMS_AAD_Discovery_Settings VALUES (1, 0, ?, ?, 5, '', '', ?, "
            "'000120000010E000', ?, ?, 0, ?)",
            (CLOUD_SERVICE_ID, int(s.discovery_delta), int(s.discovery_full),
             ago(s.discovery_last_minutes), ago(s.discovery_last_minutes + 60 * 24 * 2),
             SITE_CODE))
        conn.execute(
            "INSERT INTO vSMS_AAD_Sync_Settings VALUES (1, ?, ?, 5, ?, '', ?, ?, 0, 90048)",
            (CLOUD_SERVICE_ID, int(s.sync_enabled), int(s.sync_enabled),
             ago(s.sync_last_minutes), ago(s.sync_last_minutes + 60 * 24)))
    messages: list[tuple[Any, ...]] = []
    record = 1

    def message(message_id: int, severity: str, component: str, minutes: float) -> None:
        nonlocal record
        messages.append((record, message_id, SEVERITY[severity], 256, "SMS Server", component,
                         SITE_SERVER, ago(minutes), SITE_CODE, 0))
        record += 1

    if s.tenant and (s.discovery_delta or s.discovery_full):
        for cycle in range(72):
            minutes = s.discovery_last_minutes + 5 * cycle
            message(11802, "info", DISCOVERY_COMPONENT, minutes)
            message(11801, "info", DISCOVERY_COMPONENT, minutes + 0.02)
        for index in range(s.discovery_errors):
            message(LAB_DISCOVERY_FAILED, "error", DISCOVERY_COMPONENT, 60 * index + 30)
    for index in range(12):
        message(4909, "error", "SMS_SITE_COMPONENT_MANAGER", 45 * index + 7)
    conn.executemany("INSERT INTO v_StatusMessage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     messages)


def _systems(conn: sqlite3.Connection, systems: list[Device], ago: Any) -> None:
    disc, keys = [], []
    for d in systems:
        os_name = "Microsoft Windows NT Workstation " + (d.build or "10.0").rsplit(".", 1)[0]
        disc.append((d.resource_id, 5, d.sms_id, d.name, d.name, f"CN={d.name},OU=Lab,DC=lab",
                     os_name, d.build, int(d.client), "5.00.9132.1011" if d.client else None,
                     int(d.active), int(d.obsolete), int(d.decommissioned), d.heartbeat_device_id,
                     d.heartbeat_tenant_id, ago(60 * 24 * 90)))
        if not d.client:
            continue
        thumb = f"{d.resource_id:040X}"
        keys.append((d.sms_id, thumb, 0, 0, d.key_device_id, d.key_tenant_id, ago(60 * 24 * 60)))
        keys.extend((d.sms_id, f"{n + 1:02X}{thumb[2:]}", 1, 0, d.key_device_id, None,
                     ago(60 * 24 * 400)) for n in range(d.revoked_keys))
    conn.executemany(
        "INSERT INTO System_DISC VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", disc)
    conn.executemany("INSERT INTO ClientKeyData VALUES (?, ?, ?, ?, ?, ?, ?)", keys)


def _collections(conn: sqlite3.Connection, s: LabScenario, systems: list[Device],
                 collections: int, ago: Any) -> None:
    names = dict(COLLECTION_NAMES)
    for n in range(13, 10 + max(collections, len(names) - 1)):
        names[f"LAB{n:05d}"] = f"Lab Collection {n}"
    conn.executemany("INSERT INTO v_Collection VALUES (?, ?, 2, '', ?)", [
        (cid, name, None if cid == "SMS00001" else "SMS00001") for cid, name in names.items()])
    conn.executemany("INSERT INTO v_FullCollectionMembership VALUES (?, ?, ?, ?, ?)", [
        (cid, d.resource_id, d.name, SITE_CODE, int(d.client))
        for d in systems for cid in d.collections])
    mappings = []
    if s.tenant:
        for cid in s.mapped_collections:
            group_id, group_name = GROUPS[cid]
            mappings.append((cid, group_id, group_name, CLOUD_SERVICE_ID, 0, 0,
                             ago(s.sync_last_minutes)))
    conn.executemany("INSERT INTO vSMS_CollectionAADGroupMapping VALUES (?, ?, ?, ?, ?, ?, ?)",
                     mappings)
