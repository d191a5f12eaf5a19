"""The lab's site database as a SQL Server endpoint: a TDS server with a certificate from its
own CA, and the production-shaped connection string that reaches it through Driver 18.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ..pki import LabCA
from .backend import Faults
from .driver import DRIVER_NAME, ensure_driver18
from .server import TdsServer, TlsFiles

LAB_LOGIN = "cmaad_reader"
LAB_DATABASE = "CM_LAB"
# The driver matches the certificate against SERVER= as a DNS name, so the address is also a
# DNS subject alternative name (an IP address entry alone is not accepted).
SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclass
class LabTdsEndpoint:
    """A running lab SQL endpoint.

    :param server: the TDS server (its ``record`` and ``faults`` are there).
    :param ca_file: the lab CA that issued the server's certificate.
    :param password: the lab login's password (random per lab).
    """

    server: TdsServer
    ca_file: Path
    password: str

    def connection_string(self, encrypt: str = "yes", **extra: str) -> str:
        """What a real profile's ``sql`` would hold, pointing at this endpoint."""
        parts = [f"DRIVER={{{DRIVER_NAME}}}", f"SERVER=127.0.0.1,{self.server.port}",
                 f"DATABASE={LAB_DATABASE}", f"UID={LAB_LOGIN}", f"PWD={self.password}",
                 f"Encrypt={encrypt}"]
        parts += [f"{key}={value}" for key, value in extra.items()]
        return ";".join(parts)

    @property
    def client_environment(self) -> dict[str, str]:
        """Set while the client connects: the driver trusts the lab CA (OpenSSL's variable)."""
        return {"SSL_CERT_FILE": str(self.ca_file)}

    @property
    def faults(self) -> Faults:
        """The server's fault knobs."""
        return self.server.faults

    def stop(self) -> None:
        """Stop the server."""
        self.server.stop()


def start_lab_tds(folder: Path, database: Path, information_schema: Path,
                  faults: Faults | None = None) -> LabTdsEndpoint:
    """Serve a built lab database over TDS with TLS from a new lab CA.

    :raises DriverUnavailable: when Driver 18 is not installed or cannot be registered.
    """
    ensure_driver18()
    ca = LabCA(folder / "sql-pki", "Contoso Lab SQL Root CA")
    issued = ca.issue(SERVER_NAMES, common_name="cm-lab-sql", stem="cm-lab-sql")
    password = secrets.token_urlsafe(18)
    server = TdsServer(
        database, user=LAB_LOGIN, password=password,
        attach={"INFORMATION_SCHEMA": information_schema},
        tls=TlsFiles(issued.cert_path, issued.key_path), database_name=LAB_DATABASE,
        faults=faults)
    return LabTdsEndpoint(server.start(), ca.cert_path, password)
