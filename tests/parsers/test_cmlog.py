"""Tests for the ConfigMgr log parsers (client CMTrace format and site-server format)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_cmaad.parsers.cmlog import (
    LogEntry,
    decode_log,
    merge_rotated,
    parse_cmtrace,
    parse_log,
    parse_sitelog,
    read_log,
    rotated_name,
)

UTC = timezone.utc
TENANT = "9f1c2b7e-4d3a-4e8b-9a61-2c5d7e8f0a13"
DEVICE = "5d0c8e21-7b44-4f0e-8c3d-1a2b3c4d5e6f"
CLIENT_GUID = "GUID:3A1B2C4D-1111-2222-3333-444455556666"


def _client_line(
    message: str,
    clock: str,
    date: str,
    component: str,
    severity: int,
    thread: int,
    source: str,
) -> str:
    return (
        f'<![LOG[{message}]LOG]!><time="{clock}" date="{date}" component="{component}" '
        f'context="" type="{severity}" thread="{thread}" file="{source}">'
    )


def _site_line(message: str, component: str, stamp: str, thread: int) -> str:
    return f"{message}  $$<{component}><{stamp}><thread={thread} (0x{thread:X})>"


def _client_log(
    component: str, date: str, thread: int, rows: list[tuple[str, str, int, str]]
) -> str:
    """Build a client log; each row is (message, time, type, file)."""
    return "".join(
        _client_line(message, clock, date, component, severity, thread, source) + "\n"
        for message, clock, severity, source in rows
    )


def _site_log(component: str, thread: int, rows: list[tuple[str, str]]) -> str:
    """Build a site-server log; each row is (message, "MM-dd-yyyy HH:mm:ss.fff+BIAS")."""
    return "".join(_site_line(message, component, stamp, thread) + "\n" for message, stamp in rows)


CLIENT_ID_MANAGER = _client_log(
    "ClientIDManagerStartup",
    "03-14-2024",
    4321,
    [
        (
            "AADJoinStatusTask: Client hasn't been registered yet.",
            "08:00:00.010+480",
            1,
            "aadjoin.cpp:88",
        ),
        (
            "[RegTask] - Client is not registered. Sending registration request for "
            f"{CLIENT_GUID} ...",
            "08:00:01.123+480",
            1,
            "regtask.cpp:1234",
        ),
        ("Registering client using AAD auth.", "08:00:01.456+480", 1, "regtask.cpp:1301"),
        (
            f"[RegTask] - Client is registered. Server assigned ClientID is {CLIENT_GUID}. "
            "Approval status 3",
            "08:00:05.789+480",
            1,
            "regtask.cpp:1520",
        ),
        (
            "Getting CCM Token from https://mp01.contoso.com/CCM_STS",
            "08:00:06.000+480",
            1,
            "ccmtoken.cpp:412",
        ),
    ],
)

CCM_AAD = _client_log(
    "CcmAad",
    "11-30-2022",
    2200,
    [
        (
            "Getting AAD (device) token with: ClientId = 2b7c4e91-0a5d-4c3e-b8f1-6d9e0a1b2c3d, "
            "ResourceUrl = https://ConfigMgrService, "
            "AccountId = https://login.microsoftonline.com/common/oauth2/token",
            "09:15:00.000-60",
            1,
            "aadutil.cpp:250",
        ),
        (
            "WAM token request failed. Status 5, Details 'AAD WAM extension error'",
            "09:15:00.250-60",
            3,
            "wamtoken.cpp:610",
        ),
        (
            "Failed to get AAD token for 'S-1-5-18' from WAM API. Error 0xd0090016",
            "09:15:00.251-60",
            3,
            "aadutil.cpp:377",
        ),
        (
            "Falling back to get user 'S-1-5-21-1004336348-1177238915-682003330-1001' "
            "token for system...",
            "09:15:00.260-60",
            2,
            "aadutil.cpp:402",
        ),
    ],
)

CCM_STS = _client_log(
    "CCM_STS",
    "05-02-2023",
    3120,
    [
        ("ProcessRequest - Start", "16:00:00.100+000", 1, ""),
        ("Incoming request URL: https://mp01.contoso.com/CCM_STS", "16:00:00.101+000", 1, ""),
        (
            f"Validated AAD token. TokenType: Device TenantId: {TENANT} "
            f"UserId: 00000000-0000-0000-0000-000000000000 DeviceId: {DEVICE} "
            "OnPrem_UserSid: OnPrem_DeviceSid:",
            "16:00:00.180+000",
            1,
            "",
        ),
        (
            "ProcessRequest - Exception: System.IO.FileLoadException: Could not load file or "
            "assembly 'System.IdentityModel.Tokens.JWT, Version=4.0.20622.1351' "
            "(HRESULT: 0x80131040)\n"
            "   at Microsoft.ConfigurationManager.CcmSts.TokenValidator.Validate()\n"
            "   at Microsoft.ConfigurationManager.CcmSts.StsHandler.ProcessRequest()",
            "16:00:01.000+000",
            3,
            "",
        ),
    ],
)

MP_REGISTRATION = _client_log(
    "MP_RegistrationManager",
    "01-09-2024",
    5012,
    [
        (
            f"Registering device using AAD auth: DeviceId='{DEVICE}', TenantId='{TENANT}'",
            "10:20:30.400-60",
            1,
            "",
        ),
        (
            f"Processing Registration request from Client '{CLIENT_GUID}'",
            "10:20:30.410-60",
            1,
            "",
        ),
    ],
)

DISCOVERY_COMPONENT = "SMS_AZUREAD_DISCOVERY_AGENT"
AZUREAD_DISCOVERY = _site_log(
    DISCOVERY_COMPONENT,
    4844,
    [
        ("Retrieving AAD discovery settings from database", "11-30-2022 01:03:30.100-60"),
        (
            f"AAD USER delta sync initialized for tenant {TENANT}, with server app "
            "6c1e9a3b-2f4d-4b8e-a7c5-0d9e8f7a6b5c",
            "11-30-2022 01:03:30.150-60",
        ),
        (
            'STATMSG: ID=11801 SEV=I LEV=M SOURCE="SMS Server" COMP="SMS_AZUREAD_DISCOVERY_AGENT" '
            "SYS=CM01.contoso.com SITE=P01 PID=2244 TID=4844 GMTDATE=Wed Nov 30 00:03:30.160 2022 "
            f'ISTR0="{TENANT}" ISTR1="USER" NUMATTRS=0',
            "11-30-2022 01:03:30.160-60",
        ),
        ("Making Graph request~~", "11-30-2022 01:03:31.000-60"),
        (
            "AAD USER delta sync completed successfully at 11/30/2022 00:03:34",
            "11-30-2022 01:03:34.174-60",
        ),
        (
            'STATMSG: ID=11802 SEV=I LEV=M SOURCE="SMS Server" COMP="SMS_AZUREAD_DISCOVERY_AGENT" '
            "SYS=CM01.contoso.com SITE=P01 PID=2244 TID=4844 GMTDATE=Wed Nov 30 00:03:34.180 2022 "
            f'ISTR0="{TENANT}" ISTR1="USER" NUMATTRS=0',
            "11-30-2022 01:03:34.180-60",
        ),
        (
            "Next DELTA USER sync for cloud service 16777217 will start at 11/30/2022 00:08:34",
            "11-30-2022 01:03:34.190-60",
        ),
        (
            f"Could not obtain application secret for tenant {TENANT}. If this is after a site "
            'expansion, please run "Renew Secret Key" from admin console.',
            "11-30-2022 01:08:34.500-60",
        ),
        (
            "Successfully published UDX for Azure Active Directory users",
            "11-30-2022 01:08:40.000-60",
        ),
    ],
)

SAMPLES = {
    "ClientIDManagerStartup.log": (CLIENT_ID_MANAGER, 5),
    "CcmAad.log": (CCM_AAD, 4),
    "CCM_STS.log": (CCM_STS, 4),
    "MP_RegistrationManager.log": (MP_REGISTRATION, 2),
    "SMS_AZUREAD_DISCOVERY_AGENT.log": (AZUREAD_DISCOVERY, 9),
}


def _utf16_with_bom(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


ENCODERS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    "utf-16-le-bom": _utf16_with_bom,
    "utf-16-le": lambda text: text.encode("utf-16-le"),
}

encodings = pytest.mark.parametrize("encoding", sorted(ENCODERS))
samples = pytest.mark.parametrize("name", sorted(SAMPLES))


def _messages(entries: list[LogEntry]) -> list[str]:
    return [entry.message for entry in entries]


# --- decoding --------------------------------------------------------------------------


@encodings
@samples
def test_decode_log_round_trips_every_encoding(name: str, encoding: str) -> None:
    text, _ = SAMPLES[name]
    assert decode_log(ENCODERS[encoding](text)) == text


@encodings
@samples
def test_read_log_gives_same_entries_in_every_encoding(name: str, encoding: str) -> None:
    text, count = SAMPLES[name]
    entries = read_log(ENCODERS[encoding](text))
    assert len(entries) == count
    assert entries == parse_log(text)


@encodings
def test_read_log_keeps_crlf_files_equivalent(encoding: str) -> None:
    text = CCM_AAD.replace("\n", "\r\n")
    assert read_log(ENCODERS[encoding](text)) == parse_log(CCM_AAD)


def test_decode_log_replaces_invalid_utf8() -> None:
    assert decode_log(b"Approval status \xff3\n") == "Approval status \ufffd3\n"


def test_decode_log_replaces_odd_trailing_byte_in_utf16() -> None:
    assert decode_log(b"\xff\xfeo\x00k\x00!") == "ok\ufffd"


@samples
def test_decode_log_reads_a_utf16_tail_cut_at_an_odd_byte(name: str) -> None:
    """The last N bytes of a UTF-16 LE file, N odd: the half character is dropped."""
    text, _ = SAMPLES[name]
    data = _utf16_with_bom(text)
    tail = data[len(data) // 2 | 1:]  # from an odd offset: half of a character first
    decoded = decode_log(tail)
    assert text.endswith(decoded)
    assert len(decoded) == len(tail) // 2


def test_decode_log_keeps_nul_padding_as_utf8() -> None:
    data = b"x  $$<C><01-01-2024 00:00:00.000+000><thread=1 (0x1)>\n" + b"\x00" * 64
    assert decode_log(data).startswith("x  $$<C>")


def test_decode_log_empty() -> None:
    assert decode_log(b"") == ""
    assert read_log(b"") == []


# --- client (CMTrace) format -----------------------------------------------------------


def test_client_id_manager_startup_fields() -> None:
    entries = parse_cmtrace(CLIENT_ID_MANAGER)
    approval = entries[3]
    assert approval.message.endswith("Approval status 3")
    assert approval.component == "ClientIDManagerStartup"
    assert approval.severity == "info"
    assert approval.thread == 4321
    assert approval.source == "regtask.cpp:1520"
    assert approval.line == 4
    assert approval.raw_time == "03-14-2024 08:00:05.789+480"
    assert approval.time == datetime(2024, 3, 14, 16, 0, 5, 789000, tzinfo=UTC)


def test_ccm_aad_wam_failure_is_an_error_with_cet_bias() -> None:
    entries = parse_cmtrace(CCM_AAD)
    failure = entries[2]
    assert "Error 0xd0090016" in failure.message
    assert failure.severity == "error"
    assert failure.time == datetime(2022, 11, 30, 8, 15, 0, 251000, tzinfo=UTC)
    assert [entry.severity for entry in entries] == ["info", "error", "error", "warning"]


def test_ccm_sts_multiline_exception_and_zero_bias() -> None:
    entries = parse_cmtrace(CCM_STS)
    assert entries[2].message.startswith("Validated AAD token. TokenType: Device")
    assert entries[2].source is None
    exception = entries[3]
    assert exception.message.splitlines()[0].endswith("(HRESULT: 0x80131040)")
    assert len(exception.message.splitlines()) == 3
    assert exception.line == 4
    assert exception.time == datetime(2023, 5, 2, 16, 0, 1, tzinfo=UTC)


def test_mp_registration_manager() -> None:
    entries = parse_log(MP_REGISTRATION)
    assert entries[0].message == (
        f"Registering device using AAD auth: DeviceId='{DEVICE}', TenantId='{TENANT}'"
    )
    assert entries[0].time == datetime(2024, 1, 9, 9, 20, 30, 400000, tzinfo=UTC)
    assert entries[1].line == 2


@pytest.mark.parametrize(
    ("clock", "date", "expected"),
    [
        ("08:00:00.000+480", "03-14-2024", datetime(2024, 3, 14, 16, 0, tzinfo=UTC)),
        ("20:30:00.000+480", "12-31-2023", datetime(2024, 1, 1, 4, 30, tzinfo=UTC)),
        ("01:03:34.174-60", "11-30-2022", datetime(2022, 11, 30, 0, 3, 34, 174000, tzinfo=UTC)),
        ("00:30:00.000-60", "01-01-2024", datetime(2023, 12, 31, 23, 30, tzinfo=UTC)),
        ("12:00:00.000+000", "06-01-2024", datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
        ("12:00:00.000+00", "06-01-2024", datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
        ("12:00:00.000-330", "06-01-2024", datetime(2024, 6, 1, 6, 30, tzinfo=UTC)),
        ("12:00:00.1234567+000", "06-01-2024", datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("12:00:00+000", "06-01-2024", datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_client_bias_gives_utc(clock: str, date: str, expected: datetime) -> None:
    [entry] = parse_cmtrace(f'<![LOG[m]LOG]!><time="{clock}" date="{date}" component="C">')
    assert entry.time == expected
    assert entry.time is not None and entry.time.utcoffset() == expected.utcoffset()
    assert entry.raw_time == f"{date} {clock}"


@pytest.mark.parametrize(
    ("clock", "date"),
    [
        ("08:00:00.000", "03-14-2024"),
        ("08:00:00.000+99999", "03-14-2024"),
        ("08:00:00.000+1440", "03-14-2024"),
        ("25:00:00.000+000", "03-14-2024"),
        ("08:00:00.000+000", "02-30-2024"),
        ("08:00:00.000+000", "2024-03-14-01"),
        ("08:00:00.abc+000", "03-14-2024"),
        ("08:00:00.000+000", ""),
        ("", "03-14-2024"),
        ("23:59:59.999+720", "12-31-9999"),
        ("00:00:00.000-720", "01-01-0001"),
        ("\u0661\u0662:00:00.000+000", "03-14-2024"),
    ],
)
def test_client_bad_times_give_none(clock: str, date: str) -> None:
    [entry] = parse_cmtrace(f'<![LOG[m]LOG]!><time="{clock}" date="{date}" component="C">')
    assert entry.time is None
    assert entry.message == "m"


@pytest.mark.parametrize(
    ("attribute", "severity"),
    [
        ('type="1"', "info"),
        ('type="2"', "warning"),
        ('type="3"', "error"),
        ('type="0"', None),
        ('type="4"', None),
        ('type="error"', None),
        ('type=""', None),
        ("", None),
    ],
)
def test_client_type_mapping(attribute: str, severity: str | None) -> None:
    [entry] = parse_cmtrace(f'<![LOG[m]LOG]!><component="C" {attribute} thread="7">')
    assert entry.severity == severity
    assert entry.thread == 7


def test_client_attribute_order_and_extra_attributes_do_not_matter() -> None:
    shuffled = (
        '<![LOG[Approval status 3]LOG]!><file="regtask.cpp:9" thread="12" extra="a>b" '
        'type="2" component="ClientIDManagerStartup" context="" date="03-14-2024" '
        'time="08:00:00.000+480" another="">'
    )
    [entry] = parse_cmtrace(shuffled)
    assert entry == LogEntry(
        message="Approval status 3",
        time=datetime(2024, 3, 14, 16, 0, tzinfo=UTC),
        component="ClientIDManagerStartup",
        severity="warning",
        thread=12,
        source="regtask.cpp:9",
        line=1,
        raw_time="03-14-2024 08:00:00.000+480",
    )


def test_client_missing_attributes_leave_fields_empty() -> None:
    [entry] = parse_cmtrace("<![LOG[only a message]LOG]!>\n")
    assert entry == LogEntry("only a message", None, "", None, None, None, 1, "")


def test_client_garbage_between_entries_is_skipped() -> None:
    text = "\n".join(
        [
            "random header text",
            "<!-- not an entry -->",
            CLIENT_ID_MANAGER.splitlines()[0],
            "]LOG]!> stray closer",
            "\x00\x00\x00",
            CLIENT_ID_MANAGER.splitlines()[1],
        ]
    )
    entries = parse_cmtrace(text)
    assert _messages(entries) == _messages(parse_cmtrace(CLIENT_ID_MANAGER)[:2])
    assert [entry.line for entry in entries] == [3, 6]


def test_client_truncated_last_entry_is_dropped() -> None:
    text = CLIENT_ID_MANAGER + "<![LOG[Registering client using AA"
    assert parse_cmtrace(text) == parse_cmtrace(CLIENT_ID_MANAGER)


def test_client_truncated_attributes_keep_what_is_there() -> None:
    text = '<![LOG[Approval status 3]LOG]!><time="08:00:05.789+480" date="03-14-2024" compo'
    [entry] = parse_cmtrace(text)
    assert entry.message == "Approval status 3"
    assert entry.time == datetime(2024, 3, 14, 16, 0, 5, 789000, tzinfo=UTC)
    assert entry.component == ""


def test_client_unterminated_value_is_dropped() -> None:
    [entry] = parse_cmtrace('<![LOG[m]LOG]!><component="CcmAad" thread="12\n')
    assert entry.component == "CcmAad"
    assert entry.thread is None


def test_client_entry_cut_short_by_next_entry_is_dropped() -> None:
    text = "<![LOG[half written\n" + CCM_AAD
    assert parse_cmtrace(text) == [
        LogEntry(
            e.message, e.time, e.component, e.severity, e.thread, e.source, e.line + 1, e.raw_time
        )
        for e in parse_cmtrace(CCM_AAD)
    ]


def test_client_multiline_messages_and_line_numbers() -> None:
    text = (
        "<![LOG[first line\nsecond line\n\nfourth line]LOG]!>"
        '<time="08:00:00.000+480" date="03-14-2024" component="CcmAad" type="1" thread="1">\n'
        '<![LOG[next]LOG]!><time="08:00:01.000+480" date="03-14-2024" component="CcmAad">\r\n'
        '<![LOG[a\r\nb]LOG]!><time="08:00:02.000+480" date="03-14-2024" component="CcmAad">'
    )
    entries = parse_cmtrace(text)
    assert _messages(entries) == ["first line\nsecond line\n\nfourth line", "next", "a\nb"]
    assert [entry.line for entry in entries] == [1, 5, 6]


def test_client_two_entries_on_one_line() -> None:
    line = CCM_AAD.splitlines()[1] + CCM_AAD.splitlines()[2]
    entries = parse_cmtrace(line)
    assert [entry.line for entry in entries] == [1, 1]
    assert len(entries) == 2


def test_client_unclosed_attribute_block_stops_at_next_entry() -> None:
    text = '<![LOG[a]LOG]!><component="A"<![LOG[b]LOG]!><<![LOG[c]LOG]!><component="C">'
    entries = parse_cmtrace(text)
    assert [(entry.message, entry.component) for entry in entries] == [
        ("a", "A"),
        ("b", ""),
        ("c", "C"),
    ]


def test_client_thread_in_hex_form() -> None:
    [entry] = parse_cmtrace('<![LOG[m]LOG]!><thread="0x12EC">')
    assert entry.thread == 0x12EC


def test_leading_bom_character_in_text_is_ignored() -> None:
    assert parse_cmtrace("\ufeff" + CCM_AAD) == parse_cmtrace(CCM_AAD)
    assert parse_sitelog("\ufeff" + AZUREAD_DISCOVERY) == parse_sitelog(AZUREAD_DISCOVERY)


# --- site-server format ----------------------------------------------------------------


def test_azuread_discovery_sequence() -> None:
    entries = parse_sitelog(AZUREAD_DISCOVERY)
    assert all(entry.component == DISCOVERY_COMPONENT for entry in entries)
    assert all(entry.severity is None and entry.source is None for entry in entries)
    assert all(entry.thread == 4844 for entry in entries)
    assert [entry.line for entry in entries] == list(range(1, 10))
    assert entries[0].message == "Retrieving AAD discovery settings from database"
    assert entries[2].message.startswith("STATMSG: ID=11801 SEV=I")
    assert entries[3].message == "Making Graph request"
    assert entries[5].message.startswith("STATMSG: ID=11802 ")
    assert "Renew Secret Key" in entries[7].message
    assert entries[4].raw_time == "11-30-2022 01:03:34.174-60"
    assert entries[4].time == datetime(2022, 11, 30, 0, 3, 34, 174000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("06-24-2020 15:31:46.376+00", datetime(2020, 6, 24, 15, 31, 46, 376000, tzinfo=UTC)),
        ("06-24-2020 15:31:46.376+000", datetime(2020, 6, 24, 15, 31, 46, 376000, tzinfo=UTC)),
        ("11-30-2022 01:03:34.174-60", datetime(2022, 11, 30, 0, 3, 34, 174000, tzinfo=UTC)),
        ("11-30-2022 17:00:00.000+480", datetime(2022, 12, 1, 1, 0, tzinfo=UTC)),
        ("11-30-2022 17:00:00.000", None),
        ("not a time", None),
    ],
)
def test_site_bias_gives_utc(stamp: str, expected: datetime | None) -> None:
    [entry] = parse_sitelog(_site_line("Sync done", "CMGService", stamp, 4992))
    assert entry.time == expected
    assert entry.raw_time == stamp


def test_site_cmgservice_continuation_marker() -> None:
    line = _site_line(
        "Connected to the service.~~", "CMGService", "06-24-2020 15:31:46.376+00", 4992
    )
    [entry] = parse_sitelog(line)
    assert entry.message == "Connected to the service."
    assert entry.thread == 4992
    assert entry.component == "CMGService"


def test_site_multiline_message_belongs_to_the_next_trailer() -> None:
    text = "\n".join(
        [
            _site_line("Starting", "SMS_COLLECTION_EVALUATOR", "11-30-2022 01:03:34.100-60", 1),
            "",
            "Executing query:~~",
            "SELECT ResourceID",
            "",
            "  FROM v_R_System~~",
            _site_line(
                "SQL>>>>> Done.", "SMS_COLLECTION_EVALUATOR", "11-30-2022 01:03:34.174-60", 4844
            ),
        ]
    )
    entries = parse_sitelog(text)
    assert _messages(entries) == [
        "Starting",
        "Executing query:\nSELECT ResourceID\n\n  FROM v_R_System\nSQL>>>>> Done.",
    ]
    assert [entry.line for entry in entries] == [1, 3]
    assert entries[1].thread == 4844


def test_site_crlf() -> None:
    text = AZUREAD_DISCOVERY.replace("\n", "\r\n")
    assert parse_sitelog(text) == parse_sitelog(AZUREAD_DISCOVERY)


def test_site_trailing_lines_without_trailer_are_dropped() -> None:
    text = AZUREAD_DISCOVERY + "Making Graph req"
    assert parse_sitelog(text) == parse_sitelog(AZUREAD_DISCOVERY)
    truncated = AZUREAD_DISCOVERY + "Making Graph request  $$<SMS_AZUREAD_DISCOVERY_AGENT><11-3"
    assert parse_sitelog(truncated) == parse_sitelog(AZUREAD_DISCOVERY)


def test_site_message_may_contain_trailer_like_text() -> None:
    line = _site_line("cost $$<5> is fine", "SMS_EXECUTIVE", "01-02-2024 03:04:05.006+000", 9)
    [entry] = parse_sitelog(line)
    assert entry.message == "cost $$<5> is fine"
    assert entry.component == "SMS_EXECUTIVE"


def test_site_trailer_without_time_or_thread() -> None:
    [entry] = parse_sitelog("bare message  $$<SMS_EXECUTIVE>")
    assert entry == LogEntry("bare message", None, "SMS_EXECUTIVE", None, None, None, 1, "")


def test_site_malformed_trailer_is_text() -> None:
    text = "a $$<> b>\nb  $$<X><bad>>\n" + _site_line("c", "C", "01-02-2024 03:04:05.006+000", 1)
    [entry] = parse_sitelog(text)
    assert entry.message == "a $$<> b>\nb  $$<X><bad>>\nc"


# --- format detection ------------------------------------------------------------------


@samples
def test_parse_log_detects_format(name: str) -> None:
    text, _ = SAMPLES[name]
    expected = parse_sitelog(text) if name.startswith("SMS_") else parse_cmtrace(text)
    assert parse_log(text) == expected


def test_parse_log_site_text_without_entries() -> None:
    assert parse_log("just some text\nwithout trailers\n") == []


# --- rotation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rotated"),
    [
        ("CcmAad.log", "CcmAad.lo_"),
        ("SMS_AZUREAD_DISCOVERY_AGENT.log", "SMS_AZUREAD_DISCOVERY_AGENT.lo_"),
        ("C:\\Windows\\CCM\\Logs\\CCM_STS.LOG", "C:\\Windows\\CCM\\Logs\\CCM_STS.LO_"),
        ("/logs.d/mpcontrol.log", "/logs.d/mpcontrol.lo_"),
        ("CcmAad.lo_", "CcmAad.lo_"),
        ("noextension", "noextension.lo_"),
        ("dir.d/noextension", "dir.d/noextension.lo_"),
        ("", ".lo_"),
    ],
)
def test_rotated_name(name: str, rotated: str) -> None:
    assert rotated_name(name) == rotated


def _entry(message: str, when: datetime | None) -> LogEntry:
    return LogEntry(message, when, "C", None, None, None, 1, "")


def _at(minute: int) -> datetime:
    return datetime(2024, 3, 14, 8, minute, tzinfo=UTC)


def test_merge_rotated_orders_by_time() -> None:
    older = [_entry("o1", _at(1)), _entry("o2", _at(3)), _entry("o3", _at(5))]
    newer = [_entry("n1", _at(4)), _entry("n2", _at(6))]
    merged = merge_rotated(older, newer)
    assert _messages(merged) == ["o1", "o2", "n1", "o3", "n2"]


def test_merge_rotated_is_stable_for_equal_times() -> None:
    older = [_entry("o1", _at(1)), _entry("o2", _at(1))]
    newer = [_entry("n1", _at(1)), _entry("n2", _at(1))]
    assert _messages(merge_rotated(older, newer)) == ["o1", "o2", "n1", "n2"]


def test_merge_rotated_untimed_entries_keep_file_order_after_older_entries() -> None:
    older = [_entry("o-untimed", None), _entry("o1", _at(1)), _entry("o2", _at(9))]
    newer = [_entry("n-untimed", None), _entry("n1", _at(2)), _entry("n-untimed-2", None)]
    merged = merge_rotated(older, newer)
    assert _messages(merged) == ["o-untimed", "o1", "n1", "o2", "n-untimed", "n-untimed-2"]


def test_merge_rotated_accepts_naive_times_and_empty_lists() -> None:
    naive = _entry("naive", datetime(2024, 3, 14, 8, 2))
    assert _messages(merge_rotated([_entry("a", _at(3))], [naive])) == ["naive", "a"]
    assert merge_rotated([], []) == []


def test_merge_rotated_real_files_out_of_order() -> None:
    earlier = parse_log(CCM_AAD)
    later = parse_log(CLIENT_ID_MANAGER)
    assert merge_rotated(later, earlier) == earlier + later
    assert merge_rotated(earlier, later) == earlier + later


# --- robustness ------------------------------------------------------------------------

PATHOLOGICAL = [
    "<![LOG[" * 40_000,
    "]LOG]!>" * 40_000,
    "<![LOG[]LOG]!><" * 40_000,
    '<![LOG[]LOG]!><a="' + "=" * 200_000,
    "<![LOG[x]LOG]!><" + 'a="b" ' * 40_000,
    "$$<" * 80_000,
    "a $$<" + "><" * 100_000 + ">",
    ("x" * 50 + "\n") * 20_000,
    "~" * 200_000,
    "x  $$<C><" + "1" * 100_000 + "+" + "2" * 100_000 + "><thread=" + "3" * 100_000 + ">",
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_input_is_fast(text: str) -> None:
    began = time.perf_counter()
    parse_cmtrace(text)
    parse_sitelog(text)
    read_log(text.encode("utf-16-le"))
    assert time.perf_counter() - began < 2.0


def _check_entries(entries: object) -> None:
    assert isinstance(entries, list)
    for entry in entries:
        assert isinstance(entry, LogEntry)
        assert isinstance(entry.message, str)
        assert isinstance(entry.component, str)
        assert isinstance(entry.raw_time, str)
        assert entry.severity in (None, "info", "warning", "error")
        assert entry.thread is None or isinstance(entry.thread, int)
        assert entry.source is None or isinstance(entry.source, str)
        assert isinstance(entry.line, int) and entry.line >= 1
        if entry.time is not None:
            assert isinstance(entry.time, datetime)
            assert entry.time.tzinfo is timezone.utc


FRAGMENTS = [
    "<![LOG[",
    "]LOG]!>",
    "<",
    ">",
    '"',
    "=",
    " ",
    "\n",
    "\r\n",
    "~~",
    "$$<",
    "><",
    'time="08:00:01.123+480"',
    'time="25:99:00.000-60"',
    'date="03-14-2024"',
    'date="02-30-2024"',
    'component="CcmAad"',
    'type="3"',
    'thread="4321"',
    'file="regtask.cpp:123"',
    "Approval status 3",
    "SMS_AZUREAD_DISCOVERY_AGENT",
    "11-30-2022 01:03:34.174-60",
    "12-31-9999 23:59:59.999+720",
    "thread=4844 (0x12EC)",
    CCM_AAD.splitlines()[1],
    AZUREAD_DISCOVERY.splitlines()[3],
]

near_valid_logs = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40
).map("".join)

fuzz = settings(max_examples=200, deadline=None)


@fuzz
@given(st.text())
def test_parsers_never_raise_on_text(text: str) -> None:
    _check_entries(parse_cmtrace(text))
    _check_entries(parse_sitelog(text))
    _check_entries(parse_log(text))


@fuzz
@given(near_valid_logs)
def test_parsers_never_raise_on_near_valid_text(text: str) -> None:
    _check_entries(parse_cmtrace(text))
    _check_entries(parse_sitelog(text))
    _check_entries(parse_log(text))
    unix = text.replace("\r", "")
    windows = unix.replace("\n", "\r\n")
    assert parse_cmtrace(windows) == parse_cmtrace(unix)
    assert parse_sitelog(windows) == parse_sitelog(unix)


@fuzz
@given(st.binary())
def test_decode_and_read_never_raise_on_bytes(data: bytes) -> None:
    assert isinstance(decode_log(data), str)
    _check_entries(read_log(data))


@fuzz
@given(near_valid_logs, st.sampled_from(sorted(ENCODERS)))
def test_read_log_matches_parse_log_in_every_encoding(text: str, encoding: str) -> None:
    text = text.replace("\x00", "")
    if encoding == "utf-16-le" and not text.isascii():
        text = text.encode("ascii", errors="replace").decode("ascii")
    assert read_log(ENCODERS[encoding](text)) == parse_log(text.removeprefix("\ufeff"))


@fuzz
@given(st.text(), near_valid_logs)
def test_merge_rotated_is_a_permutation(older_text: str, newer_text: str) -> None:
    older = parse_log(older_text)
    newer = parse_log(newer_text)
    merged = merge_rotated(older, newer)
    assert sorted(map(id, merged)) == sorted(map(id, older + newer))
    timed = [entry.time for entry in merged if entry.time is not None]
    assert timed == sorted(timed)


@fuzz
@given(st.text())
def test_rotated_name_never_raises(name: str) -> None:
    assert rotated_name(name).endswith("_")
