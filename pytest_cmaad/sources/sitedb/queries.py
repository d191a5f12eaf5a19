"""Every query the site database source runs, in one place.

Queries are written in the subset that both T-SQL and SQLite accept: no ``ISNULL``, ``TOP``,
``N''``, ``DATEADD`` or string ``+``; dates come as parameters; object names are unqualified.
Samples are bounded with ``ROW_NUMBER()``, counts are aggregated by the server, so the number
and size of results do not grow with the site. ``{placeholders}`` take a database object found
by schema discovery, a fixed predicate, or a list of ``?`` markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import Kind

SAMPLE_SIZE = 10

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ACTIVE_CLIENT = "s.Client0 = 1 AND s.Active0 = 1 AND COALESCE(s.Decommissioned0, 0) = 0"
NOT_OBSOLETE = " AND COALESCE(s.Obsolete0, 0) = 0"
TRUSTED_KEY = "COALESCE(k.IsRevoked, 0) = 0 AND k.AgentType = 0 AND k.AADDeviceID IS NOT NULL"


@dataclass(frozen=True)
class Query:
    """One catalog query: its text and the kind of each result column, in order."""

    name: str
    text: str
    columns: tuple[tuple[str, Kind], ...]

    def render(self, **parts: str) -> str:
        """The query text with its placeholders filled in."""
        return self.text.format(**parts)


def quote_identifier(name: str) -> str:
    """Bracket-quote a discovered object name (T-SQL and SQLite both accept brackets)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unexpected database object name {name!r}")
    return f"[{name}]"


def markers(count: int) -> str:
    """``?, ?, ?`` for ``count`` parameters."""
    return ", ".join("?" * count)


def _q(name: str, text: str, *columns: tuple[str, Kind]) -> Query:
    return Query(name, " ".join(text.split()), columns)


SCHEMA = _q(
    "schema",
    """SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS
    WHERE TABLE_NAME IN ('AAD_Application_Ex', 'ClientKeyData', 'Sites', 'v_R_System')
    OR TABLE_NAME IN (SELECT c.TABLE_NAME FROM INFORMATION_SCHEMA.COLUMNS c
        WHERE c.COLUMN_NAME IN ('AADGroupID', 'DiscoveryScopeIds', 'WaterMark'))""",
    ("table", "str"), ("column", "str"),
)

TENANTS = _q(
    "tenants",
    "SELECT ID, TenantID, Name, Environment FROM AAD_Tenant_Ex ORDER BY ID",
    ("id", "int"), ("tenant_id", "guid"), ("name", "str"), ("environment", "int"),
)

APPLICATIONS = _q(
    "applications",
    """SELECT ID, TenantDB_ID, ClientID, Name, IsClientApp, LastUpdateTime
    FROM AAD_Application_Ex ORDER BY ID""",
    ("id", "int"), ("tenant_db_id", "int"), ("client_id", "guid"), ("name", "str"),
    ("is_client_app", "bool"), ("last_update_time", "datetime"),
)

APP_SECRETS = _q(
    "app_secrets",
    "SELECT ID, SecretKeyExpiry FROM AAD_Application_Ex ORDER BY ID",
    ("app_id", "int"), ("secret_key_expiry", "datetime"),
)

TOP_SITE = _q(
    "top_site",
    "SELECT SiteCode, Settings FROM Sites WHERE COALESCE(ReportToSite, '') = ''",
    ("site_code", "str"), ("settings", "text"),
)

SECURITY_MODE = _q(
    "security_mode",
    """SELECT sd.SiteCode, p.Value1, p.Value2, p.Value3
    FROM SC_Component c
    JOIN SC_SiteDefinition sd ON sd.SiteNumber = c.SiteNumber
    JOIN SC_Component_Property p ON p.ComponentID = c.ID
    WHERE c.ComponentName = 'SMS_SITE_COMPONENT_MANAGER' AND p.Name = 'IISSSLState'
    AND sd.SiteCode = ?""",
    ("site_code", "str"), ("value1", "str"), ("value2", "str"), ("value3", "str"),
)

DISCOVERY_SETTINGS = _q(
    "discovery_settings",
    """SELECT CloudServiceId, AgentType, FullSyncEnabled, DeltaSyncEnabled, DeltaSyncInterval,
    LastFullSyncTime, LastDeltaSyncTime FROM {table}""",
    ("cloud_service_id", "int"), ("agent_type", "int"), ("full_sync_enabled", "bool"),
    ("delta_sync_enabled", "bool"), ("delta_sync_interval", "int"),
    ("last_full_sync_time", "datetime"), ("last_delta_sync_time", "datetime"),
)

DISCOVERY_STATUS = _q(
    "discovery_status",
    """SELECT MessageID, Severity, COUNT(*) AS Messages, MAX(Time) AS LastTime
    FROM v_StatusMessage WHERE Component = ? AND Time >= ?
    GROUP BY MessageID, Severity""",
    ("message_id", "int"), ("severity", "int"), ("count", "int"), ("last_time", "datetime"),
)

REGISTRATION = _q(
    "registration",
    """SELECT COUNT(*) AS ActiveClients,
    SUM(CASE WHEN k.SMSID IS NULL THEN 0 ELSE 1 END) AS Registered
    FROM v_R_System s
    LEFT JOIN (SELECT k.SMSID FROM ClientKeyData k WHERE {trusted} GROUP BY k.SMSID) k
    ON k.SMSID = s.SMS_Unique_Identifier0
    WHERE {active}""",
    ("active_clients", "int"), ("registered", "int"),
)

UNREGISTERED_SAMPLE = _q(
    "unregistered_sample",
    """SELECT x.ResourceID, x.Name0, x.Build01, x.AADDeviceID, x.Total FROM (
    SELECT s.ResourceID, s.Name0, s.Build01, s.AADDeviceID,
    ROW_NUMBER() OVER (ORDER BY s.Name0, s.ResourceID) AS RowNo, COUNT(*) OVER () AS Total
    FROM v_R_System s WHERE {active} AND NOT EXISTS (
        SELECT 1 FROM ClientKeyData k WHERE k.SMSID = s.SMS_Unique_Identifier0 AND {trusted})
    ) x WHERE x.RowNo <= ? ORDER BY x.RowNo""",
    ("resource_id", "int"), ("name", "str"), ("build", "str"), ("heartbeat_device_id", "guid"),
    ("total", "int"),
)

TENANT_COUNTS = _q(
    "tenant_counts",
    """SELECT k.AADTenantID, COUNT(DISTINCT s.ResourceID) AS Devices
    FROM v_R_System s JOIN ClientKeyData k ON k.SMSID = s.SMS_Unique_Identifier0
    WHERE {active} AND {trusted}
    GROUP BY k.AADTenantID""",
    ("tenant_id", "guid"), ("devices", "int"),
)

TENANT_SAMPLE = _q(
    "tenant_sample",
    """SELECT x.ResourceID, x.Name0, x.AADDeviceID, x.AADTenantID, x.Total FROM (
    SELECT s.ResourceID, s.Name0, k.AADDeviceID, k.AADTenantID,
    ROW_NUMBER() OVER (ORDER BY s.Name0, s.ResourceID) AS RowNo, COUNT(*) OVER () AS Total
    FROM v_R_System s JOIN ClientKeyData k ON k.SMSID = s.SMS_Unique_Identifier0
    WHERE {active} AND {trusted}
    AND (k.AADTenantID IS NULL OR k.AADTenantID NOT IN ({tenants}))
    ) x WHERE x.RowNo <= ? ORDER BY x.RowNo""",
    ("resource_id", "int"), ("name", "str"), ("aad_device_id", "guid"),
    ("aad_tenant_id", "guid"), ("total", "int"),
)

HEARTBEAT_ONLY = _q(
    "heartbeat_only",
    """SELECT x.ResourceID, x.Name0, x.AADDeviceID, x.AADTenantID, x.Total FROM (
    SELECT s.ResourceID, s.Name0, s.AADDeviceID, s.AADTenantID,
    ROW_NUMBER() OVER (ORDER BY s.Name0, s.ResourceID) AS RowNo, COUNT(*) OVER () AS Total
    FROM v_R_System s WHERE {active} AND s.AADDeviceID IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM ClientKeyData k WHERE k.SMSID = s.SMS_Unique_Identifier0 AND {trusted})
    ) x WHERE x.RowNo <= ? ORDER BY x.RowNo""",
    ("resource_id", "int"), ("name", "str"), ("aad_device_id", "guid"),
    ("aad_tenant_id", "guid"), ("total", "int"),
)

BUILDS = _q(
    "builds",
    "SELECT s.Build01, COUNT(*) AS Clients FROM v_R_System s WHERE {active} GROUP BY s.Build01",
    ("build", "str"), ("clients", "int"),
)

BUILD_SAMPLE = _q(
    "build_sample",
    """SELECT x.ResourceID, x.Name0, x.Build01, x.Total FROM (
    SELECT s.ResourceID, s.Name0, s.Build01,
    ROW_NUMBER() OVER (ORDER BY s.Name0, s.ResourceID) AS RowNo, COUNT(*) OVER () AS Total
    FROM v_R_System s WHERE {active} AND s.Build01 IN ({builds})
    ) x WHERE x.RowNo <= ? ORDER BY x.RowNo""",
    ("resource_id", "int"), ("name", "str"), ("build", "str"), ("total", "int"),
)

SYNC_SETTINGS = _q(
    "sync_settings",
    """SELECT CloudServiceId, FullSyncEnabled, DeltaSyncEnabled, DeltaSyncInterval,
    LastFullSyncTime, LastDeltaSyncTime FROM {table}""",
    ("cloud_service_id", "int"), ("full_sync_enabled", "bool"), ("delta_sync_enabled", "bool"),
    ("delta_sync_interval", "int"), ("last_full_sync_time", "datetime"),
    ("last_delta_sync_time", "datetime"),
)

GROUP_MAPPINGS = _q(
    "group_mappings",
    """SELECT m.CollectionSiteID, c.Name, f.Members, m.AADGroupID, m.AADGroupName,
    m.CloudServiceID, m.LastSyncTime, m.LastSyncStatus
    FROM {table} m
    LEFT JOIN v_Collection c ON c.CollectionID = m.CollectionSiteID
    LEFT JOIN (SELECT fcm.CollectionID, COUNT(*) AS Members FROM v_FullCollectionMembership fcm
        WHERE fcm.CollectionID IN (SELECT m2.CollectionSiteID FROM {table} m2)
        GROUP BY fcm.CollectionID) f ON f.CollectionID = m.CollectionSiteID
    ORDER BY m.CollectionSiteID, m.AADGroupID""",
    ("collection_id", "str"), ("collection_name", "str"), ("members", "int"),
    ("group_id", "guid"), ("group_name", "str"), ("cloud_service_id", "int"),
    ("last_sync_time", "datetime"), ("last_sync_status", "int"),
)

COLLECTIONS = _q(
    "collections",
    "SELECT CollectionID, Name FROM v_Collection WHERE CollectionID IN ({collections})",
    ("collection_id", "str"), ("name", "str"),
)

MANAGEMENT_POINTS = _q(
    "management_points",
    """SELECT ServerName, SiteCode FROM v_SystemResourceList
    WHERE RoleName = 'SMS Management Point' ORDER BY ServerName""",
    ("server_name", "str"), ("site_code", "str"),
)

SITE_INFO = _q(
    "site_info",
    "SELECT SiteCode, Version FROM Sites WHERE COALESCE(ReportToSite, '') = ''",
    ("site_code", "str"), ("version", "str"),
)

# One row per trusted key: a client named in client_hosts, with what the site has for it.
SAMPLED_CLIENTS = _q(
    "sampled_clients",
    """SELECT s.ResourceID, s.Name0, s.Client_Version0, k.AADDeviceID, k.AADTenantID,
    s.AADDeviceID, s.AADTenantID
    FROM v_R_System s
    LEFT JOIN ClientKeyData k ON k.SMSID = s.SMS_Unique_Identifier0 AND {trusted}
    WHERE {active} AND s.Name0 IN ({names})
    ORDER BY s.Name0, s.ResourceID""",
    ("resource_id", "int"), ("name", "str"), ("client_version", "str"),
    ("key_device_id", "guid"), ("key_tenant_id", "guid"), ("heartbeat_device_id", "guid"),
    ("heartbeat_tenant_id", "guid"),
)

# Active members of the mapped and declared collections, with their trusted AADDeviceID:
# grows with the collections, but stays one query.
COLLECTION_MEMBERS = _q(
    "collection_members",
    """SELECT fcm.CollectionID, s.ResourceID, s.Name0, k.AADDeviceID
    FROM v_FullCollectionMembership fcm
    JOIN v_R_System s ON s.ResourceID = fcm.ResourceID
    LEFT JOIN ClientKeyData k ON k.SMSID = s.SMS_Unique_Identifier0 AND {trusted}
    WHERE fcm.CollectionID IN ({collections}) AND {active}
    ORDER BY fcm.CollectionID, s.ResourceID""",
    ("collection_id", "str"), ("resource_id", "int"), ("name", "str"),
    ("aad_device_id", "guid"),
)

ALL_QUERIES: tuple[Query, ...] = (
    SCHEMA, TENANTS, APPLICATIONS, APP_SECRETS, TOP_SITE, SECURITY_MODE, DISCOVERY_SETTINGS,
    DISCOVERY_STATUS, REGISTRATION, UNREGISTERED_SAMPLE, TENANT_COUNTS, TENANT_SAMPLE,
    HEARTBEAT_ONLY, BUILDS, BUILD_SAMPLE, SYNC_SETTINGS, GROUP_MAPPINGS, COLLECTIONS,
    MANAGEMENT_POINTS, SITE_INFO, SAMPLED_CLIENTS, COLLECTION_MEMBERS,
)
