"""Every way a study spec can be wrong is reported with its file, line, column and key."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from runner import _spec
from runner._spec import load_spec
from segmodel.errors import InputError
from segmodel.yamlconfig import ConfigErrors


def problems(path: Path) -> list[str]:
    """``line:col: key: message`` of every problem load_spec reports for ``path``."""
    with pytest.raises(InputError) as caught:
        load_spec(path)
    errors = caught.value.errors if isinstance(caught.value, ConfigErrors) else [caught.value]
    return [str(error).removeprefix(f"{path}:") for error in errors]


def write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# Each case: the spec text and exactly the problems it must produce. Lines 1-2 are always
# `study: ...` and `base: {}` so positions are easy to count.
CASES = {
    "unknown top-level key": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objective: [{metric: val.loss, direction: minimize}]
        """,
        ["5:1: objective: unknown key 'objective' (did you mean 'objectives'?)"],
    ),
    "unknown section key": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5, n_trails: 9}
        """,
        ["4:23: budget.n_trails: unknown key 'n_trails' (did you mean 'n_trials'?)"],
    ),
    "seeds per trial below one": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5, seeds_per_trial: 0}
        """,
        ["4:40: budget.seeds_per_trial: 0 is out of range: must be >= 1"],
    ),
    "bad final-step overrides": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        retrain: {seeds: 3, set: [data.test_fractoin=0.15, model.dropout=2, system.seed=4, nonsense]}
        """,
        [
            "5:27: retrain.set[0]: data.test_fractoin is not a key of the training config "
            "(did you mean 'data.test_fraction'?)",
            "5:52: retrain.set[1]: model.dropout: 2 is out of range: must be < 1",
            "5:69: retrain.set[2]: the final step chooses its own seeds (ones the study did not use)",
            "5:84: retrain.set[3]: expected section.key=value (e.g. data.test_fraction=0.15), got 'nonsense'",
        ],
    ),
    "missing study name": (
        """
        study: {seed: 3}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        ["1:8: study: 'name' is required"],
    ),
    "bad name characters": (
        """
        study: {name: my study/1}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        [
            "1:15: study.name: study name 'my study/1' may only use letters, digits, '_', '.' "
            "and '-' (it names the results folder)"
        ],
    ),
    "unknown sampler type": (
        """
        study: {name: demo, sampler: {type: tpee}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        [
            '1:37: study.sampler.type: "tpee" is not one of: "tpe", "random", "grid", "qmc", '
            '"cmaes", "gp", "nsga2", "nsga3", "auto" (did you mean \'tpe\'?)'
        ],
    ),
    "unknown pruner type": (
        """
        study: {name: demo, pruner: {type: hyperbnad}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        [
            '1:36: study.pruner.type: "hyperbnad" is not one of: "median", "hyperband", '
            '"successive_halving", "wilcoxon", "none" (did you mean \'hyperband\'?)'
        ],
    ),
    "option of another sampler": (
        """
        study: {name: demo, sampler: {type: tpe, multivariat: true}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        [
            "1:42: study.sampler.multivariat: unknown key 'multivariat' (did you mean "
            "'multivariate'?)"
        ],
    ),
    "search-space key not in the training config": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hiden_dim: {type: int, low: 64, high: 256}
        budget: {n_trials: 5}
        """,
        [
            "4:3: search_space.model.hiden_dim: model.hiden_dim is not a key of the training "
            "config (did you mean 'model.hidden_dim'?)"
        ],
    ),
    "search-space key that is a section": (
        """
        study: {name: demo}
        base: {}
        search_space:
          features.rhyme: {type: bool}
        budget: {n_trials: 5}
        """,
        [
            "4:3: search_space.features.rhyme: features.rhyme is a section of the training "
            "config, not a value; name one of its keys: features.rhyme.enabled"
        ],
    ),
    "max_epochs belongs to the budget": (
        """
        study: {name: demo}
        base: {}
        search_space:
          training.max_epochs: {type: int, low: 5, high: 9}
        budget: {n_trials: 5}
        """,
        [
            "4:3: search_space.training.max_epochs: training.max_epochs is set by "
            "budget.epochs.max; it cannot be a search-space parameter"
        ],
    ),
    "empty range": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.num_layers: {type: int, low: 3, high: 3}
        budget: {n_trials: 5}
        """,
        [
            "4:47: search_space.model.num_layers.high: empty range: low (3) must be less than "
            "high (3)"
        ],
    ),
    "log scale from zero": (
        """
        study: {name: demo}
        base: {}
        search_space:
          training.weight_decay: {type: float, low: 0.0, high: 0.1, log: true}
        budget: {n_trials: 5}
        """,
        ["4:45: search_space.training.weight_decay.low: a log-scale range needs low > 0, got 0.0"],
    ),
    "log scale with a step": (
        """
        study: {name: demo}
        base: {}
        search_space:
          training.learning_rate: {type: float, low: 0.001, high: 0.01, step: 0.001, log: true}
        budget: {n_trials: 5}
        """,
        [
            "4:71: search_space.training.learning_rate.step: step and log cannot be combined "
            "(Optuna samples log ranges continuously)"
        ],
    ),
    "step larger than the range": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.dropout: {type: float, low: 0.0, high: 0.2, step: 0.5}
        budget: {n_trials: 5}
        """,
        [
            "4:59: search_space.model.dropout.step: step (0.5) is larger than the range high - "
            "low (0.2)"
        ],
    ),
    "range not a multiple of step": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hidden_dim: {type: int, low: 64, high: 200, step: 64}
        budget: {n_trials: 5}
        """,
        [
            "4:59: search_space.model.hidden_dim.step: high - low (136) is not a multiple of "
            "step (64); Optuna would silently lower high"
        ],
    ),
    "categorical without choices": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.decoding: {type: categorical, choices: []}
        budget: {n_trials: 5}
        """,
        [
            "4:48: search_space.model.decoding.choices: a categorical parameter needs at least "
            "one choice"
        ],
    ),
    "duplicate choices": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hidden_dim: {type: categorical, choices: [64, 128, 64]}
        budget: {n_trials: 5}
        """,
        ["4:60: search_space.model.hidden_dim.choices[2]: duplicate choice 64"],
    ),
    "choice the training schema rejects": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.attention_type: {type: categorical, choices: [self, bogus]}
        budget: {n_trials: 5}
        """,
        [
            '4:61: search_space.model.attention_type.choices[1]: "bogus" is not one of: "none", '
            '"self", "localized", "boundary_aware" (choice "bogus" is not valid for '
            "model.attention_type)"
        ],
    ),
    "bound the training schema rejects": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.layer_dropout: {type: float, low: 0.1, high: 1.0}
        budget: {n_trials: 5}
        """,
        [
            "4:54: search_space.model.layer_dropout.high: 1.0 is out of range: must be < 1 "
            "(the training config's limit for model.layer_dropout)"
        ],
    ),
    "float parameter on an integer key": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.num_layers: {type: float, low: 1, high: 3}
        budget: {n_trials: 5}
        """,
        [
            "4:28: search_space.model.num_layers.type: model.num_layers takes integer values, so "
            "it cannot be a float parameter"
        ],
    ),
    "bool parameter on a number key": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.dropout: {type: bool}
        budget: {n_trials: 5}
        """,
        [
            "4:25: search_space.model.dropout.type: model.dropout takes number values, so it "
            "cannot be a bool parameter"
        ],
    ),
    "condition on an unknown parameter": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.num_layers: {type: int, low: 1, high: 3}
          model.layer_dropout: {type: float, low: 0.0, high: 0.4, when: {model.num_layer: {gt: 1}}}
        budget: {n_trials: 5}
        """,
        [
            "5:66: search_space.model.layer_dropout.when.model.num_layer: model.num_layer is "
            "neither an earlier parameter nor a key of the training config (did you mean "
            "'model.num_layers'?)"
        ],
    ),
    "condition on a parameter declared later": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.layer_dropout: {type: float, low: 0.0, high: 0.4, when: {model.num_layers: {gt: 1}}}
          model.num_layers: {type: int, low: 1, high: 3}
        budget: {n_trials: 5}
        """,
        [
            "4:66: search_space.model.layer_dropout.when.model.num_layers: model.num_layers is "
            "declared later in search_space; a condition may only test parameters declared "
            "earlier (move model.num_layers above model.layer_dropout)"
        ],
    ),
    "unknown condition operator": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.num_layers: {type: int, low: 1, high: 3}
          model.layer_dropout:
            type: float
            low: 0.0
            high: 0.4
            when:
              model.num_layers: {not-in: [1]}
        budget: {n_trials: 5}
        """,
        [
            "10:26: search_space.model.layer_dropout.when.model.num_layers.not-in: unknown key "
            "'not-in' (did you mean 'not_in'?)"
        ],
    ),
    "condition value the tested key can never take": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.attention_heads:
            type: categorical
            choices: [2, 4]
            when: {model.attention_type: {ne: nonee}}
        budget: {n_trials: 5}
        """,
        [
            "7:34: search_space.model.attention_heads.when.model.attention_type: "
            'model.attention_type can never be "nonee": "nonee" is not one of: "none", "self", '
            '"localized", "boundary_aware" (did you mean \'none\'?)'
        ],
    ),
    "ordering test on text": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.attention_heads: {type: int, low: 2, high: 8, when: {model.decoding: {gt: 1}}}
        budget: {n_trials: 5}
        """,
        [
            "4:78: search_space.model.attention_heads.when.model.decoding: gt compares numbers, "
            "but model.decoding takes string values"
        ],
    ),
    "condition on a derived value": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.attention_heads: {type: int, low: 2, high: 8, when: {training.cosine_t_max: 5}}
        derived:
          training.cosine_t_max: {from: epochs}
        budget: {n_trials: 5}
        """,
        [
            "4:62: search_space.model.attention_heads.when.training.cosine_t_max: "
            "training.cosine_t_max is derived after sampling; a condition cannot test it"
        ],
    ),
    "unknown objective metric": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.boundry_f1, direction: maximize}
        """,
        [
            "6:14: objectives[0].metric: unknown metric 'val.boundry_f1' (did you mean "
            "'val.boundary_f1'?)"
        ],
    ),
    "duplicate objective metric": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.loss, direction: minimize}
          - {metric: val.loss, direction: maximize}
        """,
        ["7:14: objectives[1].metric: val.loss is already an objective"],
    ),
    "bad direction": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.loss, direction: minimise}
        """,
        [
            '6:35: objectives[0].direction: "minimise" is not one of: "maximize", "minimize" '
            "(did you mean 'minimize'?)"
        ],
    ),
    "more than three objectives": (
        """
        study: {name: demo, pruner: {type: none}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.loss, direction: minimize}
          - {metric: val.pk, direction: minimize}
          - {metric: val.windowdiff, direction: minimize}
          - {metric: val.boundary_f1, direction: maximize}
        """,
        [
            "9:5: objectives[3]: at most 3 objectives are supported, got 4; turn the others into "
            "constraints"
        ],
    ),
    "pruner Optuna cannot run with several objectives": (
        """
        study: {name: demo, pruner: {type: hyperband}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.loss, direction: minimize}
          - {metric: val.pk, direction: minimize}
        """,
        [
            "1:36: study.pruner.type: with 2 objectives only the median rule (on the primary "
            "objective) can prune; use type: median or none"
        ],
    ),
    "unknown constraint metric and empty constraint": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        constraints:
          - {metric: val.chorus_rat, min: 0.1}
          - {metric: val.chorus_rate}
          - {metric: val.chorus_rate, min: 0.6, max: 0.1}
        """,
        [
            "6:14: constraints[0].metric: unknown metric 'val.chorus_rat' (did you mean "
            "'val.chorus_rate'?)",
            "7:5: constraints[1]: a constraint needs min, max or both",
            "8:36: constraints[2].min: min (0.6) is larger than max (0.1): no value is feasible",
        ],
    ),
    "epochs.min above epochs.max": (
        """
        study: {name: demo}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5, epochs: {min: 8, max: 4}}
        """,
        ["4:37: budget.epochs.min: epochs.min (8) is larger than epochs.max (4)"],
    ),
    "epochs.min above the base config's max_epochs": (
        """
        study: {name: demo}
        base: {training: {max_epochs: 4}}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5, epochs: {min: 8}}
        """,
        [
            "4:37: budget.epochs.min: epochs.min (8) is larger than epochs.max (4, the base's "
            "training.max_epochs)"
        ],
    ),
    "enqueue: unknown parameter, value outside the domain, false condition": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.num_layers: {type: int, low: 1, high: 3}
          model.layer_dropout: {type: float, low: 0.0, high: 0.4, when: {model.num_layers: {gt: 1}}}
        budget: {n_trials: 5}
        enqueue:
          - {model.num_layer: 2}
          - {model.num_layers: 5}
          - {model.num_layers: 1, model.layer_dropout: 0.3}
        """,
        [
            "8:6: enqueue[0].model.num_layer: model.num_layer is not a search-space parameter "
            "(did you mean 'model.num_layers'?)",
            "9:24: enqueue[1].model.num_layers: 5 is outside the domain of model.num_layers: [1, "
            "3]",
            "10:27: enqueue[2].model.layer_dropout: model.layer_dropout is not sampled in this "
            "configuration: its condition model.num_layers > 1 is false",
        ],
    ),
    "derived: unknown target, unknown source, impossible result": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hidden_dim: {type: categorical, choices: [64, 128]}
        budget: {n_trials: 5}
        derived:
          model.atention_dim: {from: model.hidden_dim}
          training.cosine_t_max: {from: epoch}
          model.attention_heads: {from: model.hidden_dim}
        """,
        [
            "7:3: derived.model.atention_dim: model.atention_dim is not a key of the training "
            "config (did you mean 'model.attention_dim'?)",
            "8:33: derived.training.cosine_t_max.from: unknown source 'epoch': use epochs, a "
            "searched parameter or a training-config key (did you mean 'epochs'?)",
            "9:33: derived.model.attention_heads.from: model.attention_heads would be 128 when "
            "model.hidden_dim is 128: 128 is out of range: must be <= 64",
        ],
    ),
    "derived value that is also searched": (
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hidden_dim: {type: categorical, choices: [64, 128]}
        budget: {n_trials: 5}
        derived:
          model.hidden_dim: {from: epochs}
        """,
        [
            "7:3: derived.model.hidden_dim: model.hidden_dim is searched; a value is either "
            "sampled or derived, not both"
        ],
    ),
    "grid sampler with a continuous float": (
        """
        study: {name: demo, sampler: {type: grid}}
        base: {}
        search_space:
          model.dropout: {type: float, low: 0.0, high: 0.4}
        budget: {n_trials: 5}
        """,
        [
            "4:3: search_space.model.dropout: the grid sampler needs a finite domain: give "
            "model.dropout a step (or use another sampler)"
        ],
    ),
    "tpe group without multivariate": (
        """
        study: {name: demo, sampler: {type: tpe, group: true, multivariate: false}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        ["1:49: study.sampler.group: group needs multivariate: true"],
    ),
    "data override the training schema rejects": (
        """
        study: {name: demo}
        base: {}
        data: {val_fraction: 1.5}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        ["3:22: data.val_fraction: 1.5 is out of range: must be < 1"],
    ),
    "inline base invalid": (
        """
        study: {name: demo}
        base:
          model: {hidden_dim: 2}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
        ["3:23: base.model.hidden_dim: 2 is out of range: must be >= 4"],
    ),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_problem_is_reported_where_it_is(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems(write(tmp_path, text)) == expected


def test_missing_base_file_names_the_spec_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        study: {name: demo}
        base: configs/nowhere.yaml
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
    )
    assert problems(path) == [
        f"2:7: base: base config {tmp_path / 'configs' / 'nowhere.yaml'} not found (a relative "
        "path is resolved against the spec's folder)"
    ]


def test_invalid_base_file_errors_name_the_base_file(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    base = write(
        tmp_path / "configs", "model:\n  hidden_dim: 2\ntraining:\n  max_epochz: 3\n", "base.yaml"
    )
    spec = write(
        tmp_path,
        """
        study: {name: demo}
        base: configs/base.yaml
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
    )
    with pytest.raises(ConfigErrors) as caught:
        load_spec(spec)
    assert [str(e) for e in caught.value.errors] == [
        f"{base}:2:15: model.hidden_dim: 2 is out of range: must be >= 4",
        f"{base}:4:3: training.max_epochz: unknown key 'max_epochz' (did you mean 'max_epochs'?)",
    ]


def test_missing_data_files_name_the_line_that_set_them(tmp_path: Path) -> None:
    base = write(tmp_path, "data:\n  train: corpus/train.jsonl\n", "base.yaml")
    spec = write(
        tmp_path,
        """
        study: {name: demo}
        base: base.yaml
        data: {val: corpus/val.jsonl}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
    )
    with pytest.raises(ConfigErrors) as caught:
        load_spec(spec)
    hint = "(a relative path is resolved against this file's folder)"
    assert [str(e) for e in caught.value.errors] == [
        f"{base}:2:10: data.train: data file {tmp_path}/corpus/train.jsonl not found {hint}",
        f"{spec}:3:13: data.val: data file {tmp_path}/corpus/val.jsonl not found {hint}",
    ]


def test_missing_data_file_of_an_inline_base(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        study: {name: demo}
        base: {data: {test: held_out.jsonl}}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
    )
    assert problems(path) == [
        f"2:21: base.data.test: data file {tmp_path}/held_out.jsonl not found (a relative path "
        "is resolved against this file's folder)"
    ]


def test_several_problems_come_together_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        study: {name: demo}
        base: {}
        search_space:
          model.hiden_dim: {type: int, low: 64, high: 256}
          model.num_layers: {type: int, low: 3, high: 1}
        budget: {n_trials: 5, epochs: {min: 9, max: 3}}
        """,
    )
    assert [p.split(":", 2)[:2] for p in problems(path)] == [["4", "3"], ["5", "47"], ["6", "37"]]


def test_spec_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    assert problems(path) == [
        "1: a study spec must be a mapping with the sections study, base, search_space and budget"
    ]


def test_sampler_whose_package_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_spec.SAMPLER_PACKAGES, "cmaes", "segrun_test_absent_package")
    path = write(
        tmp_path,
        """
        study: {name: demo, sampler: {type: cmaes}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        """,
    )
    assert problems(path) == [
        "1:37: study.sampler.type: the cmaes sampler needs the 'segrun_test_absent_package' "
        "package: pip install segrun_test_absent_package"
    ]


def test_cmaes_refuses_restart_strategies_and_several_objectives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(_spec.SAMPLER_PACKAGES, "cmaes")  # judge the spec, not this machine
    path = write(
        tmp_path,
        """
        study: {name: demo, sampler: {type: cmaes, restart_strategy: ipop}, pruner: {type: none}}
        base: {}
        search_space: {model.num_layers: {type: int, low: 1, high: 3}}
        budget: {n_trials: 5}
        objectives:
          - {metric: val.loss, direction: minimize}
          - {metric: val.pk, direction: minimize}
        """,
    )
    assert problems(path) == [
        "1:37: study.sampler.type: cmaes optimises one objective; use tpe, gp or nsga2 for several",
        "1:62: study.sampler.restart_strategy: Optuna 5 ignores CMA-ES restart strategies "
        "(deprecated in Optuna 4.4, moved to OptunaHub); remove restart_strategy or set it to null",
    ]
