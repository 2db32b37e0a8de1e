"""Lockout: the sign-in lockout ladder, written out or taken from a vendor preset."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration

LOCKOUT_PRESETS: dict[str, dict[str, Any]] = {
    "cognito": {
        "threshold": 5,
        "ladder": "exponential",
        "first_lock": "1s",
        "factor": 2.0,
        "cap": "15m",
        "reset_after": "15m",
    },
    "keycloak": {
        "threshold": 30,
        "ladder": "linear",
        "first_lock": "1m",
        "step": "1m",
        "cap": "15m",
        "reset_after": "12h",
    },
    "microsoft": {
        "threshold": 10,
        "ladder": "exponential",
        "first_lock": "1m",
        "factor": 2.0,
        "cap": "5h",
        "reset_after": "12h",
    },
    "none": {"enabled": False},
}


def _expand_lockout_preset(value: Any) -> Any:
    if isinstance(value, str):
        value = {"preset": value}
    if isinstance(value, dict) and isinstance(value.get("preset"), str):
        preset = LOCKOUT_PRESETS.get(value["preset"])
        if preset is not None:
            return {**preset, **value}
    return value


class Lockout(Model):
    """Sign-in lockout ladder [doc: Cognito]: after `threshold` failures a lock of
    `first_lock`, each further failure a longer one, up to `cap`."""

    preset: Literal["cognito", "keycloak", "microsoft", "none"] | None = Field(
        None, description="Start from a vendor policy; explicit keys override it."
    )
    enabled: bool = Field(True, description="Lockout enforced at all.")
    threshold: int = Field(5, ge=1, description="Failures before the first lock [doc].")
    ladder: Literal["exponential", "linear"] = Field(
        "exponential", description="How locks grow with each further failure."
    )
    first_lock: Duration = Field(1.0, gt=0, description="First lock duration [doc].")
    factor: float = Field(2.0, ge=1, description="exponential: growth per failure [doc].")
    step: Duration = Field(60.0, ge=0, description="linear: added per failure.")
    cap: Duration = Field(900.0, gt=0, description="Longest lock [doc: ~15m].")
    reset_after: Duration = Field(
        900.0, gt=0, description="Counter resets after this long without attempts [doc]."
    )
    scope: Literal["region", "global"] = Field(
        "region", description="Counters per region [doc] or shared across regions."
    )


LockoutField = Annotated[Lockout, BeforeValidator(_expand_lockout_preset)]
