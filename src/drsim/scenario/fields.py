"""Walking the scenario schema along a key path.

Error messages and the scenario reference need to know, for a key path such as
``replication.lag.p99``, which section owns the key, which keys that section
allows, and which unit its value has (a duration, a rate, a percentage…).
Unions (distributions, DNS behaviours, faults) are resolved by the document's
own discriminator (``distribution:``, ``behaviour:``, ``kind:``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, WithJsonSchema
from pydantic.fields import FieldInfo

from drsim.scenario.errors import KeyPath
from drsim.scenario.schema import Scenario

DISCRIMINATORS = ("distribution", "behaviour", "kind")
"""Keys that select the member of a union section."""


@dataclass(frozen=True)
class Spot:
    """What the schema says about one key path.

    Attributes:
        owner: The section (model class) that owns the last key, if any.
        field: The field of ``owner`` named by the last key, if it exists.
        annotation: The value's type (``Annotated`` and unions resolved where possible).
        metadata: Constraints and unit markers of the value's type.
    """

    owner: type[BaseModel] | None
    field: FieldInfo | None
    annotation: Any
    metadata: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def unit(self) -> str | None:
        """The unit name (``duration``, ``rate``, ``percentage``, …) or None."""
        return unit_of(self.metadata)


def strip_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[T, a, b]`` → ``(T, (a, b))``, flattening nested Annotated."""
    metadata: tuple[Any, ...] = ()
    while get_origin(annotation) is Annotated:
        args = get_args(annotation)
        annotation, metadata = args[0], (*metadata, *args[1:])
    return annotation, metadata


def unit_of(metadata: tuple[Any, ...] | list[Any]) -> str | None:
    """The ``x-unit`` a drsim unit type declares in its JSON schema, if any."""
    for item in metadata:
        if isinstance(item, WithJsonSchema) and isinstance(item.json_schema, dict):
            unit = item.json_schema.get("x-unit")
            if isinstance(unit, str):
                return unit
    return None


def is_union(annotation: Any) -> bool:
    """True for ``A | B`` and ``typing.Union[A, B]``."""
    return get_origin(annotation) in (typing.Union, types.UnionType)


def union_members(annotation: Any) -> list[tuple[Any, tuple[Any, ...]]]:
    """Flattened members of a union (each with its own metadata), without None."""
    members: list[tuple[Any, tuple[Any, ...]]] = []
    for arg in get_args(annotation):
        inner, metadata = strip_annotated(arg)
        if is_union(inner):
            members.extend(union_members(inner))
        elif inner is not type(None):
            members.append((inner, metadata))
    return members


def is_model(annotation: Any) -> bool:
    """True when the annotation is a scenario section (a pydantic model class)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def discriminator_of(model: type[BaseModel]) -> tuple[str, tuple[str, ...]] | None:
    """``(key, values)`` when the model is a union member selected by a literal key."""
    for key in DISCRIMINATORS:
        info = model.model_fields.get(key)
        if info is not None and get_origin(info.annotation) is Literal:
            return key, tuple(str(v) for v in get_args(info.annotation))
    return None


def union_tags(annotation: Any) -> tuple[str, tuple[str, ...]] | None:
    """For a union of sections: the selecting key and every allowed value."""
    inner, _ = strip_annotated(annotation)
    if not is_union(inner):
        return None
    key: str | None = None
    values: list[str] = []
    for member, _meta in union_members(inner):
        if is_model(member):
            found = discriminator_of(member)
            if found is not None:
                key = found[0]
                values.extend(found[1])
    return (key, tuple(values)) if key else None


def _pick_member(annotation: Any, node: Any, elem: str | int | None) -> tuple[Any, tuple]:
    """Choose the union member that fits the document at this point."""
    members = union_members(annotation)
    fitting: list[tuple[Any, tuple]] = []
    for member, metadata in members:
        if is_model(member):
            disc = discriminator_of(member)
            if disc and isinstance(node, dict) and isinstance(node.get(disc[0]), str):
                if node[disc[0]] not in disc[1]:
                    continue
            fitting.append((member, metadata))
        elif get_origin(member) in (tuple, list) and (elem is None or isinstance(elem, int)):
            fitting.append((member, metadata))
        elif get_origin(member) is dict and (elem is None or isinstance(elem, str)):
            fitting.append((member, metadata))
    for member, metadata in fitting:
        if is_model(member) and isinstance(elem, str) and elem in member.model_fields:
            return member, metadata
    for member, metadata in fitting:
        if not is_model(member) or isinstance(elem, str) or elem is None:
            return member, metadata
    return None, ()


def _child(node: Any, elem: str | int) -> Any:
    if isinstance(node, dict) and isinstance(elem, str):
        return node.get(elem)
    if isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node):
        return node[elem]
    return None


def resolve(path: KeyPath, data: Any, root: type[BaseModel] = Scenario) -> Spot:
    """What the schema says about ``path`` in the document ``data``.

    Args:
        path: Key path such as ``("replication", "lag", "p99")``.
        data: The document (used to choose union members by their discriminator).
        root: The section the path starts from.

    Returns:
        A :class:`Spot`; its ``field`` is None when the last key is unknown, and
        its ``owner`` is None when the path leaves the schema altogether.
    """
    annotation: Any = root
    metadata: tuple[Any, ...] = ()
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    node = data
    for elem in path:
        annotation, extra = strip_annotated(annotation)
        metadata = (*metadata, *extra)
        if is_union(annotation):
            annotation, extra = _pick_member(annotation, node, elem)
            metadata = (*metadata, *extra)
            annotation, extra = strip_annotated(annotation)
            metadata = (*metadata, *extra)
        origin = get_origin(annotation)
        if is_model(annotation):
            owner = annotation
            if not isinstance(elem, str) or elem not in annotation.model_fields:
                return Spot(owner, None, None)
            info = annotation.model_fields[elem]
            annotation, metadata = info.annotation, tuple(info.metadata)
        elif origin in (tuple, list) and isinstance(elem, int):
            args = get_args(annotation)
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                if not 0 <= elem < len(args):
                    return Spot(None, None, None)
                annotation = args[elem]
            else:
                annotation = args[0] if args else Any
            owner, info, metadata = None, None, ()
        elif origin is dict and isinstance(elem, str):
            args = get_args(annotation)
            annotation = args[1] if len(args) == 2 else Any
            owner, info, metadata = None, None, ()
        else:
            return Spot(None, None, None)
        node = _child(node, elem)
    annotation, extra = strip_annotated(annotation)
    return Spot(owner, info, annotation, (*metadata, *extra))


def section_at(path: KeyPath, data: Any) -> type[BaseModel] | None:
    """The section (model class) whose keys live directly under ``path``."""
    spot = resolve(path, data) if path else Spot(None, None, Scenario)
    annotation = spot.annotation
    if is_union(annotation):
        node = data
        for elem in path:
            node = _child(node, elem)
        annotation, _ = _pick_member(annotation, node, None)
        annotation, _ = strip_annotated(annotation)
    return annotation if is_model(annotation) else None


def allowed_keys(path: KeyPath, data: Any) -> list[str]:
    """Keys the section under ``path`` accepts (empty when it is not a section)."""
    section = section_at(path, data)
    return list(section.model_fields) if section is not None else []
