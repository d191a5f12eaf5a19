"""Which folders and logs the hosts source looks for, and which log a ConfigMgr version writes.

Folders are found on each host rather than assumed: the client's log folder from the
registry (``CCM\\Logging\\@Global``) or ``%WinDir%\\CCM\\Logs``; a management point's from
``%ProgramFiles%\\SMS_CCM\\Logs`` or, on the site server, its installation's ``Logs``; the site
server's from ``%SMS_LOG_PATH%``, the registry's installation directory, or the default
installation folder. The first candidate that holds one of a role's logs is that role's folder.
"""

from __future__ import annotations

from dataclasses import dataclass

# Values read on the host before any folder is looked at. Environment variables carry the same
# names on Windows and on POSIX hosts that stand in for one (the lab).
ENV_NAMES = ("COMPUTERNAME", "WINDIR", "ProgramFiles", "SMS_LOG_PATH")
# (symbol, registry key, value name): read on Windows only.
REGISTRY = (
    ("REG_CCM_LOGS", r"HKLM:\SOFTWARE\Microsoft\CCM\Logging\@Global", "LogDirectory"),
    ("REG_SMS_INSTALL", r"HKLM:\SOFTWARE\Microsoft\SMS\Identification", "Installation Directory"),
    ("REG_SMS_SETUP", r"HKLM:\SOFTWARE\Microsoft\SMS\Setup", "Installation Directory"),
)

CLIENT_REGISTRATION_LOG = "ClientIDManagerStartup.log"
TOKEN_LOGS = ("CcmAad.log", "ADALOperationProvider.log")
STS_LOG = "CCM_STS.log"
MP_REGISTRATION_LOG = "MP_RegistrationManager.log"
SYNC_LOGS = ("SMS_AZUREAD_DISCOVERY_AGENT.log", "CollectionAADGroupSyncWorker.log")


@dataclass(frozen=True)
class Role:
    """A set of logs that live together, and where to look for their folder.

    Each candidate is a tuple of parts: a ``%NAME%`` part is a value read on the host (the
    candidate is dropped when it is empty), the others are folder names joined after it.
    """

    name: str
    logs: tuple[str, ...]
    candidates: tuple[tuple[str, ...], ...]


CLIENT_ROLES = (
    Role("client", (CLIENT_REGISTRATION_LOG, *TOKEN_LOGS), (
        ("%REG_CCM_LOGS%",),
        ("%WINDIR%", "CCM", "Logs"),
    )),
)
SERVER_ROLES = (
    Role("mp", (STS_LOG, MP_REGISTRATION_LOG), (
        ("%ProgramFiles%", "SMS_CCM", "Logs"),
        ("%SMS_LOG_PATH%",),
        ("%REG_SMS_INSTALL%", "Logs"),
        ("%REG_SMS_SETUP%", "Logs"),
    )),
    Role("site", SYNC_LOGS, (
        ("%SMS_LOG_PATH%",),
        ("%REG_SMS_INSTALL%", "Logs"),
        ("%REG_SMS_SETUP%", "Logs"),
        ("%ProgramFiles%", "Microsoft Configuration Manager", "Logs"),
    )),
)

# ConfigMgr build numbers of the releases where logging moved (5.00.BUILD.x). The build to
# release mapping is community knowledge, not Microsoft documentation.
BUILD_2002 = 8968
BUILD_2107 = 9058
BUILD_1910 = 8913
BUILD_2211 = 9096
BUILD_2303 = 9106


def build_number(version: str | None) -> int | None:
    """``5.00.9132.1000`` -> 9132; None when it is not a ConfigMgr version string."""
    if not version:
        return None
    parts = version.strip().split(".")
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    return int(parts[2])


def token_log_for(build: int | None) -> str | None:
    """The client's Azure AD token log: ``CcmAad.log`` since 2107, before that ADAL's."""
    if build is None:
        return None
    return TOKEN_LOGS[0] if build >= BUILD_2107 else TOKEN_LOGS[1]


def sync_log_for(build: int | None) -> str | None:
    """The collection sync log: the discovery agent's up to 1910 and since 2303, the sync
    worker's from 2002 to 2211; None when the version is unknown or between those ranges."""
    if build is None:
        return None
    if build <= BUILD_1910 or build >= BUILD_2303:
        return SYNC_LOGS[0]
    if BUILD_2002 <= build <= BUILD_2211:
        return SYNC_LOGS[1]
    return None
