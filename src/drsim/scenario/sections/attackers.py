"""Attackers: credential stuffing, password spraying and token replay against regional endpoints."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Constant, Distribution
from drsim.scenario.sections.vocabulary import NAME_PATTERN
from drsim.scenario.types import Count, Duration, DurationOrForever, Fraction, Rate


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
