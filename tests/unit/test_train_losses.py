import functools
import math

import pytest
import torch

from uiray.train.losses import batch_logprobs, dpo_loss, ref_logprobs_with_adapter_disabled, sequence_logprobs
from uiray.train.packing import collate_padded
from uiray.train.tokenize import IGNORE, encode_pair


def test_sequence_logprobs_sum_labelled_tokens_after_the_shift():
    # Position t predicts token t + 1. Row 0: p(1 | pos 0) = 3/4 (logits 0, ln 3), p(0 | pos 1) = 1/2.
    logits = torch.tensor(
        [
            [[0.0, math.log(3)], [0.0, 0.0], [5.0, -5.0]],
            [[0.0, math.log(3)], [0.0, 0.0], [5.0, -5.0]],
        ]
    )
    labels = torch.tensor([[IGNORE, 1, 0], [IGNORE, IGNORE, 0]])
    total, count = sequence_logprobs(logits, labels)
    torch.testing.assert_close(total, torch.tensor([math.log(3 / 4) + math.log(1 / 2), math.log(1 / 2)]))
    assert count.tolist() == [2, 1]


def test_dpo_loss_matches_the_hand_computed_value():
    beta = 0.1
    policy_chosen, policy_rejected = torch.tensor([-10.0, -12.0]), torch.tensor([-14.0, -11.0])
    ref_chosen, ref_rejected = torch.tensor([-11.0, -12.0]), torch.tensor([-13.0, -12.0])
    # Pair 1: r_w = 0.1 * (-10 + 11) = 0.1, r_l = 0.1 * (-14 + 13) = -0.1, margin 0.2
    #         loss = -log sigmoid(0.2) = log(1 + e^-0.2) = log(1.8187307531) = 0.5981388694
    # Pair 2: r_w = 0.1 * (-12 + 12) = 0.0, r_l = 0.1 * (-11 + 12) = 0.1, margin -0.1
    #         loss = -log sigmoid(-0.1) = log(1 + e^0.1) = log(2.1051709181) = 0.7443966601
    # Mean:   (0.5981388694 + 0.7443966601) / 2 = 0.6712677647
    loss, metrics = dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    assert loss.item() == pytest.approx(0.6712677647, abs=1e-6)
    assert metrics["rewards/chosen"] == pytest.approx((0.1 + 0.0) / 2)
    assert metrics["rewards/rejected"] == pytest.approx((-0.1 + 0.1) / 2)
    assert metrics["rewards/margin"] == pytest.approx((0.2 - 0.1) / 2)
    assert metrics["rewards/accuracy"] == 0.5


def test_dpo_loss_starts_at_log_2_and_its_gradient_favours_the_chosen_reply():
    policy_chosen = torch.tensor([-5.0], requires_grad=True)
    policy_rejected = torch.tensor([-5.0], requires_grad=True)
    loss, metrics = dpo_loss(policy_chosen, policy_rejected, torch.tensor([-5.0]), torch.tensor([-5.0]), beta=0.5)
    assert loss.item() == pytest.approx(math.log(2))
    assert metrics["rewards/accuracy"] == 0.0  # a tie is not a win
    loss.backward()
    # d loss / d policy_chosen = -beta * sigmoid(-margin) = -0.5 * 0.5
    assert policy_chosen.grad.item() == pytest.approx(-0.25)
    assert policy_rejected.grad.item() == pytest.approx(0.25)


@pytest.fixture(scope="module")
def pair_batch(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    pair = encode_pair(
        tokenizer, "sys", "a counter button", "```html\n<button>+1</button>\n```", "```html\n<p>TODO</p>\n```", 256
    )
    examples = [
        {"input_ids": pair["chosen_input_ids"], "labels": pair["chosen_labels"]},
        {"input_ids": pair["rejected_input_ids"], "labels": pair["rejected_labels"]},
    ]
    return collate_padded(examples, pad_id=tokenizer.pad_token_id)


def test_reference_is_the_base_model_with_the_adapter_off(tiny_model_dir, pair_batch):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        expected = batch_logprobs(base, pair_batch)
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.5, target_modules=["q_proj", "v_proj", "up_proj"])
    policy = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32), lora)
    with torch.no_grad():  # LoRA starts as a no-op (B = 0); perturb it so that policy != reference
        for name, param in policy.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)
    policy.train()  # as in a training step: dropout on, which the reference must not see

    reference = ref_logprobs_with_adapter_disabled(policy, pair_batch)

    torch.testing.assert_close(reference, expected, atol=1e-5, rtol=0)
    assert not reference.requires_grad
    assert policy.training  # mode restored
    policy.eval()
    with torch.no_grad():
        adapted = batch_logprobs(policy, pair_batch)
    assert (adapted - expected).abs().min() > 1e-2  # the adapter does change the policy


def test_reference_without_an_adapter_is_a_clear_error(tiny_model_dir, pair_batch):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    with pytest.raises(TypeError, match="separate frozen reference"):
        ref_logprobs_with_adapter_disabled(model, pair_batch)


def test_sft_step_gradient_is_the_mean_over_all_labelled_tokens_of_the_step(tiny_model_dir):
    """Two micro-batches of 6 and 120 labelled tokens through sft.train_step (the real accumulation path, the
    strategies' backward with grad_accum=2): the gradient is that of the mean over all 126 tokens, and clearly
    not that of the mean of the two micro-batch means (which gives each of the 6 tokens 10x the weight)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from uiray.train.sft import collate_rows, train_step
    from uiray.train.strategies import TorchTrainable

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    trainable = TorchTrainable(model, model, optimizer, scheduler, grad_accum=2, max_grad_norm=1.0)
    generator = torch.Generator().manual_seed(1)

    def row(prompt_len: int, reply_len: int) -> dict:
        ids = torch.randint(3, tokenizer.vocab_size, (prompt_len + reply_len,), generator=generator).tolist()
        return {"input_ids": ids, "labels": [IGNORE] * prompt_len + ids[prompt_len:]}

    short, long = row(20, 6), row(10, 120)  # 6 and 120 labelled tokens
    collate = functools.partial(collate_rows, pad_id=tokenizer.pad_token_id, packed=False, trainable=trainable,
                                device=torch.device("cpu"))  # fmt: skip
    sums = train_step(trainable, [[short], [long]], 0, 1, 2, collate, tokenizer)
    step_grads = [p.grad.clone() for p in model.parameters()]
    assert sums[1] == 126

    def gradient(loss_fn) -> list[torch.Tensor]:
        model.zero_grad(set_to_none=True)
        loss_fn().backward()
        return [p.grad.clone() for p in model.parameters()]

    def token_losses(r: dict) -> torch.Tensor:
        batch = collate([r])
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return torch.nn.functional.cross_entropy(logits[0, :-1], batch["labels"][0, 1:], reduction="none")[
            batch["labels"][0, 1:] != IGNORE
        ]

    token_mean = gradient(lambda: torch.cat([token_losses(short), token_losses(long)]).mean())
    micro_mean = gradient(lambda: (token_losses(short).mean() + token_losses(long).mean()) / 2)
    for got, want in zip(step_grads, token_mean, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)
    with torch.no_grad():
        assert sums[0] / sums[1] == pytest.approx(float(torch.cat([token_losses(short), token_losses(long)]).mean()))
    flat = torch.cat([g.flatten() for g in step_grads])
    other = torch.cat([g.flatten() for g in micro_mean])
    assert (flat - other).norm() > 0.2 * flat.norm()  # the per-micro-batch mean is a different gradient
