"""IISSSLState decoding, Sites.Settings tenant ids, Windows builds."""

from __future__ import annotations

import pytest

from pytest_cmaad.parsers.iisssl import SiteSecurity
from pytest_cmaad.parsers.osbuild import is_before_device_token, parse_build
from pytest_cmaad.parsers.sites_settings import SettingsXmlError, tenant_ids_in_settings

TENANT = "6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6"


@pytest.mark.parametrize(("value", "mode", "ehttp", "pki", "crl", "allows"), [
    (31, "HTTPS only", False, False, False, True),
    (63, "HTTPS only", False, False, True, True),
    (192, "HTTPS or HTTP", False, False, False, False),
    (224, "HTTPS or HTTP", False, False, True, False),
    (448, "HTTPS or HTTP", False, True, False, False),
    (480, "HTTPS or HTTP", False, True, True, False),
    (1216, "HTTPS or HTTP", True, False, False, True),
    (1248, "HTTPS or HTTP", True, False, True, True),
    (1472, "HTTPS or HTTP", True, True, False, True),
    (1504, "HTTPS or HTTP", True, True, True, True),
    (0, "HTTPS or HTTP", False, False, False, False),
])
def test_iisssl_known_values(value: int, mode: str, ehttp: bool, pki: bool, crl: bool,
                             allows: bool) -> None:
    """The values ConfigMgr writes for each Communication Security choice."""
    security = SiteSecurity(value)
    assert security.describe().startswith(f"{value} (0x{value:X}): {mode}")
    assert (security.enhanced_http, security.pki_client_cert, security.crl_check) == (
        ehttp, pki, crl)
    assert security.allows_aad_registration is allows
    assert security.unknown_bits == 0


def test_iisssl_unknown_bits_are_reported() -> None:
    security = SiteSecurity(1248 | 0x8000)
    assert security.unknown_bits == 0x8000
    assert security.describe().endswith("unknown bits 0x8000")
    assert security.settings()["unknown_bits"] == 0x8000


def test_settings_tenant_ids_wherever_they_stand() -> None:
    xml = (f'<SiteSettings><AADTenants><Tenant TenantID="{{{TENANT.upper()}}}" /></AADTenants>'
           f"<Note>also {TENANT}</Note><Other>0D2E4F60-8193-4A5B-8C7D-E9F0A1B2C3D4</Other>"
           "</SiteSettings>")
    assert tenant_ids_in_settings(xml) == [TENANT, "0d2e4f60-8193-4a5b-8c7d-e9f0a1b2c3d4"]


def test_settings_without_tenants() -> None:
    assert tenant_ids_in_settings("<SiteSettings><AADTenants /></SiteSettings>") == []


@pytest.mark.parametrize("xml", [
    "<SiteSettings><AADTenants></SiteSettings>",
    "not xml at all",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>',
])
def test_settings_malformed_or_unsafe_xml_is_refused(xml: str) -> None:
    with pytest.raises(SettingsXmlError, match=r"Sites\.Settings is not well-formed XML"):
        tenant_ids_in_settings(xml)


@pytest.mark.parametrize(("build", "old"), [
    ("10.0.17134", False), ("10.0.17133", True), ("10.0.16299", True), ("10.0.14393", True),
    ("6.1.7601", True), ("6.3.9600", True), ("10.0.22631", False), ("10.0.26100", False),
    ("10.0.17763.5576", False), ("", False), ("10.0.x", False), ("Windows 10", False),
])
def test_device_token_build_boundary(build: str, old: bool) -> None:
    assert is_before_device_token(build) is old


def test_parse_build() -> None:
    assert parse_build("10.0.19045") == (10, 0, 19045)
    assert parse_build(" 6.1.7601 ") == (6, 1, 7601)
    assert parse_build("10..1") is None
