"""The suite's set-up (tests/conftest.py): Hypothesis's pool of local constants is pinned,
so that a seeded property draws the same examples alone or in the suite."""

from __future__ import annotations

import pytest
from hypothesis.internal.conjecture import providers

import drsim.model  # noqa: F401 - a local module full of literals


def test_hypothesis_draws_no_constants_from_the_modules_loaded():
    if not hasattr(providers, "_get_local_constants"):
        pytest.skip("this Hypothesis keeps no pool of local constants")
    constants = providers._get_local_constants()
    # drsim's modules, loaded by now, hold many literals: none are in the pool (without
    # the pin, e.g. `pytest --noconftest`, over 700 are).
    assert all(len(values) == 0 for values in (constants.integers, constants.floats,
                                               constants.bytes, constants.strings))
