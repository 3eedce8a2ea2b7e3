"""Study specs: a YAML file that declares an Optuna study, checked completely before anything runs.

:func:`load_spec` reads a spec (format: ``schemas/study-spec.schema.json``), checks it against the
schema and then semantically — search-space keys against the training-config schema, bounds and
choices against each key's own schema, conditions, derived values, metrics, budget, enqueued
trials, sampler/pruner compatibility — and returns a frozen :class:`StudySpec`. Every problem is
an :class:`~segmodel.errors.InputError` naming the file, line and column; several are reported
together as :class:`~segmodel.yamlconfig.ConfigErrors`. Nothing in a spec is executed.

Paths in a spec are resolved against the spec file: ``base``, ``data`` paths and an explicit
``study.results_dir`` (the default ``results/<name>`` is under the current directory). Data
paths inside a base config file are resolved against that file.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spec.yaml").write_text('''
    ... study: {name: demo}
    ... base: {model: {hidden_dim: 64}}
    ... search_space:
    ...   model.num_layers: {type: int, low: 1, high: 3}
    ... budget: {n_trials: 10, epochs: {min: 2, max: 8}}
    ... ''')
    >>> spec = load_spec(folder / "spec.yaml")
    >>> spec.sampler["type"], spec.pruner["n_warmup_steps"], spec.directions
    ('tpe', 2, ['maximize'])
    >>> document = trial_config_document(spec, {"model.num_layers": 2})
    >>> document["model"]["num_layers"], document["training"]["max_epochs"]
    (2, 8)
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import importlib.util
import json
import os
import re
from collections import ChainMap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner._conditions import ORDERING_OPERATORS, Condition, parse_conditions, same_value
from runner._search_space import EPOCHS_SOURCE, Derived, Parameter
from runner._train_schema import (
    accepted_types,
    config_value,
    property_schema,
    schema_defaults,
    section_children,
    value_keys,
    value_problem,
)
from segmodel.config import check_train_config
from segmodel.errors import InputError
from segmodel.trainer import REPORTED_METRICS
from segmodel.yamlconfig import (
    ConfigErrors,
    check_schema,
    load_schema,
    load_yaml,
    locate,
    parse_scalar,
    set_dotted,
)

__all__ = [
    "Budget",
    "Constraint",
    "FinalRetrain",
    "Objective",
    "StudySpec",
    "load_spec",
    "trial_config_document",
]

SPEC_SCHEMA_NAME = "study-spec.schema.json"
TRAIN_SCHEMA_NAME = "train-config.schema.json"
STORAGE_FILE = "optuna_study.db"
MAX_OBJECTIVES = 3
MAX_EPOCHS_KEY = "training.max_epochs"
DATA_PATH_KEYS = ("train", "val", "test")
AUTO_GP_MAX_TRIALS = 200
MULTI_OBJECTIVE_PRUNERS = ("median", "none")
SAMPLER_PACKAGES = {"cmaes": "cmaes"}
"""Sampler type → the package it imports when sampling (not a dependency of segrun itself)."""
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
# Settings that say where and how fast a trial runs, not what it computes: changing them (another
# machine, another cache folder) must not make a resumed study look like a different one.
_RUNTIME_ONLY_KEYS = ("system.device", "system.threads", "system.cache_dir", "output")


@dataclass(frozen=True)
class Objective:
    """A reported metric the study optimises."""

    metric: str
    direction: str


@dataclass(frozen=True)
class Constraint:
    """Feasible range ``min <= metric <= max`` (either bound may be None)."""

    metric: str
    min: float | None
    max: float | None

    def violation(self, value: float) -> float:
        """Optuna's constraint value: ``<= 0`` when feasible, else how far out of range.

        ``max(min - value, value - max)`` over the bounds that are set; a NaN metric is +inf
        (never feasible; Optuna refuses NaN constraint values).

        Example:
            >>> Constraint("val.chorus_rate", 0.1, 0.6).violation(0.7)
            0.09999999999999998
        """
        if value != value:
            return float("inf")
        excess = []
        if self.min is not None:
            excess.append(self.min - value)
        if self.max is not None:
            excess.append(value - self.max)
        return max(excess)


@dataclass(frozen=True)
class Budget:
    """What a study may spend. ``epochs_min`` is the first epoch a pruner may act on."""

    n_trials: int
    timeout: float | None
    trial_timeout: float | None
    epochs_min: int
    epochs_max: int
    max_failed_trials: int | None
    seeds_per_trial: int = 1

    @property
    def epochs_per_trial(self) -> int:
        """Epochs a trial trains when neither pruning nor early stopping cuts it short."""
        return self.epochs_max * self.seeds_per_trial


@dataclass(frozen=True)
class FinalRetrain:
    """The final step: retrain the chosen trial on ``seeds`` unused seeds with ``overrides``."""

    seeds: int = 0
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudySpec:
    """A checked, resolved study spec. Build it with :func:`load_spec`.

    ``sampler`` and ``pruner`` hold ``type`` and every option with its default filled in (an
    ``auto`` sampler appears as the sampler it chose, with ``selected_by: auto``; hyperband and
    successive halving carry the ``min_resource``/``max_resource`` taken from the epoch budget).
    ``base_document`` is the base training config (comments kept) with the spec's ``data``
    overrides applied and data paths absolute. ``fingerprint`` hashes :meth:`normalized`.
    """

    path: Path
    name: str
    storage: str
    results_dir: Path
    seed: int | None
    sampler: dict[str, Any]
    pruner: dict[str, Any]
    base_document: Any
    base_path: Path | None
    search_space: tuple[Parameter, ...]
    derived: tuple[Derived, ...]
    objectives: tuple[Objective, ...]
    budget: Budget
    enqueue: tuple[dict[str, Any], ...]
    constraints: tuple[Constraint, ...]
    report: dict[str, Any]
    retrain: FinalRetrain = FinalRetrain()
    fingerprint: str = ""

    @property
    def directions(self) -> list[str]:
        """Optuna directions of the objectives, in order."""
        return [objective.direction for objective in self.objectives]

    @property
    def primary(self) -> Objective:
        """The first objective."""
        return self.objectives[0]

    def renamed(self, name: str) -> StudySpec:
        """The same study definition under another name (``segrun --fork NAME``).

        Results go to the sibling folder ``<results_dir>/../<name>``; a default SQLite storage
        moves with them, an explicit storage URL is kept (the study name tells the two apart).
        The fingerprint is unchanged.

        Raises:
            InputError: ``name`` is not a valid study name.
        """
        problem = _name_problem(name)
        if problem:
            raise InputError(problem)
        results_dir = self.results_dir.parent / name
        storage = self.storage
        if storage == _default_storage(self.results_dir):
            storage = _default_storage(results_dir)
        return replace(self, name=name, results_dir=results_dir, storage=storage)

    def normalized(self) -> dict[str, Any]:
        """Everything that defines what the study's trials compute, as plain JSON-able data.

        Included: search space, derived values, objectives, constraints, epoch budget, seeds per
        trial (when above 1) and the base config (defaults filled in, data overrides applied, data
        paths relative to the spec folder, training.max_epochs = the epoch budget). Left out, so changing them never blocks
        a resume: n_trials, timeouts, failure limit, storage, results folder, seed, sampler,
        pruner, enqueued trials, report options, YAML comments and layout, and the runtime-only
        keys system.device, system.threads, system.cache_dir and output.
        """
        base = _merge(schema_defaults(), _plain(self.base_document))
        base["training"]["max_epochs"] = self.budget.epochs_max
        for key in DATA_PATH_KEYS:
            if base["data"][key] is not None:
                base["data"][key] = _portable_path(base["data"][key], self.path.parent)
        for key in _RUNTIME_ONLY_KEYS:
            section, _, name = key.partition(".")
            if name:
                base[section].pop(name, None)
            else:
                base.pop(section, None)
        normalized = {
            "search_space": {p.name: _parameter_record(p) for p in self.search_space},
            "derived": {d.name: {"from": d.source, "scale": float(d.scale)} for d in self.derived},
            "objectives": [{"metric": o.metric, "direction": o.direction} for o in self.objectives],
            "constraints": [
                {"metric": c.metric, "min": c.min, "max": c.max} for c in self.constraints
            ],
            "epochs": {"min": self.budget.epochs_min, "max": self.budget.epochs_max},
            "base": base,
        }
        if self.budget.seeds_per_trial > 1:  # only when set, so older studies keep their fingerprint
            normalized["seeds_per_trial"] = self.budget.seeds_per_trial
        return normalized


def _name_problem(name: str) -> str | None:
    if _NAME_PATTERN.fullmatch(name) and name not in {".", ".."}:
        return None
    return (
        f"study name {name!r} may only use letters, digits, '_', '.' and '-' "
        "(it names the results folder)"
    )


def _default_storage(results_dir: Path) -> str:
    return f"sqlite:///{(results_dir / STORAGE_FILE).as_posix()}"


def _parameter_record(parameter: Parameter) -> dict[str, Any]:
    record: dict[str, Any] = {"type": parameter.kind}
    if parameter.kind in {"float", "int"}:
        number = float if parameter.kind == "float" else int
        low, high = parameter.bounds()
        record.update(
            low=number(low),
            high=number(high),
            step=None if parameter.step is None else number(parameter.step),
            log=parameter.log,
        )
    elif parameter.kind == "categorical":
        record["choices"] = list(parameter.choices)
    record["when"] = sorted(
        [c.parameter, c.op, list(c.value) if isinstance(c.value, tuple) else c.value]
        for c in parameter.conditions
    )
    return record


def _portable_path(path: str, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(path).as_posix()


def _merge(defaults: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in values.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plain(value: Any) -> Any:
    """Builtin-typed copy of a round-trip YAML value (ruamel's scalar subclasses made plain)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    for builtin in (int, float, str):
        if isinstance(value, builtin):
            return builtin(value)
    return value


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text(value: Any) -> str:
    return json.dumps(value)


def _dotted(keys: Iterable[Any]) -> str:
    """``search_space.model.hidden_dim.choices[2]``: how a message names a place in the spec."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _spec_default(*keys: str) -> Any:
    """The default the spec schema documents for ``properties.<k1>.properties.<k2>...``."""
    node: Mapping[str, Any] = load_schema(SPEC_SCHEMA_NAME)
    for key in keys:
        node = node["properties"][key]
    return node["default"]


@cache
def _validation_schema() -> dict[str, Any]:
    """The spec schema with its references to the training schema resolved for jsonschema.

    Editors follow ``train-config.schema.json`` references themselves. Here the data section of
    the training schema is inlined, and ``base`` only has to be a path or a mapping: an inline
    base is then checked by ``check_train_config`` so its errors read like a training config's.
    """
    schema = copy.deepcopy(load_schema(SPEC_SCHEMA_NAME))
    properties = schema["properties"]
    data = load_schema(TRAIN_SCHEMA_NAME)["properties"]["data"]
    properties["data"] = {**data, "type": ["object", "null"]}
    properties["base"] = {"type": ["string", "object"]}
    return schema


def _option_defaults(section: str, kind: str) -> dict[str, Any]:
    """Defaults of the options of sampler/pruner ``kind``, as the spec schema documents them."""
    node = load_schema(SPEC_SCHEMA_NAME)["properties"]["study"]["properties"][section]
    for clause in node["allOf"]:
        if clause["if"]["properties"]["type"]["const"] == kind:
            options = clause["then"]["properties"]
            return {name: option["default"] for name, option in options.items() if name != "type"}
    raise KeyError(kind)


def load_spec(path: str | Path, *, storage: str | None = None) -> StudySpec:
    """Load, check and compile a study spec file.

    Args:
        path: The spec YAML file.
        storage: Optuna storage URL that replaces the spec's ``study.storage``.

    Raises:
        InputError: located (file:line:col) — several at once as ``ConfigErrors``. Problems in a
            base config file name that file.
    """
    path = Path(path).resolve()
    document = load_yaml(path)
    if not isinstance(document, Mapping):
        raise InputError(
            "a study spec must be a mapping with the sections study, base, search_space and budget",
            path=path,
            line=1,
        )
    check_schema(document, _validation_schema(), path=path)
    base_document, base_path = _load_base(document, path)
    return _SpecCompiler(document, path, base_document).compile(base_path, storage)


def _load_base(document: Mapping[str, Any], path: Path) -> tuple[CommentedMap, Path | None]:
    """The base training config with the spec's data overrides applied and data paths absolute."""
    base = document["base"]
    if isinstance(base, str):
        base_path = (path.parent / base).resolve()
        if not base_path.is_file():
            line, column = locate(document, ["base"]) or (None, None)
            raise InputError(
                f"base config {base_path} not found "
                "(a relative path is resolved against the spec's folder)",
                path=path,
                line=line,
                column=column,
                key="base",
            )
        base_document = load_yaml(base_path)
        if base_document is None:
            base_document = CommentedMap()
        if not isinstance(base_document, Mapping):
            raise InputError(
                "a training config must be a mapping of sections", path=base_path, line=1
            )
        check_train_config(base_document, path=base_path)
        origin = base_path.parent
    else:
        check_train_config(base, path=path, prefix=("base",))
        base_document, base_path, origin = copy.deepcopy(base), None, path.parent
    overrides = _plain(document.get("data") or {})
    # Where data paths were written, to point at them when a file is missing.
    base_source, base_keys = (
        (base_document, ["data"]) if base_path else (document, ["base", "data"])
    )
    missing = []
    for key in DATA_PATH_KEYS:
        value = config_value(base_document, f"data.{key}")
        if value is not None and key not in overrides:  # an overridden base path is never read
            resolved = (origin / value).resolve()
            missing += _missing_file(resolved, base_source, [*base_keys, key], base_path or path)
            set_dotted(base_document, f"data.{key}", str(resolved))
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            for inner, inner_value in value.items():
                set_dotted(base_document, f"data.{key}.{inner}", inner_value)
        elif key in DATA_PATH_KEYS and value is not None:
            expanded, problem = _expand_environment(str(value), document, ["data", key], path)
            if problem is not None:
                missing.append(problem)
                continue
            resolved = (path.parent / expanded).resolve()
            missing += _missing_file(resolved, document, ["data", key], path)
            set_dotted(base_document, f"data.{key}", str(resolved))
        else:
            set_dotted(base_document, f"data.{key}", value)
    if missing:
        raise missing[0] if len(missing) == 1 else ConfigErrors(missing)
    return base_document, base_path


_ENVIRONMENT_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_environment(
    value: str, document: Any, keys: list[Any], path: Path
) -> tuple[str, InputError | None]:
    """``${VAR}`` in a spec's data path, from the environment (the corpus is not shipped)."""
    unset = [name for name in _ENVIRONMENT_VARIABLE.findall(value) if name not in os.environ]
    if unset:
        line, column = locate(document, keys) or (None, None)
        message = (
            f"environment variable {unset[0]} is not set; export it to point this path at your "
            f"data (e.g. {unset[0]}=/data/lyrics segrun {path.name})"
        )
        return value, InputError(message, path=path, line=line, column=column, key=_dotted(keys))
    expanded = _ENVIRONMENT_VARIABLE.sub(lambda m: os.environ[m.group(1)], value)
    return os.path.expanduser(expanded), None


def _missing_file(file: Path, document: Any, keys: list[Any], path: Path) -> list[InputError]:
    """A located error when data file ``file``, written at ``keys`` of ``document``, is absent."""
    if file.is_file():
        return []
    line, column = locate(document, keys) or (None, None)
    message = f"data file {file} not found (a relative path is resolved against this file's folder)"
    return [InputError(message, path=path, line=line, column=column, key=_dotted(keys))]


class _SpecCompiler:
    """Semantic checks and compilation of a schema-valid spec; collects every problem."""

    def __init__(self, document: Mapping[str, Any], path: Path, base_document: Any) -> None:
        self.document = document
        self.data = _plain(document)
        self.path = path
        self.base_document = base_document
        self.errors: list[InputError] = []

    def fail(self, message: str, keys: Iterable[Any], *, at_key: bool = False) -> None:
        keys = list(keys)
        line, column = locate(self.document, keys, at_key=at_key) or (None, None)
        self.errors.append(
            InputError(message, path=self.path, line=line, column=column, key=_dotted(keys))
        )

    def compile(self, base_path: Path | None, storage: str | None) -> StudySpec:
        study = self.data["study"]
        name = self._study_name(study["name"])
        objectives = self._objectives()
        budget = self._budget()
        search_space = self._search_space()
        derived = self._derived(search_space, budget)
        enqueue = self._enqueue(search_space)
        constraints = self._constraints()
        sampler = self._sampler(search_space, objectives, budget)
        pruner = self._pruner(objectives, budget)
        retrain = self._retrain()
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(sorted(self.errors, key=lambda e: (e.line or 0, e.column or 0)))
        results_dir = self._results_dir(study.get("results_dir"), name)
        spec = StudySpec(
            path=self.path,
            name=name,
            storage=storage or study.get("storage") or _default_storage(results_dir),
            results_dir=results_dir,
            seed=study.get("seed", _spec_default("study", "seed")),
            sampler=sampler,
            pruner=pruner,
            base_document=self.base_document,
            base_path=base_path,
            search_space=search_space,
            derived=derived,
            objectives=objectives,
            budget=budget,
            enqueue=enqueue,
            constraints=constraints,
            report=self._report(),
            retrain=retrain,
        )
        encoded = json.dumps(spec.normalized(), sort_keys=True, separators=(",", ":"))
        return replace(spec, fingerprint=hashlib.sha256(encoded.encode("utf-8")).hexdigest())

    # -- study ---------------------------------------------------------------------------------

    def _study_name(self, name: str) -> str:
        problem = _name_problem(name)
        if problem:
            self.fail(problem, ["study", "name"])
        return name

    def _results_dir(self, results_dir: str | None, name: str) -> Path:
        if results_dir is None:
            return (Path.cwd() / "results" / name).resolve()
        return (self.path.parent / results_dir).resolve()

    def _report(self) -> dict[str, Any]:
        return {**_spec_default("report"), **self.data.get("report", {})}

    def _retrain(self) -> FinalRetrain:
        section = self.data.get("retrain", {})
        overrides = tuple(section.get("set", ()))
        for index, override in enumerate(overrides):
            keys = ["retrain", "set", index]
            key, equals, text = override.partition("=")
            key = key.strip()
            if not equals or not key:
                self.fail(f"expected section.key=value (e.g. data.test_fraction=0.15), got {override!r}", keys)
            elif key == "system.seed":
                self.fail("the final step chooses its own seeds (ones the study did not use)", keys)
            elif self._value_key(key, keys, what="retrain override"):
                problem = value_problem(key, parse_scalar(text.strip()))
                if problem:
                    self.fail(f"{key}: {problem}", keys)
        return FinalRetrain(seeds=section.get("seeds", 0), overrides=overrides)

    # -- objectives, constraints, budget --------------------------------------------------------

    def _metric(self, metric: str, keys: list[Any]) -> None:
        if metric not in REPORTED_METRICS:
            hint = (
                _did_you_mean(metric, REPORTED_METRICS)
                or f"; reported metrics: {', '.join(REPORTED_METRICS)}"
            )
            self.fail(f"unknown metric {metric!r}{hint}", keys)

    def _objectives(self) -> tuple[Objective, ...]:
        entries = self.data.get("objectives", _spec_default("objectives"))
        if len(entries) > MAX_OBJECTIVES:
            self.fail(
                f"at most {MAX_OBJECTIVES} objectives are supported, got {len(entries)}; "
                "turn the others into constraints",
                ["objectives", MAX_OBJECTIVES],
            )
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            self._metric(entry["metric"], ["objectives", index, "metric"])
            if entry["metric"] in seen:
                self.fail(
                    f"{entry['metric']} is already an objective", ["objectives", index, "metric"]
                )
            seen.add(entry["metric"])
        return tuple(Objective(e["metric"], e["direction"]) for e in entries)

    def _constraints(self) -> tuple[Constraint, ...]:
        constraints = []
        for index, entry in enumerate(self.data.get("constraints", [])):
            keys = ["constraints", index]
            self._metric(entry["metric"], [*keys, "metric"])
            low, high = entry.get("min"), entry.get("max")
            if low is None and high is None:
                self.fail("a constraint needs min, max or both", keys)
            elif low is not None and high is not None and low > high:
                self.fail(
                    f"min ({low}) is larger than max ({high}): no value is feasible", [*keys, "min"]
                )
            constraints.append(Constraint(entry["metric"], low, high))
        return tuple(constraints)

    def _budget(self) -> Budget:
        budget = self.data["budget"]
        epochs = budget.get("epochs", {})
        epochs_min = epochs.get("min", _spec_default("budget", "epochs", "min"))
        epochs_max = epochs.get("max")
        if epochs_max is None:
            epochs_max = config_value(self.base_document, MAX_EPOCHS_KEY)
        if epochs_min > epochs_max:
            origin = "" if epochs.get("max") is not None else f", the base's {MAX_EPOCHS_KEY}"
            self.fail(
                f"epochs.min ({epochs_min}) is larger than epochs.max ({epochs_max}{origin})",
                ["budget", "epochs", "min"],
            )
        return Budget(
            n_trials=budget["n_trials"],
            timeout=budget.get("timeout"),
            trial_timeout=budget.get("trial_timeout"),
            epochs_min=epochs_min,
            epochs_max=epochs_max,
            max_failed_trials=budget.get(
                "max_failed_trials", _spec_default("budget", "max_failed_trials")
            ),
            seeds_per_trial=budget.get("seeds_per_trial", _spec_default("budget", "seeds_per_trial")),
        )

    # -- training-config keys ---------------------------------------------------------------------

    def _value_key(self, key: str, keys: list[Any], *, what: str) -> bool:
        """Whether ``key`` names a training-config value; reports why not (at the key)."""
        if property_schema(key) is not None:
            if key == MAX_EPOCHS_KEY:
                self.fail(
                    f"{MAX_EPOCHS_KEY} is set by budget.epochs.max; it cannot be a {what}",
                    keys,
                    at_key=True,
                )
                return False
            return True
        children = section_children(key)
        if children is not None:
            self.fail(
                f"{key} is a section of the training config, not a value; name one of its keys: "
                + ", ".join(f"{key}.{child}" for child in children),
                keys,
                at_key=True,
            )
        else:
            self.fail(
                f"{key} is not a key of the training config{_did_you_mean(key, value_keys())}",
                keys,
                at_key=True,
            )
        return False

    # -- search space ---------------------------------------------------------------------------

    def _search_space(self) -> tuple[Parameter, ...]:
        entries = self.data["search_space"]
        names = list(entries)
        parameters = []
        for position, (name, entry) in enumerate(entries.items()):
            keys = ["search_space", name]
            if not self._value_key(name, keys, what="search-space parameter"):
                continue
            conditions = self._conditions(
                name, entry.get("when", {}), names[:position], names[position + 1 :]
            )
            if entry["type"] in {"float", "int"}:
                parameter = self._numeric_parameter(name, entry)
            elif entry["type"] == "categorical":
                parameter = self._categorical_parameter(name, entry)
            else:
                parameter = self._bool_parameter(name)
            if parameter is not None:
                parameters.append(replace(parameter, conditions=conditions))
        return tuple(parameters)

    def _kind_fits(self, name: str, kind: str, wanted: set[str]) -> bool:
        types = accepted_types(name)
        if types & wanted:
            return True
        self.fail(
            f"{name} takes {' or '.join(sorted(types))} values, so it cannot be a {kind} parameter",
            ["search_space", name, "type"],
        )
        return False

    def _numeric_parameter(self, name: str, entry: dict[str, Any]) -> Parameter | None:
        kind = entry["type"]
        keys = ["search_space", name]
        if not self._kind_fits(
            name, kind, {"number"} if kind == "float" else {"number", "integer"}
        ):
            return None
        low, high, step, log = (
            entry["low"],
            entry["high"],
            entry.get("step"),
            entry.get("log", False),
        )
        problems_before = len(self.errors)
        for bound, value in (("low", low), ("high", high)):
            problem = value_problem(name, value)
            if problem:
                self.fail(f"{problem} (the training config's limit for {name})", [*keys, bound])
        if low >= high:
            self.fail(f"empty range: low ({low}) must be less than high ({high})", [*keys, "high"])
        if log and low <= 0:
            self.fail(f"a log-scale range needs low > 0, got {low}", [*keys, "low"])
        if log and step is not None and not (kind == "int" and step == 1):
            self.fail(
                "step and log cannot be combined (Optuna samples log ranges continuously)",
                [*keys, "step"],
            )
        elif step is not None and low < high:
            span = high - low
            if step > span:
                self.fail(
                    f"step ({step}) is larger than the range high - low ({span})", [*keys, "step"]
                )
            elif abs(span / step - round(span / step)) > 1e-9:
                self.fail(
                    f"high - low ({span}) is not a multiple of step ({step}); "
                    "Optuna would silently lower high",
                    [*keys, "step"],
                )
        if len(self.errors) > problems_before:
            return None
        number = float if kind == "float" else int
        return Parameter(
            name,
            kind,
            low=number(low),
            high=number(high),
            step=None if step is None else number(step),
            log=log,
        )

    def _categorical_parameter(self, name: str, entry: dict[str, Any]) -> Parameter | None:
        keys = ["search_space", name, "choices"]
        choices = entry["choices"]
        problems_before = len(self.errors)
        if not choices:
            self.fail("a categorical parameter needs at least one choice", keys)
        for index, choice in enumerate(choices):
            if any(same_value(choice, earlier) for earlier in choices[:index]):
                self.fail(f"duplicate choice {_text(choice)}", [*keys, index])
            problem = value_problem(name, choice)
            if problem:
                self.fail(
                    f"{problem} (choice {_text(choice)} is not valid for {name})", [*keys, index]
                )
        if len(self.errors) > problems_before:
            return None
        return Parameter(name, "categorical", choices=tuple(choices))

    def _bool_parameter(self, name: str) -> Parameter | None:
        if not self._kind_fits(name, "bool", {"boolean"}):
            return None
        return Parameter(name, "bool")

    def _conditions(
        self, name: str, when: dict[str, Any], earlier: list[str], later: list[str]
    ) -> tuple[Condition, ...]:
        conditions = parse_conditions(when)
        for condition in conditions:
            keys = ["search_space", name, "when", condition.parameter]
            problem = self._tested_key_problem(name, condition.parameter, earlier, later)
            if problem:
                self.fail(problem, keys, at_key=True)
            else:
                self._check_tested_value(condition, keys)
        return conditions

    def _tested_key_problem(
        self, name: str, tested: str, earlier: list[str], later: list[str]
    ) -> str | None:
        """Why parameter ``name`` cannot test ``tested`` (sampling is one pass), else None."""
        if tested == name:
            return f"{name} cannot depend on itself"
        if tested in later:
            return (
                f"{tested} is declared later in search_space; a condition may only test "
                f"parameters declared earlier (move {tested} above {name})"
            )
        if tested in self.data.get("derived", {}):
            return f"{tested} is derived after sampling; a condition cannot test it"
        if tested not in earlier and property_schema(tested) is None:
            return (
                f"{tested} is neither an earlier parameter nor a key of the training config"
                f"{_did_you_mean(tested, [*earlier, *value_keys()])}"
            )
        return None

    def _check_tested_value(self, condition: Condition, keys: list[Any]) -> None:
        """Report a compared value the tested key can never take (a test that is never true)."""
        tested = condition.parameter
        if property_schema(tested) is None:  # an invalid earlier parameter, reported there
            return
        if condition.op in ORDERING_OPERATORS:
            if not accepted_types(tested) & {"number", "integer"}:
                self.fail(
                    f"{condition.op} compares numbers, but {tested} takes "
                    f"{' or '.join(sorted(accepted_types(tested)))} values",
                    keys,
                )
            return
        compared = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        for value in compared:
            problem = value_problem(tested, value)
            if problem:
                self.fail(f"{tested} can never be {_text(value)}: {problem}", keys)

    # -- derived values -------------------------------------------------------------------------

    def _derived(self, search_space: tuple[Parameter, ...], budget: Budget) -> tuple[Derived, ...]:
        parameters = {p.name: p for p in search_space}
        searched = set(self.data["search_space"])
        entries = self.data.get("derived", {})
        derived = []
        for name, entry in entries.items():
            keys = ["derived", name]
            if not self._value_key(name, keys, what="derived value"):
                continue
            if name in searched:
                self.fail(
                    f"{name} is searched; a value is either sampled or derived, not both",
                    keys,
                    at_key=True,
                )
                continue
            source, scale = entry["from"], entry.get("scale", 1.0)
            types = accepted_types(name)
            item = Derived(
                name, source, scale, integer="integer" in types and "number" not in types
            )
            candidates = self._source_values(item, parameters, searched, entries, budget)
            if candidates is None:
                continue
            for candidate in candidates:
                if scale != 1 and (
                    isinstance(candidate, bool) or not isinstance(candidate, int | float)
                ):
                    self.fail(
                        f"scale needs a numeric source, but {source} can be {_text(candidate)}",
                        [*keys, "scale"],
                    )
                    break
                problem = value_problem(name, item.value(candidate))
                if problem:
                    self.fail(
                        f"{name} would be {_text(item.value(candidate))} when {source} is "
                        f"{_text(candidate)}: {problem}",
                        [*keys, "from"],
                    )
                    break
            derived.append(item)
        return tuple(derived)

    def _source_values(
        self,
        item: Derived,
        parameters: dict[str, Parameter],
        searched: set[str],
        entries: Mapping[str, Any],
        budget: Budget,
    ) -> list[Any] | None:
        """Values the source of ``item`` can take (extremes of a range), or None if invalid."""
        keys = ["derived", item.name, "from"]
        source = item.source
        if source == EPOCHS_SOURCE:
            return [budget.epochs_max]
        if source in entries:
            self.fail(
                f"{source} is derived itself; derive {item.name} from {source}'s source", keys
            )
            return None
        if source in searched:
            parameter = parameters.get(source)
            if parameter is None:  # already reported under search_space
                return None
            values = parameter.values()
            candidates = list(values) if values is not None else list(parameter.bounds())
            if parameter.conditions:  # not sampled when false: the base value is copied instead
                candidates.append(config_value(self.base_document, source))
            return candidates
        if property_schema(source) is None:
            sources = [EPOCHS_SOURCE, *searched, *value_keys()]
            self.fail(
                f"unknown source {source!r}: use epochs, a searched parameter or a training-config "
                f"key{_did_you_mean(source, sources)}",
                keys,
            )
            return None
        return [config_value(self.base_document, source)]

    # -- enqueued trials ------------------------------------------------------------------------

    def _enqueue(self, search_space: tuple[Parameter, ...]) -> tuple[dict[str, Any], ...]:
        parameters = {p.name: p for p in search_space}
        searched = set(self.data["search_space"])
        derived_names = set(self.data.get("derived", {}))
        entries = self.data.get("enqueue", [])
        for index, entry in enumerate(entries):
            for name, value in entry.items():
                keys = ["enqueue", index, name]
                if name in derived_names:
                    self.fail(
                        f"{name} is derived, not sampled; it cannot be enqueued", keys, at_key=True
                    )
                elif name not in searched:
                    self.fail(
                        f"{name} is not a search-space parameter{_did_you_mean(name, searched)}",
                        keys,
                        at_key=True,
                    )
                elif name in parameters and not parameters[name].contains(value):
                    self.fail(
                        f"{_text(value)} is outside the domain of {name}: "
                        + parameters[name].domain_text(),
                        keys,
                    )
            self._enqueued_conditions(index, entry, parameters)
        return tuple(entries)

    def _enqueued_conditions(
        self, index: int, entry: dict[str, Any], parameters: dict[str, Parameter]
    ) -> None:
        """Report enqueued values of parameters whose condition is false in that configuration."""
        known = ChainMap(
            entry,
            {
                c.parameter: config_value(self.base_document, c.parameter)
                for p in parameters.values()
                for c in p.conditions
                if c.parameter not in parameters
            },
        )
        for name in entry:
            parameter = parameters.get(name)
            if parameter is None or any(c.parameter not in known for c in parameter.conditions):
                continue  # a tested parameter is left to the sampler: decided per trial
            false = [str(c) for c in parameter.conditions if not c.holds(known)]
            if false:
                self.fail(
                    f"{name} is not sampled in this configuration: "
                    f"its condition {' and '.join(false)} is false",
                    ["enqueue", index, name],
                    at_key=True,
                )

    # -- sampler and pruner ---------------------------------------------------------------------

    def _sampler(
        self, search_space: tuple[Parameter, ...], objectives: tuple[Objective, ...], budget: Budget
    ) -> dict[str, Any]:
        keys = ["study", "sampler"]
        options = self.data["study"].get("sampler") or _spec_default("study", "sampler")
        kind = options["type"]
        if kind == "auto":
            conditional = any(p.conditions for p in search_space)
            kind = "gp" if not conditional and budget.n_trials <= AUTO_GP_MAX_TRIALS else "tpe"
            options = {"type": kind, "selected_by": "auto"}
        sampler = {"type": kind, **_option_defaults("sampler", kind), **options}
        package = SAMPLER_PACKAGES.get(kind)
        if package and importlib.util.find_spec(package) is None:
            self.fail(
                f"the {kind} sampler needs the {package!r} package: pip install {package}",
                [*keys, "type"],
            )
        if kind == "tpe" and sampler["group"] and not sampler["multivariate"]:
            self.fail("group needs multivariate: true", [*keys, "group"])
        if kind == "cmaes":
            if len(objectives) > 1:
                self.fail(
                    "cmaes optimises one objective; use tpe, gp or nsga2 for several",
                    [*keys, "type"],
                )
            if sampler["restart_strategy"] is not None:
                self.fail(
                    "Optuna 5 ignores CMA-ES restart strategies (deprecated in Optuna 4.4, "
                    "moved to OptunaHub); remove restart_strategy or set it to null",
                    [*keys, "restart_strategy"],
                )
        if kind == "grid":
            for parameter in search_space:
                if parameter.values() is None:
                    self.fail(
                        f"the grid sampler needs a finite domain: give {parameter.name} a step "
                        "(or use another sampler)",
                        ["search_space", parameter.name],
                        at_key=True,
                    )
        return sampler

    def _pruner(self, objectives: tuple[Objective, ...], budget: Budget) -> dict[str, Any]:
        keys = ["study", "pruner", "type"]
        options = self.data["study"].get("pruner") or _spec_default("study", "pruner")
        kind = options["type"]
        if len(objectives) > 1 and kind not in MULTI_OBJECTIVE_PRUNERS:
            # Optuna's pruners need Trial.report, which multi-objective studies refuse; segrun
            # applies the median rule to the primary objective itself.
            self.fail(
                f"with {len(objectives)} objectives only the median rule (on the primary "
                f"objective) can prune; use type: median or none",
                keys,
            )
        pruner = {"type": kind, **_option_defaults("pruner", kind), **options}
        if kind == "median" and pruner["n_warmup_steps"] is None:
            pruner["n_warmup_steps"] = budget.epochs_min
        if kind in {"hyperband", "successive_halving"}:
            pruner["min_resource"] = budget.epochs_min
        if kind == "hyperband":
            pruner["max_resource"] = budget.epochs_max
        return pruner


def trial_config_document(spec: StudySpec, values: Mapping[str, Any]) -> CommentedMap:
    """The training config of one trial: the base document with ``values`` set.

    ``values`` maps dotted keys to values (what :func:`runner._search_space.suggest` returns).
    The base's comments and layout are kept; ``training.max_epochs`` is the epoch budget.
    """
    document = copy.deepcopy(spec.base_document)
    for key, value in values.items():
        set_dotted(document, key, value)
    set_dotted(document, MAX_EPOCHS_KEY, spec.budget.epochs_max)
    return document
