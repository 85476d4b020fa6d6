"""Exact resume, and a dead worker survived, for `uiray sft` and `uiray dpo` (2 workers, tiny model, LoRA dropout on).

Per stage, an uninterrupted run of 10 steps (an epoch of 40 rows) is the reference. A second run in a fresh
directory is SIGKILLed (driver and its local cluster) once the checkpoint at step 4 is complete, then started
again with the same command: from the step it resumes at on, its losses, gradient norms and learning rates,
and its final adapter, must equal the reference's exactly (float32 on CPU: the same data order, dropout masks,
optimizer state and schedule give the same bits). The resumed SFT run also loses a training worker (SIGKILL by
the pid Ray's state API reports) two steps after it resumed, and must finish by itself from its last
checkpoint, with the reference's data log (no sample replayed or skipped) and numbers.

Starting a run costs far more than its 10 steps, so the runs go in three rounds of two concurrent processes,
each with its own local Ray cluster: the references, then the two killed runs, then the two resumed ones.
The tests check the results.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import torch
from safetensors.torch import load_file

from tests.stages import job_env, kill_process_tree, stage_command
from uiray.train.checkpoint import latest_checkpoint

pytestmark = pytest.mark.slow

STEPS, KILL_AFTER = 10, 4
SETTINGS = [
    "train.micro_batch_size=1", "train.grad_accum=2", "train.seq_len=384", f"train.max_steps={STEPS}",
    "train.epochs=2", "checkpoint.every=2", "checkpoint.keep=8", "eval_fraction=0", "lora.dropout=0.1",
    "lora.r=8", "lora.alpha=16", "scaling.max_failures=1", "ray.num_cpus=2",
]  # fmt: skip
STAGE_SETTINGS = {"sft": ["train.lr=5e-3"], "dpo": ["train.lr=2e-3"]}
COMPARED = {
    "sft": ("loss", "grad_norm", "lr", "token_acc", "critical_token_acc"),
    "dpo": ("loss", "grad_norm", "lr", "rewards/chosen", "rewards/rejected", "rewards/margin", "rewards/accuracy"),
}
DEADLINE_S = 900


def _pages(n: int) -> list[dict]:
    """Short pages (200-300 tokens with the chat template): nothing is cut, every step is quick."""
    things = ["counter", "timer", "todo list", "calculator", "gallery", "kanban board", "clock", "form"]
    rows = []
    for i in range(n):
        thing = things[i % len(things)]
        items = "".join(f"<li>{thing} item {j}</li>" for j in range(1 + i % 7))
        page = (
            f"```html\n<!DOCTYPE html><html><head><style>body {{ margin: 0; color: #222; }}</style></head>"
            f'<body><h1>{thing} {i}</h1><ul>{items}</ul><button onclick="go()">+1</button></body></html>\n```'
        )
        rows.append({"id": f"page-{i}", "prompt": f"a {thing} page number {i}", "completion": page})
    return rows


def _write_data(directory: Path) -> dict[str, Path]:
    sft, dpo = directory / "sft.jsonl", directory / "dpo.jsonl"
    rows = _pages(40)
    sft.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pairs = [
        {"id": r["id"], "prompt": r["prompt"], "chosen": r["completion"],
         "rejected": r["completion"].replace("margin: 0; color: #222;", "color: #ff0; background: #ff0;")}
        for r in rows
    ]  # fmt: skip
    dpo.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    return {"sft": sft, "dpo": dpo}


@dataclass(eq=False)
class Run:
    """One `uiray <stage>` process writing to `out`, its output in out.log (several runs share a directory)."""

    stage: str
    command: list[str]
    out: Path
    process: subprocess.Popen | None = None
    outputs: list[str] = field(default_factory=list)
    worker_pids: list[int] = field(default_factory=list)
    killed_pid: int | None = None
    resumed_from: Path | None = None

    @property
    def log(self) -> Path:
        return self.out.with_suffix(f".{len(self.outputs)}.log")

    def start(self) -> "Run":
        env = {**job_env(), "RAY_DEDUP_LOGS": "0"}  # Ray folds lines that differ only in numbers, step lines too
        self.process = subprocess.Popen(  # its own process group: see _kill_run
            self.command, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def finish(self) -> int:
        rc = self.process.wait(timeout=DEADLINE_S)
        self.outputs.append(self.log.read_text())
        return rc

    def checkpoint_done(self, step: int) -> bool:
        newest = latest_checkpoint(self.out)
        return newest is not None and int(newest.name.split("_")[1]) >= step

    def metrics(self) -> dict[int, dict]:
        records = [json.loads(x) for x in (self.out / "metrics.jsonl").read_text().splitlines()]
        return {r["step"]: r for r in records if "grad_norm" in r}

    def data_log(self) -> list[dict]:
        return [json.loads(x) for x in (self.out / "data_log.jsonl").read_text().splitlines()]

    def adapter(self) -> dict[str, torch.Tensor]:
        return load_file(self.out / "final" / "adapter_model.safetensors")


def _wait(runs: list[Run], actions: dict) -> None:
    """Poll until every run has exited; actions maps a run to [(condition, action), ...], each fired once, in
    order, on the way."""
    pending = {run: list(steps) for run, steps in actions.items()}
    deadline = time.monotonic() + DEADLINE_S
    while any(r.process.poll() is None for r in runs):
        for run, steps in pending.items():
            if steps and run.process.poll() is None and steps[0][0]():
                steps.pop(0)[1]()
        assert time.monotonic() < deadline, "runs did not finish in time"
        time.sleep(0.05)
    for run in runs:
        run.finish()


def _kill_run(run: Run) -> None:
    """SIGKILL the driver and the local Ray cluster it started (tests/stages.py: kill_process_tree)."""
    kill_process_tree(run.process)


def _dashboard(run: Run) -> str:
    """The run's own cluster (uiray/cluster.py pins a dashboard port per run; Ray logs it on start)."""
    found = re.search(r"View the dashboard at \S*?(http://[0-9.]+:\d+)", run.log.read_text())
    assert found, "the driver did not log its dashboard address"
    return found.group(1)


def _find_workers(run: Run) -> None:
    """The pids Ray's state API gives for the run's RayTrainWorker actors (asked early: it takes seconds)."""
    query = (
        "import json\nfrom ray.util.state import list_actors\n"
        f"actors = list_actors(address={_dashboard(run)!r}, detail=True, "
        "filters=[('class_name', '=', 'RayTrainWorker'), ('state', '=', 'ALIVE')])\n"
        "print(json.dumps(sorted(a.pid for a in actors)))\n"
    )
    # a separate process: the state API client reads RAY_AUTH_MODE when ray is imported
    found = subprocess.run(
        [sys.executable, "-c", query], env={**job_env(), "RAY_AUTH_MODE": "token"}, capture_output=True, text=True
    )
    assert found.returncode == 0, found.stderr[-2000:]
    run.worker_pids = json.loads(found.stdout)
    assert len(run.worker_pids) == 2, run.worker_pids


def _kill_a_worker(run: Run) -> None:
    run.killed_pid = run.worker_pids[-1]
    os.kill(run.killed_pid, signal.SIGKILL)


def _worker_kill(run: Run) -> list[tuple]:
    """Once the workers run: find their pids; once a checkpoint two steps after the resumed one is complete, kill
    one (the next step needs both, so the group must be replaced)."""
    started = int(run.resumed_from.name.split("_")[1])
    return [
        (lambda: "Started training worker group" in run.log.read_text(), lambda: _find_workers(run)),
        (lambda: run.checkpoint_done(started + 2), lambda: _kill_a_worker(run)),
    ]


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("resume")
    data = _write_data(root)

    def run(stage: str, name: str) -> Run:
        out = root / name
        command = stage_command(stage, tiny_model_dir, out, data[stage], *SETTINGS, *STAGE_SETTINGS[stage])
        return Run(stage, command, out)

    runs = {
        "sft": run("sft", "sft"),
        "dpo": run("dpo", "dpo"),
        "sft_resumed": run("sft", "sft_resumed"),
        "dpo_resumed": run("dpo", "dpo_resumed"),
    }
    try:
        _wait([runs["sft"].start(), runs["dpo"].start()], {})

        killed = [runs["sft_resumed"].start(), runs["dpo_resumed"].start()]
        _wait(killed, {r: [(lambda r=r: r.checkpoint_done(KILL_AFTER), lambda r=r: _kill_run(r))] for r in killed})
        for r in killed:
            r.resumed_from = latest_checkpoint(r.out)
        _wait([r.start() for r in killed], {runs["sft_resumed"]: _worker_kill(runs["sft_resumed"])})
    finally:  # a failed round leaves no run behind
        for r in runs.values():
            if r.process is not None and r.process.poll() is None:
                _kill_run(r)
    return runs


def _assert_same_numbers(expected: dict[int, dict], got: dict[int, dict], steps, keys) -> None:
    """Bit for bit: float32 on CPU with the same data, dropout masks and optimizer state gives the same floats."""
    assert sorted(got) == sorted(expected) == list(range(1, STEPS + 1))
    for step in steps:
        for key in keys:
            want, have = expected[step][key], got[step][key]
            assert have == want, f"step {step} {key}: {have} != {want} (uninterrupted)"


def _last_step_pid(output: str) -> int:
    """The pid of the worker that logged the last training step."""
    return int(re.findall(rf"RayTrainWorker pid=(\d+)\)\S* [^\n]*\[sft\] step {STEPS}/{STEPS} ", output)[-1])


def _resumed_steps(output: str) -> list[int]:
    """The step each worker group started from, in order (a new group after a lost worker logs it again)."""
    return [int(step) for step in re.findall(r"resumed from step (\d+)", output)]


@pytest.mark.parametrize("stage", ["sft", "dpo"])
def test_a_killed_run_resumes_to_the_same_numbers_and_adapter(runs, stage):
    reference, resumed = runs[stage], runs[f"{stage}_resumed"]
    assert reference.process.returncode == 0, reference.outputs[-1][-3000:]
    killed_output, resumed_output = resumed.outputs
    # the killed run had passed step 4 and not finished: no summary, no final model, a step before the last
    assert resumed.process.returncode == 0, resumed_output[-3000:]
    start = int(resumed.resumed_from.name.split("_")[1])
    assert KILL_AFTER <= start < STEPS, f"resumed from {resumed.resumed_from}"
    assert "done in" not in killed_output and f"[{stage}] step {STEPS}/{STEPS}" not in killed_output
    assert _resumed_steps(resumed_output)[0] == start

    _assert_same_numbers(reference.metrics(), resumed.metrics(), range(start + 1, STEPS + 1), COMPARED[stage])
    assert resumed.data_log() == reference.data_log()
    want, have = reference.adapter(), resumed.adapter()
    assert want.keys() == have.keys()
    different = [name for name in want if not torch.equal(want[name], have[name])]
    assert not different, f"{len(different)} adapter tensors differ, e.g. {different[0]}"


def test_a_dead_worker_is_replaced_and_training_goes_on_from_the_last_checkpoint(runs):
    reference, lost = runs["sft"], runs["sft_resumed"]  # the resumed SFT run lost a worker on its way
    output = lost.outputs[-1]
    assert lost.process.returncode == 0, output[-3000:]
    assert lost.killed_pid is not None and not psutil.pid_exists(lost.killed_pid)
    assert _last_step_pid(output) not in lost.worker_pids  # a new worker group finished the run
    started, *restarts = _resumed_steps(output)
    assert len(restarts) == 1 and restarts[0] >= started + 2  # the new group loaded the newest checkpoint...
    assert output.count(f"[sft] step {started + 1}/{STEPS} ") == 1  # ...and did not start over

    log = lost.data_log()
    assert [r["step"] for r in log] == list(range(1, STEPS + 1))
    for epoch in {r["epoch"] for r in log}:
        ids = [i for r in log if r["epoch"] == epoch for i in r["ids"]]
        assert len(ids) == len(set(ids)), f"a sample was trained twice in epoch {epoch}"
    assert log == reference.data_log()  # the same samples at the same steps: none replayed or skipped
    _assert_same_numbers(reference.metrics(), lost.metrics(), range(1, STEPS + 1), COMPARED["sft"])
    assert all(torch.equal(t, lost.adapter()[name]) for name, t in reference.adapter().items())
