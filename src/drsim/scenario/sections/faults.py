"""Faults: what goes wrong, where and when (outages, gray failures, stalls, partitions, KMS,
the external IdP, DNS); each fault is a window from ``start`` for ``duration``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration, DurationOrForever, Fraction


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


RELYING_PARTY_FAULTS = ("signing_key_rotated", "signing_key_removed", "clock_skew")
"""Fault kinds only relying parties see (the control and data planes ignore them)."""

Fault = Annotated[
    RegionOutage | GrayFailure | ReplicationStall | Partition | KmsOutage | IdpOutage | DnsOutage
    | SigningKeyRotated | SigningKeyRemoved | ClockSkew,
    Field(discriminator="kind"),
]
