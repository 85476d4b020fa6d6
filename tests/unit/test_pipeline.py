"""The pipeline's bookkeeping: which stages run, skip, resume or start over. The stages themselves are
replaced by a function that writes into the stage's output directory, so only the orchestration is tested;
the tiny-model end-to-end run is tests/integration's."""

import json

import pytest

from uiray.config import ConfigError
from uiray.pipeline import ROOT, STAGES, PipelineConfig, Progress, plan_pipeline, run_pipeline, select

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


def test_continued_pretraining_reads_the_text_documents_and_sft_starts_from_it():
    stages = ["data", "cpt", "sft", "grpo", "eval"]
    plans = {p.name: p for p in plan_pipeline(PipelineConfig(output_dir="o", model="base", stages=stages))}
    cpt, sft = plans["cpt"].config, plans["sft"].config
    assert (cpt.mode, cpt.train_data, cpt.model.name, cpt.output_dir) == ("text", "o/data/text", "base", "o/cpt")
    assert sft.model.name == "o/cpt/final" and sft.mode == "chat" and plans["sft"].reads == ("data", "cpt")
    assert plans["merge"].config.adapter == "o/sft/final" and plans["eval"].config.models == [
        "base", "o/cpt", "o/sft", "o/grpo"]  # fmt: skip


# What the stages print (uiray/train/loop.py, uiray/rl/steplog.py, uiray/data/pipeline.py, eval's tqdm bar).
STAGE_OUTPUT = {
    "data": "[uiray data] 4/5 scoring SFT answers in the browser (render, probe, axe, checklist)\n",
    "sft": "(RayTrainWorker pid=11212) [uiray train] [sft] step 3/10 (30%) loss 8.0989 token_acc 0.0753 lr 0.00485 "
    "eta 0m02s\n",
    "grpo": "[uiray rl] grpo step 2/8 reward 0.412±0.100 loss 0.0312 staleness 1 tokens 212 eta 41s\n",
    "eval": "eval:  25%|██▌       | 3/12 [00:10<00:31,  3.4s/answer]\r eval:  33%|███▎      | 4/12 [00:14<00:27,",
}


def test_one_progress_line_follows_each_stage_from_what_it_prints(tmp_path):
    shown = []
    progress = Progress(["data", "sft", "grpo", "eval"], tmp_path, shown.append, every_s=0)
    expected = {"data": "stage 1/4 data: step 4/5 (scoring SFT answers in the browser)",
                "sft": "stage 2/4 sft: step 3/10, eta 0m02s", "grpo": "stage 3/4 grpo: step 2/8, eta 41s",
                "eval": "stage 4/4 eval: step 3/12, eta 00:31"}  # fmt: skip
    for stage, printed in STAGE_OUTPUT.items():
        progress.start(stage)
        assert shown[-1].startswith(f"stage {expected[stage][6:9]} {stage}: starting")
        half = len(printed) // 2  # output arrives in chunks that cut lines anywhere
        progress.see(printed[:half])
        progress.see(printed[half:])
        assert shown[-1].startswith(expected[stage] + "; ")
    progress.finish(0)  # shown whatever the interval: a stage shorter than it shows no line between start and end
    assert shown[-1].startswith("stage 4/4 eval: done at step 3/12, eta 00:31; ")
    progress.start("data")
    progress.finish(2)
    assert shown[-1].startswith("stage 1/4 data: failed (exit 2); ")
    assert json.loads((tmp_path / "progress.json").read_text())["stage"] == "data"


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
