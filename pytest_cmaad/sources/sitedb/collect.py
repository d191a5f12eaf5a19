"""Gather the site database's facts: a fixed set of queries, whatever the size of the site."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ...facts import (
    AadApp,
    AppSecret,
    BuildCount,
    ClientAuth,
    ClientRecord,
    CollectionDevice,
    CollectionMembers,
    CollectionRef,
    DiscoveryRow,
    DiscoverySettings,
    Fact,
    GroupMapping,
    GroupMappings,
    Offender,
    Offenders,
    OsBuilds,
    Problem,
    Registration,
    SchemaInventory,
    SecurityMode,
    SiteInfo,
    SiteSystem,
    StatusCount,
    StatusSummary,
    SyncRow,
    SyncSettings,
    Tenant,
    TenantCount,
    TenantRegistration,
)
from ...parsers.osbuild import is_before_device_token
from ...parsers.sites_settings import SettingsXmlError, tenant_ids_in_settings
from . import queries as q
from .database import Database, DatabaseError
from .normalize import ValueShapeError, normalize

SOURCE = "sql"
DISCOVERY_COMPONENT = "SMS_AZUREAD_DISCOVERY_AGENT"
DISCOVERY_LOOKBACK = timedelta(days=8)
SEVERITY_NAMES = {1073741824: "informational", -2147483648: "warning", -1073741824: "error"}

ROLE_SIGNATURES: dict[str, frozenset[str]] = {
    "group_mapping": frozenset({"aadgroupid", "collectionsiteid"}),
    "sync_settings": frozenset(
        {"fullsyncenabled", "deltasyncenabled", "lastdeltasynctime", "watermark"}),
    "discovery_settings": frozenset(
        {"fullsyncenabled", "deltasyncenabled", "lastdeltasynctime", "discoveryscopeids"}),
}
ROLE_CLASSES = {
    "group_mapping": "SMS_CollectionAADGroupMapping",
    "sync_settings": "SMS_AAD_Sync_Settings",
    "discovery_settings": "SMS_AAD_Discovery_Settings",
}


FACT_NAMES = (
    "schema_inventory", "tenants", "applications", "app_secrets", "client_auth",
    "security_mode", "discovery_settings", "discovery_status", "registration",
    "tenant_registration", "heartbeat_only", "os_builds", "sync_settings", "group_mappings",
    "management_points", "site_info", "sampled_clients", "collection_members",
)
# At most this many client names (from client_hosts) are looked up in the database.
MAX_SAMPLED_CLIENTS = 100


class SchemaMissing(Exception):
    """An object or column the fact needs is not in this database."""


class SiteDbCollector:
    """Reads every site database fact through one connection.

    :param db: an open, read-only connection.
    :param site_code: the site's code, or None to use the top-level site's.
    :param declared_collections: collection ids the profile's ``group_sync`` names.
    :param now: the moment the collection counts from (UTC).
    """

    def __init__(
        self,
        db: Database,
        site_code: str | None,
        declared_collections: list[str],
        now: datetime,
        client_names: list[str] | None = None,
    ) -> None:
        self.db = db
        self.site_code = site_code
        self.declared = declared_collections
        self.now = now
        self.client_names = sorted(set(client_names or []))[:MAX_SAMPLED_CLIENTS]
        self.schema: SchemaInventory | None = None
        self.schema_problem: Problem | None = None

    def collect(self) -> dict[str, Fact[Any]]:
        """Every fact this source provides; a failing query spoils only its own facts."""
        facts: dict[str, Fact[Any]] = {}
        steps: dict[str, Callable[[], Any]] = {
            "schema_inventory": self._schema,
            "tenants": self._tenants,
            "applications": self._applications,
            "app_secrets": self._app_secrets,
            "client_auth": self._client_auth,
            "security_mode": self._security_mode,
            "discovery_settings": self._discovery_settings,
            "discovery_status": self._discovery_status,
            "registration": self._registration,
            "tenant_registration": lambda: self._tenant_registration(facts),
            "heartbeat_only": self._heartbeat_only,
            "os_builds": self._os_builds,
            "sync_settings": self._sync_settings,
            "group_mappings": self._group_mappings,
            "management_points": self._management_points,
            "site_info": self._site_info,
            "sampled_clients": self._sampled_clients,
            "collection_members": lambda: self._collection_members(facts),
        }
        for name in FACT_NAMES:
            facts[name] = self._fact(steps[name])
        return facts

    def _fact(self, step: Callable[[], Any]) -> Fact[Any]:
        try:
            return Fact(source=SOURCE, value=step())
        except DatabaseError as exc:
            return Fact(source=SOURCE, problem=Problem(
                source=SOURCE, message=str(exc), code=exc.sqlstate))
        except (SchemaMissing, ValueShapeError, SettingsXmlError) as exc:
            message = f"sql {self.db.description}: {exc}"
            return Fact(source=SOURCE, problem=Problem(source=SOURCE, message=message))

    def _rows(self, query: q.Query, params: tuple[Any, ...] = (), /, **parts: str
              ) -> list[dict[str, Any]]:
        rows = self.db.query(query.render(**parts), params)
        result = []
        for row in rows:
            record = {}
            for (name, kind), value in zip(query.columns, row, strict=True):
                try:
                    record[name] = normalize(value, kind)
                except ValueShapeError as exc:
                    raise ValueShapeError(f"query {query.name}, column {name}: {exc}") from None
            result.append(record)
        return result

    # -- schema discovery ---------------------------------------------------------------

    def _schema(self) -> SchemaInventory:
        try:
            rows = self._rows(q.SCHEMA)
        except DatabaseError as exc:
            self.schema_problem = Problem(source=SOURCE, message=str(exc), code=exc.sqlstate)
            raise
        objects: dict[str, list[str]] = {}
        for row in rows:
            objects.setdefault(row["table"], []).append(row["column"])
        roles: dict[str, str | None] = {}
        for role, signature in ROLE_SIGNATURES.items():
            matches = sorted(name for name, cols in objects.items()
                             if signature <= {c.lower() for c in cols})
            roles[role] = matches[0] if matches else None
        self.schema = SchemaInventory(objects=objects, roles=roles)
        return self.schema

    def _require_schema(self) -> SchemaInventory:
        if self.schema is None:
            problem = self.schema_problem
            raise SchemaMissing(
                "schema discovery through INFORMATION_SCHEMA failed"
                + (f" ({problem.message})" if problem else ""))
        return self.schema

    def _require_columns(self, table: str, *columns: str) -> None:
        schema = self._require_schema()
        found = {name.lower(): cols for name, cols in schema.objects.items()}.get(table.lower())
        if found is None:
            raise SchemaMissing(f"{table} is not in INFORMATION_SCHEMA.COLUMNS")
        have = {c.lower() for c in found}
        missing = [c for c in columns if c.lower() not in have]
        if missing:
            raise SchemaMissing(
                f"{table} has no column {', '.join(missing)} (it has {len(found)} columns, "
                "listed in the snapshot's schema_inventory)")

    def _role(self, role: str) -> str:
        table = self._require_schema().roles.get(role)
        if table is None:
            columns = ", ".join(sorted(ROLE_SIGNATURES[role]))
            raise SchemaMissing(
                f"no table or view has the columns of {ROLE_CLASSES[role]} ({columns}); "
                "read it through the AdminService instead (set adminservice)")
        return q.quote_identifier(table)

    def _active(self) -> str:
        obsolete = self._require_schema().objects
        columns = {c.lower() for c in next(
            (cols for name, cols in obsolete.items() if name.lower() == "v_r_system"), [])}
        return q.ACTIVE_CLIENT + (q.NOT_OBSOLETE if "obsolete0" in columns else "")

    def _client_keys(self) -> dict[str, str]:
        self._require_columns("ClientKeyData", "AADDeviceID", "AgentType")
        return {"active": self._active(), "trusted": q.TRUSTED_KEY}

    # -- onboarding ---------------------------------------------------------------------

    def _tenants(self) -> list[Tenant]:
        return [Tenant(**row) for row in self._rows(q.TENANTS)]

    def _applications(self) -> list[AadApp]:
        self._require_columns("AAD_Application_Ex", "IsClientApp")
        return [AadApp(**row) for row in self._rows(q.APPLICATIONS)]

    def _app_secrets(self) -> list[AppSecret]:
        self._require_columns("AAD_Application_Ex", "SecretKeyExpiry")
        return [AppSecret(**row) for row in self._rows(q.APP_SECRETS)]

    def _top_site(self) -> dict[str, Any]:
        rows = self._rows(q.TOP_SITE)
        if len(rows) != 1:
            raise SchemaMissing(f"Sites has {len(rows)} top-level rows (ReportToSite empty), "
                                "expected 1")
        return rows[0]

    def _client_auth(self) -> ClientAuth:
        self._require_columns("Sites", "Settings")
        site = self._top_site()
        settings = site["settings"] or ""
        return ClientAuth(site_code=site["site_code"], tenant_ids=tenant_ids_in_settings(
            settings) if settings.strip() else [], settings_chars=len(settings))

    # -- discovery ----------------------------------------------------------------------

    def _discovery_settings(self) -> DiscoverySettings:
        table = self._role("discovery_settings")
        rows = self._rows(q.DISCOVERY_SETTINGS, table=table)
        return DiscoverySettings(object=table.strip("[]"), rows=[DiscoveryRow(**r) for r in rows])

    def _discovery_status(self) -> StatusSummary:
        since = self.now - DISCOVERY_LOOKBACK
        rows = self._rows(q.DISCOVERY_STATUS, (DISCOVERY_COMPONENT, since))
        messages = [StatusCount(
            message_id=r["message_id"],
            severity=SEVERITY_NAMES.get(r["severity"], str(r["severity"])),
            count=r["count"], last_time=r["last_time"]) for r in rows]
        messages.sort(key=lambda m: (m.message_id, m.severity))
        return StatusSummary(component=DISCOVERY_COMPONENT, since=since, messages=messages)

    # -- communication ------------------------------------------------------------------

    def _security_mode(self) -> SecurityMode:
        site_code = self.site_code or self._top_site()["site_code"]
        rows = self._rows(q.SECURITY_MODE, (site_code,))
        if not rows:
            raise SchemaMissing(
                f"no IISSSLState property of SMS_SITE_COMPONENT_MANAGER for site {site_code}")
        values = {r["value3"] for r in rows}
        if len(values) != 1:
            raise SchemaMissing(f"IISSSLState of site {site_code} has {len(values)} different "
                                f"values: {', '.join(sorted(map(str, values)))}")
        raw = values.pop()
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SchemaMissing(f"IISSSLState of site {site_code} is {raw!r} in Value3, not a "
                                f"number (Value1={rows[0]['value1']!r})") from None
        return SecurityMode(site_code=site_code, value=value)

    # -- registration -------------------------------------------------------------------

    def _registration(self) -> Registration:
        parts = self._client_keys()
        counts = self._rows(q.REGISTRATION, **parts)[0]
        sample = self._rows(q.UNREGISTERED_SAMPLE, (q.SAMPLE_SIZE,), **parts)
        return Registration(
            active_clients=counts["active_clients"] or 0,
            registered=counts["registered"] or 0,
            unregistered=_offenders(sample, "build", "heartbeat_device_id"),
        )

    def _tenant_registration(self, facts: dict[str, Fact[Any]]) -> TenantRegistration:
        self._require_columns("ClientKeyData", "AADTenantID")
        parts = self._client_keys()
        counts = self._rows(q.TENANT_COUNTS, **parts)
        tenants = facts["tenants"].value or []
        onboarded = [t.tenant_id for t in tenants if t.tenant_id]
        by_tenant = sorted((TenantCount(**r) for r in counts),
                           key=lambda c: (c.tenant_id is not None, c.tenant_id or ""))
        if not onboarded:
            return TenantRegistration(by_tenant=by_tenant, offenders=Offenders(total=0))
        sample = self._rows(q.TENANT_SAMPLE, (*onboarded, q.SAMPLE_SIZE),
                            tenants=q.markers(len(onboarded)), **parts)
        return TenantRegistration(
            by_tenant=by_tenant, offenders=_offenders(sample, "aad_device_id", "aad_tenant_id"))

    def _heartbeat_only(self) -> Offenders:
        self._require_columns("v_R_System", "AADDeviceID", "AADTenantID")
        rows = self._rows(q.HEARTBEAT_ONLY, (q.SAMPLE_SIZE,), **self._client_keys())
        return _offenders(rows, "aad_device_id", "aad_tenant_id")

    def _os_builds(self) -> OsBuilds:
        active = self._active()
        builds = sorted((BuildCount(**r) for r in self._rows(q.BUILDS, active=active)),
                        key=lambda b: (b.build is None, b.build or ""))
        old = [b.build for b in builds if b.build and is_before_device_token(b.build)]
        if not old:
            return OsBuilds(builds=builds, legacy=Offenders(total=0))
        rows = self._rows(q.BUILD_SAMPLE, (*old, q.SAMPLE_SIZE), active=active,
                          builds=q.markers(len(old)))
        return OsBuilds(builds=builds, legacy=_offenders(rows, "build"))

    # -- sync ---------------------------------------------------------------------------

    def _sync_settings(self) -> SyncSettings:
        table = self._role("sync_settings")
        rows = self._rows(q.SYNC_SETTINGS, table=table)
        return SyncSettings(object=table.strip("[]"), rows=[SyncRow(**r) for r in rows])

    def _group_mappings(self) -> GroupMappings:
        table = self._role("group_mapping")
        mappings = [GroupMapping(**r) for r in self._rows(q.GROUP_MAPPINGS, table=table)]
        declared: list[CollectionRef] = []
        if self.declared:
            names = {r["collection_id"].upper(): r["name"] for r in self._rows(
                q.COLLECTIONS, tuple(self.declared), collections=q.markers(len(self.declared)))}
            declared = [CollectionRef(collection_id=c, name=names.get(c.upper()))
                        for c in self.declared]
        return GroupMappings(object=table.strip("[]"), mappings=mappings, declared=declared)

    def _management_points(self) -> list[SiteSystem]:
        return [SiteSystem(**r) for r in self._rows(q.MANAGEMENT_POINTS)]

    # -- hosts --------------------------------------------------------------------------

    def _site_info(self) -> SiteInfo:
        self._require_columns("Sites", "Version")
        rows = self._rows(q.SITE_INFO)
        if len(rows) != 1:
            raise SchemaMissing(f"Sites has {len(rows)} top-level rows (ReportToSite empty), "
                                "expected 1")
        return SiteInfo(**rows[0])

    def _sampled_clients(self) -> list[ClientRecord]:
        if not self.client_names:
            return []
        self._require_columns("v_R_System", "Client_Version0", "AADDeviceID", "AADTenantID")
        rows = self._rows(q.SAMPLED_CLIENTS, tuple(self.client_names),
                          names=q.markers(len(self.client_names)), **self._client_keys())
        return [ClientRecord(**row) for row in rows]

    def _collection_members(self, facts: dict[str, Fact[Any]]) -> list[CollectionMembers]:
        mappings: GroupMappings | None = facts["group_mappings"].value
        mapped = {m.collection_id.upper() for m in mappings.mappings} if mappings else set()
        wanted = sorted(mapped | {c.upper() for c in self.declared})
        if not wanted:
            return []
        rows = self._rows(q.COLLECTION_MEMBERS, tuple(wanted),
                          collections=q.markers(len(wanted)), **self._client_keys())
        found: dict[str, list[CollectionDevice]] = {c: [] for c in wanted}
        for row in rows:
            collection = row.pop("collection_id").upper()
            found.setdefault(collection, []).append(CollectionDevice(**row))
        return [CollectionMembers(collection_id=c, devices=d) for c, d in found.items()]


def _offenders(rows: list[dict[str, Any]], *value_columns: str) -> Offenders:
    total = rows[0]["total"] if rows else 0
    sample = [
        Offender(name=r["name"] or f"ResourceID {r['resource_id']}", resource_id=r["resource_id"],
                 values={c: r[c] for c in value_columns})
        for r in rows
    ]
    return Offenders(total=total, sample=sample)


def collect_site_db(
    connect: Callable[[], Database],
    site_code: str | None,
    declared_collections: list[str],
    now: datetime,
    client_names: list[str] | None = None,
) -> tuple[dict[str, Fact[Any]], Database | None, Problem | None, float]:
    """Connect and collect; on a connection failure every fact carries that problem.

    :returns: the facts, the connection (for the query count), the connection problem, and
        the seconds it took.
    """
    started = time.perf_counter()
    try:
        db = connect()
    except DatabaseError as exc:
        problem = Problem(source=SOURCE, message=str(exc), code=exc.sqlstate)
        return {}, None, problem, time.perf_counter() - started
    try:
        facts = SiteDbCollector(db, site_code, declared_collections, now,
                                client_names).collect()
    finally:
        db.close()
    return facts, db, None, time.perf_counter() - started
