"""ModelConfig: defaults, the automatic attention width, and refusal of bad values."""

import dataclasses

import pytest

from segmodel.errors import InputError
from segmodel.model import ATTENTION_TYPES, DECODINGS, ModelConfig


def test_defaults_are_the_documented_ones():
    assert dataclasses.asdict(ModelConfig()) == {
        "hidden_dim": 128,
        "num_layers": 2,
        "layer_dropout": 0.2,
        "dropout": 0.25,
        "attention_type": "none",
        "attention_heads": 4,
        "attention_dim": None,
        "attention_dropout": 0.1,
        "attention_window": 7,
        "positional_encoding": False,
        "decoding": "viterbi",
        "switch_penalty": 1.0,
        "repeat_tying": 0.0,
    }
    assert ATTENTION_TYPES == ("none", "self", "localized", "boundary_aware")
    assert DECODINGS == ("argmax", "viterbi", "crf")


@pytest.mark.parametrize(
    ("hidden_dim", "heads", "expected"),
    [(128, 4, 256), (50, 3, 102), (10, 8, 24), (1, 1, 2), (64, 6, 132)],
)
def test_automatic_attention_dim_rounds_twice_hidden_up_to_a_multiple_of_heads(
    hidden_dim, heads, expected
):
    config = ModelConfig(hidden_dim=hidden_dim, attention_heads=heads)
    assert config.resolved_attention_dim == expected


def test_explicit_attention_dim_is_kept_when_heads_divide_it():
    assert (
        ModelConfig(hidden_dim=128, attention_heads=8, attention_dim=64).resolved_attention_dim
        == 64
    )


@pytest.mark.parametrize(("dim", "heads", "expected"), [(128, 6, 132), (256, 12, 264), (100, 8, 104)])
def test_explicit_attention_dim_rounds_up_to_a_multiple_of_heads(dim, heads, expected):
    # The original project's search space pairs widths {128, 256, 384} with heads {4, 6, 8, 12}.
    config = ModelConfig(attention_dim=dim, attention_heads=heads)
    assert config.resolved_attention_dim == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hidden_dim", 0, "must be >= 1, got 0"),
        ("num_layers", 0, "must be >= 1, got 0"),
        ("attention_window", 0, "must be >= 1, got 0"),
        ("dropout", 1.0, "must be in [0, 1), got 1.0"),
        ("layer_dropout", -0.1, "must be in [0, 1), got -0.1"),
        ("attention_type", "global", "must be one of none, self, localized, boundary_aware"),
        ("decoding", "beam", "must be one of argmax, viterbi, crf, got 'beam'"),
        ("switch_penalty", -1.0, "must be a finite number >= 0, got -1.0"),
        ("switch_penalty", float("inf"), "must be a finite number >= 0, got inf"),
        ("attention_dim", 0, "must be >= 1, got 0"),
    ],
)
def test_bad_values_raise_input_error_naming_the_key(field, value, message):
    kwargs = {field: value}
    if field == "attention_dim":
        kwargs["attention_heads"] = 8
    with pytest.raises(InputError) as raised:
        ModelConfig(**kwargs)
    assert raised.value.key == f"model.{field}"
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"model.{field}: ")
