"""What reading Graph costs for a large tenant: requests against the paging minimum, and time.

    python benchmarks/graph_scale.py [GROUPS DEVICES LATENCY_MS]

Builds a lab tenant with GROUPS synced groups sharing DEVICES devices (each group holds its
share as members, each owned by the server app), serves it with LATENCY_MS of latency per
request, and reads it the way the Graph source does (a real msal token, ``$batch``,
``$top=999`` paging, bounded concurrency): once calm, once with 10% of answers throttled.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pytest_cmaad.config import SiteSettings
from pytest_cmaad.facts import CollectionDevice, CollectionMembers
from pytest_cmaad.lab.graph import (
    READER_APP_ID,
    Knobs,
    LabDirectory,
    LabEntra,
    LabGroup,
    object_id,
)
from pytest_cmaad.lab.mp import RequestLog
from pytest_cmaad.lab.pki import LabCA
from pytest_cmaad.sources.graph import GraphReader
from pytest_cmaad.sources.graph.auth import make_token_provider
from pytest_cmaad.sources.graph.client import BATCH_SIZE, PAGE_SIZE, GraphClient
from pytest_cmaad.sources.http import make_session

SERVER_APP = "a8b9c0d1-e2f3-4a5b-9c6d-7e8f90a1b2c3"
CONCURRENCY = 4


def tenant(groups: int, devices: int) -> tuple[LabDirectory, list[CollectionMembers]]:
    directory = LabDirectory(tenant_id="6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6")
    sp = directory.service_principal(SERVER_APP, "ConfigMgr Server", ["Directory.Read.All"])
    directory.secret_expiries[SERVER_APP] = [datetime(2027, 6, 1, tzinfo=timezone.utc)]
    members: list[CollectionMembers] = []
    for g in range(groups):
        group = LabGroup(object_id(f"group:{g}"), f"CM-Group-{g:02d}", owners=[sp])
        ids = range(g, devices, groups)
        group.members = [directory.device(object_id(f"dev:{n}"), f"WS{n:06d}") for n in ids]
        directory.groups[group.id] = group
        members.append(CollectionMembers(collection_id=f"LAB{g:05d}", devices=[
            CollectionDevice(resource_id=n, name=f"WS{n:06d}", aad_device_id=object_id(f"dev:{n}"))
            for n in ids]))
    return directory, members


def read(entra: LabEntra, ca: Path, directory: LabDirectory,
         members: list[CollectionMembers]) -> tuple[int, int, float]:
    settings = SiteSettings("bench", {
        "tenant_id": directory.tenant_id, "client_id": READER_APP_ID, "auth": "client-secret",
        "client_secret_env": "CMAAD_BENCH_SECRET", "authority": entra.authority,
        "graph_url": entra.graph_url, "cloud": "global"}, {})
    session = make_session(entra.addresses)
    session.verify = str(ca)
    token = make_token_provider(settings, session, {"CMAAD_BENCH_SECRET": entra.secret})
    client = GraphClient(f"{entra.graph_url}/v1.0", session, token, 30, 300, str(ca))
    started = time.perf_counter()
    token()
    targets = {gid: [c.collection_id] for gid, c in zip(directory.groups, members, strict=True)}
    result = GraphReader(client, CONCURRENCY).read(targets, SERVER_APP, members,
                                                   datetime.now(timezone.utc))
    seconds = time.perf_counter() - started
    assert result.unknown_devices is not None and result.unknown_devices.total == 0
    assert result.device_ids == sum(len(c.devices) for c in members)
    assert all(g.missing is not None and g.missing.total == 0 for g in result.groups)
    session.close()
    return result.requests, result.throttled, seconds


def main(groups: int, devices: int, latency_ms: int) -> None:
    directory, members = tenant(groups, devices)
    pages = sum(math.ceil(max(1, len(g.members)) / PAGE_SIZE) for g in directory.groups.values())
    batched = 2 * groups + 5
    minimum = pages + math.ceil(batched / BATCH_SIZE)
    print(f"{groups} groups, {devices:,} devices, {latency_ms} ms latency per request, "
          f"{CONCURRENCY} member pages in flight")
    print(f"minimum Graph requests at $top={PAGE_SIZE} and {BATCH_SIZE} per $batch: {minimum} "
          f"({pages} member pages + {math.ceil(batched / BATCH_SIZE)} batches of {batched} "
          "reads); plus 2 authority requests (discovery, token)")
    with tempfile.TemporaryDirectory() as folder:
        ca = LabCA(Path(folder), "Bench CA")
        for share in (0.0, 0.1):
            knobs = Knobs(throttle_share=share, latency=latency_ms / 1000)
            entra = LabEntra(directory, ca, RequestLog(), knobs)
            try:
                requests, throttled, seconds = read(entra, ca.cert_path, directory, members)
            finally:
                entra.close()
            print(f"  throttled share {share:>4.0%}: {requests} Graph requests "
                  f"({requests / minimum:.2f}x the minimum, {throttled} answered 429), "
                  f"wall {seconds:.1f} s")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]] or [50, 200_000, 50]
    main(*args)
