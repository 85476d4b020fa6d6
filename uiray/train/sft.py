"""`uiray sft` (and continued pre-training), top to bottom: the driver (run_sft), then the loop every Ray Train
worker runs (sft_worker). The Ray Trainer wiring is uiray/train/trainer.py.

    run_sft: rows -> held-out split -> tokenized, length-checked, ordered by hash, packed -> trainer.fit
    sft_worker: AdamW + cosine schedule, sharded by the strategy -> resume? -> for each step:
        grad_accum global batches -> my slice -> forward/backward -> optimizer step
        -> log (loss, accuracies, tokens/s, lr, grad norm) -> eval every N -> checkpoint every M

Loss normalisation: every worker sees the whole global batch (uiray/train/data.py), so each knows how many
labelled tokens the optimizer step holds in total (N) before its first forward. Each micro-batch's loss is
its summed token loss / N, scaled by world * grad_accum because the strategies average gradients over
ranks and micro-batches. The step's gradient is then exactly the mean over all its labelled tokens, however
unevenly the tokens fall on micro-batches and ranks (a per-micro-batch mean would weight a short sample's
tokens more than a long one's).
"""

from __future__ import annotations

import logging
import time
from functools import partial

import torch
import torch.nn.functional as F

from uiray.config import SFTConfig
from uiray.train.data import batch_rows, dataset_shard, global_batches, rank_slice
from uiray.train.loop import Logger, all_sum, rank_world, save_checkpoint, start_worker
from uiray.train.metrics import Counts, critical_token_accuracy, critical_token_mask, token_accuracy
from uiray.train.optim import adamw, cosine_schedule
from uiray.train.packing import collate_packed, collate_padded
from uiray.train.tokenize import IGNORE
from uiray.train.trainer import WorkerRun, fit, prepare

log = logging.getLogger("uiray.train")


def run_sft(cfg: SFTConfig) -> dict:
    """`uiray sft`: the driver. Rows -> held-out split -> tokenized, length-checked, ordered, packed -> fit."""
    from uiray.train.data import PACK_BUFFER, encode_sft, fit_to_length, held_out, ordered, pack_rows, read_rows

    cfg, tokenizer_path = prepare(cfg)
    rows = read_rows(cfg.train_data, "sft", cfg.mode)
    train, held = held_out(rows, 0 if cfg.eval_data else cfg.eval_fraction, cfg.seed)
    if cfg.eval_data:
        held = read_rows(cfg.eval_data, "sft", cfg.mode)
    if cfg.mix_data:
        train = _mixed(train, read_rows(cfg.mix_data, "sft"), cfg.mix_ratio, cfg.seed)
    encode = encode_sft(tokenizer_path, cfg.mode, cfg.system_prompt, cfg.train.seq_len)
    pack = pack_rows(cfg.train.seq_len, cfg.packing)
    seq_len, policy = cfg.train.seq_len, cfg.train.too_long
    encoded, lengths = fit_to_length(train.map_batches(encode, batch_size=64), seq_len, policy, "train")
    datasets = {"train": ordered(encoded, cfg.seed).map_batches(pack, batch_size=PACK_BUFFER)}
    report = {"lengths": {"train": lengths}}
    prompts = []
    if held is not None:
        encoded, report["lengths"]["eval"] = fit_to_length(held.map_batches(encode, batch_size=64), seq_len, policy,
                                                           "eval")  # fmt: skip
        datasets["eval"] = encoded.map_batches(pack, batch_size=PACK_BUFFER)
        if cfg.eval.generations and cfg.mode == "chat":
            prompts = [{"system": r["system"] or cfg.system_prompt, "prompt": r["prompt"]}
                       for r in held.take(cfg.eval.generations)]  # fmt: skip
    return fit(cfg, sft_worker, datasets, "sft", report, eval_prompts=prompts)


def _mixed(train, general, ratio: float, seed: int):
    """train + up to ratio x len(train) rows of general chat data (chosen by id hash, so the same each run)."""
    from uiray.train.data import ordered

    wanted = int(train.count() * ratio)
    log.info(f"mixing in up to {wanted} general rows (mix_ratio={ratio})")
    return train.union(ordered(general, seed + 7).limit(wanted))


def sft_worker(config: dict) -> None:
    """Ray Train entry point: config is {"run": WorkerRun}."""
    import ray.train

    run: WorkerRun = config["run"]
    cfg: SFTConfig = run.cfg
    opt = cfg.train
    optimizer = adamw(opt.lr, opt.weight_decay, opt.betas, cpu_offload=cfg.scaling.cpu_offload)
    schedule = cosine_schedule(run.total_steps, opt.warmup_ratio)
    rank, world, trainable, tokenizer, pad_id, state = start_worker(cfg, run, optimizer, schedule)
    logger = Logger(cfg, run.total_steps, state, rank, "sft")
    data_log: list[dict] = list(state.get("data_log", []))
    step, epoch, batches_done = state.get("step", 0), state.get("epoch", 0), state.get("batches_done", 0)
    micro_rows = world * opt.micro_batch_size
    train = ray.train.get_dataset_shard("train")
    collate = partial(collate_rows, pad_id=pad_id, packed=cfg.packing, trainable=trainable)
    if step == 0:  # the baseline every later evaluation is compared with
        logger.log(0, evaluate(cfg, trainable, tokenizer, run.eval_prompts, pad_id), report=False)
    trainable.model.train()

    while step < run.total_steps and epoch < opt.epochs:
        batches = global_batches(train, micro_rows, epoch, cfg.seed, skip=batches_done)
        while step < run.total_steps:
            group = [b for _, b in zip(range(opt.grad_accum), batches, strict=False)]
            if len(group) < opt.grad_accum:
                break  # the epoch's tail (fewer batches than one step) is not trained; same in every run
            started = time.perf_counter()
            sums = train_step(trainable, group, rank, world, opt.grad_accum, collate, tokenizer)
            lr = trainable.lr()  # the rate this step uses (lr() after step() is the next one's)
            grad_norm = trainable.step()
            step, batches_done = step + 1, batches_done + opt.grad_accum
            elapsed = time.perf_counter() - started
            metrics = _step_metrics(sums, elapsed, lr, grad_norm, epoch)
            if rank == 0:
                data_log.append(
                    {"step": step, "epoch": epoch, "ids": [i for b in group for r in b for i in r["sample_ids"]]}
                )
            logger.log(step, metrics)
            last = step == run.total_steps
            if step % cfg.eval.every == 0 or last:
                logger.log(step, evaluate(cfg, trainable, tokenizer, run.eval_prompts, pad_id), report=False)
            if step % cfg.checkpoint.every == 0 or last:
                progress = {"step": step, "epoch": epoch, "batches_done": batches_done, "world_size": world,
                            "wandb_id": logger.wandb_id}  # fmt: skip
                save_checkpoint(trainable, tokenizer, progress, logger.records, data_log, "sft loss")
        epoch, batches_done = epoch + 1, 0
    logger.finish()


def train_step(trainable, group, rank, world, grad_accum, collate, tokenizer) -> list[float]:
    """Forward/backward over this rank's slices of one step's global batches; returns summed statistics.

    collate: rows -> a batch on the worker's device (collate_rows). The gradient the strategy holds after
    this is that of the mean token loss over the whole step (module docstring); trainable.step() applies it.
    """
    labelled = sum(int((torch.as_tensor(r["labels"][1:]) != IGNORE).sum()) for b in group for r in b)
    loss_sum, acc, crit, tokens = 0.0, Counts(0, 0), Counts(0, 0), 0
    for global_batch in group:
        rows = rank_slice(global_batch, rank, world)
        batch = collate(rows)
        logits = trainable.model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        token_loss = _token_loss_sum(logits, batch["labels"])
        trainable.backward(token_loss / max(labelled, 1) * world * grad_accum)
        with torch.no_grad():
            labels = batch["labels"]
            loss_sum += float(token_loss)
            acc = _add(acc, token_accuracy(logits, labels))
            crit = _add(
                crit, critical_token_accuracy(logits, labels, critical_token_mask(tokenizer, batch["input_ids"].cpu()))
            )
            tokens += sum(len(r["input_ids"]) for r in rows)
    return all_sum([loss_sum, labelled / world, *acc, *crit, tokens])


def collate_rows(rows, pad_id: int, packed: bool, trainable, device: torch.device | None = None) -> dict:
    """Packed (block-diagonal mask in the model's dtype) or padded batch, on `device` (default: the worker's)."""
    if device is None:
        import ray.train.torch

        device = ray.train.torch.get_device()
    if packed:
        dtype = trainable.inner.get_input_embeddings().weight.dtype
        batch = collate_packed(rows, pad_id, mask_dtype=dtype if dtype.is_floating_point else torch.float32)
    else:
        batch = collate_padded(rows, pad_id)
    return {k: v.to(device) for k, v in batch.items()}


def _token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy over labelled positions (float32: bf16 sums drift)."""
    return F.cross_entropy(
        logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(), ignore_index=IGNORE, reduction="sum"
    )


def _add(a: Counts, b: Counts) -> Counts:
    return Counts(a.correct + b.correct, a.total + b.total)


def _step_metrics(sums: list[float], elapsed: float, lr: float, grad_norm: float, epoch: int) -> dict:
    loss_sum, labelled, correct, total, crit_correct, crit_total, tokens = sums
    loss = loss_sum / max(labelled, 1)
    return {
        "loss": loss,
        "perplexity": float(torch.tensor(loss).clamp(max=50).exp()),
        "token_acc": Counts(int(correct), int(total)).rate,
        "critical_token_acc": Counts(int(crit_correct), int(crit_total)).rate,
        "tokens_per_s": tokens / elapsed,
        "lr": lr,
        "grad_norm": grad_norm,
        "epoch": epoch,
    }


def evaluate(cfg: SFTConfig, trainable, tokenizer, prompts: list[dict], pad_id: int) -> dict:
    """Validation loss/accuracy on the held-out set (all ranks share the work), then sampled generations."""
    rank, world = rank_world()
    shard = dataset_shard("eval")
    metrics: dict = {}
    trainable.model.eval()
    with torch.no_grad():
        if shard is not None:
            sums = [0.0] * 4
            for batch in shard.iter_batches(batch_size=world * cfg.train.micro_batch_size, batch_format="numpy"):
                rows = batch_rows(batch)
                mine = rows[rank::world] or [_ignored(rows[0])]  # every rank runs a forward (sharded params)
                collated = collate_rows(mine, pad_id, cfg.packing, trainable)
                logits = trainable.model(**{k: v for k, v in collated.items() if k != "labels"}).logits
                counts = token_accuracy(logits, collated["labels"])
                sums = [
                    s + v
                    for s, v in zip(
                        sums,
                        [float(_token_loss_sum(logits, collated["labels"])), counts.total, counts.correct, 0],
                        strict=True,
                    )
                ]
            loss_sum, total, correct, _ = all_sum(sums)
            metrics.update(
                {"eval/loss": loss_sum / max(total, 1), "eval/token_acc": Counts(int(correct), int(total)).rate}
            )
        if prompts:
            from uiray.train.samples import score_samples

            metrics.update(score_samples(trainable, tokenizer, prompts, cfg.eval, rank))
    trainable.model.train()
    return metrics


def _ignored(row: dict) -> dict:
    return {**row, "labels": [IGNORE] * len(row["labels"])}
