"""`uiray labels export`: trusted labels as DPO pairs, and critiques as prompts for a refine round.

dpo.jsonl       {id, prompt, chosen, rejected, chosen_score, rejected_score, labelers}: every pair of a task's
                candidates in the order its trusted labelers gave them together (Bradley-Terry); controls
                left out. `uiray dpo train_data=<dir>/dpo.jsonl` reads it as it is.
refine.jsonl    {id, prompt, source_prompt, critique}: the prompt with a labeler's critique of the best
                answer and that answer's page, for the next round of generation (the data stage reads it as
                RL prompts; `uiray eval --prompts`/GRPO `prompts=` take it too).
report.json     per labeler: controls seen and ranked right, trusted or why not; inter-labeler agreement.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from uiray.labels.config import LabelsConfig
from uiray.labels.quality import aggregate, agreement, control_checks, trusted_labelers
from uiray.labels.store import LabelStore
from uiray.page.extract import extract_html

REFINE = """{prompt}

A reviewer looked at this answer to the request:

```html
{page}
```

Their critique: {critique}

Write a better single-file page that fixes what they point out."""


def labeler_report(store: LabelStore, cfg: LabelsConfig) -> dict:
    """Who is trusted and why, and how much the trusted labelers agree."""
    checks = control_checks(store)
    verdicts = trusted_labelers(checks, cfg.min_agreement, cfg.min_controls, cfg.max_chance)
    trusted = {name for name, why in verdicts.items() if why.startswith("trusted")}
    labelers = {name: {**checks[name], "trusted": name in trusted, "why": verdicts[name]} for name in checks}
    return {"labelers": labelers, "agreement": agreement(aggregate(store, trusted)),
            "min_agreement": cfg.min_agreement, "min_controls": cfg.min_controls,
            "max_chance": cfg.max_chance}  # fmt: skip


def export(store: LabelStore, cfg: LabelsConfig, out: str | Path) -> dict:
    """Write dpo.jsonl, refine.jsonl and report.json to `out`; returns the counts."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = labeler_report(store, cfg)
    trusted = {name for name, entry in report["labelers"].items() if entry["trusted"]}
    pairs, refines = [], []
    for task_id, task in aggregate(store, trusted).items():
        replies = {c["id"]: c["reply"] for c in task["task"]["candidates"]}
        strength, wins, prompt = task["strengths"], task["wins"], task["task"]["prompt"]
        for better, worse in itertools.combinations(task["order"], 2):
            if wins[better, worse] <= wins[worse, better]:
                continue  # the labelers are split on these two (or tied them): no preference to learn
            scores = {label.labeler: [label.scores[better], label.scores[worse]] for label in task["labels"]
                      if label.scores}  # fmt: skip
            pairs.append({"id": f"{task_id}-{better}-{worse}", "prompt": prompt, "chosen": replies[better],
                          "rejected": replies[worse], "chosen_strength": round(strength[better], 4),
                          "rejected_strength": round(strength[worse], 4), "scores": scores,
                          "labelers": [label.labeler for label in task["labels"]]})  # fmt: skip
        for label in task["labels"]:
            if label.critique:
                top = next(c for c in label.ranking if c in task["order"])  # the page this labeler put first
                page = extract_html(replies[top])
                refine = REFINE.format(prompt=prompt, page=page.html if page else replies[top], critique=label.critique)
                refines.append({"id": f"{task_id}-{label.labeler}", "prompt": refine, "source_prompt": prompt,
                                "critique": label.critique})  # fmt: skip
    _write(out / "dpo.jsonl", pairs)
    _write(out / "refine.jsonl", refines)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    excluded = sorted(name for name, entry in report["labelers"].items() if not entry["trusted"])
    return {"pairs": len(pairs), "refine_prompts": len(refines), "trusted": sorted(trusted), "excluded": excluded}


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
