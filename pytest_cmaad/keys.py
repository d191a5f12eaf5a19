"""Profile keys: names, types, defaults, and how a raw value becomes a typed one.

Each key is settable in a ``[sites.NAME]`` profile (``[sites.NAME.expect]`` for expectations),
as ``--cm-KEY`` on the command line and as ``CMAAD_KEY`` in the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

KeyKind = Literal["str", "int", "float", "list", "choice", "table"]

GUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\}?$")
SITE_CODE_RE = re.compile(r"^[A-Za-z0-9]{3}$")


class KeyValueError(ValueError):
    """A value that does not fit its key; the message says what is expected."""


@dataclass(frozen=True)
class Key:
    """One profile key.

    :param name: the key as written in a profile.
    :param kind: how the value is read.
    :param help: one line for ``--help`` and the README.
    :param default: the value when nothing sets it.
    :param expect: lives in the ``expect`` sub-table.
    :param source: the source this key configures, if any.
    :param choices: the accepted values of a ``choice`` key.
    """

    name: str
    kind: KeyKind
    help: str
    default: Any = None
    expect: bool = False
    source: str | None = None
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--cm-management-points``."""
        return "--cm-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        """The argparse destination, e.g. ``cm_management_points``."""
        return "cm_" + self.name

    @property
    def metavar(self) -> str:
        """How ``--help`` shows the value."""
        if self.kind == "choice":
            return "{" + ",".join(self.choices) + "}"
        return {"int": "N", "float": "RATIO", "list": "A,B", "table": "COLL=GROUP,..."}.get(
            self.kind, "VALUE")

    @property
    def env(self) -> str:
        """The environment variable, e.g. ``CMAAD_MANAGEMENT_POINTS``."""
        return "CMAAD_" + self.name.upper()

    def parse_text(self, text: str) -> Any:
        """Turn a command-line or environment string into a typed value."""
        if self.kind == "list":
            return self.check([part.strip() for part in text.split(",") if part.strip()])
        if self.kind == "table":
            table: dict[str, str] = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                name, sep, value = part.partition("=")
                if not sep:
                    raise KeyValueError(f"expected COLLECTIONID=GROUPID pairs, got {part!r}")
                table[name.strip()] = value.strip()
            return self.check(table)
        return self.check(text)

    def check(self, value: Any) -> Any:
        """Validate and coerce a value from any origin; raise :class:`KeyValueError`."""
        checker = _CHECKERS[self.kind]
        result = checker(self, value)
        if self.name == "site_code" and not SITE_CODE_RE.match(result):
            raise KeyValueError(f"expected a three-character site code, got {value!r}")
        return result


def _check_str(key: Key, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KeyValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _check_int(key: Key, value: Any) -> int:
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0:
        raise KeyValueError(f"expected a positive whole number, got {value!r}")
    return number


def _check_float(key: Key, value: Any) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0.0 <= number <= 1.0:
        raise KeyValueError(f"expected a number from 0 to 1, got {value!r}")
    return number


def _check_list(key: Key, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise KeyValueError(f"expected a list of strings, got {value!r}")
    return [v.strip() for v in value]


def _check_choice(key: Key, value: Any) -> str:
    if value not in key.choices:
        raise KeyValueError(f"expected one of {', '.join(key.choices)}, got {value!r}")
    return str(value)


def _check_table(key: Key, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise KeyValueError(f'expected a table of "COLLECTIONID" = "group id", got {value!r}')
    table: dict[str, str] = {}
    for name, group in value.items():
        if not isinstance(group, str) or not GUID_RE.match(group):
            raise KeyValueError(f"{name}: expected an Entra group object id (GUID), got {group!r}")
        table[str(name).upper()] = group.strip("{}").lower()
    return table


_CHECKERS: dict[str, Callable[[Key, Any], Any]] = {
    "str": _check_str,
    "int": _check_int,
    "float": _check_float,
    "list": _check_list,
    "choice": _check_choice,
    "table": _check_table,
}

PROFILE_KEYS: tuple[Key, ...] = (
    Key("site_code", "str", "Three-character site code (default: the profile name if it is one)"),
    Key("sql", "str", "ODBC connection string of the site database", source="sql"),
    Key("sql_login_timeout", "int", "Seconds to wait for the database login", default=15),
    Key("sql_query_timeout", "int", "Seconds to wait for one database query", default=60),
    Key("adminservice", "str", "Base URL of the SMS Provider's AdminService",
        source="adminservice"),
    Key("adminservice_auth", "choice", "How to sign in to the AdminService", default="negotiate",
        choices=("negotiate", "ntlm", "basic")),
    Key("adminservice_user", "str", "Account for ntlm or basic AdminService sign-in "
        r"(DOMAIN\user)"),
    Key("adminservice_password_env", "str",
        "Environment variable holding that account's password",
        default="CMAAD_ADMINSERVICE_PASSWORD"),
    Key("adminservice_timeout", "int", "Seconds to wait for the AdminService", default=30),
    Key("management_points", "list", "Management point base URLs (default: from the database)",
        source="mp"),
    Key("tenant_id", "str", "Entra tenant of the app that reads Graph", source="graph"),
    Key("client_id", "str", "Application id of the app that reads Graph", source="graph"),
    Key("auth", "choice", "How the Graph app signs in", default="client-secret",
        choices=("client-secret", "certificate", "managed-identity", "device-code")),
    Key("client_secret_env", "str", "Environment variable holding the Graph app's secret",
        default="CMAAD_CLIENT_SECRET"),
    Key("client_certificate", "str", "PEM or PFX certificate of the Graph app"),
    Key("client_certificate_password_env", "str",
        "Environment variable holding the certificate's password"),
    Key("cloud", "choice", "National cloud: picks the authority and Graph endpoints",
        default="global", choices=("global", "usgov", "usgov-dod", "china")),
    Key("authority", "str", "Explicit authority URL (overrides cloud)"),
    Key("graph_url", "str", "Explicit Graph URL (overrides cloud)"),
    Key("graph_timeout", "int", "Seconds to wait for one Graph or authority request",
        default=30),
    Key("graph_max_retry_seconds", "int",
        "Most seconds spent waiting on Graph throttling (Retry-After) in one collection",
        default=120),
    Key("graph_concurrency", "int", "Graph requests in flight at once (member paging)",
        default=4),
    Key("ca_bundle", "str", "CA file for TLS verification of MPs, AdminService, Graph"),
    Key("mp_client_cert", "str", "Client certificate (PEM) for MPs that require one"),
    Key("mp_timeout", "int", "Seconds to wait for a management point", default=10),
    Key("client_hosts", "list", "testinfra host URLs of sampled clients", source="hosts"),
    Key("server_hosts", "list", "testinfra host URLs of site systems", source="hosts"),
    Key("host_timeout", "int", "Seconds to wait for a host to connect and answer", default=30),
    Key("host_log_bytes", "int", "Bytes read from the end of each log on a host",
        default=262144),
    Key("registered_ratio_min", "float",
        "Share of active clients that must have registered an Azure AD device id",
        default=0.95, expect=True),
    Key("sync_max_age_minutes", "int", "Oldest acceptable last sync of a mapping", default=30,
        expect=True),
    Key("discovery_max_age_minutes", "int",
        "Oldest acceptable last discovery (default: from the discovery schedule)", expect=True),
    Key("secret_expiry_warn_days", "int", "Days before secret expiry that fail CMAAD-104",
        default=30, expect=True),
    Key("mp_cert_expiry_warn_days", "int",
        "Days before an MP certificate's expiry that fail CMAAD-303", default=30, expect=True),
    Key("group_sync", "table", "Collection to group mappings that must exist (COLL=GROUPID)",
        default={}, expect=True),
)

KEYS: dict[str, Key] = {key.name: key for key in PROFILE_KEYS}
PROFILE_KEY_NAMES = frozenset(k.name for k in PROFILE_KEYS if not k.expect)
EXPECT_KEY_NAMES = frozenset(k.name for k in PROFILE_KEYS if k.expect)
