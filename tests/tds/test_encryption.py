"""Encrypt=no, yes (verified against the lab CA, or failing on an untrusted certificate) and
strict (TDS 8.0), each through Driver 18 to the lab server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tds_support import Connect

from pytest_cmaad.lab.pki import LabCA
from pytest_cmaad.lab.tds import TdsServer, TlsFiles
from pytest_cmaad.lab.tds.endpoint import LAB_DATABASE, LAB_LOGIN, LabTdsEndpoint
from pytest_cmaad.sources.sitedb.database import DatabaseError, OdbcDatabase


@pytest.fixture
def plain_endpoint(endpoint: LabTdsEndpoint, lab_files: tuple[Path, Path]
                   ) -> Iterator[LabTdsEndpoint]:
    """The same database behind a server without a certificate."""
    database, information_schema = lab_files
    with TdsServer(database, user=LAB_LOGIN, password=endpoint.password,
                   attach={"INFORMATION_SCHEMA": information_schema},
                   database_name=LAB_DATABASE) as plain:
        yield LabTdsEndpoint(plain, endpoint.ca_file, endpoint.password)


def last_connection(endpoint: LabTdsEndpoint) -> tuple[str, str | None, str | None]:
    record = endpoint.server.record.connections[-1]
    assert record.login is not None and record.login.accepted
    return record.encryption, record.tls_version, record.alpn


def test_encrypt_no_against_a_server_without_tls(plain_endpoint: LabTdsEndpoint) -> None:
    """A server that offers no encryption: plaintext throughout."""
    db = OdbcDatabase(plain_endpoint.connection_string("no"), 5, 10)
    try:
        assert db.query("SELECT COUNT(*) FROM AAD_Tenant_Ex") == [(1,)]
    finally:
        db.close()
    assert last_connection(plain_endpoint) == ("none", None, None)


def test_encrypt_no_encrypts_only_the_login(connect: Connect, endpoint: LabTdsEndpoint) -> None:
    """Against a server with a certificate, Encrypt=no still protects LOGIN7 (TLS 1.2)."""
    assert connect("no").query("SELECT COUNT(*) FROM AAD_Tenant_Ex") == [(1,)]
    assert last_connection(endpoint) == ("login-only", "TLSv1.2", None)


def test_encrypt_yes_verifies_the_certificate_against_the_lab_ca(
        connect: Connect, endpoint: LabTdsEndpoint) -> None:
    """The production setting: TLS 1.2 inside PRELOGIN, certificate chained to the lab CA."""
    assert connect("yes").query("SELECT COUNT(*) FROM AAD_Tenant_Ex") == [(1,)]
    assert last_connection(endpoint) == ("on", "TLSv1.2", None)


@pytest.fixture
def rogue_ca(tmp_path: Path) -> Path:
    return LabCA(tmp_path / "rogue", "Rogue Root CA").cert_path


def test_encrypt_yes_refuses_an_untrusted_certificate(connect: Connect, rogue_ca: Path,
                                                      endpoint: LabTdsEndpoint) -> None:
    """A certificate the client does not trust is a clear one-line error, never a pass."""
    with pytest.raises(DatabaseError) as error:
        connect("yes", environment={"SSL_CERT_FILE": str(rogue_ca)})
    message = str(error.value)
    assert error.value.sqlstate == "08001"
    assert message.startswith(f"sql 127.0.0.1,{endpoint.server.port}/CM_LAB: [08001] SSL "
                              "Provider: [error:")
    assert "certificate verify failed" in message
    assert "— the client does not trust the server's TLS certificate" in message
    assert endpoint.password not in message and "\n" not in message
    assert all(c.login is None for c in endpoint.server.record.connections)


def test_encrypt_yes_refuses_a_certificate_for_another_name(
        tmp_path: Path, lab_files: tuple[Path, Path], endpoint: LabTdsEndpoint) -> None:
    """Trusted CA, wrong name: the driver checks SERVER= against the certificate."""
    ca = LabCA(tmp_path / "named", "Named Root CA")
    issued = ca.issue(("cm-sql01.contoso.test",), stem="elsewhere")
    database, information_schema = lab_files
    with TdsServer(database, user=LAB_LOGIN, password=endpoint.password,
                   attach={"INFORMATION_SCHEMA": information_schema},
                   tls=TlsFiles(issued.cert_path, issued.key_path),
                   database_name=LAB_DATABASE) as named:
        served = LabTdsEndpoint(named, ca.cert_path, endpoint.password)
        with pytest.raises(DatabaseError) as error:
            OdbcDatabase(served.connection_string("yes"), 5, 10,
                         environment=served.client_environment)
    assert "[08001]" in str(error.value)
    assert "name the server in SERVER= as the certificate does" in str(error.value)


def test_encrypt_yes_against_a_server_without_tls_is_an_error(
        plain_endpoint: LabTdsEndpoint) -> None:
    with pytest.raises(DatabaseError) as error:
        OdbcDatabase(plain_endpoint.connection_string("yes"), 5, 10,
                     environment=plain_endpoint.client_environment)
    assert "[08001] Encryption not supported on SQL Server." in str(error.value)
    assert "— the server offers no TLS" in str(error.value)


def test_encrypt_strict_speaks_tls_first(connect: Connect, endpoint: LabTdsEndpoint) -> None:
    """TDS 8.0: TLS 1.3 before any TDS packet, ALPN tds/8.0, verified against the lab CA."""
    assert connect("strict").query("SELECT COUNT(*) FROM AAD_Tenant_Ex") == [(1,)]
    assert last_connection(endpoint) == ("strict", "TLSv1.3", "tds/8.0")


def test_encrypt_strict_refuses_an_untrusted_certificate(connect: Connect, rogue_ca: Path
                                                         ) -> None:
    with pytest.raises(DatabaseError, match=r"\[08001\] SSL Provider: .*certificate verify "
                                            r"failed.* — the client does not trust"):
        connect("strict", environment={"SSL_CERT_FILE": str(rogue_ca)})
