"""Configuration: config files, profiles, precedence, origins and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_cmaad.config import ConfigError, find_config_file, redact, resolve_site

GUID = "6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6"
NO_OPTIONS: dict[str, object] = {}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path, explicit: str | None = None):  # type: ignore[no-untyped-def]
    return find_config_file(explicit, folder, folder)


def test_profile_from_cmaad_toml(tmp_path: Path) -> None:
    """A profile's keys and expectations are read and typed."""
    write(tmp_path, "cmaad.toml", f"""
[sites.PS1]
sql = "DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=cm-sql01;DATABASE=CM_PS1"
management_points = ["https://mp01.contoso.com"]
[sites.PS1.expect]
registered_ratio_min = 0.9
group_sync = {{ "ps100010" = "{{{GUID.upper()}}}" }}
""")
    settings = resolve_site("PS1", load(tmp_path), NO_OPTIONS, {})
    assert settings.site_code == "PS1"
    assert settings.origins["site_code"] == "profile name"
    assert settings.get("registered_ratio_min") == 0.9
    assert settings.get("group_sync") == {"PS100010": GUID}
    assert settings.get("management_points") == ["https://mp01.contoso.com"]
    assert settings.origins["sql"] == "cmaad.toml"
    assert settings.get("sync_max_age_minutes") == 30
    assert settings.origins["sync_max_age_minutes"] == "default"
    assert settings.configured("sql") and settings.configured("mp")
    assert not settings.configured("graph")


def test_precedence_option_over_env_over_file_over_default(tmp_path: Path) -> None:
    """CLI > environment > config file > default, each value with its origin."""
    write(tmp_path, "cmaad.toml", "[sites.PS1]\nsql_query_timeout = 10\nsql_login_timeout = 5\n"
          "[sites.PS1.expect]\nsync_max_age_minutes = 20\n")
    settings = resolve_site(
        "PS1", load(tmp_path),
        {"sql_query_timeout": "99"},
        {"CMAAD_SQL_QUERY_TIMEOUT": "50", "CMAAD_SQL_LOGIN_TIMEOUT": "7",
         "CMAAD_MANAGEMENT_POINTS": "https://a, https://b"},
    )
    assert (settings.get("sql_query_timeout"), settings.origins["sql_query_timeout"]) == (
        99, "option")
    assert (settings.get("sql_login_timeout"), settings.origins["sql_login_timeout"]) == (7, "env")
    assert settings.get("management_points") == ["https://a", "https://b"]
    assert (settings.get("sync_max_age_minutes"), settings.origins["sync_max_age_minutes"]) == (
        20, "cmaad.toml")
    assert settings.origins["secret_expiry_warn_days"] == "default"


def test_pyproject_tool_table(tmp_path: Path) -> None:
    """[tool.cmaad] in pyproject.toml holds profiles when there is no cmaad.toml."""
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n[tool.cmaad.sites.PS2]\n"
          "site_code = 'PS2'\n")
    found = load(tmp_path)
    assert found is not None and found.path.name == "pyproject.toml"
    assert resolve_site("PS2", found, NO_OPTIONS, {}).origins["site_code"] == "pyproject.toml"


def test_pyproject_without_tool_table_is_no_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert load(tmp_path) is None


def test_cmaad_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.cmaad.sites.A]\n")
    write(tmp_path, "cmaad.toml", "[sites.B]\n")
    found = load(tmp_path)
    assert found is not None and set(found.profiles) == {"B"}


def test_lab_source_keys_cannot_be_overridden() -> None:
    """A lab site always talks to its own stand-ins; its expectations can still be tuned."""
    settings = resolve_site(
        "lab", None, {"sql": "DRIVER={x}", "registered_ratio_min": "0.5"},
        {"CMAAD_SQL": "DRIVER={y}"}, lab_profile={"sql": "sqlite3:/lab.db", "site_code": "LAB"})
    assert (settings.get("sql"), settings.origins["sql"]) == ("sqlite3:/lab.db", "lab")
    assert (settings.get("registered_ratio_min"), settings.origins["registered_ratio_min"]) == (
        0.5, "option")
    assert settings.lab_scenario == "healthy"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sites.PS1]\nsqll = 'x'\n",
         "cmaad.toml: unknown key 'sites.PS1.sqll' (did you mean 'sql'?)"),
        ("[sites.PS1.expect]\nregistered_ratio = 0.5\n",
         "cmaad.toml: unknown key 'sites.PS1.expect.registered_ratio' (did you mean "
         "'registered_ratio_min'?)"),
        ("[site.PS1]\n", "cmaad.toml: unknown key 'site' (did you mean 'sites'?)"),
        ("[sites.PS1]\nsql = \n", "cmaad.toml: invalid TOML: "),
        ("[sites.PS1]\nsql_login_timeout = 'soon'\n",
         "cmaad.toml: sites.PS1.sql_login_timeout: expected a positive whole number, "
         "got 'soon'"),
        ("[sites.PS1]\nauth = 'password'\n", "cmaad.toml: sites.PS1.auth: expected one of "
         "client-secret, certificate, managed-identity, device-code, got 'password'"),
        ("[sites.PS1.expect]\ngroup_sync = { PS100010 = 'not-a-guid' }\n",
         "cmaad.toml: sites.PS1.expect.group_sync: PS100010: expected an Entra group object id "
         "(GUID), got 'not-a-guid'"),
        ("[sites.PS1]\nsite_code = 'PS12'\n",
         "cmaad.toml: sites.PS1.site_code: expected a three-character site code, got 'PS12'"),
        ("[sites.lab]\n", "cmaad.toml: sites.lab: 'lab' is the embedded lab site; rename it"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "cmaad.toml", text)
    with pytest.raises(ConfigError) as error:
        load(tmp_path)
    assert message in str(error.value)
    assert str(tmp_path / "cmaad.toml") in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_site_lists_profiles(tmp_path: Path) -> None:
    write(tmp_path, "cmaad.toml", "[sites.PS1]\n[sites.PS2]\n")
    with pytest.raises(ConfigError, match=r"no profile \[sites\.PS3\] in .*; profiles: PS1, PS2"):
        resolve_site("PS3", load(tmp_path), NO_OPTIONS, {})


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    write(tmp_path, "cmaad.toml", "[sites.PS1]\n")
    with pytest.raises(ConfigError, match=r"^CMAAD_GROUP_SYNC: expected COLLECTIONID=GROUPID"):
        resolve_site("PS1", load(tmp_path), NO_OPTIONS, {"CMAAD_GROUP_SYNC": "PS100010"})


def test_group_sync_from_environment(tmp_path: Path) -> None:
    write(tmp_path, "cmaad.toml", "[sites.PS1]\n")
    settings = resolve_site("PS1", load(tmp_path), NO_OPTIONS,
                            {"CMAAD_GROUP_SYNC": f"ps100010={GUID},PS100011={{{GUID}}}"})
    assert settings.get("group_sync") == {"PS100010": GUID, "PS100011": GUID}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("DRIVER={x};SERVER=s;UID=u;PWD=s3cret;Encrypt=yes",
         "DRIVER={x};SERVER=s;UID=u;PWD=***;Encrypt=yes"),
        ("Server=s;Password={a;b}}c};x=1", "Server=s;Password=***;x=1"),
        ("server=s;pwd = hunter2", "server=s;pwd=***"),
    ],
)
def test_redact_hides_passwords(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_header_redacts_the_password(pytester: pytest.Pytester) -> None:
    """A password in a profile's connection string never reaches the terminal."""
    pytester.makefile(".toml", cmaad="[sites.PS1]\nsql = 'DRIVER={FreeTDS};SERVER=127.0.0.1;"
                      "PORT=1;DATABASE=CM_PS1;UID=cm;PWD=Sup3r-Secret'\n")
    result = pytester.runpytest("--cm-site=PS1", "--collect-only")
    result.stdout.fnmatch_lines(["  sql = DRIVER={FreeTDS};SERVER=127.0.0.1;PORT=1;"
                                 "DATABASE=CM_PS1;UID=cm;PWD=*** (cmaad.toml)"])
    assert "Sup3r-Secret" not in result.stdout.str() + result.stderr.str()
