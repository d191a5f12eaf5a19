"""Management points over real HTTP and TLS: verification, client certificates, GET only."""

from __future__ import annotations

import ssl
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import run_lab

from pytest_cmaad.checks import evaluate
from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.parsers.mplist import MpListError, parse_mplist
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.sources.mp import targets_from_urls
from pytest_cmaad.stash import RUN_KEY

NOW = datetime.now(timezone.utc)


@pytest.fixture
def lab(tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    scenario = getattr(request, "param", "healthy")
    site = LabSite.build(SCENARIOS[scenario], tmp_path / scenario)
    yield site
    site.close()


def site_with(lab: LabSite, **changes: object) -> Site:
    profile = {**lab.profile(), **changes}
    profile = {k: v for k, v in profile.items() if v is not None}
    return Site(resolve_site("lab", None, {}, {}, profile), lab)


class GetOnly:
    """Collects what the lab's MPs received during a pytest run."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        run = session.config.stash[RUN_KEY]
        for site in run.sites.values():
            assert site.lab is not None and site.lab.mps is not None
            self.requests.extend(site.lab.mps.log.entries)


def test_a_full_run_sends_only_gets(pytester: pytest.Pytester) -> None:
    """Every request that reached the lab's management points was a GET."""
    record = GetOnly()
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest("--cm-site=lab", "--cm-site=lab:mp-binding-forbidden",
                                f"--junitxml={junit}", "-p", "no:cacheprovider",
                                plugins=[record])
    assert result.ret == 1
    methods = {method for method, _, _ in record.requests}
    assert methods == {"GET"}
    paths = {path for _, _, path in record.requests}
    assert {"/SMS_MP/.sms_aut?MPLIST", "/SMS_MP/.sms_aut?MPCERT",
            "/SMS_MP/.sms_aut?MPKEYINFORMATION", "/CCM_STS"} <= paths
    assert len(record.requests) >= 20


def test_verification_is_real(pytester: pytest.Pytester) -> None:
    """Without the lab's CA the same MPs' certificates cannot be decided: an error, no pass."""
    system = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    report = run_lab(pytester, "--cm-site=lab", f"--cm-ca-bundle={system}")
    cases = [c for c in report.cases if c.properties["cm_check_id"] == "CMAAD-303"]
    assert [c.outcome for c in cases] == ["error", "error"]
    for case in cases:
        assert "does not verify: unable to get local issuer certificate" in case.message
        assert "set ca_bundle to the CA that issued it" in case.message
    assert report.with_worst("passed") >= {"CMAAD-302", "CMAAD-304", "CMAAD-305"}


def test_environment_ca_variables_do_not_override_the_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE do not replace the configured ca_bundle."""
    system = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", system)
    monkeypatch.setenv("CURL_CA_BUNDLE", system)
    report = run_lab(pytester, "--cm-site=lab")
    assert report.with_worst("passed") >= {"CMAAD-302", "CMAAD-303", "CMAAD-304"}


@pytest.mark.parametrize("lab", ["mp-client-auth"], indirect=True)
def test_client_certificate_required_and_missing_is_an_error(lab: LabSite) -> None:
    site = site_with(lab, mp_client_cert=None)
    snapshot = collect_snapshot(site, NOW)
    verdict = evaluate("CMAAD-302", site.settings, snapshot, "mp02.lab.contoso.test")
    assert verdict.outcome == "error"
    assert "requires a client certificate and none is configured — set mp_client_cert" in (
        verdict.message)
    reports = snapshot.facts.mp_reports
    assert reports is not None and reports.value is not None
    mp02 = next(r for r in reports.value.reports if r.name == "mp02.lab.contoso.test")
    assert mp02.client_cert_required
    assert mp02.mpkeyinfo is not None and mp02.mpkeyinfo.status == 403
    mp01 = evaluate("CMAAD-302", site.settings, snapshot, "mp01.lab.contoso.test")
    assert mp01.outcome == "passed"


def test_lists_that_disagree_fail_naming_the_gap(lab: LabSite) -> None:
    assert lab.mps is not None
    mp01_urls = [u for u in lab.mps.urls if "mp01" in u]
    site = site_with(lab, management_points=mp01_urls)
    snapshot = collect_snapshot(site, NOW)
    assert snapshot.objects["mp"] == ["mp01.lab.contoso.test"]
    verdict = evaluate("CMAAD-305", site.settings, snapshot)
    assert verdict.outcome == "failed"
    assert verdict.message == ("the management point lists disagree: management_points lacks "
                               "mp02.lab.contoso.test")


@pytest.mark.parametrize("lab", ["mp-cert-expired", "mp-wrong-name"], indirect=True)
def test_certificate_failures_name_the_mp_port_and_tls_fact(lab: LabSite) -> None:
    site = site_with(lab)
    snapshot = collect_snapshot(site, NOW)
    failed = [evaluate("CMAAD-303", site.settings, snapshot, name)
              for name in snapshot.objects["mp"]]
    (verdict,) = [v for v in failed if v.outcome == "failed"]
    assert verdict.message.startswith("the site says Enhanced HTTP (IISSSLState 1248, "
                                      "CMAAD-301), but mp0")
    assert ".lab.contoso.test:" in verdict.message
    if lab.scenario.name == "mp-cert-expired":
        assert "certificate expired on 20" in verdict.message
    else:
        assert "its certificate is for mp99.lab.contoso.test, not mp02.lab.contoso.test" in (
            verdict.message)


def test_management_point_urls_group_by_host() -> None:
    targets = targets_from_urls(["https://MP01.contoso.com", "http://mp01.contoso.com:8080/",
                                 "http://mp02.contoso.com"])
    assert [(t.name, t.http_url, t.https_url) for t in targets] == [
        ("mp01.contoso.com", "http://mp01.contoso.com:8080", "https://MP01.contoso.com"),
        ("mp02.contoso.com", "http://mp02.contoso.com", "https://mp02.contoso.com"),
    ]
    with pytest.raises(ValueError, match="is not an http:// or https:// URL"):
        targets_from_urls(["mp01.contoso.com"])


MPLIST = ('<MPList><MP Name="MP01" FQDN="MP01.contoso.com" SiteCode="PS1"><Version>9128'
          '</Version><Capabilities SchemaVersion="1.0"/></MP>'
          '<MP Name="MP02" FQDN="mp02.contoso.com" SiteCode="PS1"><Version>9128</Version></MP>'
          "</MPList>")


def test_mplist_parser() -> None:
    entries = parse_mplist("\ufeff" + MPLIST)
    assert [(e.fqdn, e.site_code, e.version) for e in entries] == [
        ("mp01.contoso.com", "PS1", "9128"), ("mp02.contoso.com", "PS1", "9128")]


@pytest.mark.parametrize(("text", "reason"), [
    ("<html><body>403 - Forbidden</body></html>", "an HTML page"),
    (MPLIST[:60], "not well-formed XML"),
    ("<MPKEYINFORMATION/>", "a <MPKEYINFORMATION> document"),
    ("", "not well-formed XML"),
])
def test_mplist_parser_refuses_what_is_not_an_mplist(text: str, reason: str) -> None:
    with pytest.raises(MpListError, match=reason):
        parse_mplist(text)


def test_unresolvable_mp_is_a_failed_check_with_one_line(tmp_path: Path) -> None:
    """A name that does not resolve: no crash, a one-line reason, CMAAD-302 fails."""
    from pytest_cmaad.sources.http import make_session
    from pytest_cmaad.sources.mp.probe import MpTarget, Trust, probe

    target = MpTarget("mp01.invalid", "http://mp01.invalid", "https://mp01.invalid")
    report = probe(target, make_session({}), None, Trust(None, None, 3))
    assert report.tls is None and report.tls_error
    assert "\n" not in report.tls_error
    assert report.mplist_http is not None and report.mplist_http.error
    assert "\n" not in report.mplist_http.error
