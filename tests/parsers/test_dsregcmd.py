"""Tests for the ``dsregcmd /status`` parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_cmaad.parsers.dsregcmd import DsregStatus, parse_dsregcmd

BORDER = "+" + "-" * 70 + "+"
DEVICE_ID = "5d0c8e21-7b44-4f0e-8c3d-1a2b3c4d5e6f"
TENANT_ID = "9f1c2b7e-4d3a-4e8b-9a61-2c5d7e8f0a13"


def _section(name: str, *pairs: tuple[str, str]) -> str:
    header = "| " + name.ljust(68) + " |"
    width = max((len(key) for key, _ in pairs), default=0) + 4
    body = [f"{key.rjust(width)} : {value}".rstrip() for key, value in pairs]
    return "\n".join([BORDER, header, BORDER, "", *body, ""])


def _output(*sections: str) -> str:
    return (
        "\n"
        + "\n".join(sections)
        + "\nFor more information, please visit https://www.microsoft.com/aadjerrors\n"
    )


AZURE_AD_JOINED = _output(
    _section(
        "Device State",
        ("AzureAdJoined", "YES"),
        ("EnterpriseJoined", "NO"),
        ("DomainJoined", "NO"),
        ("Virtual Desktop", "NOT SET"),
        ("Device Name", "CONTOSO-LT-0042"),
    ),
    _section(
        "Device Details",
        ("DeviceId", DEVICE_ID),
        ("Thumbprint", "8F3A61C0D2E4B5A6978812AB34CD56EF7890AB12"),
        (
            "DeviceCertificateValidity",
            "[ 2023-01-01 00:00:00.000 UTC -- 2033-01-01 00:00:00.000 UTC ]",
        ),
        ("KeyContainerId", "0e4f2a9c-3b1d-4c6e-8f7a-5b9c0d1e2f3a"),
        ("KeyProvider", "Microsoft Platform Crypto Provider"),
        ("TpmProtected", "YES"),
        ("DeviceAuthStatus", "SUCCESS"),
    ),
    _section(
        "Tenant Details",
        ("TenantName", "Contoso"),
        ("TenantId", TENANT_ID),
        ("AuthCodeUrl", f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/authorize"),
        ("AccessTokenUrl", f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/token"),
        ("MdmUrl", "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"),
        ("MdmTouUrl", "https://portal.manage.microsoft.com/TermsofUse.aspx"),
        ("MdmComplianceUrl", "https://portal.manage.microsoft.com/?portalAction=Compliance"),
        ("SettingsUrl", ""),
        ("JoinSrvVersion", "2.0"),
        ("JoinSrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/device/"),
        ("JoinSrvId", "urn:ms-drs:enterpriseregistration.windows.net"),
        ("KeySrvVersion", "1.0"),
        ("KeySrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/key/"),
        ("KeySrvId", "urn:ms-drs:enterpriseregistration.windows.net"),
        ("WebAuthNSrvVersion", "1.0"),
        ("WebAuthNSrvUrl", f"https://enterpriseregistration.windows.net/webauthn/{TENANT_ID}/"),
        ("WebAuthNSrvId", "urn:ms-drs:enterpriseregistration.windows.net"),
        ("DeviceManagementSrvVer", "1.0"),
        ("DeviceManagementSrvUrl", "https://enterpriseregistration.windows.net/manage/"),
        ("DeviceManagementSrvId", "urn:ms-drs:enterpriseregistration.windows.net"),
    ),
    _section(
        "User State",
        ("NgcSet", "YES"),
        ("NgcKeyId", "{C1D2E3F4-A5B6-4C7D-8E9F-0A1B2C3D4E5F}"),
        ("CanReset", "DestructiveAndNonDestructive"),
        ("WorkplaceJoined", "NO"),
        ("WamDefaultSet", "YES"),
        ("WamDefaultAuthority", "organizations"),
        ("WamDefaultId", "https://login.microsoft.com"),
        ("WamDefaultGUID", "{B16898C6-A148-4967-9171-64D755DA8520} (AzureAd)"),
    ),
    _section(
        "SSO State",
        ("AzureAdPrt", "YES"),
        ("AzureAdPrtUpdateTime", "2024-03-14 07:58:12.000 UTC"),
        ("AzureAdPrtExpiryTime", "2024-03-28 07:58:11.000 UTC"),
        ("AzureAdPrtAuthority", f"https://login.microsoftonline.com/{TENANT_ID}"),
        ("EnterprisePrt", "NO"),
        ("EnterprisePrtAuthority", ""),
    ),
    _section(
        "Diagnostic Data",
        ("AadRecoveryEnabled", "NO"),
        ("Executing Account Name", "CONTOSO\\alice, alice@contoso.com"),
        ("KeySignTest", "PASSED"),
    ),
)

HYBRID_JOINED = _output(
    _section(
        "Device State",
        ("AzureAdJoined", "YES"),
        ("EnterpriseJoined", "NO"),
        ("DomainJoined", "YES"),
        ("DomainName", "CONTOSO"),
        ("Device Name", "WS-0107.contoso.com"),
    ),
    _section(
        "Device Details",
        ("DeviceId", "{" + DEVICE_ID.upper() + "}"),
        ("Thumbprint", "1234567890ABCDEF1234567890ABCDEF12345678"),
        (
            "DeviceCertificateValidity",
            "[ 2022-06-01 10:00:00.000 UTC -- 2032-06-01 10:30:00.000 UTC ]",
        ),
        ("KeyContainerId", "3a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"),
        ("KeyProvider", "Microsoft Software Key Storage Provider"),
        ("TpmProtected", "NO"),
    ),
    _section(
        "Tenant Details",
        ("TenantName", "Contoso"),
        ("TenantId", TENANT_ID.upper()),
        ("Idp", "login.windows.net"),
    ),
    _section(
        "SSO State",
        ("AzureAdPrt", "YES"),
        ("EnterprisePrt", "YES"),
        ("EnterprisePrtAuthority", "https://adfs.contoso.com:443/adfs"),
    ),
)

NOT_JOINED = _output(
    _section(
        "Device State",
        ("AzureAdJoined", "NO"),
        ("EnterpriseJoined", "NO"),
        ("DomainJoined", "YES"),
        ("DomainName", "CONTOSO"),
    ),
    _section(
        "Diagnostic Data",
        ("Diagnostics Reference", "www.microsoft.com/aadjerrors"),
        ("User Context", "SYSTEM"),
        ("Client Time", "2024-03-14 08:25:29.000 UTC"),
        ("AD Connectivity Test", "PASS"),
        ("AD Configuration Test", "PASS"),
        ("DRS Discovery Test", "PASS"),
        ("DRS Connectivity Test", "PASS"),
        ("Token acquisition Test", "SKIPPED"),
        ("Fallback to Sync-Join", "ENABLED"),
        ("Previous Registration", "2024-03-13 09:16:43.000 UTC"),
        ("Error Phase", "join"),
        ("Client ErrorCode", "0x801c03f2"),
        ("Server ErrorCode", "DirectoryError"),
        (
            "Server Message",
            f"The device object by the given id ({DEVICE_ID}) is not found.",
        ),
        ("Https Status", "400"),
        ("Request Id", "6bff0bd9-820b-484b-ab20-2a4f7b76c58e"),
    ),
)

SAMPLES = {"aadj": AZURE_AD_JOINED, "hybrid": HYBRID_JOINED, "not-joined": NOT_JOINED}


def test_azure_ad_joined_sample() -> None:
    status = parse_dsregcmd(AZURE_AD_JOINED)
    assert list(status.sections) == [
        "Device State",
        "Device Details",
        "Tenant Details",
        "User State",
        "SSO State",
        "Diagnostic Data",
    ]
    assert status.azure_ad_joined is True
    assert status.domain_joined is False
    assert status.enterprise_joined is False
    assert status.device_id == DEVICE_ID
    assert status.tenant_id == TENANT_ID
    assert status.get("DeviceCertificateValidity") == (
        "[ 2023-01-01 00:00:00.000 UTC -- 2033-01-01 00:00:00.000 UTC ]"
    )
    assert status.get("DeviceAuthStatus") == "SUCCESS"
    assert status.get("SettingsUrl") == ""
    assert status.get("Device Name") == "CONTOSO-LT-0042"
    assert status.get("Executing Account Name") == "CONTOSO\\alice, alice@contoso.com"
    assert status.flag("AzureAdPrt") is True
    assert status.flag("TpmProtected") is True
    assert status.flag("Virtual Desktop") is None
    assert list(status.sections["SSO State"]) == [
        "AzureAdPrt",
        "AzureAdPrtUpdateTime",
        "AzureAdPrtExpiryTime",
        "AzureAdPrtAuthority",
        "EnterprisePrt",
        "EnterprisePrtAuthority",
    ]
    assert len(status.sections["Tenant Details"]) == 20


def test_hybrid_joined_sample() -> None:
    status = parse_dsregcmd(HYBRID_JOINED)
    assert status.azure_ad_joined is True
    assert status.domain_joined is True
    assert status.enterprise_joined is False
    assert status.get("DomainName") == "CONTOSO"
    assert status.device_id == DEVICE_ID
    assert status.tenant_id == TENANT_ID
    assert status.get("EnterprisePrtAuthority") == "https://adfs.contoso.com:443/adfs"


def test_not_joined_sample_with_pre_join_diagnostics() -> None:
    status = parse_dsregcmd(NOT_JOINED)
    assert status.azure_ad_joined is False
    assert status.domain_joined is True
    assert status.device_id is None
    assert status.tenant_id is None
    diagnostics = status.sections["Diagnostic Data"]
    assert diagnostics["Client ErrorCode"] == "0x801c03f2"
    assert diagnostics["Fallback to Sync-Join"] == "ENABLED"
    assert status.get("server message") == (
        f"The device object by the given id ({DEVICE_ID}) is not found."
    )
    assert status.get("Https Status", section="diagnostic data") == "400"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_crlf_and_surrounding_blank_lines_change_nothing(name: str) -> None:
    text = SAMPLES[name]
    expected = parse_dsregcmd(text)
    assert parse_dsregcmd(text.replace("\n", "\r\n")) == expected
    assert parse_dsregcmd("\n\n  \n" + text.strip() + "\n\n\n") == expected
    assert parse_dsregcmd("\ufeff" + text) == expected


def test_value_containing_separator() -> None:
    text = _section(
        "Diagnostic Data",
        ("Server Message", "AADSTS50076 : MFA required : use a second factor"),
        ("Endpoint", "https://mp01.contoso.com:443/CCM_STS"),
    )
    status = parse_dsregcmd(text)
    assert status.get("Server Message") == "AADSTS50076 : MFA required : use a second factor"
    assert status.get("Endpoint") == "https://mp01.contoso.com:443/CCM_STS"


def test_unknown_sections_and_keys_are_kept() -> None:
    text = AZURE_AD_JOINED + _section(
        "Ngc Prerequisite Check", ("IsDeviceJoined", "YES"), ("PreReqResult", "WillProvision")
    )
    status = parse_dsregcmd(text)
    assert status.sections["Ngc Prerequisite Check"] == {
        "IsDeviceJoined": "YES",
        "PreReqResult": "WillProvision",
    }
    assert status.flag("IsDeviceJoined") is True


def test_key_lines_before_any_header_go_to_empty_section() -> None:
    text = (
        "   AzureAdJoined : YES\n    DeviceId : "
        + DEVICE_ID
        + "\n"
        + _section("Device State", ("DomainJoined", "NO"))
    )
    status = parse_dsregcmd(text)
    assert status.sections[""] == {"AzureAdJoined": "YES", "DeviceId": DEVICE_ID}
    assert status.azure_ad_joined is True
    assert status.domain_joined is False
    assert status.device_id == DEVICE_ID


def test_no_empty_section_without_loose_keys() -> None:
    assert "" not in parse_dsregcmd(AZURE_AD_JOINED).sections


def test_header_without_keys_still_listed() -> None:
    status = parse_dsregcmd(_section("Work Account 1"))
    assert status.sections == {"Work Account 1": {}}


def test_repeated_section_and_key() -> None:
    text = (
        _section("Device State", ("AzureAdJoined", "YES"))
        + "\n"
        + _section("Device State", ("AzureAdJoined", "NO"), ("DomainJoined", "YES"))
    )
    status = parse_dsregcmd(text)
    assert status.sections == {"Device State": {"AzureAdJoined": "YES", "DomainJoined": "YES"}}


def test_get_is_case_insensitive_and_section_scoped() -> None:
    status = parse_dsregcmd(AZURE_AD_JOINED)
    assert status.get("azureadjoined") == "YES"
    assert status.get("  TENANTID ") == TENANT_ID
    assert status.get("TenantId", section="Device State") is None
    assert status.get("TenantId", section="tenant details") == TENANT_ID
    assert status.get("TenantId", section="No Such Section") is None
    assert status.get("NoSuchKey") is None


def test_preferred_section_wins_for_properties() -> None:
    text = _section("User State", ("DeviceId", "not-a-guid")) + _section(
        "Device Details", ("DeviceId", DEVICE_ID)
    )
    status = parse_dsregcmd(text)
    assert status.get("DeviceId") == "not-a-guid"
    assert status.device_id == DEVICE_ID


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("YES", True),
        ("Yes", True),
        ("yes", True),
        ("TRUE", True),
        ("True", True),
        ("1", True),
        ("NO", False),
        ("No", False),
        ("FALSE", False),
        ("false", False),
        ("0", False),
        ("", None),
        ("NOT SET", None),
        ("2", None),
        ("YES (pending)", None),
    ],
)
def test_flag_values(value: str, expected: bool | None) -> None:
    status = parse_dsregcmd(_section("Device State", ("AzureAdJoined", value)))
    assert status.flag("AzureAdJoined") is expected
    assert status.azure_ad_joined is expected


def test_flag_missing_key() -> None:
    status = parse_dsregcmd(NOT_JOINED)
    assert status.flag("AzureAdPrt") is None
    assert status.enterprise_joined is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DEVICE_ID, DEVICE_ID),
        (DEVICE_ID.upper(), DEVICE_ID),
        ("{" + DEVICE_ID + "}", DEVICE_ID),
        ("{ " + DEVICE_ID.upper() + " }", DEVICE_ID),
        ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
        ("", None),
        ("N/A", None),
        (DEVICE_ID.replace("-", ""), None),
        (DEVICE_ID + "0", None),
        ("{" + DEVICE_ID, None),
        ("5d0c8e21-7b44-4f0e-8c3d-1a2b3c4d5e6g", None),
        ("\u0665d0c8e21-7b44-4f0e-8c3d-1a2b3c4d5e6f", None),
    ],
)
def test_guid_normalisation(value: str, expected: str | None) -> None:
    status = parse_dsregcmd(
        _section("Device Details", ("DeviceId", value))
        + _section("Tenant Details", ("TenantId", value))
    )
    assert status.device_id == expected
    assert status.tenant_id == expected


def test_empty_and_garbage_input() -> None:
    assert parse_dsregcmd("") == DsregStatus({})
    assert parse_dsregcmd("dsregcmd : The term 'dsregcmd' is not recognized") == DsregStatus(
        {"": {"dsregcmd": "The term 'dsregcmd' is not recognized"}}
    )
    status = parse_dsregcmd("+---+\n|\n| |\n:\n : x\nno separator here\n+--x--+\n")
    assert status.sections == {}
    assert status.azure_ad_joined is None
    assert status.device_id is None


def test_default_status_is_empty() -> None:
    assert DsregStatus().sections == {}
    assert DsregStatus().get("AzureAdJoined") is None


# --- property tests --------------------------------------------------------------------

FRAGMENTS = [
    BORDER,
    "+--+",
    "|",
    "| Device State |",
    "| Device Details |",
    "| |",
    " : ",
    " :",
    ":",
    "\n",
    "\r\n",
    "    ",
    "AzureAdJoined : YES",
    "DomainJoined : NO",
    f"DeviceId : {DEVICE_ID}",
    f"TenantId : {{{TENANT_ID}}}",
    "DeviceCertificateValidity : [ 2023-01-01 00:00:00.000 UTC -- 2033-01-01 00:00:00.000 UTC ]",
    "\ufeff",
    *AZURE_AD_JOINED.splitlines()[:12],
]

near_valid_output = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40
).map("".join)

fuzz = settings(max_examples=200, deadline=None)


def _check_status(status: DsregStatus) -> None:
    assert isinstance(status, DsregStatus)
    for name, values in status.sections.items():
        assert isinstance(name, str)
        assert name == name.strip()
        for key, value in values.items():
            assert isinstance(key, str) and key and key == key.strip()
            assert isinstance(value, str) and value == value.strip()
            assert status.get(key, name) is not None
    for flag in (status.azure_ad_joined, status.domain_joined, status.enterprise_joined):
        assert flag is None or isinstance(flag, bool)
    for guid in (status.device_id, status.tenant_id):
        assert guid is None or (len(guid) == 36 and guid == guid.lower())


@fuzz
@given(st.text())
def test_never_raises_on_text(text: str) -> None:
    _check_status(parse_dsregcmd(text))


@fuzz
@given(near_valid_output)
def test_never_raises_on_near_valid_text(text: str) -> None:
    status = parse_dsregcmd(text)
    _check_status(status)
    unix = text.replace("\r", "")
    assert parse_dsregcmd(unix.replace("\n", "\r\n")) == parse_dsregcmd(unix)


@fuzz
@given(st.text(), st.text(), st.text())
def test_get_and_flag_never_raise(text: str, key: str, section: str) -> None:
    status = parse_dsregcmd(text)
    value = status.get(key, section)
    assert value is None or isinstance(value, str)
    assert status.flag(key) in (None, True, False)
