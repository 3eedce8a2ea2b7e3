"""What the training-config schema says about a dotted key such as ``model.hidden_dim``.

A study spec names training-config values by dotted key (search space, conditions, derived
values). Everything the spec loader needs to know about such a key — does it exist, is it a value
or a section, which JSON types it takes, is a given value valid for it, what is its default — is
read from ``schemas/train-config.schema.json``, the same file that validates training configs, so
the two can never disagree.

Example:
    >>> "model.hidden_dim" in value_keys(), section_children("features.rhyme")
    (True, ('enabled',))
    >>> value_problem("model.attention_type", "bogus") is not None
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from segmodel.yamlconfig import ConfigErrors, check_schema, load_schema

__all__ = [
    "accepted_types",
    "config_value",
    "property_schema",
    "schema_defaults",
    "section_children",
    "value_keys",
    "value_problem",
]

SCHEMA_NAME = "train-config.schema.json"


def _walk(node: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, child in node.get("properties", {}).items():
        key = f"{prefix}.{name}" if prefix else name
        yield key, child
        yield from _walk(child, key)


@cache
def _nodes() -> dict[str, Mapping[str, Any]]:
    return dict(_walk(load_schema(SCHEMA_NAME), ""))


def _is_section(node: Mapping[str, Any]) -> bool:
    return "properties" in node


@cache
def value_keys() -> tuple[str, ...]:
    """Every dotted key that holds a value (not a section), in schema order."""
    return tuple(key for key, node in _nodes().items() if not _is_section(node))


def section_children(key: str) -> tuple[str, ...] | None:
    """Names inside section ``key``; None when ``key`` is not a section."""
    node = _nodes().get(key)
    if node is None or not _is_section(node):
        return None
    return tuple(node["properties"])


def property_schema(key: str) -> Mapping[str, Any] | None:
    """The sub-schema of value ``key``; None when ``key`` is unknown or a section."""
    node = _nodes().get(key)
    return None if node is None or _is_section(node) else node


def accepted_types(key: str) -> frozenset[str]:
    """JSON types value ``key`` accepts (an ``enum`` contributes the types of its members).

    ``"integer"`` is listed on its own only when the key takes integers but not other numbers.
    """
    node = property_schema(key)
    if node is None:
        return frozenset()
    declared = node.get("type")
    if declared is not None:
        return frozenset([declared] if isinstance(declared, str) else declared)
    json_type = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        type(None): "null",
    }
    return frozenset(json_type[type(member)] for member in node.get("enum", ()))


def value_problem(key: str, value: Any) -> str | None:
    """Why ``value`` is not valid for ``key`` (the training config's own wording), else None."""
    node = property_schema(key)
    if node is None:
        return f"{key} is not a value of the training config"
    try:
        check_schema(value, node, path=SCHEMA_NAME)
    except ConfigErrors as error:
        return error.errors[0].message
    return None


def schema_defaults() -> dict[str, Any]:
    """The complete training config of defaults, as nested plain dicts."""

    def build(node: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: build(child) if _is_section(child) else child.get("default")
            for name, child in node.get("properties", {}).items()
        }

    return build(load_schema(SCHEMA_NAME))


def config_value(document: Any, key: str) -> Any:
    """Value of dotted ``key`` in a training-config document, or its default when not set."""
    *sections, name = key.split(".")
    node = document
    for part in sections:
        node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, Mapping) and name in node:
        return node[name]
    return (property_schema(key) or {}).get("default")
