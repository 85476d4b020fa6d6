"""`uiray dpo`, top to bottom: the driver (run_dpo), then the loop every Ray Train worker runs (dpo_worker; the
loss is in uiray/train/losses.py, the Ray Trainer wiring in uiray/train/trainer.py).

    run_dpo: pairs -> held-out split by prompt -> tokenized, length-checked, ordered by hash -> trainer.fit
    dpo_worker: AdamW + cosine schedule, sharded by the strategy -> reference log-probs (precomputed once for
        the pairs the run will train on, or per step with the adapter off; see `precomputes`) -> for each step:
        grad_accum global batches of pairs -> my slice -> one forward over chosen + rejected rows
        -> sigmoid DPO loss -> optimizer step -> log rewards/chosen, rewards/rejected, margin, accuracy
        -> eval (held-out preference accuracy and margin) every N -> checkpoint every M

Precomputed reference log-probs are stored in every checkpoint (reference.json): after a resume the
policy has moved, and with full fine-tuning there is no other copy of the starting weights to recompute
them from.
"""

from __future__ import annotations

import logging
import time

import torch
import torch.distributed as dist

from uiray.config import ConfigError, DPOConfig
from uiray.train.data import batch_rows, dataset_shard, global_batches, rank_slice
from uiray.train.loop import Logger, all_sum, rank_world, save_checkpoint, start_worker
from uiray.train.losses import dpo_loss, ref_logprobs_with_adapter_disabled, sequence_logprobs
from uiray.train.optim import adamw, cosine_schedule
from uiray.train.packing import collate_padded
from uiray.train.trainer import WorkerRun, fit, prepare

log = logging.getLogger("uiray.train")


def run_dpo(cfg: DPOConfig) -> dict:
    """`uiray dpo`: the driver. Pairs -> held-out split (by prompt) -> tokenized, length-checked, ordered -> fit."""
    from uiray.train.data import encode_dpo, fit_to_length, ordered, read_rows

    if not cfg.lora.enabled and cfg.precompute_ref is False:
        raise ConfigError(
            "dpo: full fine-tuning (lora.enabled=false) needs precompute_ref=true (no adapter to switch off)"
        )
    cfg, tokenizer_path = prepare(cfg)
    train, held = split_pairs(read_rows(cfg.train_data, "pref"), 0 if cfg.eval_data else cfg.eval_fraction, cfg.seed)
    if cfg.eval_data:
        held = read_rows(cfg.eval_data, "pref")
    encode = encode_dpo(tokenizer_path, cfg.system_prompt, cfg.train.seq_len)
    seq_len, policy = cfg.train.seq_len, cfg.train.too_long
    encoded, lengths = fit_to_length(train.map_batches(encode, batch_size=64), seq_len, policy, "train pairs")
    datasets = {"train": ordered(encoded, cfg.seed)}
    report = {"lengths": {"train": lengths}}
    if held is not None:
        encoded, report["lengths"]["eval"] = fit_to_length(held.map_batches(encode, batch_size=64), seq_len, policy,
                                                           "eval pairs")  # fmt: skip
        datasets["eval"] = encoded
    return fit(cfg, dpo_worker, datasets, "dpo", report)


def split_pairs(rows, fraction: float, seed: int):
    """(train, held-out) pairs, all pairs of a prompt on one side. The coin is salted: the data stage sent the
    prompts whose plain split_key(prompt, 0) is below rl_fraction to rl/, so on its pairs an unsalted coin is
    never below 0.1 and nothing would be held out."""
    from uiray.train.data import held_out

    keyed = rows.map(lambda r: {**r, "prompt_key": f"dpo-eval:{r['prompt']}"})
    return held_out(keyed, fraction, seed, key="prompt_key")


def dpo_worker(config: dict) -> None:
    """Ray Train entry point: config is {"run": WorkerRun}."""
    import ray.train

    run: WorkerRun = config["run"]
    cfg: DPOConfig = run.cfg
    opt = cfg.train
    optimizer = adamw(opt.lr, opt.weight_decay, opt.betas, cpu_offload=cfg.scaling.cpu_offload)
    schedule = cosine_schedule(run.total_steps, opt.warmup_ratio)
    rank, world, trainable, tokenizer, pad_id, state = start_worker(cfg, run, optimizer, schedule)
    reference = state.get("reference") or {}
    train = ray.train.get_dataset_shard("train")
    if precomputes(cfg, run) and not reference:

        def pairs():  # what the step loop will read, then the held-out set
            yield from _planned_batches(train, run, opt, world, cfg.seed)
            yield from _plain_batches(dataset_shard("eval"))

        reference = precompute_reference(trainable, pairs, world * opt.micro_batch_size, pad_id)
    logger = Logger(cfg, run.total_steps, state, rank, "dpo")
    data_log: list[dict] = list(state.get("data_log", []))
    step, epoch, batches_done = state.get("step", 0), state.get("epoch", 0), state.get("batches_done", 0)
    if step == 0:  # the baseline every later evaluation is compared with
        logger.log(0, evaluate(trainable, world * opt.micro_batch_size, reference, cfg.beta, pad_id), report=False)
    trainable.model.train()
    while step < run.total_steps and epoch < opt.epochs:
        batches = global_batches(train, world * opt.micro_batch_size, epoch, cfg.seed, skip=batches_done)
        while step < run.total_steps:
            group = [b for _, b in zip(range(opt.grad_accum), batches, strict=False)]
            if len(group) < opt.grad_accum:
                break
            started = time.perf_counter()
            sums = [0.0] * 6
            for global_batch in group:
                loss, stats = pair_loss(trainable, rank_slice(global_batch, rank, world), reference, cfg.beta, pad_id)
                trainable.backward(loss)
                sums = [a + b for a, b in zip(sums, stats, strict=True)]
            lr = trainable.lr()  # the rate this step uses (lr() after step() is the next one's)
            grad_norm = trainable.step()
            step, batches_done = step + 1, batches_done + opt.grad_accum
            metrics = _metrics(all_sum(sums))
            metrics.update({"lr": lr, "grad_norm": grad_norm, "epoch": epoch,
                            "pairs_per_s": metrics.pop("pairs") / (time.perf_counter() - started)})  # fmt: skip
            if rank == 0:
                data_log.append({"step": step, "epoch": epoch, "ids": [r["id"] for b in group for r in b]})
            logger.log(step, metrics)
            last = step == run.total_steps
            if step % cfg.eval.every == 0 or last:
                logger.log(
                    step, evaluate(trainable, world * opt.micro_batch_size, reference, cfg.beta, pad_id), report=False
                )
            if step % cfg.checkpoint.every == 0 or last:
                progress = {"step": step, "epoch": epoch, "batches_done": batches_done, "world_size": world,
                            "wandb_id": logger.wandb_id, "reference": reference}  # fmt: skip
                save_checkpoint(trainable, tokenizer, progress, logger.records, data_log, "dpo loss")
        epoch, batches_done = epoch + 1, 0
    logger.finish()


def precomputes(cfg: DPOConfig, run: WorkerRun) -> bool:
    """Whether the reference log-probs are computed before training (precompute_ref, or its automatic choice).

    Automatic: yes for full fine-tuning (there is no adapter to switch off, so it is the only way) and for a
    run that sees its pairs more than once (more than one epoch); otherwise no: with LoRA each step computes
    the reference of its own pairs with the adapter off, once per pair, the same work without the wait.
    """
    if cfg.precompute_ref is not None:
        return cfg.precompute_ref
    return not cfg.lora.enabled or run.total_steps > run.steps_per_epoch


def _planned_batches(train, run: WorkerRun, opt, world: int, seed: int):
    """The global batches of pairs the run will train on (the step loop's, in its order, whole groups only)."""
    steps_left = run.total_steps
    for epoch in range(opt.epochs):
        take = min(steps_left, run.steps_per_epoch) * opt.grad_accum
        if take == 0:
            return
        batches = global_batches(train, world * opt.micro_batch_size, epoch, seed)
        for _, batch in zip(range(take), batches, strict=False):
            yield batch
        steps_left -= take // opt.grad_accum


def pair_key(row: dict) -> str:
    return f"{row['id']}:{len(row['chosen_input_ids'])}:{len(row['rejected_input_ids'])}"


def _collate_pairs(rows: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """chosen rows then rejected rows, in one right-padded batch (one forward for both)."""
    import ray.train.torch

    examples = [
        {"input_ids": r[f"{side}_input_ids"], "labels": r[f"{side}_labels"]}
        for side in ("chosen", "rejected")
        for r in rows
    ]
    batch = collate_padded(examples, pad_id)
    return {k: v.to(ray.train.torch.get_device()) for k, v in batch.items()}


def _logprobs(model, batch: dict) -> torch.Tensor:
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return sequence_logprobs(logits, batch["labels"])[0]


def pair_loss(trainable, rows: list[dict], reference: dict, beta: float, pad_id: int):
    """(loss to backward, [loss*n, chosen*n, rejected*n, margin*n, correct, n]) for this rank's pairs; the
    reference log-probs come from `reference` when precomputed, else from the model with its adapter off."""
    batch = _collate_pairs(rows, pad_id)
    n = len(rows)
    policy = _logprobs(trainable.model, batch)
    if reference:
        keys = [pair_key(r) for r in rows]
        values = [reference[k][0] for k in keys] + [reference[k][1] for k in keys]
        ref = torch.tensor(values, dtype=policy.dtype, device=policy.device)
    else:
        ref = reference_logprobs(trainable, batch)
    loss, m = dpo_loss(policy[:n], policy[n:], ref[:n], ref[n:], beta)
    stats = [loss.item() * n, m["rewards/chosen"] * n, m["rewards/rejected"] * n, m["rewards/margin"] * n,
             m["rewards/accuracy"] * n, n]  # fmt: skip
    return loss, stats


def _metrics(sums: list[float], prefix: str = "") -> dict:
    loss, chosen, rejected, margin, correct, n = sums
    n = max(n, 1)
    return {f"{prefix}loss": loss / n, f"{prefix}rewards/chosen": chosen / n, f"{prefix}rewards/rejected": rejected / n,
            f"{prefix}rewards/margin": margin / n, f"{prefix}rewards/accuracy": correct / n, "pairs": n}  # fmt: skip


def precompute_reference(trainable, batches, global_rows: int, pad_id: int) -> dict:
    """{pair key: [ref log p(chosen), ref log p(rejected)]} for each distinct pair of `batches()`, shared by all
    ranks. Every rank reads the same batches; each computes its slice of every global batch of distinct pairs,
    and all run the same number of forwards (the weights may be sharded). `batches` is called twice, so that
    the rows are streamed, never all held: once to count the distinct pairs for the progress lines (rank 0
    logs them), once to compute them."""
    rank, world = rank_world()
    total = len({pair_key(row) for batch in batches() for row in batch})
    mine: dict[str, list[float]] = {}
    started, last_log, done = time.perf_counter(), 0.0, 0
    seen: set[str] = set()
    buffer: list[dict] = []
    trainable.model.eval()

    def forward(rows: list[dict]) -> None:
        nonlocal done, last_log
        part = rows[rank::world] or rows[:1]
        ref = reference_logprobs(trainable, _collate_pairs(part, pad_id))
        for i, row in enumerate(part):
            mine[pair_key(row)] = [ref[i].item(), ref[len(part) + i].item()]
        done, elapsed = done + len(rows), time.perf_counter() - started
        if rank == 0 and (elapsed - last_log >= 30 or done == total):
            rate = done / elapsed
            log.info(f"dpo reference log-probs: {done}/{total} pairs, {rate:.2f}/s, "
                     f"eta {(total - done) / rate:.0f} s")  # fmt: skip
            last_log = elapsed

    for batch in batches():
        for row in batch:
            if pair_key(row) not in seen:
                seen.add(pair_key(row))
                buffer.append(row)
                if len(buffer) == global_rows:
                    forward(buffer)
                    buffer = []
    if buffer:
        forward(buffer)
    trainable.model.train()
    if world == 1:
        return mine
    gathered: list[dict] = [{} for _ in range(world)]
    dist.all_gather_object(gathered, mine)
    return {k: v for part in gathered for k, v in part.items()}


def reference_logprobs(trainable, batch: dict) -> torch.Tensor:
    """Reference log-probs of a collated pair batch (no grad, eval mode): the adapter switched off; with no
    adapter (full fine-tuning, whose reference is only ever precomputed before the first step) the model."""
    if hasattr(trainable.inner, "disable_adapter"):
        return ref_logprobs_with_adapter_disabled(trainable.inner, batch)
    with torch.no_grad():
        return _logprobs(trainable.model, batch)


def _plain_batches(shard, global_rows: int = 256):
    """A dataset shard's rows in batches (nothing when there is no such dataset)."""
    if shard is None:
        return
    for batch in shard.iter_batches(batch_size=global_rows, batch_format="numpy"):
        yield batch_rows(batch)


def evaluate(trainable, global_rows: int, reference: dict, beta: float, pad_id: int) -> dict:
    """Held-out preference accuracy, margin and loss (the eval pairs' reference is precomputed or adapter-off)."""
    rank, world = rank_world()
    shard = dataset_shard("eval")
    if shard is None:
        return {}
    sums = [0.0] * 6
    trainable.model.eval()
    with torch.no_grad():
        for rows in _plain_batches(shard, global_rows):
            part = rows[rank::world]
            if not part:  # keep the collective forward count equal; contributes nothing
                part, weight = rows[:1], 0.0
            else:
                weight = 1.0
            _, stats = pair_loss(trainable, part, reference, beta, pad_id)
            sums = [a + weight * b for a, b in zip(sums, stats, strict=True)]
    trainable.model.train()
    totals = all_sum(sums)
    if totals[-1] == 0:  # none split off, or none fits: say so instead of reporting a loss of 0
        if rank == 0:
            log.warning("dpo: no held-out pairs (none split off, or none fits train.seq_len): no held-out metrics")
        return {}
    metrics = _metrics(totals, "eval/")
    metrics.pop("pairs")
    return metrics
