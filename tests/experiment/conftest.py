"""Fixtures for experiment tests: a tiny DR scenario that runs in a fraction of a second.

``tiny_scenario`` is a two-region active-passive design with 2000 users, a
10-minute run and a 5-minute primary outage, with traffic scaled down so one
replication takes ~0.3 s; experiments over it exercise the real model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_scenario import tiny_scenario

TINY_SCENARIO = tiny_scenario(seed=11, head="""\
# A tiny active-passive design: does the sweep/compare machinery work end to end?
name: tiny
""")


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """Path of the tiny scenario file (in the test's temporary directory)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path
