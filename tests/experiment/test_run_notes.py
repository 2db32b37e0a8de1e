"""A run's notes: each metric's reason over the replications, and in how many it applies."""

from __future__ import annotations

from drsim.experiment.run import merged_notes
from drsim.experiment.runner import RunResult


def _result(replication: int, notes: dict[str, str]) -> RunResult:
    return RunResult(replication=replication, status="ok", notes=notes)


def test_notes_say_in_how_many_replications_they_apply():
    results = [_result(0, {"rto_s": "censored", "staleness_p99_s": "no stale read"}),
               _result(1, {"rto_s": "censored (other words)"}),
               _result(2, {"rto_s": "censored"})]
    assert merged_notes(results) == {
        "rto_s": "censored",  # in every replication: the first replication's words
        "staleness_p99_s": "no stale read (in 1 of 3 replications)",
    }


def test_no_notes_no_entries():
    assert merged_notes([_result(0, {}), _result(1, {})]) == {}
