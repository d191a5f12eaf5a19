"""Waiver files: validation errors name the line; object-level allowlists are honest about
bounded samples; expiry stops a waiver from applying."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.facts import Offender, Offenders
from pytest_cmaad.waivers import WaiverError, load_waivers

TODAY = date(2026, 6, 1)
GOOD = 'check = "CMAAD-404"\njustification = "kiosks"\nexpires = 2026-12-31\n'


def waivers_file(tmp_path: Path, text: str) -> Path:
    """A waiver file with ``text``."""
    path = tmp_path / "waivers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def failed(total: int, names: list[str], obj: str | None = None) -> Verdict:
    """A failed CMAAD-404 verdict with offenders."""
    return Verdict(check_id="CMAAD-404", site="PS1", object=obj, outcome="failed", message="x",
                   offenders=Offenders(total=total, sample=[
                       Offender(name=n, resource_id=1000 + i) for i, n in enumerate(names)]))


@pytest.mark.parametrize(("text", "message"), [
    (f"[[waiver]]\n{GOOD}\n[[waiver]]\ncheck = \"CMAAD-101\"\nexpires = 2026-12-31\n",
     "waivers.toml:6: waiver #2: 'justification' is required"),
    ("[[waiver]]\ncheck = \"CMAAD-101\"\njustification = \"x\"\n",
     "waivers.toml:1: waiver #1: 'expires' is required"),
    (f"[[waiver]]\n{GOOD}expires_on = 2026-01-01\n",
     "waivers.toml:1: waiver #1: unknown key 'expires_on'"),
    ("[[waiver]]\ncheck = \"CMAAD-404\"\njustification = \"x\"\nexpires = \"soon\"\n",
     "waivers.toml:1: waiver #1: expires must be a TOML date like 2026-12-31, got 'soon'"),
    ("[[waiver]]\ncheck = \"402\"\njustification = \"x\"\nexpires = 2026-12-31\n",
     "waivers.toml:1: waiver #1: check must be a check id like CMAAD-402, got '402'"),
    ("[[waiver]]\ncheck = \"CMAAD-404\n", "waivers.toml: invalid TOML: "),
])
def test_malformed_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    """Every problem is one line starting with the file (and the waiver's line)."""
    with pytest.raises(WaiverError) as caught:
        load_waivers(waivers_file(tmp_path, text), TODAY)
    assert str(caught.value).startswith(str(tmp_path / message.split(":", 1)[0]))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value).rstrip()


def test_malformed_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """On the command line it stops the run before anything is collected."""
    path = waivers_file(pytester.path, "[[waiver]]\ncheck = \"CMAAD-101\"\n")
    result = pytester.runpytest("--cm-site=lab", f"--cm-waivers={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *waivers.toml:1: waiver #1: 'justification' is required"])


def test_object_allowlist_must_cover_every_offender(tmp_path: Path) -> None:
    """Three allowlisted devices waive a failure of those three, not of a fourth, and not
    of a failure whose sample is smaller than its total (the rest are unknown)."""
    path = waivers_file(tmp_path, f'[[waiver]]\n{GOOD}objects = ["A", "B", 1002]\n')
    waivers = load_waivers(path, TODAY)
    covered = waivers.decide(failed(3, ["A", "B", "C"]))
    assert covered is not None and covered.state == "applied"
    fourth = waivers.decide(failed(4, ["A", "B", "C", "D"]))
    assert fourth is not None and fourth.state == "not-covered" and "D" in fourth.note
    bounded = waivers.decide(failed(30, ["A", "B"]))
    assert bounded is not None and bounded.state == "not-covered"
    assert "only 2 of 30 offenders are listed" in bounded.note
    per_object = waivers.decide(failed(1, [], obj="B"))
    assert per_object is not None and per_object.state == "applied"


def test_expired_waiver_stops_applying(tmp_path: Path) -> None:
    """Past its expiry the waiver is reported as expired and the failure stands."""
    path = waivers_file(tmp_path, "[[waiver]]\n" + GOOD.replace("2026-12-31", "2026-05-31"))
    waivers = load_waivers(path, TODAY)
    decision = waivers.decide(failed(1, ["A"]))
    assert decision is not None and decision.state == "expired"
    assert [w.index for w in waivers.expired()] == [1]


def test_waiver_for_another_site_or_outcome_does_not_match(tmp_path: Path) -> None:
    """Site-scoped waivers match only their site; passes and skips are never waived."""
    path = waivers_file(tmp_path, f'[[waiver]]\n{GOOD}site = "PS2"\n')
    waivers = load_waivers(path, TODAY)
    assert waivers.decide(failed(1, ["A"])) is None
    passed = Verdict(check_id="CMAAD-404", site="PS2", outcome="passed", message="ok")
    assert waivers.decide(passed) is None
    assert [w.index for w in waivers.unused()] == [1]
