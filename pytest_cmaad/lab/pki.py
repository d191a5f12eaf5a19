"""The lab's certificate authorities and certificates, generated on the spot (cryptography).

A lab has a PKI root CA (standing in for an enterprise CA) and can issue server and client
certificates from it or from another CA, with any subject, names and validity: the site-issued
"SMS Role SSL Certificate" under an "SMS Issuing" CA, an expired certificate, a certificate for
the wrong name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEY_CURVE = ec.SECP256R1()


def _name(common_name: str, organization: str = "Contoso Lab") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _alt_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        result.append(x509.DNSName(name))
        with contextlib.suppress(ValueError):
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
    return result


@dataclass(frozen=True)
class IssuedCert:
    """A certificate and its key, as PEM text and as files."""

    cert_pem: bytes
    key_pem: bytes
    cert_path: Path
    key_path: Path
    chain_path: Path

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate."""
        return x509.load_pem_x509_certificate(self.cert_pem)


class LabCA:
    """A certificate authority of the lab.

    :param folder: where its files go.
    :param common_name: the CA's subject CN (e.g. ``Contoso Lab Root CA``, ``SMS Issuing``).
    """

    def __init__(self, folder: Path, common_name: str) -> None:
        self.folder = folder
        self.common_name = common_name
        folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(_KEY_CURVE)
        now = dt.datetime.now(dt.timezone.utc)
        name = _name(common_name)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.cert_path = folder / f"{_file_stem(common_name)}.pem"
        self.cert_path.write_bytes(self.cert_pem)

    def issue(
        self,
        names: tuple[str, ...],
        common_name: str | None = None,
        *,
        client: bool = False,
        valid_days: float = 365,
        expired_days_ago: float | None = None,
        stem: str | None = None,
    ) -> IssuedCert:
        """Issue a server (or client) certificate for ``names`` (DNS, plus IP for addresses).

        :param expired_days_ago: make a certificate that expired that many days ago.
        """
        now = dt.datetime.now(dt.timezone.utc)
        if expired_days_ago is not None:
            not_after = now - dt.timedelta(days=expired_days_ago)
            not_before = not_after - dt.timedelta(days=365)
        else:
            not_before, not_after = now - dt.timedelta(hours=1), now + dt.timedelta(
                days=valid_days)
        key = ec.generate_private_key(_KEY_CURVE)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name or names[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self._key.public_key()), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(_alt_names(names)),
                                            critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        label = f"{common_name or names[0]}-{'client' if client else 'server'}"
        base = self.folder / (stem or _file_stem(label))
        cert_path, key_path, chain_path = (base.with_suffix(".crt"), base.with_suffix(".key"),
                                           base.with_suffix(".pem"))
        cert_path.write_bytes(cert_pem)
        key_path.write_bytes(key_pem)
        chain_path.write_bytes(key_pem + cert_pem + self.cert_pem)
        return IssuedCert(cert_pem, key_pem, cert_path, key_path, chain_path)


def _file_stem(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
