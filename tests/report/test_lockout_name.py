"""A lockout policy is named by its values, so identical policies never read differently."""

from __future__ import annotations

import pytest

from drsim.report.design_text import lockout_name, short_aspects
from drsim.scenario import parse_scenario


@pytest.mark.parametrize(("lockout", "name"), [
    ("lockout: cognito", "cognito"),
    ("lockout: {threshold: 5, ladder: exponential, first_lock: 1s, factor: 2, cap: 15m, "
     "reset_after: 15m}", "cognito"),
    ("lockout: keycloak", "keycloak"),
    ("lockout: {preset: cognito, threshold: 9}", "custom"),
])
def test_a_lockout_is_named_by_its_values(lockout, name):
    assert lockout_name(parse_scenario(f"name: x\n{lockout}\n").lockout) == name


def test_identical_lockouts_read_the_same_in_the_designs_table():
    preset = parse_scenario("name: a\nlockout: cognito\n")
    by_hand = parse_scenario("name: b\nlockout: {threshold: 5, first_lock: 1s, cap: 15m}\n")
    assert short_aspects(preset)["lockout"] == short_aspects(by_hand)["lockout"]
