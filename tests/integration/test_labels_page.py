"""The ranking page end to end: `uiray labels serve` with 20 tasks made by `uiray labels tasks` (each hiding a
control), a careful and a random labeler played in Chromium (keyboard and mouse), the server SIGKILLed and
restarted mid-session, 4xx for bad requests, and the export trained on by `uiray dpo`."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.stages import ROOT, job_env, stage_command
from uiray.cluster import free_port
from uiray.labels.store import LabelStore

pytestmark = [pytest.mark.slow, pytest.mark.browser]
QUALITY = ["great", "fine", "poor"]  # the careful labeler's order; a control goes below its original
PAGE = ('<!DOCTYPE html><html><head><style>body {{ font: 16px sans-serif; margin: 2rem }}</style></head><body>'
        '<h1>{quality} {thing}</h1><p>{text}</p><button onclick="this.textContent = +this.textContent + 1">0</button>'
        '</body></html>')  # fmt: skip
TASKS = 20


def uiray(*args: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-m", "uiray.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


class Server:
    """`uiray labels serve` on a free port; stop() is a SIGKILL (nothing gets to flush)."""

    def __init__(self, db, env):
        self.db, self.env, self.port = db, env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        command = [sys.executable, "-m", "uiray.cli", "labels", "serve", f"db={self.db}", f"port={self.port}",
                   "min_agreement=0.9"]  # fmt: skip
        with self.db.with_suffix(".log").open("a") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/labels/", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"labels server did not start: {self.db.with_suffix('.log').read_text()[-2000:]}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("labels")
    env = {**job_env(), "UIRAY_LABELS_ADMIN_TOKEN": "admin-" + os.urandom(8).hex()}
    answers = [{"id": f"{q}-{i}", "prompt": f"a counter for {i} people",
                "completion": "```html\n" + PAGE.format(quality=q, thing=i, text="Counts clicks. " * (3 - k)) + "\n```"}
               for i in range(TASKS) for k, q in enumerate(QUALITY)]  # fmt: skip
    (root / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    db = root / "labels.sqlite"
    made = uiray("labels", "tasks", "--answers", str(root / "answers.jsonl"), f"db={db}", "control_rate=1.0", env=env)
    assert made == {"tasks": TASKS, "with_control": TASKS, "db": str(db)}
    server = Server(db, env).start()
    admin = {"Authorization": f"Bearer {env['UIRAY_LABELS_ADMIN_TOKEN']}"}
    tokens = {name: httpx.post(f"{server.url}/labels/api/labelers", json={"name": name}, headers=admin).json()["token"]
              for name in ("careful", "random")}  # fmt: skip
    yield {"root": root, "db": db, "env": env, "server": server, "tokens": tokens, "admin": admin}
    server.kill()


def truth(store: LabelStore, task_id: str) -> list[str]:
    """The careful order of a task's candidates: by the quality written in their page, the control (a broken
    copy) last."""
    candidates = store.task(task_id)["candidates"]
    real = [c for c in candidates if not c["control_of"]]
    real.sort(key=lambda c: next(k for k, q in enumerate(QUALITY) if f"<h1>{q} " in c["reply"]))
    return [c["id"] for c in real] + [c["id"] for c in candidates if c["control_of"]]


def label_tasks(page, store: LabelStore, count: int, careful: bool, rng: random.Random) -> None:
    for _ in range(count):
        page.wait_for_function("() => document.body.dataset.task && document.body.dataset.task !== 'done'")
        task_id = page.evaluate("document.body.dataset.task")
        ids = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.id)")
        order = truth(store, task_id) if careful else rng.sample(ids, len(ids))
        if careful and rng.random() < 0.25:  # scores from 1 to 10 instead of an order
            for cid, score in zip(order, (9, 5, 1), strict=True):
                page.fill(f".card[data-id='{cid}'] .score", str(score))
            page.keyboard.press("Control+Enter")
        elif careful:  # the keyboard: each card's letter, best first, and a critique now and then
            for cid in order:
                page.keyboard.press("ABCD"[ids.index(cid)])
            page.fill("#critique", "Make the button larger." if rng.random() < 0.3 else "")
            page.keyboard.press("Control+Enter")
        else:  # the mouse
            for cid in order:
                page.click(f".card[data-id='{cid}'] .pick")
            page.click("#submit")
        page.wait_for_function("id => document.body.dataset.task !== id", arg=task_id)  # the next one is shown


def test_two_labelers_controls_a_restart_and_the_export_trained_on(session, tiny_model_dir):
    from playwright.sync_api import sync_playwright

    store, server, tokens = LabelStore(session["db"]), session["server"], session["tokens"]
    rng = random.Random(7)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        careful, sloppy = browser.new_page(), browser.new_page()
        careful.goto(f"{server.url}/labels/#token={tokens['careful']}")
        assert "token" not in careful.url  # taken out of the address bar
        label_tasks(careful, store, 10, True, rng)
        sloppy.goto(f"{server.url}/labels/#token={tokens['random']}")
        label_tasks(sloppy, store, TASKS, False, rng)

        server.kill()  # mid-session, SIGKILL: nothing is flushed on the way out
        server.start()
        careful.reload()
        careful.wait_for_function("() => document.body.dataset.task")
        assert "10 of 20 tasks done" in careful.inner_text("#progress")  # nothing submitted was lost
        label_tasks(careful, store, TASKS - 10, True, rng)
        careful.wait_for_function("() => document.body.dataset.task === 'done'")
        assert careful.inner_text("#prompt") == "All tasks are done. Thank you!"

        report = browser.new_page()
        report.goto(f"{server.url}/labels/report#token={session['env']['UIRAY_LABELS_ADMIN_TOKEN']}")
        report.wait_for_selector("tr[data-labeler='random']")
        assert report.inner_text("tr[data-labeler='careful'] .yes") == "yes"
        assert report.inner_text("tr[data-labeler='random'] .no") == "no"
        browser.close()

    labels = {name: [x for x in store.labels() if x.labeler == name] for name in tokens}
    assert len(labels["careful"]) == len(labels["random"]) == TASKS
    assert all(label.ranking == truth(store, label.task_id) for label in labels["careful"])
    assert any(label.scores for label in labels["careful"]) and any(label.critique for label in labels["careful"])

    out = session["root"] / "export"
    summary = uiray("labels", "export", "-o", str(out), f"db={session['db']}", "min_agreement=0.9", env=session["env"])
    assert summary["trusted"] == ["careful"] and summary["excluded"] == ["random"]
    pairs = [json.loads(line) for line in (out / "dpo.jsonl").read_text().splitlines()]
    assert len(pairs) == TASKS and {p["labelers"][0] for p in pairs} == {"careful"}  # 2 real pages + control
    assert all(QUALITY.index(p["chosen"].split("<h1>")[1].split()[0]) < QUALITY.index(p["rejected"].split("<h1>")[1]
               .split()[0]) for p in pairs)  # fmt: skip

    dpo_out = session["root"] / "dpo"
    settings = ["train.max_steps=2", "lora.r=8", "lora.alpha=16", "train.seq_len=512", "eval_fraction=0"]
    command = stage_command("dpo", tiny_model_dir, dpo_out, out / "dpo.jsonl", *settings)
    trained = subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (dpo_out / "final" / "adapter_config.json").is_file()


def test_bad_and_foreign_requests_get_a_4xx_and_change_nothing(session):
    url, admin = session["server"].url + "/labels/api", session["admin"]
    tokens = [httpx.post(f"{url}/labelers", json={"name": n}, headers=admin).json()["token"] for n in ("eve", "fred")]
    eve, fred = ({"Authorization": f"Bearer {token}"} for token in tokens)
    task = httpx.get(f"{url}/task", headers=eve).json()
    task_id, ranking = task["task_id"], [c["id"] for c in task["candidates"]]
    assert set(task["candidates"][0]) == {"id", "html"}  # a page and its id: nothing that tells a control apart
    httpx.post(f"{url}/labels", json={"task_id": task_id, "ranking": ranking}, headers=eve).raise_for_status()

    assert httpx.get(f"{url}/task").status_code == 401
    assert httpx.get(f"{url}/task", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.post(f"{url}/labelers", json={"name": "mallory"}, headers=eve).status_code == 403
    assert httpx.get(f"{url}/report", headers=fred).status_code == 403
    broken = httpx.post(f"{url}/labels", content=b"{not json", headers=eve)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    for body, status, message in [
        ({"task_id": task_id, "ranking": ranking[:2]}, 400, "every candidate"),
        ({"task_id": task_id, "scores": ranking}, 400, "scores must be"),
        ({"task_id": "missing", "ranking": ranking}, 404, "no task"),
        ({"task_id": task_id, "ranking": ranking, "labeler": "eve"}, 400, "unknown fields: labeler"),
    ]:
        answer = httpx.post(f"{url}/labels", json=body, headers=fred)
        assert answer.status_code == status and message in answer.json()["error"]["message"], answer.text
    # fred ranks the same task the other way: only his own label changes, and each sees only their own
    httpx.post(f"{url}/labels", json={"task_id": task_id, "ranking": ranking[::-1]}, headers=fred).raise_for_status()
    assert [x["ranking"] for x in httpx.get(f"{url}/mine", headers=eve).json()["labels"]] == [ranking]
    assert [x["labeler"] for x in httpx.get(f"{url}/mine", headers=fred).json()["labels"]] == ["fred"]


def test_tasks_from_model_samples_through_the_generation_path(tiny_model_dir, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ("a digital clock", "a todo list")))
    db = tmp_path / "labels.sqlite"
    made = uiray("labels", "tasks", "--model", str(tiny_model_dir), "--prompts", str(prompts), f"db={db}",
                 "generation.model.dtype=float32", "generation.sampling.max_tokens=32", "generation.sampling.n=4",
                 "generation.sampling.temperature=2.0", "control_rate=0", env=job_env())  # fmt: skip
    # a prompt whose samples all came out the same makes no task: the tiny model is peaked, so at least one
    assert made["tasks"] >= 1
    store = LabelStore(db)
    tasks = [store.task(t) for t in store.task_ids()]
    assert {t["prompt"] for t in tasks} <= {"a digital clock", "a todo list"} and len(tasks) == made["tasks"]
    assert all(len(t["candidates"]) >= 2 and {c["source"] for c in t["candidates"]} == {"model:tiny"} for t in tasks)
