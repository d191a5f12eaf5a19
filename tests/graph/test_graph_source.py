"""The Graph source against the lab's identity provider and Graph: real msal tokens (secret,
PEM and PFX certificates), read-only requests, paging, batching, throttling, AADSTS errors."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from helpers import GRAPH_CHECKS, run_lab

from pytest_cmaad.catalog import CATALOG
from pytest_cmaad.checks import evaluate
from pytest_cmaad.config import SiteSettings, resolve_site
from pytest_cmaad.lab import LAB_SECRET_ENV, LAB_WRONG_SECRET_ENV, SCENARIOS, LabSite
from pytest_cmaad.lab.graph import (
    GRAPH_HOST,
    LOGIN_HOST,
    LabDirectory,
    LabEntra,
    LabGroup,
    app_certificate,
)
from pytest_cmaad.lab.pki import LabCA
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.snapshot import load_snapshot
from pytest_cmaad.sources.graph import GraphReader
from pytest_cmaad.sources.graph import auth as graph_auth
from pytest_cmaad.sources.graph.auth import CLOUDS, endpoints, make_token_provider
from pytest_cmaad.sources.graph.client import GraphClient, GraphError
from pytest_cmaad.sources.http import make_session


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSite]:
    site = LabSite.build(SCENARIOS["healthy"], tmp_path_factory.mktemp("lab"), devices=120)
    yield site
    site.close()


def _site(lab: LabSite, **changes: object) -> Site:
    settings = resolve_site("lab", None, {}, os.environ, lab.profile())
    values = {**settings.values, **changes}
    return Site(dataclasses.replace(settings, values=values), lab)


def _verdicts(site: Site) -> dict[str, str]:
    """Each Graph check's outcome (per-group checks: the same outcome for every group)."""
    snapshot = collect_snapshot(site)
    result = {}
    for check in sorted(GRAPH_CHECKS):
        objects = snapshot.objects["group"] if CATALOG[check].per == "group" else [None]
        outcomes = {evaluate(check, site.settings, snapshot, obj).outcome for obj in objects}
        assert len(outcomes) == 1, (check, outcomes)
        result[check] = outcomes.pop()
    return result


def test_secret_flow_reads_only_with_gets(lab: LabSite) -> None:
    """msal gets a token for real; Graph sees GETs and $batch of GETs, nothing else."""
    assert lab.entra is not None
    lab.entra.log.entries.clear()
    assert set(_verdicts(_site(lab)).values()) == {"passed"}
    entra = list(lab.entra.log.entries)
    assert {host.split()[0] for _, host, _ in entra} == {LOGIN_HOST, GRAPH_HOST}
    methods = {(m, host) for m, host, _ in entra}
    assert ("GET", LOGIN_HOST) in methods and ("POST", LOGIN_HOST) in methods
    posts = [path for m, host, path in entra if m == "POST"]
    assert all(p.endswith("/oauth2/v2.0/token") or p == "/v1.0/$batch" for p in posts), posts
    inner = [(m, p) for m, host, p in entra if host.endswith("$batch")]
    assert inner and {m for m, _ in inner} == {"GET"}
    assert not [e for e in entra if e[0] not in ("GET", "POST")]


@pytest.mark.parametrize("kind", ["pem", "pfx"])
def test_certificate_flow(lab: LabSite, tmp_path: Path, kind: str) -> None:
    """A signed client assertion (RS256 from PEM, PS256 from PFX) gets a token."""
    assert lab.entra is not None
    path = lab.entra.reader_pem
    changes: dict[str, object] = {"auth": "certificate", "client_certificate": str(path)}
    if kind == "pfx":
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        cert = lab.entra.reader_cert
        key = load_pem_private_key(cert.key_pem, None)
        data = pkcs12.serialize_key_and_certificates(
            b"reader", key, x509.load_pem_x509_certificate(cert.cert_pem), None,  # type: ignore[arg-type]
            BestAvailableEncryption(b"pfx-pass"))
        path = tmp_path / "reader.pfx"
        path.write_bytes(data)
        os.environ["CMAAD_TEST_PFX_PASSWORD"] = "pfx-pass"
        changes.update(client_certificate=str(path),
                       client_certificate_password_env="CMAAD_TEST_PFX_PASSWORD")
    assert set(_verdicts(_site(lab, **changes)).values()) == {"passed"}


def test_managed_identity_flow(lab: LabSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """msal's App Service managed identity path, against the lab's identity endpoint."""
    assert lab.entra is not None
    for name, value in lab.entra.managed_identity_environment.items():
        monkeypatch.setenv(name, value)
    assert set(_verdicts(_site(lab, auth="managed-identity")).values()) == {"passed"}
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    site = _site(lab, auth="managed-identity")
    verdict = evaluate("CMAAD-508", site.settings, collect_snapshot(site))
    assert verdict.outcome == "error" and "X-IDENTITY-HEADER is wrong" in verdict.message


def test_device_code_prompts_once(lab: LabSite, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capfd: pytest.CaptureFixture[str]) -> None:
    """The first run shows the device code prompt; the token cache spares the second."""
    assert lab.entra is not None
    monkeypatch.setattr(graph_auth, "DEVICE_CODE_CACHE", tmp_path / "cache")
    lab.entra.log.entries.clear()
    assert set(_verdicts(_site(lab, auth="device-code")).values()) == {"passed"}
    assert "LABCODE1" in capfd.readouterr().err
    prompts = [p for _, _, p in lab.entra.log.entries if p.endswith("/devicecode")]
    assert len(prompts) == 1
    cache = next((tmp_path / "cache").iterdir())
    assert cache.stat().st_mode & 0o077 == 0
    assert set(_verdicts(_site(lab, auth="device-code")).values()) == {"passed"}
    prompts = [p for _, _, p in lab.entra.log.entries if p.endswith("/devicecode")]
    assert len(prompts) == 1
    assert "LABCODE1" not in capfd.readouterr().err


def test_unregistered_certificate_is_an_error_with_its_code(lab: LabSite, tmp_path: Path) -> None:
    """A certificate the app does not know: AADSTS700027 and what to do, as an error."""
    other = app_certificate(tmp_path, "someone")
    site = _site(lab, auth="certificate", client_certificate=str(other.chain_path))
    snapshot = collect_snapshot(site)
    verdict = evaluate("CMAAD-504", site.settings, snapshot, snapshot.objects["group"][0])
    assert verdict.outcome == "error"
    assert "AADSTS700027" in verdict.message and "upload its public key" in verdict.message
    assert snapshot.sources["graph"].state == "error"


def test_missing_secret_names_the_variable(lab: LabSite) -> None:
    site = _site(lab, client_secret_env="CMAAD_TEST_NOT_SET")
    verdict = evaluate("CMAAD-508", site.settings, collect_snapshot(site))
    assert verdict.outcome == "error"
    assert "CMAAD_TEST_NOT_SET is empty" in verdict.message


def test_unknown_tenant(lab: LabSite) -> None:
    """The authority answers AADSTS90002 for a tenant it does not have."""
    assert lab.entra is not None
    authority = lab.entra.authority.rsplit("/", 1)[0] + "/contoso-nowhere.example"
    site = _site(lab, authority=authority)
    verdict = evaluate("CMAAD-509", site.settings, collect_snapshot(site))
    assert verdict.outcome == "error"
    assert "90002" in verdict.message and "check tenant_id" in verdict.message


def test_throttling_is_retried_within_the_bound(lab: LabSite) -> None:
    """Every answer 429: the bounded wait runs out and the error says so."""
    assert lab.entra is not None
    lab.entra.knobs.throttle_share = 1.0
    try:
        site = _site(lab, graph_max_retry_seconds=1)
        verdict = evaluate("CMAAD-507", site.settings, collect_snapshot(site))
    finally:
        lab.entra.knobs.throttle_share = 0.0
    assert verdict.outcome == "error"
    assert "still throttled after 1 s" in verdict.message


def test_storm_costs_requests_not_verdicts(lab: LabSite) -> None:
    """A third of the answers 429 (inner batch answers too): same verdicts, more requests."""
    assert lab.entra is not None
    calm = collect_snapshot(_site(lab)).facts.graph
    lab.entra.knobs.throttle_share = 0.3
    try:
        stormy_site = _site(lab)
        stormy = collect_snapshot(stormy_site).facts.graph
    finally:
        lab.entra.knobs.throttle_share = 0.0
    assert calm is not None and calm.value is not None
    assert stormy is not None and stormy.value is not None
    assert stormy.value.throttled > 0 and calm.value.throttled == 0
    assert stormy.value.requests > calm.value.requests
    assert stormy.value.groups == calm.value.groups


def test_paging_and_batching(tmp_path: Path) -> None:
    """A group of 2,500 devices takes three member pages; 45 device lookups three batches."""
    ca = LabCA(tmp_path, "Paging CA")
    directory = LabDirectory(tenant_id="11111111-2222-4333-8444-555555555555")
    group = LabGroup("aaaaaaaa-0000-4000-8000-000000000001", "Big")
    group.members = [directory.device(f"00000000-0000-4000-8000-{n:012d}", f"D{n}")
                     for n in range(2500)]
    directory.groups[group.id] = group
    from pytest_cmaad.lab.mp import RequestLog

    log = RequestLog()
    entra = LabEntra(directory, ca, log)
    try:
        settings = SiteSettings("x", {"tenant_id": directory.tenant_id,
                                      "client_id": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
                                      "auth": "client-secret", "client_secret_env": "CMAAD_T",
                                      "authority": entra.authority, "graph_url": entra.graph_url,
                                      "cloud": "global"}, {})
        session = make_session(entra.addresses)
        session.verify = str(ca.cert_path)
        token = make_token_provider(settings, session, {"CMAAD_T": entra.secret})
        client = GraphClient(f"{entra.graph_url}/v1.0", session, token, 10, 5, session.verify)
        reader = GraphReader(client, 2)
        members = reader._members(group.id)
        assert len(members) == 2500
        assert client.cost.requests == 3
        answers = client.batch([f"devices(deviceId='00000000-0000-4000-8000-{n:012d}')"
                                for n in range(45)])
        assert [s for s, _ in answers] == [200] * 45
        assert client.cost.requests == 6
        with pytest.raises(GraphError, match="HTTP 404"):
            client.get("groups/aaaaaaaa-0000-4000-8000-000000000009")
    finally:
        entra.close()


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_endpoints_follow_the_cloud(cloud: str) -> None:
    settings = SiteSettings("x", {"tenant_id": "t1", "client_id": "c", "cloud": cloud}, {})
    where = endpoints(settings)
    assert where.authority == f"{CLOUDS[cloud][0]}/t1"
    assert where.scope == f"{CLOUDS[cloud][1]}/.default"
    assert where.instance_discovery


def test_explicit_endpoints_override_the_cloud() -> None:
    settings = SiteSettings("x", {"tenant_id": "t1", "client_id": "c", "cloud": "china",
                                  "authority": "https://login.example.test:8443",
                                  "graph_url": "https://graph.example.test/v1.0"}, {})
    where = endpoints(settings)
    assert where.authority == "https://login.example.test:8443/t1"
    assert where.graph_url == "https://graph.example.test"
    assert not where.instance_discovery


@pytest.mark.parametrize("scenario", ["membership-drift", "graph-wrong-secret"])
def test_secret_appears_in_no_output(pytester: pytest.Pytester, scenario: str) -> None:
    """Neither the terminal (verbose, with the header and every report) nor JUnit shows the
    reader app's secret, right or wrong."""
    report = run_lab(pytester, f"--cm-site=lab:{scenario}", "-vv", "-rA")
    secret, wrong = os.environ[LAB_SECRET_ENV], os.environ[LAB_WRONG_SECRET_ENV]
    assert len(secret) > 20 and secret in wrong
    junit = (pytester.path / "junit.xml").read_text()
    output = report.result.stdout.str() + report.result.stderr.str()
    for text in (output, junit):
        assert secret not in text
    assert "client_secret_env = CMAAD_LAB_" in output


def test_drift_names_devices_on_the_configmgr_side(pytester: pytest.Pytester) -> None:
    report = run_lab(pytester, "--cm-site=lab:membership-drift")
    cases = [c for c in report.cases if c.properties["cm_check_id"] == "CMAAD-506"]
    assert sorted(c.outcome for c in cases) == ["failed", "passed"]
    (failed,) = [c for c in cases if c.outcome == "failed"]
    assert failed.properties["cm_object"] in failed.name
    text = failed.message
    assert "7 missing, 3 extra" in text
    assert "(ResourceID 1677" in text and "drift=in the collection, not in the group" in text
    assert "LAB-STRAY" in text and "source: graph" in text


def test_graph_decides_the_secret_expiry(pytester: pytest.Pytester) -> None:
    report = run_lab(pytester, "--cm-site=lab:secret-expired")
    text = report.case("CMAAD-104").message
    assert "expired" in text and "Entra passwordCredentials" in text and "source: graph" in text


def test_snapshot_records_the_cost_and_stays_bounded(lab: LabSite) -> None:
    """The Graph fact holds counts and samples, not member lists; the collections' members
    stay out of the snapshot; a replay decides the same."""
    snapshot = collect_snapshot(_site(lab), datetime.now(timezone.utc))
    state = snapshot.sources["graph"]
    assert state.state == "ok" and 3 <= state.queries <= 10
    graph = snapshot.facts.graph
    assert graph is not None and graph.value is not None
    assert graph.value.device_ids and all(g.expected for g in graph.value.groups)
    text = snapshot.to_json()
    assert "collection_members" not in text and len(graph.model_dump_json()) < 8_000
    again = load_snapshot(text, "snapshot.json")
    site = _site(lab)
    for check in sorted(GRAPH_CHECKS):
        for obj in snapshot.objects["group"] if CATALOG[check].per == "group" else [None]:
            assert evaluate(check, site.settings, again, obj) == evaluate(
                check, site.settings, snapshot, obj)
