"""Fixtures for report tests: tiny real outputs of `drsim run`, `compare` and `sweep`.

A two-region active-passive design with 2,000 users, a 10-minute run and a
5-minute primary outage, with traffic scaled down so a replication takes a
fraction of a second. Each output is made once per test session, in a
temporary directory, through the same code paths a user takes (the public API
for the run, the command line for the comparison and the sweeps).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tiny_scenario import tiny_scenario

TINY = tiny_scenario(seed=5, attacker=True, head="""\
name: tiny
description: |
  What does a 5-minute primary outage cost a tiny active-passive pool?
  A test design: 2,000 users, a trickle of traffic and one credential stuffer.
""")

TINY_GLOBAL = """\
extends: tiny.yaml
name: tiny-global
description: The tiny pool with one lockout counter shared by both regions.
lockout:
  scope: global
"""


def _cli(*args: object) -> None:
    from drsim.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Directories ``run``, ``compare``, ``sweep`` (2 × 2 grid), ``sweep1`` (one parameter)
    and ``sweep3`` (a 2 × 2 × 2 grid)."""
    import drsim

    root = tmp_path_factory.mktemp("report-outputs")
    (root / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (root / "tiny-global.yaml").write_text(TINY_GLOBAL, encoding="utf-8")
    dirs = {name: root / name for name in ("run", "compare", "sweep", "sweep1", "sweep3")}
    drsim.run(drsim.load(root / "tiny.yaml"), reps=2, seed=5, jobs=1).save(dirs["run"])
    _cli("compare", root / "tiny.yaml", root / "tiny-global.yaml", "--reps", 2, "--jobs", 1,
         "--quiet", "--no-charts", "-o", dirs["compare"])
    _cli("sweep", root / "tiny.yaml", "--param", "dns.ttl=10s,120s", "--param",
         "health_check.interval=10s,30s", "--reps", 2, "--jobs", 1, "--quiet", "--no-charts",
         "-o", dirs["sweep"])
    _cli("sweep", root / "tiny.yaml", "--param", "dns.ttl=10s,120s", "--reps", 1, "--jobs", 1,
         "--quiet", "--no-charts", "-o", dirs["sweep1"])
    _cli("sweep", root / "tiny.yaml", "--param", "dns.ttl=10s,120s", "--param",
         "health_check.interval=10s,30s", "--param", "lockout.scope=region,global",
         "--reps", 1, "--jobs", 1, "--quiet", "--no-charts", "-o", dirs["sweep3"])
    return dirs


def sweep_threshold(directory: Path) -> float:
    """The median of the sweep's failed-login means: a target some settings meet, some not."""
    import pandas as pd

    return float(pd.read_parquet(directory / "points.parquet")["failed_logins.mean"].median())


@pytest.fixture(scope="session")
def reports(outputs: dict[str, Path]) -> dict[str, Path]:
    """The HTML report of each output (written by ``drsim report``; the comparison and the
    sweeps with a ``--target``, the grid sweep's at :func:`sweep_threshold`)."""
    targets = {"compare": "failed_logins<100000,rto_s<5m",
               "sweep": f"failed_logins<{sweep_threshold(outputs['sweep'])}",
               "sweep1": "rto_s<5m"}
    out = {}
    for name, directory in outputs.items():
        target = targets.get(name)
        _cli("report", directory, *(["--target", target] if target else []))
        out[name] = directory / "report.html"
    return out
