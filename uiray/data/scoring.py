"""Browser scoring of a dataset's answers (RewardScorer actors, plus the rubric judge when it is on), shared by
the data stage's selection (uiray/data/pipeline.py) and its pair verification (uiray/data/pairs.py)."""

from __future__ import annotations

from pathlib import Path

from uiray.config import DataConfig

SHUFFLE_PARTITIONS = 8
"""Partitions of the data stage's small group-bys (categories, prompts); Ray's default of 200 is for big shuffles."""


def score_answers(ds, cfg: DataConfig, response_column: str):
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
        batch_format="pyarrow",
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
    return scored.map(score_row(rubric.weight if rubric.judge.enabled else 0.0))


def score_row(rubric_weight: float):
    """score = reward, or (1 - w) * reward + w * rubric when the rubric judge ran for the row."""

    def add(row: dict) -> dict:
        rubric = row.get("rubric_score")
        blended = rubric is not None and rubric == rubric and rubric_weight > 0  # NaN: not scored
        row["score"] = (1 - rubric_weight) * row["reward"] + rubric_weight * rubric if blended else float(row["reward"])
        return row

    return add
