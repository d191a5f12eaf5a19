"""What a TLS endpoint presents: protocol, certificate facts, and whether it verifies.

Two handshakes: one that accepts any certificate (to read what is presented, even when it is
expired or misnamed) and one that verifies against the configured CA file and the name.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from datetime import timezone

from cryptography import x509
from cryptography.x509.oid import NameOID

from ...facts import TlsFacts

SITE_ISSUER = "SMS Issuing"
SITE_SUBJECT = "SMS Role SSL Certificate"


class TlsProbeError(Exception):
    """No TLS session could be set up (refused, timeout, not TLS)."""


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    names: list[str] = [str(n) for n in ext.value.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)]
    return names


def _handshake(context: ssl.SSLContext, name: str, address: str, port: int, timeout: float
               ) -> tuple[bytes, str]:
    with socket.create_connection((address, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=name) as tls:
        der = tls.getpeercert(binary_form=True)
        return der or b"", tls.version() or ""


def probe_tls(name: str, address: str, port: int, ca_file: str | None,
              client_cert: str | None, timeout: float) -> TlsFacts:
    """Read and verify the certificate ``address:port`` presents for ``name``.

    :raises TlsProbeError: with a one-line reason when no TLS session can be set up.
    """
    loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    if client_cert:
        loose.load_cert_chain(client_cert)
    try:
        der, protocol = _handshake(loose, name, address, port, timeout)
    except ConnectionRefusedError:
        raise TlsProbeError("connection refused") from None
    except TimeoutError:
        raise TlsProbeError(f"no answer within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise TlsProbeError(f"TLS handshake failed ({exc.reason or exc})") from None
    except OSError as exc:
        raise TlsProbeError(exc.strerror or str(exc)) from None
    cert = x509.load_der_x509_certificate(der)
    strict = ssl.create_default_context(cafile=ca_file) if ca_file else (
        ssl.create_default_context())
    if client_cert:
        strict.load_cert_chain(client_cert)
    verify_error = None
    try:
        _handshake(strict, name, address, port, timeout)
    except ssl.SSLCertVerificationError as exc:
        verify_error = str(exc.verify_message or exc.reason)
    except (ssl.SSLError, OSError) as exc:
        verify_error = f"TLS handshake failed ({exc})"
    issuer, subject = _cn(cert.issuer), _cn(cert.subject)
    return TlsFacts(
        protocol=protocol,
        subject=subject,
        issuer=issuer,
        sans=_sans(cert),
        not_before=cert.not_valid_before_utc.astimezone(timezone.utc),
        not_after=cert.not_valid_after_utc.astimezone(timezone.utc),
        thumbprint=hashlib.sha1(der).hexdigest().upper(),
        site_issued=issuer == SITE_ISSUER,
        verify_error=verify_error,
    )
