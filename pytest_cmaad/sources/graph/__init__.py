"""The Microsoft Graph source: the target groups, their owners and device members, the
collection members' Entra devices, the server app's service principal, permissions and
secret expiry, and recent audit entries of it changing group members.

It builds on the site database's (or AdminService's) facts: the mappings name the groups,
the applications name the server app, the collection members name the device ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ...facts import (
    AuditEntry,
    AuditTrail,
    CollectionDevice,
    CollectionMembers,
    DirectoryRef,
    EntraGroup,
    EntraServerApp,
    Fact,
    GraphDirectory,
    GroupMappings,
    Offender,
    Offenders,
    Problem,
)
from ...snapshot import SourceState
from ..http import make_session
from .auth import GraphAuthError, endpoints, make_token_provider
from .client import PAGE_SIZE, GraphClient, GraphError, inner_error

if TYPE_CHECKING:
    from ...sites import Site, SourceResult

SOURCE = "graph"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AUDIT_DAYS = 7
AUDIT_PAGE = 100
AUDIT_ACTIVITIES = ("Add member to group", "Remove member from group")
GROUP_SELECT = "id,displayName,securityEnabled,mailEnabled,groupTypes"
MEMBER_SELECT = "id,deviceId,displayName"


def _ref(item: dict[str, Any]) -> DirectoryRef:
    kind = str(item.get("@odata.type", "#microsoft.graph.directoryObject")).rsplit(".", 1)[-1]
    device_id = item.get("deviceId")
    return DirectoryRef(id=str(item.get("id", "")).lower(), type=kind,
                        display_name=item.get("displayName"), app_id=item.get("appId"),
                        device_id=str(device_id).lower() if device_id else None)


SAMPLE = 10


class GraphReader:
    """Reads what the checks need with as few requests as paging and batching allow, and
    compares each group's device members with its collections while the lists are at hand
    (only counts and bounded samples reach the snapshot)."""

    def __init__(self, client: GraphClient, concurrency: int) -> None:
        self.client, self.concurrency = client, concurrency

    def read(self, targets: dict[str, list[str]], server_app_id: str | None,
             members: list[CollectionMembers] | None, now: datetime) -> GraphDirectory:
        """Everything in one :class:`GraphDirectory`.

        :param targets: each target group id and the collections mapped to it.
        :param members: the collections' members (None: the site database was not read).
        """
        group_ids = sorted(targets)
        paths = []
        for gid in group_ids:
            paths += [f"groups/{gid}?$select={GROUP_SELECT}",
                      f"groups/{gid}/owners?$select=id,appId,displayName&$top={PAGE_SIZE}"]
        since = now - timedelta(days=AUDIT_DAYS)
        if server_app_id:
            paths += [f"servicePrincipals(appId='{server_app_id}')?$select=id,appId,displayName",
                      f"servicePrincipals(appId='{server_app_id}')/appRoleAssignments"
                      f"?$select=appRoleId,resourceId&$top={PAGE_SIZE}",
                      f"servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id,appRoles",
                      f"applications(appId='{server_app_id}')?$select=id,appId,"
                      "passwordCredentials",
                      _audit_path(server_app_id, since)]
        answers = self.client.batch(paths)
        found, owners = self._groups(group_ids, answers[:2 * len(group_ids)])
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            listed = dict(zip(found, pool.map(self._members, found), strict=True))
        rest = answers[2 * len(group_ids):]
        app = self._server_app(server_app_id, rest) if server_app_id else None
        audit = self._audit(rest[4], since, paths[-1]) if server_app_id else None
        devices = _devices(members) if members is not None else None
        unknown: dict[str, CollectionDevice] = {}
        if devices is not None:
            seen = {m.device_id for refs in listed.values() for m in refs if m.device_id}
            unknown = self._unknown(devices, seen)
        by_collection = {c.collection_id.upper(): c for c in members or []}
        groups = []
        for gid in group_ids:
            collections = sorted(targets[gid])
            if gid not in found:
                groups.append(EntraGroup(id=gid, found=False, collections=collections))
                continue
            body, refs = found[gid], listed[gid]
            device_refs = {r.device_id: r for r in refs if r.type == "device" and r.device_id}
            group = EntraGroup(
                id=gid, found=True, display_name=body.get("displayName"),
                security_enabled=body.get("securityEnabled"),
                mail_enabled=body.get("mailEnabled"),
                group_types=list(body.get("groupTypes") or []), owners=owners[gid],
                collections=collections, device_members=len(device_refs),
                other_members=len(refs) - len(device_refs))
            if members is not None:
                want = {d.aad_device_id.lower(): d for c in collections
                        for d in (by_collection[c].devices if c in by_collection else [])
                        if d.aad_device_id and d.aad_device_id.lower() not in unknown}
                group = group.model_copy(update=_drift(want, device_refs))
            groups.append(group)
        return GraphDirectory(
            groups=groups, device_ids=len(devices) if devices is not None else None,
            unknown_devices=_sample(list(unknown.values()), lambda d: _cm_device(d, {}))
            if devices is not None else None,
            server_app=app, audit=audit, requests=self.client.cost.requests,
            throttled=self.client.cost.throttled,
            waited_seconds=round(self.client.cost.waited, 3))

    def _rest(self, first: dict[str, Any]) -> list[dict[str, Any]]:
        """A first page from a batch and the pages after it."""
        items = list(first.get("value", []))
        link = first.get("@odata.nextLink")
        if link:
            items.extend(self.client.pages(str(link)))
        return items

    def _groups(self, group_ids: list[str], answers: list[tuple[int, dict[str, Any]]]
                ) -> tuple[dict[str, dict[str, Any]], dict[str, list[DirectoryRef]]]:
        found: dict[str, dict[str, Any]] = {}
        owners: dict[str, list[DirectoryRef]] = {}
        for index, gid in enumerate(group_ids):
            (status, body), (owner_status, owner_body) = answers[2 * index:2 * index + 2]
            if status == 404:
                continue
            if status != 200:
                raise inner_error(status, body, f"groups/{gid}")
            if owner_status != 200:
                raise inner_error(owner_status, owner_body, f"groups/{gid}/owners")
            found[gid] = body
            owners[gid] = [_ref(o) for o in self._rest(owner_body)]
        return found, owners

    def _members(self, gid: str) -> list[DirectoryRef]:
        path = f"groups/{gid}/members?$select={MEMBER_SELECT}&$top={PAGE_SIZE}"
        return [_ref(item) for item in self.client.pages(path)]

    def _server_app(self, app_id: str, answers: list[tuple[int, dict[str, Any]]]
                    ) -> EntraServerApp:
        (sp_status, sp), (ra_status, ra), (g_status, graph_sp), (a_status, app) = answers[:4]
        if sp_status == 404:
            return EntraServerApp(app_id=app_id, service_principal_id=None)
        for status, body, what in ((sp_status, sp, "servicePrincipals"),
                                   (ra_status, ra, "appRoleAssignments"),
                                   (g_status, graph_sp, "servicePrincipals (Graph)")):
            if status != 200:
                raise inner_error(status, body, what)
        names = {str(r.get("id")): str(r.get("value")) for r in graph_sp.get("appRoles", [])}
        graph_id = str(graph_sp.get("id"))
        roles = sorted({names.get(str(a.get("appRoleId")), str(a.get("appRoleId")))
                        for a in self._rest(ra) if str(a.get("resourceId")) == graph_id})
        expiries: list[datetime] = []
        if a_status == 200:
            for credential in app.get("passwordCredentials", []):
                end = credential.get("endDateTime")
                if end:
                    expiries.append(datetime.fromisoformat(str(end).replace("Z", "+00:00")))
        elif a_status != 404:
            raise inner_error(a_status, app, "applications")
        return EntraServerApp(app_id=app_id, service_principal_id=str(sp.get("id")).lower(),
                              display_name=sp.get("displayName"), app_roles=roles,
                              secret_expiries=sorted(expiries),
                              application_found=a_status == 200)

    def _audit(self, answer: tuple[int, dict[str, Any]], since: datetime, path: str
               ) -> AuditTrail:
        status, body = answer
        if status != 200:
            raise inner_error(status, body, path)
        entries = []
        for item in body.get("value", []):
            targets = [t for t in item.get("targetResources", []) if t.get("type") == "Group"]
            devices = [t for t in item.get("targetResources", []) if t.get("type") != "Group"]
            entries.append(AuditEntry(
                activity=str(item.get("activityDisplayName")),
                time=datetime.fromisoformat(str(item["activityDateTime"]).replace("Z", "+00:00")),
                group_id=str(targets[0].get("id")).lower() if targets else None,
                target=devices[0].get("displayName") if devices else None))
        more = "@odata.nextLink" in body
        return AuditTrail(since=since, total=len(entries) + (1 if more else 0),
                          entries=entries)

    def _unknown(self, devices: dict[str, CollectionDevice], seen: set[str]
                 ) -> dict[str, CollectionDevice]:
        """Collection members' device ids Entra does not know: group members are known to
        exist; the others are looked up by alternate key, in batches."""
        lookup = sorted(set(devices) - seen)
        answers = self.client.batch(
            [f"devices(deviceId='{d}')?$select=id,deviceId" for d in lookup])
        unknown = {}
        for device_id, (status, body) in zip(lookup, answers, strict=True):
            if status == 404:
                unknown[device_id] = devices[device_id]
            elif status != 200:
                raise inner_error(status, body, "devices")
        return unknown


def _devices(members: list[CollectionMembers]) -> dict[str, CollectionDevice]:
    return {d.aad_device_id.lower(): d for c in members for d in c.devices if d.aad_device_id}


def _cm_device(device: CollectionDevice, extra: dict[str, str | int | bool | None]
               ) -> Offender:
    return Offender(name=device.name or f"ResourceID {device.resource_id}",
                    resource_id=device.resource_id,
                    values={"aad_device_id": (device.aad_device_id or "").lower(), **extra})


T = TypeVar("T")


def _sample(items: list[T], make: Callable[[T], Offender]) -> Offenders:
    return Offenders(total=len(items), sample=[make(i) for i in items[:SAMPLE]])


def _drift(want: dict[str, CollectionDevice], have: dict[str, DirectoryRef]) -> dict[str, Any]:
    missing = sorted((want[i] for i in set(want) - set(have)),
                     key=lambda d: (d.name or "", d.resource_id))
    extra = sorted((have[i] for i in set(have) - set(want)),
                   key=lambda r: (r.display_name or "", r.id))
    return {"expected": len(want),
            "missing": _sample(missing, lambda d: _cm_device(
                d, {"drift": "in the collection, not in the group"})),
            "extra": _sample(extra, lambda r: Offender(
                name=r.display_name or r.id,
                values={"aad_device_id": r.device_id, "object_id": r.id,
                        "drift": "in the group, not in the collection"}))}


def _audit_path(app_id: str, since: datetime) -> str:
    activities = " or ".join(f"activityDisplayName eq '{a}'" for a in AUDIT_ACTIVITIES)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"auditLogs/directoryAudits?$filter=activityDateTime ge {stamp} and "
            f"initiatedBy/app/appId eq '{app_id}' and ({activities})&$top={AUDIT_PAGE}")


def _targets(site: Site) -> dict[str, list[str]]:
    """Each target group (from the mappings and ``group_sync``) and its collections."""
    targets: dict[str, set[str]] = {}
    for collection, group in (site.settings.get("group_sync") or {}).items():
        targets.setdefault(str(group).lower(), set()).add(str(collection).upper())
    mappings = site.collected.get("group_mappings")
    if mappings is not None and isinstance(mappings.value, GroupMappings):
        for m in mappings.value.mappings:
            if m.group_id:
                targets.setdefault(m.group_id.lower(), set()).add(m.collection_id.upper())
    return {group: sorted(collections) for group, collections in sorted(targets.items())}


def _server_app_id(site: Site) -> str | None:
    apps = site.collected.get("applications")
    for app in (apps.value or []) if apps is not None else []:
        if app.is_client_app is False and app.client_id:
            return str(app.client_id).lower()
    return None


def collect(site: Site, now: datetime) -> SourceResult:
    """Sign in with the reader app and read the directory."""
    from ...sites import SourceResult

    started = time.perf_counter()
    settings = site.settings
    where = endpoints(settings)
    session = make_session(site.lab.addresses if site.lab is not None else {})
    session.verify = settings.get("ca_bundle") or True
    members_fact = site.collected.get("collection_members")
    members = (list(members_fact.value) if members_fact is not None
               and members_fact.value is not None else None)
    client: GraphClient | None = None
    try:
        token = make_token_provider(settings, session)
        client = GraphClient(f"{where.graph_url}/v1.0", session, token,
                             float(settings.get("graph_timeout")),
                             float(settings.get("graph_max_retry_seconds")), session.verify)
        token()
        directory = GraphReader(client, int(settings.get("graph_concurrency"))).read(
            _targets(site), _server_app_id(site), members, now)
        fact: Fact[Any] = Fact(source=SOURCE, value=directory)
        problem = None
    except (GraphAuthError, GraphError) as exc:
        code = getattr(exc, "code", None)
        problem = Problem(source=SOURCE, message=str(exc), code=code)
        fact = Fact(source=SOURCE, problem=problem)
    finally:
        session.close()
    state = SourceState(state="error" if problem else "ok", description=where.graph_url,
                        problem=problem, queries=client.cost.requests if client else 0,
                        seconds=round(time.perf_counter() - started, 3))
    return SourceResult({"graph": fact}, state, {"group": sorted(_targets(site))})
