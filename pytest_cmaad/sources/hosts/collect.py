"""Gather the hosts source's facts: every configured host, a few commands each.

Per host: one command for its name and folders, one that reads the end of each log, and, on
clients, ``dsregcmd /status``. Hosts are asked in parallel; one that does not answer, or a
command it refuses, spoils only that host's facts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ...facts import DsregReport, Fact, HostLog, HostReport, HostsReport, LogFolder, Problem
from ...parsers.cmlog import LogEntry, decode_log, merge_rotated, parse_log
from ...parsers.dsregcmd import parse_dsregcmd
from ...snapshot import SourceState
from . import plan, signals
from .connect import describe_failure, open_host, platform_of
from .scripts import (
    NOT_FOUND_EXIT,
    CommandFailed,
    FileTail,
    Platform,
    first_line,
    join,
    read_tails,
    read_values,
)
from .urls import HostUrl, HostUrlError, parse_host_url, shown_url, unique_labels

if TYPE_CHECKING:
    from datetime import datetime

    from ...sites import Site, SourceResult

SOURCE = "hosts"
MAX_PARALLEL = 8
# dsregcmd sections whose lines are kept in the snapshot.
DSREG_SECTIONS = ("Device State", "Device Details", "Tenant Details", "SSO State")
DSREG_KEYS_MAX = 60

Opener = Callable[[HostUrl, int], Any]


def gather_hosts(
    client_hosts: list[str],
    server_hosts: list[str],
    timeout: int,
    log_bytes: int,
    opener: Opener = open_host,
) -> tuple[HostsReport, dict[str, list[str]], float, int]:
    """Ask every host; return the report, the objects per kind, seconds and commands run."""
    started = time.perf_counter()
    jobs: list[tuple[str, str, HostUrl]] = []
    unusable: list[HostReport] = []
    for kind, urls in (("client", client_hosts), ("server", server_hosts)):
        parsed: list[HostUrl] = []
        for url in dict.fromkeys(urls):
            try:
                parsed.append(parse_host_url(url))
            except HostUrlError as exc:
                shown = shown_url(url)
                unusable.append(HostReport(id=shown, kind=kind, address=shown, problem=_problem(
                    f"hosts {shown}: bad host URL: {exc}; fix it in {kind}_hosts")))
        jobs.extend((kind, label, host)
                    for label, host in zip(unique_labels(parsed), parsed, strict=True))
    counter = _Counter()
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(jobs) or 1))) as pool:
        reports = list(pool.map(
            lambda job: _one_host(job[0], job[1], job[2], timeout, log_bytes, opener, counter),
            jobs))
    reports.extend(unusable)
    report = HostsReport(
        log_bytes=log_bytes,
        clients=[r for r in reports if r.kind == "client"],
        servers=[r for r in reports if r.kind == "server"],
    )
    objects = {"client": [r.id for r in report.clients], "server": [r.id for r in report.servers]}
    return report, {k: v for k, v in objects.items() if v}, time.perf_counter() - started, (
        counter.value)


def collect_hosts(site: Site, now: datetime) -> SourceResult:
    """The hosts source: the profile's client and server hosts (the lab's own for lab sites).

    A host that does not answer is a problem inside the fact, for that host's checks only.
    """
    from ...sites import SourceResult

    settings = site.settings
    opener: Opener = site.lab.hosts.open if site.lab is not None and site.lab.hosts else (
        open_host)
    report, objects, seconds, commands = gather_hosts(
        list(settings.get("client_hosts") or []), list(settings.get("server_hosts") or []),
        int(settings.get("host_timeout")), int(settings.get("host_log_bytes")), opener)
    down = sum(1 for h in [*report.clients, *report.servers] if h.problem is not None)
    description = (f"{len(report.clients)} clients, {len(report.servers)} site systems"
                   + (f" ({down} not answering)" if down else ""))
    state = SourceState(state="ok", description=description, queries=commands,
                        seconds=round(seconds, 3))
    return SourceResult({"hosts": Fact(source=SOURCE, value=report)}, state, objects)


class _Counter:
    """Commands run, over all threads."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def wrap(self, connection: Any) -> Any:
        """``connection`` with every ``run`` counted."""
        counter = self

        class Counted:
            def run(self, command: str, *args: str) -> Any:
                with counter._lock:
                    counter.value += 1
                return connection.run(command, *args)

        return Counted()


def _one_host(kind: str, label: str, host: HostUrl, timeout: int, log_bytes: int,
              opener: Opener, counter: _Counter) -> HostReport:
    base = HostReport(id=label, kind=kind, address=host.address)
    try:
        connection = counter.wrap(opener(host, timeout))
        platform = platform_of(host, connection)
        values = read_values(connection, platform, plan.ENV_NAMES,
                             plan.REGISTRY if platform == "windows" else ())
    except CommandFailed as exc:
        return base.model_copy(update={"problem": _problem(
            f"hosts {label}: {exc}; check that {host.address} runs commands for this user")})
    except Exception as exc:  # any backend error is this host's problem only
        return base.model_copy(update={"problem": _problem(describe_failure(host, exc, timeout))})
    name = values.get("COMPUTERNAME") or values.get("UNAME") or None
    update: dict[str, Any] = {"computer_name": name, "platform": platform}
    roles = plan.CLIENT_ROLES if kind == "client" else plan.SERVER_ROLES
    try:
        update["folders"], update["logs"] = _read_logs(connection, platform, values, roles,
                                                       log_bytes)
    except CommandFailed as exc:
        update["logs_problem"] = _problem(f"hosts {label}: {exc}")
    except Exception as exc:
        update["logs_problem"] = _problem(describe_failure(host, exc, timeout))
    if kind == "client":
        try:
            update["dsregcmd"] = _dsregcmd(connection, label)
        except CommandFailed as exc:
            update["dsregcmd_problem"] = _problem(str(exc))
        except Exception as exc:
            update["dsregcmd_problem"] = _problem(describe_failure(host, exc, timeout))
    return base.model_copy(update=update)


def _problem(message: str) -> Problem:
    return Problem(source=SOURCE, message=message)


def _read_logs(connection: Any, platform: Platform, values: dict[str, str],
               roles: tuple[plan.Role, ...], log_bytes: int
               ) -> tuple[list[LogFolder], list[HostLog]]:
    folders_by_role: dict[str, list[str]] = {}
    paths: list[str] = []
    for role in roles:
        folders = _candidates(platform, role, values)
        folders_by_role[role.name] = folders
        for folder in folders:
            paths.extend(join(platform, folder, log) for log in role.logs)
    paths = list(dict.fromkeys(paths))
    tails = {t.path: t for t in read_tails(connection, platform, paths, log_bytes)}
    found_folders: list[LogFolder] = []
    logs: list[HostLog] = []
    for role in roles:
        chosen: str | None = None
        for folder in folders_by_role[role.name]:
            if any(tails[join(platform, folder, log)].status != "missing" for log in role.logs):
                chosen = folder
                break
        found_folders.append(LogFolder(role=role.name, path=chosen,
                                       looked=folders_by_role[role.name]))
        if chosen is None:
            continue
        for log in role.logs:
            tail = tails[join(platform, chosen, log)]
            if tail.status != "missing":
                logs.append(_host_log(log, tail, log_bytes))
    return found_folders, logs


def _candidates(platform: Platform, role: plan.Role, values: dict[str, str]) -> list[str]:
    folders: list[str] = []
    for parts in role.candidates:
        resolved: list[str] = []
        for part in parts:
            if part.startswith("%") and part.endswith("%"):
                value = values.get(part.strip("%"), "")
                if not value:
                    break
                resolved.append(value)
            else:
                resolved.append(part)
        else:
            folders.append(join(platform, *resolved))
    return list(dict.fromkeys(folders))


def _host_log(name: str, tail: FileTail, log_bytes: int) -> HostLog:
    if tail.status == "error":
        return HostLog(name=name, path=tail.path, size=0, bytes_read=0, entries=0,
                       first_time=None, last_time=None, problem=tail.error)
    current = _entries(tail.data, cut=len(tail.data) < tail.size)
    older: list[LogEntry] = []
    if tail.rotated_data:
        older = _entries(tail.rotated_data, cut=len(tail.rotated_data) < tail.rotated_size)
    merged = merge_rotated(older, current) if older else current
    from_rotated = {id(e) for e in older}
    rotated = {seq for seq, entry in enumerate(merged) if id(entry) in from_rotated}
    counts, lines = signals.extract(name, merged, rotated)
    times = [e.time for e in merged if e.time is not None]
    return HostLog(
        name=name, path=tail.path, size=tail.size,
        bytes_read=len(tail.data) + len(tail.rotated_data), rotated_bytes=len(tail.rotated_data),
        entries=len(merged), first_time=min(times, default=None),
        last_time=max(times, default=None), counts=counts, lines=lines)


def _entries(data: bytes, cut: bool) -> list[LogEntry]:
    text = decode_log(data)
    if cut:
        # The tail starts inside an entry: drop the partial first line.
        text = text.partition("\n")[2]
    return parse_log(text)


def _dsregcmd(connection: Any, label: str) -> DsregReport:
    result = connection.run("dsregcmd /status")
    if result.rc in NOT_FOUND_EXIT:
        raise CommandFailed(f"hosts {label}: dsregcmd is not on this host (exit {result.rc}); "
                            "it ships with Windows 10 and later")
    if result.rc != 0:
        raise CommandFailed(f"hosts {label}: dsregcmd /status failed (exit {result.rc}: "
                            f"{first_line(result)}); run it as a user allowed to")
    status = parse_dsregcmd(decode_log(result.stdout_bytes).replace("\r\n", "\n"))
    if status.azure_ad_joined is None and not status.sections:
        raise CommandFailed(f"hosts {label}: dsregcmd /status printed nothing this version "
                            "of pytest-cmaad recognises")
    keys: dict[str, str] = {}
    for section in DSREG_SECTIONS:
        for key, value in status.sections.get(section, {}).items():
            if len(keys) < DSREG_KEYS_MAX:
                keys[f"{section}/{key}"] = value
    return DsregReport(
        azure_ad_joined=status.azure_ad_joined, domain_joined=status.domain_joined,
        enterprise_joined=status.enterprise_joined, device_id=status.device_id,
        tenant_id=status.tenant_id, tenant_name=status.get("TenantName"), keys=keys)
