"""The pytest plugin: options, site selection, the built-in suite, and JUnit properties."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from .catalog import CATALOG, STEPS
from .config import ConfigError, find_config_file, redact, resolve_site
from .fixtures import cm_object, cm_site, cm_snapshot, cm_sql, cm_verdict  # noqa: F401
from .keys import PROFILE_KEYS
from .lab import LAB_SQL_MODES, SCENARIOS, LabSite, parse_lab_site
from .outputs import add_output_options, configure_outputs, option, replay_sites, select
from .parallel import register_xdist, shipped_sites
from .sites import Site
from .stash import RUN_KEY, Run

SUITE = Path(__file__).parent / "suite"
SUITE_PREFIX = "cmaad"
SUITE_MODULES = ("test_onboarding.py", "test_discovery.py", "test_communication.py",
                 "test_registration.py", "test_sync.py", "test_hosts.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--cm-*`` options and ``cm_*`` ini keys."""
    group = parser.getgroup("cmaad", "Configuration Manager to Entra ID group sync (pytest-cmaad)")
    group.addoption("--cm-site", action="append", dest="cm_site", metavar="NAME", default=None,
                    help="Check site NAME (a [sites.NAME] profile, lab or lab:SCENARIO); repeat "
                         "for several sites")
    group.addoption("--cm-config", dest="cm_config", metavar="PATH", default=None,
                    help="Config file (default: cmaad.toml, or [tool.cmaad] in pyproject.toml)")
    group.addoption("--cm-no-builtin", action="store_true", dest="cm_no_builtin", default=None,
                    help="Do not collect the built-in check suite")
    group.addoption("--cm-lab-list", action="store_true", dest="cm_lab_list", default=False,
                    help="List the lab scenarios and exit")
    group.addoption("--cm-lab-sql", dest="cm_lab_sql", choices=LAB_SQL_MODES, default=None,
                    help="How the lab's database is reached: sqlite3 (default) or odbc "
                         "(pyodbc and the SQLite3 ODBC driver); tds serves it over TDS with "
                         "TLS to Microsoft ODBC Driver 18; none leaves sql unset, so the "
                         "AdminService is the only source of site data")
    group.addoption("--cm-lab-devices", dest="cm_lab_devices", type=int, metavar="N",
                    default=None, help="Active clients in the lab (default 300)")
    group.addoption("--cm-lab-collections", dest="cm_lab_collections", type=int, metavar="N",
                    default=None, help="Collections in the lab besides All Systems (default 4)")
    add_output_options(group, parser)
    for key in PROFILE_KEYS:
        group.addoption(key.flag, dest=key.dest, metavar=key.metavar, default=None,
                        help=f"{key.help} (env {key.env})")
    parser.addini("cm_site", "Sites to check when --cm-site is not given", type="args")
    parser.addini("cm_config", "Config file of pytest-cmaad")
    parser.addini("cm_no_builtin", "Do not collect the built-in check suite", type="bool",
                  default=False)
    parser.addini("cm_lab_sql", "How the lab's database is reached (sqlite3, odbc, tds, none)",
                  default="sqlite3")
    parser.addini("cm_lab_devices", "Active clients in the lab", default="300")
    parser.addini("cm_lab_collections", "Collections in the lab", default="4")


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--cm-lab-list``: print the lab scenarios and stop."""
    if not config.option.cm_lab_list:
        return None
    width = max(len(name) for name in SCENARIOS)
    print("lab scenarios (pytest --cm-site=lab:SCENARIO):")
    for name, scenario in SCENARIOS.items():
        print(f"  {name:<{width}}  {scenario.summary}")
    return 0


def pytest_configure(config: pytest.Config) -> None:
    """Resolve the selected sites; build the lab sites; point collection at the suite."""
    config.addinivalue_line(
        "markers",
        "cmaad_check(check_id, *, severity=None, step=None): the check a test implements; "
        "its id, severity, step and site become JUnit properties",
    )
    names = config.option.cm_site or config.getini("cm_site")
    if not names and not option(config, "cm_replay"):
        given = [f"--{n.replace('_', '-')}" for n in ("cm_evidence", "cm_waivers", "cm_fail_on")
                 if getattr(config.option, n, None)]
        if given:
            raise pytest.UsageError(f"{given[0]} needs sites: add --cm-site=NAME (or "
                                    "--cm-replay FILE)")
        return
    try:
        run = _make_run(config, list(names))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_KEY] = run
    configure_outputs(config, run)
    register_xdist(config)
    if run.builtin and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = []


def _option(config: pytest.Config, dest: str, ini: str) -> Any:
    value = getattr(config.option, dest)
    return value if value is not None else config.getini(ini)


def _make_run(config: pytest.Config, names: list[str]) -> Run:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"--cm-site: {', '.join(duplicates)} given more than once")
    explicit = config.option.cm_config or os.environ.get("CMAAD_CONFIG") or config.getini(
        "cm_config") or None
    config_file = find_config_file(explicit, config.rootpath, config.invocation_params.dir)
    options = {key.name: getattr(config.option, key.dest) for key in PROFILE_KEYS}
    builtin = not (config.option.cm_no_builtin or config.getini("cm_no_builtin"))
    run = Run(sites={}, config_file=config_file, builtin=builtin)
    # Replayed or shipped by the pytest-xdist controller: nothing is built or contacted.
    ready = shipped_sites(config)
    ready = select(ready, names, "the controller") if ready is not None else replay_sites(
        config, names)
    if ready is not None:
        run.sites = ready
        return run
    for name in names:
        try:
            scenario = parse_lab_site(name)
        except KeyError as exc:
            raise ConfigError(str(exc.args[0])) from None
        lab = None
        if scenario is not None:
            if run.scratch is None:
                run.scratch = tempfile.TemporaryDirectory(prefix="cmaad-lab-")
            lab = LabSite.build(
                scenario, Path(run.scratch.name) / name.replace(":", "-"),
                sql_mode=_option(config, "cm_lab_sql", "cm_lab_sql"),
                devices=_positive(config, "cm_lab_devices"),
                collections=_positive(config, "cm_lab_collections"))
        settings = resolve_site(name, config_file, options, os.environ,
                                lab.profile() if lab else None)
        run.sites[name] = Site(settings, lab)
    return run


def _positive(config: pytest.Config, name: str) -> int:
    value = _option(config, name, name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ConfigError(f"--{name.replace('_', '-')}: expected a positive number, got {value!r}")
    return number


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the lab sites and remove their scratch folder."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    for site in run.sites.values():
        if site.lab is not None:
            site.lab.close()
    if run.scratch is not None:
        run.scratch.cleanup()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """Which sites, which sources, and where each setting came from (never a secret)."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    where = f"config {run.config_file.path}" if run.config_file else "no config file"
    lines = [f"cmaad: {len(run.sites)} site(s), {where}, built-in suite "
             f"{'on' if run.builtin else 'off'}"]
    verbose = config.get_verbosity() > 0
    for site in run.sites.values():
        lines.extend(_site_header(site, verbose))
    return lines


def _site_header(site: Site, verbose: bool) -> list[str]:
    settings = site.settings
    configured = [s for s in ("sql", "adminservice", "mp", "graph", "hosts")
                  if settings.configured(s)]
    lab = f", lab scenario {site.lab.scenario.name}" if site.lab else ""
    lines = [f"cmaad site {site.name}: site code {settings.site_code or '?'}{lab}, sources: "
             f"{', '.join(configured) or 'none'}"]
    for key in PROFILE_KEYS:
        shown = verbose or settings.origins.get(key.name) != "default"
        if key.name in settings.values and shown:
            lines.append(f"  {key.name} = {_shown(settings.values[key.name])} "
                         f"({settings.origins[key.name]})")
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    if isinstance(value, list):
        return redact(", ".join(value))
    return redact(str(value))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``cm_site`` once per selected site.

    A check that is about each management point, client or site system runs once per object
    the site's snapshot lists (the snapshot is collected for that, once).
    """
    if "cm_site" not in metafunc.fixturenames:
        return
    run = metafunc.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    marker = metafunc.definition.get_closest_marker("cmaad_check")
    check = CATALOG.get(str(marker.args[0])) if marker is not None and marker.args else None
    if check is None or check.per == "site" or "cm_object" not in metafunc.fixturenames:
        names = list(run.sites)
        metafunc.parametrize("cm_site", names, ids=names, indirect=True, scope="session")
        return
    pairs: list[tuple[str, str | None]] = []
    for name, site in run.sites.items():
        found: list[str | None] = [*site.snapshot().objects.get(check.per, [])] or [None]
        pairs.extend((name, obj) for obj in found)
    ids = [name if obj is None else f"{name}-{obj}" for name, obj in pairs]
    metafunc.parametrize(("cm_site", "cm_object"), pairs, ids=ids, indirect=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Add the built-in suite (under ``cmaad/``) in front of any collected tests."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if run.builtin:
        builtin: list[pytest.Item] = []
        for path in (SUITE / name for name in SUITE_MODULES):
            module = pytest.Module.from_parent(session, path=path,
                                               nodeid=f"{SUITE_PREFIX}/{path.name}")
            builtin.extend(i for i in session.genitems(module) if isinstance(i, pytest.Item))
        items[:0] = builtin
    for item in items:
        _add_properties(item)


def _add_properties(item: pytest.Item) -> None:
    marker = item.get_closest_marker("cmaad_check")
    callspec = getattr(item, "callspec", None)
    site = callspec.params.get("cm_site") if callspec is not None else None
    if marker is not None and marker.args:
        check_id = str(marker.args[0])
        check = CATALOG.get(check_id)
        severity = marker.kwargs.get("severity") or (check.severity if check else "medium")
        step = marker.kwargs.get("step") or (check.step if check else "")
        item.user_properties.extend([
            ("cm_check_id", check_id),
            ("cm_severity", severity),
            ("cm_step", f"{step} {STEPS.get(int(step), '')}".strip() if step else ""),
        ])
    if site is not None:
        item.user_properties.append(("cm_site", site))
    obj = callspec.params.get("cm_object") if callspec is not None else None
    if obj is not None:
        item.user_properties.append(("cm_object", obj))
