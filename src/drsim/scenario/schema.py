"""The scenario language: a frozen, validated description of one DR design under one fault story.

A :class:`Scenario` says which regions exist and which one is authoritative,
how the user directory replicates, who uses the service and how, how DNS and
health checks steer clients, how failover and failback are run, what the
lockout and session policies are, which attackers are active, which faults
happen when, and what it all costs. Every number a person writes carries a
unit (see :mod:`drsim.scenario.units`); every default is the DOMAIN.md value,
tagged in its description as documented, reported or an assumption.

Cross-field consistency (a fault naming a region that does not exist, two
primaries, shares that do not add up) is checked by :func:`consistency_problems`
so that the loader can point at the offending line.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from drsim.scenario import units
from drsim.scenario.types import Count, Duration, DurationOrForever, Fraction, Money, Rate

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

OPERATIONS = (
    "sign_in",
    "federated_sign_in",
    "refresh",
    "sign_up",
    "profile_read",
    "profile_update",
    "password_change",
    "sign_out",
    "admin_disable",
    "m2m_token",
)
"""Legitimate operations, in the order used for codes everywhere in drsim."""


class Model(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


# --------------------------------------------------------------------------- distributions


class Constant(Model):
    """Always the same value."""

    distribution: Literal["constant"] = "constant"
    value: Duration = Field(description="The value every draw returns.", ge=0)

    @property
    def mean_s(self) -> float:
        return self.value


class Exponential(Model):
    """Exponential with the given mean (memoryless)."""

    distribution: Literal["exponential"]
    mean: Duration = Field(description="Mean of the distribution.", gt=0)

    @property
    def mean_s(self) -> float:
        return self.mean


class Lognormal(Model):
    """Lognormal given by its median and its 99th percentile (p99 > median)."""

    distribution: Literal["lognormal"]
    median: Duration = Field(description="Median (50th percentile).", gt=0)
    p99: Duration = Field(description="99th percentile; must exceed the median.", gt=0)

    @model_validator(mode="after")
    def _p99_above_median(self) -> Lognormal:
        if self.p99 <= self.median:
            raise ValueError(
                f"p99 ({units.format_duration(self.p99)}) must be greater than the median "
                f"({units.format_duration(self.median)})"
            )
        return self

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.median)) / 2.3263478740408408

    @property
    def mean_s(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)


class Uniform(Model):
    """Uniform between low and high."""

    distribution: Literal["uniform"]
    low: Duration = Field(description="Lower bound.", ge=0)
    high: Duration = Field(description="Upper bound (≥ low).", ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    @property
    def mean_s(self) -> float:
        return (self.low + self.high) / 2


class Empirical(Model):
    """Resampled from observed values: inline ``samples`` or a CSV ``file``.

    A CSV file has a header; its first column whose name ends in ``_s`` (seconds)
    or ``_ms`` (milliseconds) is read. The loader inlines the samples, so a
    resolved scenario is self-contained.
    """

    distribution: Literal["empirical"]
    samples: list[Duration] | None = Field(
        default=None, description="Observed values, each with a unit.", min_length=1
    )
    file: str | None = Field(
        default=None,
        description="CSV file of observed values (relative to the scenario file); "
        "column name ending in _s or _ms.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Empirical:
        if (self.samples is None) == (self.file is None):
            raise ValueError("give exactly one of 'samples' or 'file'")
        if self.samples is not None and any(s < 0 for s in self.samples):
            raise ValueError("samples must not be negative")
        return self

    @property
    def mean_s(self) -> float:
        assert self.samples is not None
        return sum(self.samples) / len(self.samples)


def _shorthand_constant(value: Any) -> Any:
    if isinstance(value, str):
        return {"distribution": "constant", "value": value}
    return value


Distribution = Annotated[
    Constant | Exponential | Lognormal | Uniform | Empirical,
    Field(discriminator="distribution"),
    BeforeValidator(_shorthand_constant),
]
"""A distribution of durations; a plain duration such as ``'5s'`` means constant."""


# --------------------------------------------------------------------------- regions


class Quotas(Model):
    """Per-region request quotas (token buckets). A failed-over secondary must carry
    all traffic within its own quotas [doc]."""

    sign_in: Rate = Field(units.parse_rate("120/s"), description="User authentication [doc].")
    sign_up: Rate = Field(units.parse_rate("50/s"), description="User creation [doc].")
    federation: Rate = Field(units.parse_rate("25/s"), description="Federated sign-in [doc].")
    recovery: Rate = Field(units.parse_rate("30/s"), description="Password reset/change [doc].")
    user_read: Rate = Field(units.parse_rate("120/s"), description="Profile reads [doc].")
    user_update: Rate = Field(
        units.parse_rate("25/s"), description="Profile updates, sign-out, disable [doc]."
    )
    token: Rate = Field(units.parse_rate("120/s"), description="Token refresh and M2M [doc].")
    burst: Duration = Field(
        1.0,
        gt=0,
        description="Bucket depth as seconds of quota: a bucket holds rate × burst "
        "requests [assumption].",
    )


class Region(Model):
    """One regional deployment of the identity service."""

    name: str = Field(pattern=NAME_PATTERN, description="Region name, e.g. us-east-1.")
    role: Literal["primary", "secondary", "peer"] = Field(
        description="primary: authoritative for writes; secondary: read-only replica "
        "until failover; peer: writable member of a synchronous multi-site pair."
    )
    quotas: Quotas = Field(default_factory=Quotas, description="Request quotas of this region.")


class SecondaryLimits(Model):
    """What a secondary region cannot do, whatever DNS says [doc: Cognito replication]."""

    totp_mfa: bool = Field(False, description="TOTP MFA sign-in works in the secondary [doc].")
    sms_email_mfa: bool = Field(
        True,
        description="SMS/email MFA works in the secondary (needs per-region SMS/email "
        "settings, which do not replicate) [assumption: configured].",
    )
    federated_needs_primary_sign_in: bool = Field(
        True,
        description="A federated user can sign in to the secondary only after signing in "
        "to the primary once [doc].",
    )


# --------------------------------------------------------------------------- replication


class DataClasses(Model):
    """Which data classes the replication channel carries."""

    users: bool = Field(True, description="User records (existence, sign-ups) [doc].")
    credentials: bool = Field(True, description="Password hashes / credential changes [doc].")
    profiles: bool = Field(True, description="Profile attributes [doc].")
    configuration: bool = Field(
        True,
        description="Pool configuration [doc]. Recorded only: the model has no configuration "
        "changes to replicate.",
    )
    revocations: bool = Field(
        True, description="Refresh-token revocations and user disables [guess]."
    )
    totp_secrets: bool = Field(
        False,
        description="TOTP secrets [doc: not supported]. Recorded only: whether TOTP users can "
        "sign in to the secondary is secondary_limits.totp_mfa.",
    )
    lockout_counters: bool = Field(
        False,
        description="Lockout counters [doc: per region]. Recorded only: counters shared across "
        "regions are lockout.scope: global.",
    )


class Replication(Model):
    """How writes reach the other regions."""

    mode: Literal["async", "sync", "periodic_export", "migrate_on_sign_in", "none"] = Field(
        "async",
        description="async: change records apply after a lag; sync: a write is acknowledged "
        "only when every other reachable region has it; periodic_export: a snapshot every "
        "export_interval, without password hashes; migrate_on_sign_in: a user is copied on "
        "first sign-in while the source is reachable; none: no replica.",
    )
    lag: Distribution = Field(
        default_factory=lambda: Lognormal(distribution="lognormal", median="1s", p99="10s"),
        description="Replication lag of one change record [guess: lognormal, median 1s, p99 10s].",
    )
    throughput: Rate | None = Field(
        None, gt=0, description="Cap on records applied per second; bursts build a backlog."
    )
    export_interval: Duration = Field(
        86400.0, gt=0, description="Snapshot interval of periodic_export [report: daily]."
    )
    sync_latency: Duration = Field(
        0.01,
        ge=0,
        description="Extra latency of a synchronous write (one inter-site round trip) "
        "[doc: Keycloak < 10 ms].",
    )
    data: DataClasses = Field(default_factory=DataClasses, description="What replicates.")


# --------------------------------------------------------------------------- users and clients


class MfaMix(Model):
    """Share of users by MFA kind; the four shares add up to 100 %."""

    none: Fraction = Field(units.parse_percent("70%"), description="No MFA [assumption].")
    sms: Fraction = Field(units.parse_percent("10%"), description="SMS codes [assumption].")
    email: Fraction = Field(units.parse_percent("5%"), description="Email codes [assumption].")
    totp: Fraction = Field(units.parse_percent("15%"), description="TOTP apps [assumption].")


class Users(Model):
    """The user population at the start of the run."""

    population: Count = Field(1_000_000, ge=1, description="Users at t=0 [doc: sizing example].")
    mfa: MfaMix = Field(default_factory=MfaMix, description="MFA kinds.")
    federated: Fraction = Field(
        units.parse_percent("10%"), description="Users who sign in through an external IdP."
    )
    federated_seen_on_primary: Fraction = Field(
        units.parse_percent("90%"),
        description="Federated users who have signed in to the primary before the run.",
    )
    with_session: Fraction = Field(
        units.parse_percent("100%"),
        description="Users holding a refresh token issued by the primary at t=0.",
    )


class HonourTtl(Model):
    """Re-resolve as soon as the cached answer's TTL expires."""

    behaviour: Literal["honour"]


class ClampTtl(Model):
    """Clamp the TTL up to a minimum (e.g. Chrome holds answers at least 60 s)."""

    behaviour: Literal["clamp"]
    min_ttl: Duration = Field(gt=0, description="Minimum TTL applied.")


class ExtendTtl(Model):
    """Extend the TTL by a per-resolver extra drawn from a distribution."""

    behaviour: Literal["extend"]
    extra: Distribution = Field(description="Extra time an answer is kept beyond its TTL.")


class PinAnswer(Model):
    """Keep the answer for a drawn time regardless of TTL (connection reuse, JVM cache)."""

    behaviour: Literal["pin"]
    keep_for: Distribution | Literal["forever"] = Field(
        description="How long an answer is kept; 'forever' never re-resolves."
    )


DnsBehaviour = Annotated[
    HonourTtl | ClampTtl | ExtendTtl | PinAnswer, Field(discriminator="behaviour")
]

RETRY_ON_DEFAULT = ("region_down", "region_error", "throttled", "kms_unavailable", "dns_unavailable")


class RetryPolicy(Model):
    """How a client retries a failed request."""

    attempts: int = Field(3, ge=1, le=20, description="Total attempts including the first.")
    backoff: Duration = Field(1.0, ge=0, description="Wait before the first retry.")
    multiplier: float = Field(2.0, ge=1, description="Backoff growth per retry.")
    jitter: Fraction = Field(
        units.parse_percent("50%"), description="Uniform ± jitter on each backoff."
    )
    retry_on: tuple[str, ...] = Field(
        RETRY_ON_DEFAULT, description="Outcome causes worth retrying."
    )


class ClientKind(Model):
    """A population of clients sharing resolver behaviour and retry policy."""

    name: str = Field(pattern=NAME_PATTERN, description="Client kind name.")
    share: Fraction = Field(description="Share of users using this kind; shares add to 100 %.")
    dns: DnsBehaviour = Field(description="How the client's resolver treats TTLs.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="Retry policy.")
    home: str | None = Field(None, description="Home region for latency/geo routing.")


# --------------------------------------------------------------------------- traffic and attackers


class Burst(Model):
    """A window in which one operation's rate (or all) is multiplied."""

    operation: Literal[OPERATIONS + ("all",)] = Field(  # type: ignore[valid-type]
        description="Operation affected, or 'all'."
    )
    start: Duration = Field(ge=0, description="When the burst starts.")
    duration: Duration = Field(gt=0, description="How long it lasts.")
    multiplier: float = Field(gt=0, description="Rate multiplier during the burst.")


class Traffic(Model):
    """Legitimate traffic: Poisson arrivals per operation, shaped by a daily profile and bursts."""

    sign_in: Rate = Field(units.parse_rate("35/s"), description="Password sign-ins [doc: sizing].")
    federated_sign_in: Rate = Field(units.parse_rate("2/s"), description="Federated sign-ins.")
    refresh: Rate = Field(units.parse_rate("100/s"), description="Token refreshes [doc: sizing].")
    sign_up: Rate = Field(units.parse_rate("1/s"), description="Sign-ups [assumption].")
    profile_read: Rate = Field(units.parse_rate("20/s"), description="Profile reads.")
    profile_update: Rate = Field(units.parse_rate("2/s"), description="Profile updates.")
    password_change: Rate = Field(units.parse_rate("0.5/s"), description="Password changes/resets.")
    sign_out: Rate = Field(units.parse_rate("1/s"), description="Sign-outs (revoke refresh token).")
    admin_disable: Rate = Field(units.parse_rate("1/h"), description="Admin disables a user.")
    m2m_token: Rate = Field(units.parse_rate("0/s"), description="Client-credentials tokens.")
    daily_profile: tuple[float, ...] | None = Field(
        None,
        description="24 hourly rate multipliers (hour 0 first), applied from start_hour; "
        "normalised to mean 1.",
    )
    start_hour: int = Field(0, ge=0, le=23, description="Hour of day at t=0.")
    bursts: tuple[Burst, ...] = Field((), description="Rate bursts.")

    @model_validator(mode="after")
    def _profile_shape(self) -> Traffic:
        if self.daily_profile is not None:
            if len(self.daily_profile) != 24:
                raise ValueError(
                    f"daily_profile needs 24 hourly multipliers, got {len(self.daily_profile)}"
                )
            if any(x < 0 for x in self.daily_profile) or sum(self.daily_profile) <= 0:
                raise ValueError("daily_profile multipliers must be ≥ 0 and not all zero")
        return self

    def rate_of(self, operation: str) -> float:
        return float(getattr(self, operation))


class Attacker(Model):
    """An attacker calling regional endpoints directly (no DNS).

    credential_stuffing guesses random target accounts; password_spraying cycles
    through the targets; token_replay replays refresh tokens after they are
    revoked and credentials of disabled users.
    """

    name: str = Field(pattern=NAME_PATTERN, description="Attacker name.")
    kind: Literal["credential_stuffing", "password_spraying", "token_replay"] = Field(
        description="Attack kind."
    )
    rate: Rate = Field(description="Guesses (or replays) per second.")
    targets: Count = Field(1000, ge=1, description="Number of targeted accounts.")
    regions: Literal["all"] | tuple[str, ...] = Field(
        "all", description="Regional endpoints the attacker reaches: 'all' or a list."
    )
    endpoint_choice: Literal["round_robin", "avoid_locked"] = Field(
        "avoid_locked",
        description="round_robin: cycle through reachable regions; avoid_locked: send each "
        "guess to a region where the account is not locked (an attacker reads the error).",
    )
    success_probability: Fraction = Field(
        units.parse_percent("0.1%"), description="Chance a single guess is the right password."
    )
    replay_delay: Distribution = Field(
        default_factory=lambda: Constant(value="5s"),
        description="token_replay: delay from revocation to the replay.",
    )
    start: Duration = Field(0.0, ge=0, description="When the attack starts.")
    duration: DurationOrForever = Field(math.inf, gt=0, description="How long it lasts.")


# --------------------------------------------------------------------------- DNS, health checks, failover


class Dns(Model):
    """The pool domain's DNS record."""

    ttl: Duration = Field(60.0, gt=0, description="Record TTL [doc: failover records ≤ 60s].")
    routing: Literal["failover", "latency", "weighted"] = Field(
        "failover",
        description="failover: primary while healthy else secondary; latency: each client's "
        "home region while healthy; weighted: split by weights among healthy regions.",
    )
    weights: dict[str, Fraction] | None = Field(
        None, description="weighted routing: share of clients per region."
    )


class HealthCheck(Model):
    """Health checks of each region's endpoint (Route 53 style)."""

    interval: Duration = Field(30.0, gt=0, description="Probe interval [doc: 30s or 10s].")
    failure_threshold: int = Field(
        3, ge=1, le=10, description="Consecutive results that flip a checker [doc: default 3]."
    )
    checkers: int = Field(16, ge=1, le=64, description="Independent checkers [assumption].")
    healthy_fraction: Fraction = Field(
        units.parse_percent("18%"),
        description="Endpoint is healthy while more than this share of checkers say so [doc].",
    )


class ManualProcedure(Model):
    """Operator-driven failover: each step a distribution."""

    page: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="2m"),
        description="From detection to the on-call engineer being paged [assumption].",
    )
    acknowledge: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="5m"),
        description="Page acknowledged [assumption].",
    )
    decide: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="10m"),
        description="Decision to fail over [assumption].",
    )
    runbook: Distribution = Field(
        default_factory=lambda: Constant(value="5m"),
        description="Running the runbook (routing control flip) [assumption].",
    )


class Failback(Model):
    """How the old primary takes over again once it is healthy."""

    policy: Literal["automatic", "manual", "never"] = Field(
        "automatic", description="automatic: as soon as health checks pass; manual: after delay."
    )
    delay: Duration = Field(0.0, ge=0, description="Extra wait before failing back.")
    unreplicated_writes: Literal["lost", "reconcile"] = Field(
        "lost",
        description="Writes the old primary acknowledged but never shipped: lost, or "
        "reconciled last-writer-wins on failback (conflicts counted).",
    )


class Failover(Model):
    """How the secondary becomes the authoritative region."""

    mode: Literal["automatic", "manual", "none"] = Field(
        "automatic",
        description="automatic: the health check flips DNS and promotion follows; manual: an "
        "operator flips routing control; none: never fail over.",
    )
    automation_delay: Distribution = Field(
        default_factory=lambda: Constant(value="0s"),
        description="automatic: from unhealthy verdict to starting promotion.",
    )
    promotion_time: Duration = Field(
        30.0, ge=0, description="Time the secondary spends promoting (read-only) [guess]."
    )
    manual: ManualProcedure = Field(
        default_factory=ManualProcedure, description="manual: the operator procedure."
    )
    failback: Failback = Field(default_factory=Failback, description="Failback policy.")


# --------------------------------------------------------------------------- sessions, lockout


class Sessions(Model):
    """Tokens and how regions treat each other's tokens."""

    access_token: Duration = Field(
        3600.0,
        ge=300,
        le=86400,
        description="Access/ID token lifetime [doc]. Recorded only: refreshes are traffic.refresh "
        "(a rate), not simulated per token expiry.",
    )
    refresh_token: Duration = Field(
        30 * 86400.0, ge=3600, le=10 * 365 * 86400.0, description="Refresh token [doc]."
    )
    cross_region_tokens: bool = Field(
        True, description="A region accepts refresh tokens issued by another [doc]."
    )
    issuer_pinning: Fraction = Field(
        0.0,
        description="Share of users whose relying party pins the issuing region's issuer and "
        "rejects tokens issued elsewhere [report].",
    )


LOCKOUT_PRESETS: dict[str, dict[str, Any]] = {
    "cognito": {
        "threshold": 5,
        "ladder": "exponential",
        "first_lock": "1s",
        "factor": 2.0,
        "cap": "15m",
        "reset_after": "15m",
    },
    "keycloak": {
        "threshold": 30,
        "ladder": "linear",
        "first_lock": "1m",
        "step": "1m",
        "cap": "15m",
        "reset_after": "12h",
    },
    "microsoft": {
        "threshold": 10,
        "ladder": "exponential",
        "first_lock": "1m",
        "factor": 2.0,
        "cap": "5h",
        "reset_after": "12h",
    },
    "none": {"enabled": False},
}


def _expand_lockout_preset(value: Any) -> Any:
    if isinstance(value, str):
        value = {"preset": value}
    if isinstance(value, dict) and isinstance(value.get("preset"), str):
        preset = LOCKOUT_PRESETS.get(value["preset"])
        if preset is not None:
            return {**preset, **value}
    return value


class Lockout(Model):
    """Sign-in lockout ladder [doc: Cognito]: after `threshold` failures a lock of
    `first_lock`, each further failure a longer one, up to `cap`."""

    preset: Literal["cognito", "keycloak", "microsoft", "none"] | None = Field(
        None, description="Start from a vendor policy; explicit keys override it."
    )
    enabled: bool = Field(True, description="Lockout enforced at all.")
    threshold: int = Field(5, ge=1, description="Failures before the first lock [doc].")
    ladder: Literal["exponential", "linear"] = Field(
        "exponential", description="How locks grow with each further failure."
    )
    first_lock: Duration = Field(1.0, gt=0, description="First lock duration [doc].")
    factor: float = Field(2.0, ge=1, description="exponential: growth per failure [doc].")
    step: Duration = Field(60.0, ge=0, description="linear: added per failure.")
    cap: Duration = Field(900.0, gt=0, description="Longest lock [doc: ~15m].")
    reset_after: Duration = Field(
        900.0, gt=0, description="Counter resets after this long without attempts [doc]."
    )
    scope: Literal["region", "global"] = Field(
        "region", description="Counters per region [doc] or shared across regions."
    )


LockoutField = Annotated[Lockout, BeforeValidator(_expand_lockout_preset)]


# --------------------------------------------------------------------------- faults


class _Window(Model):
    start: Duration = Field(ge=0, description="When the fault starts.")
    duration: DurationOrForever = Field(gt=0, description="How long it lasts.")


class RegionOutage(_Window):
    """The whole region stops answering (requests and health checks fail)."""

    kind: Literal["region_outage"]
    region: str = Field(description="Affected region.")


class GrayFailure(_Window):
    """A fraction of requests fail or slow down; health probes may still pass."""

    kind: Literal["gray_failure"]
    region: str = Field(description="Affected region.")
    error_rate: Fraction = Field(description="Share of requests that fail (region_error).")
    added_latency: Duration = Field(0.0, ge=0, description="Latency added to every request.")
    probe_error_rate: Fraction = Field(
        0.0, description="Share of health probes that fail (the health endpoint's view)."
    )


class ReplicationStall(_Window):
    """The replication channel stops applying records (backlog grows)."""

    kind: Literal["replication_stall"]


class Partition(_Window):
    """The link between two regions is cut: replication pauses, both regions alive."""

    kind: Literal["partition"]
    regions: tuple[str, str] = Field(description="The two regions cut apart.")


class KmsOutage(_Window):
    """The customer-managed KMS key is unavailable in the listed regions ('all': the
    multi-region key's shared fate)."""

    kind: Literal["kms_outage"]
    regions: Literal["all"] | tuple[str, ...] = Field("all", description="Affected regions.")


class IdpOutage(_Window):
    """The external federated identity provider is down: federated sign-ins fail."""

    kind: Literal["idp_outage"]


class DnsOutage(_Window):
    """The DNS provider does not answer: resolvers cannot refresh answers."""

    kind: Literal["dns_outage"]
    serve_stale: Fraction = Field(
        units.parse_percent("100%"),
        description="Share of clients whose resolver serves the expired answer (RFC 8767); "
        "the others fail with dns_unavailable.",
    )


Fault = Annotated[
    RegionOutage | GrayFailure | ReplicationStall | Partition | KmsOutage | IdpOutage | DnsOutage,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- cost and run


class Pricing(Model):
    """Monthly cost model [report]."""

    tier: Literal["essentials", "plus"] = Field("essentials", description="Pricing tier.")
    replica_per_mau: Money | None = Field(
        None,
        ge=0,
        description="Replication add-on per MAU per replica per month; default by tier "
        "($0.0045 essentials, $0.006 plus) [report].",
    )
    baseline_per_mau: Money | None = Field(
        None,
        ge=0,
        description="Base price per MAU per month; default by tier ($0.015 essentials, "
        "$0.02 plus) [assumption].",
    )
    m2m_per_1000_tokens: Money = Field(
        0.00225, ge=0, description="Machine-to-machine token price per 1000 [assumption]."
    )
    m2m_surcharge: Fraction = Field(
        units.parse_percent("30%"), description="Replication surcharge on M2M tokens [report]."
    )
    monthly_active: Fraction = Field(
        units.parse_percent("60%"),
        description="Share of the population active in a month (MAU) [assumption].",
    )

    @property
    def replica_price(self) -> float:
        if self.replica_per_mau is not None:
            return self.replica_per_mau
        return 0.0045 if self.tier == "essentials" else 0.006

    @property
    def baseline_price(self) -> float:
        if self.baseline_per_mau is not None:
            return self.baseline_per_mau
        return 0.015 if self.tier == "essentials" else 0.02


class RunSettings(Model):
    """How long and how often to simulate."""

    duration: Duration = Field(7200.0, gt=0, description="Simulated time per replication.")
    seed: int = Field(1, ge=0, description="Root seed; replication seeds are spawned from it.")
    replications: int = Field(5, ge=1, le=10_000, description="Independent replications.")
    rto_threshold: Fraction = Field(
        units.parse_percent("99%"),
        description="RTO ends when per-minute sign-in success is back to this share of its "
        "pre-fault baseline and stays there.",
    )
    dns_converged: Fraction = Field(
        units.parse_percent("99%"),
        description="DNS convergence: share of client traffic reaching the new region.",
    )


# --------------------------------------------------------------------------- the scenario


class Scenario(Model):
    """One DR design under one fault story."""

    name: str = Field(pattern=NAME_PATTERN, description="Scenario name.")
    description: str = Field("", description="The question this scenario answers.")
    regions: tuple[Region, ...] = Field(
        default_factory=lambda: (
            Region(name="us-east-1", role="primary"),
            Region(name="eu-west-1", role="secondary"),
        ),
        min_length=1,
        description="Regional deployments; exactly one primary (or two peers).",
    )
    secondary_limits: SecondaryLimits = Field(
        default_factory=SecondaryLimits, description="What the secondary cannot do."
    )
    replication: Replication = Field(default_factory=Replication, description="Replication.")
    users: Users = Field(default_factory=Users, description="User population.")
    clients: tuple[ClientKind, ...] = Field(
        default_factory=lambda: (
            ClientKind(name="all", share="100%", dns=HonourTtl(behaviour="honour")),
        ),
        min_length=1,
        description="Client populations (or a preset name such as 'internet').",
    )
    traffic: Traffic = Field(default_factory=Traffic, description="Legitimate traffic.")
    attackers: tuple[Attacker, ...] = Field((), description="Attackers.")
    dns: Dns = Field(default_factory=Dns, description="DNS record.")
    health_check: HealthCheck = Field(default_factory=HealthCheck, description="Health checks.")
    failover: Failover = Field(default_factory=Failover, description="Failover procedure.")
    sessions: Sessions = Field(default_factory=Sessions, description="Tokens and sessions.")
    lockout: LockoutField = Field(default_factory=Lockout, description="Lockout policy.")
    faults: tuple[Fault, ...] = Field((), description="Fault schedule.")
    pricing: Pricing = Field(default_factory=Pricing, description="Cost model.")
    run: RunSettings = Field(default_factory=RunSettings, description="Run settings.")

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region_index(self, name: str) -> int:
        return self.region_names.index(name)


def consistency_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field checks. Returns ``(key path, message)`` pairs; empty when consistent."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    names = scenario.region_names
    known = ", ".join(repr(n) for n in names)

    seen: set[str] = set()
    for i, region in enumerate(scenario.regions):
        if region.name in seen:
            problems.append((("regions", i, "name"), f"region {region.name!r} is listed twice"))
        seen.add(region.name)
    roles = [r.role for r in scenario.regions]
    if "peer" in roles:
        if any(role != "peer" for role in roles) or len(roles) < 2:
            problems.append(
                (("regions",), "peers form a multi-site group: use role 'peer' for all regions "
                 "(at least two), or one 'primary' and 'secondary' replicas")
            )
    elif roles.count("primary") != 1:
        where = ("regions", roles.index("primary", roles.index("primary") + 1), "role") if (
            roles.count("primary") > 1
        ) else ("regions",)
        problems.append(
            (where, f"expected exactly one region with role 'primary', found {roles.count('primary')}")
        )
    if "peer" in roles and scenario.replication.mode != "sync":
        problems.append(
            (("replication", "mode"), "peer regions need replication mode 'sync'")
        )

    def check_region(path: tuple[str | int, ...], name: str) -> None:
        if name not in names:
            problems.append((path, f"no region named {name!r} (regions: {known})"))

    for i, fault in enumerate(scenario.faults):
        if isinstance(fault, RegionOutage | GrayFailure):
            check_region(("faults", i, "region"), fault.region)
        elif isinstance(fault, Partition):
            for j, name in enumerate(fault.regions):
                check_region(("faults", i, "regions", j), name)
            if fault.regions[0] == fault.regions[1]:
                problems.append((("faults", i, "regions"), "a partition needs two different regions"))
        elif isinstance(fault, KmsOutage) and fault.regions != "all":
            for j, name in enumerate(fault.regions):
                check_region(("faults", i, "regions", j), name)

    for i, attacker in enumerate(scenario.attackers):
        if attacker.regions != "all":
            for j, name in enumerate(attacker.regions):
                check_region(("attackers", i, "regions", j), name)
        if attacker.targets > scenario.users.population:
            problems.append(
                (("attackers", i, "targets"),
                 f"{attacker.targets} targets but only {scenario.users.population} users")
            )

    for i, client in enumerate(scenario.clients):
        if client.home is not None:
            check_region(("clients", i, "home"), client.home)
        for j, cause in enumerate(client.retry.retry_on):
            if cause not in OUTCOME_CAUSES:
                problems.append(
                    (("clients", i, "retry", "retry_on", j),
                     f"unknown outcome cause {cause!r} (causes: {', '.join(OUTCOME_CAUSES)})")
                )
    shares = sum(c.share for c in scenario.clients)
    if abs(shares - 1.0) > 1e-9:
        problems.append((("clients",), f"client shares must add up to 100%, they add up to "
                         f"{units.format_percent(round(shares, 12))}"))
    mfa = scenario.users.mfa
    total = mfa.none + mfa.sms + mfa.email + mfa.totp
    if abs(total - 1.0) > 1e-9:
        problems.append((("users", "mfa"), f"MFA shares must add up to 100%, they add up to "
                         f"{units.format_percent(round(total, 12))}"))
    if scenario.dns.routing == "weighted":
        if not scenario.dns.weights:
            problems.append((("dns", "weights"), "weighted routing needs weights per region"))
        else:
            for name in scenario.dns.weights:
                check_region(("dns", "weights", name), name)
    if scenario.dns.routing == "latency" and all(c.home is None for c in scenario.clients):
        problems.append((("clients",), "latency routing needs a 'home' region on client kinds"))
    for i, burst in enumerate(scenario.traffic.bursts):
        if burst.start >= scenario.run.duration:
            problems.append((("traffic", "bursts", i, "start"), "burst starts after the run ends"))
    for i, fault in enumerate(scenario.faults):
        if fault.start >= scenario.run.duration:
            problems.append((("faults", i, "start"), "fault starts after the run ends "
                             f"(run.duration is {units.format_duration(scenario.run.duration)})"))
    return problems


OUTCOME_CAUSES = (
    "ok",
    "region_down",
    "region_error",
    "read_only",
    "user_not_found",
    "stale_credential",
    "password_reset_required",
    "mfa_unsupported",
    "locked_out",
    "wrong_password",
    "throttled",
    "token_rejected",
    "idp_unavailable",
    "kms_unavailable",
    "dns_unavailable",
    "sync_unavailable",
    "user_disabled",
)
"""Every outcome a request can end in (MODEL.md causes plus drsim's additions):

- ``password_reset_required``: imported without a password hash (periodic export).
- ``wrong_password``: an attacker's wrong guess.
- ``dns_unavailable``: the client's resolver could not answer (DNS outage, no serve-stale).
- ``sync_unavailable``: a synchronous write could not reach the other site.
- ``user_disabled``: the user is disabled in the serving region.
"""
