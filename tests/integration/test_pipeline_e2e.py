"""`uiray pipeline` end to end on the tiny model: data -> SFT -> DPO -> merge -> GRPO -> eval, each stage a
`jobs/<stage>.py` process on the pipeline's one local Ray cluster, then the same command again, which skips it
all. Each stage is cut to a few steps; what is checked is the wiring, not the gains (docs/pipeline.md)."""

import json
import re
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import COUNTER_PROMPT
from tests.stages import ROOT, job_env, kill_process_tree
from uiray.train.checkpoint import latest_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TRAIN = ["model.dtype=float32", "wandb.mode=disabled", "scaling.num_workers=2", "train.micro_batch_size=2",
         "train.grad_accum=1", "train.gradient_checkpointing=false", "train.too_long=cut"]  # fmt: skip
OVERRIDES = {
    "data": ["embedded_rows=24", "max_tokens=8192", "pairs.per_row=1", "selection.min_score=0.6",  # 8192: the
             "selection.per_category=1", "selection.top_k=12", "rl_fraction=0.3",  # pages are ~3.6K tiny tokens
             "pairs.min_margin=0.05"],
    "sft": [*TRAIN, "train.seq_len=512", "train.lr=5e-3", "train.epochs=3", "train.max_steps=6", "checkpoint.every=2",
            "eval.every=6", "eval.generations=1", "eval.max_new_tokens=16", "eval.render=false", "eval_fraction=0.1"],
    "dpo": [*TRAIN, "train.seq_len=768", "train.lr=2e-3", "train.max_steps=4", "lora.r=8", "lora.alpha=16",
            "eval.every=4", "checkpoint.every=100", "eval_fraction=0.25"],
    "grpo": ["model.dtype=float32", "steps=2", "prompts_per_step=2", "sampling.max_tokens=64", "lora.r=8",
             "lora.alpha=16", "lr=5e-3", "max_staleness=0"],
    "eval": ["dtype=float32", "sampling.max_tokens=48", "chunk=1"],
}  # fmt: skip
MODELS = ("tiny", "sft", "dpo", "grpo")
LOADED = "img => img.decode().then(() => img.naturalWidth > 0, () => false)"


@pytest.fixture(scope="module")
def pipeline(tiny_model_dir, tmp_path_factory):
    """(output dir, killed, resumed, again): `python jobs/pipeline.py --config <tiny pipeline>` SIGKILLed (with its
    cluster and the SFT job) once SFT's step-2 checkpoint is written, the same command to the end, and once more."""
    root = tmp_path_factory.mktemp("pipeline")
    prompts = root / "prompts.jsonl"
    prompts.write_text(json.dumps({"id": "counter", "prompt": COUNTER_PROMPT, "checklist": [
        {"text": "Has a button", "check": {"selector": "button", "min_count": 1}}]}) + "\n" +
        json.dumps({"id": "clock", "prompt": "a digital clock"}) + "\n")  # fmt: skip
    out = root / "out"
    overrides = {**OVERRIDES, "eval": [*OVERRIDES["eval"], f"prompts={prompts}"]}
    config = {"model": str(tiny_model_dir), "output_dir": str(out), "overrides": overrides,
              "ray": {"object_store_gib": 1.0, "render_slots": 2}}  # fmt: skip
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, str(ROOT / "jobs" / "pipeline.py"), "--config", str(root / "pipeline.yaml")]
    with (root / "killed.log").open("w") as log:
        killed = subprocess.Popen(command, env=job_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while killed.poll() is None and latest_checkpoint(out / "sft") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert killed.poll() is None and latest_checkpoint(out / "sft"), (root / "killed.log").read_text()[-3000:]
    finally:
        if killed.poll() is None:  # with its cluster and the SFT job, whatever happened
            kill_process_tree(killed)
    resumed = subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=900)
    again = subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=300)
    return out, (root / "killed.log").read_text(), resumed, again


def test_every_stage_runs_on_one_cluster_reading_the_stage_before_and_the_table_compares_them(pipeline):
    out, _, first, _ = pipeline
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    stages = ["data", "sft", "dpo", "grpo-start", "grpo", "eval"]
    assert all((out / stage / ".pipeline_done.json").is_file() for stage in stages)
    # each stage job joined the cluster its pipeline run started, none started its own
    joined = set()
    for stage in ("data", "sft", "dpo", "grpo", "eval"):
        log = (out / "pipeline" / f"{stage}.log").read_text()
        assert "Started a local Ray instance" not in log and "Connecting to existing Ray cluster" in log, stage
        if stage in ("dpo", "grpo", "eval"):  # these ran in the resumed run alone
            joined |= set(re.findall(r"Connecting to existing Ray cluster at address: (\S+)", log))
    assert len(joined) == 1, joined
    # the stages read each other's outputs: DPO started from SFT's adapter, GRPO from DPO's merged into full weights
    dpo = yaml.safe_load((out / "pipeline" / "dpo.yaml").read_text())
    assert dpo["model"]["name"] == str(out / "sft" / "final")
    assert json.loads((out / "grpo-start" / "config.json").read_text())["model_type"] == "qwen2"
    assert (out / "grpo" / "final" / "adapter_config.json").is_file()
    # one progress line across stages, and the table of base vs each stage
    assert re.search(r"stage 2/6 sft: done( at step (\d+)/\2, eta|;)", first.stderr), first.stderr[-3000:]
    assert json.loads((out / "pipeline" / "progress.json").read_text())["stage"] == "eval"
    table = (out / "pipeline" / "results.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()[2:] if line.startswith("| ")}
    assert list(rows) == list(MODELS), table
    assert all(re.search(r"\| 0?\.\d+|\| 1 ", row) for row in rows.values()), table  # numbers, not n/a


def test_a_pipeline_killed_in_sft_resumes_sft_from_its_checkpoint(pipeline):
    out, killed, resumed, _ = pipeline
    assert "sft: running" in killed and "stage 2/6 sft: done" not in killed
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "data: done with these settings, skipped" in resumed.stderr and "sft: resuming" in resumed.stderr
    started = [int(step) for step in re.findall(r"resumed from step (\d+)", (out / "pipeline" / "sft.log").read_text())]
    assert started and started[0] >= 2, started  # from the checkpoint the killed run wrote, not from scratch
    assert not list(out.glob("*.stale-*"))  # its directory was kept, not moved aside


def test_the_eval_stage_scores_every_model_and_chromium_shows_its_report(pipeline):
    from playwright.sync_api import sync_playwright

    out, _, first, _ = pipeline
    assert first.returncode == 0
    answers = [json.loads(line) for line in (out / "eval" / "answers.jsonl").read_text().splitlines()]
    by_key = {(a["model"], a["prompt_id"]): a for a in answers}
    assert set(by_key) == {(m, p) for m in MODELS for p in ("counter", "clock")}
    assert all(a["completion_tokens"] > 0 for a in answers)  # the adapters generated through vLLM's LoRA too
    assert by_key["tiny", "counter"]["checklist_pass"] == 1.0  # the taught counter page, rendered and checked
    summary = json.loads((out / "eval" / "summary.json").read_text())
    assert summary["runs"] == {m: str(out / m) for m in MODELS[1:]} and (out / "eval" / "curves.png").is_file()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        page = browser.new_page()
        page.goto((out / "eval" / "report.html").as_uri())
        page.wait_for_load_state("load")
        for model, prompt_id in by_key:
            image = page.locator(f"#{prompt_id} .answer[data-model='{model}'] img")
            assert image.count() == 1, (model, prompt_id)
            image.scroll_into_view_if_needed()  # the report's images load lazily, when seen
            assert image.evaluate(LOADED), (model, prompt_id)
        assert "tiny vs sft" in page.locator("#wins").inner_text()
        assert page.locator("img[src='components.png']").evaluate("img => img.naturalWidth > 0")
        browser.close()


def test_the_same_command_again_skips_every_stage_without_starting_a_cluster(pipeline):
    out, _, first, second = pipeline
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-3000:]
    for stage in ("data", "sft", "dpo", "merge", "grpo", "eval"):
        assert f"{stage}: done with these settings, skipped" in second.stderr
    assert "Started a local Ray instance" not in second.stderr + second.stdout
    assert json.loads(second.stdout.splitlines()[-1])["stages"]["sft"]["action"] == "skipped"
    assert (out / "pipeline" / "results.md").is_file()
