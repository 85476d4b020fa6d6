"""GRPO's maths against values worked out by hand."""

import math

import pytest
import torch

from uiray.rl.algo import aggregate, clipped_surrogate, group_advantages, kl_to_reference, truncated_importance_weights


def test_group_advantages_zscore_mean_only_and_zero_variance_groups():
    rewards = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.5, 0.5], [3.0, 1.0, 2.0, 2.0]])
    advantages, zero = group_advantages(rewards, "zscore")
    assert zero.tolist() == [False, True, False]
    # group 0: mean 0.5, population std 0.5 -> +-1; group 2: mean 2, std sqrt(0.5)
    assert advantages[0].tolist() == pytest.approx([1.0, -1.0, -1.0, 1.0], abs=1e-5)
    assert advantages[1].tolist() == [0.0, 0.0, 0.0, 0.0]
    s = math.sqrt(0.5)
    assert advantages[2].tolist() == pytest.approx([1 / s, -1 / s, 0.0, 0.0], abs=1e-5)
    centred, _ = group_advantages(rewards, "mean")
    assert centred[2].tolist() == pytest.approx([1.0, -1.0, 0.0, 0.0])


def test_clipped_surrogate_uses_separate_low_and_high_ranges():
    old = torch.zeros(1, 4)
    logp = torch.log(torch.tensor([[1.5, 1.1, 0.5, 0.9]]))  # ratios 1.5, 1.1, 0.5, 0.9
    loss, clipped = clipped_surrogate(logp, old, torch.tensor([1.0]), clip_low=0.2, clip_high=0.28)
    # A > 0: min(r, clip(r)) -> 1.28 (clipped high), 1.1, 0.5 (clip raises it to 0.8: min keeps 0.5), 0.9
    assert (-loss).tolist()[0] == pytest.approx([1.28, 1.1, 0.5, 0.9])
    assert clipped.tolist()[0] == [True, False, False, False]
    loss, clipped = clipped_surrogate(logp, old, torch.tensor([-1.0]), clip_low=0.2, clip_high=0.28)
    # A < 0: min(-r, -clip(r)) -> -1.5, -1.1, -0.8 (clipped low), -0.9
    assert (-loss).tolist()[0] == pytest.approx([-1.5, -1.1, -0.8, -0.9])
    assert clipped.tolist()[0] == [False, False, True, False]


def test_aggregation_token_mean_and_dr_grpo_sequence_sum():
    per_token = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    assert aggregate(per_token, mask, "token_mean").item() == pytest.approx(10 / 4)
    assert aggregate(per_token, mask, "seq_sum", max_tokens=4).item() == pytest.approx((6 + 4) / 2 / 4)
    # micro-batches of one row each add up to the whole batch's loss when given the batch's normaliser
    halves = [aggregate(per_token[i : i + 1], mask[i : i + 1], "token_mean", total=4.0) for i in (0, 1)]
    assert sum(h.item() for h in halves) == pytest.approx(10 / 4)


def test_kl_estimators_k1_and_k3():
    logp, ref = torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])
    assert kl_to_reference(logp, ref, "k1").item() == pytest.approx(math.log(2))
    assert kl_to_reference(logp, ref, "k3").item() == pytest.approx(0.5 - math.log(0.5) - 1)
    assert kl_to_reference(ref, ref, "k3").item() == 0.0


def test_truncated_importance_weights_cap_and_report_the_truncation_rate():
    learner = torch.log(torch.tensor([[3.0, 1.0, 0.5, 9.0]]))
    rollout = torch.zeros(1, 4)
    weights, share = truncated_importance_weights(learner, rollout, torch.tensor([[1, 1, 1, 0]]), cap=2.0)
    assert weights.tolist()[0] == pytest.approx([2.0, 1.0, 0.5, 2.0])
    assert share == pytest.approx(1 / 3)  # the masked-out 4th token does not count


def test_greedy_match_allows_a_near_tie_and_catches_a_different_policy():
    from uiray.rl.weight_sync import first_mismatch, greedy_matches

    engine = [5, 6, 7, 8]
    assert greedy_matches(engine, [5, 6, 7, 8], [0.0] * 4, tie=1e-3)
    # position 2: the learner prefers 9 by 0.2 nats, within bf16 rounding: a tie
    assert greedy_matches(engine, [5, 6, 9, 8], [0.0, 0.0, 0.2, 0.0], tie=0.5)
    assert not greedy_matches(engine, [5, 6, 9, 8], [0.0, 0.0, 0.2, 0.0], tie=1e-3)
    # a tie does not end the comparison: a clear difference after it is still caught
    assert not greedy_matches(engine, [5, 6, 9, 1], [0.0, 0.0, 0.2, 3.0], tie=0.5)
    assert first_mismatch(engine, [5, 6, 9, 1], [0.0, 0.0, 0.2, 3.0], tie=0.5) == 3  # the error names this one
    assert not greedy_matches(engine, [5, 1, 7, 8], [0.0, 2.5, 0.0, 0.0], tie=0.5)  # a different policy
    assert not greedy_matches([], [], [], tie=0.5)  # nothing compared
