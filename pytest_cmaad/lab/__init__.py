"""The embedded lab site: a complete site built on the spot from a scenario.

``--cm-site=lab`` (scenario ``healthy``) or ``--cm-site=lab:SCENARIO``. By default its
database is reached through the standard library's sqlite3; ``--cm-lab-sql=odbc`` reaches the
same file through pyodbc and the SQLite3 ODBC driver; ``--cm-lab-sql=tds`` serves it over TDS
(TLS from a lab CA) to Microsoft's ODBC Driver 18, with a production-shaped connection string.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..parsers.iisssl import SiteSecurity
from ..sources.sitedb.database import Database, OdbcDatabase, SqliteDatabase
from . import build
from .adminservice import USER as ADMIN_USER
from .adminservice import LabAdminService
from .entra import scenario_directory
from .graph import READER_APP_ID, Knobs, LabEntra
from .hosts import LabHosts, build_hosts
from .mp import LabMpFleet, RequestLog, start_fleet
from .pki import LabCA
from .scenarios import SCENARIOS, LabScenario, parse_lab_site

if TYPE_CHECKING:
    from .tds.endpoint import LabTdsEndpoint

LabSql = Literal["sqlite3", "odbc", "tds", "none"]
LAB_SQL_MODES: tuple[LabSql, ...] = ("sqlite3", "odbc", "tds", "none")
LAB_PASSWORD_ENV = "CMAAD_LAB_ADMINSERVICE_PASSWORD"
LAB_SECRET_ENV = "CMAAD_LAB_CLIENT_SECRET"
LAB_WRONG_SECRET_ENV = "CMAAD_LAB_WRONG_CLIENT_SECRET"

__all__ = ["LAB_SECRET_ENV", "LAB_SQL_MODES", "LAB_WRONG_SECRET_ENV", "SCENARIOS",
           "LabScenario", "LabSite", "parse_lab_site"]


@dataclass
class LabSite:
    """A built lab site: its files and how to reach them.

    :param scenario: what the site looks like.
    :param folder: where its files are (owned by the caller).
    :param sql_mode: ``sqlite3``, ``odbc`` or ``tds``.
    """

    scenario: LabScenario
    folder: Path
    sql_mode: LabSql
    database: Path
    information_schema: Path
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    mps: LabMpFleet | None = field(default=None, repr=False)
    adminservice: LabAdminService | None = field(default=None, repr=False)
    log: RequestLog = field(default_factory=RequestLog, repr=False)
    sql_endpoint: LabTdsEndpoint | None = field(default=None, repr=False)
    hosts: LabHosts | None = field(default=None, repr=False)
    entra: LabEntra | None = field(default=None, repr=False)

    @classmethod
    def build(cls, scenario: LabScenario, folder: Path, sql_mode: LabSql = "sqlite3",
              devices: int = 300, collections: int = 4, now: datetime | None = None) -> LabSite:
        """Build the site's database into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        when = (now or datetime.now(timezone.utc)).replace(tzinfo=None)
        database, info = build.build_database(scenario, folder, devices, collections, when)
        site = cls(scenario, folder, sql_mode, database, info)
        site.hosts = build_hosts(scenario, folder / "hosts", devices, collections, when)
        if sql_mode == "tds":
            site.start_sql_endpoint()
        site.start_servers()
        return site

    def start_sql_endpoint(self) -> None:
        """Serve the database over TDS (needs Microsoft ODBC Driver 18 on the client side)."""
        from .tds.endpoint import start_lab_tds  # the TDS server loads only in this mode

        self.sql_endpoint = start_lab_tds(self.folder, self.database, self.information_schema)
        self.closers.append(self.sql_endpoint.stop)

    def start_servers(self) -> None:
        """Start the scenario's MPs (HTTPS only where the site's security allows it) and the
        AdminService, with certificates from the lab's CAs."""
        root = LabCA(self.folder / "pki", "Contoso Lab Root CA")
        site_ca = LabCA(self.folder / "pki", "SMS Issuing")
        https = SiteSecurity(self.scenario.iisssl_state).allows_aad_registration
        self.mps = start_fleet(self.scenario.mps, root, site_ca, build.SITE_CODE,
                               build.MP_VERSION, https, self.log)
        self.closers.append(self.mps.close)
        self.adminservice = LabAdminService(self.database, root, build.SITE_SERVER, self.log)
        self.closers.append(self.adminservice.close)
        os.environ[LAB_PASSWORD_ENV] = self.adminservice.password
        self.start_entra(root)

    def start_entra(self, ca: LabCA) -> None:
        """Start the identity provider and Graph; put the reader app's secret (a wrong one
        when the scenario says so) in the process environment."""
        s = self.scenario
        directory = scenario_directory(s, self.database, datetime.now(timezone.utc))
        knobs = Knobs(throttle_share=s.graph_throttle_share, reader_secret=s.graph_reader_secret)
        # Its own log: the token endpoint and $batch are POSTs, the other stand-ins get GETs.
        self.entra = LabEntra(directory, ca, RequestLog(), knobs)
        self.closers.append(self.entra.close)
        os.environ[LAB_SECRET_ENV] = self.entra.secret
        os.environ[LAB_WRONG_SECRET_ENV] = "not-" + self.entra.secret

    @property
    def addresses(self) -> dict[str, str]:
        """Where the lab's host names live: every one on loopback."""
        names = [mp.spec.name for mp in self.mps.mps] if self.mps else []
        pinned = {name: "127.0.0.1" for name in [*names, build.SITE_SERVER]}
        return {**pinned, **(self.entra.addresses if self.entra else {})}

    @property
    def odbc_connection_string(self) -> str:
        """The SQLite3 ODBC driver's connection string for the lab database."""
        return f"DRIVER={{SQLite3}};Database={self.database};NoCreat=1"

    def profile(self) -> dict[str, Any]:
        """The lab's profile: what a ``[sites.NAME]`` table would hold for it."""
        sql: str | None = (self.odbc_connection_string if self.sql_mode == "odbc"
                           else self.sql_endpoint.connection_string() if self.sql_endpoint
                           else f"sqlite3:{self.database}")
        servers: dict[str, Any] = {}
        if self.mps is not None:
            servers = {"management_points": self.mps.urls, "ca_bundle": str(self.mps.ca_bundle)}
            if self.mps.client_cert is not None:
                servers["mp_client_cert"] = str(self.mps.client_cert)
        if self.adminservice is not None:
            servers.update(adminservice=self.adminservice.url, adminservice_auth="ntlm",
                           adminservice_user=ADMIN_USER,
                           adminservice_password_env=LAB_PASSWORD_ENV)
        if self.hosts is not None:
            servers.update(self.hosts.profile())
        if self.entra is not None:
            servers.update(client_id=READER_APP_ID, auth="client-secret",
                           client_secret_env=LAB_WRONG_SECRET_ENV
                           if self.scenario.graph_reader_secret == "wrong" else LAB_SECRET_ENV,
                           authority=self.entra.authority,
                           graph_url=self.entra.graph_url)
        if self.sql_mode == "none":
            sql = None
        return {
            **servers,
            "site_code": build.SITE_CODE,
            "sql": sql,
            "tenant_id": build.TENANT_ID.lower(),
            "group_sync": {c: build.GROUPS[c][0].lower()
                           for c in self.scenario.declared_collections},
        }

    def close(self) -> None:
        """Stop whatever the lab started (servers, threads), newest first."""
        while self.closers:
            self.closers.pop()()

    def connect_sql(self, login_timeout: int = 15, query_timeout: int = 60) -> Database:
        """Open the lab database the way ``sql_mode`` says."""
        if self.sql_endpoint is not None:
            return OdbcDatabase(self.sql_endpoint.connection_string(), login_timeout,
                                query_timeout, environment=self.sql_endpoint.client_environment)
        if self.sql_mode == "odbc":
            return OdbcDatabase(self.odbc_connection_string, login_timeout, query_timeout,
                                on_connect=self._attach_information_schema)
        return SqliteDatabase(self.database, {"INFORMATION_SCHEMA": self.information_schema},
                              query_timeout)

    def _attach_information_schema(self, connection: Any) -> None:
        path = str(self.information_schema).replace("'", "''")
        connection.execute(f"ATTACH DATABASE '{path}' AS INFORMATION_SCHEMA")
