"""`uiray sft` and `uiray dpo` end to end with the tiny model: real Ray Train (2 workers), Ray Data, peft, vLLM.

The SFT test checks from the data log that an epoch trains every sample once and that loss and held-out metrics
improve; tests/integration/test_eval.py evaluates the same run's adapter through vLLM's LoRA. Killed runs, resumed
runs and a lost worker are tests/integration/test_train_resume.py's.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
import torch
from corpusgen import generate_corpus

from tests.stages import job_env, stage_command

pytestmark = pytest.mark.slow


def test_sft_trains_each_sample_once_per_epoch_and_improves(sft_run):
    out, done = sft_run
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    log = [json.loads(x) for x in (out / "data_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 13))
    per_epoch = summary["rows"] - summary["dropped_rows_per_epoch"]
    for epoch in (0, 1):
        ids = [i for r in log if r["epoch"] == epoch for i in r["ids"]]
        assert len(ids) == len(set(ids)), f"a sample was trained twice in epoch {epoch}"
    epoch0 = [i for r in log if r["epoch"] == 0 for i in r["ids"]]
    assert len(epoch0) == per_epoch, "samples of the first epoch were skipped"

    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    losses = [m["loss"] for m in metrics if "loss" in m]
    evals = [m for m in metrics if "eval/loss" in m]
    assert losses[-1] < losses[0]
    assert evals[-1]["eval/loss"] < evals[0]["eval/loss"] and evals[-1]["eval/token_acc"] > evals[0]["eval/token_acc"]
    train_steps = [m for m in metrics if "token_acc" in m]
    assert {"critical_token_acc", "tokens_per_s", "grad_norm", "lr", "perplexity"} <= set(train_steps[0])
    assert "eval/html_valid" in evals[-1] and "eval/colour_entropy" in evals[-1]
    assert (out / "loss.svg").read_text().startswith("<svg")
    # The first steps' losses, pinned from e3d7ba0 (before issue 12 put each recipe in one file and moved the
    # optimizer and schedule out of the strategies): a refactor must not change what training computes. The
    # tiny model is fitted by 400 float32 steps, which other CPUs' kernels round differently: on the CI machine
    # its step-1 loss came out 0.18 % lower (9.1056). So the first loss is pinned loosely, and the later steps
    # as ratios to it, which the fitted weights barely move (within 5e-4 there) but the optimizer, learning rate
    # and loss normalisation do.
    by_step = {m["step"]: m["loss"] for m in metrics if "grad_norm" in m}
    assert by_step[1] == pytest.approx(9.122405351486355, rel=1e-2)
    ratios = [by_step[s] / by_step[1] for s in (2, 3)]
    assert ratios == pytest.approx([9.099802494049072 / 9.122405351486355, 8.18560548721054 / 9.122405351486355],
                                   rel=2e-3)  # fmt: skip


@pytest.fixture(scope="module")
def dpo_data(tmp_path_factory) -> Path:
    """Pairs as the data stage builds them: a working page vs the same page with its CSS dropped or clashing."""
    from uiray.data.perturb import perturb

    path = tmp_path_factory.mktemp("dpo") / "dpo.jsonl"
    lines = []
    for i, row in enumerate(generate_corpus(48, seed=5)):
        worse = perturb(row["completion"], names=["drop_css", "clash_palette"], rng=i)
        if worse:
            pick = worse[i % len(worse)]
            lines.append({"id": row["id"], "prompt": row["prompt"], "chosen": row["completion"],
                          "rejected": pick.html, "perturbation": pick.name})  # fmt: skip
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_dpo_on_the_sft_adapter_raises_held_out_preference_accuracy_and_margin(sft_run, dpo_data, tmp_path):
    """DPO as the pipeline runs it: on the SFT run's adapter. Its adapter must name the merged SFT model as its
    base, or everything that loads it (vLLM, eval, merge, serving) would apply it to the model without SFT."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    sft_dir, trained = sft_run
    assert trained.returncode == 0, trained.stderr[-3000:]
    out = tmp_path / "dpo"
    settings = ["train.seq_len=768", "train.lr=2e-3", "train.max_steps=12", "train.epochs=2", "lora.r=8",
                "lora.alpha=16", "eval.every=3", "checkpoint.every=100", "eval_fraction=0.25"]  # fmt: skip
    command = stage_command("dpo", sft_dir / "final", out, dpo_data, *settings)
    done = subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    base = Path(json.loads((out / "final" / "adapter_config.json").read_text())["base_model_name_or_path"])
    assert base == (out / "base_model").resolve()
    sft_base = json.loads((sft_dir / "final" / "adapter_config.json").read_text())["base_model_name_or_path"]
    sft = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(sft_base), sft_dir / "final")
    ids = torch.tensor([[5, 17, 42, 99, 7]])
    with torch.no_grad():
        expected = sft.merge_and_unload()(ids).logits
        got = AutoModelForCausalLM.from_pretrained(base)(ids).logits
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)  # base_model is base + SFT
    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [m for m in metrics if "eval/rewards/accuracy" in m]
    assert evals[-1]["eval/rewards/accuracy"] > 0.5
    assert evals[-1]["eval/rewards/margin"] > evals[0]["eval/rewards/margin"]
    assert evals[-1]["eval/loss"] < 0.6931  # below log 2: the held-out pairs are preferred the right way round
    train_steps = [m for m in metrics if "rewards/margin" in m]
    assert {"rewards/chosen", "rewards/rejected", "rewards/accuracy", "pairs_per_s", "grad_norm"} <= set(train_steps[0])
    assert (out / "final" / "adapter_config.json").is_file()
    output = (done.stdout + done.stderr).splitlines()
    first_step = [line for line in output if "[dpo] step 1/" in line and " loss " in line]
    assert len(first_step) == 1, first_step  # printed once (Ray Train's print patch doubled every line)
    # 12 steps of 4 pairs is more than one epoch of the 40 training pairs (10 steps): the reference is
    # precomputed, with progress lines, for the distinct pairs the run trains on and the held-out ones
    progress = [re.search(r"dpo reference log-probs: (\d+)/(\d+) pairs", line) for line in output]
    done, total = map(int, [m for m in progress if m][-1].groups())
    assert done == total <= len(dpo_data.read_text().splitlines())


def test_merge_folds_the_adapter_into_full_weights(tiny_model_dir, tmp_path):
    """`uiray merge`: the merged checkpoint computes what base + adapter compute."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from uiray.cli import main

    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model_dir), LoraConfig(r=4, target_modules=["q_proj", "v_proj"])
    )
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.05)  # a trained-looking adapter (B starts at zero)
    model.save_pretrained(tmp_path / "adapter")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(tmp_path / "adapter")
    assert main(["merge", str(tmp_path / "adapter"), "-o", str(tmp_path / "merged"), "--dtype", "float32"]) == 0

    ids = torch.tensor([[1, 5, 9, 42, 7]])
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), tmp_path / "adapter")
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, adapted(ids).logits, atol=1e-4, rtol=1e-4)
    assert (tmp_path / "merged" / "tokenizer_config.json").is_file()
