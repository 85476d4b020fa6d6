"""GRPO end to end on the tiny model: real vLLM rollout actor, Chromium reward actor, learner, weight syncs,
crashed actors, a SIGKILLed job and its resume.

The prompts ask for a page with a button (a checklist item the browser checks). The tiny model was taught one
counter page; sampled at temperature 1 it often breaks it, so groups differ and every step has a signal.

The toy task with a verifiable reward: a tiny model taught, for one prompt, a working counter once and a page
with no button three times (it starts with about one working button in four); the reward's checklist clicks
the button and expects the count to read 1. GRPO must raise the mean reward within a few steps."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import psutil
import pytest

from tests.conftest import COUNTER_PROMPT, COUNTER_REPLY
from tests.stages import ROOT, job_env
from uiray.config import GenerateConfig, LoraConfig, ModelConfig, RayConfig, RewardConfig, SamplingConfig, WandbConfig
from uiray.rl.config import GRPOConfig, GRPOEvalConfig
from uiray.rl.driver import run_grpo
from uiray.rl.prompts import PromptFeed

pytestmark = pytest.mark.slow

BUTTON = [{"text": "Has a button", "check": {"selector": "button", "min_count": 1}}]
PROMPTS = ["a counter button", "a button", "a page with one button", "make a clickable button", "a counter",
           "a big button"]  # fmt: skip
SAMPLING = SamplingConfig(temperature=1.0, top_p=1.0, repetition_penalty=1.0, n=4, max_tokens=64, seed=None)
STEPS, LR = 8, 1e-4
STEPS_TOY = 12


PLAIN_REPLY = GenerateConfig().response_prefix + "<body><p>0</p></body>\n</html>\n```"
COUNTS_UP = {"click": "button", "expect": {"selector": "button", "text": "1", "exact": True}}
WORKING_COUNTER = {"text": "Clicking the button counts up", "check": COUNTS_UP}


@pytest.fixture(scope="module")
def branch_model_dir(tmp_path_factory):
    """A tiny model that answers COUNTER_PROMPT with the working counter about one time in four and with a
    page without a button otherwise (fitted longer than the session's model, so that each reply, once begun,
    is rarely broken by sampling)."""
    out = tmp_path_factory.mktemp("models") / "branch"
    code = ("import sys, json; from pathlib import Path; from tests.tiny_model import build_tiny_model; "
            "from uiray.config import UI_SYSTEM_PROMPT; "
            "build_tiny_model(Path(sys.argv[1]), teach=json.loads(sys.argv[2]), system_prompt=UI_SYSTEM_PROMPT, "
            "steps=400)")  # fmt: skip
    teach = [(COUNTER_PROMPT, COUNTER_REPLY)] + [(COUNTER_PROMPT, PLAIN_REPLY)] * 3
    subprocess.run([sys.executable, "-c", code, str(out), json.dumps(teach)], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    return out


def test_grpo_raises_the_reward_of_a_toy_task_with_a_verifiable_reward(ray_cluster, branch_model_dir, tmp_path):
    prompts = [{"id": str(i), "prompt": COUNTER_PROMPT, "checklist": [WORKING_COUNTER]} for i in range(4)]
    # asynchronous (max_staleness=1, the default) with a LoRA policy; the reply starts after the document's head
    # as in the taught replies, so the button-or-not choice is the first the policy makes
    heldout = GRPOEvalConfig(every=STEPS_TOY, limit=2, sampling=SamplingConfig(temperature=0, max_tokens=64))
    cfg = GRPOConfig(model=ModelConfig(name=str(branch_model_dir), dtype="float32"), steps=STEPS_TOY,
                     prompts_per_step=4, sampling=SAMPLING, lr=3e-4, lora=LoraConfig(r=8, alpha=16), max_staleness=1,
                     response_prefix=GenerateConfig().response_prefix, eval=heldout,
                     reward=RewardConfig(preset="frontcoder", accessibility=False),
                     output_dir=str(tmp_path / "grpo"), wandb=WandbConfig(mode="disabled"))  # fmt: skip
    summary = run_grpo(cfg, prompts)
    rows = [json.loads(line) for line in (tmp_path / "grpo" / "metrics.jsonl").read_text().splitlines()]
    first = sum(r["reward/checklist"] for r in rows[:2]) / 2
    last = sum(r["reward/checklist"] for r in rows[-4:]) / 4
    # a working counter scores 1 on the checklist, any other page 0: the share of working counters rose from
    # about a quarter to most of the samples
    assert last >= 0.6 and last - first >= 0.3, [round(r["reward/checklist"], 2) for r in rows]
    assert summary["reward_last"] > summary["reward_first"] and max(r["staleness"] for r in rows) == 1
    # screenshot_every (10): step 10's rendered pages, one per group
    shots = sorted((tmp_path / "grpo" / "screenshots").glob("step_000010_g*_r*.png"))
    assert shots and all(p.read_bytes().startswith(b"\x89PNG") for p in shots), shots
    # the held-out evaluation after the last step, through uiray eval's records and metrics
    answers = (tmp_path / "grpo" / "evals" / "step_000012" / "answers.jsonl").read_text().splitlines()
    assert len(answers) == 2 and 0 <= rows[-1]["eval/reward"] <= 1 and "eval/completeness" in rows[-1]


def _prompts() -> list[dict]:
    return [{"id": str(i), "prompt": p, "checklist": BUTTON, "reference": None} for i, p in enumerate(PROMPTS)]


def _alive(class_name: str) -> list:
    import ray
    from ray.util.state import list_actors

    address = ray.get_runtime_context().gcs_address
    return list_actors(address, filters=[("class_name", "=", class_name), ("state", "=", "ALIVE")])


def _kill_actor_when(metrics, rows: int, class_name: str, before: set, killed: list, ended) -> None:
    """SIGKILL the process of the run's live `class_name` actor once metrics.jsonl has `rows` steps (a crash
    mid-run). Actors in `before`, alive before the run (other tests' in the session cluster), are left alone.
    Gives up when the run has `ended` first."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not ended.is_set():
        if metrics.exists() and len(metrics.read_text().splitlines()) >= rows:
            alive = [a for a in _alive(class_name) if a.actor_id not in before]
            if alive:
                os.kill(alive[0].pid, signal.SIGKILL)
                killed.append(class_name)
                return
        time.sleep(0.2)


def test_full_weight_grpo_checks_every_sync_and_survives_killed_actors(ray_cluster, tiny_model_dir, tmp_path):
    out = tmp_path / "grpo"
    # full fine-tuning: full weights are synced and checked here, the LoRA path in the resume test below
    cfg = GRPOConfig(model=ModelConfig(name=str(tiny_model_dir), dtype="float32"), steps=STEPS, prompts_per_step=2,
                     sampling=SAMPLING, lr=LR, lora=LoraConfig(enabled=False), max_staleness=0,
                     output_dir=str(out), ray=RayConfig(), wandb=WandbConfig(mode="disabled"))  # fmt: skip
    killed: list[str] = []
    targets = ((2, "RolloutWorker"), (5, "RewardWorker"))
    before = {name: {a.actor_id for a in _alive(name)} for _, name in targets}
    ended = threading.Event()
    killers = [threading.Thread(target=_kill_actor_when,
                                args=(out / "metrics.jsonl", rows, name, before[name], killed, ended))
               for rows, name in targets]  # fmt: skip
    for killer in killers:
        killer.start()
    try:
        summary = run_grpo(cfg, _prompts())
    finally:
        ended.set()
        for killer in killers:
            killer.join()
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert summary["steps"] == STEPS == len(metrics) and summary["sync_checks"] == STEPS == summary["syncs"]
    # max_staleness=0 is on-policy: every trained batch came from the version the learner then updated
    assert all(m["staleness"] == 0 for m in metrics)
    assert all(0 <= m["reward_mean"] <= 1 and m["response_tokens"] > 0 for m in metrics)
    assert summary["version"] == sum("loss" in m for m in metrics) >= STEPS // 2  # a version per learner update

    # both crashes happened, were restarted by Ray and counted; no prompt was lost or trained twice: every
    # prompt drawn is in exactly one trained batch, or still owed at the end
    assert killed == ["RolloutWorker", "RewardWorker"]
    assert summary["restarts"]["rollout"] >= 1 and summary["restarts"]["reward"] >= 1, summary["restarts"]
    trained = Counter(i for m in metrics for i in m["prompts"])
    drawn = Counter(PromptFeed(len(PROMPTS), cfg.seed).take(summary["prompts_drawn"]))
    assert trained + Counter(summary["prompts_pending"]) == drawn
    assert (out / "final" / "model.safetensors").is_file()


def _process_tree_kill(process: subprocess.Popen) -> None:
    """SIGKILL a run and everything it started (its local Ray cluster too): a machine that lost power."""
    parent = psutil.Process(process.pid)
    tree = [parent, *parent.children(recursive=True)]
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(tree, timeout=30)


def test_sigkilled_grpo_job_resumes_without_replaying_or_skipping_a_prompt(tiny_model_dir, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(p) + "\n" for p in _prompts()))
    out = tmp_path / "grpo"
    command = [sys.executable, str(ROOT / "jobs" / "grpo.py"), f"model.name={tiny_model_dir}", "model.dtype=float32",
               f"prompts={prompts}", f"output_dir={out}", "steps=5", "prompts_per_step=2", "checkpoint_every=2",
               "sampling.max_tokens=64", "lora.r=8", "lora.alpha=16", "lr=5e-3", "max_staleness=0",
               "ray.object_store_gib=1"]  # fmt: skip
    first = subprocess.Popen(command, env=job_env(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 420
    while not (metrics.exists() and len(metrics.read_text().splitlines()) >= 3) and time.monotonic() < deadline:
        assert first.poll() is None, first.stderr.read().decode()[-3000:]
        time.sleep(0.2)
    _process_tree_kill(first)
    assert (out / "checkpoints" / "step_000002" / "driver_state.json").is_file()

    done = subprocess.run(command, env=job_env(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["resumed_from"].endswith("step_000002") and summary["steps"] == 5
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5]
    # the prompts trained on are the seeded stream's, in order: none replayed, none skipped
    feed = PromptFeed(len(PROMPTS), 0)
    assert [r["prompts"] for r in rows] == [feed.take(2) for _ in range(5)]
    # wandb (offline by default): the resumed run continued the killed one's wandb run
    runs = sorted(p.name for p in (out / "wandb").glob("offline-run-*"))
    assert len(runs) == 2 and len({name.rsplit("-", 1)[1] for name in runs}) == 1, runs
