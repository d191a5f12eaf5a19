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
