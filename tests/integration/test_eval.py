"""`uiray eval` end to end on given replies scored in the browser. The tiny model and its trained adapters through
vLLM, with the HTML report opened in Chromium, are the eval stage of tests/integration/test_pipeline_e2e.py."""

import json
import statistics

import pytest

from uiray.config import ConfigError, EvalConfig, RayConfig
from uiray.data.embedded import load_embedded
from uiray.eval.metrics import METRICS
from uiray.eval.run import EvalModel, _resumable, run_eval

pytestmark = pytest.mark.slow

EMPTY_PAGE = '```html\n<!DOCTYPE html>\n<html lang="en"><body><h1>Coming soon</h1></body></html>\n```'


def test_given_replies_a_better_model_wins_every_prompt_and_metrics_are_answer_means(ray_cluster, tmp_path):
    rows = [r for r in load_embedded() if r["dup_of"] is None][:4]
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({k: r[k] for k in ("id", "prompt", "checklist")}) + "\n" for r in rows))
    lines = [json.dumps({"prompt": r["prompt"], "model": m, "reply": reply})
             for r in rows for m, reply in (("full", r["completion"]), ("empty", EMPTY_PAGE))]  # fmt: skip
    lines += [json.dumps({"model": "full", "reply": "<p>hi</p>"}), json.dumps({"prompt": "p", "model": "full"}),
              json.dumps({"prompt": "p", "reply": "<p>hi</p>"}), "{not json"]  # fmt: skip
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(lines) + "\n")
    out = tmp_path / "eval"
    cfg = EvalConfig(models=[], replies=str(replies), prompts=str(prompts), output_dir=str(out), ray=RayConfig())
    summary = run_eval(cfg)

    [pair] = summary["pairwise"]
    assert (pair["a"], pair["a_wins"], pair["ties"], pair["b_wins"]) == ("full", 4, 0, 0)
    assert pair["sign_test_p"] == pytest.approx(2 / 16)
    rejected = [(r["line"], r["reason"]) for r in summary["rejected_replies"]]
    assert rejected == [(9, "missing or empty prompt"), (10, "empty reply"), (11, "unknown model: no model name"),
                        (12, "not valid JSON")]  # fmt: skip
    # every metric is the mean of the per-answer field in answers.jsonl, recomputed here
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert len(answers) == 8
    for model in ("full", "empty"):
        mine = [a for a in answers if a["model"] == model]
        for name in METRICS:
            values = [float(a[name]) for a in mine if a[name] is not None]
            expected = statistics.fmean(values) if values else None
            assert summary["metrics"][model][name] == pytest.approx(expected), (model, name)
    full, empty = summary["metrics"]["full"], summary["metrics"]["empty"]
    assert full["render_ok"] == 1.0 and full["checklist_pass"] == 1.0 and empty["checklist_pass"] < 1.0
    assert full["reward_ci"][0] <= full["reward"] <= full["reward_ci"][1]
    assert "line 12: not valid JSON" in (out / "report.html").read_text()

    # stopped after 3 answers (the 4th half written): a rerun keeps those 3, marked here, and scores the other 5
    lines = (out / "answers.jsonl").read_text().splitlines()
    marked = [json.dumps({**json.loads(line), "reward": 0.123}) for line in lines[:3]]
    (out / "answers.jsonl").write_text("\n".join(marked) + "\n" + lines[3][:40])
    again = run_eval(cfg)
    records = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert len(records) == 8 and sum(r["reward"] == 0.123 for r in records) == 3
    assert again["pairwise"][0]["b_wins"] == 0
    # another model under a label keeps nothing of it; other answer-shaping settings stop the run
    assert len(_resumable(out, cfg, [])) == 8
    assert {r["model"] for r in _resumable(out, cfg, [EvalModel("full", "some-model", "")])} == {"empty"}
    with pytest.raises(ConfigError, match="system_prompt differ"):  # never overwrites answers it cannot keep
        _resumable(out, cfg.model_copy(update={"system_prompt": "Be brief."}), [])
    assert len((out / "answers.jsonl").read_text().splitlines()) == 8
