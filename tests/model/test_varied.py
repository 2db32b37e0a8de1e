"""``Directory.varied`` is conservative: a user it does not mark holds the start state in
every replica at every instant a rule may read it.

The vectorised rules read the replicas of varied users only (:meth:`Rules.varied_many`);
batch-vs-reference equivalence would catch a wrong mark only where a request happens to
meet it. Here every user is checked at the end of each batch and at the end of runs full
of writes, replication, promotion, failback, export and migration.
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model import simulate
from drsim.model.batch import Batch
from drsim.model.dataplane import DataPlane
from drsim.model.directory import Directory, view
from drsim.scenario import load_scenario

SCENARIOS = {
    "password-change-during-failover": [],
    "split-brain": [],
    "failback-while-backlog-drains": [],
    "custom-export-import": [],
    "migration-trigger": [],
    "token-replay-during-failover": ["attackers.1.targets=5000"],
    "replicated-corruption": ["faults.0.detected_after=5m", "backups.restore_time=5m"],
}

STARTS_VARIED = {  # every user varies from the start: the replicas start unlike
    "custom-export-import",  # the secondary holds no password hashes
    "migration-trigger",  # the new pool holds no users
}


def unmarked_off_start(d: Directory) -> int:
    """How many users ``varied`` does not mark hold something else than the start state
    in some replica (or in the truth)."""
    plain = view(d.varied) == 0
    off = (view(d.newest_cred) != 0) | (view(d.newest_profile) != 0)
    for r in range(len(d.exists)):
        off |= ((view(d.exists[r]) != 1) | (view(d.disabled[r]) != 0)
                | (view(d.cred[r]) != 0) | (view(d.profile[r]) != 0)
                | (view(d.revoked_at[r]) != -np.inf))
    return int((plain & off).sum())


@pytest.mark.parametrize("batch", [True, False], ids=["batched", "reference"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_unmarked_users_hold_the_start_state(name, batch, monkeypatch):
    checked: list[tuple[int, int, int]] = []  # (unmarked off the start, varied, users)
    run, finish = DataPlane.run, Batch.finish

    def check(d: Directory) -> None:
        checked.append((unmarked_off_start(d), int(view(d.varied).sum()), len(d.varied)))

    def run_and_check(plane):
        output = run(plane)
        check(plane.directory)
        return output

    def finish_and_check(self, *args, **kwargs):
        result = finish(self, *args, **kwargs)
        check(self.writes.directory)
        return result

    monkeypatch.setattr(DataPlane, "run", run_and_check)
    monkeypatch.setattr(Batch, "finish", finish_and_check)
    scenario = load_scenario(name, ["users.population=20000", "run.duration=40m",
                                    "faults.0.start=10m", "faults.0.duration=15m",
                                    *SCENARIOS[name]])
    records = simulate(scenario, 0, batch=batch)
    assert not records.meta.get("batch_fallback")
    assert checked and all(off == 0 for off, _, _ in checked)
    _, varied, users = checked[-1]
    if name in STARTS_VARIED:
        assert varied == users
    else:
        assert 0 < varied < users  # some users wrote, most did not
