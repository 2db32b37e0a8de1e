"""A scenario in a few lines of prose: the design and the fault story at a glance.

``drsim describe`` prints this so a reviewer can check that the file says what
they meant (the full resolved YAML is one flag away).
"""

from __future__ import annotations

from drsim.scenario.schema import (
    ClampTtl,
    Constant,
    Empirical,
    Exponential,
    ExtendTtl,
    HonourTtl,
    Lognormal,
    PinAnswer,
    Scenario,
    Uniform,
)
from drsim.scenario.units import format_duration as dur
from drsim.scenario.units import format_percent as pct
from drsim.scenario.units import format_rate as rate


def describe_distribution(dist: object) -> str:
    """``lognormal (median 1s, p99 10s)``, ``constant 5s``, …"""
    if isinstance(dist, Constant):
        return f"constant {dur(dist.value)}"
    if isinstance(dist, Exponential):
        return f"exponential (mean {dur(dist.mean)})"
    if isinstance(dist, Lognormal):
        return f"lognormal (median {dur(dist.median)}, p99 {dur(dist.p99)})"
    if isinstance(dist, Uniform):
        return f"uniform ({dur(dist.low)} – {dur(dist.high)})"
    if isinstance(dist, Empirical):
        count = len(dist.samples or ())
        return f"empirical ({count} samples, mean {dur(dist.mean_s)})"
    return str(dist)


def _dns_behaviour(dns: object) -> str:
    if isinstance(dns, HonourTtl):
        return "honours the TTL"
    if isinstance(dns, ClampTtl):
        return f"holds answers at least {dur(dns.min_ttl)}"
    if isinstance(dns, ExtendTtl):
        return f"extends the TTL by {describe_distribution(dns.extra)}"
    if isinstance(dns, PinAnswer):
        if dns.keep_for == "forever":
            return "never re-resolves"
        return f"keeps answers for {describe_distribution(dns.keep_for)}"
    return str(dns)


def describe(scenario: Scenario) -> str:
    """A short human summary of a scenario (design, people, fault story, run)."""
    s = scenario
    lines = [f"{s.name}: {s.description.strip().splitlines()[0] if s.description.strip() else ''}"]
    regions = ", ".join(f"{r.name} ({r.role})" for r in s.regions)
    lines.append(f"  regions      {regions}")
    repl = s.replication
    lines.append(f"  replication  {repl.mode}, lag {describe_distribution(repl.lag)}")
    lines.append(
        f"  users        {s.users.population:,}; sign-ins {rate(s.traffic.sign_in)}, "
        f"refreshes {rate(s.traffic.refresh)}"
    )
    for client in s.clients:
        lines.append(
            f"  clients      {pct(client.share):>7} {client.name}: {_dns_behaviour(client.dns)}"
        )
    hc = s.health_check
    lines.append(
        f"  dns          {s.dns.routing} record, TTL {dur(s.dns.ttl)}; health check "
        f"{dur(hc.interval)} × {hc.failure_threshold}"
    )
    fo = s.failover
    lines.append(
        f"  failover     {fo.mode}, promotion {dur(fo.promotion_time)}, failback {fo.failback.policy}"
        + (f", needs control plane {fo.control_plane}" if fo.control_plane else "")
        + (f" (break glass after {dur(fo.break_glass_after)})" if fo.break_glass_after else "")
    )
    for dep in s.dependencies:
        serves = "" if dep.kind == "control_plane" else (
            f", serves {dep.serves if dep.serves == 'all' else ', '.join(dep.serves)}")
        used = f", used by {', '.join(dep.used_by)}" if dep.used_by else ""
        cap = f", capacity {rate(dep.capacity)}" if dep.capacity is not None else ""
        lines.append(f"  dependency   {dep.name}: {dep.kind} hosted in "
                     f"{dep.hosted_in or 'none of the regions'}{serves}{used}{cap}")
    lo = s.lockout
    if lo.enabled:
        lines.append(
            f"  lockout      {lo.preset or 'custom'}: {lo.threshold} failures, {lo.ladder} from "
            f"{dur(lo.first_lock)} to {dur(lo.cap)}, counters per {lo.scope}"
        )
    else:
        lines.append("  lockout      off")
    for attacker in s.attackers:
        lines.append(
            f"  attacker     {attacker.name}: {attacker.kind} at {rate(attacker.rate)} against "
            f"{attacker.targets:,} accounts via {attacker.regions if attacker.regions == 'all' else ', '.join(attacker.regions)}"
        )
    for fault in s.faults:
        target = (getattr(fault, "region", None) or getattr(fault, "regions", None)
                  or getattr(fault, "name", None) or "")
        if isinstance(target, tuple):
            target = ", ".join(target)
        lines.append(
            f"  fault        {fault.kind} {target} at {dur(fault.start)} for {dur(fault.duration)}"
        )
    if not s.faults:
        lines.append("  fault        none")
    lines.append(
        f"  run          {dur(s.run.duration)} × {s.run.replications} replications, seed {s.run.seed}"
    )
    return "\n".join(line.rstrip() for line in lines)
