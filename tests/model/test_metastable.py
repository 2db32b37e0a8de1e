"""The sustaining effect (issue #17, drsim.metrics.metastable), through YAML alone.

One region of 2 vCPUs serves 30 sign-ins/s; people sign in at 21/s (utilisation
ρ = 0.7). A 2-minute burst at 3× (ρ = 2.1) leaves a backlog of W0 = (2.1 − 1) ×
120 s = 132 s of work: every attempt waits past the clients' timeout.

1. Metastable: clients that retry timeouts at once, 10 attempts in all, offer
   ρ × 10 = 7× the capacity once every attempt times out: the region never
   recovers (overload_sustained_s censored at the run's end, end state 1).
   The same trigger with full-jittered exponential backoff and an AWS-standard
   retry budget recovers (end state 0, the backlog drains).
2. Closed form, retries off: the backlog W0 drains at 1 − ρ per second, so the
   median wait falls below the timeout T after (W0 − T)/(1 − ρ).
"""

from __future__ import annotations

import math

import pytest

from drsim.metrics.compute import compute_metrics
from drsim.metrics.notes import metric_notes
from drsim.model import simulate
from drsim.scenario import parse_scenario

RUN_S = 1800.0
BURST_END_S = 420.0

STORM = """\
name: retry-storm-test
regions:
  - name: r1
    role: primary
    quotas: {{sign_in: 100000/s}}
    capacity: {{vcpus: 2}}              # 2 × 15 sign-ins/s
users:
  population: 20k
  mfa: {{none: 100%, sms: 0%, email: 0%, totp: 0%}}
  federated: 0%
clients:
  - name: app
    share: 100%
    dns: {{behaviour: honour}}
    timeout: {timeout}
    retry: {retry}
traffic:
  sign_in: 21/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 0/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
  bursts:
    - {{operation: sign_in, start: 5m, duration: 2m, multiplier: {multiplier}}}
run: {{duration: 30m, seed: 3}}
"""

NO_BACKOFF = "{attempts: 10, backoff: 0s, jitter: 0%}"
BUDGET = "{attempts: 3, backoff: 1s, multiplier: 2, jitter_kind: full, budget: {capacity: 500}}"


def _run(retry: str, timeout: str = "10s", multiplier: float = 3.0,
         batch: bool = True) -> tuple[dict[str, float], dict[str, str]]:
    scenario = parse_scenario(STORM.format(retry=retry, timeout=timeout,
                                           multiplier=multiplier))
    records = simulate(scenario, 0, batch=batch)
    metrics = compute_metrics(records, scenario)
    return metrics, metric_notes(records, scenario, metrics)


def test_retries_without_backoff_keep_the_region_overloaded_after_the_trigger():
    metrics, notes = _run(NO_BACKOFF)
    assert metrics["overload_end_state"] == 1.0
    assert metrics["overload_sustained_s"] == RUN_S - BURST_END_S  # censored at the end
    assert "censored" in notes["overload_sustained_s"]
    assert metrics["attempts_per_first_attempt"] > 5.0


def test_jittered_backoff_and_a_retry_budget_recover():
    """The budget (500 tokens, 10 a retry after a timeout) stops retrying after 50
    retries: the load is back to ρ = 0.7 and the backlog drains like with no retries
    (the closed form below) — well before the run's end."""
    metrics, notes = _run(BUDGET)
    assert metrics["overload_end_state"] == 0.0
    assert 0.0 < metrics["overload_sustained_s"] < 0.5 * (RUN_S - BURST_END_S)
    assert "overload_sustained_s" not in notes
    assert metrics["attempts_per_first_attempt"] < 1.01


@pytest.mark.parametrize("timeout_s", [10.0, 60.0])
def test_without_retries_the_backlog_drains_at_one_minus_rho(timeout_s):
    """Retries off: overload ends when the median wait falls below T, (W0 − T)/(1 − ρ)
    after the burst. Windows are judged by their median entrant, whose wait is the
    backlog at the window's middle: the first good window starts within ± 30 s of it.
    Poisson noise: the burst's 7 560 arrivals (SD 87, × 1/30 s of work each) and the
    drain's ≈ 21 × τ arrivals give the backlog an SD ≈ 4.3 s, i.e. 14 s of drain time."""
    rho, w0 = 0.7, (3 * 0.7 - 1) * 120.0
    expected = (w0 - timeout_s) / (1 - rho)
    sd = math.sqrt(7560 + 21 * expected) / 30 / (1 - rho)
    metrics, _ = _run("{attempts: 1}", timeout=f"{timeout_s:g}s")
    assert metrics["overload_end_state"] == 0.0
    assert abs(metrics["overload_sustained_s"] - expected) <= 30 + 4 * sd, (
        metrics["overload_sustained_s"], expected)
    # Draining at rate 1 (ignoring the arrivals) would end 2.3× sooner: far outside.
    assert expected - (w0 - timeout_s) > 2 * (30 + 4 * sd)


def test_a_trigger_that_does_not_overload_sustains_nothing():
    """A burst to ρ = 0.84 never fills the queue: 0 s, end state good."""
    metrics, _ = _run(NO_BACKOFF, multiplier=1.2)
    assert metrics["overload_sustained_s"] == 0.0 and metrics["overload_end_state"] == 0.0


def test_without_a_trigger_the_figures_are_undefined():
    scenario = parse_scenario(STORM.format(retry=BUDGET, timeout="10s", multiplier=2)
                              .replace("  bursts:\n", "  bursts: []\n#"))
    records = simulate(scenario, 0)
    metrics = compute_metrics(records, scenario)
    notes = metric_notes(records, scenario, metrics)
    assert math.isnan(metrics["overload_sustained_s"])
    assert math.isnan(metrics["overload_end_state"])
    assert "trigger" in notes["overload_sustained_s"]


def test_the_storm_is_the_same_one_at_a_time():
    """The reference path gives the same figures (the queue is exact in microseconds)."""
    assert _run(NO_BACKOFF, batch=False)[0] == pytest.approx(_run(NO_BACKOFF)[0], nan_ok=True)
