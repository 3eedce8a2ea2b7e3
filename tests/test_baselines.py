"""The repeated-line baseline."""

import doctest

import pytest

from segmodel import baselines
from segmodel.baselines import repeat_line_baseline


def test_docstring_examples_run() -> None:
    result = doctest.testmod(baselines)
    assert result.attempted > 0 and result.failed == 0


def test_repeated_lines_are_chorus() -> None:
    lines = ["verse one", "hook", "hook", "verse two", "hook", "outro"]
    assert repeat_line_baseline(lines) == [0, 1, 1, 0, 1, 0]


def test_comparison_ignores_case_and_surrounding_whitespace() -> None:
    assert repeat_line_baseline(["  Oh No", "oh no\t", "OH NO!"]) == [1, 1, 0]


def test_inner_spacing_and_punctuation_still_differ() -> None:
    assert repeat_line_baseline(["oh  no", "oh no", "oh, no"]) == [0, 0, 0]


def test_songs_without_repetition() -> None:
    assert repeat_line_baseline(["a", "b", "c"]) == [0, 0, 0]
    assert repeat_line_baseline([]) == []


@pytest.mark.parametrize("lines", ["la la", ["la", 3]])
def test_rejects_anything_but_a_sequence_of_strings(lines) -> None:
    with pytest.raises(TypeError, match="lines must be a sequence of strings"):
        repeat_line_baseline(lines)
