"""Decode the site's ``IISSSLState`` (site communication security) into named settings."""

from __future__ import annotations

from dataclasses import dataclass

HTTPS_ONLY = 0x1
HTTPS_ONLY_FAMILY = 0x1F
CRL_CHECK = 0x20
HTTPS_OR_HTTP = 0xC0
PKI_CLIENT_CERT = 0x100
ENHANCED_HTTP = 0x400
_KNOWN = HTTPS_ONLY_FAMILY | CRL_CHECK | HTTPS_OR_HTTP | PKI_CLIENT_CERT | ENHANCED_HTTP


@dataclass(frozen=True)
class SiteSecurity:
    """What an ``IISSSLState`` value says about site communication security."""

    value: int

    @property
    def https_only(self) -> bool:
        """Site systems accept HTTPS only (bit 0x1)."""
        return bool(self.value & HTTPS_ONLY)

    @property
    def https_or_http(self) -> bool:
        """Site systems accept HTTPS or HTTP (bits 0x40/0x80; 0 is read the same way)."""
        return self.value == 0 or bool(self.value & HTTPS_OR_HTTP)

    @property
    def enhanced_http(self) -> bool:
        """Configuration Manager-generated certificates for HTTP site systems (bit 0x400)."""
        return bool(self.value & ENHANCED_HTTP)

    @property
    def crl_check(self) -> bool:
        """Clients check the certificate revocation list (bit 0x20)."""
        return bool(self.value & CRL_CHECK)

    @property
    def pki_client_cert(self) -> bool:
        """Clients use a PKI client certificate when one is available (bit 0x100)."""
        return bool(self.value & PKI_CLIENT_CERT)

    @property
    def unknown_bits(self) -> int:
        """Bits this decoder does not know."""
        return self.value & ~_KNOWN

    @property
    def allows_aad_registration(self) -> bool:
        """HTTPS only or Enhanced HTTP: clients can register with Azure AD authentication."""
        return self.https_only or self.enhanced_http

    def describe(self) -> str:
        """E.g. ``1248 (0x4E0): HTTPS or HTTP, Enhanced HTTP, CRL check``."""
        names = ["HTTPS only" if self.https_only else "HTTPS or HTTP" if self.https_or_http
                 else "no mode bit"]
        names += [name for flag, name in (
            (self.enhanced_http, "Enhanced HTTP"),
            (self.pki_client_cert, "PKI client certificate"),
            (self.crl_check, "CRL check"),
        ) if flag]
        if self.unknown_bits:
            names.append(f"unknown bits 0x{self.unknown_bits:X}")
        return f"{self.value} (0x{self.value:X}): {', '.join(names)}"

    def settings(self) -> dict[str, bool | int]:
        """The decoded settings, for evidence."""
        return {
            "https_only": self.https_only,
            "https_or_http": self.https_or_http,
            "enhanced_http": self.enhanced_http,
            "pki_client_cert": self.pki_client_cert,
            "crl_check": self.crl_check,
            "unknown_bits": self.unknown_bits,
        }
