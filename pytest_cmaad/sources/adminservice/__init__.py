"""The AdminService source: the SMS Provider's WMI classes over HTTPS (OData, paged).

It reads the classes behind onboarding, discovery and group sync, and gives the same facts as
the site database source. Where both are configured the database's facts are used and any
disagreement is recorded in the snapshot.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests

from ...facts import (
    AadApp,
    AppSecret,
    CollectionRef,
    DiscoveryRow,
    DiscoverySettings,
    Fact,
    GroupMapping,
    GroupMappings,
    Problem,
    SyncRow,
    SyncSettings,
    Tenant,
)
from ...snapshot import SourceState
from ..http import make_session, root_cause
from ..sitedb.normalize import Kind, ValueShapeError, normalize
from .auth import AuthError, make_auth

if TYPE_CHECKING:
    from ...sites import Site, SourceResult

SOURCE = "adminservice"
MAX_PAGES = 200
FACT_NAMES = ("tenants", "applications", "app_secrets", "discovery_settings", "sync_settings",
              "group_mappings")


class AdminServiceError(Exception):
    """One line naming the AdminService, what failed, and the fix."""


class Reader:
    """GETs of WMI classes, following ``@odata.nextLink`` pages."""

    def __init__(self, base: str, session: requests.Session, auth: Any, verify: str | bool,
                 timeout: float) -> None:
        self.base, self.session, self.auth = base.rstrip("/"), session, auth
        self.verify, self.timeout = verify, timeout
        self.requests = 0

    def rows(self, wmi_class: str, select: str = "", filter_: str = "") -> list[dict[str, Any]]:
        """Every instance of ``wmi_class`` (all pages)."""
        params = {k: v for k, v in (("$select", select), ("$filter", filter_)) if v}
        url: str | None = f"{self.base}/wmi/{wmi_class}"
        rows: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return rows
            body = self._get(url, params, wmi_class)
            rows.extend(body.get("value", []))
            url, params = body.get("@odata.nextLink"), {}
        raise AdminServiceError(f"adminservice {wmi_class}: more than {MAX_PAGES} pages")

    def _get(self, url: str, params: dict[str, str], wmi_class: str) -> dict[str, Any]:
        self.requests += 1
        where = f"adminservice {self.base}/wmi/{wmi_class}"
        try:
            response = self.session.get(url, params=params, auth=self.auth, verify=self.verify,
                                        timeout=self.timeout, allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise AdminServiceError(f"{where}: TLS: {root_cause(exc)} — set ca_bundle to the CA "
                                    "of the SMS Provider's certificate") from None
        except requests.RequestException as exc:
            raise AdminServiceError(f"{where}: {root_cause(exc)} — check adminservice and that "
                                    "the SMS Provider is reachable") from None
        if response.status_code == 401:
            raise AdminServiceError(f"{where}: 401 Unauthorized — check adminservice_auth, "
                                    "adminservice_user and its password")
        if response.status_code == 403:
            raise AdminServiceError(f"{where}: 403 Forbidden — give the account a "
                                    "read-only administrative role in ConfigMgr")
        if response.status_code == 404:
            raise AdminServiceError(f"{where}: 404 — this SMS Provider has no class "
                                    f"{wmi_class}")
        if response.status_code != 200:
            raise AdminServiceError(f"{where}: HTTP {response.status_code} {response.reason}")
        try:
            body = response.json()
        except ValueError:
            raise AdminServiceError(f"{where}: the answer is not JSON "
                                    f"({response.headers.get('Content-Type')})") from None
        if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
            raise AdminServiceError(f"{where}: the answer is not an OData collection")
        return body


def _typed(row: dict[str, Any], columns: Columns, wmi_class: str) -> dict[str, Any]:
    result = {}
    for prop, (name, kind) in columns.items():
        try:
            result[name] = normalize(row.get(prop), kind)
        except ValueShapeError as exc:
            raise AdminServiceError(f"adminservice {wmi_class}.{prop}: {exc}") from None
    return result


Columns = dict[str, tuple[str, Kind]]

TENANT: Columns = {"ID": ("id", "int"), "TenantID": ("tenant_id", "guid"), "Name": ("name", "str"),
          "Environment": ("environment", "int")}
APPLICATION: Columns = {"ID": ("id", "int"), "TenantID": ("tenant_db_id", "int"),
               "ClientID": ("client_id", "guid"), "Name": ("name", "str"),
               "IsClientApp": ("is_client_app", "bool"),
               "LastUpdateTime": ("last_update_time", "datetime")}
SECRET: Columns = {"ID": ("app_id", "int"), "SecretKeyExpiry": ("secret_key_expiry", "datetime")}
DISCOVERY: Columns = {"CloudServiceId": ("cloud_service_id", "int"),
             "AgentType": ("agent_type", "int"),
             "FullSyncEnabled": ("full_sync_enabled", "bool"),
             "DeltaSyncEnabled": ("delta_sync_enabled", "bool"),
             "DeltaSyncInterval": ("delta_sync_interval", "int"),
             "LastFullSyncTime": ("last_full_sync_time", "datetime"),
             "LastDeltaSyncTime": ("last_delta_sync_time", "datetime")}
# Properties read from a class that several facts use; never SecretKey or SecretKeyForSCP.
SELECTS: dict[str, Columns] = {"SMS_AAD_Application_Ex": {**APPLICATION, **SECRET}}
SYNC: Columns = {k: v for k, v in DISCOVERY.items() if k != "AgentType"}
MAPPING: Columns = {"CollectionSiteID": ("collection_id", "str"),
           "AADGroupID": ("group_id", "guid"),
           "AADGroupName": ("group_name", "str"), "CloudServiceID": ("cloud_service_id", "int"),
           "LastSyncTime": ("last_sync_time", "datetime"),
           "LastSyncStatus": ("last_sync_status", "int")}


class AdminServiceCollector:
    """Reads the WMI classes and builds the facts."""

    def __init__(self, reader: Reader, declared: list[str]) -> None:
        self.reader, self.declared = reader, declared
        self._classes: dict[str, list[dict[str, Any]] | AdminServiceError] = {}

    def facts(self) -> dict[str, Fact[Any]]:
        """Every fact; a failing class spoils only the facts built from it."""
        steps: dict[str, Callable[[], Any]] = {
            "tenants": self._tenants, "applications": self._applications,
            "app_secrets": self._secrets, "discovery_settings": self._discovery,
            "sync_settings": self._sync, "group_mappings": self._mappings,
        }
        result: dict[str, Fact[Any]] = {}
        for name in FACT_NAMES:
            try:
                result[name] = Fact(source=SOURCE, value=steps[name]())
            except AdminServiceError as exc:
                result[name] = Fact(source=SOURCE, problem=Problem(source=SOURCE,
                                                                   message=str(exc)))
        return result

    def _read(self, wmi_class: str, columns: Columns) -> list[dict[str, Any]]:
        """A class's instances, read once per collection (several facts share a class)."""
        if wmi_class not in self._classes:
            select = SELECTS.get(wmi_class, columns)
            try:
                self._classes[wmi_class] = self.reader.rows(wmi_class, select=",".join(select))
            except AdminServiceError as exc:
                self._classes[wmi_class] = exc
        rows = self._classes[wmi_class]
        if isinstance(rows, AdminServiceError):
            raise rows
        return [_typed(row, columns, wmi_class) for row in rows]

    def _tenants(self) -> list[Tenant]:
        return [Tenant(**r) for r in self._read("SMS_AAD_Tenant_Ex", TENANT)]

    def _applications(self) -> list[AadApp]:
        return [AadApp(**r) for r in self._read("SMS_AAD_Application_Ex", APPLICATION)]

    def _secrets(self) -> list[AppSecret]:
        return [AppSecret(**r) for r in self._read("SMS_AAD_Application_Ex", SECRET)]

    def _discovery(self) -> DiscoverySettings:
        rows = self._read("SMS_AAD_Discovery_Settings", DISCOVERY)
        return DiscoverySettings(object="SMS_AAD_Discovery_Settings",
                                 rows=[DiscoveryRow(**r) for r in rows])

    def _sync(self) -> SyncSettings:
        rows = self._read("SMS_AAD_Sync_Settings", SYNC)
        return SyncSettings(object="SMS_AAD_Sync_Settings", rows=[SyncRow(**r) for r in rows])

    def _mappings(self) -> GroupMappings:
        rows = self._read("SMS_CollectionAADGroupMapping", MAPPING)
        wanted = sorted({r["collection_id"].upper() for r in rows} | set(self.declared))
        collections: dict[str, dict[str, Any]] = {}
        if wanted:
            found = self.reader.rows(
                "SMS_Collection", select="CollectionID,Name,MemberCount",
                filter_=" or ".join(f"CollectionID eq '{c}'" for c in wanted))
            collections = {str(c.get("CollectionID", "")).upper(): c for c in found}
        mappings = []
        for r in sorted(rows, key=lambda m: (m["collection_id"], m["group_id"] or "")):
            coll = collections.get(r["collection_id"].upper(), {})
            mappings.append(GroupMapping(collection_name=coll.get("Name"),
                                         members=coll.get("MemberCount"), **r))
        declared = [CollectionRef(collection_id=c, name=collections.get(c, {}).get("Name"))
                    for c in self.declared]
        return GroupMappings(object="SMS_CollectionAADGroupMapping", mappings=mappings,
                             declared=declared)


def collect(site: Site, now: datetime) -> SourceResult:
    """Read the AdminService's classes for the site."""
    from ...sites import SourceResult

    started = time.perf_counter()
    settings = site.settings
    base = str(settings.get("adminservice"))
    try:
        auth = make_auth(settings, os.environ)
    except AuthError as exc:
        problem = Problem(source=SOURCE, message=str(exc))
        return SourceResult({n: Fact(source=SOURCE, problem=problem) for n in FACT_NAMES},
                            SourceState(state="error", description=base, problem=problem))
    session = make_session(site.lab.addresses if site.lab is not None else {})
    reader = Reader(base, session, auth, settings.get("ca_bundle") or True,
                    float(settings.get("adminservice_timeout")))
    declared = sorted((settings.get("group_sync") or {}).keys())
    facts = AdminServiceCollector(reader, declared).facts()
    session.close()
    problems = [f.problem for f in facts.values() if f.problem is not None]
    state = SourceState(state="error" if len(problems) == len(facts) else "ok", description=base,
                        problem=problems[0] if len(problems) == len(facts) else None,
                        queries=reader.requests, seconds=round(time.perf_counter() - started, 3))
    return SourceResult(facts, state)
