"""Warnings about legal but suspect settings: located like errors, exit 0 unless --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsim.scenario import check_scenario, shipped_scenarios

from .conftest import run_cli

TEMPLATE = """\
name: mine
{clients}run:
  duration: 2h
faults:
  - kind: region_outage
    region: us-east-1
    start: 1h
    duration: {fault}
"""
OUTLASTING = TEMPLATE.format(clients="clients: internet\n", fault="2h")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def _warnings(tmp_path: Path, text: str) -> list[str]:
    return [str(w) for w in check_scenario(_write(tmp_path, text))[1]]


def test_a_fault_outlasting_the_run_warns_at_its_duration(tmp_path):
    [warning] = _warnings(tmp_path, OUTLASTING)
    assert warning.startswith(f"{tmp_path / 'mine.yaml'}:9: faults.0.duration: the fault lasts "
                              "until 3h, past the end of the run (2h)")


@pytest.mark.parametrize("duration", ["1h", "30m", "forever"])
def test_a_fault_within_the_run_or_forever_does_not_warn(tmp_path, duration):
    text = TEMPLATE.format(clients="clients: internet\n", fault=duration)
    assert _warnings(tmp_path, text) == []


def test_no_clients_warns_and_names_the_calibrated_mix(tmp_path):
    [warning] = _warnings(tmp_path, TEMPLATE.format(clients="", fault="30m"))
    assert ": clients: no clients given: every client honours the DNS TTL" in warning
    assert "'clients: internet'" in warning


def test_shipped_scenarios_have_no_warnings():
    for path in shipped_scenarios():
        assert check_scenario(path)[1] == [], path.name


def test_validate_prints_warnings_and_exits_0_unless_strict(tmp_path):
    path = str(_write(tmp_path, OUTLASTING))
    code, output = run_cli("validate", path)
    assert code == 0
    assert "faults.0.duration: warning: the fault lasts until 3h" in output
    assert f"ok  {path}" in output
    code, output = run_cli("validate", "--strict", path)
    assert code == 2
    assert "faults.0.duration: error: the fault lasts until 3h" in output
    assert "ok  " not in output


SHEDDING = """\
name: mine
clients:
  - {{name: app, share: 100%, dns: {{behaviour: honour}}{timeout}}}
regions:
  - name: r1
    role: primary
    capacity: {{vcpus: 2, max_wait: 12s, discipline: drop_expired}}
"""


def test_shedding_that_cannot_work_warns(tmp_path):
    """max_wait not under the clients' timeout; drop_expired without any timeout."""
    [warning] = _warnings(tmp_path, SHEDDING.format(timeout=", timeout: 10s"))
    assert ":7: regions.0.capacity.max_wait: max_wait 12s is not under the shortest client " \
        "timeout (10s)" in warning
    [warning] = _warnings(tmp_path, SHEDDING.format(timeout=""))
    assert ":7: regions.0.capacity.discipline: drop_expired skips requests" in warning
    assert _warnings(tmp_path, SHEDDING.format(timeout=", timeout: 15s")) == []
