"""`uiray data`: a raw corpus in, the SFT set, the DPO pair set and the RL prompt set out, on Ray Data.

    read + normalise ──► quarantine/            (no known format, empty, bad UTF-8 / JSON)
         │ validate ──► filtered/              (no page, truncated, skeleton, length window)
         │ dedup    ──► duplicates/            (exact hash, then MinHash LSH; one representative kept)
         │ score    ──► filtered/              (render gate failed, below min_score, over quota)
         ▼
      selected SFT rows ──► sft/  (and rl_fraction of the prompts, held out, ──► rl/)
                        ──► perturbed, re-scored, verified pairs ──► dpo/
      input preference rows ──► dpo/;   input RL prompts ──► rl/ (filtered/ if also an SFT prompt)
      input documents (`text`) ──► text/

Every input row ends in exactly one of sft/, rl/, dpo/ (input pairs), text/, duplicates/, filtered/ or
quarantine/, so the counts add up: rows in = kept + duplicates + filtered + quarantined (stats.json
checks it). DPO pairs built from SFT rows are derived data and counted separately.

The stage materialises after validation, dedup and scoring (each is read several times below); on a
cluster those blocks live in the object store and spill to disk when it is full.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from uiray.config import ConfigError, DataConfig, save_config
from uiray.data.scoring import SHUFFLE_PARTITIONS, score_answers
from uiray.data.split import split_key

log = logging.getLogger("uiray.data")


def _schema(**fields: str):
    """An Arrow schema from name=type pairs ('str', 'float', 'int'); every field nullable."""
    import pyarrow as pa

    types = {"str": pa.string(), "float": pa.float64(), "int": pa.int64()}
    return pa.schema([(name, types[kind]) for name, kind in fields.items()])


S, F, I = "str", "float", "int"  # noqa: E741 - column types of the output schemas below
# The columns and types of every output: missing values are nulls of the column's type, whatever the inputs
# held (a corpus without a `system` column still writes a string column of nulls, never NaN floats).
SFT_SCHEMA = _schema(id=S, prompt=S, system=S, completion=S, html=S, category=S, checklist=S, score=F,
                     reward_components=S, tokens=I, source=S)  # fmt: skip
RL_SCHEMA = _schema(id=S, prompt=S, system=S, checklist=S, reference=S, category=S, source=S)
DPO_SCHEMA = _schema(id=S, prompt=S, system=S, chosen=S, rejected=S, chosen_score=F, rejected_score=F,
                     pair_source=S, perturbation=S, severity=I, source=S)  # fmt: skip
TEXT_SCHEMA = _schema(id=S, text=S, source=S)
QUARANTINE_SCHEMA = _schema(id=S, source=S, quarantine=S, raw=S)
FILTERED_SCHEMA = _schema(id=S, source=S, kind=S, prompt=S, filtered=S)
DUPLICATES_SCHEMA = _schema(id=S, source=S, kind=S, dup_of=S, dup_kind=S)
SCORED_SCHEMA = _schema(id=S, kind=S, prompt=S, system=S, completion=S, html=S, category=S, checklist=S,
                        reference=S, tokens=I, source=S, reward=F, reward_components=S, reward_error=S,
                        score=F, filtered=S)  # fmt: skip
"""What scoring adds to SFT rows (the empty stand-in when no row needs scoring)."""


def run_data_stage(cfg: DataConfig) -> dict:
    """Run the whole stage; returns the stats also written to output_dir/stats.json."""
    import ray

    from uiray.cluster import init_ray
    from uiray.data.dedup import dedup
    from uiray.data.reading import plan_inputs, read_inputs
    from uiray.data.validate import Validator
    from uiray.models import resolve_model

    started = time.time()
    files = plan_inputs(cfg)  # a missing path or no data at all fails here, before any work
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out)
    init_ray(cfg.ray)
    if ray.cluster_resources().get("render", 0) < 1:
        raise ConfigError(
            "no node of this Ray cluster offers the `render` resource the browser actors need: start nodes "
            "with `ray start ... --resources='{\"render\": 2}'` (cluster.yaml's CPU workers have it)"
        )

    log.info(f"1/5 reading {', '.join(cfg.inputs)}")
    if files.skipped:
        log.info(f"skipping {len(files.skipped)} files that are not jsonl/json/parquet: {', '.join(files.skipped[:5])}")
    rows = read_inputs(cfg, files)
    log.info("2/5 validating answers (page, completeness, length in tokens)")
    rows = rows.map_batches(
        Validator,
        fn_constructor_kwargs={
            "model_path": resolve_model(cfg.model.name),
            "min_tokens": cfg.min_tokens,
            "max_tokens": cfg.max_tokens,
        },  # fmt: skip
        batch_format="pyarrow",
        batch_size=256,
        concurrency=1,
    ).materialize()
    quarantine = rows.filter(lambda r: r["quarantine"] is not None)
    rejected = rows.filter(lambda r: r["quarantine"] is None and r["filtered"] is not None)
    valid = rows.filter(lambda r: r["quarantine"] is None and r["filtered"] is None).map(_with_dedup_text)

    log.info("3/5 removing exact and near duplicates")
    deduped = dedup(valid, cfg.dedup, text_column="dedup_text", id_column="id", score_column="pre_score")
    kept = deduped.kept.materialize()

    log.info("4/5 scoring SFT answers in the browser (render, probe, axe, checklist)")
    answers = kept.filter(lambda r: r["kind"] == "sft").materialize()
    if answers.count():
        scored = score_answers(answers, cfg, response_column="completion").materialize()
        selected, unselected = _select(scored, cfg)
    else:  # nothing to score (only pairs, RL prompts or documents came in)
        scored = selected = unselected = _empty(SCORED_SCHEMA)
    held_out = _rl_split(cfg.rl_fraction)
    sft = selected.filter(lambda r: not held_out(r["prompt"])).materialize()
    rl = selected.filter(lambda r: held_out(r["prompt"])).map(_as_rl_prompt)
    rl_in, rl_seen = _unseen_rl_prompts(kept.filter(lambda r: r["kind"] == "rl"), sft)

    log.info("5/5 building preference pairs (perturb, re-score, verify)")
    pairs = _pairs(sft, scored, kept.filter(lambda r: r["kind"] == "pref"), cfg)

    outputs = {
        "sft": _typed(SFT_SCHEMA, sft),
        "rl": _typed(RL_SCHEMA, rl, rl_in),
        "dpo": pairs,
        "text": _typed(TEXT_SCHEMA, kept.filter(lambda r: r["kind"] == "text")),
        "quarantine": _typed(QUARANTINE_SCHEMA, quarantine),
        "filtered": _typed(FILTERED_SCHEMA, rejected, unselected, rl_seen),
        "duplicates": _typed(DUPLICATES_SCHEMA, deduped.duplicates),
    }
    counts = {name: _write(ds, out / name, cfg.output_format) for name, ds in outputs.items()}
    stats = _stats(cfg, rows, counts, outputs, scored, deduped.stats, time.time() - started)
    stats["skipped_files"] = files.skipped
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    from uiray.data.report import write_report

    write_report(out / "report.md", stats)
    log.info(f"done in {stats['seconds']:.0f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return stats


def _with_dedup_text(row: dict) -> dict:
    """What makes two rows duplicates: the page for SFT rows, prompt + chosen for pairs, the prompt for RL,
    the document for text rows."""
    if row["kind"] == "sft":
        row["dedup_text"] = row["html"] or row["completion"]
    elif row["kind"] == "pref":
        row["dedup_text"] = f"{row['prompt']}\n{row['chosen']}"
    elif row["kind"] == "text":
        row["dedup_text"] = row["text"]
    else:
        row["dedup_text"] = row["prompt"]
    return row


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
    """A stable coin per prompt: the same prompts go to rl/ on every run and machine, and all answers of a
    prompt go the same way (a prompt in rl/ is never trained on in sft/)."""
    return lambda prompt: split_key(prompt, 0) < fraction


def _unseen_rl_prompts(rl_rows, sft):
    """(input RL prompts not in sft/, the others marked filtered); (None, None) when there are none."""
    if rl_rows.count() == 0:
        return None, None
    trained = {_prompt_key(r["prompt"]) for r in sft.select_columns(["prompt"]).iter_rows()} if sft.count() else set()

    def mark(row: dict) -> dict:
        seen = _prompt_key(row["prompt"]) in trained
        return {**row, "filtered": "rl prompt is also an sft/ prompt" if seen else None}

    marked = rl_rows.map(mark).materialize()
    return marked.filter(lambda r: r["filtered"] is None), marked.filter(lambda r: r["filtered"] is not None)


def _prompt_key(prompt: str) -> bytes:
    return hashlib.blake2b(prompt.encode(), digest_size=16).digest()


def _as_rl_prompt(row: dict) -> dict:
    return {**row, "reference": row["html"], "kind": "rl"}


def _pairs(sft, scored, input_pairs, cfg: DataConfig):
    """Perturbation pairs of the SFT rows, group pairs, input pairs: one dataset in DPO_SCHEMA."""
    from uiray.data.pairs import group_pairs, input_pair_rows, perturbation_pairs

    made = []
    if sft.count():
        made.append(perturbation_pairs(sft, cfg))
    if cfg.pairs.from_groups and scored.count():
        made.append(group_pairs(scored, cfg))
    if input_pairs.count():
        made.append(input_pairs.map(input_pair_rows))
    return _typed(DPO_SCHEMA, *made)


def _typed(schema, *datasets):
    """The rows of `datasets` (None: left out) in `schema` (columns picked, cast, missing ones null), materialized."""

    def cast(batch):
        import pyarrow as pa

        def column(f):
            values = batch.column(f.name) if f.name in batch.column_names else None
            # Ray builds a column that a block holds no value of as null (numpy batches: NaN floats)
            if (
                values is None
                or pa.types.is_null(values.type)
                or values.null_count == len(values)
                or (pa.types.is_string(f.type) and pa.types.is_floating(values.type))
            ):
                return pa.nulls(len(batch), f.type)
            return values.cast(f.type)

        return pa.Table.from_arrays([column(f) for f in schema], schema=schema)

    parts = [ds.map_batches(cast, batch_format="pyarrow", batch_size=None) for ds in datasets if ds is not None]
    typed = _union(*parts).materialize() if parts else None
    return typed if typed is not None and typed.count() else _empty(schema)


def _union(*datasets):
    datasets = [ds for ds in datasets if ds is not None]
    return datasets[0].union(*datasets[1:]) if len(datasets) > 1 else datasets[0]


def _empty(schema):
    import ray

    return ray.data.from_arrow(schema.empty_table())


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
    input_pairs = outputs["dpo"].filter(lambda r: r["pair_source"] == "input").count()
    kept = counts["sft"] + counts["rl"] + counts["text"] + input_pairs
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
