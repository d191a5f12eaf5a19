"""The lab tenant's directory, built from a scenario and the lab database.

Healthy: every mapped (and declared) collection's group exists as an assigned security group
owned by the server app's service principal, its device members are exactly the collection's
active clients with a trusted AADDeviceID, every such device exists in Entra, the server app
has Directory.Read.All, and the audit log shows it adding members. Scenarios break one of
these at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from . import build
from .graph import (
    READER_APP_ID,
    LabDirectory,
    LabGroup,
    audit_entry,
    collection_devices,
    expiry_in,
    object_id,
)
from .scenarios import LabScenario

SERVER_APP_NAME = "ConfigMgr Lab Server"
LAB_ADMIN = {"@odata.type": "#microsoft.graph.user", "id": object_id("user:admin"),
             "displayName": "Lab Admin"}


def scenario_directory(scenario: LabScenario, database: Path, now: datetime) -> LabDirectory:
    """The lab tenant for ``scenario``."""
    d = LabDirectory(tenant_id=build.TENANT_ID.lower())
    collections = sorted(set(scenario.mapped_collections) | set(scenario.declared_collections))
    members = collection_devices(database, collections)
    first = collections[0] if collections else None
    unknown = {device_id for device_id, _ in
               members.get(first, [])[:scenario.graph_unknown_devices]} if first else set()
    for device_list in members.values():
        for device_id, name in device_list:
            if device_id not in unknown:
                d.device(device_id, name)
    sp = None
    if scenario.server_app:
        sp = d.service_principal(build.SERVER_APP_ID, SERVER_APP_NAME,
                                 list(scenario.graph_app_roles))
        d.secret_expiries[build.SERVER_APP_ID.lower()] = [
            expiry_in(scenario.secret_expires_in_days, now)]
    d.service_principal(READER_APP_ID, "pytest-cmaad reader", ["Directory.Read.All"])
    for cid in collections:
        group_id, name = build.GROUPS[cid]
        if cid in scenario.graph_groups_missing:
            continue
        group = LabGroup(group_id.lower(), name,
                         security_enabled=cid not in scenario.graph_groups_not_security,
                         dynamic=cid in scenario.graph_groups_dynamic)
        group.owners.append(LAB_ADMIN)
        if sp is not None and scenario.graph_server_app_owner:
            group.owners.append(sp)
        devices = [d.devices[i] for i, _ in members[cid] if i not in unknown]
        if cid == first:
            devices = devices[scenario.graph_missing_members:]
            for n in range(scenario.graph_extra_members):
                devices.append(d.device(object_id(f"extra:{n}"), f"LAB-STRAY{n:03d}"))
        group.members = [LAB_ADMIN, *devices]
        d.groups[group.id] = group
        if scenario.graph_audit_entries and sp is not None and devices:
            for n in range(3):
                when = now - timedelta(minutes=scenario.sync_last_minutes + 5 * n)
                d.audit.append(audit_entry(build.SERVER_APP_ID, SERVER_APP_NAME, group.id,
                                           devices[n % len(devices)], when))
    return d
