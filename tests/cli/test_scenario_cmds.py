"""drsim validate / describe / schema / scenarios / --version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from drsim import __version__
from drsim.cli import main
from drsim.scenario import load_scenario, parse_scenario

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))
REFERENCE = REPO / "scenarios" / "cognito-active-passive.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_validate_all_shipped_scenarios() -> None:
    assert SHIPPED, "no shipped scenarios found"
    code, output = run("validate", *map(str, SHIPPED))
    assert code == 0, output
    lines = output.splitlines()
    assert len(lines) == len(SHIPPED)
    for path, line in zip(SHIPPED, lines, strict=True):
        scenario = load_scenario(path)
        question = scenario.description.strip().splitlines()[0]
        assert line == f"ok  {path}  ({scenario.name}: {question})"


def test_validate_reports_every_bad_file_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndns: {ttl: 0s}\n")
    code, output = run("validate", str(REFERENCE), str(bad), str(tmp_path / "missing.yaml"))
    assert code == 2
    assert f"ok  {REFERENCE}" in output
    assert f"{bad}:2: dns.ttl: expected more than 0s, got '0s'" in output
    assert f"{tmp_path / 'missing.yaml'}: cannot read the scenario" in output
    assert "Traceback" not in output


def test_validate_needs_a_file() -> None:
    code, output = run("validate")
    assert code == 2 and "Missing argument" in output


def test_schema_is_json_describing_the_top_level_keys() -> None:
    code, output = run("schema")
    assert code == 0
    schema = json.loads(output)
    assert schema["title"] == "Scenario"
    assert set(schema["properties"]) == {
        "extends", "name", "description", "regions", "secondary_limits", "replication", "users",
        "clients", "traffic", "attackers", "dns", "health_check", "failover", "sessions",
        "lockout", "relying_parties", "dependencies", "faults", "backups", "pricing", "run",
    }
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False


def test_schema_accepts_the_reference_scenario_when_jsonschema_is_available() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    code, output = run("schema")
    schema = json.loads(output)
    jsonschema.validate(yaml.safe_load(REFERENCE.read_text()), schema)
    jsonschema.validate({"extends": "cognito-active-passive", "name": "x", "lockout": "none"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "dns": {"tll": "60s"}}, schema)


def test_scenarios_lists_names_and_questions() -> None:
    code, output = run("scenarios")
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split() == ["NAME", "QUESTION"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {p.stem for p in SHIPPED}
    question = load_scenario(REFERENCE).description.splitlines()[0]
    assert rows["cognito-active-passive"].endswith(question)


def test_scenarios_marks_invalid_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.yaml").write_text("name: good\ndescription: Is it good?\n")
    (tmp_path / "broken.yaml").write_text("name: broken\ndns: {ttl: x}\n")
    monkeypatch.setenv("DRSIM_SCENARIOS", str(tmp_path))
    code, output = run("scenarios")
    assert code == 0
    assert output.splitlines()[1:] == [
        f"broken  INVALID: {tmp_path / 'broken.yaml'}:2: dns.ttl: expected a duration such as "
        "'250ms', '30s', '5m', '2h' or '30d', got 'x'",
        "good    Is it good?",
    ]


def test_describe_summarises_and_resolves() -> None:
    code, output = run("describe", "cognito-active-passive", "--set", "dns.ttl=20s")
    assert code == 0
    assert "TTL 20s; health check 30s × 3" in output
    assert "region_outage us-east-1 at 30m for 30m" in output
    code, output = run("describe", str(REFERENCE), "--yaml")
    assert code == 0
    assert parse_scenario(output) == load_scenario(REFERENCE)


def test_describe_bad_override_exits_2() -> None:
    code, output = run("describe", str(REFERENCE), "--set", "dns.ttl=sixty")
    assert code == 2
    assert output.startswith("--set dns.ttl=sixty: dns.ttl: expected a duration")
    assert "Traceback" not in output


def test_version() -> None:
    code, output = run("--version")
    assert code == 0 and output.strip() == f"drsim, version {__version__}"
