"""`segrun dashboard`: optuna-dashboard on the study's storage, loopback only, an optional extra."""

from __future__ import annotations

import sys
import textwrap
import types

import optuna
import pytest

from runner._spec import load_spec
from runner.cli import main


@pytest.fixture
def spec_path(tmp_path):
    (tmp_path / "base.yaml").write_text("model: {hidden_dim: 8}\n")
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent("""\
        study: {name: dash, results_dir: results}
        base: base.yaml
        search_space: {model.switch_penalty: {type: float, low: 0, high: 2}}
        budget: {n_trials: 2, epochs: {min: 1, max: 1}}
        """))
    return path


@pytest.fixture
def fake_dashboard(monkeypatch):
    """An optuna_dashboard module that records how the server would have been started."""
    calls = []
    module = types.ModuleType("optuna_dashboard")
    module.run_server = lambda storage, host="localhost", port=8080: calls.append((storage, host, port))
    monkeypatch.setitem(sys.modules, "optuna_dashboard", module)
    return calls


def create_study(spec_path) -> optuna.Study:
    spec = load_spec(spec_path)
    spec.results_dir.mkdir()
    study = optuna.create_study(study_name=spec.name, storage=spec.storage, direction="maximize")
    study.add_trial(optuna.trial.create_trial(value=0.5))
    return study


def test_the_dashboard_serves_the_study_storage_on_loopback(spec_path, fake_dashboard, capsys):
    create_study(spec_path)
    assert main(["dashboard", str(spec_path), "--port", "8123"]) == 0
    ((storage, host, port),) = fake_dashboard
    assert (host, port) == ("127.0.0.1", 8123)
    (study,) = optuna.get_all_study_summaries(storage)
    assert study.study_name == "dash" and study.n_trials == 1
    assert "http://127.0.0.1:8123/" in capsys.readouterr().out


def test_without_optuna_dashboard_the_command_says_how_to_install_it(spec_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "optuna_dashboard", None)  # import fails
    assert main(["dashboard", str(spec_path)]) == 2
    assert "pip install 'segrun[dashboard]'" in capsys.readouterr().err


def test_a_bad_port_or_a_missing_study_exits_2(spec_path, fake_dashboard, capsys):
    assert main(["dashboard", str(spec_path), "--port", "70000"]) == 2
    assert "--port: must be a port number from 1 to 65535, got 70000" in capsys.readouterr().err
    load_spec(spec_path).results_dir.mkdir()
    assert main(["dashboard", str(spec_path)]) == 2
    assert "no study named 'dash'" in capsys.readouterr().err and not fake_dashboard
