"""The compiled search space: parameters, derived values, and how a trial samples them.

Parameters are sampled in one pass, in the order the spec declares them. A parameter with
conditions is sampled only when they all hold on the values known at that point: the parameters
sampled so far, else the base config (or its schema default) — so a condition may test an
earlier parameter or any base value. A parameter that is not sampled keeps the base config's value
and is absent from the trial's values. Derived values are computed after sampling.

Example:
    >>> import optuna
    >>> from ruamel.yaml.comments import CommentedMap
    >>> class Spec:  # the fields of StudySpec that sampling reads
    ...     base_document = CommentedMap(model=CommentedMap(attention_type="none"))
    ...     search_space = (
    ...         Parameter("model.num_layers", "int", low=1, high=1),
    ...         Parameter("model.layer_dropout", "float", low=0.0, high=0.4,
    ...                   conditions=(Condition("model.num_layers", "gt", 1),)),
    ...     )
    ...     derived = (Derived("training.cosine_t_max", "epochs"),)
    ...     class budget:
    ...         epochs_max = 25
    >>> suggest(optuna.create_study().ask(), Spec)
    {'model.num_layers': 1, 'training.cosine_t_max': 25}
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner._conditions import Condition, same_value
from runner._train_schema import config_value

if TYPE_CHECKING:
    import optuna

    from runner._spec import StudySpec

__all__ = [
    "EPOCHS_SOURCE",
    "Derived",
    "Parameter",
    "base_values",
    "derived_values",
    "grid_search_space",
    "space_table",
    "suggest",
]

EPOCHS_SOURCE = "epochs"
"""The ``from:`` of a derived value that is the trial's epoch budget (``budget.epochs.max``)."""


def _number_text(value: float | int) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Parameter:
    """One searched training-config value.

    Args:
        name: Dotted training-config key, also the Optuna parameter name.
        kind: ``float``, ``int``, ``categorical`` or ``bool``.
        low, high: Inclusive bounds (float and int).
        step: Spacing of a discrete range; None = continuous (float) or 1 (int).
        log: Sample uniformly in log space.
        choices: The values of a categorical parameter.
        conditions: All must hold for the parameter to be sampled.
    """

    name: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    conditions: tuple[Condition, ...] = ()

    def is_active(self, values: Mapping[str, Any]) -> bool:
        """Whether every condition holds on ``values`` (earlier parameters over base values)."""
        return all(condition.holds(values) for condition in self.conditions)

    def bounds(self) -> tuple[float | int, float | int]:
        """``(low, high)`` of a float or int parameter.

        Raises:
            ValueError: a categorical or bool parameter (it has choices, not bounds).
        """
        if self.low is None or self.high is None:
            raise ValueError(f"{self.kind} parameter {self.name} has no bounds")
        return self.low, self.high

    def choice_values(self) -> tuple[Any, ...]:
        """The values of a categorical (its choices) or bool (false, true) parameter."""
        return (False, True) if self.kind == "bool" else self.choices

    def values(self) -> tuple[Any, ...] | None:
        """Every value the parameter can take, or None when its domain is continuous.

        Example:
            >>> Parameter("model.dropout", "float", low=0.0, high=0.3, step=0.1).values()
            (0.0, 0.1, 0.2, 0.3)
        """
        if self.kind in {"categorical", "bool"}:
            return self.choice_values()
        low, high = self.bounds()
        if self.kind == "int":
            return tuple(range(int(low), int(high) + 1, int(self.step or 1)))
        if self.step is None:
            return None
        count = round((high - low) / self.step) + 1
        # Rounded to 12 decimals so 0.1 * 3 is printed and stored as 0.3, not 0.30000000000000004.
        return tuple(round(low + index * self.step, 12) for index in range(count))

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one the parameter could take.

        Example:
            >>> Parameter("model.num_layers", "int", low=1, high=5, step=2).contains(3)
            True
        """
        if self.kind in {"categorical", "bool"}:
            return any(same_value(value, choice) for choice in self.choice_values())
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind == "int" and not float(value).is_integer():
            return False
        low, high = self.bounds()
        if not low <= value <= high:
            return False
        if self.step is None:
            return True
        offset = (value - low) / self.step
        return math.isclose(offset, round(offset), abs_tol=1e-9)

    def domain_text(self) -> str:
        """The domain as the plan prints it: ``[0.0, 0.4] step 0.1``, ``{128, 256}``."""
        if self.kind in {"categorical", "bool"}:
            return "{" + ", ".join(_choice_text(choice) for choice in self.choice_values()) + "}"
        low, high = self.bounds()
        text = f"[{_number_text(low)}, {_number_text(high)}]"
        if self.step is not None and not (self.kind == "int" and self.step == 1):
            text += f" step {_number_text(self.step)}"
        return text + (" log" if self.log else "")

    def suggest(self, trial: optuna.Trial) -> Any:
        """Ask ``trial`` for this parameter's value."""
        if self.kind in {"categorical", "bool"}:
            return trial.suggest_categorical(self.name, list(self.choice_values()))
        low, high = self.bounds()
        if self.kind == "float":
            return trial.suggest_float(self.name, low, high, step=self.step, log=self.log)
        return trial.suggest_int(
            self.name, int(low), int(high), step=int(self.step or 1), log=self.log
        )


def _choice_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value)


@dataclass(frozen=True)
class Derived:
    """A training-config value computed per trial: ``source * scale``.

    Args:
        name: Dotted training-config key that receives the value.
        source: ``"epochs"`` (the trial's epoch budget), a parameter, or a base-config key.
        scale: Multiplier; 1 copies the source value unchanged.
        integer: Round the result to an int (the key takes integers only).
    """

    name: str
    source: str
    scale: float = 1.0
    integer: bool = False

    def value(self, source_value: Any) -> Any:
        """The derived value for the source's value.

        Example:
            >>> wide = Derived("model.attention_dim", "model.hidden_dim", scale=1.5, integer=True)
            >>> wide.value(100)
            150
        """
        if self.scale == 1:
            return source_value
        result = source_value * self.scale
        return round(result) if self.integer else result

    def describe(self) -> str:
        """``= 2 * model.hidden_dim`` as the plan prints it."""
        scale = "" if self.scale == 1 else f"{_number_text(self.scale)} * "
        return f"= {scale}{self.source}"


def base_values(spec: StudySpec) -> dict[str, Any]:
    """Base-config values (or schema defaults) of every key a condition or derived value reads."""
    keys = {c.parameter for p in spec.search_space for c in p.conditions}
    keys.update(d.source for d in spec.derived if d.source != EPOCHS_SOURCE)
    return {key: config_value(spec.base_document, key) for key in keys}


def derived_values(spec: StudySpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The derived values for a trial's sampled ``values`` (dotted key → value)."""
    known = ChainMap(dict(values), base_values(spec))
    return {
        derived.name: derived.value(
            spec.budget.epochs_max if derived.source == EPOCHS_SOURCE else known[derived.source]
        )
        for derived in spec.derived
    }


def suggest(trial: optuna.Trial, spec: StudySpec) -> dict[str, Any]:
    """Sample ``spec``'s search space for ``trial``; returns sampled and derived values.

    Parameters whose conditions are false are left out (the base value stays). Booleans are
    categorical ``[False, True]``. Keys are dotted training-config keys, ready for
    :func:`runner._spec.trial_config_document`.
    """
    sampled: dict[str, Any] = {}
    known = ChainMap(sampled, base_values(spec))
    for parameter in spec.search_space:
        if parameter.is_active(known):
            sampled[parameter.name] = parameter.suggest(trial)
    return {**sampled, **derived_values(spec, sampled)}


def space_table(spec: StudySpec) -> list[tuple[str, str, str]]:
    """``(name, domain, condition)`` rows of the search space, for ``segrun plan``.

    The condition text joins the tests with ``and``; it is empty for unconditional parameters.
    """
    return [
        (p.name, p.domain_text(), " and ".join(str(c) for c in p.conditions))
        for p in spec.search_space
    ]


def grid_search_space(spec: StudySpec) -> dict[str, list[Any]]:
    """Every parameter's values, for :class:`optuna.samplers.GridSampler`.

    Conditional parameters are part of the grid too (GridSampler needs the full product); grid
    points that differ only in a parameter whose condition is false train the same config.

    Raises:
        ValueError: a float parameter without ``step`` (``load_spec`` refuses such grid specs).
    """
    grid = {}
    for parameter in spec.search_space:
        values = parameter.values()
        if values is None:
            raise ValueError(f"{parameter.name} is continuous; a grid needs a step")
        grid[parameter.name] = list(values)
    return grid
