"""The ``Sites.Settings`` XML of the top-level site.

Its shape is not documented, so it is read as opaque XML: checked to be well-formed (through
defusedxml) and searched for the tenant ids it names, wherever they stand.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


class SettingsXmlError(ValueError):
    """The settings are not well-formed XML (or use forbidden XML constructs)."""


def tenant_ids_in_settings(xml: str) -> list[str]:
    """Every GUID that appears in an attribute or text of the settings, lower-case, in order.

    :raises SettingsXmlError: when the XML is malformed or unsafe.
    """
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException) as exc:
        raise SettingsXmlError(f"Sites.Settings is not well-formed XML ({exc})") from None
    found: dict[str, None] = {}
    for element in root.iter():
        texts = [element.text or "", element.tail or "", *element.attrib.values()]
        for text in texts:
            for match in _GUID.findall(text):
                found[match.lower()] = None
    return list(found)
