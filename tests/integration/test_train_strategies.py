"""The four data-parallel strategies in one real 2-worker Ray Train fit on CPU (gloo), on a tiny Qwen2 + LoRA.

Per strategy: the loss goes down, save/load resumes exactly, the gathered trainable weights reproduce the
trained model, and the losses agree with DDP's (same data, same init: sharding must not change the maths).
One fit runs all strategies (a fit costs ~20 s to start); each worker writes its results to a JSON file.
"""

import json
import math
import sys
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow

STRATEGIES = ["ddp", "zero2", "zero3", "fsdp2"]
STEPS, SAVE_AT, RESUMED_STEPS, GRAD_ACCUM = 8, 4, 2, 2
OPTIM = dict(lr=1e-2, weight_decay=0.01, max_grad_norm=1.0, warmup_ratio=0.125)
TEXTS = [  # one per micro-batch: rank r trains on rows 2r and 2r+1
    "<div class='card'><h1>Todo list</h1><ul><li>Buy milk</li></ul></div>",
    "body { margin: 0; padding: 1rem; color: #222; background: #fff; }",
    "function increment() { count += 1; render(); }",
    "<header><nav><a href='#'>Home</a></nav></header><main></main>",
]


@pytest.fixture(scope="module")
def ray_here(ray_cluster):
    """The session's cluster (init_ray: with a dashboard; see below), able to run this module's functions.

    With a dashboard, unlike ray.init(include_dashboard=False): Ray Train's PlacementGroupCleaner asks the
    state API whether the controller lives. In a run without our dashboard, while another local Ray cluster
    was up, it took the live controller for dead and removed the workers mid-fit (Ray 2.60)."""
    from ray import cloudpickle

    # pytest imports this file by its bare name, which Ray workers cannot import: ship the code itself
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray_cluster
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def peft_model(model_dir: str, seed: int):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    return get_peft_model(base, lora)


def micro_batches(model_dir: str, rank: int) -> list[dict[str, torch.Tensor]]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    batches = []
    for text in TEXTS[2 * rank : 2 * rank + 2]:
        ids = torch.tensor([tokenizer(text)["input_ids"]])
        batches.append({"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids})
    return batches


def train_step(trainable, batches) -> tuple[float, float]:
    losses = []
    for batch in batches:
        loss = trainable.model(**batch).loss
        trainable.backward(loss)
        losses.append(loss.item())
    return sum(losses) / len(losses), trainable.step()


def run_strategy(strategy: str, model_dir: str, checkpoint: Path, rank: int) -> dict:
    from uiray.train.optim import adamw, cosine_schedule
    from uiray.train.strategies import wrap_for_training

    def wrap(model, **kwargs):
        return wrap_for_training(
            model, strategy=strategy, grad_accum=GRAD_ACCUM, max_grad_norm=OPTIM["max_grad_norm"],
            optimizer=adamw(OPTIM["lr"], OPTIM["weight_decay"]), schedule=cosine_schedule(STEPS, OPTIM["warmup_ratio"]),
            **kwargs,
        )  # fmt: skip

    batches = micro_batches(model_dir, rank)
    trainable = wrap(peft_model(model_dir, seed=0))
    losses, norms, lrs, times = [], [], [], []
    for step in range(1, STEPS + 1):
        start = time.perf_counter()
        loss, norm = train_step(trainable, batches)
        times.append(time.perf_counter() - start)
        losses.append(loss)
        norms.append(norm)
        lrs.append(trainable.lr())
        if step == SAVE_AT:
            trainable.save(checkpoint)
    probe = batches[0]["input_ids"]
    with torch.no_grad():  # collective under zero3/fsdp2: every rank runs it
        logits = trainable.model(input_ids=probe).logits.float()
    state = trainable.trainable_state_dict()

    resumed = wrap(peft_model(model_dir, seed=1))  # another adapter init: load must overwrite it
    resumed.load(checkpoint)
    resumed_losses = [train_step(resumed, batches)[0] for _ in range(RESUMED_STEPS)]

    result = {"losses": losses, "norms": norms, "lrs": lrs, "resumed_losses": resumed_losses}
    result["seconds_per_step"] = sum(times[1:]) / len(times[1:])  # the first step builds optimizer state
    result["has_state"] = state is not None
    if state is not None:
        fresh = peft_model(model_dir, seed=2)
        incompatible = fresh.load_state_dict(state, strict=False)
        with torch.no_grad():
            fresh_logits = fresh(input_ids=probe).logits
        result["state_keys"] = sorted(state)
        result["unexpected_keys"] = list(incompatible.unexpected_keys)
        result["export_logit_diff"] = (fresh_logits - logits).abs().max().item()
        result["state_dtypes"] = sorted({str(t.dtype) for t in state.values()})
    result["bf16"] = bf16_smoke(wrap, model_dir, batches)
    return result


def bf16_smoke(wrap, model_dir: str, batches) -> dict:
    """Two bf16 steps: finite numbers, and adapters kept in fp32 where the strategy owns the dtypes."""
    trainable = wrap(peft_model(model_dir, seed=0), bf16=True)
    steps = [train_step(trainable, batches) for _ in range(2)]
    dtypes = {str(p.dtype) for p in trainable.inner.parameters() if p.requires_grad}
    return {"finite": all(math.isfinite(x) for step in steps for x in step), "trainable_dtypes": sorted(dtypes)}


def train_all(config: dict) -> None:
    import ray.train

    rank = ray.train.get_context().get_world_rank()
    out = Path(config["out"])
    results = {}
    for strategy in config["strategies"]:
        results[strategy] = run_strategy(strategy, config["model_dir"], out / "checkpoints" / strategy, rank)
    (out / f"rank{rank}.json").write_text(json.dumps(results))


def test_all_strategies_train_resume_and_export(ray_here, tiny_model_dir, tmp_path):
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    config = {"model_dir": str(tiny_model_dir), "out": str(tmp_path), "strategies": STRATEGIES}
    trainer = TorchTrainer(
        train_all,
        train_loop_config=config,
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(storage_path=str(tmp_path / "ray"), name="strategies"),
    )
    trainer.fit()
    ranks = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]

    reference = ranks[0]["ddp"]["losses"]
    for strategy in STRATEGIES:
        result, other = ranks[0][strategy], ranks[1][strategy]
        print(f"{strategy}: {result['seconds_per_step']:.3f} s/step, losses {[round(x, 3) for x in result['losses']]}")
        losses = result["losses"]
        assert losses[-1] < 0.8 * losses[0], strategy
        assert result["norms"] == pytest.approx(other["norms"], rel=1e-6), strategy  # one global norm
        assert result["lrs"][0] == pytest.approx(OPTIM["lr"]) and result["lrs"][-1] == pytest.approx(0.0), strategy
        # sharding must not change the maths: same losses as DDP up to float reordering
        assert losses == pytest.approx(reference, rel=1e-5), strategy
        # exact resume: on both ranks, a fresh model loading the step-4 checkpoint repeats steps 5 and 6
        for on_rank in (result, other):
            expected = on_rank["losses"][SAVE_AT : SAVE_AT + RESUMED_STEPS]
            assert on_rank["resumed_losses"] == pytest.approx(expected, rel=1e-5), strategy
        # export: full fp32 adapter weights on rank 0 only, reproducing the trained model
        assert result["has_state"] and not other["has_state"]
        assert result["state_dtypes"] == ["torch.float32"], strategy
        assert len(result["state_keys"]) == 2 * 4 * 2, strategy  # A and B x 4 projections x 2 layers
        assert all(".lora_A.default.weight" in k or ".lora_B.default.weight" in k for k in result["state_keys"])
        assert result["unexpected_keys"] == [], strategy
        assert result["export_logit_diff"] < 1e-5, strategy
        assert result["bf16"]["finite"], strategy
        if strategy in ("ddp", "fsdp2"):
            assert result["bf16"]["trainable_dtypes"] == ["torch.float32"]
