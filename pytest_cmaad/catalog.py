"""The check catalog: stable ids, titles, chain steps, severities and remediation texts.

Tests, JUnit properties and reports all read check metadata from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")

Source = Literal["sql", "adminservice", "mp", "graph", "hosts"]
Per = Literal["site", "mp", "client", "server", "group"]

STEPS: dict[int, str] = {
    1: "onboarding",
    2: "discovery",
    3: "site data",
    4: "client token",
    5: "registration",
    6: "sync",
}

_DOCS = "https://learn.microsoft.com/mem/configmgr"
REF_SYNC = f"{_DOCS}/core/clients/manage/collections/synchronize-collections-aad-group"
REF_AZURE_SERVICES = f"{_DOCS}/core/servers/deploy/configure/azure-services-wizard"
REF_DISCOVERY = f"{_DOCS}/core/servers/deploy/configure/about-discovery-methods"
REF_EHTTP = f"{_DOCS}/core/plan-design/hierarchy/enhanced-http"
REF_AAD_CLIENTS = f"{_DOCS}/core/clients/deploy/deploy-clients-cmg-azure"
REF_LOGS = f"{_DOCS}/core/plan-design/hierarchy/log-files"
REF_DSREG = "https://learn.microsoft.com/entra/identity/devices/troubleshoot-device-dsregcmd"
REF_GRAPH_THROTTLING = "https://learn.microsoft.com/graph/throttling"


@dataclass(frozen=True)
class Check:
    """One prerequisite of the group sync chain.

    :param id: stable id, ``CMAAD-NNN``.
    :param title: what must hold, as one sentence.
    :param step: the step of the chain (1..6) it belongs to.
    :param severity: how bad a failure is.
    :param sources: the sources that can decide it, preferred first.
    :param why: why a failure breaks the sync.
    :param remediation: how to fix a failure.
    :param reference: documentation to read.
    :param per: what one test of the check is about: the site, or each management point,
        sampled client or site system (the snapshot lists those objects).
    """

    id: str
    title: str
    step: int
    severity: Severity
    sources: tuple[Source, ...]
    why: str
    remediation: str
    reference: str
    per: Per = "site"

    @property
    def step_name(self) -> str:
        """The step's name, e.g. ``registration``."""
        return STEPS[self.step]


_CHECKS = (
    Check(
        "CMAAD-101", "An Azure AD tenant is onboarded to the site (Cloud Management).", 1,
        "critical", ("sql", "adminservice"),
        "Without an onboarded tenant clients cannot use Azure AD authentication and the site has "
        "no identity to write group membership with.",
        "In the console, Administration > Cloud Services > Azure Services, add the Cloud "
        "Management service for the tenant (or check that tenant_id names the right tenant).",
        REF_AZURE_SERVICES,
    ),
    Check(
        "CMAAD-102", "A server (web) app exists for the onboarded tenant.", 1, "critical",
        ("sql", "adminservice"),
        "The server app's token is what discovery and group sync use against Microsoft Graph.",
        "Create or import the server app in Azure Services > Cloud Management, then run "
        "Update Application Settings on the tenant.",
        REF_AZURE_SERVICES,
    ),
    Check(
        "CMAAD-103", "A client (native) app exists for the onboarded tenant.", 1, "critical",
        ("sql", "adminservice"),
        "Clients request their Azure AD token for the client app; without it no client "
        "registers its Azure AD identity.",
        "Create or import the client app in Azure Services > Cloud Management.",
        REF_AZURE_SERVICES,
    ),
    Check(
        "CMAAD-104", "The server app's secret is valid and not about to expire.", 1, "high",
        ("sql", "adminservice", "graph"),
        "An expired secret stops discovery and group sync (AADSTS7000222 in the site logs).",
        "Azure AD Tenants node > the server app > Renew Secret Key (created apps), or renew the "
        "secret in Entra and run the Renew wizard (imported apps).",
        REF_AZURE_SERVICES,
    ),
    Check(
        "CMAAD-105", "Azure AD authentication is enabled for the tenant (client management).",
        1, "high", ("sql",),
        "With 'Disable Azure AD authentication for this tenant' set, or the tenant missing from "
        "the site settings, clients stop registering with Azure AD authentication.",
        "Azure Services > Cloud Management > Properties: clear 'Disable Azure AD authentication "
        "for this tenant'; clients pick the change up within about a day.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-201", "Azure AD user discovery is enabled (full and/or delta).", 2, "high",
        ("sql", "adminservice"),
        "Discovery is how the site proves its server app can read the directory; the sync "
        "feature lists it as a prerequisite.",
        "Azure Services > Cloud Management > Properties > Discovery: enable Azure AD user "
        "discovery with full and delta synchronization.",
        REF_DISCOVERY,
    ),
    Check(
        "CMAAD-202", "Azure AD user discovery succeeded recently.", 2, "medium",
        ("sql", "adminservice"),
        "A discovery that stopped or fails usually means the server app's token no longer "
        "reaches Graph, and the sync fails for the same reason.",
        "Read SMS_AZUREAD_DISCOVERY_AGENT.log on the top-level site server; check the server "
        "app's secret and its Directory.Read.All permission.",
        REF_DISCOVERY,
    ),
    Check(
        "CMAAD-301", "Site communication security allows HTTPS or Enhanced HTTP.", 5,
        "critical", ("sql", "adminservice"),
        "Azure AD token authentication needs TLS: with HTTP only, no client registers its Azure "
        "AD identity and nothing reaches the groups.",
        "Site properties > Communication Security: HTTPS only, or HTTPS or HTTP with 'Use "
        "Configuration Manager-generated certificates for HTTP site systems' (Enhanced HTTP).",
        REF_EHTTP,
    ),
    Check(
        "CMAAD-302", "Every management point answers MPLIST over HTTPS.", 5, "critical", ("mp",),
        "Clients register their Azure AD identity with a management point over HTTPS.",
        "Check the IIS 443 binding and certificate of the management point; see mpcontrol.log.",
        REF_EHTTP,
        per="mp",
    ),
    Check(
        "CMAAD-303", "Each management point's TLS certificate is valid, trusted and not near "
        "expiry.", 5, "high", ("mp",),
        "A wrong, untrusted or expired certificate breaks the HTTPS registration.",
        "Bind a valid PKI certificate, or let Enhanced HTTP bind the SMS Role SSL Certificate "
        "(clean the stale IIS 443 binding).",
        REF_EHTTP,
        per="mp",
    ),
    Check(
        "CMAAD-304", "Each management point's token service (CCM_STS) is present and healthy.",
        5, "high", ("mp",),
        "CCM_STS exchanges the client's Azure AD token for a ConfigMgr token.",
        "Check the CCM_STS IIS application and CCM_STS.log on the management point.",
        REF_AAD_CLIENTS,
        per="mp",
    ),
    Check(
        "CMAAD-305", "The management points the site lists, MPLIST returns and the profile "
        "names agree.", 5, "medium", ("mp",),
        "Clients only use the management points MPLIST hands out.",
        "Reconcile the management point roles with the profile's management_points.",
        REF_EHTTP,
    ),
    Check(
        "CMAAD-401", "Enough active clients registered an Azure AD device id with token "
        "authentication.", 5, "high", ("sql",),
        "Only devices whose registration carried an Azure AD device id can be synced.",
        "Look at ClientIDManagerStartup.log on unregistered clients ('Approval status 3' means "
        "Azure AD registration) and at dsregcmd /status.",
        REF_AAD_CLIENTS,
    ),
    Check(
        "CMAAD-402", "Registered devices carry the onboarded tenant's AADTenantID.", 6,
        "critical", ("sql",),
        "The sync uses only trusted Azure AD data; a device whose ClientKeyData row lacks the "
        "onboarded tenant id is never added to a group.",
        "Onboard the tenant for client management (CMAAD-105), make sure the management points "
        "offer HTTPS or Enhanced HTTP (CMAAD-301), then let clients register again.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-403", "No active client has Azure AD data from heartbeat discovery only.", 5,
        "medium", ("sql",),
        "Azure AD data from heartbeat discovery is not authenticated and the sync ignores it.",
        "These clients did not register with Azure AD authentication: check their token logs "
        "and their management point's HTTPS or Enhanced HTTP configuration.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-404", "No active client runs Windows older than 10 1803 (build 10.0.17134).", 4,
        "medium", ("sql",),
        "Before 1803 Windows cannot get an Azure AD device token, so registration depends on a "
        "user token, which MFA can block.",
        "Upgrade these clients, or accept them with a waiver.",
        REF_AAD_CLIENTS,
    ),
    Check(
        "CMAAD-501", "Collection to group sync is enabled for the cloud service.", 6,
        "critical", ("sql", "adminservice"),
        "With the switch off no collection membership is written to any group.",
        "Azure Services > Cloud Management > Properties > Collection Synchronization: "
        "Enable Azure Active Directory Group Sync.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-502", "Every declared collection to group mapping exists.", 6, "high",
        ("sql", "adminservice"),
        "A collection without a mapping is never synced.",
        "Collection properties > Cloud Sync: add the group (or Set-CMCollectionCloudSync).",
        REF_SYNC,
    ),
    Check(
        "CMAAD-503", "Each mapping synced recently and successfully.", 6, "high",
        ("sql", "adminservice"),
        "The sync runs every 5 minutes; an old or failed last sync means the group drifts.",
        "Monitoring > Collection Cloud Sync shows each member's failure; read the sync log on "
        "the service connection point (CMAAD-606).",
        REF_SYNC,
    ),
    Check(
        "CMAAD-504", "Each target group exists, is security-enabled and has assigned "
        "membership.", 6, "critical", ("graph",),
        "Dynamic or non-security groups cannot be written by the sync.",
        "Use an assigned security group.",
        REF_SYNC,
        per="group",
    ),
    Check(
        "CMAAD-505", "The server app's service principal owns each target group.", 6, "high",
        ("graph",),
        "The server app writes membership as the group's owner.",
        "Add the server app's service principal as an owner of the group.",
        REF_SYNC,
        per="group",
    ),
    Check(
        "CMAAD-506", "Each group's device members match the collection's members with Azure "
        "AD device ids.", 6, "high", ("graph",),
        "Drift means devices miss or keep policies scoped to the group.",
        "Run Synchronize Membership on the collection (full sync) and read the sync log.",
        REF_SYNC,
        per="group",
    ),
    Check(
        "CMAAD-507", "Collection members' Azure AD device ids exist as Entra devices.", 6,
        "medium", ("graph",),
        "A device id unknown to Entra cannot be added to a group.",
        "Clean up stale registrations; re-join or re-register the devices.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-508", "The server app has the Graph permissions discovery and sync need.", 6,
        "high", ("graph",),
        "Without Directory.Read.All discovery fails; without ownership or member write "
        "permissions the sync cannot add devices.",
        "Grant the permissions and admin consent in Entra.",
        REF_AZURE_SERVICES,
    ),
    Check(
        "CMAAD-509", "The directory audit log shows the server app changing group members.",
        6, "low", ("graph",),
        "The audit trail proves the sync writes to the groups.",
        "Read the audit log entries for the groups and the sync log.",
        REF_SYNC,
    ),
    Check(
        "CMAAD-601", "Sampled clients are Azure AD joined with the site's device and tenant "
        "ids.", 4, "high", ("hosts",),
        "A device that is not joined has no Azure AD identity to register; one whose "
        "DeviceId differs from the site's AADDeviceID is synced as a stale device.",
        "Join the device (or fix hybrid join: Azure AD Connect device sync, SCP); after a "
        "re-join, let the client register again so the site learns the new DeviceId.",
        REF_DSREG,
        per="client",
    ),
    Check(
        "CMAAD-602", "Sampled clients registered with Azure AD authentication.", 5, "medium",
        ("hosts",),
        "Only a registration with Azure AD authentication ('Approval status 3' in "
        "ClientIDManagerStartup.log) gives the site a trusted AADDeviceID to sync.",
        "Make sure the device is joined and gets a token (CMAAD-601, 603), that it talks to an "
        "HTTPS or Enhanced HTTP management point, then restart the SMS Agent Host service to "
        "register again.",
        REF_LOGS,
        per="client",
    ),
    Check(
        "CMAAD-603", "Sampled clients' token logs show no WAM or MFA failures.", 4, "medium",
        ("hosts",),
        "Without an Azure AD token the client cannot register its Azure AD identity.",
        "Read CcmAad.log (ADALOperationProvider.log before 2107): WAM error 0xd0090016 means "
        "no usable device key (check the device's join state and TPM); MFA or Conditional "
        "Access must not block the ConfigMgr apps.",
        REF_LOGS,
        per="client",
    ),
    Check(
        "CMAAD-604", "Management points' CCM_STS.log validates Azure AD tokens.", 5, "medium",
        ("hosts",),
        "Token service exceptions stop every Azure AD registration at that management point.",
        "Read CCM_STS.log on the management point; a FileLoadException for "
        "System.IdentityModel.Tokens.JWT (0x80131040) is the 2006 known issue: apply its "
        "hotfix.",
        REF_LOGS,
        per="server",
    ),
    Check(
        "CMAAD-605", "Management points register devices with Azure AD authentication.", 5,
        "low", ("hosts",),
        "Registrations without Azure AD auth leave the site without AADDeviceIDs to sync.",
        "Read MP_RegistrationManager.log on the management point and ClientIDManagerStartup.log "
        "on its clients; check that Azure AD authentication is on for the tenant (CMAAD-105).",
        REF_LOGS,
        per="server",
    ),
    Check(
        "CMAAD-606", "The sync log shows successful syncs and no secret errors.", 6, "medium",
        ("hosts",),
        "The sync log is where failures of the sync itself show.",
        "Read SMS_AZUREAD_DISCOVERY_AGENT.log (CollectionAADGroupSyncWorker.log from 2002 to "
        "2211); for 'Could not obtain application secret' run Renew Secret Key on the tenant's "
        "server app in the console.",
        REF_LOGS,
        per="server",
    ),
)

CATALOG: dict[str, Check] = {check.id: check for check in _CHECKS}


def get_check(check_id: str) -> Check:
    """Return the catalog entry for ``check_id``.

    :raises KeyError: with the known ids when the id is unknown.
    """
    try:
        return CATALOG[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r}; known: {', '.join(CATALOG)}") from None
