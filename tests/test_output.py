"""Run outputs: atomic writes, canonical summary JSON, the one JSON rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from drsim import output
from drsim.experiment import atomic
from drsim.experiment.jsondata import FLOAT_DIGITS, json_text, jsonable, load_float, store_float


def test_atomic_write_replaces_whole_file(tmp_path: Path):
    target = tmp_path / "summary.json"
    atomic.write_text(target, "first\n")
    atomic.write_text(target, "second\n")
    assert target.read_text() == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temp files left


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path):
    target = tmp_path / "records.parquet"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"half a fi")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["records.parquet"]


def test_jsonable_nan_numpy_and_rounding():
    value = {
        "b": [np.float64(1.0) / 3, np.int64(7), math.nan, math.inf, np.bool_(True)],
        "a": (np.array([0.1 + 0.2]), -0.0, None),
    }
    assert jsonable(value, FLOAT_DIGITS) == {
        "b": [0.333333333333, 7, None, None, True],
        "a": [[0.3], 0.0, None],
    }


def test_summary_json_is_canonical():
    one = output.summary_json({"metrics": {"z": {"mean": 1.0}, "a": {"mean": math.nan}}, "seed": 1})
    two = output.summary_json({"seed": 1, "metrics": {"a": {"mean": None}, "z": {"mean": 1.0}}})
    assert one == two and one.endswith("\n")
    assert json.loads(one) == {"metrics": {"a": {"mean": None}, "z": {"mean": 1.0}}, "seed": 1}


def test_default_run_dir_is_unique(tmp_path: Path):
    first = output.default_run_dir("demo", root=tmp_path)
    assert first.parent == tmp_path / "demo" and first.name.endswith("Z")
    first.mkdir(parents=True)
    second = output.default_run_dir("demo", root=tmp_path)
    assert second != first and second.name.startswith(first.name)


def test_atomic_writes_are_readable_and_fsynced(tmp_path: Path, monkeypatch):
    synced = []
    real_fsync = __import__("os").fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    target = atomic.write_text(tmp_path / "sub" / "manifest.yaml", "x: 1\n")
    assert target.read_text() == "x: 1\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert len(synced) == 2  # the file, then its directory


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("inf")])
def test_published_json_has_null_for_nan_and_both_infinities(bad):
    assert jsonable({"x": bad, "y": [bad]}) == {"x": None, "y": [None]}
    assert json.loads(json_text({"x": bad})) == {"x": None}
    assert "Infinity" not in output.summary_json({"metrics": {"rto_s": {"mean": bad}}})


def test_the_sweep_run_store_keeps_infinity():
    for x in (math.inf, -math.inf, 1.5):
        assert load_float(json.loads(json.dumps(store_float(x)))) == x
    assert math.isnan(load_float(store_float(math.nan)))
