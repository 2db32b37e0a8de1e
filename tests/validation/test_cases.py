"""The validation cases at quick sizes: each must be within its tolerance (a fast subset of
``make validate``; the vendor cases, the slowest, run only there).

A case that fails because of a reported model bug is a strict xfail: when the
bug is fixed the test fails as XPASS, as a reminder to drop the mark and
regenerate docs/validation.md.
"""

from __future__ import annotations

import pytest

from drsim.validation import all_cases, run_case
from drsim.validation.report import fmt_estimate, fmt_tolerance

SLOW = {"vendor-auth0-2014", "vendor-keycloak"}
FAST_CASES = [case for case in all_cases() if case.slug not in SLOW]


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.known_failure)] if case.known_failure \
        else []
    return pytest.param(case, id=f"{case.number}-{case.slug}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in FAST_CASES])
def test_case_within_tolerance(case):
    result = run_case(case, quick=True)
    assert result.error is None, result.error
    assert result.outcome.checks, "a case must produce checks"
    failing = [
        f"{c.name}: expected {c.expected!r}, drsim {fmt_estimate(c.estimate, c.unit)}, "
        f"tolerance {fmt_tolerance(c)}"
        for c in result.outcome.checks if not c.passed
    ]
    assert not failing, "\n".join(failing)


def test_cases_are_numbered_uniquely_and_documented():
    cases = all_cases()
    assert len({c.number for c in cases}) == len(cases)
    assert len({c.slug for c in cases}) == len(cases)
    for case in cases:
        assert case.title and case.source and case.family
