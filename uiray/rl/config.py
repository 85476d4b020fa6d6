"""`uiray grpo`'s config (pydantic; no torch import), built from the shared sections of uiray/config.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from uiray.config import (
    UI_SYSTEM_PROMPT,
    EngineConfig,
    LoraConfig,
    ModelConfig,
    RayConfig,
    RewardConfig,
    SamplingConfig,
    Strict,
    WandbConfig,
)


class GRPOEvalConfig(Strict):
    """Held-out evaluation during training (uiray/rl/heldout.py)."""

    every: int = Field(0, ge=0)
    """Evaluate every this many steps, and after the last one (0: never). It pauses rollouts while it runs."""
    prompts: str = "heldout"
    """Prompt set: 'heldout' (shipped with uiray) or a jsonl with `prompt` (+ id, checklist, reference)."""
    limit: int | None = Field(16, ge=1)
    """This many prompts, taken in turn from each category (None: all)."""
    sampling: SamplingConfig = SamplingConfig(temperature=0.0, n=1, max_tokens=1536)
    """Greedy, as `uiray eval` answers."""


class GRPOConfig(Strict):
    """`uiray grpo`: online RL with group-relative advantages and a reward from the rendered page."""

    model: ModelConfig = ModelConfig()
    """Starting policy: a base model or a checkpoint (an SFT/DPO adapter must be merged first: `uiray merge`)."""
    prompts: str = "outputs/data/rl"
    """The data stage's rl/ split (prompt, checklist, reference) or any jsonl/parquet with `prompt`."""
    system_prompt: str | None = UI_SYSTEM_PROMPT
    """System turn of every prompt (None: none)."""
    response_prefix: str = ""
    """Start of every reply, continued by the policy ('' lets it begin freely)."""
    sampling: SamplingConfig = SamplingConfig(temperature=1.0, top_p=1.0, repetition_penalty=1.0, n=4,
                                              max_tokens=1024)  # fmt: skip
    """Rollout sampling; n is the group size. Temperature 1 without penalties keeps the rollout policy the one
    the learner computes (its log-probs are then the ratio's denominator)."""
    prompts_per_step: int = Field(4, ge=1, le=4096)
    """Groups (prompts) per learner step."""
    steps: int = Field(20, ge=1)
    """Learner steps (policy versions)."""
    max_minutes: float | None = Field(None, gt=0)
    """Stop after the step that ends past this many minutes of training (checkpointed as the last step); None:
    run all `steps`. A budget for a laptop run: the steps a machine manages in it vary tenfold."""
    lr: float = Field(1e-5, gt=0, le=1)
    """AdamW learning rate (FrontCoder full fine-tuning: 4e-6; LoRA needs more)."""
    weight_decay: float = Field(0.0, ge=0, le=1)
    """AdamW weight decay."""
    max_grad_norm: float = Field(1.0, gt=0)
    """Gradient clipping."""
    lora: LoraConfig = LoraConfig()
    """The trained adapter (enabled: adapter sync, reference = adapter off); disabled: full fine-tuning."""
    advantage: Literal["zscore", "mean"] = "zscore"
    """Group-relative advantage: z-score (GRPO) or mean-only (Dr. GRPO)."""
    loss_aggregation: Literal["token_mean", "seq_sum"] = "token_mean"
    """Per-token losses averaged over the batch's tokens, or summed per sequence over max_tokens (Dr. GRPO)."""
    clip_low: float = Field(0.2, ge=0, lt=1)
    """Lower clip range of the ratio (1 - clip_low)."""
    clip_high: float = Field(0.28, ge=0, le=10)
    """Upper clip range (1 + clip_high; higher than clip_low is DAPO's clip-higher)."""
    kl_coef: float = Field(0.0, ge=0, le=10)
    """Weight of the KL to the reference (0 disables it; FrontCoder: 1e-3)."""
    kl_estimator: Literal["k1", "k3"] = "k3"
    """KL estimator."""
    tis_cap: float = Field(2.0, ge=1, le=100)
    """Cap of the truncated importance weights between the learner's and the rollout's log-probs."""
    max_staleness: int = Field(1, ge=0, le=64)
    """Policy versions a sample may lag behind the learner (0: synchronous on-policy); older ones are dropped."""
    reward: RewardConfig = RewardConfig()
    """How rollouts are scored (presets, judge, render limits); a page that does not render scores 0."""
    scorers: int = Field(1, ge=1, le=1024)
    """Browser actors scoring rollouts."""
    rollout_workers: int = Field(1, ge=1, le=1024)
    """vLLM rollout actors."""
    gpus_per_rollout_worker: float = Field(0.0, ge=0, le=8)
    """GPUs of each rollout actor's vLLM engine (0: CPU); engine.tensor_parallel_size of them for a sharded model."""
    learners: int = Field(1, ge=1, le=1024)
    """Learner ranks: data-parallel (DDP over torch.distributed: gloo on CPU, NCCL on GPU), each holding the
    whole policy and its share of every batch."""
    gpus_per_learner: float = Field(0.0, ge=0, le=8)
    """GPUs of each learner rank (0: CPU). With more than one rank, a whole number: NCCL refuses two ranks on one
    GPU."""
    engine: EngineConfig = EngineConfig()
    """vLLM engine settings of the rollout actors."""
    sync_check_every: int = Field(1, ge=0)
    """Compare the engine's greedy tokens with the learner's after every this many syncs (0: never)."""
    sync_check_tie: float | None = Field(None, ge=0, le=10)
    """Log-prob margin within which the learner's greedy token and a different one of the engine count as a tie
    of float rounding, not stale weights; None: 1e-3 for float32 models, 0.5 for 16-bit ones (bf16 logits are
    rounded to about 0.1, and kernels differ between vLLM and transformers)."""
    screenshot_every: int = Field(10, ge=0)
    """Every this many steps keep the rendered page of each group's first sample: output_dir/screenshots/ (PNG,
    named by step, group and reward) and wandb images; 0: never."""
    eval: GRPOEvalConfig = GRPOEvalConfig()
    """Held-out evaluation every `eval.every` steps through uiray eval's scoring and metrics."""
    checkpoint_every: int = Field(10, ge=1)
    """Save policy, optimizer, step, version and prompt cursor every this many steps (and at the end)."""
    checkpoint_keep: int = Field(2, ge=1)
    """Newest checkpoints kept."""
    resume: Literal["auto", "never"] = "auto"
    """auto continues from the newest checkpoint in output_dir (no prompt replayed or skipped); never starts
    over and refuses an output_dir that has checkpoints."""
    wandb: WandbConfig = WandbConfig()
    """wandb logging (offline by default: output_dir/wandb, for a later `wandb sync`)."""
    output_dir: str = "outputs/grpo"
    """Metrics, checkpoints and the final policy."""
    seed: int = Field(0, ge=0)
    """Seed of prompt order, sampling and adapter init."""
    ray: RayConfig = RayConfig()
    """Cluster to run on."""

    @model_validator(mode="after")
    def _whole_gpus_per_rank(self):
        if self.learners > 1 and self.gpus_per_learner % 1:
            raise ValueError(f"gpus_per_learner: {self.gpus_per_learner} with learners={self.learners}; give each "
                             "rank whole GPUs (NCCL refuses two ranks on one GPU)")  # fmt: skip
        return self
