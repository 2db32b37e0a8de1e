"""Fuzzing the loader: whatever the document, the only exception is ScenarioError.

Mutations of the reference scenario (keys deleted, renamed, values replaced or
retyped), character-level damage to its text, random text and random
overrides. A document that does load must also survive the resolved-YAML
round trip.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drsim.scenario import Scenario, ScenarioError, parse_scenario, resolved_yaml

from .conftest import REFERENCE

REFERENCE_TEXT = REFERENCE.read_text()
REFERENCE_DATA = yaml.safe_load(REFERENCE_TEXT)
# Each load parses ~10 kB of YAML with the pure-Python safe loader (~30 ms): keep counts modest.
FUZZ = settings(max_examples=40000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


PATHS = _paths(REFERENCE_DATA)

unit_like = st.sampled_from(
    ["5s", "0s", "-1s", "1e999s", "forever", "inf", "nan", "120/s", "0/s", "1e400/s", "99.9%",
     "150%", "-5%", "$0.01", "$", "1M", "1.5k", "1e99", "", " ", "%", "1m", "5min", "1e-320s",
     "us-east-1", "eu-west-1", "primary", "all", "lognormal", "region_outage", "empirical"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    unit_like,
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), unit_like), children, max_size=3),
    ),
    max_leaves=6,
)


def _load(text: str, overrides: list[str] | None = None, *, round_trip: bool = False) -> None:
    try:
        scenario = parse_scenario(text, filename="fuzz.yaml", overrides=overrides or [])
    except ScenarioError as error:
        assert error.problems
        assert str(error).count("\n") == len(error.problems) - 1  # one line per problem
        return
    assert isinstance(scenario, Scenario)
    if round_trip:
        assert parse_scenario(resolved_yaml(scenario)) == scenario


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated_reference(draw: st.DrawFn) -> str:
    data = yaml.safe_load(REFERENCE_TEXT)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        try:
            current = _get(data, path)
            parent = _get(data, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):  # an earlier mutation replaced an ancestor
            continue
        action = draw(st.sampled_from(["delete", "replace", "retype", "rename", "wrap"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            _set(data, path, draw(values))
        elif action == "retype":
            _set(data, path, draw(st.sampled_from([str(current), [current], {"x": current}])))
        elif action == "wrap":
            _set(data, path, {"distribution": draw(unit_like), "value": current})
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(path[-1])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@FUZZ
@given(mutated_reference())
def test_mutated_reference_scenarios(text: str) -> None:
    _load(text, round_trip=True)


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(REFERENCE_TEXT) - 1),
    st.integers(min_value=1, max_value=40),
    st.text(max_size=8),
)
def test_damaged_reference_text(position: int, length: int, insert: str) -> None:
    _load(REFERENCE_TEXT[:position] + insert + REFERENCE_TEXT[position + length :])


yaml_ish = st.lists(
    st.sampled_from(
        ["name: x", "\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!",
         "!tag ", "'", '"', "#", "|", ">", "---", "...", "? ", "dns", "ttl", "30s", "faults",
         "kind: idp_outage", "regions", "extends: ", "clients: internet", "\t", "%YAML 1.1"]
    ),
    max_size=30,
).map("".join)


@settings(FUZZ, max_examples=4000)
@given(st.one_of(st.text(max_size=200), yaml_ish))
def test_random_text(text: str) -> None:
    _load(text)


override_keys = st.one_of(
    st.sampled_from([".".join(map(str, p)) for p in PATHS]),
    st.text(max_size=20),
)
override_values = st.one_of(unit_like, st.text(max_size=15), st.sampled_from(["[", "{a: 1}", "[1, 2]"]))


@FUZZ
@given(st.lists(st.tuples(override_keys, override_values).map("=".join), max_size=3))
def test_random_overrides(overrides: list[str]) -> None:
    _load(REFERENCE_TEXT, overrides)
