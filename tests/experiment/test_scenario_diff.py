"""What differs between designs: every resolved setting, split into design and workload."""

from __future__ import annotations

import pytest

from drsim.experiment.scenario_diff import (
    DESIGN_SECTIONS,
    LABEL_SECTIONS,
    WORKLOAD_SECTIONS,
    section_kind,
    setting_differences,
    with_workload,
    workload_keys,
)
from drsim.scenario import parse_scenario
from drsim.scenario.schema import Scenario

WRITTEN_OUT_LOCKOUT = """\
name: by-hand
lockout:
  threshold: 5
  ladder: exponential
  first_lock: 1s
  factor: 2
  cap: 15m
  reset_after: 15m
"""


def test_every_scenario_section_is_classified_exactly_once():
    tables = [*DESIGN_SECTIONS, *WORKLOAD_SECTIONS, *LABEL_SECTIONS]
    assert len(tables) == len(set(tables))
    assert sorted(tables) == sorted(Scenario.model_fields)
    for section in Scenario.model_fields:
        assert section_kind(section) in {"design", "workload", "label"}
    with pytest.raises(KeyError, match="classify it"):
        section_kind("weather")


def test_identical_settings_are_not_different_whatever_their_preset_name():
    preset = parse_scenario("name: preset\nlockout: cognito\n")
    by_hand = parse_scenario(WRITTEN_OUT_LOCKOUT)
    assert preset.lockout.preset == "cognito" and by_hand.lockout.preset is None
    assert setting_differences([preset, by_hand]) == []


def test_design_and_workload_keys_are_listed_with_values_as_yaml_writes_them():
    base = parse_scenario("name: a\n")
    other = parse_scenario("""\
name: b
dns:
  ttl: 30s
traffic:
  sign_in: 9/s
run:
  duration: 4h
attackers:
  - name: stuffer
    kind: credential_stuffing
    rate: 2/s
    targets: 50
""")
    found = {d.key: d for d in setting_differences([base, other])}
    assert found["dns.ttl"].kind == "design"
    assert found["dns.ttl"].values[1] == "30s"
    assert found["traffic.sign_in"].kind == "workload"
    assert found["traffic.sign_in"].values[1] == "9/s"
    assert found["run.duration"].values == ("2h", "4h")
    assert found["attackers"].values[0] == "[]"
    assert "name" not in found and "description" not in found
    keys = list(found)
    assert keys.index("dns.ttl") < keys.index("traffic.sign_in")  # design keys first
    assert workload_keys(list(found.values())) == [k for k in keys if k != "dns.ttl"]


def test_lists_are_compared_element_by_element():
    one = parse_scenario("""\
name: one
faults:
  - {kind: region_outage, region: us-east-1, start: 2m, duration: 5m}
""")
    two = parse_scenario("""\
name: two
faults:
  - {kind: region_outage, region: us-east-1, start: 3m, duration: 5m}
  - {kind: region_outage, region: eu-west-1, start: 30m, duration: 5m}
""")
    found = {d.key: d.values for d in setting_differences([one, two])}
    assert found["faults.0.start"] == ("2m", "3m")
    assert found["faults.1"][0] == "(none)" and "eu-west-1" in found["faults.1"][1]
    assert "faults.0.duration" not in found


def test_with_workload_gives_the_design_the_other_workload_and_keeps_its_design():
    design = parse_scenario("name: d\ndns:\n  ttl: 30s\ntraffic:\n  sign_in: 9/s\n")
    workload = parse_scenario("name: w\ntraffic:\n  sign_in: 35/s\nrun:\n  seed: 7\n")
    combined, problems = with_workload(design, workload)
    assert problems == []
    assert combined.name == "d" and combined.dns.ttl == 30.0
    assert combined.run.seed == 7
    assert [d.key for d in setting_differences([combined, workload])] == ["dns.ttl"]
