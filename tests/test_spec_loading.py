"""What a valid spec compiles to: defaults, resolved paths, storage, trial configs."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from runner._spec import Budget, Constraint, Objective, load_spec, trial_config_document
from segmodel.config import train_config_from_mapping
from segmodel.errors import InputError
from segmodel.yamlconfig import dump_yaml

MINIMAL = """
    study: {name: minimal}
    base: {}
    search_space:
      model.num_layers: {type: int, low: 1, high: 3}
    budget: {n_trials: 7}
"""


def write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_defaults_are_filled_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write(tmp_path / "specs", MINIMAL))
    assert spec.path == tmp_path / "specs" / "spec.yaml"
    assert spec.results_dir == tmp_path / "results" / "minimal"
    assert spec.storage == f"sqlite:///{tmp_path}/results/minimal/optuna_study.db"
    assert spec.seed == 42
    assert spec.sampler == {
        "type": "tpe",
        "multivariate": True,
        "group": False,
        "constant_liar": False,
        "n_startup_trials": 10,
        "n_ei_candidates": 24,
    }
    assert spec.pruner == {
        "type": "median",
        "n_startup_trials": 5,
        "n_warmup_steps": 1,
        "interval_steps": 1,
    }
    assert spec.objectives == (Objective("val.boundary_f1", "maximize"),)
    assert spec.directions == ["maximize"] and spec.primary == spec.objectives[0]
    # epochs.max defaults to the base config's training.max_epochs (here the schema default, 30).
    assert spec.budget == Budget(7, None, None, 1, 30, 10)
    assert spec.report == {"plots": True}
    assert spec.enqueue == () and spec.constraints == () and spec.derived == ()
    assert spec.base_path is None


def test_storage_argument_overrides_the_spec(tmp_path: Path) -> None:
    text = MINIMAL.replace("{name: minimal}", "{name: minimal, storage: 'sqlite:///x.db'}")
    assert load_spec(write(tmp_path, text)).storage == "sqlite:///x.db"
    spec = load_spec(write(tmp_path, text), storage="postgresql://db/studies")
    assert spec.storage == "postgresql://db/studies"


def test_explicit_results_dir_is_relative_to_the_spec(tmp_path: Path) -> None:
    text = MINIMAL.replace("{name: minimal}", "{name: minimal, results_dir: ../out}")
    spec = load_spec(write(tmp_path / "specs", text))
    assert spec.results_dir == tmp_path / "out"
    assert spec.storage == f"sqlite:///{tmp_path}/out/optuna_study.db"


def test_data_paths_resolve_against_the_file_that_names_them(tmp_path: Path) -> None:
    write(tmp_path / "corpus", "", "train.jsonl")
    write(tmp_path / "specs", "", "held_out.jsonl")  # corpus/val.jsonl is overridden: not needed
    write(
        tmp_path / "configs",
        """
        # the base config
        data:
          train: ../corpus/train.jsonl   # relative to configs/
          val: ../corpus/val.jsonl
        training: {max_epochs: 9}
        """,
        "base.yaml",
    )
    spec = load_spec(
        write(
            tmp_path / "specs",
            MINIMAL.replace(
                "base: {}",
                "base: ../configs/base.yaml\n    data: {val: held_out.jsonl, test: null}",
            ),
        )
    )
    assert spec.base_path == tmp_path / "configs" / "base.yaml"
    data = spec.base_document["data"]
    assert data["train"] == str(tmp_path / "corpus" / "train.jsonl")
    assert data["val"] == str(tmp_path / "specs" / "held_out.jsonl")
    assert data["test"] is None
    assert spec.budget.epochs_max == 9


def test_inline_base_data_paths_resolve_against_the_spec(tmp_path: Path) -> None:
    write(tmp_path, "", "songs.jsonl")
    text = MINIMAL.replace("base: {}", "base: {data: {train: songs.jsonl}}")
    spec = load_spec(write(tmp_path, text))
    assert spec.base_document["data"]["train"] == str(tmp_path / "songs.jsonl")


def test_trial_config_keeps_comments_and_sets_the_epoch_budget(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        model:
          hidden_dim: 64   # small on purpose
        training:
          max_epochs: 30
        """,
        "base.yaml",
    )
    text = """
        study: {name: trial}
        base: base.yaml
        search_space:
          model.hidden_dim: {type: categorical, choices: [64, 128]}
          model.num_layers: {type: int, low: 1, high: 3}
        derived:
          training.cosine_t_max: {from: epochs}
        budget: {n_trials: 5, epochs: {min: 2, max: 6}}
    """
    spec = load_spec(write(tmp_path, text))
    values = {"model.hidden_dim": 128, "model.num_layers": 3, "training.cosine_t_max": 6}
    document = trial_config_document(spec, values)
    assert "# small on purpose" in dump_yaml(document)
    config = train_config_from_mapping(document, path=tmp_path / "trial.yaml")
    assert (config.model.hidden_dim, config.model.num_layers) == (128, 3)
    assert (config.training.max_epochs, config.training.cosine_t_max) == (6, 6)
    assert spec.base_document["model"]["hidden_dim"] == 64  # the base itself is untouched


TWO_OBJECTIVES = """
    objectives:
      - {metric: val.boundary_f1, direction: maximize}
      - {metric: model.parameters, direction: minimize}
"""


def test_several_objectives_keep_the_median_rule(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL + TWO_OBJECTIVES))
    assert spec.pruner == {
        "type": "median",
        "n_startup_trials": 5,
        "n_warmup_steps": 1,
        "interval_steps": 1,
    }
    assert spec.directions == ["maximize", "minimize"]
    assert spec.primary.metric == "val.boundary_f1"


def test_renamed_spec_moves_its_default_storage(tmp_path: Path) -> None:
    text = MINIMAL.replace("{name: minimal}", "{name: a, results_dir: out/a}")
    spec = load_spec(write(tmp_path, text))
    fork = spec.renamed("b")
    assert (fork.name, fork.results_dir) == ("b", tmp_path / "out" / "b")
    assert fork.storage == f"sqlite:///{tmp_path}/out/b/optuna_study.db"
    assert fork.fingerprint == spec.fingerprint

    shared = MINIMAL.replace("{name: minimal}", "{name: a, storage: 'postgresql://db/s'}")
    assert load_spec(write(tmp_path, shared)).renamed("b").storage == "postgresql://db/s"
    with pytest.raises(InputError, match="study name 'b c' may only use letters"):
        spec.renamed("b c")


@pytest.mark.parametrize(
    "pruner, expected",
    [
        (
            "{type: median, n_warmup_steps: 0}",
            {"type": "median", "n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1},
        ),
        (
            "{type: hyperband}",
            {"type": "hyperband", "reduction_factor": 3, "min_resource": 3, "max_resource": 12},
        ),
        (
            "{type: successive_halving, reduction_factor: 2}",
            {
                "type": "successive_halving",
                "reduction_factor": 2,
                "min_early_stopping_rate": 0,
                "min_resource": 3,
            },
        ),
        ("{type: wilcoxon}", {"type": "wilcoxon", "p_threshold": 0.1, "n_startup_steps": 2}),
    ],
)
def test_pruner_options_take_the_epoch_budget(tmp_path: Path, pruner: str, expected: dict) -> None:
    text = MINIMAL.replace("{name: minimal}", f"{{name: minimal, pruner: {pruner}}}").replace(
        "{n_trials: 7}", "{n_trials: 7, epochs: {min: 3, max: 12}}"
    )
    assert load_spec(write(tmp_path, text)).pruner == expected


@pytest.mark.parametrize(
    "search_space, n_trials, chosen",
    [
        ("{model.num_layers: {type: int, low: 1, high: 3}}", 50, "gp"),
        ("{model.num_layers: {type: int, low: 1, high: 3}}", 500, "tpe"),
        (
            "{model.num_layers: {type: int, low: 1, high: 3}, model.layer_dropout:"
            " {type: float, low: 0.0, high: 0.5, when: {model.num_layers: {gt: 1}}}}",
            50,
            "tpe",
        ),
    ],
)
def test_auto_sampler_choice(tmp_path: Path, search_space: str, n_trials: int, chosen: str) -> None:
    text = f"""
        study: {{name: auto, sampler: {{type: auto}}}}
        base: {{}}
        search_space: {search_space}
        budget: {{n_trials: {n_trials}}}
    """
    sampler = load_spec(write(tmp_path, text)).sampler
    assert sampler["type"] == chosen and sampler["selected_by"] == "auto"


def test_constraint_violation_is_optunas_sign_convention() -> None:
    both = Constraint("val.chorus_rate", 0.1, 0.6)
    assert both.violation(0.3) == pytest.approx(-0.2)  # feasible: <= 0
    assert both.violation(0.05) == pytest.approx(0.05)
    assert both.violation(0.7) == pytest.approx(0.1)
    assert Constraint("val.pk", None, 0.3).violation(0.1) == pytest.approx(-0.2)
    assert Constraint("val.pk", None, 0.3).violation(float("nan")) == float("inf")
