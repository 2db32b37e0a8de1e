"""The design under review, in plain words: what a reviewer must agree on before reading numbers.

From a resolved :class:`~drsim.scenario.schema.Scenario` this module writes
the question the scenario answers and one sentence per aspect of the design —
regions, replication, users and traffic, DNS and clients, health checks,
failover procedure, lockout, attackers, faults, cost model and run settings —
so that the report states exactly which design produced its numbers.
"""

from __future__ import annotations

import math

from drsim.report.formatting import fmt_seconds
from drsim.scenario.describe import describe_distribution
from drsim.scenario.schema import (
    LOCKOUT_PRESETS,
    ClampTtl,
    Constant,
    Corruption,
    ExtendTtl,
    GrayFailure,
    HonourTtl,
    Lockout,
    ObserverPartition,
    Partition,
    PinAnswer,
    RegionOutage,
    Scenario,
)
from drsim.scenario.units import format_rate

ROLE_WORDS = {
    "primary": "primary, takes every write",
    "secondary": "secondary, read-only until promoted",
    "peer": "peer, takes writes",
}

REPLICATION_WORDS = {
    "async": "asynchronous replication",
    "sync": "synchronous replication",
    "periodic_export": "a periodic export/import",
    "migrate_on_sign_in": "lazy migration on each user's first sign-in",
    "none": "no replication",
}


def question(scenario: Scenario) -> tuple[str, str]:
    """The scenario's question (first line of its description) and the rest of the description."""
    lines = [line.strip() for line in (scenario.description or "").strip().splitlines()]
    if not lines or not lines[0]:
        return f"What happens to {scenario.name} under its fault story?", ""
    return lines[0], " ".join(line for line in lines[1:] if line)


def _dur(seconds: float) -> str:
    return "forever" if math.isinf(seconds) else fmt_seconds(float(seconds))


def _pct(fraction: float) -> str:
    value = 100.0 * float(fraction)
    return f"{value:.0f} %" if float(value).is_integer() else f"{value:.3g} %"


def _list(items: list[str], conjunction: str = "and") -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


DATA_WORDS = {"totp_secrets": "TOTP secrets"}


def _delay(dist: object) -> str:
    if isinstance(dist, Constant) and dist.value == 0:
        return "at once"
    return f"after {describe_distribution(dist)}"


def regions_text(s: Scenario) -> str:
    """``2 regions: us-east-1 (primary, takes every write) and eu-west-1 (…)``."""
    parts = [f"{r.name} ({ROLE_WORDS.get(r.role, r.role)})" for r in s.regions]
    count = len(s.regions)
    return f"{count} region{'s' if count != 1 else ''}: {_list(parts)}."


def replication_text(s: Scenario) -> str:
    """Mode, lag, throughput cap and what is (not) replicated."""
    r = s.replication
    words = REPLICATION_WORDS.get(r.mode, r.mode)
    if r.mode == "none" or len(s.regions) < 2:
        return "No replication: a single copy of the user directory."
    text = words[0].upper() + words[1:]
    if r.mode == "async":
        text += f", lag {describe_distribution(r.lag)}"
        text += (f", applying at most {format_rate(r.throughput)} records"
                 if r.throughput else ", no throughput cap")
    elif r.mode == "sync":
        text += f", {fmt_seconds(r.sync_latency)} added to every write"
    elif r.mode == "periodic_export":
        text += f" every {_dur(r.export_interval)}"
    data = r.data.model_dump()
    carried = [DATA_WORDS.get(k, k.replace("_", " ")) for k, v in data.items() if v]
    missing = [DATA_WORDS.get(k, k.replace("_", " ")) for k, v in data.items() if not v]
    text += f". Carries {_list(carried)}"
    text += f"; not {_list(missing, 'or')}." if missing else "."
    return text


def users_text(s: Scenario) -> str:
    """Population, MFA and federation mix, and the traffic rates."""
    u, t = s.users, s.traffic
    names = {"none": "no", "sms": "SMS", "email": "email", "totp": "TOTP"}
    mfa = [f"{_pct(getattr(u.mfa, k))} {names[k]} MFA" for k in names if getattr(u.mfa, k) > 0]
    rates = [
        f"{format_rate(t.sign_in)} sign-ins",
        f"{format_rate(t.federated_sign_in)} federated sign-ins",
        f"{format_rate(t.refresh)} token refreshes",
        f"{format_rate(t.profile_read)} profile reads",
        f"{format_rate(t.profile_update)} profile updates",
        f"{format_rate(t.sign_up)} sign-ups",
    ]
    text = (f"{s.users.population:,} users ({_list(mfa)}; {_pct(u.federated)} federated). "
            f"Traffic: {_list(rates)}")
    if t.bursts:
        text += f", with {len(t.bursts)} burst{'s' if len(t.bursts) > 1 else ''}"
    return text + "."


def _behaviour(dns: object) -> str:
    if isinstance(dns, HonourTtl):
        return "honour the TTL"
    if isinstance(dns, ClampTtl):
        return f"hold every answer at least {_dur(dns.min_ttl)}"
    if isinstance(dns, ExtendTtl):
        return f"keep answers longer than the TTL by {describe_distribution(dns.extra)}"
    if isinstance(dns, PinAnswer):
        if dns.keep_for == "forever":
            return "never re-resolve"
        return f"keep answers for {describe_distribution(dns.keep_for)}"
    return str(dns)


def dns_text(s: Scenario) -> str:
    """The DNS record and how client resolvers treat its TTL."""
    d = s.dns
    routing = {
        "failover": "a failover record (answers the primary while it is healthy, else the "
        "secondary)",
        "latency": "latency-based records (each client's home region while healthy)",
        "weighted": "weighted records among the healthy regions",
    }.get(d.routing, d.routing)
    clients = [f"{_pct(c.share)} {_behaviour(c.dns)}"
               + ("" if c.name in ("all", "honour") else f" ({c.name})") for c in s.clients]
    return (f"DNS: {routing}, TTL {_dur(d.ttl)}. Clients: {_list(clients)}.")


def health_check_text(s: Scenario) -> str:
    """Interval × threshold and the expected detection time."""
    hc = s.health_check
    expected = (hc.failure_threshold - 0.5) * hc.interval
    return (f"Health checks every {_dur(hc.interval)} from {hc.checkers} checkers; a region is "
            f"unhealthy after {hc.failure_threshold}"
            f"{' consecutive' if hc.failure_threshold != 1 else ''} failed "
            f"probe{'s' if hc.failure_threshold != 1 else ''} (healthy while "
            f"more than {_pct(hc.healthy_fraction)} of checkers pass). Expected detection of "
            f"a hard outage: (k − ½)·I ≈ {_dur(expected)}.")


def failover_text(s: Scenario) -> str:
    """Automatic or manual failover, promotion, failback."""
    f = s.failover
    if f.mode == "none" or len(s.regions) < 2:
        text = "No failover: traffic waits for the failed region to come back."
    elif f.mode == "automatic":
        text = (f"Automatic failover: the unhealthy verdict flips DNS; promotion of the "
                f"secondary starts {_delay(f.automation_delay)} and takes "
                f"{_dur(f.promotion_time)}.")
    else:
        m = f.manual
        steps = [f"page {describe_distribution(m.page)}",
                 f"acknowledge {describe_distribution(m.acknowledge)}",
                 f"decide {describe_distribution(m.decide)}",
                 f"runbook {describe_distribution(m.runbook)}"]
        total = sum(d.mean_s for d in (m.page, m.acknowledge, m.decide, m.runbook))
        text = (f"Manual failover by an operator: {_list(steps)} (≈ {_dur(total)} on average), "
                f"then promotion in {_dur(f.promotion_time)}.")
    if s.regions[0].role == "peer":
        text = (f"Failover between peers: the unhealthy site's traffic moves by DNS; no "
                f"promotion is needed ({_dur(f.promotion_time)}).")
    fb = f.failback
    if fb.policy != "never" and len(s.regions) > 1:
        text += (f" Failback {fb.policy}"
                 + (f" after {_dur(fb.delay)}" if fb.delay else "")
                 + f"; writes the old primary never shipped are {fb.unreplicated_writes}"
                 + (" (last writer wins)." if fb.unreplicated_writes == "reconcile" else "."))
    return text


def lockout_name(lockout: Lockout) -> str:
    """The vendor preset whose values the lockout has (whether or not it was written by the
    preset's name), or ``custom``: identical policies are never named differently."""
    settings = lockout.model_dump(exclude={"preset"})
    for name, values in LOCKOUT_PRESETS.items():
        if name == "none":
            continue
        preset = Lockout.model_validate({**values, "scope": lockout.scope,
                                         "enabled": lockout.enabled})
        if preset.model_dump(exclude={"preset"}) == settings:
            return name
    return "custom"


def lockout_text(s: Scenario) -> str:
    """The lockout ladder and whether counters are per region."""
    lo = s.lockout
    if not lo.enabled:
        return "No account lockout."
    ladder = (f"{lo.threshold} failures, then locks of {_dur(lo.first_lock)} growing "
              + (f"×{lo.factor:g}" if lo.ladder == "exponential" else f"by {_dur(lo.step)}")
              + f" per failure up to {_dur(lo.cap)}")
    scope = ("counters per region: an attacker who reaches k regions gets k ladders"
             if lo.scope == "region" else "one counter shared by every region")
    return f"Lockout ({lockout_name(lo)}): {ladder}; {scope}."


def attackers_text(s: Scenario) -> str:
    """Who attacks, how fast, against how many accounts, through which endpoints."""
    if not s.attackers:
        return "No attacker."
    parts = []
    for a in s.attackers:
        via = "every regional endpoint" if a.regions == "all" else _list(list(a.regions))
        window = ""
        if a.start or not math.isinf(a.duration):
            window = f" from {_dur(a.start)} for {_dur(a.duration)}"
        parts.append(f"{a.name}: {a.kind.replace('_', ' ')} at {format_rate(a.rate)} against "
                     f"{a.targets:,} accounts via {via}{window}")
    return "Attackers — " + "; ".join(parts) + "."


def fault_text(fault: object) -> str:
    """One fault in words: ``region outage of us-east-1 from 30.0 min to 60.0 min``."""
    kind = getattr(fault, "kind", "fault").replace("_", " ")
    start = float(getattr(fault, "start", 0.0))
    duration = float(getattr(fault, "duration", math.inf))
    if isinstance(fault, Corruption):
        what = (f"a bad write corrupting {_pct(fault.share)} of the profiles"
                if fault.scope == "profiles" else "a bad configuration write")
        where = f" at {fault.region}" if fault.region else " at the primary"
        return (f"{what}{where} at {_dur(start)}, noticed after "
                f"{describe_distribution(fault.detected_after)}")
    if isinstance(fault, RegionOutage | GrayFailure):
        what = f"{kind} of {fault.region}"
        if isinstance(fault, GrayFailure):
            what += f" ({_pct(fault.error_rate)} of requests fail, probes fail "
            what += f"{_pct(fault.probe_error_rate)})"
    elif isinstance(fault, Partition):
        what = f"partition between {fault.regions[0]} and {fault.regions[1]}"
    elif isinstance(fault, ObserverPartition):
        what = f"{fault.region} cut off from the arbiter's observers"
    else:
        regions = getattr(fault, "regions", None)
        if regions and regions != "all":
            what = f"{kind} in {_list(list(regions))}"
        elif regions == "all":
            what = f"{kind} in every region"
        else:
            what = kind
    end = "the end of the run" if math.isinf(duration) else _dur(start + duration)
    return f"{what} from {_dur(start)} to {end} ({_dur(duration)})"


def faults_text(s: Scenario) -> str:
    """The fault story."""
    if not s.faults:
        return "No fault: a steady-state run."
    story = "Fault story: " + "; ".join(fault_text(f) for f in s.faults) + "."
    if s.backups is not None and any(isinstance(f, Corruption) for f in s.faults):
        b = s.backups
        story += (f" Backups every {_dur(b.interval)}; a restore takes {_dur(b.restore_time)} "
                  f"and restores {b.restore.replace('_', ' ')}.")
    return story


def cost_text(s: Scenario) -> str:
    """Pricing inputs of the cost model."""
    p = s.pricing
    return (f"Cost model: {p.tier} tier, replica add-on ${p.replica_price:g} and baseline "
            f"${p.baseline_price:g} per monthly active user, {_pct(p.monthly_active)} of users "
            f"active in a month.")


def run_text(s: Scenario) -> str:
    """Duration, replications and seed."""
    r = s.run
    return (f"Each replication simulates {_dur(r.duration)}; {r.replications} "
            f"replication{'s' if r.replications != 1 else ''} from seed {r.seed}; RTO counts "
            f"until sign-in success is back to {_pct(r.rto_threshold)} of its pre-fault level.")


ASPECTS = (
    ("Regions", regions_text),
    ("Replication", replication_text),
    ("Users and traffic", users_text),
    ("DNS and clients", dns_text),
    ("Health checks", health_check_text),
    ("Failover", failover_text),
    ("Lockout", lockout_text),
    ("Attackers", attackers_text),
    ("Faults", faults_text),
    ("Cost", cost_text),
    ("Run", run_text),
)
"""(aspect, function) pairs in the order the report lists them."""


def design_aspects(scenario: Scenario) -> list[tuple[str, str]]:
    """Every aspect of the design as ``(aspect, sentence)``."""
    return [(name, fn(scenario)) for name, fn in ASPECTS]


def short_aspects(s: Scenario) -> dict[str, str]:
    """A few words per aspect, for a side-by-side table of designs."""
    r, hc, f, lo = s.replication, s.health_check, s.failover, s.lockout
    repl = r.mode if len(s.regions) > 1 else "none"
    if r.mode == "async":
        repl += f", lag {describe_distribution(r.lag)}"
    return {
        "regions": ", ".join(f"{x.name} ({x.role})" for x in s.regions),
        "replication": repl,
        "DNS TTL": _dur(s.dns.ttl),
        "health check": f"{_dur(hc.interval)} × {hc.failure_threshold}",
        "failover": f"{f.mode}, promotion {_dur(f.promotion_time)}"
        if len(s.regions) > 1 else "none",
        "lockout": "off" if not lo.enabled else f"{lockout_name(lo)}, "
        + ("per region" if lo.scope == "region" else "global"),
        "tokens across regions": "accepted" if s.sessions.cross_region_tokens else "rejected",
        "faults": "; ".join(fault_text(x) for x in s.faults) or "none",
        "pricing": f"{s.pricing.tier}, replica ${s.pricing.replica_price:g}/MAU",
    }


def with_replications(scenario: Scenario, replications: int) -> Scenario:
    """The scenario with ``run.replications`` replaced (what a sweep or comparison ran)."""
    if not replications or replications == scenario.run.replications:
        return scenario
    run = scenario.run.model_copy(update={"replications": int(replications)})
    return scenario.model_copy(update={"run": run})
