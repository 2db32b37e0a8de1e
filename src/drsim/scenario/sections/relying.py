"""Relying parties: the APIs that validate the tokens users obtained (JWKS caches, accepted
issuers, clock-skew leeway). Absent (None) by default: no API is modelled."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution
from drsim.scenario.types import Duration, Fraction, Rate


class JwksCache(Model):
    """A share of the relying parties that cache the published signing keys (the JWKS) alike."""

    share: Fraction = Field(description="Share of the relying parties with this cache.")
    ttl: Distribution | Literal["forever"] = Field(
        description="How long a fetched key set is kept before the next fetch, drawn once per "
        "relying party (its fetches are that far apart, at a uniform phase); 'forever': kept "
        "until the relying party restarts. In the wild: 60 s, 5–10 min, or forever [report].")
    restart: Distribution | None = Field(
        None, description="ttl forever: time between restarts of the relying party (each "
        "restart fetches the key set), drawn once per relying party at a uniform phase; None: "
        "no restart within the run [assumption].")

    @model_validator(mode="after")
    def _restart_needs_forever(self) -> JwksCache:
        if self.restart is not None and self.ttl != "forever":
            raise ValueError("restart applies to a cache kept 'forever' (ttl: forever); a "
                             "cache with a finite ttl fetches the key set every ttl anyway")
        return self


class RelyingParties(Model):
    """A population of APIs that validate access tokens. Their validation is computed after
    the data plane from the successful sign-ins and refreshes (the tokens users hold) and
    the signing-key and clock-skew faults (docs/model.md, "Relying parties")."""

    count: int = Field(100, ge=1, le=100_000,
                       description="Number of relying parties (APIs) [assumption].")
    calls: Rate = Field(
        description="API calls per token-holding user per unit time, while the user's "
        "access token is live (from its issuance to the next one, its expiry, or a sign-out); "
        "each call goes to a relying party drawn uniformly [assumption].")
    jwks_caches: tuple[JwksCache, ...] = Field(
        default_factory=lambda: (JwksCache(share="100%", ttl="5m"),),
        min_length=1,
        description="How the relying parties cache the key set; shares add up to 100 % "
        "(default: every relying party fetches every 5 min, a vendor's advice [report]).")
    refresh_on_unknown_key: bool = Field(
        False, description="A token signed by a key missing from the cached set makes the "
        "relying party fetch the key set at once (rate-limited by refetch_interval) instead "
        "of rejecting it until the cache expires [doc].")
    refetch_interval: Duration = Field(
        300.0, gt=0, description="refresh_on_unknown_key: the shortest time between two "
        "unknown-key fetches of one relying party [assumption].")
    leeway: Duration = Field(
        300.0, ge=0, description="Clock-skew leeway when checking a token's issued-at and "
        "expiry: 5 min is a common JWT handler's default [report].")
    accept_secondary_issuer: Fraction | None = Field(
        None, description="Share of relying parties that accept tokens issued by a region "
        "other than the primary (its issuer); the others reject them (cause issuer). None: "
        "100 % − sessions.issuer_pinning (the same pinning, seen by the APIs).")

    @field_validator("jwks_caches")
    @classmethod
    def _shares_add_up(cls, caches: tuple[JwksCache, ...]) -> tuple[JwksCache, ...]:
        total = sum(c.share for c in caches)
        if abs(total - 1.0) > 1e-9:
            terms = " + ".join(units.format_percent(c.share) for c in caches)
            raise ValueError(f"jwks_caches shares must add up to 100%, got {terms} = "
                             f"{units.format_percent(round(total, 12))}")
        return caches
