"""A site's own rules, run beside the built-in suite.

    pytest --cm-site=PS1 example_suites/

Each rule names itself with ``cmaad_check`` so that JUnit and the reports carry its id,
severity and step like a built-in check.
"""

from __future__ import annotations

import pytest

from pytest_cmaad.fixtures import SqlReader
from pytest_cmaad.snapshot import SiteSnapshot

MAX_CLIENTS_WITHOUT_BUILD = 0.02


@pytest.mark.cmaad_check("CONTOSO-001", severity="high", step=6)
def test_synced_collections_have_members(cm_snapshot: SiteSnapshot) -> None:
    """A collection mapped to a group must have members, or the group empties itself."""
    fact = cm_snapshot.facts.group_mappings
    if fact is None or fact.value is None:
        pytest.skip("no mapping data for this site")
    empty = [m.collection_id for m in fact.value.mappings if not m.members]
    assert not empty, f"synced collections without members: {', '.join(empty)}"


@pytest.mark.cmaad_check("CONTOSO-002", severity="medium", step=4)
def test_active_clients_report_their_build(cm_sql: SqlReader) -> None:
    """Clients that report no OS build cannot be checked for device token support."""
    row = cm_sql.query(
        "SELECT COUNT(*) AS clients, SUM(CASE WHEN Build01 IS NULL THEN 1 ELSE 0 END) AS unknown "
        "FROM v_R_System WHERE Client0 = 1 AND Active0 = 1 AND COALESCE(Decommissioned0, 0) = 0"
    )[0]
    assert row["clients"], "the site has no active clients"
    share = (row["unknown"] or 0) / row["clients"]
    assert share <= MAX_CLIENTS_WITHOUT_BUILD, (
        f"{row['unknown']} of {row['clients']} active clients report no build ({share:.1%})"
    )
