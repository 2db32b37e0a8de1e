"""Users: the population at the start of the run, its MFA kinds, federation, sessions and how
active each user is."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Count, Fraction


class MfaMix(Model):
    """Share of users by MFA kind; the four shares add up to 100 %."""

    none: Fraction = Field(units.parse_percent("70%"), description="No MFA [assumption].")
    sms: Fraction = Field(units.parse_percent("10%"), description="SMS codes [assumption].")
    email: Fraction = Field(units.parse_percent("5%"), description="Email codes [assumption].")
    totp: Fraction = Field(units.parse_percent("15%"), description="TOTP apps [assumption].")


class LognormalActivity(Model):
    """Heavy-tailed activity: each user's weight is lognormal with log-standard deviation
    ``sigma`` (the scale does not matter: weights are relative). A request picks a user of
    its population with probability proportional to the weight; the top share ``q`` of users
    then makes ``1 − Φ(Φ⁻¹(1 − q) − sigma)`` of the requests (σ = 1: the top 10 % make 39 %)."""

    distribution: Literal["lognormal"]
    sigma: float = Field(gt=0, le=5, description="Standard deviation of the log-weight "
                         "[assumption: 1 to 2 for web services' users].")


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
    activity: LognormalActivity | None = Field(
        None,
        description="Per-user activity weights (users created by sign-ups get theirs too); "
        "unset, every user of a population is equally likely to make a request.",
    )
