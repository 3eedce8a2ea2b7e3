"""Samplers and pruners built from specs, and the study fingerprint."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from pathlib import Path
from textwrap import dedent

import numpy as np
import optuna
import pytest

from runner import _spec
from runner._factories import build_pruner, build_sampler
from runner._spec import StudySpec, load_spec

SPEC = """
    study:
      name: factories
      seed: 11
      sampler: SAMPLER
      pruner: PRUNER
    base: {}
    search_space:
      model.num_layers: {type: int, low: 1, high: 3}
      model.dropout: {type: float, low: 0.0, high: 0.4, step: 0.1}
    budget: {n_trials: 20, epochs: {min: 3, max: 27}}
"""


def spec_with(
    tmp_path: Path, sampler: str = "{type: tpe}", pruner: str = "{type: median}"
) -> StudySpec:
    path = tmp_path / "spec.yaml"
    text = SPEC.replace("SAMPLER", sampler).replace("PRUNER", pruner)
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return load_spec(path)


def first_draw(lazy_random_state) -> int:
    """The first number a sampler's LazyRandomState gives (equal for equal seeds)."""
    return lazy_random_state.rng.randint(2**31)


SEED_11 = np.random.RandomState(11).randint(2**31)


def test_tpe_pins_every_option(tmp_path: Path) -> None:
    sampler = build_sampler(spec_with(tmp_path))
    assert isinstance(sampler, optuna.samplers.TPESampler)
    # Optuna 5's own defaults differ: constant_liar=True, multivariate=None (auto).
    assert sampler._multivariate is True
    assert sampler._constant_liar is False
    assert sampler._group is False
    assert (sampler._n_startup_trials, sampler._n_ei_candidates) == (10, 24)
    assert first_draw(sampler._rng) == SEED_11


def test_tpe_options_from_the_spec(tmp_path: Path) -> None:
    text = (
        "{type: tpe, multivariate: true, group: true, constant_liar: true,"
        " n_startup_trials: 4, n_ei_candidates: 8}"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler = build_sampler(spec_with(tmp_path, text))
    # Optuna marks group experimental; the spec asked for it, so no warning on every start.
    assert not [w for w in caught if issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
    assert (sampler._group, sampler._constant_liar) == (True, True)
    assert (sampler._n_startup_trials, sampler._n_ei_candidates) == (4, 8)


def test_random_sampler_is_seeded(tmp_path: Path) -> None:
    sampler = build_sampler(spec_with(tmp_path, "{type: random}"))
    assert isinstance(sampler, optuna.samplers.RandomSampler)
    assert first_draw(sampler._rng) == SEED_11


def test_grid_sampler_gets_the_grid(tmp_path: Path) -> None:
    sampler = build_sampler(spec_with(tmp_path, "{type: grid}"))
    assert isinstance(sampler, optuna.samplers.GridSampler)
    assert sampler._search_space == {
        "model.dropout": [0.0, 0.1, 0.2, 0.3, 0.4],
        "model.num_layers": [1, 2, 3],
    }


def test_qmc_sampler(tmp_path: Path) -> None:
    sampler = build_sampler(spec_with(tmp_path, "{type: qmc, qmc_type: halton, scramble: true}"))
    assert isinstance(sampler, optuna.samplers.QMCSampler)
    assert (sampler._qmc_type, sampler._scramble, sampler._seed) == ("halton", True, 11)


def test_cmaes_sampler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(_spec.SAMPLER_PACKAGES, "cmaes")  # constructing needs no cmaes package
    sampler = build_sampler(spec_with(tmp_path, "{type: cmaes, n_startup_trials: 4}"))
    assert isinstance(sampler, optuna.samplers.CmaEsSampler)
    assert sampler._n_startup_trials == 4
    assert first_draw(sampler._cma_rng) == SEED_11


def test_gp_sampler(tmp_path: Path) -> None:
    sampler = build_sampler(spec_with(tmp_path, "{type: gp, n_startup_trials: 6}"))
    assert isinstance(sampler, optuna.samplers.GPSampler)
    assert sampler._n_startup_trials == 6
    assert first_draw(sampler._rng) == SEED_11


@pytest.mark.parametrize(
    "kind, sampler_class",
    [("nsga2", optuna.samplers.NSGAIISampler), ("nsga3", optuna.samplers.NSGAIIISampler)],
)
def test_genetic_samplers(tmp_path: Path, kind: str, sampler_class: type) -> None:
    text = f"{{type: {kind}, population_size: 12, mutation_prob: 0.2, crossover_prob: 0.7}}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # NSGA-III is
        sampler = build_sampler(spec_with(tmp_path, text))
    assert isinstance(sampler, sampler_class)
    assert sampler.population_size == 12
    children = sampler._child_generation_strategy
    assert (children._mutation_prob, children._crossover_prob) == (0.2, 0.7)
    assert first_draw(sampler._rng) == SEED_11


def test_unseeded_study_gets_unseeded_samplers(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    text = (
        SPEC.replace("seed: 11", "seed: null")
        .replace("SAMPLER", "{type: tpe}")
        .replace("PRUNER", "{type: none}")
    )
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    spec = load_spec(path)
    assert spec.seed is None
    assert first_draw(build_sampler(spec)._rng) != first_draw(build_sampler(spec)._rng)


def test_unconstrained_sampler_warns_about_constraints(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "spec.yaml"
    text = SPEC.replace("SAMPLER", "{type: random}").replace("PRUNER", "{type: none}")
    text += "    constraints: [{metric: val.chorus_rate, max: 0.6}]\n"
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="runner._factories"):
        build_sampler(load_spec(path))
    assert "random sampler does not use constraints" in caplog.text
    caplog.clear()
    path.write_text(path.read_text().replace("{type: random}", "{type: tpe}"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="runner._factories"):
        build_sampler(load_spec(path))
    assert caplog.text == ""


def test_median_pruner_warms_up_until_the_first_pruning_epoch(tmp_path: Path) -> None:
    pruner = build_pruner(
        spec_with(tmp_path, pruner="{type: median, n_startup_trials: 2, interval_steps: 2}")
    )
    assert isinstance(pruner, optuna.pruners.MedianPruner)
    assert (pruner._n_startup_trials, pruner._n_warmup_steps, pruner._interval_steps) == (2, 3, 2)


def test_hyperband_spans_the_epoch_budget(tmp_path: Path) -> None:
    pruner = build_pruner(spec_with(tmp_path, pruner="{type: hyperband, reduction_factor: 3}"))
    assert isinstance(pruner, optuna.pruners.HyperbandPruner)
    assert (pruner._min_resource, pruner._max_resource, pruner._reduction_factor) == (3, 27, 3)


def test_successive_halving_starts_at_the_first_pruning_epoch(tmp_path: Path) -> None:
    text = "{type: successive_halving, reduction_factor: 2, min_early_stopping_rate: 1}"
    pruner = build_pruner(spec_with(tmp_path, pruner=text))
    assert isinstance(pruner, optuna.pruners.SuccessiveHalvingPruner)
    assert (pruner._min_resource, pruner._reduction_factor, pruner._min_early_stopping_rate) == (
        3,
        2,
        1,
    )


def test_wilcoxon_and_no_pruner(tmp_path: Path) -> None:
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        pruner = build_pruner(
            spec_with(tmp_path, pruner="{type: wilcoxon, p_threshold: 0.05, n_startup_steps: 4}")
        )
    assert isinstance(pruner, optuna.pruners.WilcoxonPruner)
    assert (pruner._p_threshold, pruner._n_startup_steps) == (0.05, 4)
    assert isinstance(
        build_pruner(spec_with(tmp_path, pruner="{type: none}")), optuna.pruners.NopPruner
    )


# -- fingerprint ----------------------------------------------------------------------------------

BASE = """
# the base config
model:
  hidden_dim: 64   # small
  dropout: 0.25
data:
  train: songs/train.jsonl
"""

STUDY = """
# a study
study: {name: print, seed: 1, sampler: {type: tpe}}
base: base.yaml
search_space:
  model.num_layers: {type: int, low: 1, high: 3}
  model.layer_dropout: {type: float, low: 0.0, high: 0.4, when: {model.num_layers: {gt: 1}}}
objectives:
  - {metric: val.boundary_f1, direction: maximize}
budget: {n_trials: 20, epochs: {min: 2, max: 10}}
"""


def fingerprint(folder: Path, study: str = STUDY, base: str = BASE) -> str:
    (folder / "songs").mkdir(parents=True, exist_ok=True)
    for name in ("train.jsonl", "other.jsonl"):
        (folder / "songs" / name).touch()
    (folder / "base.yaml").write_text(base, encoding="utf-8")
    (folder / "spec.yaml").write_text(study, encoding="utf-8")
    return load_spec(folder / "spec.yaml").fingerprint


UNCHANGED = {
    "n_trials": (STUDY.replace("n_trials: 20", "n_trials: 500"), BASE),
    "timeouts and failure limit": (
        STUDY.replace(
            "{n_trials: 20,", "{n_trials: 20, timeout: 60, trial_timeout: 9, max_failed_trials: 2,"
        ),
        BASE,
    ),
    "storage, results folder, seed, sampler, pruner": (
        STUDY.replace(
            "{name: print, seed: 1, sampler: {type: tpe}}",
            "{name: other, seed: 2, storage: 'sqlite:///x.db', results_dir: out,"
            " sampler: {type: random}, pruner: {type: hyperband}}",
        ),
        BASE,
    ),
    "comments and layout": (
        STUDY.replace("# a study", "# renamed comment").replace(
            "  model.num_layers: {type: int, low: 1, high: 3}",
            "  model.num_layers:   # layers\n    type: int\n    high: 3\n    low: 1",
        ),
        BASE.replace("# small", "# tiny")
        .replace("  dropout: 0.25\n", "")
        .replace("model:\n", "model:\n  dropout: 0.25\n"),
    ),
    "a default stated explicitly": (STUDY, BASE + "training: {max_epochs: 30, batch_size: 32}\n"),
    "enqueue and report": (
        STUDY + "enqueue: [{model.num_layers: 2}]\nreport: {plots: false}\n",
        BASE,
    ),
    "runtime-only settings": (
        STUDY,
        BASE + "system: {device: cpu, threads: 2}\noutput: {dir: elsewhere}\n",
    ),
}

CHANGED = {
    "a bound": (STUDY.replace("high: 0.4", "high: 0.5"), BASE),
    "a condition": (STUDY.replace("{gt: 1}", "{gt: 2}"), BASE),
    "a base value": (STUDY, BASE.replace("dropout: 0.25", "dropout: 0.3")),
    "the data": (STUDY, BASE.replace("songs/train.jsonl", "songs/other.jsonl")),
    "the epoch budget": (STUDY.replace("max: 10", "max: 12"), BASE),
    "an objective": (STUDY.replace("direction: maximize", "direction: minimize"), BASE),
    "a derived value": (STUDY + "derived: {training.cosine_t_max: {from: epochs}}\n", BASE),
    "a constraint": (STUDY + "constraints: [{metric: val.chorus_rate, max: 0.6}]\n", BASE),
}


@pytest.mark.parametrize("study, base", UNCHANGED.values(), ids=UNCHANGED.keys())
def test_fingerprint_ignores_what_does_not_define_the_study(
    tmp_path: Path, study: str, base: str
) -> None:
    assert fingerprint(tmp_path / "edited", study, base) == fingerprint(tmp_path / "original")


@pytest.mark.parametrize("study, base", CHANGED.values(), ids=CHANGED.keys())
def test_fingerprint_changes_with_what_defines_the_study(
    tmp_path: Path, study: str, base: str
) -> None:
    assert fingerprint(tmp_path / "edited", study, base) != fingerprint(tmp_path / "original")


def test_fingerprint_hashes_the_normalized_spec(tmp_path: Path) -> None:
    fingerprint(tmp_path)
    spec = load_spec(tmp_path / "spec.yaml")
    normalized = spec.normalized()
    assert normalized["base"]["data"]["train"] == "songs/train.jsonl"  # relative to the spec
    assert normalized["base"]["training"]["max_epochs"] == 10
    assert normalized["search_space"]["model.layer_dropout"] == {
        "type": "float",
        "low": 0.0,
        "high": 0.4,
        "step": None,
        "log": False,
        "when": [["model.num_layers", "gt", 1]],
    }
    encoded = json.dumps(normalized, sort_keys=True, separators=(",", ":")).encode()
    assert spec.fingerprint == hashlib.sha256(encoded).hexdigest()
