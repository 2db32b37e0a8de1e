"""The JSON Schema of the scenario language, as people write it (for editors and tools).

Pydantic's schema describes the validated model; a scenario *file* may also use
the loader's conveniences: ``extends:``, a plain duration for a constant
distribution (``runbook: 5m``), and preset names (``clients: internet``,
``lockout: cognito``). They are added here so that a YAML language server
accepts every file that ``drsim validate`` accepts.
"""

from __future__ import annotations

from typing import Any

from drsim.scenario.presets import CLIENT_PRESETS
from drsim.scenario.schema import LOCKOUT_PRESETS, Scenario

_DURATION_SHORTHAND = {
    "type": "string",
    "description": "A plain duration means a constant: '5s' is {distribution: constant, value: 5s}.",
    "examples": ["5s", "2m"],
}


def _is_distribution(node: dict[str, Any]) -> bool:
    discriminator = node.get("discriminator")
    return isinstance(discriminator, dict) and discriminator.get("propertyName") == "distribution"


def _accept_shorthand(node: Any) -> None:
    if isinstance(node, dict):
        if "oneOf" in node and _is_distribution(node):
            union = {"oneOf": node.pop("oneOf"), "discriminator": node.pop("discriminator")}
            node["anyOf"] = [_DURATION_SHORTHAND, union]
            return
        for value in node.values():
            _accept_shorthand(value)
    elif isinstance(node, list):
        for value in node:
            _accept_shorthand(value)


def _or_preset(prop: dict[str, Any], names: list[str], what: str) -> dict[str, Any]:
    keep = {k: prop[k] for k in ("title", "description") if k in prop}
    rest = {k: v for k, v in prop.items() if k not in keep and k != "default"}
    return {
        **keep,
        "anyOf": [rest, {"type": "string", "enum": names, "description": f"A {what} preset."}],
    }


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema()
    _accept_shorthand(schema)
    props = schema["properties"]
    props["clients"] = _or_preset(props["clients"], list(CLIENT_PRESETS), "client population")
    props["lockout"] = _or_preset(props["lockout"], list(LOCKOUT_PRESETS), "lockout policy")
    lockout = schema["$defs"]["Lockout"]
    lockout["properties"]["preset"] = {
        **lockout["properties"]["preset"],
        "description": "Start from a vendor policy; explicit keys override it.",
    }
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "A shipped scenario name or a path to a .yaml file to inherit "
            "(mappings merge, lists and values replace).",
        },
        **props,
    }
    return schema
