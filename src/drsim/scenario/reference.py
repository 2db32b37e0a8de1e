"""The scenario reference (``docs/scenarios.md``), generated from the schema.

Every key a scenario may contain, with its unit, default, allowed range and
meaning, is read from :mod:`drsim.scenario.schema` so that the reference can
never drift from what the loader accepts (a test compares the file with a fresh
rendering). Regenerate with ``make docs`` or::

    python -m drsim.scenario.reference > docs/scenarios.md
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from drsim.scenario import units
from drsim.scenario.fields import (
    discriminator_of,
    is_model,
    is_union,
    strip_annotated,
    union_members,
    unit_of,
)
from drsim.scenario.presets import CLIENT_PRESETS
from drsim.scenario.schema import LOCKOUT_PRESETS, NAME_PATTERN, Distribution, Scenario

_FORMATTERS: dict[str, Callable[[float], str]] = {
    "duration": units.format_duration,
    "duration or 'forever'": units.format_duration,
    "rate": units.format_rate,
    "percentage": units.format_percent,
    "US dollars": units.format_money,
}

_DISTRIBUTION_MODELS = {member for member, _ in union_members(strip_annotated(Distribution)[0])}

INTRO = """\
# Scenario reference

<!-- Generated from src/drsim/scenario/schema.py by `make docs`
     (python -m drsim.scenario.reference); do not edit by hand. -->

A scenario is one YAML file: one DR design under one fault story. Start from
[`scenarios/cognito-active-passive.yaml`](../scenarios/cognito-active-passive.yaml),
where every key is commented with its source, and check your file with
`drsim validate FILE` (errors read `FILE:LINE: key.path: expected …, got …`).
Every key is optional unless its default says *required*; unknown keys are errors.

## Units

Every number a person writes carries its unit; a bare number is refused where
a unit is needed.

| unit | write | means |
|---|---|---|
| duration | `250ms`, `30s`, `5m` (or `5min`), `2h`, `30d` | seconds inside drsim |
| duration or 'forever' | a duration, or `forever` | `forever`: never ends |
| rate | `120/s`, `10/min`, `5/h`, `1/d` | events per second inside drsim |
| percentage | `99.9%`, `18%` | a fraction between 0 and 1 |
| US dollars | `$0.0045` | dollars |
| count | `1000000`, `1_000_000`, `250k`, `1M` | a whole number |

## Reuse: `extends`, `--set` and presets

* `extends: <name or path>` — start from another scenario and change only what
  differs. A name without `.yaml` is a shipped scenario (`scenarios/`, or
  `$DRSIM_SCENARIOS`); a path is relative to the extending file. Mappings merge
  key by key; lists and plain values replace the parent's.
* `--set KEY=VALUE` on the command line (repeatable) — the same key paths as in
  errors, list entries by number: `--set dns.ttl=20s`, `--set faults.0.duration=10m`,
  `--set 'faults.1={kind: idp_outage, start: 1h, duration: 10m}'` (the number
  after the last entry appends one).
* `clients: <preset>` — a ready-made client population (below).
* `lockout: <preset>` or `lockout: {preset: <name>, …}` — a vendor lockout policy;
  keys given beside `preset` override it.
* Distributions: a plain duration (`5s`) means `{distribution: constant, value: 5s}`.
  An empirical `file:` is a CSV (relative to the scenario file) whose first column
  named like `*_s` or `*_ms` is read and inlined as `samples` when the scenario loads.
* YAML anchors and merge keys (`<<: *defaults`) work; duplicate keys are errors.
"""


def _format_number(value: float | int, unit: str | None) -> str:
    formatter = _FORMATTERS.get(unit or "")
    if formatter is not None and isinstance(value, int | float):
        return formatter(float(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flow(value: Any) -> str:
    """A JSON-like value as one line of flow YAML."""
    if isinstance(value, str):
        return value or '""'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def type_text(annotation: Any, metadata: tuple[Any, ...] = ()) -> str:
    """How a value's type is named in the reference: ``duration``, ``list of text``…"""
    annotation, extra = strip_annotated(annotation)
    metadata = (*metadata, *extra)
    unit = unit_of(metadata)
    if unit:
        return unit
    if is_union(annotation):
        members = union_members(annotation)
        names: list[str] = []
        if _DISTRIBUTION_MODELS <= {m for m, _ in members}:
            names.append("distribution")
            members = [(m, meta) for m, meta in members if m not in _DISTRIBUTION_MODELS]
        models = [m for m, _ in members if is_model(m)]
        if models and discriminator_of(models[0]):
            names.append(f"section (a kind below, chosen by `{discriminator_of(models[0])[0]}`)")
            members = [(m, meta) for m, meta in members if not is_model(m)]
        for member, member_meta in members:
            name = type_text(member, member_meta)
            if name not in names:
                names.append(name)
        if type(None) in get_args(annotation):
            names.append("`null`")
        return " or ".join(names)
    origin = get_origin(annotation)
    if origin is Literal:
        values = get_args(annotation)
        return f"`{values[0]}`" if len(values) == 1 else "choice"
    if origin in (tuple, list):
        args = get_args(annotation)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return f"list of {len(args)} " + type_text(args[0])
        return "list of " + type_text(args[0] if args else Any)
    if origin is dict:
        key, value = get_args(annotation)
        return f"mapping of {'integer' if key is int else 'name'} → " + type_text(value)
    if is_model(annotation):
        return "section"
    return {bool: "true/false", int: "integer", float: "number", str: "text"}.get(
        annotation, str(annotation)
    )


def _choices(annotation: Any) -> list[str]:
    annotation, _ = strip_annotated(annotation)
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    return []


def allowed_text(info: FieldInfo) -> str:
    """Allowed values or range of a field: ``> 0s``, ``0% – 100%``, ``one of …``."""
    annotation, extra = strip_annotated(info.annotation)
    metadata = (*info.metadata, *extra)
    choices = _choices(annotation)
    if is_union(annotation):
        for member, member_meta in union_members(annotation):
            metadata = (*metadata, *member_meta)
            choices.extend(c for c in _choices(member) if c not in choices)
    unit = unit_of(metadata)
    if choices and len(choices) > 1:
        return ", ".join(f"`{c}`" for c in choices)
    bounds: dict[str, Any] = {}
    for item in metadata:
        for name in ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern"):
            value = getattr(item, name, None)
            if value is not None and name not in bounds:
                bounds[name] = value
    parts: list[str] = []
    low = ("≥", bounds["ge"]) if "ge" in bounds else ("<", None)
    low = (">", bounds["gt"]) if "gt" in bounds else low
    high = ("≤", bounds["le"]) if "le" in bounds else ("<", bounds.get("lt"))
    if low[1] is not None and high[1] is not None and low[0] == "≥" and high[0] == "≤":
        parts.append(f"{_format_number(low[1], unit)} – {_format_number(high[1], unit)}")
    else:
        if low[1] is not None:
            parts.append(f"{low[0]} {_format_number(low[1], unit)}")
        if high[1] is not None:
            parts.append(f"{high[0]} {_format_number(high[1], unit)}")
    for name, words in (("min_length", "at least"), ("max_length", "at most")):
        if name in bounds:
            noun = "entry" if bounds[name] == 1 else "entries"
            parts.append(f"{words} {bounds[name]} {noun}")
    if bounds.get("pattern") == NAME_PATTERN:
        parts.append("lowercase letters, digits, `.` `_` `-`")
    return ", ".join(parts)


def default_text(info: FieldInfo) -> str:
    """The default as it would be written in a scenario, or *required*."""
    if info.is_required():
        return "*required*"
    value = info.get_default(call_default_factory=True)
    annotation, _ = strip_annotated(info.annotation)
    if is_model(annotation):
        return "(section)"
    if isinstance(value, BaseModel):
        return f"`{_flow(value.model_dump(mode='json'))}`"
    if isinstance(value, tuple) and value and all(isinstance(v, BaseModel) for v in value):
        items = [v.model_dump(mode="json", exclude_defaults=True) for v in value]
        return f"`{_flow(items)}`"
    target = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter = TypeAdapter(target)
    return f"`{_flow(adapter.dump_python(value, mode='json'))}`"


def _heading(title: str, model: type[BaseModel]) -> list[str]:
    doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
    return [f"### `{title}`", "", doc, ""] if doc else [f"### `{title}`", ""]


def _discriminator_meaning(model: type[BaseModel], name: str) -> str:
    disc = discriminator_of(model)
    if disc and disc[0] == name:
        return f"Selects this kind: `{name}: {disc[1][0]}`."
    return ""


def _own_fields_first(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """A section's fields, its own before those of the sections it extends (a region's
    ``capacity.vcpus`` before the shedding keys it inherits)."""
    own = model.__dict__.get("__annotations__", {})
    return sorted(model.model_fields.items(), key=lambda item: item[0] not in own)


def _table(model: type[BaseModel], prefix: str) -> tuple[list[str], list[tuple[str, Any]]]:
    """Rows for one section, and the sub-sections it points to."""
    lines = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    children: list[tuple[str, Any]] = []
    for name, info in _own_fields_first(model):
        key = f"{prefix}{name}"
        annotation, extra = strip_annotated(info.annotation)
        lines.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    f"`{key}`",
                    type_text(info.annotation, tuple(info.metadata)),
                    default_text(info),
                    allowed_text(info),
                    info.description or _discriminator_meaning(model, name),
                )
            )
            + " |"
        )
        inner = annotation
        item_suffix = ""
        if get_origin(annotation) in (tuple, list):
            args = get_args(annotation)
            inner, item_suffix = (args[0] if args else Any), "[]"
            inner, _ = strip_annotated(inner)
        if is_model(inner):
            children.append((f"{key}{item_suffix}", inner))
        elif is_union(inner):
            for member, _meta in union_members(inner):
                if is_model(member) and member not in _DISTRIBUTION_MODELS:
                    disc = discriminator_of(member)
                    label = f"{key}{item_suffix}" + (f" ({disc[0]}: {disc[1][0]})" if disc else "")
                    children.append((label, member))
    return lines, children


def render_reference() -> str:
    """The whole reference as Markdown."""
    out = [INTRO]
    out.append("## Keys\n")
    queue: list[tuple[str, Any]] = [("", Scenario)]
    while queue:
        title, model = queue.pop(0)
        if title:
            out.extend(_heading(title, model))
        else:
            out.extend(["### Top level", "", Scenario.__doc__ or "", ""])
        lines, children = _table(model, f"{title.split(' (')[0]}." if title else "")
        out.extend(lines)
        out.append("")
        queue[0:0] = children
    out.append("## Distributions\n")
    out.append(
        "Wherever the type says *distribution*, write one of these (or a plain duration, "
        "meaning constant).\n"
    )
    for member in sorted(_DISTRIBUTION_MODELS, key=lambda m: discriminator_of(m)[1][0]):
        out.extend(_heading(f"distribution: {discriminator_of(member)[1][0]}", member))
        lines, _ = _table(member, "")
        out.extend(lines)
        out.append("")
    out.append("## Presets\n")
    out.append("### Client populations (`clients: <name>`)\n")
    out.append("| preset | client kind | share | DNS behaviour |")
    out.append("|---|---|---|---|")
    for preset, kinds in CLIENT_PRESETS.items():
        for kind in kinds:
            out.append(
                f"| `{preset}` | `{kind['name']}` | {kind['share']} | `{_flow(kind['dns'])}` |"
            )
    out.append("")
    out.append(
        "The `internet` mix is calibrated on published measurements; the sources are "
        "cited in `src/drsim/scenario/presets.py`.\n"
    )
    out.append("### Lockout policies (`lockout: <name>`)\n")
    out.append("| preset | settings |")
    out.append("|---|---|")
    for preset, settings in LOCKOUT_PRESETS.items():
        out.append(f"| `{preset}` | `{_flow(settings)}` |")
    out.append("")
    return "\n".join(out)


def main() -> None:
    """Print the reference to stdout."""
    sys.stdout.write(render_reference())


if __name__ == "__main__":
    main()
