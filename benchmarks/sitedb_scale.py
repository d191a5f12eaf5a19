"""How the site database source scales with the number of clients.

    python benchmarks/sitedb_scale.py [DEVICES ...]

For each lab size: the time to build the lab, to collect the snapshot (and how many queries
that took), to evaluate every database check, and the wall time of a whole
``pytest --cm-site=lab:healthy`` run of that size.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pytest_cmaad.checks import evaluate, registered_checks
from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.sites import Site, collect_snapshot

SIZES = (1_000, 10_000, 100_000)


def measure(devices: int, sql_mode: str, folder: Path) -> dict[str, float | int | str]:
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    lab = LabSite.build(SCENARIOS["healthy"], folder / f"{sql_mode}-{devices}",
                        sql_mode, devices=devices, now=now)  # type: ignore[arg-type]
    built = time.perf_counter()
    site = Site(resolve_site("lab", None, {}, {}, lab.profile()), lab)
    snapshot = collect_snapshot(site, now)
    collected = time.perf_counter()
    outcomes = {evaluate(c, site.settings, snapshot).outcome for c in registered_checks()}
    evaluated = time.perf_counter()
    return {
        "devices": devices, "sql": sql_mode,
        "build_s": built - started, "collect_s": collected - built,
        "evaluate_s": evaluated - collected, "queries": snapshot.sources["sql"].queries,
        "outcomes": ",".join(sorted(outcomes)),
    }


def pytest_run(devices: int) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--cm-site=lab:healthy", f"--cm-lab-devices={devices}",
         "-q", "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=tempfile.gettempdir())
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main(sizes: tuple[int, ...]) -> None:
    print(f"{'devices':>8} {'sql':>8} {'build s':>8} {'collect s':>10} {'evaluate s':>11} "
          f"{'queries':>8}  outcomes")
    with tempfile.TemporaryDirectory() as scratch:
        for devices in sizes:
            for mode in ("sqlite3", "odbc"):
                row = measure(devices, mode, Path(scratch))
                print(f"{row['devices']:>8} {row['sql']:>8} {row['build_s']:>8.2f} "
                      f"{row['collect_s']:>10.2f} {row['evaluate_s']:>11.3f} "
                      f"{row['queries']:>8}  {row['outcomes']}")
    for devices in sizes:
        seconds, last = pytest_run(devices)
        print(f"pytest --cm-site=lab:healthy --cm-lab-devices={devices}: {seconds:.1f} s, {last}")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
