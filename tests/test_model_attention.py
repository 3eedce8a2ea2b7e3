"""Attention block: window and padding masks, the boundary bias, positional codes."""

import math

import pytest
import torch
import torch.nn.functional as F

from segmodel.model import BoundaryBias, LineAttention, sinusoidal_positions


def block(kind: str, **options) -> LineAttention:
    torch.manual_seed(0)
    defaults = {"heads": 2, "dim": 8, "window": 2, "positional": True}
    return LineAttention(6, kind=kind, **{**defaults, **options}).eval()


def outputs_after_changing_line(attention, lines, lengths, line):
    changed = lines.clone()
    changed[:, line] += 5.0
    with torch.no_grad():
        return attention(lines, lengths), attention(changed, lengths)


def test_localized_attention_ignores_lines_beyond_the_window():
    attention = block("localized", window=2)
    lines, lengths = torch.randn(1, 10, 6), torch.tensor([10])
    before, after = outputs_after_changing_line(attention, lines, lengths, 6)
    unchanged = (before - after).abs().amax(dim=2)[0] == 0
    # Line 6 is seen by lines 4..8 only.
    assert unchanged.tolist() == [True] * 4 + [False] * 5 + [True]


def test_self_attention_sees_every_real_line_but_no_padding():
    attention = block("self")
    lines, lengths = torch.randn(1, 9, 6), torch.tensor([6])
    before, after = outputs_after_changing_line(attention, lines, lengths, 0)
    assert ((before - after).abs().amax(dim=2)[0, :6] > 0).all()
    before, after = outputs_after_changing_line(attention, lines, lengths, 7)
    assert torch.equal(before[:, :6], after[:, :6])


@pytest.mark.parametrize("kind", ["self", "localized", "boundary_aware"])
def test_rows_with_nothing_to_attend_to_stay_finite(kind):
    attention = block(kind, window=1).train()
    # Song 0 has one line; its padded lines 2.. have no real line within the window.
    lines = torch.randn(2, 6, 6, requires_grad=True)
    out = attention(lines, torch.tensor([1, 6]))
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert torch.isfinite(lines.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in attention.parameters())


def test_boundary_bias_counts_sections_between_lines():
    bias_module = BoundaryBias(4, heads=3)
    with torch.no_grad():
        bias_module.change.weight.fill_(1.0)
        bias_module.change.bias.fill_(-10.0)
    # Two sections of identical lines: |x_3 - x_2| sums to 20, so b_3 = sigmoid(10) ~ 1 and
    # every other boundary score is sigmoid(-10) ~ 0.
    lines = torch.cat((torch.zeros(1, 3, 4), torch.full((1, 4, 4), 5.0)), dim=1)
    bias = bias_module(lines)
    decay = F.softplus(bias_module.decay_logit)
    assert decay.detach().tolist() == pytest.approx([0.05, math.sqrt(0.05 * 2.0), 2.0])
    assert bias.shape == (1, 3, 7, 7)
    for head in range(3):
        assert bias[0, head, 0, 2].item() == pytest.approx(0.0, abs=1e-3)
        assert bias[0, head, 5, 3].item() == pytest.approx(0.0, abs=1e-3)
        assert bias[0, head, 1, 4].item() == pytest.approx(-decay[head].item(), rel=1e-3)
        assert bias[0, head, 6, 0].item() == pytest.approx(-decay[head].item(), rel=1e-3)
    assert torch.equal(bias, bias.transpose(2, 3))


def test_boundary_aware_block_learns_its_boundary_scores():
    attention = block("boundary_aware").train()
    attention(torch.randn(2, 7, 6), torch.tensor([7, 4])).pow(2).sum().backward()
    assert attention.boundary_bias.change.weight.grad.abs().sum() > 0
    assert attention.boundary_bias.decay_logit.grad.abs().sum() > 0


def test_sinusoidal_positions_hand_values():
    codes = sinusoidal_positions(3, 4)
    expected_row_2 = [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)]
    assert codes[2].tolist() == pytest.approx(expected_row_2, abs=1e-6)
    assert codes[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert sinusoidal_positions(5, 3).shape == (5, 3)


def test_bad_block_options_are_refused():
    with pytest.raises(ValueError, match=r"dim \(10\) must be a multiple of heads \(4\)"):
        LineAttention(6, kind="self", heads=4, dim=10)
    with pytest.raises(ValueError, match="unknown attention kind 'global'"):
        LineAttention(6, kind="global", heads=2, dim=8)
