"""Cross-field consistency: exact problems, in the order the loader reports them."""

from __future__ import annotations

from typing import Any

import pytest

from drsim.scenario.consistency import Inconsistency, consistency_problems
from drsim.scenario.errors import dotted
from drsim.scenario.schema import OUTCOME_CAUSES, Scenario

REGIONS = "(regions: 'us-east-1', 'eu-west-1')"
CAUSES = ", ".join(OUTCOME_CAUSES)


def _problems(**sections: Any) -> list[Inconsistency]:
    return consistency_problems(Scenario.model_validate({"name": "x", **sections}))


def test_the_default_scenario_is_consistent() -> None:
    assert _problems() == []


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (
            [{"name": "a", "role": "primary"}, {"name": "a", "role": "secondary"}],
            [(("regions", 1, "name"), "region 'a' is listed twice")],
        ),
        (
            [{"name": n, "role": "primary"} for n in "abc"],
            [(("regions", 1, "role"), "expected exactly one region with role 'primary', found 3")],
        ),
        (
            [{"name": "a", "role": "secondary"}],
            [(("regions",), "expected exactly one region with role 'primary', found 0")],
        ),
        (
            [{"name": "a", "role": "peer"}, {"name": "b", "role": "secondary"}],
            [
                (
                    ("regions",),
                    "peers form a multi-site group: use role 'peer' for all regions "
                    "(at least two), or one 'primary' and 'secondary' replicas",
                ),
                (("replication", "mode"), "peer regions need replication mode 'sync'"),
            ],
        ),
    ],
)
def test_region_list(regions: list[dict[str, str]], expected: list[Inconsistency]) -> None:
    assert _problems(regions=regions) == expected


def test_peers_replicating_synchronously_are_consistent() -> None:
    peers = [{"name": "a", "role": "peer"}, {"name": "b", "role": "peer"}]
    assert _problems(regions=peers, replication={"mode": "sync"}) == []


def test_problems_come_in_section_order() -> None:
    problems = _problems(
        faults=[
            {
                "kind": "partition",
                "regions": ["us-east-1", "us-east-1"],
                "start": "1m",
                "duration": "1h",
            },
            {"kind": "kms_outage", "regions": ["k"], "start": "3h", "duration": "1h"},
        ],
        attackers=[{"name": "a", "kind": "token_replay", "rate": "1/s", "regions": ["z"]}],
        users={"population": 10, "mfa": {"none": "50%", "sms": "1%"}},
        clients=[
            {
                "name": "c",
                "share": "30%",
                "dns": {"behaviour": "honour"},
                "home": "mars",
                "retry": {"retry_on": ["ok", "bogus"]},
            },
        ],
        dns={"routing": "weighted", "weights": {"zz": "100%"}},
        traffic={
            "bursts": [{"operation": "all", "start": "3h", "duration": "1m", "multiplier": 2}]
        },
    )
    assert [(dotted(p.key_path), p.message) for p in problems] == [
        ("faults.0.regions", "a partition needs two different regions"),
        ("faults.1.regions.0", f"no region named 'k' {REGIONS}"),
        ("attackers.0.regions.0", f"no region named 'z' {REGIONS}"),
        ("attackers.0.targets", "1000 targets but only 10 users"),
        ("clients.0.home", f"no region named 'mars' {REGIONS}"),
        ("clients.0.retry.retry_on.1", f"unknown outcome cause 'bogus' (causes: {CAUSES})"),
        ("clients", "client shares must add up to 100%, they add up to 30%: c 30%"),
        ("users.mfa", "MFA shares must add up to 100%, they add up to 71%: none 50%, "
                      "sms 1%, email 5% (default), totp 15% (default)"),
        ("dns.weights.zz", f"no region named 'zz' {REGIONS}"),
        ("traffic.bursts.0.start", "burst starts after the run ends"),
        ("faults.1.start", "fault starts after the run ends (run.duration is 2h)"),
    ]


@pytest.mark.parametrize(
    ("dns", "expected"),
    [
        (
            {"routing": "weighted"},
            [(("dns", "weights"), "weighted routing needs weights per region")],
        ),
        (
            {"routing": "latency"},
            [(("clients",), "latency routing needs a 'home' region on client kinds")],
        ),
    ],
)
def test_dns_routing(dns: dict[str, str], expected: list[Inconsistency]) -> None:
    assert _problems(dns=dns) == expected


def test_a_replicated_failback_needs_an_async_channel_and_waiting_needs_it() -> None:
    key = ("failover", "failback")
    assert _problems(replication={"mode": "sync"},
                     failover={"failback": {"catch_up": "replicate"}}) == [
        ((*key, "catch_up"), "catch_up 'replicate' needs replication mode 'async' (it ships "
                             "the backlog over the replication channel), not 'sync'")]
    assert _problems(failover={"failback": {"wait_for_backlog": True}}) == [
        ((*key, "wait_for_backlog"), "wait_for_backlog needs catch_up 'replicate' (with 'copy' "
                                     "there is no backlog to wait for)")]
    assert _problems(failover={"failback": {"catch_up": "replicate", "wait_for_backlog": True,
                                            "max_wait": "10m"}}) == []
