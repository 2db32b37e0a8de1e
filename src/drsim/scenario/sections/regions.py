"""Regions: the regional deployments, their request quotas, and what a secondary cannot do."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.vocabulary import NAME_PATTERN
from drsim.scenario.types import Duration, Rate


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
