"""The lab's certificates verify (or fail) the way real ones do, with the standard ssl module."""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path

import pytest
from cryptography.x509.oid import NameOID

from pytest_cmaad.lab.pki import LabCA


def verify(cafile: Path, chain: Path, hostname: str) -> None:
    """Do a TLS handshake in memory between a server using ``chain`` and a client."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(chain)
    client_ctx = ssl.create_default_context(cafile=str(cafile))
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side, outgoing, incoming in ((client, c_out, s_in), (server, s_out, c_in)):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
            incoming.write(outgoing.read())
    client.do_handshake()


def test_issued_certificate_verifies_for_its_names(tmp_path: Path) -> None:
    ca = LabCA(tmp_path, "Contoso Lab Root CA")
    cert = ca.issue(("mp01.lab.contoso.test", "127.0.0.1"))
    verify(ca.cert_path, cert.chain_path, "mp01.lab.contoso.test")
    verify(ca.cert_path, cert.chain_path, "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        verify(ca.cert_path, cert.chain_path, "mp02.lab.contoso.test")


def test_expired_and_foreign_certificates_fail(tmp_path: Path) -> None:
    ca = LabCA(tmp_path / "a", "Contoso Lab Root CA")
    other = LabCA(tmp_path / "b", "SMS Issuing")
    expired = ca.issue(("mp01.lab.contoso.test",), expired_days_ago=3)
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        verify(ca.cert_path, expired.chain_path, "mp01.lab.contoso.test")
    site_issued = other.issue(("mp01.lab.contoso.test",), "SMS Role SSL Certificate")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        verify(ca.cert_path, site_issued.chain_path, "mp01.lab.contoso.test")
    subject = site_issued.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    issuer = site_issued.certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert (subject[0].value, issuer[0].value) == ("SMS Role SSL Certificate", "SMS Issuing")
