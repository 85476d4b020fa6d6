"""The seed recipes (configs/recipes/) load and build their stage graph with the published settings, without
running anything: a typo in a recipe, or a setting a stage does not have, fails here rather than hours into a
cluster run. What hardware each needs: docs/recipes.md."""

import pytest

from uiray.config import load_config
from uiray.pipeline import ROOT, PipelineConfig, plan_pipeline


@pytest.fixture
def plan(monkeypatch):
    monkeypatch.chdir(ROOT)  # a recipe names its stage configs relative to the checkout, as users run it

    def build(recipe: str) -> dict:
        cfg = load_config(PipelineConfig, f"configs/recipes/{recipe}.yaml", [])
        return {p.name: p for p in plan_pipeline(cfg)}

    return build


def test_dojo_recipe_is_sft_mixed_with_chat_then_dpo_on_ranked_pairs(plan):
    stages = plan("dojo-7b")
    assert list(stages) == ["data", "sft", "dpo", "eval"]
    sft, dpo = stages["sft"].config, stages["dpo"].config
    assert sft.model.name == "Qwen/Qwen2.5-Coder-7B-Instruct" and (sft.lora.r, sft.train.lr) == (16, 1e-5)
    optim = sft.train
    assert (optim.epochs, optim.warmup_ratio, optim.betas, optim.weight_decay) == (3, 0.1, (0.9, 0.95), 0.1)
    assert sft.mix_data and sft.mix_ratio == 1.0 and sft.scaling.use_gpu
    assert (dpo.lora.r, dpo.lora.alpha, dpo.beta, dpo.train.lr) == (256, 512, 0.1, 1e-6)
    assert dpo.model.name.endswith("sft/final")
    assert stages["data"].config.pairs.from_groups and stages["data"].config.pairs.per_row > 0


def test_frontcoder_recipe_is_cpt_then_sft_on_selected_pages_then_grpo(plan):
    stages = plan("frontcoder-7b")
    assert list(stages) == ["data", "cpt", "sft", "merge", "grpo", "eval"]
    data, cpt, sft, grpo = (stages[s].config for s in ("data", "cpt", "sft", "grpo"))
    assert (data.dedup.threshold, data.selection.min_score) == (0.7, 0.8)
    assert cpt.mode == "text" and cpt.train_data.endswith("data/text")
    assert sft.model.name.endswith("cpt/final")
    assert (sft.train.lr, sft.train.epochs, sft.train.seq_len) == (5e-5, 2, 16384)
    assert (grpo.sampling.n, grpo.kl_coef, grpo.lr, grpo.reward.preset) == (4, 1e-3, 4e-6, "frontcoder")
    assert not grpo.lora.enabled and grpo.gpus_per_rollout_worker == 1 and grpo.gpus_per_learner == 1
    assert stages["merge"].config.adapter.endswith("sft/final")
