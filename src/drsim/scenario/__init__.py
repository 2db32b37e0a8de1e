"""The scenario language: one DR design under one fault story, written in YAML.

``load_scenario("scenarios/cognito-active-passive.yaml", ["dns.ttl=30s"])`` returns a
frozen, validated :class:`Scenario`; anything wrong raises :class:`ScenarioError`
whose text is one ``FILE:LINE: key.path: message`` line per problem.
"""

from drsim.scenario.errors import Problem, ScenarioError
from drsim.scenario.loader import (
    check_scenario,
    load_scenario,
    parse_scenario,
    resolved_yaml,
    scenarios_dir,
    shipped_scenarios,
)
from drsim.scenario.schema import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
    "resolved_yaml",
    "scenarios_dir",
    "shipped_scenarios",
]
