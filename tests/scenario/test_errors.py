"""Errors for people: every class of bad scenario gives FILE:LINE: key.path: message, exit 2.

Each case is checked twice: through the loader (the Problem's file, line and key
path) and through ``drsim validate`` (exit code 2, the same line on the output,
no traceback).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drsim.scenario import ScenarioError, load_scenario

from .conftest import run_cli

# id, YAML text, expected line, expected key path, expected message fragment
CASES = [
    ("yaml-syntax", "name: x\ndns:\n  ttl: [60s\nrun: {}\n", 4, "", "YAML syntax error"),
    ("yaml-tab-indent", "name: x\ndns:\n\tttl: 60s\n", 3, "", "YAML syntax error"),
    ("empty-file", "", 1, "", "the scenario is empty"),
    ("only-comments", "# nothing here\n", 1, "", "the scenario is empty"),
    ("wrong-root-list", "- name: x\n", 1, "", "expected a mapping of scenario keys"),
    ("wrong-root-scalar", "just words\n", 1, "", "got 'just words'"),
    ("unknown-key", "name: x\ndns:\n  tll: 60s\n", 3, "dns.tll", "did you mean 'ttl'?"),
    ("unknown-top-key", "name: x\nhealthcheck: {}\n", 2, "healthcheck", "did you mean 'health_check'?"),
    ("unknown-key-far", "name: x\ndns:\n  zzz: 1\n", 3, "dns.zzz", "allowed here: ttl, routing, weights"),
    ("wrong-type-section", "name: x\ndns: 60s\n", 2, "dns", "expected a mapping"),
    ("wrong-type-list", "name: x\nfaults: {kind: idp_outage}\n", 2, "faults", "expected a list"),
    ("wrong-type-int", "name: x\nhealth_check:\n  failure_threshold: three\n", 3,
     "health_check.failure_threshold", "expected a whole number, got 'three'"),
    ("wrong-type-bool", "name: x\nsessions:\n  cross_region_tokens: maybe\n", 3,
     "sessions.cross_region_tokens", "expected true or false"),
    ("bad-unit", "name: x\ndns:\n  ttl: sixty\n", 3, "dns.ttl",
     "expected a duration such as '250ms', '30s', '5m', '2h' or '30d', got 'sixty'"),
    ("bare-number", "name: x\ntraffic:\n  sign_in: 35\n", 3, "traffic.sign_in", "'35/s'"),
    ("bad-percent", "name: x\nusers:\n  federated: 10 percent\n", 3, "users.federated",
     "expected a percentage"),
    ("out-of-range-min", "name: x\nsessions:\n  access_token: 1m\n", 3,
     "sessions.access_token", "expected at least 5m, got '1m'"),
    ("out-of-range-max", "name: x\nhealth_check:\n  failure_threshold: 11\n", 3,
     "health_check.failure_threshold", "expected at most 10, got 11"),
    ("out-of-range-percent", "name: x\nsessions:\n  issuer_pinning: 150%\n", 3,
     "sessions.issuer_pinning", "expected at most 100%, got '150%'"),
    ("out-of-range-zero", "name: x\nfaults:\n  - {kind: idp_outage, start: 1m, duration: 0s}\n",
     3, "faults.0.duration", "expected more than 0s, got '0s'"),
    ("lognormal-order", "name: x\nreplication:\n  lag: {distribution: lognormal, median: 5s, p99: 1s}\n",
     3, "replication.lag", "p99 (1s) must be greater than the median (5s)"),
    ("missing-name", "description: no name\n", 1, "name", "required key is missing"),
    ("missing-nested", "name: x\nregions:\n  - name: a\n", 3, "regions.0.role",
     "required key is missing"),
    ("missing-kind", "name: x\nfaults:\n  - start: 1m\n    duration: 1m\n", 3, "faults.0",
     "missing required key 'kind'"),
    ("bad-choice", "name: x\nreplication:\n  mode: asynch\n", 3, "replication.mode",
     "did you mean 'async'?"),
    ("bad-kind", "name: x\nfaults:\n  - kind: region_outtage\n    start: 1m\n", 3, "faults.0.kind",
     "did you mean 'region_outage'?"),
    ("bad-lockout-preset", "name: x\nlockout: cognitto\n", 2, "lockout.preset",
     "did you mean 'cognito'?"),
    ("bad-client-preset", "name: x\nclients: internett\n", 2, "clients",
     "did you mean 'internet'?"),
    ("bad-name", "name: My Scenario\n", 1, "name", "expected a name of lowercase letters"),
    ("inconsistent-region", "name: x\nfaults:\n  - kind: region_outage\n    region: us-east-2\n"
     "    start: 1m\n    duration: 1m\n", 4, "faults.0.region", "no region named 'us-east-2'"),
    ("inconsistent-two-primaries", "name: x\nregions:\n  - {name: a, role: primary}\n"
     "  - {name: b, role: primary}\n", 4, "regions.1.role",
     "expected exactly one region with role 'primary', found 2"),
    ("inconsistent-shares", "name: x\nusers:\n  mfa: {none: 50%, sms: 10%, email: 5%, totp: 15%}\n",
     3, "users.mfa", "add up to 80%"),
    ("shares-list-defaults", "name: x\nusers:\n  mfa: {totp: 20%}\n", 3, "users.mfa",
     "they add up to 105%: none 70% (default), sms 10% (default), email 5% (default), totp 20%"),
    ("percent-as-fraction", "name: x\nusers:\n  federated: 0.05\n", 3, "users.federated",
     "expected a percentage such as '5%' (the fraction 0.05 as a percentage), got the bare "
     "number 0.05"),
    ("percent-as-number", "name: x\nusers:\n  federated: 12.5\n", 3, "users.federated",
     "expected a percentage such as '12.5%'"),
    ("duration-as-clock", "name: x\nfaults:\n  - {kind: idp_outage, start: 14:00, duration: 1m}\n",
     3, "faults.0.start", "got '14:00'; did you mean '14h'? (read as hours:minutes: a duration needs a unit"),
    ("duration-as-clock-minutes", "name: x\ndns:\n  ttl: 1:30\n", 3, "dns.ttl",
     "did you mean '90m'?"),
    ("duration-as-clock-seconds", "name: x\ndns:\n  ttl: 0:01:30\n", 3, "dns.ttl",
     "did you mean '90s'?"),
    ("inconsistent-after-run", "name: x\nrun: {duration: 1h}\nfaults:\n"
     "  - {kind: idp_outage, start: 2h, duration: 1m}\n", 4, "faults.0.start",
     "fault starts after the run ends"),
    ("repeat-overlaps", "name: x\nfaults:\n  - kind: region_outage\n    region: us-east-1\n"
     "    start: 1m\n    duration: 6m\n    repeat: {every: 5m, times: 3}\n", 3, "faults.0",
     "repeat.every (300s) must be longer than duration (360s)"),
    ("repeat-past-the-run", "name: x\nrun: {duration: 1h}\nfaults:\n"
     "  - {kind: idp_outage, start: 1m, duration: 1m}\n"
     "  - kind: region_outage\n    region: us-east-1\n    start: 10m\n    duration: 1m\n"
     "    repeat: {every: 20m, times: 4}\n", 9, "faults.1.repeat.times",
     "repetition 4 starts at 70m, after the run ends"),
    ("promote-operator-without-region", "name: x\nfailover:\n  promote: operator\n", 2,
     "failover", "failover.promote: operator needs failover.promote_region"),
    ("promote-region-not-secondary", "name: x\nfailover:\n  promote: operator\n"
     "  promote_region: us-east-1\n", 4, "failover.promote_region",
     "promote_region 'us-east-1' is not a secondary region (secondaries: 'eu-west-1')"),
    ("heartbeat-timeout-short", "name: x\nfailover:\n  detector: heartbeat\n  heartbeat:\n"
     "    interval: 10s\n    timeout: 5s\n", 4, "failover.heartbeat",
     "heartbeat.timeout (5s) must exceed heartbeat.interval (10s)"),
    ("bad-detector", "name: x\nfailover:\n  detector: heartbeats\n", 3, "failover.detector",
     "did you mean 'heartbeat'?"),
    ("fencing-without-heartbeat", "name: x\nfailover:\n  fencing: true\n", 3,
     "failover.fencing", "fencing needs detector 'heartbeat' or 'arbiter'"),
    ("observer-cut-needs-arbiter", "name: x\nfaults:\n  - kind: observer_partition\n"
     "    region: us-east-1\n    start: 1m\n    duration: 1m\n", 3, "faults.0.kind",
     "observer_partition needs failover.detector 'arbiter'"),
    ("observer-cut-of-secondary", "name: x\nfailover: {detector: arbiter}\nfaults:\n"
     "  - {kind: observer_partition, region: eu-west-1, start: 1m, duration: 1m}\n", 4,
     "faults.0.region", "expected 'us-east-1', got 'eu-west-1'"),
    ("heartbeat-needs-automatic", "name: x\nfailover:\n  mode: manual\n  detector: heartbeat\n",
     3, "failover.mode", "mode must be 'automatic', not 'manual'"),
    ("arbiter-quorum", "name: x\nfailover:\n  detector: arbiter\n  arbiter:\n"
     "    observers: 3\n    quorum: 5\n", 4, "failover.arbiter",
     "arbiter.quorum (5) cannot exceed arbiter.observers (3)"),
    ("duplicate-key", "name: x\ndns:\n  ttl: 60s\n  ttl: 30s\n", 4, "dns.ttl",
     "duplicate key 'ttl' (first written on line 3)"),
    ("unsafe-tag", "name: !!python/object/apply:os.system ['echo pwned']\n", 1, "name",
     "unsupported YAML tag '!!python/object/apply:os.system'"),
    ("unsafe-scalar-tag", "name: !!python/name:os.system x\n", 1, "name",
     "unsupported YAML value 'x'"),
    ("custom-tag", "name: x\ndns: !include dns.yaml\n", 2, "dns", "unsupported YAML value"),
    ("bad-date", "name: x\ndescription: 2026-13-45\n", 2, "description", "unreadable value"),
    ("run-start-bad-weekday", "name: x\nrun:\n  start: Mondy 09:00\n", 3, "run.start",
     "unknown weekday 'Mondy' in 'Mondy 09:00'; did you mean 'Monday'? (expected Monday … "
     "Sunday, or Mon … Sun)"),
    ("run-start-bad-time", "name: x\nrun:\n  start: Monday 25:00\n", 3, "run.start",
     "bad time '25:00' in 'Monday 25:00': expected HH:MM (or HH:MM:SS) from 00:00 to 23:59"),
    ("run-start-bad-minutes", "name: x\nrun:\n  start: Friday 9:75\n", 3, "run.start",
     "bad time '9:75' in 'Friday 9:75'"),
    ("run-start-no-time", "name: x\nrun:\n  start: Monday\n", 3, "run.start",
     "expected a weekday and a UTC time such as 'Monday 09:00', got 'Monday'"),
    ("run-start-and-start-hour", "name: x\nrun:\n  start: Monday 09:00\ntraffic:\n"
     "  start_hour: 9\n", 5, "traffic.start_hour",
     "give run.start (weekday and UTC time of t = 0) or traffic.start_hour, not both"),
    ("weekly-profile-needs-start", "name: x\ntraffic:\n  weekly_profile: [1, 1, 1, 1, 1, 1, 1]\n",
     3, "traffic.weekly_profile", "a weekly profile needs run.start"),
    ("weekly-profile-length", "name: x\ntraffic:\n  weekly_profile: [1, 2]\n", 3, "traffic.weekly_profile",
     "weekly_profile needs 7 daily multipliers (Monday first), got 2"),
    ("bad-time-zone", "name: x\nclients:\n  - {name: a, share: 100%, dns: {behaviour: honour}, "
     "time_zone: EST}\n", 3, "clients.0.time_zone",
     "expected a UTC offset such as 'UTC-5', 'UTC+05:30', '+09:00' or '-05:00', got 'EST'"),
    ("time-zone-bare-number", "name: x\nclients:\n  - {name: a, share: 100%, "
     "dns: {behaviour: honour}, time_zone: -5}\n", 3, "clients.0.time_zone",
     "expected a UTC offset such as 'UTC-5'"),
    ("time-zone-out-of-range", "name: x\nclients:\n  - {name: a, share: 100%, "
     "dns: {behaviour: honour}, time_zone: UTC+15}\n", 3, "clients.0.time_zone",
     "a UTC offset is between UTC-12:00 and UTC+14:00, got 'UTC+15'"),
    ("time-zone-on-some-kinds", "name: x\nclients:\n"
     "  - {name: a, share: 50%, dns: {behaviour: honour}, time_zone: UTC-5}\n"
     "  - {name: b, share: 50%, dns: {behaviour: honour}}\n", 4, "clients.1.time_zone",
     "give a time_zone on every client kind or on none (missing on: b)"),
    ("extends-missing", "extends: no-such-scenario\nname: x\n", 1, "extends",
     "no shipped scenario named 'no-such-scenario'"),
    ("extends-wrong-type", "extends: [a, b]\nname: x\n", 1, "extends",
     "expected a scenario name or a path"),
    ("capacity-zero-vcpus", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 0\n", 6, "regions.0.capacity.vcpus", "expected more than 0"),
    ("capacity-bare-rate", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      per_vcpu: {sign_in: 15}\n", 7,
     "regions.0.capacity.per_vcpu.sign_in", "'15/s'"),
    ("capacity-unknown-discipline", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: fifi\n", 7,
     "regions.0.capacity.discipline",
     "expected one of 'fifo', 'drop_expired', 'lifo', 'drop_oldest'"),
    ("drop-oldest-without-max-queue", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: drop_oldest\n", 5,
     "regions.0.capacity", "discipline drop_oldest needs max_queue"),
    ("max-queue-without-drop-oldest", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: lifo\n      max_queue: 10\n", 5,
     "regions.0.capacity", "max_queue bounds the waiting requests of discipline drop_oldest "
     "only, not lifo; for drop-tail (refuse the newcomer) use max_wait"),
    ("max-queue-with-drop-expired", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: drop_expired\n      max_queue: 10\n",
     5, "regions.0.capacity", "not drop_expired"),
    ("max-queue-zero", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: drop_oldest\n      max_queue: 0\n", 8,
     "regions.0.capacity.max_queue", "expected at least 1, got 0"),
    ("lifo-with-max-wait", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: lifo\n      max_wait: 2s\n", 5,
     "regions.0.capacity", "discipline lifo cannot be combined with max_wait or admission"),
    ("drop-oldest-with-scale-up", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      discipline: drop_oldest\n      max_queue: 5\n"
     "      scale_up: {to: 8, after: 5m, trigger: start}\n", 5,
     "regions.0.capacity", "discipline drop_oldest is not built with scale_up"),
    ("capacity-negative-max-wait", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      max_wait: -2s\n", 7,
     "regions.0.capacity.max_wait", "expected a duration"),
    ("admission-unknown-category", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      admission:\n        - categories: [sign_inn]\n"
     "          max_wait: 2s\n", 8, "regions.0.capacity.admission.0.categories.0",
     "did you mean 'sign_in'?"),
    ("admission-category-twice", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      admission:\n        - {categories: [token], "
     "max_wait: 8s}\n        - {categories: [token], max_wait: 2s}\n", 5,
     "regions.0.capacity", "lists quota category 'token' twice"),
    ("admission-missing-bound", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      admission:\n        - {categories: [token]}\n", 8,
     "regions.0.capacity.admission.0.max_wait", "required key is missing"),
    ("scale-up-shrinks", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      scale_up: {to: 2, after: 5m}\n", 5,
     "regions.0.capacity", "scale_up.to (2) must be more than vcpus (4)"),
    ("scale-up-bad-trigger", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      scale_up: {to: 8, after: 5m, trigger: failovr}\n",
     7, "regions.0.capacity.scale_up.trigger", "did you mean 'failover'?"),
    ("cache-cheaper-cold", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      cache: {cold_cost: 0.5, warm_up: 5m}\n", 7,
     "regions.0.capacity.cache.cold_cost", "expected at least 1"),
    ("reopen-bad-moment", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      reopen: {initial: 10%, over: 10m, at: [recover]}\n",
     7, "regions.0.capacity.reopen.at.0", "did you mean 'recovery'?"),
    ("reopen-missing-over", "name: x\nregions:\n  - name: a\n    role: primary\n"
     "    capacity:\n      vcpus: 4\n      reopen: {initial: 10%}\n", 7,
     "regions.0.capacity.reopen.over", "required key is missing"),
    ("client-timeout-zero", "name: x\nclients:\n  - {name: a, share: 100%, timeout: 0s,\n"
     "     dns: {behaviour: honour}}\n", 3, "clients.0.timeout", "expected more than 0, got '0s'"),
    ("bad-jitter-kind", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    retry: {jitter_kind: ful}\n", 6,
     "clients.0.retry.jitter_kind", "did you mean 'full'?"),
    ("budget-negative-cost", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    retry:\n      budget: {retry_cost: -5}\n", 7,
     "clients.0.retry.budget.retry_cost", "expected at least 0"),
    ("breaker-zero-failures", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    circuit_breaker: {failures: 0}\n", 6,
     "clients.0.circuit_breaker.failures", "expected at least 1"),
    ("breaker-bare-open-for", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    circuit_breaker:\n      open_for: 30\n", 7,
     "clients.0.circuit_breaker.open_for", "expected a duration with a unit"),
    ("breaker-unknown-cause", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    circuit_breaker:\n      trip_on: [timeout, tiemout]\n",
     7, "clients.0.circuit_breaker.trip_on.1", "unknown outcome cause 'tiemout'"),
    ("throttling-ratio-above-one", "name: x\nclients:\n  - name: a\n    share: 100%\n"
     "    dns: {behaviour: honour}\n    retry:\n      throttling: {token_ratio: 2}\n", 7,
     "clients.0.retry.throttling.token_ratio", "expected at most 1"),
    ("concurrent-calls-with-single-flight", "name: x\nsessions:\n  concurrent_calls: 4\n", 2,
     "sessions", "concurrent_calls matters only without single-flight refresh"),
    ("concurrent-calls-shares", "name: x\nsessions:\n  single_flight: false\n"
     "  concurrent_calls: {1: 50%, 4: 30%}\n", 2, "sessions",
     "the shares add up to 80.0000%, expected 100%"),
    ("concurrent-calls-zero", "name: x\nsessions:\n  single_flight: false\n"
     "  concurrent_calls: 0\n", 2, "sessions", "expected call counts from 1 to 1000"),
    ("rp-shares", "name: x\nrelying_parties:\n  calls: 1/min\n  jwks_caches:\n"
     "    - {share: 50%, ttl: 60s}\n    - {share: 30%, ttl: forever}\n", 4,
     "relying_parties.jwks_caches", "jwks_caches shares must add up to 100%, got 50% + 30% = 80%"),
    ("rp-restart-with-ttl", "name: x\nrelying_parties:\n  calls: 1/min\n  jwks_caches:\n"
     "    - {share: 100%, ttl: 5m, restart: 1d}\n", 5, "relying_parties.jwks_caches.0",
     "restart applies to a cache kept 'forever'"),
    ("rp-bad-ttl", "name: x\nrelying_parties:\n  calls: 1/min\n  jwks_caches:\n"
     "    - {share: 100%, ttl: never}\n", 5, "relying_parties.jwks_caches.0.ttl", "never"),
    ("rp-fault-without-rps", "name: x\nfaults:\n  - {kind: signing_key_removed, start: 1m,"
     " duration: 1m}\n", 3, "faults.0.kind", "seen only by relying parties: add a "
     "relying_parties section"),
    ("rp-skew-region", "name: x\nrelying_parties: {calls: 1/min}\nfaults:\n"
     "  - {kind: clock_skew, region: mars-1, offset: 10m, start: 1m, duration: 1m}\n", 4,
     "faults.0.region", "no region named 'mars-1'"),
    ("dep-unknown-region", "name: x\ndependencies:\n  - name: sms\n    kind: sms\n"
     "    hosted_in: mars-1\n    used_by: [sign_in]\n", 5, "dependencies.0.hosted_in",
     "no region named 'mars-1'"),
    ("dep-trigger-without-used-by", "name: x\ndependencies:\n"
     "  - {name: t, kind: trigger, hosted_in: us-east-1}\n", 3, "dependencies.0",
     "a trigger dependency needs used_by"),
    ("dep-bad-kind", "name: x\ndependencies:\n  - {name: t, kind: lambda, hosted_in: us-east-1, "
     "used_by: [sign_in]}\n", 3, "dependencies.0.kind",
     "expected one of 'sms', 'email', 'trigger', 'control_plane', got 'lambda'"),
    ("dep-bad-operation", "name: x\ndependencies:\n  - {name: t, kind: trigger, "
     "hosted_in: us-east-1, used_by: [signin]}\n", 3, "dependencies.0.used_by.0",
     "did you mean 'sign_in'?"),
    ("dep-capacity-bare", "name: x\ndependencies:\n  - {name: t, kind: trigger, "
     "hosted_in: us-east-1, used_by: [sign_up], capacity: 10}\n", 3,
     "dependencies.0.capacity", "'10/s'"),
    ("dep-duplicate", "name: x\ndependencies:\n  - {name: sms, kind: sms, hosted_in: us-east-1, "
     "used_by: [sign_in]}\n  - {name: sms, kind: email, hosted_in: null, used_by: [sign_in]}\n",
     4, "dependencies.1.name", "dependency 'sms' is listed twice"),
    ("dep-fault-unknown", "name: x\ndependencies:\n  - {name: sms, kind: sms, "
     "hosted_in: us-east-1, used_by: [sign_in]}\nfaults:\n"
     "  - {kind: dependency_outage, name: smss, start: 1m, duration: 1m}\n", 5, "faults.0.name",
     "no dependency named 'smss' (dependencies: 'sms')"),
    ("dep-control-plane-unknown", "name: x\nfailover:\n  mode: manual\n  control_plane: api\n",
     4, "failover.control_plane", "no dependency named 'api' (dependencies: none: add a "
     "dependencies section)"),
    ("dep-control-plane-wrong-kind", "name: x\ndependencies:\n  - {name: sms, kind: sms, "
     "hosted_in: us-east-1, used_by: [sign_in]}\nfailover:\n  mode: manual\n"
     "  control_plane: sms\n", 6, "failover.control_plane", "is of kind sms, not control_plane"),
    ("dep-control-plane-peers", "name: x\nregions:\n  - {name: a, role: peer}\n"
     "  - {name: b, role: peer}\nreplication: {mode: sync}\ndependencies:\n"
     "  - {name: api, kind: control_plane, hosted_in: a}\nfailover:\n  control_plane: api\n",
     9, "failover.control_plane", "peers fence a failed site without a runbook"),
    ("dep-break-glass-alone", "name: x\nfailover:\n  break_glass_after: 10m\n", 3,
     "failover.break_glass_after", "break_glass_after needs failover.control_plane"),
    ("corruption-region", "name: x\nfaults:\n  - {kind: corruption, region: mars-1, start: 1m}\n",
     3, "faults.0.region", "no region named 'mars-1'"),
    ("corruption-scope", "name: x\nfaults:\n  - {kind: corruption, scope: profile, start: 1m}\n",
     3, "faults.0.scope", "did you mean 'profiles'?"),
    ("corruption-repeat", "name: x\nfaults:\n  - kind: corruption\n    start: 1m\n"
     "    repeat: {every: 5m, times: 2}\n", 3, "faults.0",
     "a corruption happens once: repeat is not supported"),
    ("corruption-twice", "name: x\nfaults:\n  - {kind: corruption, start: 1m}\n"
     "  - {kind: corruption, start: 2m}\n", 4, "faults.1.kind", "at most one corruption fault"),
    ("backups-bad-interval", "name: x\nbackups:\n  interval: hourly\n", 3, "backups.interval",
     "expected a duration such as '250ms'"),
    ("backups-bad-restore", "name: x\nbackups:\n  interval: 1h\n  restore: everyone\n", 4,
     "backups.restore", "did you mean 'everything'?"),
]


@pytest.mark.parametrize(("text", "line", "key", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_class_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, fragment: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    first = caught.value.problems[0]
    assert (first.file, first.line, first.key_path) == (str(path), line, key)
    assert fragment in first.message

    code, output = run_cli("validate", str(path))
    assert code == 2
    prefix = f"{path}:{line}: {key}: " if key else f"{path}:{line}: "
    assert prefix in output and fragment in output
    assert "Traceback" not in output


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    code, output = run_cli("validate", str(path))
    assert code == 2
    assert output.strip() == f"{path}: cannot read the scenario: No such file or directory"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    code, output = run_cli("validate", f"{tmp_path}/")
    assert code == 2 and "is a directory" in output and "Traceback" not in output


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    code, output = run_cli("validate", str(path))
    assert code == 2
    assert f"{path}:2: expected a UTF-8 text file" in output


def test_csv_errors_point_into_the_csv(tmp_path: Path) -> None:
    (tmp_path / "lag.csv").write_text("lag_s\n0.5\nfast\n1.0\n-2\n")
    (tmp_path / "s.yaml").write_text(
        "name: x\nreplication:\n  lag: {distribution: empirical, file: lag.csv}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    csv_label = str(tmp_path / "lag.csv")
    assert [(p.file, p.line, p.key_path) for p in caught.value.problems] == [
        (csv_label, 3, "replication.lag.file"),
        (csv_label, 5, "replication.lag.file"),
    ]
    assert "got 'fast'" in caught.value.problems[0].message


def test_csv_without_a_duration_column(tmp_path: Path) -> None:
    (tmp_path / "lag.csv").write_text("when,lag\n1,2\n")
    (tmp_path / "s.yaml").write_text(
        "name: x\nreplication:\n  lag:\n    distribution: empirical\n    file: lag.csv\n"
    )
    code, output = run_cli("validate", str(tmp_path / "s.yaml"))
    assert code == 2
    assert f"{tmp_path / 'lag.csv'}:1: replication.lag.file: expected a header" in output


def test_csv_file_missing_points_at_the_scenario_line(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "name: x\nreplication:\n  lag:\n    distribution: empirical\n    file: gone.csv\n"
    )
    code, output = run_cli("validate", str(tmp_path / "s.yaml"))
    assert code == 2
    assert f"{tmp_path / 's.yaml'}:5: replication.lag.file: cannot read CSV file 'gone.csv'" in output


def test_the_installed_command_prints_to_stderr_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\ndns:\n  ttl: sixty\n")
    done = subprocess.run(
        [sys.executable, "-m", "drsim", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"{path}:3: dns.ttl: expected a duration such as '250ms', '30s', '5m', '2h' or '30d', "
        "got 'sixty'\n"
    )
