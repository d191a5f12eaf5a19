"""Steps 4 to 6 on the machines themselves: dsregcmd on sampled clients, and the logs of
clients, management points and the site server.

Each check runs once per host. A host that did not answer, or refused a command, makes only
its own checks errors. A failure quotes what decided it: the dsregcmd key, or the log line
with its time (as written, with the time zone bias) and component.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..facts import (
    ClientRecord,
    HostLog,
    HostReport,
    HostsReport,
    LogFolder,
    LogLine,
    Offender,
    Offenders,
    SiteInfo,
)
from ..sources.hosts import plan
from ..sources.hosts.signals import approval_status
from .registry import Context, evaluator
from .verdict import Verdict

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
AAD_APPROVAL_STATUS = 3


# -- finding the host, its folder and its log ---------------------------------------------


def _host(ctx: Context, kind: str) -> HostReport | Verdict:
    report: HostsReport = ctx.fact("hosts")
    hosts = report.clients if kind == "client" else report.servers
    host = next((h for h in hosts if h.id == ctx.object), None)
    if host is None:
        return ctx.undecided(f"{ctx.object}: not among the {kind} hosts collected", {})
    if host.problem is not None:
        return ctx.undecided(host.problem.message, {"host": host.id, "address": host.address})
    return host


def _folder(host: HostReport, role: str) -> LogFolder | None:
    return next((f for f in host.folders if f.role == role), None)


def _log(host: HostReport, name: str) -> HostLog | None:
    return next((log for log in host.logs if log.name == name), None)


def _latest(log: HostLog, *kinds: str) -> LogLine | None:
    found = [line for line in log.lines if line.kind in kinds]
    return max(found, key=lambda line: line.seq) if found else None


def quote(log: HostLog, line: LogLine) -> str:
    """A log line as a failure or pass message shows it: file, time, component, text."""
    where = f"{log.name[:-4]}.lo_" if line.rotated else log.name
    component = f" {line.component}" if line.component else ""
    return f'{where} {line.raw_time or "(no time)"}{component}: "{line.message}"'


def _observed(host: HostReport, log: HostLog | None, line: LogLine | None = None,
              **extra: Any) -> dict[str, Any]:
    observed: dict[str, Any] = {"host": host.id, "address": host.address,
                                "computer_name": host.computer_name}
    if log is not None:
        observed.update(log=log.name, path=log.path, bytes_read=log.bytes_read,
                        entries=log.entries, counts=dict(log.counts),
                        first_time=log.first_time.isoformat() if log.first_time else None,
                        last_time=log.last_time.isoformat() if log.last_time else None)
    if line is not None:
        observed["line"] = {"time": line.raw_time, "utc": line.time.isoformat()
                            if line.time else None, "component": line.component,
                            "message": line.message}
    observed.update(extra)
    return observed


def _offender(host: HostReport, **values: str | int | bool | None) -> Offenders:
    return Offenders(total=1, sample=[Offender(name=host.id, values=dict(values))])


def _logs_unlisted(ctx: Context, host: HostReport) -> Verdict | None:
    """The error when the host's logs could not be listed at all."""
    if host.logs_problem is None:
        return None
    return ctx.undecided(host.logs_problem.message, _observed(host, None))


def _unreadable(ctx: Context, host: HostReport, log: HostLog) -> Verdict | None:
    """The error when a log is there but could not be read."""
    if log.problem is None:
        return None
    return ctx.undecided(
        f"{host.id}: cannot read {log.path}: {log.problem}; give the account that runs "
        "the checks read access to the ConfigMgr logs", _observed(host, log))


def _no_client_folder(ctx: Context, host: HostReport, folder: LogFolder | None) -> Verdict:
    return ctx.undecided(f"{host.id}: no ConfigMgr client log folder found (looked in "
                         f"{_looked(folder)}); is the ConfigMgr client installed?",
                         _observed(host, None))


def _readable_log(ctx: Context, host: HostReport, role: str, name: str
                  ) -> tuple[HostLog | None, LogFolder | None, Verdict | None]:
    """The log ``name`` of ``role`` on ``host``, or the verdict that says why there is none
    (an error: the folder or the file is missing, or unreadable)."""
    if (unlisted := _logs_unlisted(ctx, host)) is not None:
        return None, None, unlisted
    folder = _folder(host, role)
    if folder is None or folder.path is None:
        return None, folder, None
    log = _log(host, name)
    if log is None:
        return None, folder, ctx.undecided(
            f"{host.id}: no {name} in {folder.path}; check the ConfigMgr "
            f"{'client' if role == 'client' else 'role'} on the host", _observed(host, None))
    return log, folder, _unreadable(ctx, host, log)


def _looked(folder: LogFolder | None) -> str:
    return ", ".join(folder.looked) if folder and folder.looked else "no candidate folder"


def _kib(report: HostsReport) -> str:
    return f"{report.log_bytes // 1024} KiB"


# -- versions -------------------------------------------------------------------------------


def _site_version(ctx: Context) -> str | None:
    fact = ctx.snapshot.facts.site_info
    info: SiteInfo | None = fact.value if fact is not None else None
    return info.version if info is not None else None


def _client_record(ctx: Context, host: HostReport) -> ClientRecord | None:
    fact = ctx.snapshot.facts.sampled_clients
    if fact is None or fact.value is None:
        return None
    names = {n.split(".")[0].upper() for n in (host.computer_name, host.id) if n}
    records: list[ClientRecord] = [r for r in fact.value if r.name.upper() in names]
    return next((r for r in records if r.key_device_id), records[0] if records else None)


def _pick(host: HostReport, candidates: tuple[str, ...], version: str | None,
          expected: str | None) -> tuple[HostLog | None, str]:
    """The log to read among ``candidates``: the one the version writes, or, when the version
    is unknown, the one written last."""
    logs = [log for log in host.logs if log.name in candidates and log.problem is None]
    if expected is not None:
        return _log(host, expected), f"ConfigMgr {version} writes {expected}"
    if not logs:
        return None, "the ConfigMgr version is not known"
    chosen = max(logs, key=lambda log: log.last_time or _EARLIEST)
    return chosen, "the ConfigMgr version is not known: the log written last is read"


# -- CMAAD-601: dsregcmd ---------------------------------------------------------------------


@evaluator("CMAAD-601", "hosts")
def client_joined(ctx: Context) -> Verdict:
    """dsregcmd says Azure AD joined, with the site's device id and the onboarded tenant."""
    host = _host(ctx, "client")
    if isinstance(host, Verdict):
        return host
    if host.dsregcmd_problem is not None:
        return ctx.undecided(host.dsregcmd_problem.message, _observed(host, None))
    status = host.dsregcmd
    assert status is not None
    observed = _observed(host, None, dsregcmd=dict(status.keys))
    joined = status.azure_ad_joined
    if joined is None:
        return ctx.undecided(f"{host.id}: dsregcmd /status printed no AzureAdJoined key",
                             observed)
    domain = {True: "YES", False: "NO", None: "not printed"}[status.domain_joined]
    if not joined:
        return ctx.failed(
            f"{host.id}: dsregcmd /status says AzureAdJoined : NO (DomainJoined : {domain}): "
            "the device has no Azure AD identity, so it cannot get a device token nor register "
            "one with the site", observed,
            _offender(host, AzureAdJoined="NO", DomainJoined=domain))
    facts = ctx.snapshot.facts
    notes: list[str] = []
    onboarded: set[str] = set()
    if facts.tenants is not None and facts.tenants.value is not None:
        onboarded = {t.tenant_id for t in facts.tenants.value if t.tenant_id}
    elif ctx.settings.get("tenant_id"):
        onboarded = {str(ctx.settings.get("tenant_id")).strip("{}").lower()}
    if status.tenant_id is None:
        return ctx.failed(f"{host.id}: dsregcmd /status says AzureAdJoined : YES but prints no "
                          "TenantId", observed, _offender(host, TenantId=None))
    if onboarded and status.tenant_id not in onboarded:
        return ctx.failed(
            f"{host.id}: dsregcmd /status says TenantId : {status.tenant_id} "
            f"({status.tenant_name or 'no TenantName'}), not the tenant onboarded to the site "
            f"({', '.join(sorted(onboarded))}): the site ignores its registration",
            observed, _offender(host, TenantId=status.tenant_id))
    if not onboarded:
        notes.append("TenantId not compared (no onboarded tenant known)")
    record = _client_record(ctx, host)
    observed["site_record"] = record.model_dump() if record else None
    if facts.sampled_clients is None:
        notes.append("DeviceId not compared (set sql to compare it with the site database)")
    elif facts.sampled_clients.problem is not None:
        return ctx.undecided(f"{host.id}: the site's record of the device is not available: "
                             f"{facts.sampled_clients.problem.message}", observed)
    elif record is None:
        notes.append(f"DeviceId not compared: the site database has no active client named "
                     f"{(host.computer_name or host.id).split('.')[0].upper()}")
    else:
        site_device = record.key_device_id
        if site_device is not None and site_device != status.device_id:
            return ctx.failed(
                f"{host.id}: dsregcmd /status says DeviceId : {status.device_id}, but the site "
                f"has AADDeviceID {site_device} for {record.name} (ResourceID "
                f"{record.resource_id}): the device was re-joined or re-imaged and has not "
                "registered its new identity, so the sync writes a stale device",
                observed, _offender(host, DeviceId=status.device_id, AADDeviceID=site_device))
        site_tenant = record.key_tenant_id
        if site_tenant is not None and site_tenant != status.tenant_id:
            return ctx.failed(
                f"{host.id}: dsregcmd /status says TenantId : {status.tenant_id}, but the site "
                f"has AADTenantID {site_tenant} for {record.name}", observed,
                _offender(host, TenantId=status.tenant_id, AADTenantID=site_tenant))
        if site_device is None:
            notes.append(f"the site has no token-registered AADDeviceID for {record.name} yet "
                         "(see CMAAD-602)")
        elif site_tenant is None:
            notes.append(f"the site has no AADTenantID for {record.name} (see CMAAD-402)")
        else:
            notes.append(f"DeviceId and TenantId match the site's AADDeviceID / AADTenantID of "
                         f"{record.name}")
    return ctx.passed(
        f"{host.id}: dsregcmd /status says AzureAdJoined : YES (DomainJoined : {domain}), "
        f"DeviceId : {status.device_id}, TenantId : {status.tenant_id}; " + "; ".join(notes),
        observed)


# -- CMAAD-602 and 603: client logs ----------------------------------------------------------


@evaluator("CMAAD-602", "hosts")
def client_registered_with_aad(ctx: Context) -> Verdict:
    """ClientIDManagerStartup.log's last registration says ``Approval status 3``."""
    host = _host(ctx, "client")
    if isinstance(host, Verdict):
        return host
    log, folder, problem = _readable_log(ctx, host, "client", plan.CLIENT_REGISTRATION_LOG)
    if problem is not None:
        return problem
    if log is None:
        return _no_client_folder(ctx, host, folder)
    registered = _latest(log, "registered")
    if registered is None:
        pending = _latest(log, "not_registered")
        if pending is not None:
            return ctx.failed(
                f"{host.id}: the client is not registered with the site: {quote(log, pending)}",
                _observed(host, log, pending), _offender(host, registration="none"))
        return ctx.nothing_to_check(
            f"{host.id}: no registration in the last {_kib(ctx.fact('hosts'))} of {log.path}")
    status = approval_status(registered)
    observed = _observed(host, log, registered, approval_status=status)
    if status == AAD_APPROVAL_STATUS:
        return ctx.passed(f"{host.id}: registered with Azure AD authentication: "
                          f"{quote(log, registered)}", observed)
    return ctx.failed(
        f"{host.id}: registered without Azure AD authentication (Approval status {status}, "
        f"not {AAD_APPROVAL_STATUS}): {quote(log, registered)}; the site has no trusted "
        "Azure AD device id for it", observed, _offender(host, approval_status=status))


@evaluator("CMAAD-603", "hosts")
def client_token(ctx: Context) -> Verdict:
    """The client's token log ends in a token, not in a WAM or MFA failure."""
    host = _host(ctx, "client")
    if isinstance(host, Verdict):
        return host
    if (unlisted := _logs_unlisted(ctx, host)) is not None:
        return unlisted
    folder = _folder(host, "client")
    if folder is None or folder.path is None:
        return _no_client_folder(ctx, host, folder)
    record = _client_record(ctx, host)
    version = (record.client_version if record else None) or _site_version(ctx)
    expected = plan.token_log_for(plan.build_number(version))
    log, why = _pick(host, plan.TOKEN_LOGS, version, expected)
    if log is None:
        others = [lg.name for lg in host.logs if lg.name in plan.TOKEN_LOGS]
        also = f" ({', '.join(others)} is there, but {why})" if others else ""
        return ctx.nothing_to_check(
            f"{host.id}: no {expected or ' or '.join(plan.TOKEN_LOGS)} in {folder.path}{also}: "
            "the client has not asked for an Azure AD token (see CMAAD-601)")
    if (unreadable := _unreadable(ctx, host, log)) is not None:
        return unreadable
    last = _latest(log, "token_ok", "wam_failure", "mfa_required")
    failures = log.counts.get("wam_failure", 0) + log.counts.get("mfa_required", 0)
    if last is None:
        return ctx.nothing_to_check(
            f"{host.id}: no Azure AD token request in the last {_kib(ctx.fact('hosts'))} of "
            f"{log.path} ({why})")
    observed = _observed(host, log, last, version=version, chosen_because=why)
    if last.kind == "token_ok":
        earlier = f"; {failures} earlier failures were followed by success" if failures else ""
        return ctx.passed(f"{host.id}: the last token request succeeded: {quote(log, last)}"
                          f"{earlier} ({why})", observed)
    fallback = _latest(log, "user_fallback")
    then = (f"; then {quote(log, fallback)}" if fallback and fallback.seq > last.seq else "")
    return ctx.failed(
        f"{host.id}: the last Azure AD token request failed: {quote(log, last)}{then}; "
        f"{failures} failures in the last {_kib(ctx.fact('hosts'))} ({why})",
        observed, _offender(host, log=log.name, kind=last.kind))


# -- CMAAD-604 and 605: management points --------------------------------------------------


def _listed_mp(ctx: Context, host: HostReport) -> bool:
    fact = ctx.snapshot.facts.management_points
    if fact is None or fact.value is None:
        return False
    names = {n.split(".")[0].lower() for n in (host.id, host.computer_name or "") if n}
    return any(mp.server_name.split(".")[0].lower() in names for mp in fact.value)


def _mp_log(ctx: Context, name: str) -> tuple[HostReport, HostLog] | Verdict:
    host = _host(ctx, "server")
    if isinstance(host, Verdict):
        return host
    log, folder, problem = _readable_log(ctx, host, "mp", name)
    if problem is not None:
        return problem
    if log is None:
        where = f"looked in {_looked(folder)}"
        if _listed_mp(ctx, host):
            return ctx.undecided(
                f"{host.id}: the site database lists it as a management point, but no "
                f"{plan.STS_LOG} or {plan.MP_REGISTRATION_LOG} was found ({where}); check "
                "the management point role's logging", _observed(host, None))
        return ctx.not_applicable(f"{host.id} has no management point logs ({where})")
    return host, log


@evaluator("CMAAD-604", "hosts")
def mp_token_service(ctx: Context) -> Verdict:
    """CCM_STS.log's last outcome is a validated Azure AD token, not an exception."""
    found = _mp_log(ctx, plan.STS_LOG)
    if isinstance(found, Verdict):
        return found
    host, log = found
    last = _latest(log, "validated", "exception")
    if last is None:
        return ctx.nothing_to_check(f"{host.id}: no Azure AD token request in the last "
                                    f"{_kib(ctx.fact('hosts'))} of {log.path}")
    observed = _observed(host, log, last)
    exceptions = log.counts.get("exception", 0)
    if last.kind == "validated":
        note = f"; {exceptions} earlier exceptions" if exceptions else ""
        return ctx.passed(f"{host.id}: the token service validates Azure AD tokens: "
                          f"{quote(log, last)}{note}", observed)
    return ctx.failed(
        f"{host.id}: the token service fails: {quote(log, last)}; {exceptions} exceptions and "
        f"{log.counts.get('validated', 0)} validated tokens in the last "
        f"{_kib(ctx.fact('hosts'))}", observed, _offender(host, log=log.name, kind=last.kind))


@evaluator("CMAAD-605", "hosts")
def mp_registrations(ctx: Context) -> Verdict:
    """MP_RegistrationManager.log registers devices with Azure AD auth."""
    found = _mp_log(ctx, plan.MP_REGISTRATION_LOG)
    if isinstance(found, Verdict):
        return found
    host, log = found
    aad = _latest(log, "aad_registration")
    total = log.counts.get("registration", 0)
    if aad is not None:
        return ctx.passed(
            f"{host.id}: {log.counts.get('aad_registration', 0)} registrations with Azure AD "
            f"auth (of {total}); the last: {quote(log, aad)}", _observed(host, log, aad))
    last = _latest(log, "registration")
    if last is None:
        return ctx.nothing_to_check(f"{host.id}: no registration in the last "
                                    f"{_kib(ctx.fact('hosts'))} of {log.path}")
    return ctx.failed(
        f"{host.id}: {total} registrations in the last {_kib(ctx.fact('hosts'))}, none with "
        f"Azure AD auth (no 'Registering device using AAD auth'); the last: {quote(log, last)}",
        _observed(host, log, last), _offender(host, log=log.name, registrations=total))


# -- CMAAD-606: the sync log ---------------------------------------------------------------


@evaluator("CMAAD-606", "hosts")
def sync_log(ctx: Context) -> Verdict:
    """The sync log's last outcome is a success, not a secret error."""
    host = _host(ctx, "server")
    if isinstance(host, Verdict):
        return host
    if (unlisted := _logs_unlisted(ctx, host)) is not None:
        return unlisted
    folder = _folder(host, "site")
    if folder is None or folder.path is None:
        return ctx.not_applicable(
            f"{host.id} has no sync log ({' or '.join(plan.SYNC_LOGS)}; looked in "
            f"{_looked(folder)}): it is not the site server or service connection point")
    version = _site_version(ctx)
    expected = plan.sync_log_for(plan.build_number(version))
    log, why = _pick(host, plan.SYNC_LOGS, version, expected)
    if log is None:
        others = ", ".join(lg.name for lg in host.logs if lg.name in plan.SYNC_LOGS)
        return ctx.undecided(
            f"{host.id}: no {expected} in {folder.path} ({why}; found only {others}, which "
            "this version no longer writes); check the site's version and logging",
            _observed(host, None, version=version))
    if (unreadable := _unreadable(ctx, host, log)) is not None:
        return unreadable
    last = _latest(log, "success", "secret_error", "secret_rejected")
    if last is None:
        return ctx.nothing_to_check(f"{host.id}: no sync outcome in the last "
                                    f"{_kib(ctx.fact('hosts'))} of {log.path} ({why})")
    observed = _observed(host, log, last, version=version, chosen_because=why)
    errors = log.counts.get("secret_error", 0) + log.counts.get("secret_rejected", 0)
    if last.kind == "success":
        note = f"; {errors} earlier secret errors" if errors else ""
        return ctx.passed(f"{host.id}: the last sync succeeded: {quote(log, last)}{note} "
                          f"({why})", observed)
    return ctx.failed(
        f"{host.id}: the sync cannot use the server app's secret: {quote(log, last)}; "
        f"{errors} such errors in the last {_kib(ctx.fact('hosts'))} ({why})",
        observed, _offender(host, log=log.name, kind=last.kind))
