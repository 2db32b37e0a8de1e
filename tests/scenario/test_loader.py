"""Loading scenarios: the reference scenario, presets, CSV samples, round trip, YAML features."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drsim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    resolved_yaml,
    scenarios_dir,
    shipped_scenarios,
)
from drsim.scenario.schema import Empirical, Lognormal, PinAnswer, RegionOutage
from drsim.scenario.yamlsource import read_yaml

from .conftest import REFERENCE, SCENARIOS


def test_reference_scenario_has_the_domain_defaults() -> None:
    s = load_scenario(REFERENCE)
    assert s.name == "cognito-active-passive"
    assert s.description.splitlines()[0].endswith("?")
    assert [(r.name, r.role) for r in s.regions] == [
        ("us-east-1", "primary"),
        ("eu-west-1", "secondary"),
    ]
    assert s.replication.mode == "async"
    assert isinstance(s.replication.lag, Lognormal)
    assert (s.replication.lag.median, s.replication.lag.p99) == (1.0, 10.0)
    assert s.dns.ttl == 60.0
    assert (s.health_check.interval, s.health_check.failure_threshold) == (30.0, 3)
    assert s.users.population == 1_000_000
    assert s.lockout.preset == "cognito" and s.lockout.scope == "region"
    assert (s.lockout.threshold, s.lockout.first_lock, s.lockout.cap) == (5, 1.0, 900.0)
    assert s.faults == (
        RegionOutage(kind="region_outage", region="us-east-1", start="30m", duration="30m"),
    )
    assert s.run.duration == 7200.0
    (attacker,) = s.attackers
    assert (attacker.kind, attacker.rate, attacker.targets) == ("credential_stuffing", 2.0, 1000)
    assert sum(c.share for c in s.clients) == pytest.approx(1.0, abs=1e-12)


def test_every_key_of_the_reference_scenario_is_commented() -> None:
    text = REFERENCE.read_text()
    lines = text.splitlines()
    _data, source_map = read_yaml(text, str(REFERENCE))
    uncommented = []
    for path, (_file, line) in source_map.entries.items():
        if not path or isinstance(path[-1], int):
            continue
        here, above = lines[line - 1], lines[line - 2] if line > 1 else ""
        if "#" not in here and not above.lstrip().startswith("#"):
            uncommented.append((".".join(map(str, path)), line))
    assert uncommented == []
    tags = re.findall(r"\[(doc|report|assumption)\b", text)
    assert len(tags) > 50


def test_a_shipped_scenario_can_be_named_without_its_path() -> None:
    assert load_scenario("cognito-active-passive") == load_scenario(REFERENCE)


def test_scenarios_dir_defaults_to_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRSIM_SCENARIOS", raising=False)
    assert scenarios_dir().resolve() == SCENARIOS.resolve()
    assert REFERENCE.resolve() in [p.resolve() for p in shipped_scenarios()]


def test_scenarios_dir_follows_the_environment(shipped_dir: Path) -> None:
    assert scenarios_dir() == shipped_dir
    assert shipped_scenarios() == []


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_round_trip_through_resolved_yaml(path: Path) -> None:
    scenario = load_scenario(path)
    again = parse_scenario(resolved_yaml(scenario))
    assert again == scenario
    assert resolved_yaml(again) == resolved_yaml(scenario)


KITCHEN_SINK = """\
name: kitchen-sink
regions:
  - {name: a, role: primary}
  - {name: b, role: secondary}
  - {name: c, role: secondary}
replication:
  lag: {distribution: empirical, samples: [10ms, 1.5s, 2m]}
  throughput: 250/s
users: {population: 250k, federated: 0.5%}
clients:
  - {name: x, share: 33.3%, dns: {behaviour: extend, extra: {distribution: uniform, low: 1s, high: 9s}}, home: a}
  - {name: y, share: 66.7%, dns: {behaviour: pin, keep_for: {distribution: exponential, mean: 7m}}}
traffic:
  daily_profile: [1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 1, 0.5]
  bursts: [{operation: sign_up, start: 10m, duration: 1m, multiplier: 20}]
attackers:
  - {name: t, kind: token_replay, rate: 1/min, regions: [a, b], replay_delay: 3s, duration: 1h}
dns: {ttl: 20s, routing: weighted, weights: {a: 80%, b: 20%}}
failover: {mode: manual, manual: {decide: {distribution: lognormal, median: 5m, p99: 1h}}}
lockout: {preset: keycloak, scope: global}
faults:
  - {kind: gray_failure, region: a, start: 5m, duration: 10m, error_rate: 12.5%, added_latency: 250ms}
  - {kind: replication_stall, start: 20m, duration: forever}
  - {kind: partition, regions: [a, b], start: 1h, duration: 5m}
  - {kind: kms_outage, regions: [c], start: 1h, duration: 1m}
  - {kind: idp_outage, start: 1h, duration: 1m}
  - {kind: dns_outage, start: 1h, duration: 1m, serve_stale: 90%}
pricing: {tier: plus, replica_per_mau: $0.006}
run: {duration: 3h, seed: 42, replications: 3}
"""


def test_every_section_round_trips_through_resolved_yaml() -> None:
    scenario = parse_scenario(KITCHEN_SINK)
    text = resolved_yaml(scenario)
    assert "ttl: 20s" in text and "throughput: 250/s" in text and "error_rate: 12.5%" in text
    assert parse_scenario(text) == scenario


def test_presets_expand() -> None:
    s = parse_scenario("name: x\nclients: internet\nlockout: microsoft\n")
    assert len(s.clients) == 5
    assert any(isinstance(c.dns, PinAnswer) and c.dns.keep_for == "forever" for c in s.clients)
    assert (s.lockout.threshold, s.lockout.cap) == (10, 5 * 3600.0)
    honour = parse_scenario("name: x\nclients: honour\n")
    assert [c.dns.behaviour for c in honour.clients] == ["honour"]


def test_lockout_preset_keys_can_be_overridden() -> None:
    s = parse_scenario("name: x\nlockout: {preset: cognito, threshold: 3, scope: global}\n")
    assert (s.lockout.threshold, s.lockout.scope, s.lockout.cap) == (3, "global", 900.0)


def test_empirical_csv_is_inlined_as_samples(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "lag.csv").write_text(
        "# measured 2026-06-20\nwhen,lag_ms,note\n\n1,12.5,a\n2,250,b\n3,0,c\n"
    )
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(
        "name: x\nreplication:\n  lag:\n    distribution: empirical\n    file: data/lag.csv\n"
    )
    s = load_scenario(scenario_file)
    assert isinstance(s.replication.lag, Empirical)
    assert s.replication.lag.file is None
    assert s.replication.lag.samples == pytest.approx([0.0125, 0.25, 0.0])
    # the resolved scenario no longer needs the CSV file
    (tmp_path / "data" / "lag.csv").unlink()
    assert parse_scenario(resolved_yaml(s)) == s


def test_csv_seconds_column(tmp_path: Path) -> None:
    (tmp_path / "page.csv").write_text("page_s\n60\n120.5\n")
    (tmp_path / "s.yaml").write_text(
        "name: x\nfailover:\n  manual:\n    page: {distribution: empirical, file: page.csv}\n"
    )
    s = load_scenario(tmp_path / "s.yaml")
    assert s.failover.manual.page.samples == [60.0, 120.5]


def test_yaml_anchors_and_merge_keys() -> None:
    text = """\
name: x
regions:
  - &region {name: a, role: primary, quotas: {sign_in: 500/s}}
  - <<: *region
    name: b
    role: secondary
"""
    s = parse_scenario(text)
    assert [r.quotas.sign_in for r in s.regions] == [500.0, 500.0]
    assert [r.role for r in s.regions] == ["primary", "secondary"]


def test_line_numbers_follow_nested_keys_and_list_items() -> None:
    text = """\
name: x
faults:
  - kind: region_outage
    region: us-east-1
    start: 1m
    duration: 1m
  - kind: region_outage
    region: us-east-1
    start: 1m
    duration: nope
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, filename="f.yaml")
    assert [(p.line, p.key_path) for p in caught.value.problems] == [(10, "faults.1.duration")]


def test_all_problems_are_reported_at_once() -> None:
    text = "name: x\ndns:\n  ttl: 0s\n  tll: 5s\nhealth_check:\n  interval: soon\n"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, filename="f.yaml")
    assert [(p.line, p.key_path) for p in caught.value.problems] == [
        (3, "dns.ttl"),
        (4, "dns.tll"),
        (6, "health_check.interval"),
    ]
    assert str(caught.value).count("\n") == 2


def test_a_minimal_scenario_gets_the_defaults() -> None:
    assert parse_scenario("name: minimal\n") == Scenario(name="minimal")
