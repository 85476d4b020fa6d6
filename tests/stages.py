"""Running the training stages' jobs from tests: the command line users run, on the tiny model."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def stage_command(stage: str, model_dir, out: Path, data: Path, *overrides: str) -> list[str]:
    return [
        sys.executable, str(ROOT / "jobs" / f"{stage}.py"), f"model.name={model_dir}", "model.dtype=float32",
        f"train_data={data}", f"output_dir={out}", "wandb.mode=disabled", "ray.object_store_gib=1",
        "scaling.num_workers=2", "train.micro_batch_size=2", "train.grad_accum=1", "train.gradient_checkpointing=false",
        "train.too_long=cut",  # the corpus pages are ~3.6K tiny-tokenizer tokens: these tests train on their starts
        *overrides,
    ]  # fmt: skip


def job_env() -> dict:
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)  # a local cluster per run, as on a laptop
    return env


SFT_SETTINGS = ["train.seq_len=512", "train.lr=5e-3", "train.max_steps=12", "train.epochs=2", "checkpoint.every=6",
                "eval.every=6", "eval.generations=1", "eval.max_new_tokens=16", "eval.render=false",
                "eval_fraction=0.1"]  # fmt: skip
"""The SFT run tests share (tests/integration/conftest.py's sft_run): 12 steps on 40 corpus rows."""


def kill_process_tree(process: subprocess.Popen) -> None:
    """SIGKILL a stage process started in a session of its own and, in the same instant, everything it started
    (its local Ray cluster, its workers).

    The process alone is not enough to interrupt a short run: Ray's processes take seconds to notice a dead
    driver, and meanwhile workers train on and write more checkpoints (seen in tests/integration/
    test_train_resume.py). The process group is stopped first, so that the tree can be listed without anything
    moving, then every process in it is killed by its pid."""
    os.killpg(process.pid, signal.SIGSTOP)
    tree = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    _, alive = psutil.wait_procs(tree, timeout=60)
    assert not alive, f"processes of the killed run still alive: {alive}"
