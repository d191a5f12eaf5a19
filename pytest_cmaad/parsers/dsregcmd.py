"""Parse the text that ``dsregcmd /status`` prints on a Windows client.

The output is a series of sections. Each starts with a ``| Section Name |`` line framed by
``+-----+`` border lines and holds ``key : value`` lines whose keys are right-aligned with
spaces. Keys are matched generically, so keys and sections added by newer Windows builds are
kept like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["DsregStatus", "parse_dsregcmd"]

_GUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII | re.IGNORECASE
)
_TRUE_WORDS = frozenset({"yes", "true", "1"})
_FALSE_WORDS = frozenset({"no", "false", "0"})
_SEPARATOR = " : "


@dataclass(frozen=True)
class DsregStatus:
    """The parsed output of ``dsregcmd /status``.

    :param sections: section name -> key -> value, both in the order printed. Key lines that
        come before any section header are kept under the section ``""``.
    """

    sections: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, key: str, section: str | None = None) -> str | None:
        """Return the value of ``key``, compared without regard to case.

        With ``section`` (also compared without regard to case) only that section is searched;
        otherwise the first section holding the key wins. ``None`` when the key is absent.
        """
        wanted_key = key.strip().casefold()
        wanted_section = None if section is None else section.strip().casefold()
        for name, values in self.sections.items():
            if wanted_section is not None and name.casefold() != wanted_section:
                continue
            for candidate, value in values.items():
                if candidate.casefold() == wanted_key:
                    return value
        return None

    def flag(self, key: str, section: str | None = None) -> bool | None:
        """Return a YES/NO, TRUE/FALSE or 1/0 value as a bool (any case).

        ``None`` when the key is absent or holds anything else.
        """
        value = self.get(key, section)
        if value is None:
            return None
        word = value.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        return None

    @property
    def azure_ad_joined(self) -> bool | None:
        """``AzureAdJoined``: the device is joined to Azure AD (Entra ID)."""
        return self._preferred_flag("AzureAdJoined", "Device State")

    @property
    def domain_joined(self) -> bool | None:
        """``DomainJoined``: the device is joined to an on-premises AD domain."""
        return self._preferred_flag("DomainJoined", "Device State")

    @property
    def enterprise_joined(self) -> bool | None:
        """``EnterpriseJoined``: the device is joined to an on-premises DRS (AD FS)."""
        return self._preferred_flag("EnterpriseJoined", "Device State")

    @property
    def device_id(self) -> str | None:
        """``DeviceId``, the Entra device id, as a lower-case GUID without braces."""
        return _normalise_guid(self._preferred("DeviceId", "Device Details"))

    @property
    def tenant_id(self) -> str | None:
        """``TenantId`` as a lower-case GUID without braces."""
        return _normalise_guid(self._preferred("TenantId", "Tenant Details"))

    def _preferred(self, key: str, section: str) -> str | None:
        value = self.get(key, section)
        return self.get(key) if value is None else value

    def _preferred_flag(self, key: str, section: str) -> bool | None:
        if self.get(key, section) is None:
            return self.flag(key)
        return self.flag(key, section)


def parse_dsregcmd(text: str) -> DsregStatus:
    """Parse ``dsregcmd /status`` output; never raises.

    Border lines are skipped, ``| Name |`` lines open a section (a repeated name continues the
    earlier one), and ``key : value`` lines are split at the first ``" : "``, so values may
    contain ``" : "`` themselves. A key printed twice in a section keeps its first value.
    Any other line is ignored.
    """
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for raw in text.removeprefix("\ufeff").split("\n"):
        line = raw.strip()
        if _is_border(line):
            continue
        header = _section_name(line)
        if header is not None:
            current = header
            sections.setdefault(current, {})
            continue
        pair = _split_key_line(line)
        if pair is not None:
            key, value = pair
            sections.setdefault(current, {}).setdefault(key, value)
    return DsregStatus(sections)


def _is_border(line: str) -> bool:
    return len(line) >= 2 and line[0] == "+" and line[-1] == "+" and not line[1:-1].strip("-")


def _section_name(line: str) -> str | None:
    if len(line) < 2 or line[0] != "|" or line[-1] != "|":
        return None
    return line[1:-1].strip() or None


def _split_key_line(line: str) -> tuple[str, str] | None:
    key, separator, value = line.partition(_SEPARATOR)
    if not separator:
        if not line.endswith(_SEPARATOR.rstrip()):
            return None
        key, value = line[: -len(_SEPARATOR.rstrip())], ""
    key = key.strip()
    if not key:
        return None
    return key, value.strip()


def _normalise_guid(value: str | None) -> str | None:
    if value is None:
        return None
    candidate = value.strip()
    if candidate.startswith("{") and candidate.endswith("}"):
        candidate = candidate[1:-1].strip()
    if _GUID.fullmatch(candidate) is None:
        return None
    return candidate.lower()
