"""Configuration: the config file, profiles, and where each site setting came from.

Precedence for every profile key: command line > environment > config file (or the lab) >
default. Errors are :class:`ConfigError` with one line naming the file and the key.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .keys import EXPECT_KEY_NAMES, KEYS, PROFILE_KEY_NAMES, SITE_CODE_RE, Key, KeyValueError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "cmaad.toml"
SOURCES = ("sql", "adminservice", "mp", "graph", "hosts")


class ConfigError(Exception):
    """A configuration problem the user must fix; the message is one line."""


@dataclass(frozen=True)
class ConfigFile:
    """A loaded config file: where it is and its ``[sites.*]`` profiles."""

    path: Path
    profiles: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        """How the header names this file."""
        return self.path.name


@dataclass(frozen=True)
class SiteSettings:
    """The resolved settings of one selected site, with the origin of each value.

    :param name: the site as selected (``PS1``, ``lab``, ``lab:http-only``).
    :param values: every key with a value, typed.
    :param origins: for each key in ``values``, where it came from
        (``option``, ``env``, the config file's name, ``lab`` or ``default``).
    """

    name: str
    values: dict[str, Any]
    origins: dict[str, str]
    lab_scenario: str | None = None

    def get(self, key: str) -> Any:
        """The value of a profile key, or None."""
        return self.values.get(key)

    @property
    def site_code(self) -> str | None:
        """The site code, from the profile or the profile name."""
        code = self.values.get("site_code")
        return str(code).upper() if code else None

    def configured(self, source: str) -> bool:
        """Whether the settings name the source at all."""
        has = self.values.get
        if source == "mp":
            return bool(has("management_points") or has("sql"))
        if source == "graph":
            return bool(has("tenant_id") and has("client_id"))
        if source == "hosts":
            return bool(has("client_hosts") or has("server_hosts"))
        return bool(has(source))

    def source_key_hint(self, source: str) -> str:
        """Which key to set so that ``source`` is configured."""
        if self.lab_scenario is not None:
            return f"the lab site has no {source} stand-in in this version"
        keys = {
            "sql": "sql",
            "adminservice": "adminservice",
            "mp": "management_points (or sql)",
            "graph": "tenant_id and client_id",
            "hosts": "client_hosts or server_hosts",
        }[source]
        return f"set {keys} in [sites.{self.name}]"


def find_config_file(
    explicit: str | None, rootpath: Path, invocation_dir: Path
) -> ConfigFile | None:
    """Find and load the config file.

    ``explicit`` (``--cm-config``) wins; otherwise ``cmaad.toml`` in the rootdir, then in the
    current directory, then ``[tool.cmaad]`` in a ``pyproject.toml`` there.
    """
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--cm-config: {explicit}: no such file")
        return _load(path)
    folders = list(dict.fromkeys([rootpath, invocation_dir]))
    for folder in folders:
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return _load(candidate)
    for folder in folders:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            loaded = _load(candidate)
            if loaded is not None:
                return loaded
    return None


def _load(path: Path) -> ConfigFile | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "cmaad" not in tool:
            return None
        data, prefix = tool["cmaad"], "tool.cmaad."
    _only_keys(path, prefix.rstrip("."), data, {"sites"})
    sites = data.get("sites", {})
    if not isinstance(sites, dict):
        raise ConfigError(f"{path}: {prefix}sites must be a table of profiles")
    profiles: dict[str, dict[str, Any]] = {}
    for name, profile in sites.items():
        where = f"{prefix}sites.{name}"
        if not isinstance(profile, dict):
            raise ConfigError(f"{path}: {where} must be a table")
        if name == "lab" or name.startswith("lab:"):
            raise ConfigError(f"{path}: {where}: 'lab' is the embedded lab site; rename it")
        profiles[name] = _read_profile(path, where, profile)
    return ConfigFile(path, profiles)


def _read_profile(path: Path, where: str, profile: dict[str, Any]) -> dict[str, Any]:
    _only_keys(path, where, profile, PROFILE_KEY_NAMES | {"expect"})
    values: dict[str, Any] = {}
    for name, raw in profile.items():
        if name == "expect":
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}: {where}.expect must be a table")
            _only_keys(path, f"{where}.expect", raw, EXPECT_KEY_NAMES)
            for ename, eraw in raw.items():
                values[ename] = _typed(path, f"{where}.expect.{ename}", KEYS[ename], eraw)
        else:
            values[name] = _typed(path, f"{where}.{name}", KEYS[name], raw)
    return values


def _typed(path: Path, where: str, key: Key, raw: Any) -> Any:
    try:
        return key.check(raw)
    except KeyValueError as exc:
        raise ConfigError(f"{path}: {where}: {exc}") from None


def _only_keys(path: Path, where: str, table: Mapping[str, Any], allowed: frozenset[str] | set[str]
               ) -> None:
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            known = ", ".join(sorted(allowed))
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {known})"
            label = f"{where}.{name}" if where else name
            raise ConfigError(f"{path}: unknown key '{label}'{hint}")


def resolve_site(
    name: str,
    config_file: ConfigFile | None,
    options: Mapping[str, Any],
    environ: Mapping[str, str],
    lab_profile: Mapping[str, Any] | None = None,
) -> SiteSettings:
    """Resolve the settings of site ``name`` from all origins.

    :param options: command-line values by key name (None when not given).
    :param lab_profile: the lab's profile when ``name`` is a lab site; its source keys
        cannot be overridden (a lab site always talks to its own stand-ins).
    """
    if lab_profile is not None:
        base, base_origin = dict(lab_profile), "lab"
    elif config_file is not None and name in config_file.profiles:
        base, base_origin = config_file.profiles[name], config_file.label
    else:
        known = sorted(config_file.profiles) if config_file else []
        where = f"in {config_file.path}" if config_file else "(no cmaad.toml found)"
        hint = f"; profiles: {', '.join(known)}" if known else ""
        raise ConfigError(
            f"--cm-site={name}: no profile [sites.{name}] {where}{hint}; "
            "use --cm-site=lab for the embedded lab site"
        )
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in KEYS.values():
        locked = lab_profile is not None and key.source is not None
        value, origin = _pick(key, options, environ, base, base_origin, locked)
        if value is not None:
            values[key.name], origins[key.name] = value, origin
    if "site_code" not in values and SITE_CODE_RE.match(name):
        values["site_code"], origins["site_code"] = name.upper(), "profile name"
    scenario = (name.partition(":")[2] or "healthy") if lab_profile is not None else None
    return SiteSettings(name, values, origins, lab_scenario=scenario)


def _pick(
    key: Key,
    options: Mapping[str, Any],
    environ: Mapping[str, str],
    base: Mapping[str, Any],
    base_origin: str,
    locked: bool,
) -> tuple[Any, str]:
    if not locked:
        given = options.get(key.name)
        if given is not None:
            return _typed_text(key, given, key.flag), "option"
        if environ.get(key.env):
            return _typed_text(key, environ[key.env], key.env), "env"
    if key.name in base:
        return base[key.name], base_origin
    return key.default, "default"


def _typed_text(key: Key, text: Any, where: str) -> Any:
    try:
        return key.parse_text(text) if isinstance(text, str) else key.check(text)
    except KeyValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


_SECRET_RE = re.compile(r"(?i)\b(pwd|password)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)")
# user:password@ in a URL (host URLs such as winrm://user:pw@host:5986)
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/:@\s]*):[^@\s]*@")


def redact(text: str) -> str:
    """Hide passwords in a connection string, a URL or a message."""
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}:***@", text)
    return _SECRET_RE.sub(lambda m: f"{m.group(1)}=***", text)
