"""Cross-field consistency: what each section accepts alone but the scenario cannot hold together.

A fault or an attacker naming a region that does not exist, two primaries,
client or MFA shares that do not add up to 100 %, weighted routing without
weights, a fault that starts after the run ends. Each problem carries the key
path it is about, so that the loader can point at the offending line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from drsim.scenario import units
from drsim.scenario.dependency_checks import dependency_problems
from drsim.scenario.errors import KeyPath
from drsim.scenario.sections.faults import (
    RELYING_PARTY_FAULTS,
    ClockSkew,
    Corruption,
    GrayFailure,
    KmsOutage,
    ObserverPartition,
    Partition,
    RegionOutage,
    source_indices,
)
from drsim.scenario.sections.vocabulary import OUTCOME_CAUSES

if TYPE_CHECKING:
    from drsim.scenario.schema import Scenario


class Inconsistency(NamedTuple):
    """One cross-field problem.

    Attributes:
        key_path: Where it is, e.g. ``("faults", 0, "region")``.
        message: What is wrong.
    """

    key_path: KeyPath
    message: str


def consistency_problems(scenario: Scenario) -> list[Inconsistency]:
    """Cross-field checks. Returns ``(key path, message)`` pairs; empty when consistent."""
    return [
        *_region_list_problems(scenario),
        *_fault_region_problems(scenario),
        *_relying_party_problems(scenario),
        *_attacker_problems(scenario),
        *_client_problems(scenario),
        *_share_problems(scenario),
        *_dns_routing_problems(scenario),
        *_schedule_problems(scenario),
        *_failback_problems(scenario),
        *_clock_problems(scenario),
        *_promotion_problems(scenario),
        *dependency_problems(scenario, _unknown_region, Inconsistency),
        *_detector_problems(scenario),
    ]


def _unknown_region(scenario: Scenario, key_path: KeyPath, name: str) -> Iterator[Inconsistency]:
    names = scenario.region_names
    if name not in names:
        known = ", ".join(repr(n) for n in names)
        yield Inconsistency(key_path, f"no region named {name!r} (regions: {known})")


def _region_list_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Region names listed once; one primary, or peers only (at least two) replicating sync."""
    seen: set[str] = set()
    for i, region in enumerate(scenario.regions):
        if region.name in seen:
            yield Inconsistency(("regions", i, "name"), f"region {region.name!r} is listed twice")
        seen.add(region.name)
    roles = [region.role for region in scenario.regions]
    if "peer" in roles:
        if any(role != "peer" for role in roles) or len(roles) < 2:
            yield Inconsistency(
                ("regions",),
                "peers form a multi-site group: use role 'peer' for all regions "
                "(at least two), or one 'primary' and 'secondary' replicas",
            )
        if scenario.replication.mode != "sync":
            yield Inconsistency(
                ("replication", "mode"), "peer regions need replication mode 'sync'"
            )
        return
    primaries = [i for i, role in enumerate(roles) if role == "primary"]
    if len(primaries) != 1:
        key_path = ("regions", primaries[1], "role") if len(primaries) > 1 else ("regions",)
        yield Inconsistency(
            key_path, f"expected exactly one region with role 'primary', found {len(primaries)}"
        )


def _fault_region_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Faults name existing regions; a partition cuts two different ones."""
    sources = source_indices(scenario.faults)
    for index, fault in enumerate(scenario.faults):
        if fault.repetition:
            continue  # a repeated fault's later windows name the same regions
        i = sources[index]
        if isinstance(fault, RegionOutage | GrayFailure | ClockSkew | ObserverPartition):
            yield from _unknown_region(scenario, ("faults", i, "region"), fault.region)
        elif isinstance(fault, Corruption):
            if fault.region is not None:
                yield from _unknown_region(scenario, ("faults", i, "region"), fault.region)
            if sum(isinstance(f, Corruption) for f in scenario.faults[:index]):
                yield Inconsistency(("faults", i, "kind"), "at most one corruption fault per "
                                    "scenario (it is restored from one backup)")
        elif isinstance(fault, Partition):
            for j, name in enumerate(fault.regions):
                yield from _unknown_region(scenario, ("faults", i, "regions", j), name)
            if fault.regions[0] == fault.regions[1]:
                yield Inconsistency(
                    ("faults", i, "regions"), "a partition needs two different regions"
                )
        elif isinstance(fault, KmsOutage) and fault.regions != "all":
            for j, name in enumerate(fault.regions):
                yield from _unknown_region(scenario, ("faults", i, "regions", j), name)


def _attacker_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Attackers reach existing regions and target no more accounts than there are users."""
    population = scenario.users.population
    for i, attacker in enumerate(scenario.attackers):
        if attacker.regions != "all":
            for j, name in enumerate(attacker.regions):
                yield from _unknown_region(scenario, ("attackers", i, "regions", j), name)
        if attacker.targets > population:
            yield Inconsistency(
                ("attackers", i, "targets"),
                f"{attacker.targets} targets but only {population} users",
            )


def _client_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Client kinds live in existing regions and retry (or trip a breaker) only on known
    outcome causes."""
    for i, client in enumerate(scenario.clients):
        if client.home is not None:
            yield from _unknown_region(scenario, ("clients", i, "home"), client.home)
        causes = [(("retry", "retry_on"), client.retry.retry_on)]
        if client.circuit_breaker is not None:
            causes.append((("circuit_breaker", "trip_on"), client.circuit_breaker.trip_on))
        for where, listed in causes:
            for j, cause in enumerate(listed):
                if cause not in OUTCOME_CAUSES:
                    yield Inconsistency(
                        ("clients", i, *where, j),
                        f"unknown outcome cause {cause!r} (causes: {', '.join(OUTCOME_CAUSES)})",
                    )


def _share_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Client shares and MFA shares each add up to 100 %."""
    clients = [(c.name, c.share, "share" not in c.model_fields_set) for c in scenario.clients]
    yield from _not_whole(("clients",), "client", clients)
    mfa = scenario.users.mfa
    kinds = ("none", "sms", "email", "totp")
    yield from _not_whole(("users", "mfa"), "MFA", [
        (kind, getattr(mfa, kind), kind not in mfa.model_fields_set) for kind in kinds])


def _not_whole(key_path: KeyPath, what: str,
               terms: list[tuple[str, float, bool]]) -> Iterator[Inconsistency]:
    """A problem if the shares ``(name, share, defaulted)`` do not add up to 100 %; the
    message lists every term, and says which ones took their default."""
    total = sum(share for _, share, _ in terms)
    if abs(total - 1.0) > 1e-9:
        listed = ", ".join(
            f"{name} {units.format_percent(share)}{' (default)' if defaulted else ''}"
            for name, share, defaulted in terms)
        yield Inconsistency(
            key_path,
            f"{what} shares must add up to 100%, they add up to "
            f"{units.format_percent(round(total, 12))}: {listed}",
        )


def _dns_routing_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Weighted routing has weights for existing regions; latency routing has client homes."""
    dns = scenario.dns
    if dns.routing == "weighted":
        if not dns.weights:
            yield Inconsistency(("dns", "weights"), "weighted routing needs weights per region")
        else:
            for name in dns.weights:
                yield from _unknown_region(scenario, ("dns", "weights", name), name)
    if dns.routing == "latency" and all(c.home is None for c in scenario.clients):
        yield Inconsistency(("clients",), "latency routing needs a 'home' region on client kinds")
    homed = [op for op, kind in dns.endpoints.items() if kind in ("latency", "local")]
    if (homed and dns.routing == "failover"
            and all(c.home is None for c in scenario.clients)):
        yield Inconsistency(("dns", "endpoints", homed[0]),
                            f"a {dns.endpoints[homed[0]]} endpoint needs a 'home' region on "
                            "client kinds")


def _schedule_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Bursts and faults start before the run ends."""
    run_duration = scenario.run.duration
    for i, burst in enumerate(scenario.traffic.bursts):
        if burst.start >= run_duration:
            yield Inconsistency(
                ("traffic", "bursts", i, "start"), "burst starts after the run ends"
            )
    reported: set[int] = set()
    sources = source_indices(scenario.faults)
    for index, fault in enumerate(scenario.faults):
        i = sources[index]
        if fault.start < run_duration or i in reported:
            continue
        reported.add(i)
        if fault.repetition:
            yield Inconsistency(
                ("faults", i, "repeat", "times"),
                f"repetition {fault.repetition + 1} starts at "
                f"{units.format_duration(fault.start)}, after the run ends (run.duration is "
                f"{units.format_duration(run_duration)}): fewer times, or a longer run",
            )
            continue
        yield Inconsistency(
            ("faults", i, "start"),
            "fault starts after the run ends "
            f"(run.duration is {units.format_duration(run_duration)})",
        )


def _relying_party_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """Signing-key and clock-skew faults are seen only by relying parties: they need some."""
    if scenario.relying_parties is not None:
        return
    for i, fault in enumerate(scenario.faults):
        if fault.kind in RELYING_PARTY_FAULTS:
            yield Inconsistency(("faults", i, "kind"),
                                f"a {fault.kind} fault is seen only by relying parties: add a "
                                "relying_parties section (e.g. relying_parties: {calls: 1/min})")


def _failback_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """A replicated catch-up needs an asynchronous channel to carry it; waiting for the
    backlog needs a backlog (catch_up replicate)."""
    failback = scenario.failover.failback
    key = ("failover", "failback")
    if failback.catch_up == "replicate" and scenario.replication.mode != "async":
        yield Inconsistency((*key, "catch_up"),
                            "catch_up 'replicate' needs replication mode 'async' (it ships "
                            f"the backlog over the replication channel), not "
                            f"{scenario.replication.mode!r}")
    if failback.wait_for_backlog and failback.catch_up != "replicate":
        yield Inconsistency((*key, "wait_for_backlog"),
                            "wait_for_backlog needs catch_up 'replicate' (with 'copy' there "
                            "is no backlog to wait for)")


def _clock_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """One origin of the clock (run.start or traffic.start_hour); a weekly profile knows the
    weekday of t = 0; time zones on every client kind or on none."""
    traffic = scenario.traffic
    if scenario.run.start is not None and traffic.start_hour is not None:
        yield Inconsistency(("traffic", "start_hour"),
                            "give run.start (weekday and UTC time of t = 0) or "
                            "traffic.start_hour, not both")
    if traffic.weekly_profile is not None and scenario.run.start is None:
        yield Inconsistency(("traffic", "weekly_profile"),
                            "a weekly profile needs run.start, the weekday and UTC time of "
                            "t = 0 (e.g. 'Monday 09:00')")
    zoned = [c.time_zone is not None for c in scenario.clients]
    if any(zoned) and not all(zoned):
        missing = ", ".join(c.name for c in scenario.clients if c.time_zone is None)
        yield Inconsistency(("clients", zoned.index(False), "time_zone"),
                            f"give a time_zone on every client kind or on none "
                            f"(missing on: {missing})")


def _promotion_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """The operator's region is one of the secondaries."""
    name = scenario.failover.promote_region
    if name is None:
        return
    secondaries = [r.name for r in scenario.regions if r.role == "secondary"]
    if name not in secondaries:
        known = ", ".join(repr(n) for n in secondaries) or "none"
        yield Inconsistency(("failover", "promote_region"),
                            f"promote_region {name!r} is not a secondary region "
                            f"(secondaries: {known})")


def _detector_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """A heartbeat or an arbiter is automation between one primary and one secondary; the
    heartbeat rides the asynchronous replication link; fencing is the heartbeat's or the
    arbiter's lease; only the arbiter has observers to cut the primary off from."""
    failover = scenario.failover
    if failover.detector == "health_checks" and failover.fencing:
        yield Inconsistency(("failover", "fencing"),
                            "fencing needs detector 'heartbeat' or 'arbiter' (the lease is "
                            "renewed by the heartbeat or by a quorum of observers)")
    yield from _observer_cut_problems(scenario)
    if failover.detector == "health_checks":
        return
    roles = [r.role for r in scenario.regions]
    if roles.count("primary") != 1 or roles.count("secondary") != 1:
        yield Inconsistency(("failover", "detector"),
                            f"detector {failover.detector!r} needs one primary and one "
                            f"secondary region (got roles: {', '.join(roles)})")
    if failover.mode != "automatic":
        yield Inconsistency(("failover", "mode"),
                            f"detector {failover.detector!r} promotes automatically: mode "
                            f"must be 'automatic', not {failover.mode!r}")
    if failover.detector == "heartbeat" and scenario.replication.mode != "async":
        yield Inconsistency(("replication", "mode"),
                            f"detector {failover.detector!r} watches the asynchronous "
                            f"replication link: mode must be 'async', not "
                            f"{scenario.replication.mode!r}")


def _observer_cut_problems(scenario: Scenario) -> Iterator[Inconsistency]:
    """An observer partition cuts the primary off from the arbiter's observers."""
    primary = next((r.name for r in scenario.regions if r.role == "primary"), None)
    sources = source_indices(scenario.faults)
    for index, fault in enumerate(scenario.faults):
        if not isinstance(fault, ObserverPartition) or fault.repetition:
            continue
        i = sources[index]
        if scenario.failover.detector != "arbiter":
            yield Inconsistency(("faults", i, "kind"),
                                "observer_partition needs failover.detector 'arbiter' (only "
                                f"the arbiter has observers; detector is "
                                f"{scenario.failover.detector!r})")
        elif fault.region != primary:
            yield Inconsistency(("faults", i, "region"),
                                f"observer_partition cuts the primary off from the observers "
                                f"(they probe only it): expected {primary!r}, got "
                                f"{fault.region!r}")
