"""The condition language of ``when:``: declarative tests on earlier values, never code.

A spec writes ``when: {model.num_layers: {gt: 1}, model.attention_type: {ne: none}}``: the
parameter is sampled only when every test holds (logical AND). A test is a bare value (equality)
or a one-key mapping ``{operator: value}`` with an operator of :data:`OPERATORS`.

Equality never confuses booleans with numbers (``true`` is not ``1``), and an ordering test
(``gt``, ``ge``, ``lt``, ``le``) on a value that is not a number (``null``, text) is false.

Example:
    >>> when = {"model.num_layers": {"gt": 1}, "model.attention_type": "self"}
    >>> conditions = parse_conditions(when)
    >>> [str(c) for c in conditions]
    ['model.num_layers > 1', 'model.attention_type == self']
    >>> all(c.holds({"model.num_layers": 2, "model.attention_type": "self"}) for c in conditions)
    True
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["OPERATORS", "ORDERING_OPERATORS", "Condition", "parse_conditions", "same_value"]

OPERATORS: dict[str, str] = {
    "eq": "==",
    "ne": "!=",
    "gt": ">",
    "ge": ">=",
    "lt": "<",
    "le": "<=",
    "in": "in",
    "not_in": "not in",
}
"""Operator name → the symbol used when a condition is printed."""

ORDERING_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(a: Any, b: Any) -> bool:
    """``a == b`` where a boolean only equals a boolean (YAML ``true`` is not ``1``)."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return json.dumps(value)


@dataclass(frozen=True)
class Condition:
    """One test ``<parameter> <op> <value>`` of a parameter's ``when:``.

    Args:
        parameter: Dotted key tested: an earlier parameter or a base-config value.
        op: One of :data:`OPERATORS`.
        value: The value compared with (a tuple for ``in`` / ``not_in``).
    """

    parameter: str
    op: str
    value: Any

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the test passes for ``values[self.parameter]``.

        Example:
            >>> Condition("model.num_layers", "in", (2, 3)).holds({"model.num_layers": 3})
            True
        """
        actual = values[self.parameter]
        if self.op in ORDERING_OPERATORS:
            return _is_number(actual) and ORDERING_OPERATORS[self.op](actual, self.value)
        if self.op in {"in", "not_in"}:
            found = any(same_value(actual, member) for member in self.value)
            return found if self.op == "in" else not found
        equal = same_value(actual, self.value)
        return equal if self.op == "eq" else not equal

    def __str__(self) -> str:
        return f"{self.parameter} {OPERATORS[self.op]} {_text(self.value)}"


def parse_conditions(when: Mapping[str, Any] | None) -> tuple[Condition, ...]:
    """Conditions of a ``when:`` mapping that has passed the spec schema (one operator per test).

    Example:
        >>> parse_conditions({"features.rhyme.enabled": True})
        (Condition(parameter='features.rhyme.enabled', op='eq', value=True),)
    """
    conditions = []
    for parameter, test in (when or {}).items():
        if isinstance(test, Mapping):
            ((op, value),) = test.items()
        else:
            op, value = "eq", test
        if isinstance(value, list):
            value = tuple(value)
        conditions.append(Condition(str(parameter), str(op), value))
    return tuple(conditions)
