"""Preference pairs without humans: perturbed answers verified by the reward, and best-vs-worst groups.

Perturbation pairs (Dojo's method): for each selected SFT row (chosen), up to `pairs.per_row`
perturbations of its page are drawn, spread over severities (mild before severe, so pairs are graded,
not only trivially broken pages), and put back into the same markdown reply. Each rejected reply is
scored by the same reward, with the same checklist, as the chosen one; a pair is kept only when

    score(chosen) - score(rejected) >= pairs.min_margin

so a perturbation that happens to change nothing the reward can see (a handler the probe never
reaches) never becomes a pair that teaches noise.

Group pairs: prompts with several scored completions give (best, worst) when the margin holds.
Input preference rows pass through unchanged (pair_source 'input'): their labels come from people.
"""

from __future__ import annotations

import random
import zlib

from uiray.config import DataConfig
from uiray.data.scoring import SHUFFLE_PARTITIONS, score_answers


def perturbation_pairs(sft, cfg: DataConfig):
    if cfg.pairs.per_row == 0:
        return sft.limit(0).map(_empty_pair)
    candidates = sft.flat_map(_candidates(cfg))
    scored = score_answers(candidates, cfg, response_column="rejected")
    margin = cfg.pairs.min_margin
    kept = scored.filter(lambda r: not r["reward_error"] and r["chosen_score"] - r["reward"] >= margin)
    return kept.map(_finish_perturbation_pair)


def _candidates(cfg: DataConfig):
    names = cfg.pairs.perturbations or None
    per_row, seed = cfg.pairs.per_row, cfg.pairs.seed

    def make(row: dict) -> list[dict]:
        from uiray.data.perturb import perturb

        rng = random.Random(zlib.crc32(f"{seed}:{row['id']}".encode()))
        variants = perturb(row["html"], names=names, rng=rng)
        rng.shuffle(variants)
        variants.sort(key=lambda v: v.severity)  # stable: a random pick within each severity
        chosen = _spread(variants, per_row, start=rng.randrange(3))
        return [
            {
                "id": f"{row['id']}~{v.name}",
                "prompt": row["prompt"],
                "system": row["system"],
                "chosen": row["completion"],
                "rejected": row["completion"].replace(row["html"], v.html, 1),
                "chosen_score": row["score"],
                "checklist": row["checklist"],
                "perturbation": v.name,
                "severity": v.severity,
                "source": row["source"],
            }  # fmt: skip
            for v in chosen
        ]

    return make


def _spread(variants: list, k: int, start: int = 0) -> list:
    """Up to k variants, one per severity in turn (e.g. 2, 3, 1, 2, ... from `start`), so that across rows
    every severity is used and each row's pairs are graded."""
    by_severity: dict[int, list] = {}
    for v in variants:
        by_severity.setdefault(v.severity, []).append(v)
    order = sorted(by_severity)
    order = order[start % len(order) :] + order[: start % len(order)] if order else order
    picked = []
    while len(picked) < k and any(by_severity.values()):
        for severity in order:
            if by_severity[severity] and len(picked) < k:
                picked.append(by_severity[severity].pop(0))
    return picked


def _finish_perturbation_pair(row: dict) -> dict:
    return {
        "id": row["id"], "prompt": row["prompt"], "system": row["system"], "chosen": row["chosen"],
        "rejected": row["rejected"], "chosen_score": float(row["chosen_score"]),
        "rejected_score": float(row["reward"]), "pair_source": "perturbation",
        "perturbation": row["perturbation"], "severity": int(row["severity"]), "source": row["source"],
    }  # fmt: skip


def group_pairs(scored, cfg: DataConfig):
    """(best, worst) completions of prompts with several scored completions."""
    margin = cfg.pairs.min_margin

    def pair(group):
        import pandas as pd

        usable = group[group["reward_error"] == ""]
        if len(usable) < 2:
            return pd.DataFrame(columns=_PAIR_COLUMNS)
        best = usable.loc[usable["score"].idxmax()]
        worst = usable.loc[usable["score"].idxmin()]
        if best["score"] - worst["score"] < margin:
            return pd.DataFrame(columns=_PAIR_COLUMNS)
        return pd.DataFrame([{
            "id": f"{best['id']}>{worst['id']}", "prompt": best["prompt"], "system": _text(best["system"]),
            "chosen": best["completion"], "rejected": worst["completion"], "chosen_score": float(best["score"]),
            "rejected_score": float(worst["score"]), "pair_source": "group", "perturbation": None,
            "severity": None, "source": best["source"],
        }])  # fmt: skip

    return scored.groupby("prompt", num_partitions=SHUFFLE_PARTITIONS).map_groups(pair, batch_format="pandas")


def _text(value) -> str | None:
    """A text cell of a pandas batch, or None (pandas reads a missing string as NaN)."""
    return value if isinstance(value, str) else None


_PAIR_COLUMNS = ["id", "prompt", "system", "chosen", "rejected", "chosen_score", "rejected_score", "pair_source",
                 "perturbation", "severity", "source"]  # fmt: skip


def input_pair_rows(row: dict) -> dict:
    return {
        "id": row["id"], "prompt": row["prompt"], "system": row["system"], "chosen": row["chosen"],
        "rejected": row["rejected"], "chosen_score": None, "rejected_score": None, "pair_source": "input",
        "perturbation": None, "severity": None, "source": row["source"],
    }  # fmt: skip


def _empty_pair(row: dict) -> dict:
    return input_pair_rows({**row, "chosen": None, "rejected": None})
