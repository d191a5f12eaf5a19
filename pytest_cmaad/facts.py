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


class TlsFacts(Model):
    """What a TLS endpoint presented, and whether it verified against the configured CAs."""

    protocol: str
    subject: str
    issuer: str
    sans: list[str]
    not_before: datetime
    not_after: datetime
    thumbprint: str
    site_issued: bool
    verify_error: str | None


class HttpProbe(Model):
    """One GET: what came back, or the one-line reason nothing did."""

    url: str
    status: int | None = None
    reason: str | None = None
    error: str | None = None
    body: str = ""
    verified: bool | None = None


class MpReport(Model):
    """Everything probed on one management point."""

    name: str
    http_url: str | None
    https_url: str | None
    mplist_http: HttpProbe | None = None
    mplist_https: HttpProbe | None = None
    mpcert: HttpProbe | None = None
    mpkeyinfo: HttpProbe | None = None
    token_service: HttpProbe | None = None
    tls: TlsFacts | None = None
    tls_error: str | None = None
    client_cert_required: bool = False
    mplist_names: list[str] | None = None
    mplist_error: str | None = None
    version: str | None = None


class MpReports(Model):
    """The probed management points, and where their list came from."""

    origin: str
    reports: list[MpReport]


class SiteInfo(Model):
    """The top-level site's code and ConfigMgr version (``Sites.Version``)."""

    site_code: str
    version: str | None


class ClientRecord(Model):
    """What the site database holds for one sampled client, found by its name.

    ``key_*`` come from a trusted (token-authenticated) ``ClientKeyData`` row, ``heartbeat_*``
    from ``v_R_System``.
    """

    name: str
    resource_id: int
    client_version: str | None
    key_device_id: str | None
    key_tenant_id: str | None
    heartbeat_device_id: str | None
    heartbeat_tenant_id: str | None


class LogLine(Model):
    """One log entry that bears on a host check, as written and in UTC.

    :param kind: what the entry shows (e.g. ``wam_failure``), from the host source's patterns.
    :param seq: its position among the entries read (rotated file first): larger is later.
    :param raw_time: date and time as written, with the writer's time zone bias.
    :param rotated: it was read from the rolled-over ``.lo_`` file.
    """

    kind: str
    seq: int
    time: datetime | None
    raw_time: str
    component: str
    severity: str | None
    message: str
    rotated: bool = False


class HostLog(Model):
    """What was read from the end of one log on a host (a bounded number of bytes)."""

    name: str
    path: str
    size: int
    bytes_read: int
    rotated_bytes: int = 0
    entries: int
    first_time: datetime | None
    last_time: datetime | None
    counts: dict[str, int] = Field(default_factory=dict)
    lines: list[LogLine] = Field(default_factory=list)
    problem: str | None = None


class LogFolder(Model):
    """Where a role's logs were found on a host (``path`` None: in none of ``looked``)."""

    role: str
    path: str | None
    looked: list[str]


class DsregReport(Model):
    """``dsregcmd /status`` of a client, reduced to what the checks compare.

    ``keys`` holds the printed lines of the sections that matter, as ``Section/Key``.
    """

    azure_ad_joined: bool | None
    domain_joined: bool | None
    enterprise_joined: bool | None
    device_id: str | None
    tenant_id: str | None
    tenant_name: str | None
    keys: dict[str, str] = Field(default_factory=dict)


class HostReport(Model):
    """One client or site system as the host source found it.

    :param id: how checks and test ids name the host (the host in its URL, no credentials).
    :param address: the URL without credentials or query.
    :param problem: the host did not answer: every check about it is an error.
    """

    id: str
    kind: str
    address: str
    computer_name: str | None = None
    platform: str | None = None
    problem: Problem | None = None
    dsregcmd: DsregReport | None = None
    dsregcmd_problem: Problem | None = None
    folders: list[LogFolder] = Field(default_factory=list)
    logs: list[HostLog] = Field(default_factory=list)
    logs_problem: Problem | None = None


class HostsReport(Model):
    """Sampled clients and site systems, and how many bytes of each log were read at most."""

    log_bytes: int
    clients: list[HostReport] = Field(default_factory=list)
    servers: list[HostReport] = Field(default_factory=list)


class SchemaInventory(Model):
    """Database objects the checks rely on that are not documented, as found on the site.

    ``objects`` maps each object to its columns; ``roles`` maps a role (e.g.
    ``group_mapping``) to the object found for it, or to None when none was found.
    """

    objects: dict[str, list[str]]
    roles: dict[str, str | None]


class CollectionDevice(Model):
    """An active client in a mapped collection, with its trusted AADDeviceID (or None)."""

    resource_id: int
    name: str | None
    aad_device_id: str | None


class CollectionMembers(Model):
    """The members of one mapped or declared collection that the sync would write."""

    collection_id: str
    devices: list[CollectionDevice]


class DirectoryRef(Model):
    """A directory object as Graph names it (owner, member or device)."""

    id: str
    type: str
    display_name: str | None = None
    app_id: str | None = None
    device_id: str | None = None


class EntraGroup(Model):
    """One target group in Entra: its kind, owners, and its device members against the
    collections mapped to it.

    ``found`` False means Graph answered 404 for the id. ``expected`` counts the collections'
    members with an AADDeviceID that Entra knows (None: the site database was not read);
    ``missing`` and ``extra`` are bounded samples named on the ConfigMgr and Entra side.
    """

    id: str
    found: bool
    display_name: str | None = None
    security_enabled: bool | None = None
    mail_enabled: bool | None = None
    group_types: list[str] = Field(default_factory=list)
    owners: list[DirectoryRef] = Field(default_factory=list)
    collections: list[str] = Field(default_factory=list)
    device_members: int = 0
    other_members: int = 0
    expected: int | None = None
    missing: Offenders | None = None
    extra: Offenders | None = None


class EntraServerApp(Model):
    """The ConfigMgr server app as Entra has it: service principal, permissions, secrets.

    ``service_principal_id`` None means no service principal has the app id.
    """

    app_id: str
    service_principal_id: str | None
    display_name: str | None = None
    app_roles: list[str] = Field(default_factory=list)
    secret_expiries: list[datetime] = Field(default_factory=list)
    application_found: bool = False


class AuditEntry(Model):
    """One directory audit entry of the server app changing a group's members."""

    activity: str
    time: datetime
    group_id: str | None
    target: str | None


class AuditTrail(Model):
    """Recent ``Add/Remove member from group`` entries initiated by the server app."""

    since: datetime
    total: int
    entries: list[AuditEntry]


class GraphDirectory(Model):
    """Everything read from Microsoft Graph, compared where it must be, and what it cost.

    ``device_ids`` counts the mapped collections' members with an AADDeviceID (None: the site
    database was not read); ``unknown_devices`` samples those Entra does not know.
    """

    groups: list[EntraGroup]
    device_ids: int | None
    unknown_devices: Offenders | None
    server_app: EntraServerApp | None
    audit: AuditTrail | None
    requests: int
    throttled: int
    waited_seconds: float


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
    mp_reports: Fact[MpReports] | None = None
    site_info: Fact[SiteInfo] | None = None
    sampled_clients: Fact[list[ClientRecord]] | None = None
    hosts: Fact[HostsReport] | None = None
    graph: Fact[GraphDirectory] | None = None
