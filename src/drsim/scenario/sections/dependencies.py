"""Dependencies: per-region services a request or a failover needs besides the pool itself.

With Cognito replication, SMS/email senders, Lambda triggers and WAF are configured per
region and are not replicated [doc]: a secondary whose trigger or sender lives in the
failed region serves sign-ins that then fail. A failover runbook may need a control plane
(a routing-control API, IAM's) hosted in one region. Each dependency is hosted in a
region — it is down while that region is, and under a ``dependency_outage`` fault naming
it — and may have a capacity (a token bucket). Off by default: no dependencies.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drsim.scenario.sections.base import Model
from drsim.scenario.sections.vocabulary import NAME_PATTERN, OPERATIONS
from drsim.scenario.types import Duration, Rate

DEPENDENCY_KINDS = ("sms", "email", "trigger", "control_plane")
"""sms/email: a sender needed by sign-ins of users with that MFA kind; trigger: a function
needed by every request of the operations it is used by; control_plane: an API a failover
needs (failover.control_plane)."""


class Dependency(Model):
    """A service hosted in one region that requests (or a failover) need."""

    name: str = Field(pattern=NAME_PATTERN, description="Name (faults and metrics use it) [assumption].")
    kind: Literal[DEPENDENCY_KINDS] = Field(  # type: ignore[valid-type]
        description="sms / email: the MFA code sender — needed only by requests of users "
        "whose MFA kind it is (users.mfa) [doc: per-region SMS/email settings]; trigger: a "
        "Lambda-style trigger needed by every request of used_by (pre sign-up, pre token "
        "generation) [doc: triggers are per region]; control_plane: the API a failover "
        "needs (failover.control_plane).")
    hosted_in: str | None = Field(
        description="Region it runs in: it is down while that region is down (region_outage) "
        "and under a dependency_outage fault naming it; null: outside the modelled regions "
        "(a global service), down only under such a fault [assumption: the design under "
        "review].")
    serves: tuple[str, ...] | Literal["all"] = Field(
        "all", description="Regions whose requests call it ('all': every region); requests "
        "served elsewhere do not (a replicated sender is one entry per region, each hosted "
        "in and serving its own; a region with no sender at all is secondary_limits."
        "sms_email_mfa: false) [assumption: the design under review].")
    used_by: tuple[Literal[OPERATIONS], ...] = Field(  # type: ignore[valid-type]
        (), description="Operations that need it (sms/email: sign_in — a refresh without "
        "a session signs in; trigger: e.g. sign_up for pre sign-up, sign_in, refresh, "
        "federated_sign_in for pre token generation); empty for control_plane.")
    capacity: Rate | None = Field(
        None, gt=0, description="Requests it takes per second (a token bucket, like a "
        "quota); over it a request fails dependency_throttled [assumption: SMS spend and "
        "throughput limits, Lambda concurrency]; null: unlimited.")
    burst: Duration = Field(
        1.0, gt=0, description="Bucket depth as seconds of capacity: it holds capacity × "
        "burst requests [assumption].")

    @model_validator(mode="after")
    def _kind_fits(self):
        """A control plane serves no requests; the others are used by some operation."""
        if self.kind == "control_plane" and (self.used_by or self.capacity is not None):
            raise ValueError("a control_plane dependency is needed by the failover "
                             "(failover.control_plane), not by requests: drop used_by and "
                             "capacity")
        if self.kind != "control_plane" and not self.used_by:
            raise ValueError(f"a {self.kind} dependency needs used_by: the operations that "
                             "call it (e.g. used_by: [sign_in])")
        if self.kind in ("sms", "email") and "m2m_token" in self.used_by:
            raise ValueError(f"an {self.kind} sender serves users' MFA codes: m2m_token "
                             "requests have no user")
        return self
