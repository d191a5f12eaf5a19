"""The lab database's objects, with ConfigMgr's names and SQL Server's column types.

SQLite keeps the declared SQL Server types (so the SQLite ODBC driver types its results by
them) and every text column compares case-insensitively, like SQL Server's default collation.
The objects behind the undocumented WMI classes use names of the lab's choosing; the plugin
finds them by their columns.
"""

from __future__ import annotations

import sqlite3

Columns = tuple[tuple[str, str], ...]

_TEXT_TYPES = ("char", "text", "uniqueidentifier", "xml")

TABLES: dict[str, Columns] = {
    "AAD_Tenant_Ex": (
        ("ID", "int"), ("TenantID", "uniqueidentifier"), ("Name", "nvarchar(256)"),
        ("Environment", "int"), ("SiteCode", "nvarchar(3)"), ("LastUpdateTime", "datetime"),
    ),
    "AAD_Application_Ex": (
        ("ID", "int"), ("TenantDB_ID", "int"), ("ClientID", "uniqueidentifier"),
        ("Name", "nvarchar(256)"), ("IsClientApp", "bit"), ("IdentifierUri", "nvarchar(512)"),
        ("ReplyUrl", "nvarchar(512)"), ("SecretKey", "varbinary"),
        ("SecretKeyForSCP", "varbinary"), ("SecretKeyCreationTime", "datetime"),
        ("SecretKeyExpiry", "datetime"), ("ApplicationCreationTime", "datetime"),
        ("LastUpdateTime", "datetime"),
    ),
    "Sites": (
        ("SiteCode", "nvarchar(3)"), ("SiteName", "nvarchar(256)"),
        ("SiteServer", "nvarchar(256)"), ("ReportToSite", "nvarchar(3)"),
        ("Type", "int"), ("Version", "nvarchar(32)"), ("Settings", "ntext"),
    ),
    "SC_SiteDefinition": (
        ("SiteNumber", "int"), ("SiteCode", "nvarchar(3)"), ("SiteName", "nvarchar(256)"),
        ("ParentSiteCode", "nvarchar(3)"), ("SiteServerName", "nvarchar(256)"),
    ),
    "SC_Component": (
        ("ID", "int"), ("SiteNumber", "int"), ("ComponentName", "nvarchar(128)"),
        ("ItemName", "nvarchar(256)"),
    ),
    "SC_Component_Property": (
        ("ID", "int"), ("ComponentID", "int"), ("Name", "nvarchar(128)"),
        ("Value1", "nvarchar(512)"), ("Value2", "nvarchar(512)"), ("Value3", "int"),
    ),
    "System_DISC": (
        ("ItemKey", "int"), ("DiscArchKey", "int"), ("SMS_Unique_Identifier0", "nvarchar(255)"),
        ("Netbios_Name0", "nvarchar(32)"), ("Name0", "nvarchar(255)"),
        ("Distinguished_Name0", "nvarchar(512)"), ("Operating_System_Name_and0", "nvarchar(255)"),
        ("Build01", "nvarchar(255)"), ("Client0", "bit"), ("Client_Version0", "nvarchar(255)"),
        ("Active0", "bit"), ("Obsolete0", "bit"), ("Decommissioned0", "bit"),
        ("AADDeviceID", "uniqueidentifier"), ("AADTenantID", "uniqueidentifier"),
        ("Creation_Date0", "datetime"),
    ),
    "ClientKeyData": (
        ("SMSID", "nvarchar(255)"), ("Thumbprint", "nvarchar(64)"), ("IsRevoked", "bit"),
        ("AgentType", "int"), ("AADDeviceID", "uniqueidentifier"),
        ("AADTenantID", "uniqueidentifier"), ("RegistrationDate", "datetime"),
    ),
    "v_Collection": (
        ("CollectionID", "nvarchar(8)"), ("Name", "nvarchar(255)"), ("CollectionType", "int"),
        ("Comment", "nvarchar(512)"), ("LimitToCollectionID", "nvarchar(8)"),
    ),
    "v_FullCollectionMembership": (
        ("CollectionID", "nvarchar(8)"), ("ResourceID", "int"), ("Name", "nvarchar(255)"),
        ("SiteCode", "nvarchar(3)"), ("IsClient", "bit"),
    ),
    "v_StatusMessage": (
        ("RecordID", "bigint"), ("MessageID", "int"), ("Severity", "int"),
        ("MessageType", "int"), ("ModuleName", "nvarchar(128)"), ("Component", "nvarchar(128)"),
        ("MachineName", "nvarchar(128)"), ("Time", "datetime"), ("SiteCode", "nvarchar(3)"),
        ("PerClient", "int"),
    ),
    "v_SystemResourceList": (
        ("ServerName", "nvarchar(256)"), ("SiteCode", "nvarchar(3)"),
        ("RoleName", "nvarchar(128)"), ("NALPath", "nvarchar(512)"),
    ),
    "vSMS_AAD_Discovery_Settings": (
        ("ID", "int"), ("AgentType", "int"), ("CloudServiceId", "int"),
        ("DeltaSyncEnabled", "bit"), ("DeltaSyncInterval", "int"),
        ("DiscoveryScopeIds", "nvarchar"), ("DiscoveryScopeNames", "nvarchar"),
        ("FullSyncEnabled", "bit"), ("FullSyncSchedule", "nvarchar(64)"),
        ("LastDeltaSyncTime", "datetime"), ("LastFullSyncTime", "datetime"), ("RunNow", "bit"),
        ("SiteCode", "nvarchar(3)"),
    ),
    "vSMS_AAD_Sync_Settings": (
        ("ID", "int"), ("CloudServiceId", "int"), ("DeltaSyncEnabled", "bit"),
        ("DeltaSyncInterval", "int"), ("FullSyncEnabled", "bit"),
        ("FullSyncSchedule", "nvarchar(64)"), ("LastDeltaSyncTime", "datetime"),
        ("LastFullSyncTime", "datetime"), ("RunNow", "bit"), ("WaterMark", "bigint"),
    ),
    "vSMS_CollectionAADGroupMapping": (
        ("CollectionSiteID", "nvarchar(8)"), ("AADGroupID", "uniqueidentifier"),
        ("AADGroupName", "nvarchar(256)"), ("CloudServiceID", "int"), ("Flag", "int"),
        ("LastSyncStatus", "int"), ("LastSyncTime", "datetime"),
    ),
}

VIEWS: dict[str, str] = {
    "v_R_System": """SELECT ItemKey AS ResourceID, 5 AS ResourceType, Name0, Netbios_Name0,
        SMS_Unique_Identifier0, Distinguished_Name0, Operating_System_Name_and0, Build01,
        Client0, Client_Version0, Active0, Obsolete0, Decommissioned0, AADDeviceID,
        AADTenantID, Creation_Date0 FROM System_DISC""",
}

INDEXES = (
    "CREATE INDEX ix_ckd_smsid ON ClientKeyData (SMSID)",
    "CREATE INDEX ix_sd_uid ON System_DISC (SMS_Unique_Identifier0)",
    "CREATE INDEX ix_fcm ON v_FullCollectionMembership (CollectionID, ResourceID)",
    "CREATE INDEX ix_sm ON v_StatusMessage (Component, Time)",
)


def _column_ddl(name: str, sql_type: str) -> str:
    collate = " COLLATE NOCASE" if any(t in sql_type for t in _TEXT_TYPES) else ""
    return f"[{name}] {sql_type}{collate}"


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the lab's tables, views and indexes."""
    for table, columns in TABLES.items():
        body = ", ".join(_column_ddl(n, t) for n, t in columns)
        conn.execute(f"CREATE TABLE [{table}] ({body})")
    for view, select in VIEWS.items():
        conn.execute(f"CREATE VIEW [{view}] AS {select}")
    for statement in INDEXES:
        conn.execute(statement)


def create_information_schema(main: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Write INFORMATION_SCHEMA.TABLES and COLUMNS for every lab object into ``target``."""
    target.execute(
        "CREATE TABLE TABLES (TABLE_CATALOG TEXT COLLATE NOCASE, TABLE_SCHEMA TEXT COLLATE "
        "NOCASE, TABLE_NAME TEXT COLLATE NOCASE, TABLE_TYPE TEXT COLLATE NOCASE)")
    target.execute(
        "CREATE TABLE COLUMNS (TABLE_CATALOG TEXT COLLATE NOCASE, TABLE_SCHEMA TEXT COLLATE "
        "NOCASE, TABLE_NAME TEXT COLLATE NOCASE, COLUMN_NAME TEXT COLLATE NOCASE, "
        "ORDINAL_POSITION INTEGER, DATA_TYPE TEXT COLLATE NOCASE, IS_NULLABLE TEXT)")
    objects = main.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite%' ORDER BY name").fetchall()
    for name, kind in objects:
        target.execute("INSERT INTO TABLES VALUES ('CM_LAB', 'dbo', ?, ?)",
                       (name, "VIEW" if kind == "view" else "BASE TABLE"))
        for cid, column, sql_type, notnull, _default, _pk in main.execute(
                f"PRAGMA table_info([{name}])"):
            target.execute(
                "INSERT INTO COLUMNS VALUES ('CM_LAB', 'dbo', ?, ?, ?, ?, ?)",
                (name, column, cid + 1, (sql_type or "sql_variant").split("(")[0],
                 "NO" if notnull else "YES"))
