"""`uiray data`: a raw corpus in, the SFT set, the DPO pair set and the RL prompt set out, on Ray Data.

    read + normalise ──► quarantine/            (no known format, empty, bad UTF-8 / JSON)
         │ validate ──► filtered/              (no page, truncated, skeleton, length window)
         │ dedup    ──► duplicates/            (exact hash, then MinHash LSH; one representative kept)
         │ score    ──► filtered/              (render gate failed, below min_score, over quota)
         ▼
      selected SFT rows ──► sft/  (and rl_fraction of the prompts, held out, ──► rl/)
                        ──► perturbed, re-scored, verified pairs ──► dpo/
      input preference rows ──► dpo/;   input RL prompts ──► rl/

Every input row ends in exactly one of sft/, rl/, dpo/ (input pairs), duplicates/, filtered/ or
quarantine/, so the counts add up: rows in = kept + duplicates + filtered + quarantined (stats.json
checks it). DPO pairs built from SFT rows are derived data and counted separately.

The stage materialises after validation, dedup and scoring (each is read several times below); on a
cluster those blocks live in the object store and spill to disk when it is full.
"""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path

from uiray.config import ConfigError, DataConfig, save_config

SFT_COLUMNS = ["id", "prompt", "system", "completion", "html", "category", "checklist", "score",
               "reward_components", "tokens", "source"]  # fmt: skip
RL_COLUMNS = ["id", "prompt", "system", "checklist", "reference", "category", "source"]
SHUFFLE_PARTITIONS = 8
"""Partitions of the small group-bys here (categories, prompts); Ray's default of 200 is for big shuffles."""
DPO_COLUMNS = ["id", "prompt", "system", "chosen", "rejected", "chosen_score", "rejected_score", "pair_source",
               "perturbation", "severity", "source"]  # fmt: skip


def log(message: str) -> None:
    print(f"[uiray data] {message}", flush=True)


def run_data_stage(cfg: DataConfig) -> dict:
    """Run the whole stage; returns the stats also written to output_dir/stats.json."""
    import ray

    from uiray.cluster import init_ray
    from uiray.data.dedup import dedup
    from uiray.data.reading import read_inputs
    from uiray.data.validate import Validator
    from uiray.models import resolve_model

    started = time.time()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out)
    init_ray(cfg.ray)
    if ray.cluster_resources().get("render", 0) < 1:
        raise ConfigError(
            "no node of this Ray cluster offers the `render` resource the browser actors need: start nodes "
            "with `ray start ... --resources='{\"render\": 2}'` (cluster.yaml's CPU workers have it)"
        )

    log(f"1/5 reading {', '.join(cfg.inputs)}")
    rows = read_inputs(cfg)
    log("2/5 validating answers (page, completeness, length in tokens)")
    rows = rows.map_batches(
        Validator,
        fn_constructor_kwargs={
            "model_path": resolve_model(cfg.model.name),
            "min_tokens": cfg.min_tokens,
            "max_tokens": cfg.max_tokens,
        },  # fmt: skip
        batch_format="pandas",
        batch_size=256,
        concurrency=1,
    ).materialize()
    quarantine = rows.filter(lambda r: r["quarantine"] is not None)
    rejected = rows.filter(lambda r: r["quarantine"] is None and r["filtered"] is not None)
    valid = rows.filter(lambda r: r["quarantine"] is None and r["filtered"] is None).map(_with_dedup_text)

    log("3/5 removing exact and near duplicates")
    deduped = dedup(valid, cfg.dedup, text_column="dedup_text", id_column="id", score_column="pre_score")
    kept = deduped.kept.materialize()

    log("4/5 scoring SFT answers in the browser (render, probe, axe, checklist)")
    scored = _score(kept.filter(lambda r: r["kind"] == "sft"), cfg, response_column="completion").materialize()
    selected, unselected = _select(scored, cfg)
    held_out = _rl_split(cfg.rl_fraction)
    sft = selected.filter(lambda r: not held_out(r["id"]))
    rl = selected.filter(lambda r: held_out(r["id"])).map(_as_rl_prompt)
    rl = rl.union(kept.filter(lambda r: r["kind"] == "rl"))

    log("5/5 building preference pairs (perturb, re-score, verify)")
    pairs = _pairs(sft.materialize(), scored, kept.filter(lambda r: r["kind"] == "pref"), cfg)

    outputs = {
        "sft": sft.select_columns(SFT_COLUMNS),
        "rl": rl.select_columns(RL_COLUMNS),
        "dpo": pairs.select_columns(DPO_COLUMNS),
        "quarantine": quarantine.select_columns(["id", "source", "quarantine", "raw"]),
        "filtered": rejected.union(unselected).select_columns(["id", "source", "kind", "prompt", "filtered"]),
        "duplicates": deduped.duplicates.select_columns(["id", "source", "kind", "dup_of", "dup_kind"]),
    }
    outputs = {name: ds.materialize() for name, ds in outputs.items()}  # stats read them again below
    counts = {name: _write(ds, out / name, cfg.output_format) for name, ds in outputs.items()}
    stats = _stats(cfg, rows, counts, outputs, scored, deduped.stats, time.time() - started)
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    from uiray.data.report import write_report

    write_report(out / "report.md", stats)
    log(f"done in {stats['seconds']:.0f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return stats


def _with_dedup_text(row: dict) -> dict:
    """What makes two rows duplicates: the page for SFT rows, prompt + chosen for pairs, the prompt for RL."""
    if row["kind"] == "sft":
        row["dedup_text"] = row["html"] or row["completion"]
    elif row["kind"] == "pref":
        row["dedup_text"] = f"{row['prompt']}\n{row['chosen']}"
    else:
        row["dedup_text"] = row["prompt"]
    return row


def _score(ds, cfg: DataConfig, response_column: str):
    """Add reward columns (RewardScorer in browser actors) and the row's `score`."""
    import ray

    from uiray.reward.actors import ACTOR_OPTIONS_FOR_DATA, RewardScorer

    reward_cfg = cfg.reward.model_copy(update={"probe": cfg.reward.probe and cfg.render_check})
    scored = ds.map_batches(
        RewardScorer,
        fn_constructor_kwargs={
            "cfg": reward_cfg.model_dump(),
            "response_column": response_column,
            "reference_column": None,
        },  # fmt: skip
        batch_size=16,
        compute=ray.data.ActorPoolStrategy(size=cfg.scorers),
        **ACTOR_OPTIONS_FOR_DATA,
    )
    rubric = cfg.rubric
    if rubric.judge.enabled and response_column == "completion":
        from uiray.data.rubric import RubricScorer

        cache = rubric.cache_dir or str(Path(cfg.output_dir) / "rubric_cache")
        scored = scored.map_batches(
            RubricScorer,
            fn_constructor_kwargs={"cfg": rubric.judge.model_dump(), "rubric": rubric.name, "cache_dir": cache},
            batch_size=32,
            concurrency=1,
        )
    return scored.map(_score_row(rubric.weight if rubric.judge.enabled else 0.0))


def _score_row(rubric_weight: float):
    """score = reward, or (1 - w) * reward + w * rubric when the rubric judge ran for the row."""

    def add(row: dict) -> dict:
        rubric = row.get("rubric_score")
        blended = rubric is not None and rubric == rubric and rubric_weight > 0  # NaN: not scored
        row["score"] = (1 - rubric_weight) * row["reward"] + rubric_weight * rubric if blended else float(row["reward"])
        return row

    return add


def _select(scored, cfg: DataConfig):
    """(selected, unselected with `filtered` set): render gate, min_score, per-category quota, top_k."""
    sel = cfg.selection

    def reason(row: dict) -> dict:
        components = json.loads(row["reward_components"] or "{}")
        row["filtered"] = None
        if row["reward_error"]:
            row["filtered"] = f"scoring failed: {row['reward_error'][:80]}"
        elif cfg.render_check and components.get("render", 0.0) < 1.0:
            row["filtered"] = "render: page failed to load cleanly"
        elif row["score"] < sel.min_score:
            row["filtered"] = f"below min_score {sel.min_score:g}"
        return row

    marked = scored.map(reason)
    if sel.per_category is not None:
        marked = marked.groupby("category", num_partitions=SHUFFLE_PARTITIONS).map_groups(
            _quota(sel.per_category), batch_format="pandas"
        )
    if sel.top_k is not None:
        marked = _top_k(marked.materialize(), sel.top_k)
    marked = marked.materialize()
    return marked.filter(lambda r: r["filtered"] is None), marked.filter(lambda r: r["filtered"] is not None)


def _quota(limit: int):
    def mark(group):
        order = group["score"].rank(method="first", ascending=False)
        over = group["filtered"].isna() & (order > limit)
        group.loc[over, "filtered"] = f"over per_category quota {limit}"
        return group

    return mark


def _top_k(ds, k: int):
    passing = ds.filter(lambda r: r["filtered"] is None).sort("score", descending=True)
    n = passing.count()
    if n <= k:
        return ds
    best, rest = passing.split_at_indices([k])
    rest = rest.map(lambda r: {**r, "filtered": f"not in top_k {k}"})
    return best.union(rest).union(ds.filter(lambda r: r["filtered"] is not None))


def _rl_split(fraction: float):
    """A stable coin per id: the same rows go to rl/ on every run and machine."""
    cut = int(fraction * 10_000)
    return lambda row_id: zlib.crc32(row_id.encode()) % 10_000 < cut


def _as_rl_prompt(row: dict) -> dict:
    return {**row, "reference": row["html"], "kind": "rl"}


def _pairs(sft, scored, input_pairs, cfg: DataConfig):
    from uiray.data.pairs import group_pairs, input_pair_rows, perturbation_pairs

    made = perturbation_pairs(sft, cfg)
    if cfg.pairs.from_groups:
        made = made.union(group_pairs(scored, cfg))
    return made.union(input_pairs.map(input_pair_rows))


def _write(ds, path: Path, fmt: str) -> int:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    n = ds.count()
    if n and fmt in ("parquet", "both"):
        ds.write_parquet(str(path))
    if n and fmt in ("jsonl", "both"):
        ds.write_json(str(path))
    path.mkdir(parents=True, exist_ok=True)
    return n


def _stats(cfg, rows, counts, outputs, scored, dedup_stats, seconds) -> dict:
    rows_in = rows.count()
    kept = counts["sft"] + counts["rl"] + outputs["dpo"].filter(lambda r: r["pair_source"] == "input").count()
    accounted = kept + counts["duplicates"] + counts["filtered"] + counts["quarantine"]
    reasons = _reason_counts(outputs["filtered"], "filtered") | _reason_counts(outputs["quarantine"], "quarantine")
    scores = [r["score"] for r in scored.select_columns(["score"]).take_all()]
    pair_sources = _reason_counts(outputs["dpo"], "pair_source")
    perturbations = _reason_counts(outputs["dpo"].filter(lambda r: r["perturbation"] is not None), "perturbation")
    return {
        "rows_in": rows_in,
        "kept": kept,
        "duplicates": counts["duplicates"],
        "filtered": counts["filtered"],
        "quarantined": counts["quarantine"],
        "counts_add_up": accounted == rows_in,
        "outputs": counts,
        "reasons": reasons,
        "dedup": dedup_stats,
        "score_histogram": _histogram(scores),
        "score_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "dpo_pairs": {"by_source": pair_sources, "by_perturbation": perturbations},
        "output_dir": cfg.output_dir,
        "seconds": round(seconds, 1),
    }


def _histogram(scores: list[float], bins: int = 10) -> dict[str, int]:
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, int(score * bins))] += 1
    return {f"{i / bins:.1f}-{(i + 1) / bins:.1f}": n for i, n in enumerate(counts)}


def _reason_counts(ds, column: str) -> dict[str, int]:
    if ds.count() == 0:
        return {}
    keys = ds.map(lambda r: {"key": _reason_kind(str(r[column]))})
    groups = keys.groupby("key", num_partitions=SHUFFLE_PARTITIONS).count().take_all()
    return {g["key"]: g["count()"] for g in sorted(groups, key=lambda g: -g["count()"])}


def _reason_kind(reason: str) -> str:
    """Group reasons by kind ('too short (12 < 64 tokens)' -> 'too short')."""
    return reason.split(":", 1)[0].split(" (", 1)[0]
