"""Fixtures for experiment tests: a tiny DR scenario that runs in a fraction of a second.

``tiny_scenario`` is a two-region active-passive design with 2000 users, a
10-minute run and a 5-minute primary outage, with traffic scaled down so one
replication takes ~0.3 s; experiments over it exercise the real model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SCENARIO = """\
# A tiny active-passive design: does the sweep/compare machinery work end to end?
name: tiny
users:
  population: 2000
traffic:
  sign_in: 2/s
  federated_sign_in: 0.2/s
  refresh: 4/s
  sign_up: 0.1/s
  profile_read: 1/s
  profile_update: 0.2/s
  password_change: 0.05/s
  sign_out: 0.1/s
run:
  duration: 10m
  replications: 2
  seed: 11
faults:
  - kind: region_outage
    region: us-east-1
    start: 2m
    duration: 5m
"""


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """Path of the tiny scenario file (in the test's temporary directory)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path
