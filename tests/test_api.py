"""The public Python API: the README example, RunOutput, determinism across executors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import drsim
from drsim.api import RunOutput, with_run_settings

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "users.population=2000",
    "run.duration=12m",
    "faults.0.start=4m",
    "faults.0.duration=5m",
    "traffic.sign_in=5/s",
    "traffic.refresh=5/s",
    "traffic.profile_read=5/s",
]


def readme_api_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "README.md has no python block under '## API'"
    return match.group(1)


def test_readme_api_example_runs(monkeypatch, capsys, tmp_path):
    code = readme_api_example()
    assert len(code.strip().splitlines()) == 5  # the five-line example
    monkeypatch.chdir(tmp_path)  # it must not depend on the working directory
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = namespace["out"]
    assert isinstance(out, RunOutput) and out.ok
    printed = capsys.readouterr().out
    assert "'mean'" in printed and "'ci95'" in printed and "region_down" in printed
    assert out.summary["replications"] == 3 and out.summary["seed"] == 7


@pytest.fixture(scope="module")
def output() -> RunOutput:
    scenario = drsim.load("cognito-active-passive", TINY)
    return drsim.run(scenario, reps=2, seed=3)


def test_summary_is_json_ready_and_matches_per_replication(output: RunOutput):
    text = json.dumps(output.summary, allow_nan=False)  # NaN already turned into null
    assert json.loads(text) == output.summary
    frame = output.per_replication
    assert list(frame.index) == [0, 1] and frame.index.name == "replication"
    assert list(frame["status"]) == ["ok", "ok"]
    failed = output.summary["metrics"]["failed_logins"]
    assert failed["per_replication"] == list(frame["failed_logins"])
    assert failed["mean"] == pytest.approx(frame["failed_logins"].mean())
    assert output.metrics is output.summary["metrics"]


def test_records_are_pandas_tables(output: RunOutput):
    records = output.records(1)
    for table in (records.requests, records.writes, records.locks, records.events):
        assert isinstance(table, pd.DataFrame)
    assert {"time_s", "op", "outcome", "region"} <= set(records.requests.columns)
    assert records.meta["replication"] == 1
    outcomes = records.requests["outcome"].value_counts()
    assert outcomes["region_down"] > 0
    with pytest.raises(KeyError, match="no replication 5"):
        output.records(5)


def test_save_writes_the_run_directory(output: RunOutput, tmp_path: Path):
    directory = output.save(tmp_path / "run", charts=False)
    assert (directory / "manifest.yaml").is_file()
    assert json.loads((directory / "summary.json").read_text()) == output.summary
    requests = pd.read_parquet(directory / "records.parquet")
    assert len(requests) == len(output.records(0).requests) + len(output.records(1).requests)


def test_process_pool_gives_the_same_summary(output: RunOutput):
    scenario = drsim.load("cognito-active-passive", TINY)
    pooled = drsim.run(scenario, reps=2, seed=3, jobs=2, keep_records=False)
    assert pooled.summary == output.summary
    with pytest.raises(KeyError, match="keep_records"):
        pooled.records(0)


def test_run_accepts_a_path_and_applies_seed_and_reps(tmp_path: Path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "extends: cognito-active-passive\nname: tiny\n"
        "users: {population: 500}\nattackers: []\nfaults: []\n"
        "traffic: {sign_in: 1/s, refresh: 1/s, profile_read: 1/s}\n"
        "run: {duration: 5m, replications: 4, seed: 1}\n"
    )
    out = drsim.run(path, reps=1, seed=9, keep_records=False)
    assert out.scenario.run.seed == 9 and out.scenario.run.replications == 1
    assert out.summary["seed"] == 9 and len(out.results) == 1
    # no fault: every sign-in succeeds, the RTO is undefined (null)
    assert out.summary["metrics"]["failed_logins"]["mean"] == 0
    assert out.summary["metrics"]["rto_s"]["mean"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reps": 0}, "reps"), ({"seed": -1}, "seed"), ({"reps": 2.5}, "reps")],
)
def test_bad_run_settings_raise_value_error(kwargs, message):
    scenario = drsim.load("cognito-active-passive")
    with pytest.raises(ValueError, match=message):
        with_run_settings(scenario, **kwargs)


def test_version_and_lazy_exports():
    assert isinstance(drsim.__version__, str) and drsim.__version__
    assert drsim.run is drsim.api.run and drsim.load is drsim.api.load
    with pytest.raises(AttributeError):
        drsim.no_such_name  # noqa: B018


def test_dir_lists_the_public_api():
    """``dir(drsim)`` shows the lazily imported functions (tab completion, help)."""
    import drsim

    names = dir(drsim)
    for name in ("load", "run", "compare", "sweep", "write_report", "RunOutput", "__version__"):
        assert name in names
        assert getattr(drsim, name) is not None
