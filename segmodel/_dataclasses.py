"""Nested dataclasses to and from plain mappings.

Configs are typed dataclasses; files are YAML. The JSON Schema has already checked types and
ranges by the time :func:`from_mapping` runs, so this only builds objects: missing keys take the
dataclass default, nested dataclass fields are built recursively, unknown keys are an error
(the schema reports them first, with a position).
"""


import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def _dataclass_type(annotation: Any) -> type | None:
    """The dataclass inside ``annotation`` (``Foo`` or ``Foo | None``), if any."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and dataclasses.is_dataclass(arg):
            return arg
    return None


def from_mapping(cls: type[T], data: Mapping[str, Any] | None) -> T:
    """Build dataclass ``cls`` from ``data``; absent keys keep their defaults.

    Example:
        >>> @dataclasses.dataclass
        ... class Inner:
        ...     k: int = 2
        >>> @dataclasses.dataclass
        ... class Outer:
        ...     inner: Inner = dataclasses.field(default_factory=Inner)
        ...     name: str = "x"
        >>> from_mapping(Outer, {"inner": {"k": 5}})
        Outer(inner=Inner(k=5), name='x')
    """
    data = dict(data or {})
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        nested = _dataclass_type(hints[name])
        if nested is not None and isinstance(value, Mapping):
            value = from_mapping(nested, value)
        elif isinstance(value, list):
            value = list(value)
        kwargs[name] = value
    return cls(**kwargs)


def to_mapping(obj: Any) -> dict[str, Any]:
    """Plain nested dict of a dataclass instance (lists stay lists), for YAML/JSON output."""
    return dataclasses.asdict(obj)
