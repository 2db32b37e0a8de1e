"""Sessions: token lifetimes and whether a region accepts tokens another region issued."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution
from drsim.scenario.types import Duration, Fraction, Rate

SESSION_ACTIONS = ("profile_read", "profile_update", "password_change")
"""What a signed-in user does while the session is active (``sessions.actions``)."""


class Sessions(Model):
    """Tokens and how regions treat each other's tokens."""

    access_token: Duration = Field(
        3600.0,
        ge=300,
        le=86400,
        description="Access/ID token lifetime [doc]. Used by sessions that follow sign-ins "
        "(active_for); otherwise refreshes are the rate traffic.refresh.",
    )
    access_token_spread: Duration = Field(
        0.0, ge=0, le=86400,
        description="Lifetimes drawn uniformly from access_token to access_token + spread, to "
        "spread refreshes (Entra ID: 60–90 min) [doc].")
    refresh_policy: Literal["proactive", "half_life", "reactive"] = Field(
        "proactive",
        description="When a client refreshes its access token: proactive (refresh_before "
        "expiry, Firebase: 5 min), half_life (MSAL, long-lived tokens), reactive (at expiry, "
        "on the next call: Amplify) [doc].")
    refresh_before: Duration = Field(
        300.0, ge=0, description="proactive: how long before expiry the client refreshes.")
    on_refused_refresh: Literal["sign_in", "give_up"] = Field(
        "sign_in",
        description="A refresh refused because the region does not accept the token or know "
        "the user (token_rejected, user_not_found): the client signs in interactively "
        "(a forced re-authentication) after reauthentication_delay, or gives up.")
    reauthentication_delay: Duration = Field(
        10.0, ge=0, description="From the refused refresh to the interactive sign-in: the "
        "person types their password again [assumption].")
    active_for: Distribution | None = Field(
        None,
        description="How long a user keeps using the app after a sign-in; while active, the "
        "client refreshes per refresh_policy (per-user tokens). None: refreshes are the rate "
        "traffic.refresh only [assumption].")
    actions: dict[Literal[SESSION_ACTIONS], Rate] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="Requests a signed-in user makes while the session is active, per unit of "
        "active time (e.g. profile_read: 0.3/h): Poisson over each session, by its user. "
        "Journeys: traffic.follow_ups then follow them (e.g. a read-back after an update). "
        "Needs active_for.")
    sign_out_at_end: Fraction = Field(
        0.0, description="Share of sessions that end with an explicit sign-out (revoking the "
        "refresh token) when active_for runs out; the others just stop. Needs active_for.")
    in_progress_at_start: bool = Field(
        True, description="Sessions are already in progress at t = 0, as if sign-ins had run "
        "at the t = 0 rate for up to a day before (a stationary start: the token-driven "
        "refresh rate does not ramp up from zero). Needs active_for.")
    single_flight: bool = Field(
        True, description="The client sends one refresh at a time, however many calls need "
        "the new token (MSAL, Amplify, AWS SDK token providers) [doc]. false: each call that "
        "finds the token expired sends its own refresh (concurrent_calls of them at once), "
        "reported as a source of 429 storms [report: DOMAIN.md].")
    concurrent_calls: int | dict[int, Fraction] = Field(
        1, description="Without single_flight: the calls in flight when a token is refreshed, "
        "each sending a refresh at the same instant (all of them load and quota; the client "
        "keeps the first token back): an integer k, or shares per k such as {1: 50%, 4: 50%} "
        "[assumption].")
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

    @model_validator(mode="after")
    def _concurrent_calls(self) -> Sessions:
        calls = self.concurrent_calls
        shares = calls if isinstance(calls, dict) else {calls: 1.0}
        if min(shares) < 1 or max(shares) > 1000:
            raise ValueError("sessions.concurrent_calls: expected call counts from 1 to 1000, "
                             f"got {sorted(shares)}")
        if abs(sum(shares.values()) - 1.0) > 1e-9:
            raise ValueError("sessions.concurrent_calls: the shares add up to "
                             f"{sum(shares.values()):.4%}, expected 100%")
        if self.single_flight and shares != {1: 1.0}:
            raise ValueError("sessions.concurrent_calls matters only without single-flight "
                             "refresh: set sessions.single_flight: false")
        return self

    @model_validator(mode="after")
    def _journeys_need_sessions(self) -> Sessions:
        if self.active_for is None and (self.actions or self.sign_out_at_end > 0):
            used = "actions" if self.actions else "sign_out_at_end"
            raise ValueError(f"sessions.{used} happens while a session is active: it needs "
                             "sessions.active_for (how long a user stays active after a "
                             "sign-in), e.g. active_for: {distribution: exponential, mean: 30m}")
        return self
