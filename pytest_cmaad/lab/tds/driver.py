"""Find Microsoft's ODBC Driver 18 for SQL Server and register it with unixODBC for this process.

A driver installed the usual way (Microsoft's ``msodbcsql18`` package) is already in the
system's ``odbcinst.ini``. Otherwise the driver library can come from PyPI's
``mssql-python-odbc`` wheel (its licence allows development and testing, not redistribution):
it is then registered in an ``odbcinst.ini`` written into a temporary folder that
``ODBCSYSINI`` points to, next to a copy of the system's driver entries. unixODBC reads
``ODBCSYSINI`` once per process, on its first use, so the registration must happen before the
process opens its first ODBC connection; :func:`ensure_driver18` says so when it is too late.
"""

from __future__ import annotations

import atexit
import configparser
import importlib.util
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ...config import ConfigError
from ...sources.sitedb.database import DatabaseError, import_pyodbc

DRIVER_NAME = "ODBC Driver 18 for SQL Server"
WHEEL = "mssql-python-odbc"
WHEEL_VERSION = "18.6.2.2"
INSTALL_HINT = (f"pip install '{WHEEL}=={WHEEL_VERSION}' (Microsoft's licence: development and "
                "testing only) or install Microsoft's msodbcsql18 package")

_lock = threading.Lock()
_registered: Path | None = None


class DriverUnavailable(ConfigError):
    """Driver 18 is not installed, or cannot be registered in this process."""


def system_odbcinst() -> Path:
    """The ``odbcinst.ini`` unixODBC reads in this environment."""
    folder = os.environ.get("ODBCSYSINI")
    name = os.environ.get("ODBCINSTINI", "odbcinst.ini")
    if folder:
        return Path(folder) / name
    odbcinst = shutil.which("odbcinst")
    if odbcinst:
        try:
            listing = subprocess.run([odbcinst, "-j"], capture_output=True, text=True,
                                     timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        for line in listing.splitlines():
            key, _sep, value = line.partition(":")
            if key.strip(" .").upper() == "DRIVERS" and value.strip():
                return Path(value.strip())
    return Path("/etc/odbcinst.ini")


def _sections(path: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path)
    except configparser.Error:
        return []
    return parser.sections()


def _distribution() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return "debian_ubuntu"
    ids = " ".join(line.partition("=")[2].strip('"').lower() for line in text.splitlines()
                   if line.startswith(("ID=", "ID_LIKE=")))
    for family, names in (("alpine", ("alpine",)), ("suse", ("suse", "sles")),
                          ("rhel", ("rhel", "fedora", "centos"))):
        if any(n in ids for n in names):
            return family
    return "debian_ubuntu"


def bundled_library() -> Path | None:
    """The driver library inside the installed ``mssql-python-odbc`` wheel, if any."""
    try:
        spec = importlib.util.find_spec("mssql_python_odbc")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    libs = Path(spec.origin).parent / "libs"
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    system = platform.system().lower()
    folder = "macos" if system == "darwin" else system
    patterns = [f"{folder}/{_distribution()}/{arch}/lib/libmsodbcsql-18*",
                f"{folder}/*/{arch}/lib/libmsodbcsql-18*", f"{folder}/{arch}/lib/libmsodbcsql*"]
    for pattern in patterns:
        found = sorted(libs.glob(pattern))
        if found:
            return found[0]
    return None


def driver18_available() -> bool:
    """Whether Driver 18 is registered with unixODBC or can be (never touches unixODBC)."""
    return (_registered is not None or DRIVER_NAME in _sections(system_odbcinst())
            or bundled_library() is not None)


def ensure_driver18() -> Path | None:
    """Make ``DRIVER={ODBC Driver 18 for SQL Server}`` resolve in this process.

    :returns: the folder ``ODBCSYSINI`` now points to, or None when the system already had
        the driver registered.
    :raises DriverUnavailable: when the driver is not installed, or unixODBC had already read
        its driver list before the registration.
    """
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        current = system_odbcinst()
        if DRIVER_NAME in _sections(current):
            return None
        library = bundled_library()
        if library is None:
            raise DriverUnavailable(
                f"the lab's TDS mode needs Microsoft {DRIVER_NAME}: {INSTALL_HINT}")
        folder = Path(tempfile.mkdtemp(prefix="cmaad-odbc-"))
        atexit.register(shutil.rmtree, folder, True)
        try:
            system_entries = current.read_text()
        except OSError:
            system_entries = ""
        (folder / "odbcinst.ini").write_text(
            f"{system_entries.rstrip()}\n\n[{DRIVER_NAME}]\n"
            f"Description=Microsoft {DRIVER_NAME} ({WHEEL})\nDriver={library}\n")
        system_dsns = current.with_name("odbc.ini")
        if system_dsns.is_file():
            shutil.copyfile(system_dsns, folder / "odbc.ini")
        os.environ["ODBCSYSINI"] = str(folder)
        os.environ.pop("ODBCINSTINI", None)
        _registered = folder
    _confirm(folder)
    return folder


def _confirm(folder: Path) -> None:
    try:
        drivers = import_pyodbc().drivers()
    except DatabaseError as exc:
        raise DriverUnavailable(str(exc)) from None
    if DRIVER_NAME not in drivers:
        raise DriverUnavailable(
            f"{DRIVER_NAME} is installed ({WHEEL}) but unixODBC read its driver list before the "
            f"lab registered it; start the process with ODBCSYSINI={folder}")
