"""The MPLIST answer of a management point (``/SMS_MP/.sms_aut?MPLIST``)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class MpListError(ValueError):
    """The answer is not an MPLIST (an HTML page, truncated XML, another document)."""


@dataclass(frozen=True)
class MpListEntry:
    """One ``<MP>`` of the list: its FQDN (lower-case), site code and build."""

    fqdn: str
    site_code: str | None
    version: str | None


def parse_mplist(text: str) -> list[MpListEntry]:
    """The MPs an MPLIST names.

    :raises MpListError: with a short reason when ``text`` is not an MPLIST.
    """
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped[:5].lower() in ("<html", "<!doc"):
        raise MpListError("an HTML page, not an MPLIST")
    try:
        root = fromstring(stripped)
    except (ParseError, DefusedXmlException) as exc:
        raise MpListError(f"not well-formed XML ({exc})") from None
    if root.tag.lower() != "mplist":
        raise MpListError(f"a <{root.tag}> document, not <MPList>")
    entries = []
    for mp in root:
        if mp.tag.lower() != "mp":
            continue
        fqdn = mp.get("FQDN") or mp.get("Name") or ""
        version = mp.findtext("Version")
        entries.append(MpListEntry(fqdn.strip().lower(), mp.get("SiteCode"),
                                   version.strip() if version else None))
    return entries
