"""Typed facts that sources gather and checks read.

Every fact is a :class:`Fact`: either a value or the problem that kept the source from reading
it, and always the source it came from. The models are plain pydantic models, so the snapshot
that holds them is JSON through and through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Model(BaseModel):
    """Base of every fact model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(Model):
    """Why a source or a fact could not be read: one line naming the source and the fix."""

    source: str
    message: str
    code: str | None = None


class Fact(Model, Generic[T]):
    """A value a source read, or the problem that kept it from reading it."""

    source: str
    value: T | None = None
    problem: Problem | None = None


class Offender(Model):
    """One object that breaks a prerequisite, with the values that decided it."""

    name: str
    resource_id: int | None = None
    values: dict[str, str | int | bool | None] = Field(default_factory=dict)


class Offenders(Model):
    """A bounded sample of offending objects and how many there are in all."""

    total: int
    sample: list[Offender] = Field(default_factory=list)


class Tenant(Model):
    """A row of ``AAD_Tenant_Ex``."""

    id: int
    tenant_id: str | None
    name: str | None
    environment: int | None


class AadApp(Model):
    """A row of ``AAD_Application_Ex`` (no secret column is ever read)."""

    id: int
    tenant_db_id: int | None
    client_id: str | None
    name: str | None
    is_client_app: bool | None
    last_update_time: datetime | None


class AppSecret(Model):
    """When the secret of an ``AAD_Application_Ex`` row expires."""

    app_id: int
    secret_key_expiry: datetime | None


class ClientAuth(Model):
    """The top-level site's ``Sites.Settings`` XML, reduced to the tenant ids it names."""

    site_code: str
    tenant_ids: list[str]
    settings_chars: int


class DiscoveryRow(Model):
    """Azure AD discovery settings for one cloud service."""

    cloud_service_id: int | None
    agent_type: int | None
    full_sync_enabled: bool | None
    delta_sync_enabled: bool | None
    delta_sync_interval: int | None
    last_full_sync_time: datetime | None
    last_delta_sync_time: datetime | None


class DiscoverySettings(Model):
    """Azure AD discovery settings and the database object they were read from."""

    object: str
    rows: list[DiscoveryRow]


class StatusCount(Model):
    """Status messages of one id and severity since a point in time."""

    message_id: int
    severity: str
    count: int
    last_time: datetime | None


class StatusSummary(Model):
    """Status messages of one component since ``since``."""

    component: str
    since: datetime
    messages: list[StatusCount]


class SecurityMode(Model):
    """The site's ``IISSSLState`` from the site control file."""

    site_code: str
    value: int


class Registration(Model):
    """Active clients and how many registered an Azure AD device id with token auth."""

    active_clients: int
    registered: int
    unregistered: Offenders


class TenantCount(Model):
    """Registered active clients per ``ClientKeyData.AADTenantID`` value."""

    tenant_id: str | None
    devices: int


class TenantRegistration(Model):
    """Registered active clients by tenant, and those without an onboarded tenant."""

    by_tenant: list[TenantCount]
    offenders: Offenders


class BuildCount(Model):
    """Active clients per OS build (``v_R_System.Build01``)."""

    build: str | None
    clients: int


class OsBuilds(Model):
    """OS builds of active clients and those too old for a device token."""

    builds: list[BuildCount]
    legacy: Offenders


class SyncRow(Model):
    """Collection to group sync settings for one cloud service."""

    cloud_service_id: int | None
    full_sync_enabled: bool | None
    delta_sync_enabled: bool | None
    delta_sync_interval: int | None
    last_full_sync_time: datetime | None
    last_delta_sync_time: datetime | None


class SyncSettings(Model):
    """Sync settings and the database object they were read from."""

    object: str
    rows: list[SyncRow]


class GroupMapping(Model):
    """One collection to group mapping (``SMS_CollectionAADGroupMapping``)."""

    collection_id: str
    collection_name: str | None
    members: int | None
    group_id: str | None
    group_name: str | None
    cloud_service_id: int | None
    last_sync_time: datetime | None
    last_sync_status: int | None


class CollectionRef(Model):
    """A collection named by the profile, and its name when it exists."""

    collection_id: str
    name: str | None


class GroupMappings(Model):
    """Collection to group mappings, and the collections the profile declares."""

    object: str
    mappings: list[GroupMapping]
    declared: list[CollectionRef]


class SiteSystem(Model):
    """A site system role from ``v_SystemResourceList``."""

    server_name: str
    site_code: str | None


class SchemaInventory(Model):
    """Database objects the checks rely on that are not documented, as found on the site.

    ``objects`` maps each object to its columns; ``roles`` maps a role (e.g.
    ``group_mapping``) to the object found for it, or to None when none was found.
    """

    objects: dict[str, list[str]]
    roles: dict[str, str | None]


class SiteFacts(Model):
    """Everything the checks may read about one site; None means no source gathered it."""

    schema_inventory: Fact[SchemaInventory] | None = None
    tenants: Fact[list[Tenant]] | None = None
    applications: Fact[list[AadApp]] | None = None
    app_secrets: Fact[list[AppSecret]] | None = None
    client_auth: Fact[ClientAuth] | None = None
    discovery_settings: Fact[DiscoverySettings] | None = None
    discovery_status: Fact[StatusSummary] | None = None
    security_mode: Fact[SecurityMode] | None = None
    registration: Fact[Registration] | None = None
    tenant_registration: Fact[TenantRegistration] | None = None
    heartbeat_only: Fact[Offenders] | None = None
    os_builds: Fact[OsBuilds] | None = None
    sync_settings: Fact[SyncSettings] | None = None
    group_mappings: Fact[GroupMappings] | None = None
    management_points: Fact[list[SiteSystem]] | None = None
