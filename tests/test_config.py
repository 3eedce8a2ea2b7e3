"""Training config files: defaults, schema errors located in the file, overrides, safety."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from segmodel.config import TrainConfig, load_train_config
from segmodel.errors import InputError
from segmodel.yamlconfig import SCHEMA_DIR

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides=()) -> str:
    with pytest.raises(InputError) as caught:
        load_train_config(path, overrides=overrides)
    return str(caught.value)


def test_empty_file_gives_all_defaults(tmp_path):
    config = load_train_config(write(tmp_path, ""))
    assert config == TrainConfig()


def test_values_from_file_and_relative_data_paths(tmp_path):
    path = write(tmp_path, "model:\n  hidden_dim: 64\ndata:\n  train: songs/train.jsonl\n")
    config = load_train_config(path)
    assert config.model.hidden_dim == 64
    assert config.data.train == str((tmp_path / "songs" / "train.jsonl").resolve())


def test_values_read_from_yaml_are_plain_python_types(tmp_path):
    # ruamel's formatting-preserving scalar classes must not leak into configs (or checkpoints).
    path = tmp_path / "c.yaml"
    path.write_text("training: {learning_rate: 0.003, batch_size: 8}\nmodel: {decoding: crf}\n"
                    "features: {rhyme: {enabled: &on false}, syllables: {enabled: *on}}\n")
    config = load_train_config(path)
    assert type(config.training.learning_rate) is float and type(config.training.batch_size) is int
    assert type(config.model.decoding) is str and config.features.syllables.enabled is False


def test_unknown_key_has_position_and_did_you_mean(tmp_path):
    path = write(tmp_path, "model:\n  hiden_dim: 64\n")
    message = error_of(path)
    assert message == f"{path}:2:3: model.hiden_dim: unknown key 'hiden_dim' (did you mean 'hidden_dim'?)"


def test_unknown_section(tmp_path):
    path = write(tmp_path, "trainig:\n  batch_size: 8\n")
    assert "1:1: trainig: unknown key 'trainig' (did you mean 'training'?)" in error_of(path)


def test_out_of_range_value_names_line_and_column(tmp_path):
    path = write(tmp_path, "training:\n  batch_size: 32\n  learning_rate: -0.1\n")
    message = error_of(path)
    assert f"{path}:3:18: training.learning_rate:" in message
    assert "out of range: must be > 0" in message


def test_wrong_type(tmp_path):
    path = write(tmp_path, "model:\n  num_layers: two\n")
    assert "2:15: model.num_layers: expected integer, got \"two\"" in error_of(path)


def test_bad_enum_suggests(tmp_path):
    path = write(tmp_path, "model:\n  attention_type: boundary-aware\n")
    message = error_of(path)
    assert "model.attention_type" in message and "did you mean 'boundary_aware'?" in message


def test_several_errors_reported_together(tmp_path):
    path = write(tmp_path, "model:\n  hidden_dim: 0\n  dropout: 2\n")
    lines = error_of(path).splitlines()
    assert len(lines) == 2
    assert lines[0] == f"{path}:2:15: model.hidden_dim: 0 is out of range: must be >= 4"
    assert lines[1] == f"{path}:3:12: model.dropout: 2 is out of range: must be < 1"


def test_yaml_syntax_error_is_located(tmp_path):
    path = write(tmp_path, "model:\n  hidden_dim: [1, 2\n")
    message = error_of(path)
    assert message.startswith(f"{path}:") and "invalid YAML" in message


def test_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, "model:\n  hidden_dim: 1\n  hidden_dim: 2\n")
    assert "duplicate key" in error_of(path)


def test_python_object_tags_are_refused(tmp_path):
    path = write(tmp_path, 'model: !!python/object/apply:os.system ["echo pwned"]\n')
    message = error_of(path)
    assert "YAML tags are not allowed" in message and f"{path}:1:8" in message


def test_missing_file(tmp_path):
    assert error_of(tmp_path / "nope.yaml").endswith("nope.yaml: file not found")


def test_top_level_must_be_a_mapping(tmp_path):
    assert "mapping of sections" in error_of(write(tmp_path, "- 1\n- 2\n"))


def test_overrides_are_typed_and_checked(tmp_path):
    path = write(tmp_path, "model:\n  hidden_dim: 64\n")
    config = load_train_config(path, overrides=["model.hidden_dim=32", "training.scheduler=plateau",
                                                 "model.attention_dim=null"])
    assert config.model.hidden_dim == 32 and config.training.scheduler == "plateau"
    message = error_of(path, overrides=["model.hidden_dim=big"])
    assert message.startswith("--set model.hidden_dim=big: expected integer")
    assert "unknown key 'hiden_dim'" in error_of(path, overrides=["model.hiden_dim=3"])
    assert "expected section.key=value" in error_of(path, overrides=["model.hidden_dim"])


def _schema_properties(section: dict) -> dict:
    return section["properties"]


@pytest.mark.parametrize("section", [f.name for f in dataclasses.fields(TrainConfig)])
def test_schema_and_dataclasses_agree(section):
    """Every dataclass field is in the schema with the same default, and nothing else is."""
    schema = json.loads((SCHEMA_DIR / "train-config.schema.json").read_text())
    properties = schema["properties"][section]["properties"]
    instance = getattr(TrainConfig(), section)

    def check(obj, props, where):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        assert set(fields) == set(props), where
        for name, value in fields.items():
            if dataclasses.is_dataclass(value):
                check(value, props[name]["properties"], f"{where}.{name}")
            else:
                assert props[name]["default"] == value, f"{where}.{name}"
                assert props[name].get("description"), f"{where}.{name} has no description"

    check(instance, properties, section)


@pytest.mark.parametrize("name", ["default.yaml", "original_all_features.yaml"])
def test_shipped_configs_are_valid(name):
    config = load_train_config(REPO / "configs" / name)
    assert isinstance(config, TrainConfig)


def test_original_config_matches_the_original_project():
    config = load_train_config(REPO / "configs" / "original_all_features.yaml")
    m, loss, t = config.model, config.loss, config.training
    assert (m.hidden_dim, m.num_layers, m.layer_dropout, m.dropout) == (256, 2, 0.3, 0.25)
    assert (m.attention_type, m.attention_heads, m.attention_dim, m.attention_dropout) == ("boundary_aware", 8, 256, 0.2)
    assert m.positional_encoding
    assert (t.batch_size, t.learning_rate, t.weight_decay, t.scheduler, t.max_epochs, t.patience,
            t.gradient_clip_norm) == (32, 5e-4, 0.015, "cosine", 45, 8, 0.5)
    assert (loss.label_smoothing, loss.boundary_weight, loss.segment_consistency_lambda, loss.conf_penalty_lambda,
            loss.conf_threshold, loss.entropy_lambda) == (0.2, 1.8, 0.02, 0.01, 0.93, 0.04)
