"""The sweep directory never loses or tears a run: atomic files, tolerant reading, cleanup."""

from __future__ import annotations

import json
import math

from drsim.experiment import atomic
from drsim.experiment.runner import RunResult
from drsim.experiment.store import SweepStore, fingerprint, run_file_name


def test_runs_are_saved_one_file_each_and_read_back_exactly(tmp_path):
    store = SweepStore(tmp_path)
    ok = RunResult(replication=1, status="ok", metrics={"rto_s": 420.0, "x": math.nan,
                                                         "y": math.inf}, wall_s=0.5)
    store.save_run("p0000-aaaa", {"dns.ttl": "30s"}, ok)
    failed = RunResult(replication=0, status="failed", error="ValueError: boom", wall_s=0.1)
    store.save_run("p0001-bbbb", {"dns.ttl": "60s"}, failed)
    runs = store.load_runs()
    assert set(runs) == {("p0000-aaaa", 1), ("p0001-bbbb", 0)}
    assert runs[("p0000-aaaa", 1)]["metrics"]["rto_s"] == 420.0
    assert math.isnan(runs[("p0000-aaaa", 1)]["metrics"]["x"])
    assert runs[("p0000-aaaa", 1)]["metrics"]["y"] == math.inf
    assert runs[("p0001-bbbb", 0)]["status"] == "failed"
    assert runs[("p0001-bbbb", 0)]["error"] == "ValueError: boom"
    # every file is strict JSON (no NaN tokens)
    for path in (tmp_path / "runs").iterdir():
        json.loads(path.read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def test_saving_a_run_again_replaces_it(tmp_path):
    store = SweepStore(tmp_path)
    store.save_run("p0000-aaaa", {}, RunResult(replication=0, status="failed", error="e"))
    store.save_run("p0000-aaaa", {}, RunResult(replication=0, status="ok", metrics={"a": 1.0}))
    assert len(list((tmp_path / "runs").iterdir())) == 1
    assert store.load_runs()[("p0000-aaaa", 0)]["status"] == "ok"


def test_reader_skips_torn_and_foreign_files_and_leftovers_are_removed(tmp_path):
    store = SweepStore(tmp_path)
    store.save_run("p0000-aaaa", {}, RunResult(replication=0, status="ok", metrics={"a": 1.0}))
    runs = tmp_path / "runs"
    (runs / run_file_name("p0000-aaaa", 1)).write_text('{"point": "p0000-aaaa", "replic')
    (runs / "other.json").write_text('{"point": "p0009-zzzz", "replication": 0}')
    (runs / ".p0000-aaaa.r0002.json.abc.tmp").write_text("half")
    assert list(store.load_runs()) == [("p0000-aaaa", 0)]
    assert store.clean_leftovers() == 1
    assert not list(runs.glob("*.tmp"))


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "summary.csv"
    atomic.write_text(target, "old\n")

    def broken(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    try:
        atomic.write_with(target, broken)
    except RuntimeError:
        pass
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_definition_round_trip_and_fingerprint(tmp_path):
    store = SweepStore(tmp_path)
    assert store.read_definition() is None
    document = {"fingerprint": fingerprint({"a": 1}), "design": {"zip": False}}
    store.write_definition(document)
    assert store.read_definition() == document
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
