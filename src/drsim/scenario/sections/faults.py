"""Faults: what goes wrong, where and when (outages, gray failures, stalls, partitions, KMS,
the external IdP, DNS); each fault is a window from ``start`` for ``duration``."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Constant, Distribution
from drsim.scenario.types import Duration, DurationOrForever, Fraction


class Repeat(Model):
    """The same window again and again: a flapping region, a recurring stall."""

    every: Duration = Field(
        gt=0, description="From one start to the next (the period); longer than duration."
    )
    times: int = Field(ge=2, le=10_000, description="How many windows in all (the first included).")


class _Window(Model):
    start: Duration = Field(ge=0, description="When the fault starts.")
    duration: DurationOrForever = Field(gt=0, description="How long it lasts.")
    repeat: Repeat | None = Field(
        None,
        description="Repeat the window: start, start + every, ... (times windows of duration "
        "each), e.g. a flapping primary {every: 5m, times: 6} with duration 1m; none: once.",
    )
    # Set when the scenario expands repeats: which window of a repeated fault this is
    # (error messages point at the file's entry; see source_indices).
    _repetition: int = PrivateAttr(0)

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are (which repetition a window is only places errors)."""
        if not isinstance(other, _Window):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    @property
    def repetition(self) -> int:
        """Which window of a repeated fault this is (0: the first, or not repeated)."""
        return self._repetition

    @model_validator(mode="after")
    def _repeat_fits(self):
        """A repeated window must end before the next one starts (else it is one outage)."""
        if self.repeat is None:
            return self
        if math.isinf(self.duration):
            raise ValueError("repeat needs a finite duration (a forever fault cannot repeat)")
        if self.duration >= self.repeat.every:
            raise ValueError(
                f"repeat.every ({self.repeat.every:g}s) must be longer than duration "
                f"({self.duration:g}s): the windows would overlap into one outage"
            )
        return self

    def windows(self) -> list[_Window]:
        """This fault as plain windows: itself, or one copy per repetition."""
        if self.repeat is None:
            return [self]
        every, times = self.repeat.every, self.repeat.times
        return [self.model_copy(update={"start": self.start + k * every, "repeat": None})
                for k in range(times)]


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


class ObserverPartition(_Window):
    """The primary is cut off from the arbiter's observers (failover.detector arbiter), while
    clients and the other region still reach it: the observers' probes of it fail as when
    it is down, and the arbiter cannot demote it."""

    kind: Literal["observer_partition"]
    region: str = Field(description="The region cut off from the observers: the primary "
                        "(the observers probe only it) [assumption].")


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


class DependencyOutage(_Window):
    """A dependency (``dependencies[].name``) is down: requests that need it fail
    ``dependency_down``; a failover that needs it (``failover.control_plane``) waits."""

    kind: Literal["dependency_outage"]
    name: str = Field(description="The dependency that is down (dependencies[].name).")


def source_indices(faults) -> list[int]:
    """For each window of the expanded schedule, its fault's position in the file's list."""
    out: list[int] = []
    source = -1
    for fault in faults:
        source += fault.repetition == 0
        out.append(source)
    return out


class SigningKeyRotated(_Window):
    """A new key signs tokens from ``start``; the old key stays published (and its tokens
    valid) for ``duration`` after it, then it is retired: tokens it signed are no longer
    valid, so relying parties rejecting them are right. Seen only by relying parties."""

    kind: Literal["signing_key_rotated"]
    duration: DurationOrForever = Field(
        gt=0, description="How long the old key stays published after start (use a short "
        "value such as 1s for a key removed at once) [assumption].")
    published_ahead: Duration = Field(
        0.0, ge=0, description="How long before start the new key is published (0: it "
        "appears in the key set when it starts signing) [assumption].")


class SigningKeyRemoved(_Window):
    """The key that signs tokens is missing from the published key set for ``duration``
    while it keeps signing (a metadata mistake): its tokens stay valid. A relying party
    that fetches the key set in the window rejects them until its next fetch after it
    (March 2021: ~2 h at the IdP, ~12 h more in cached metadata [report])."""

    kind: Literal["signing_key_removed"]


class ClockSkew(_Window):
    """A region's clock is off by ``offset`` while the fault lasts: tokens it issues then
    carry issued-at and expiry that far off. Seen only by relying parties."""

    kind: Literal["clock_skew"]
    region: str = Field(description="Region whose clock is off.")
    offset: Duration = Field(gt=0, description="How far the clock is off.")
    direction: Literal["ahead", "behind"] = Field(
        "ahead", description="ahead: tokens look not yet valid for offset − leeway after "
        "issuance; behind: they look expired for the last offset − leeway of their life.")


class Corruption(_Window):
    """A bad write is acknowledged and replicates like any write (issue 18): a bulk update
    that corrupts a share of the users' profiles, or a bad pool configuration (an app
    client or policy setting). The data stays bad in every region it reached until a
    restore from a point-in-time backup (``backups``); failing over does not help."""

    kind: Literal["corruption"]
    duration: DurationOrForever = Field(
        1.0, gt=0, description="The window incident reports show for it; the bad writes all "
        "land at start and stay until restored, whatever this says [assumption: a bulk job "
        "of seconds].")
    region: str | None = Field(
        None, description="Where the bad write lands (none: the primary). Refused, with no "
        "effect, if that region does not take writes at start (read-only, down) [doc: only the "
        "primary takes writes].")
    scope: Literal["profiles", "configuration"] = Field(
        "profiles", description="profiles: a share of the users' profiles (reads of them "
        "are `corrupt`); configuration: the pool configuration (every sign-in in a region "
        "it has reached is `misconfigured`) [assumption: the two kinds of bad write].")
    share: Fraction = Field(
        units.parse_percent("5%"), description="profiles: the share of the initial users "
        "whose profile the bad write corrupts (rounded to whole users) [assumption].")
    detected_after: Distribution = Field(
        default_factory=lambda: Constant(value="1h"),
        description="From the bad write to an operator noticing it and starting the "
        "restore [assumption].")

    @model_validator(mode="after")
    def _once(self):
        if self.repeat is not None:
            raise ValueError("a corruption happens once: repeat is not supported")
        return self


RELYING_PARTY_FAULTS = ("signing_key_rotated", "signing_key_removed", "clock_skew")
"""Fault kinds only relying parties see (the control and data planes ignore them)."""

Fault = Annotated[
    RegionOutage | GrayFailure | ReplicationStall | Partition | ObserverPartition | KmsOutage
    | IdpOutage | DnsOutage | SigningKeyRotated | SigningKeyRemoved | ClockSkew
    | DependencyOutage | Corruption,
    Field(discriminator="kind"),
]
