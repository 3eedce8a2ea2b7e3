"""The median rule segrun applies to the primary objective (multi-objective studies)."""

from __future__ import annotations

from runner._pruning import PrimaryMedianRule

OTHERS = [[0.5, 0.6, 0.7], [0.4, 0.7, 0.8], [0.6, 0.6, 0.6]]


def test_prunes_below_the_median_of_best_so_far_values_at_the_same_epoch():
    rule = PrimaryMedianRule(maximize=True, n_startup_trials=3, n_warmup_steps=1)
    # Best so far at epoch 2: others 0.6, 0.7, 0.6 -> median 0.6.
    assert rule.should_prune([0.2, 0.55], others=OTHERS)
    assert not rule.should_prune([0.2, 0.65], others=OTHERS)


def test_minimised_metrics_prune_above_the_median():
    rule = PrimaryMedianRule(maximize=False, n_startup_trials=1, n_warmup_steps=1)
    others = [[0.5, 0.4], [0.6, 0.5], [0.7, 0.3]]  # best so far (min) at epoch 2: 0.4, 0.5, 0.3
    assert rule.should_prune([0.9, 0.45], others=others)
    assert not rule.should_prune([0.9, 0.35], others=others)


def test_warmup_and_startup_follow_optunas_median_pruner():
    rule = PrimaryMedianRule(maximize=True, n_startup_trials=3, n_warmup_steps=2)
    assert not rule.should_prune([0.0], others=OTHERS)  # epoch 1 < warm-up 2
    assert rule.should_prune([0.0, 0.0], others=OTHERS)  # epoch 2 == warm-up: may prune
    assert not PrimaryMedianRule(maximize=True, n_startup_trials=4).should_prune([0.0], others=OTHERS)


def test_interval_steps_and_unreached_epochs():
    rule = PrimaryMedianRule(maximize=True, n_startup_trials=1, n_warmup_steps=1, interval_steps=2)
    assert rule.should_prune([0.0], others=OTHERS)
    assert not rule.should_prune([0.0, 0.0], others=OTHERS)  # off the interval
    # No finished trial reached epoch 4: nothing to compare with.
    assert not rule.should_prune([0.0] * 4, others=OTHERS)
