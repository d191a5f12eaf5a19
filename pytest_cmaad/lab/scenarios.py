"""Lab scenarios as data: the healthy site, and one variation per broken link.

Each scenario is the healthy description with the fields it breaks replaced; the database (and
later the other stand-ins) are built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .mp import MpSpec

MP01, MP02 = "mp01.lab.contoso.test", "mp02.lab.contoso.test"
HEALTHY_MPS = (MpSpec(MP01, "site-issued"), MpSpec(MP02, "pki"))


def _mps(**changes: MpSpec) -> tuple[MpSpec, ...]:
    """The healthy MPs with some replaced: ``_mps(mp02=MpSpec(...))``."""
    return tuple(changes.get(spec.name.split(".")[0], spec) for spec in HEALTHY_MPS)


@dataclass(frozen=True)
class LabScenario:
    """A declarative description of a lab site.

    Times are minutes before the moment the lab is built; shares are fractions of the active
    clients.
    """

    name: str
    summary: str
    tenant: bool = True
    server_app: bool = True
    client_app: bool = True
    secret_expires_in_days: int = 420
    client_auth_enabled: bool = True
    discovery_full: bool = True
    discovery_delta: bool = True
    discovery_last_minutes: int = 3
    discovery_errors: int = 0
    iisssl_state: int = 1248
    tenant_id_on_registration: bool = True
    heartbeat_only_share: float = 0.0
    legacy_share: float = 0.0
    not_joined_share: float = 0.01
    sync_enabled: bool = True
    sync_last_minutes: int = 4
    mapped_collections: tuple[str, ...] = ("LAB00010", "LAB00011")
    declared_collections: tuple[str, ...] = ("LAB00010", "LAB00011")
    mps: tuple[MpSpec, ...] = HEALTHY_MPS
    # Hosts: the sampled client, management point mp01 and the site server.
    client_joined: bool = True
    client_device_id_matches: bool = True
    client_registers_with_aad: bool = True
    mp_registers_with_aad: bool = True
    client_wam_failure: bool = False
    mp_token_service_exception: bool = False
    sync_secret_unobtainable: bool = False
    # Entra ID and Graph (collections are named by id; the first group gets the drift).
    graph_groups_missing: tuple[str, ...] = ()
    graph_groups_dynamic: tuple[str, ...] = ()
    graph_groups_not_security: tuple[str, ...] = ()
    graph_server_app_owner: bool = True
    graph_app_roles: tuple[str, ...] = ("Directory.Read.All",)
    graph_missing_members: int = 0
    graph_extra_members: int = 0
    graph_unknown_devices: int = 0
    graph_audit_entries: bool = True
    graph_throttle_share: float = 0.0
    graph_reader_secret: str = "valid"


HEALTHY = LabScenario(
    "healthy",
    "Every prerequisite holds: E-HTTP, onboarded tenant, discovery and sync running.",
)

SCENARIOS: dict[str, LabScenario] = {
    s.name: s
    for s in (
        HEALTHY,
        replace(HEALTHY, name="tenant-missing",
                summary="No tenant is onboarded (AAD_Tenant_Ex is empty, so are its apps).",
                tenant=False, server_app=False, client_app=False),
        replace(HEALTHY, name="secret-expired",
                summary="The server app's secret expired 12 days ago.",
                secret_expires_in_days=-12),
        replace(HEALTHY, name="client-auth-disabled",
                summary="'Disable Azure AD authentication for this tenant' is set: the tenant "
                        "is missing from the site's settings.",
                client_auth_enabled=False),
        replace(HEALTHY, name="discovery-disabled",
                summary="Azure AD user discovery is off (full and delta).",
                discovery_full=False, discovery_delta=False),
        replace(HEALTHY, name="discovery-stale",
                summary="Discovery last succeeded three days ago and fails since.",
                discovery_last_minutes=3 * 1440, discovery_errors=24),
        replace(HEALTHY, name="http-only",
                summary="Site communication is HTTPS or HTTP without Enhanced HTTP "
                        "(IISSSLState 192).",
                iisssl_state=192),
        replace(HEALTHY, name="tenant-id-missing",
                summary="Registrations carry no AADTenantID in ClientKeyData (the article's "
                        "root cause).",
                tenant_id_on_registration=False),
        replace(HEALTHY, name="heartbeat-only",
                summary="A fifth of the clients have Azure AD data from heartbeat discovery "
                        "only.",
                heartbeat_only_share=0.2),
        replace(HEALTHY, name="legacy-clients",
                summary="A few clients run Windows older than 10 1803 (no device token).",
                legacy_share=0.03),
        replace(HEALTHY, name="sync-disabled",
                summary="Collection to group sync is switched off for the cloud service.",
                sync_enabled=False, sync_last_minutes=3 * 1440),
        replace(HEALTHY, name="sync-stale",
                summary="The mappings last synced three hours ago.",
                sync_last_minutes=180),
        replace(HEALTHY, name="mapping-missing",
                summary="A collection the profile declares has no group mapping.",
                mapped_collections=("LAB00010",)),
        replace(HEALTHY, name="mp-cert-expired",
                summary="mp01's site-issued certificate on 443 expired 12 days ago.",
                mps=_mps(mp01=MpSpec(MP01, "expired"))),
        replace(HEALTHY, name="mp-wrong-name",
                summary="mp02 presents a PKI certificate issued for another name.",
                mps=_mps(mp02=MpSpec(MP02, "wrong-name"))),
        replace(HEALTHY, name="mp-binding-forbidden",
                summary="mp01's broken 443 binding answers 403 CMGConnector_Forbidden.",
                mps=_mps(mp01=MpSpec(MP01, "site-issued", forbidden=True))),
        replace(HEALTHY, name="mp-https-missing",
                summary="mp02 has no HTTPS binding: it serves HTTP only.",
                mps=_mps(mp02=MpSpec(MP02, None))),
        replace(HEALTHY, name="mp-client-auth",
                summary="mp02 requires PKI client certificates (the profile has one): "
                        "nothing breaks.",
                mps=_mps(mp02=MpSpec(MP02, "pki", client_auth=True))),
        replace(HEALTHY, name="mp-sts-missing",
                summary="mp01 has no token service (/CCM_STS is not found).",
                mps=_mps(mp01=MpSpec(MP01, "site-issued", token_service=False))),
        replace(HEALTHY, name="mp-down",
                summary="mp02 does not answer at all.",
                mps=_mps(mp02=MpSpec(MP02, "pki", down=True))),
        replace(HEALTHY, name="client-not-joined",
                summary="The sampled client is not Azure AD joined, so it registered "
                        "without Azure AD auth.",
                client_joined=False, client_registers_with_aad=False),
        replace(HEALTHY, name="device-id-mismatch",
                summary="The sampled client's dsregcmd DeviceId is not the AADDeviceID the "
                        "site has for it (re-joined device).",
                client_device_id_matches=False),
        replace(HEALTHY, name="registration-without-aad",
                summary="Clients register without Azure AD auth (Approval status 1; no AAD "
                        "registrations at mp01).",
                client_registers_with_aad=False, mp_registers_with_aad=False),
        replace(HEALTHY, name="wam-failure",
                summary="The sampled client gets no Azure AD token: WAM error 0xd0090016.",
                client_wam_failure=True),
        replace(HEALTHY, name="token-service-exception",
                summary="mp01's token service throws FileLoadException (JWT assembly, "
                        "0x80131040).",
                mp_token_service_exception=True),
        replace(HEALTHY, name="secret-unobtainable",
                summary="The site server's sync cannot obtain the application secret (site "
                        "expansion).",
                sync_secret_unobtainable=True),
        replace(HEALTHY, name="group-dynamic",
                summary="A target group has dynamic membership: the sync cannot write it.",
                graph_groups_dynamic=("LAB00011",)),
        replace(HEALTHY, name="group-missing",
                summary="A mapped group was deleted from Entra.",
                graph_groups_missing=("LAB00011",)),
        replace(HEALTHY, name="group-not-security",
                summary="A target group is not security-enabled.",
                graph_groups_not_security=("LAB00010",)),
        replace(HEALTHY, name="server-app-not-owner",
                summary="The server app's service principal owns no target group, and has no "
                        "member write permission either.",
                graph_server_app_owner=False),
        replace(HEALTHY, name="graph-permissions-missing",
                summary="The server app lacks Directory.Read.All (no admin consent).",
                graph_app_roles=()),
        replace(HEALTHY, name="membership-drift",
                summary="A group misses 7 of the collection's devices and has 3 strays.",
                graph_missing_members=7, graph_extra_members=3),
        replace(HEALTHY, name="devices-unknown",
                summary="5 collection members' AAD device ids are not Entra devices "
                        "(deleted or stale registrations).",
                graph_unknown_devices=5),
        replace(HEALTHY, name="audit-trail-empty",
                summary="The directory audit log has no member changes by the server app.",
                graph_audit_entries=False),
        replace(HEALTHY, name="graph-throttling",
                summary="Graph answers 30% of requests with 429 and Retry-After: the verdicts "
                        "stay healthy, the request count grows.",
                graph_throttle_share=0.3),
        replace(HEALTHY, name="graph-wrong-secret",
                summary="The reader app's secret is wrong (AADSTS7000215): Graph checks "
                        "cannot be decided.",
                graph_reader_secret="wrong"),
        replace(HEALTHY, name="graph-secret-expired",
                summary="The reader app's secret expired (AADSTS7000222): Graph checks "
                        "cannot be decided.",
                graph_reader_secret="expired"),
    )
}


def parse_lab_site(name: str) -> LabScenario | None:
    """``lab`` or ``lab:SCENARIO`` -> the scenario; None when ``name`` is not a lab site.

    :raises KeyError: naming the known scenarios when the scenario is unknown.
    """
    if name != "lab" and not name.startswith("lab:"):
        return None
    scenario = name.partition(":")[2] or "healthy"
    if scenario not in SCENARIOS:
        raise KeyError(
            f"--cm-site={name}: unknown lab scenario {scenario!r}; known: {', '.join(SCENARIOS)} "
            "(pytest --cm-lab-list)")
    return SCENARIOS[scenario]
