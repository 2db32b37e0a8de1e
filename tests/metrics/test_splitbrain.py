"""Split-brain metrics on hand-made tables: windows from the ``writers`` events, and the
writes flagged by reconciliation (one row per write and other region)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from drsim.metrics.splitbrain import (
    split_brain_by_incident,
    split_brain_metrics,
    split_windows_from_events,
)
from drsim.metrics.summary import summarise
from drsim.report.readings import split_brain_text

from .conftest import build_events, build_writes


def writers(*rows: tuple[float, int]):
    return build_events([{"time_s": t, "kind": "writers", "value": n,
                          "detail": ",".join(["r1", "r2"][:n])} for t, n in rows])


def test_windows_with_two_writers_sum_and_an_open_one_ends_with_the_run():
    events = writers((0.0, 1), (100.0, 2), (160.0, 1), (400.0, 2))
    assert split_windows_from_events(events, 500.0) == [(100.0, 160.0), (400.0, 500.0)]
    m = split_brain_metrics(events, build_writes([]), 500.0)
    assert m["split_brain_s"] == 160.0 and m["split_brains"] == 2.0
    assert m["split_brain_max_s"] == 100.0
    assert m["split_brain_recovered"] == 0.0  # the second is open at the end
    closed = split_brain_metrics(writers((0.0, 1), (100.0, 2), (160.0, 1)), build_writes([]),
                                 500.0)
    assert closed["split_brain_recovered"] == 1.0 and closed["split_brain_s"] == 60.0


def test_each_incident_gets_the_split_within_its_span():
    events = writers((0.0, 1), (100.0, 2), (160.0, 1), (400.0, 2))
    spans = [SimpleNamespace(number=1, start_s=50.0, observe_end_s=300.0),
             SimpleNamespace(number=2, start_s=300.0, observe_end_s=500.0)]
    assert split_brain_by_incident(events, spans, 450.0) == {
        "incident.1.split_brain_s": 60.0, "incident.2.split_brain_s": 50.0}


def test_conflicting_writes_kept_and_lost_count_writes_not_rows():
    rows = [
        {"write_id": 1, "user": 7, "origin": "r1", "target": "r2", "split": 2},
        {"write_id": 1, "user": 7, "origin": "r1", "target": "r3", "split": 2},
        {"write_id": 2, "user": 7, "origin": "r2", "target": "r1", "split": 3},
        {"write_id": 3, "user": 8, "origin": "r2", "target": "r1", "split": 3},
        {"write_id": 4, "user": 8, "origin": "r1", "target": "r2", "split": 2},
        {"write_id": 5, "user": 9, "origin": "r1", "target": "r2", "split": 1},
        {"write_id": 6, "user": 9, "origin": "r1", "target": "r2", "split": 0},
    ]
    m = split_brain_metrics(writers((0.0, 1)), build_writes(rows, ("r1", "r2", "r3")), 10.0)
    assert m["split_brain_s"] == 0.0
    assert (m["split_writes"], m["conflicting_writes"], m["conflicting_users"]) == (5, 4, 2)
    assert (m["reconciled_writes_kept"], m["reconciled_writes_lost"]) == (2, 2)


@pytest.mark.parametrize(("values", "expected"), [
    ({"split_brain_s": 250.0, "split_writes": 1200.0, "conflicting_writes": 312.0,
      "conflicting_users": 150.0, "reconciled_writes_kept": 298.0,
      "reconciled_writes_lost": 14.0},
     ["Two regions took writes for 4.2 min", "1,200 writes", "312 of them conflicting",
      "150 users", "kept 298 and lost 14"]),
    ({"split_brain_s": 0.0, "split_writes": 0.0, "conflicting_writes": 0.0},
     ["No two regions ever took writes at once"]),
])
def test_the_split_brain_reads_in_words(values, expected):
    summary = summarise([values])
    text = split_brain_text(summary)
    for words in expected:
        assert words in text, text
