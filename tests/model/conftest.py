"""Helpers for the model tests: scenarios built as the YAML would write them.

``make_scenario(**sections)`` returns a validated two-region scenario (``r1``
primary, ``r2`` secondary), 100 users, 10 minutes, no traffic at all unless a
``traffic`` section says so (operations it does not name stay at 0/s); any other
top-level section given replaces the default one, and ``deep`` merges into it
instead (``deep={"run": {"seed": 7}}``).
Values carry units exactly as in a scenario file: ``"30s"``, ``"120/s"``, ``"10%"``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from drsim.scenario.schema import OPERATIONS, Scenario, consistency_problems

NO_TRAFFIC: dict[str, str] = {operation: "0/s" for operation in OPERATIONS}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_dict(**sections: Any) -> dict[str, Any]:
    """The scenario as a plain dict (what a YAML file would load to)."""
    deep = sections.pop("deep", {})
    base: dict[str, Any] = {
        "name": "model-test",
        "regions": [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"}],
        "users": {"population": 100},
        "traffic": dict(NO_TRAFFIC),
        "run": {"duration": "10m", "seed": 1},
    }
    base.update(copy.deepcopy(sections))
    base["traffic"] = {**NO_TRAFFIC, **base["traffic"]}  # rates not given are zero
    return _merge(base, deep)


def build_scenario(**sections: Any) -> Scenario:
    """A validated, consistent :class:`Scenario` (see the module docstring)."""
    scenario = Scenario.model_validate(scenario_dict(**sections))
    problems = consistency_problems(scenario)
    assert not problems, problems
    return scenario


@pytest.fixture
def make_scenario():
    """Factory fixture: ``make_scenario(**sections) -> Scenario``."""
    return build_scenario
