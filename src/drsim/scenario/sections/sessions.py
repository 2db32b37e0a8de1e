"""Sessions: token lifetimes and whether a region accepts tokens another region issued."""

from __future__ import annotations

from pydantic import Field

from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration, Fraction


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
