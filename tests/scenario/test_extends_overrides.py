"""``extends:`` inheritance (deep merge) and ``--set`` overrides, with their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsim.scenario import ScenarioError, load_scenario, parse_scenario

from .conftest import REFERENCE, run_cli

PARENT = """\
name: parent
description: the parent
dns:
  ttl: 60s
  routing: failover
health_check:
  interval: 30s
  failure_threshold: 3
lockout: cognito
clients: internet
faults:
  - {kind: region_outage, region: us-east-1, start: 10m, duration: 10m}
  - {kind: idp_outage, start: 30m, duration: 5m}
"""


def _problems(error: ScenarioError) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.key_path) for p in error.problems]


def test_extends_a_shipped_name_and_deep_merges(shipped_dir: Path) -> None:
    (shipped_dir / "parent.yaml").write_text(PARENT)
    child = parse_scenario(
        "extends: parent\nname: child\ndns:\n  ttl: 20s\nlockout: {scope: global}\n"
        "faults:\n  - {kind: idp_outage, start: 1h, duration: 1m}\n"
    )
    assert child.name == "child"
    assert child.description == "the parent"
    assert (child.dns.ttl, child.dns.routing) == (20.0, "failover")  # mapping merged
    assert child.health_check.interval == 30.0  # inherited section
    assert (child.lockout.preset, child.lockout.scope) == ("cognito", "global")
    assert len(child.clients) == 5  # the parent's preset
    assert [f.kind for f in child.faults] == ["idp_outage"]  # lists replace


def test_extends_chain_and_relative_path(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(PARENT)
    (tmp_path / "middle.yaml").write_text("extends: base/parent.yaml\nname: middle\ndns: {ttl: 30s}\n")
    (tmp_path / "child.yaml").write_text("extends: middle.yaml\nname: child\nclients: honour\n")
    child = load_scenario(tmp_path / "child.yaml")
    assert (child.name, child.dns.ttl, len(child.clients), len(child.faults)) == ("child", 30.0, 1, 2)


def test_extends_the_reference_scenario(shipped_dir: Path) -> None:
    (shipped_dir / "cognito-active-passive.yaml").write_text(REFERENCE.read_text())
    variant = parse_scenario("extends: cognito-active-passive\nname: short-ttl\ndns: {ttl: 20s}\n")
    reference = load_scenario(REFERENCE)
    assert variant.dns.ttl == 20.0
    assert variant.model_copy(update={"name": reference.name, "dns": reference.dns}) == reference


def test_errors_inside_the_parent_point_at_the_parent(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(PARENT.replace("failure_threshold: 3", "failure_threshold: 30"))
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\nname: child\ndns:\n  ttl: soon\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "child.yaml")
    assert sorted(_problems(caught.value)) == sorted([
        (str(tmp_path / "child.yaml"), 4, "dns.ttl"),
        (str(tmp_path / "parent.yaml"), 8, "health_check.failure_threshold"),
    ])


def test_a_child_that_replaces_a_list_does_not_inherit_its_lines(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(PARENT)
    (tmp_path / "child.yaml").write_text(
        "extends: parent.yaml\nname: child\nfaults:\n  - kind: region_outage\n"
        "    region: nowhere\n    start: 1m\n    duration: 1m\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "child.yaml")
    assert _problems(caught.value) == [(str(tmp_path / "child.yaml"), 5, "faults.0.region")]


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    code, output = run_cli("validate", str(tmp_path / "a.yaml"))
    assert code == 2 and "Traceback" not in output
    assert "b.yaml:2: extends: extends cycle: " in output
    assert output.count("a.yaml") >= 2


def test_extends_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: ../nope.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "a.yaml")
    assert _problems(caught.value) == [(str(tmp_path / "a.yaml"), 2, "extends")]


def test_extends_unknown_name_suggests_a_close_one(shipped_dir: Path) -> None:
    (shipped_dir / "cognito-active-passive.yaml").write_text(REFERENCE.read_text())
    with pytest.raises(ScenarioError, match="did you mean 'cognito-active-passive'"):
        parse_scenario("extends: cognito-activ-passive\nname: x\n")


# ------------------------------------------------------------------------------ overrides


def test_overrides_set_scalars_list_entries_and_flow_values() -> None:
    s = load_scenario(
        REFERENCE,
        [
            "dns.ttl=30s",
            "faults.0.duration=10m",
            "health_check.interval=10s",
            "faults.1={kind: idp_outage, start: 1h, duration: 5m}",
            "lockout.scope=global",
            "attackers.0.regions=[us-east-1]",
        ],
    )
    assert s.dns.ttl == 30.0
    assert s.faults[0].duration == 600.0
    assert s.health_check.interval == 10.0
    assert s.faults[1].kind == "idp_outage"
    assert s.lockout.scope == "global" and s.lockout.preset == "cognito"
    assert s.attackers[0].regions == ("us-east-1",)


def test_overrides_apply_in_order_and_can_switch_presets() -> None:
    s = load_scenario(REFERENCE, ["dns.ttl=30s", "dns.ttl=45s", "clients=honour"])
    assert s.dns.ttl == 45.0 and len(s.clients) == 1


def test_override_into_a_missing_section_creates_it() -> None:
    s = parse_scenario("name: x\n", overrides=["failover.failback.policy=never"])
    assert s.failover.failback.policy == "never"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("dns.ttl=sixty",
         "--set dns.ttl=sixty: dns.ttl: expected a duration such as '250ms', '30s', '5m', '2h' "
         "or '30d', got 'sixty'"),
        ("dns.tll=30s", "--set dns.tll=30s: dns.tll: unknown key 'tll'; did you mean 'ttl'?"),
        ("dns.ttl", "--set dns.ttl: expected KEY=VALUE such as dns.ttl=30s, got 'dns.ttl'"),
        ("dns..ttl=1s", "--set dns..ttl=1s: expected a dotted key such as dns.ttl"),
        ("faults.5.start=1m",
         "--set faults.5.start=1m: faults.5: index 5 is out of range: faults has 1 entry"),
        ("faults.start=1m", "--set faults.start=1m: faults: is a list; name an entry by number"),
        ("faults.²=1m", "--set faults.²=1m: faults: is a list; name an entry by number"),
        ("dns.ttl.unit=s", "--set dns.ttl.unit=s: dns.ttl: is '60s', not a section with keys"),
        ("bursts.0.start=1m", "--set bursts.0.start=1m: bursts: not set in the scenario"),
        ("dns.ttl=[60s", "--set dns.ttl=[60s: dns.ttl: YAML syntax error"),
        ("extends=other", "--set extends=other: extends: extends cannot be overridden"),
        ("health_check.failure_threshold=0",
         "--set health_check.failure_threshold=0: health_check.failure_threshold: expected at "
         "least 1, got 0"),
        ("faults.0.region=us-east-2",
         "--set faults.0.region=us-east-2: faults.0.region: no region named 'us-east-2'"),
    ],
)
def test_override_errors_name_the_override(override: str, expected: str) -> None:
    code, output = run_cli("validate", str(REFERENCE), "--set", override)
    assert code == 2
    assert "Traceback" not in output
    assert output.startswith(expected), output


def test_all_override_problems_are_reported_together() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(REFERENCE, ["dns.ttl=never", "faults.9.start=1m", "run.seed=-1"])
    assert sorted(p.file for p in caught.value.problems) == [
        "--set dns.ttl=never",
        "--set faults.9.start=1m",
        "--set run.seed=-1",
    ]
    assert all(p.line == 0 for p in caught.value.problems)


def test_validate_accepts_set() -> None:
    code, output = run_cli("validate", str(REFERENCE), "--set", "dns.ttl=20s")
    assert code == 0 and output.startswith("ok  ")


def test_extends_can_switch_a_distribution_variant(tmp_path):
    """A child naming another distribution replaces the parent's instead of merging keys."""
    from drsim.scenario import load_scenario

    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: cognito-active-passive\n"
        "name: child\n"
        "replication:\n"
        "  lag: {distribution: uniform, low: 0s, high: 1h}\n"
    )
    lag = load_scenario(child).replication.lag
    assert lag.distribution == "uniform"
    assert (lag.low, lag.high) == (0.0, 3600.0)
