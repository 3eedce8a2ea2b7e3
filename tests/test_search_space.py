"""Sampling a compiled search space: types, log/step, conditions, derived values, grids."""

from __future__ import annotations

import itertools
from pathlib import Path
from textwrap import dedent

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from runner._conditions import Condition, parse_conditions
from runner._factories import build_sampler
from runner._search_space import Derived, Parameter, grid_search_space, space_table, suggest
from runner._spec import StudySpec, load_spec

optuna.logging.set_verbosity(optuna.logging.WARNING)


def load(folder: Path, text: str) -> StudySpec:
    path = folder / "spec.yaml"
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return load_spec(path)


def sample(
    spec: StudySpec, fixed: dict | None = None, *, seed: int = 0
) -> tuple[dict, optuna.Trial]:
    """Values ``suggest`` returns for one trial (``fixed`` parameters enqueued)."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    if fixed:
        study.enqueue_trial(fixed)
    trial = study.ask()
    return suggest(trial, spec), trial


ALL_TYPES = """
    study: {name: types}
    base: {}
    search_space:
      training.learning_rate: {type: float, low: 0.0001, high: 0.01, log: true}
      model.dropout: {type: float, low: 0.0, high: 0.3, step: 0.1}
      model.switch_penalty: {type: float, low: 0.5, high: 2.0}
      model.hidden_dim: {type: int, low: 64, high: 256, step: 64}
      training.batch_size: {type: int, low: 8, high: 64, log: true}
      model.decoding: {type: categorical, choices: [argmax, viterbi, crf]}
      features.rhyme.enabled: {type: bool}
    budget: {n_trials: 5}
"""


def test_every_type_is_suggested_with_its_distribution(tmp_path: Path) -> None:
    spec = load(tmp_path, ALL_TYPES)
    values, trial = sample(spec)
    assert trial.distributions == {
        "training.learning_rate": FloatDistribution(0.0001, 0.01, log=True),
        "model.dropout": FloatDistribution(0.0, 0.3, step=0.1),
        "model.switch_penalty": FloatDistribution(0.5, 2.0),
        "model.hidden_dim": IntDistribution(64, 256, step=64),
        "training.batch_size": IntDistribution(8, 64, log=True),
        "model.decoding": CategoricalDistribution(["argmax", "viterbi", "crf"]),
        "features.rhyme.enabled": CategoricalDistribution([False, True]),
    }
    assert list(values) == list(trial.distributions)


def test_suggested_values_stay_in_their_domains(tmp_path: Path) -> None:
    spec = load(tmp_path, ALL_TYPES)
    parameters = {p.name: p for p in spec.search_space}
    for seed in range(20):
        values, _ = sample(spec, seed=seed)
        assert all(parameters[name].contains(value) for name, value in values.items()), values
        assert values["model.hidden_dim"] in {64, 128, 192, 256}
        assert isinstance(values["features.rhyme.enabled"], bool)


def test_parameter_values_and_membership() -> None:
    dropout = Parameter("model.dropout", "float", low=0.0, high=0.3, step=0.1)
    assert dropout.values() == (0.0, 0.1, 0.2, 0.3)
    assert dropout.contains(0.2) and not dropout.contains(0.25) and not dropout.contains(0.4)
    assert Parameter("model.dropout", "float", low=0.0, high=0.3).values() is None
    layers = Parameter("model.num_layers", "int", low=1, high=7, step=3)
    assert layers.values() == (1, 4, 7)
    assert layers.contains(4) and not layers.contains(5) and not layers.contains(4.5)
    assert not layers.contains(True)  # a YAML boolean is not the number 1
    flag = Parameter("features.pos.enabled", "bool")
    assert flag.contains(False) and not flag.contains(0)


def test_space_table_shows_domains_and_conditions(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        """
        study: {name: table}
        base: {}
        search_space:
          model.num_layers: {type: int, low: 1, high: 3}
          model.layer_dropout:
            type: float
            low: 0.0
            high: 0.4
            step: 0.1
            when: {model.num_layers: {gt: 1}, model.attention_type: {in: [self, localized]}}
          training.learning_rate: {type: float, low: 0.0001, high: 0.01, log: true}
          model.positional_encoding: {type: bool}
        budget: {n_trials: 5}
        """,
    )
    assert space_table(spec) == [
        ("model.num_layers", "[1, 3]", ""),
        (
            "model.layer_dropout",
            "[0.0, 0.4] step 0.1",
            "model.num_layers > 1 and model.attention_type in [self, localized]",
        ),
        ("training.learning_rate", "[0.0001, 0.01] log", ""),
        ("model.positional_encoding", "{false, true}", ""),
    ]


CONDITIONAL = """
    study: {name: conditional}
    base: {model: {attention_type: self}}
    search_space:
      model.num_layers: {type: int, low: 1, high: 3}
      model.layer_dropout: {type: float, low: 0.0, high: 0.4, when: {model.num_layers: {gt: 1}}}
      model.attention_heads:
        type: categorical
        choices: [2, 4]
        when: {model.attention_type: {ne: none}}
      model.attention_window:
        type: int
        low: 3
        high: 9
        when: {model.attention_type: localized, model.positional_encoding: false}
    budget: {n_trials: 5}
"""


def test_parameter_is_absent_when_its_condition_is_false(tmp_path: Path) -> None:
    spec = load(tmp_path, CONDITIONAL)
    values, trial = sample(spec, {"model.num_layers": 1})
    assert values["model.num_layers"] == 1
    assert "model.layer_dropout" not in values
    assert "model.layer_dropout" not in trial.distributions


def test_parameter_is_sampled_when_its_condition_is_true(tmp_path: Path) -> None:
    spec = load(tmp_path, CONDITIONAL)
    values, _ = sample(spec, {"model.num_layers": 2, "model.layer_dropout": 0.3})
    assert values["model.layer_dropout"] == 0.3


def test_conditions_read_unsearched_values_from_the_base_config(tmp_path: Path) -> None:
    # The base sets attention_type: self, so heads are searched; window needs localized AND
    # positional_encoding false (the schema default, as the base does not set it).
    values, _ = sample(load(tmp_path, CONDITIONAL))
    assert "model.attention_heads" in values
    assert "model.attention_window" not in values

    localized = load(
        tmp_path, CONDITIONAL.replace("attention_type: self", "attention_type: localized")
    )
    assert "model.attention_window" in sample(localized)[0]

    # Without attention_type in the base its default, none, applies: no heads are searched.
    no_attention = load(tmp_path, CONDITIONAL.replace("{model: {attention_type: self}}", "{}"))
    assert "model.attention_heads" not in sample(no_attention)[0]


@pytest.mark.parametrize(
    "condition, value, holds",
    [
        (Condition("k", "eq", 1), 1, True),
        (Condition("k", "eq", 1), True, False),  # booleans never equal numbers
        (Condition("k", "ne", "none"), "self", True),
        (Condition("k", "gt", 1), 2, True),
        (Condition("k", "gt", 1), 1, False),
        (Condition("k", "ge", 1), 1, True),
        (Condition("k", "lt", 0.5), 0.25, True),
        (Condition("k", "le", 0.5), 0.75, False),
        (Condition("k", "gt", 1), None, False),  # ordering on null is false, not an error
        (Condition("k", "in", (2, 4)), 4, True),
        (Condition("k", "in", (2, 4)), 3, False),
        (Condition("k", "not_in", ("none",)), "self", True),
        (Condition("k", "not_in", (False,)), 0, True),
    ],
)
def test_condition_operators(condition: Condition, value: object, holds: bool) -> None:
    assert condition.holds({"k": value}) is holds


def test_condition_parsing_and_text() -> None:
    conditions = parse_conditions(
        {"model.positional_encoding": True, "model.num_layers": {"in": [2, 3]}}
    )
    assert conditions == (
        Condition("model.positional_encoding", "eq", True),
        Condition("model.num_layers", "in", (2, 3)),
    )
    assert [str(c) for c in conditions] == [
        "model.positional_encoding == true",
        "model.num_layers in [2, 3]",
    ]


DERIVED = """
    study: {name: derived}
    base: {model: {hidden_dim: 96, attention_heads: 4}}
    search_space:
      model.num_layers: {type: int, low: 1, high: 3}
      model.hidden_dim: {type: categorical, choices: [64, 128], when: {model.num_layers: {gt: 1}}}
    derived:
      training.cosine_t_max: {from: epochs}
      model.attention_dim: {from: model.hidden_dim, scale: 1.5}
      training.restart_period: {from: model.num_layers, scale: 2}
      training.patience: {from: model.attention_heads}
    budget: {n_trials: 5, epochs: {min: 2, max: 12}}
"""


def test_derived_values_follow_their_sources(tmp_path: Path) -> None:
    spec = load(tmp_path, DERIVED)
    values, trial = sample(spec, {"model.num_layers": 2, "model.hidden_dim": 128})
    assert values == {
        "model.num_layers": 2,
        "model.hidden_dim": 128,
        "training.cosine_t_max": 12,  # the epoch budget
        "model.attention_dim": 192,  # 128 * 1.5
        "training.restart_period": 4,  # 2 * 2
        "training.patience": 4,  # copied from the base config
    }
    assert set(trial.params) == {"model.num_layers", "model.hidden_dim"}  # derived: never sampled


def test_derived_from_an_unsampled_parameter_uses_the_base_value(tmp_path: Path) -> None:
    spec = load(tmp_path, DERIVED)
    values, _ = sample(spec, {"model.num_layers": 1})
    assert "model.hidden_dim" not in values
    assert values["model.attention_dim"] == 144  # base hidden_dim 96 * 1.5


def test_derived_value_is_rounded_for_integer_keys() -> None:
    derived = Derived("model.attention_dim", "model.hidden_dim", scale=1.5, integer=True)
    assert derived.value(101) == 152  # 151.5 rounds to the even neighbour
    assert Derived("model.dropout", "model.layer_dropout", scale=0.5).value(0.3) == 0.15
    assert derived.describe() == "= 1.5 * model.hidden_dim"


def test_enqueued_configurations_are_kept_in_order(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        CONDITIONAL
        + """
    enqueue:
      - {model.num_layers: 2, model.layer_dropout: 0.25}
      - {model.num_layers: 1}
    """,
    )
    assert spec.enqueue == (
        {"model.num_layers": 2, "model.layer_dropout": 0.25},
        {"model.num_layers": 1},
    )


GRID = """
    study: {name: grid, sampler: {type: grid}}
    base: {}
    search_space:
      model.dropout: {type: float, low: 0.1, high: 0.3, step: 0.1}
      model.num_layers: {type: int, low: 1, high: 3, step: 2}
      model.decoding: {type: categorical, choices: [argmax, crf]}
      features.pos.enabled: {type: bool}
    budget: {n_trials: 50}
"""


def test_grid_search_space_lists_every_value(tmp_path: Path) -> None:
    assert grid_search_space(load(tmp_path, GRID)) == {
        "model.dropout": [0.1, 0.2, 0.3],
        "model.num_layers": [1, 3],
        "model.decoding": ["argmax", "crf"],
        "features.pos.enabled": [False, True],
    }


def test_grid_sampler_visits_every_combination_once(tmp_path: Path) -> None:
    spec = load(tmp_path, GRID)
    study = optuna.create_study(sampler=build_sampler(spec))
    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append(tuple(suggest(trial, spec).values()))
        return 0.0

    study.optimize(objective, n_trials=spec.budget.n_trials)  # the sampler stops after the grid
    grid = grid_search_space(spec)
    assert sorted(seen) == sorted(itertools.product(*grid.values()))  # 3 * 2 * 2 * 2 = 24
