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


Fault = Annotated[
    RegionOutage | GrayFailure | ReplicationStall | Partition | KmsOutage | IdpOutage | DnsOutage,
    Field(discriminator="kind"),
]
