"""The pipeline's bookkeeping: which stages run, skip, resume or start over. The stages themselves are
replaced by a function that writes into the stage's output directory, so only the orchestration is tested;
the tiny-model end-to-end run is tests/integration's."""

import json

import pytest

from uiray.config import ConfigError
from uiray.pipeline import ROOT, STAGES, PipelineConfig, plan_pipeline, run_pipeline, select

ALL = ["data", "sft", "dpo", "merge", "grpo", "eval"]


def config(tmp_path, **overrides):
    data = tmp_path / "mine.jsonl"
    if not data.exists():
        data.write_text(json.dumps({"prompt": "a timer", "completion": "<html></html>"}) + "\n")
    configs = {s: str(ROOT / "configs" / f"{s}.yaml") for s in STAGES}
    return PipelineConfig(output_dir=str(tmp_path / "out"), configs=configs,
                          overrides={"data": [f"inputs=[{data}]"], **overrides})  # fmt: skip


class Stages:
    """Stands in for the stage jobs: records what ran, leaves a file behind, fails where told."""

    def __init__(self, fail: str | None = None):
        self.ran, self.fail = [], fail

    def __call__(self, plan):
        self.ran.append(plan.name)
        (plan.output_dir / "work.txt").write_text(plan.fingerprint)
        return 1 if plan.name == self.fail else 0


def run(plans, selected=None, stages=None):
    stages = stages or Stages()
    report = run_pipeline(plans, selected or [p.name for p in plans], stages, log=lambda _: None)
    return stages.ran, report


def test_stages_are_wired_output_to_input():
    plans = {p.name: p for p in plan_pipeline(PipelineConfig(output_dir="o", model="base"))}
    assert plans["sft"].config.train_data == "o/data/sft" and plans["sft"].config.model.name == "base"
    assert plans["dpo"].config.model.name == "o/sft/final" and plans["dpo"].config.train_data == "o/data/dpo"
    assert plans["merge"].config.adapter == "o/dpo/final" and plans["merge"].reads == ("dpo",)
    assert plans["grpo"].config.model.name == "o/grpo-start" == plans["merge"].config.output_dir
    assert plans["grpo"].config.prompts == "o/data/rl" and plans["grpo"].reads == ("data", "merge")
    assert plans["eval"].config.models == ["base", "o/sft", "o/dpo", "o/grpo"]
    assert plans["eval"].reads == ("sft", "dpo", "grpo") and plans["dpo"].reads == ("data", "sft")
    without_dpo = {p.name: p for p in plan_pipeline(PipelineConfig(output_dir="o", stages=["data", "sft", "grpo"]))}
    assert without_dpo["merge"].config.adapter == "o/sft/final" and "dpo" not in without_dpo
    base_only = {p.name: p for p in plan_pipeline(PipelineConfig(output_dir="o", model="m", stages=["data", "grpo"]))}
    assert base_only["grpo"].config.model.name == "m" and "merge" not in base_only


def test_a_rerun_skips_every_stage_and_a_changed_setting_reruns_it_and_what_follows(tmp_path):
    assert run(plan_pipeline(config(tmp_path)))[0] == ALL
    ran, report = run(plan_pipeline(config(tmp_path)))
    assert ran == [] and {r["action"] for r in report.values()} == {"skipped"}

    changed = plan_pipeline(config(tmp_path, sft=["train.lr=1e-3"]))
    assert run(changed)[0] == ["sft", "dpo", "merge", "grpo", "eval"]
    assert len(list((tmp_path / "out").glob("sft.stale-*"))) == 1  # the old run moved aside, not deleted

    (tmp_path / "mine.jsonl").write_text(json.dumps({"prompt": "a clock", "completion": "<p>"}) + "\n")
    assert run(plan_pipeline(config(tmp_path, sft=["train.lr=1e-3"])))[0] == ALL  # new input data


def test_an_interrupted_stage_resumes_in_its_own_directory(tmp_path):
    plans = plan_pipeline(config(tmp_path))
    with pytest.raises(RuntimeError, match="stage dpo failed"):
        run(plans, stages=Stages(fail="dpo"))
    left = (tmp_path / "out" / "dpo" / "work.txt").read_text()
    ran, report = run(plan_pipeline(config(tmp_path)))
    assert ran == ["dpo", "merge", "grpo", "eval"] and report["dpo"]["action"] == "resumed"
    assert left == plans[2].fingerprint and not list((tmp_path / "out").glob("*.stale-*"))


def test_from_until_and_only_pick_stages_and_need_what_they_read(tmp_path):
    plans = plan_pipeline(config(tmp_path))
    assert select(plans, start="dpo") == ["dpo", "merge", "grpo", "eval"]
    assert select(plans, only=["grpo"]) == ["merge", "grpo"]  # the merge is GRPO's first step
    assert select(plans, until="sft") == ["data", "sft"] and select(plans, only=["eval", "sft"]) == ["sft", "eval"]
    with pytest.raises(ConfigError, match="no stage 'rlhf'"):
        select(plans, start="rlhf")
    with pytest.raises(ConfigError, match="stage data is new, and a selected stage reads it"):
        run(plans, ["sft"])
    assert run(plans, select(plans, until="sft"))[0] == ["data", "sft"]
    assert run(plans, select(plans, start="dpo"))[0] == ["dpo", "merge", "grpo", "eval"]


def test_a_bad_stage_setting_names_the_stage():
    with pytest.raises(ConfigError, match="(?s)pipeline stage sft: .*train.lr"):
        plan_pipeline(PipelineConfig(overrides={"sft": ["train.lr=-1"]}))
