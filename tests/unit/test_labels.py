"""Labels without a browser: tasks with hidden controls from answers, the store's rules, who is trusted,
Bradley-Terry, and the export. The ranking page itself: tests/integration/test_labels_page.py."""

import json
import random
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from uiray.labels.config import LabelsConfig
from uiray.labels.export import export
from uiray.labels.quality import bradley_terry, chance_of_right, control_checks, kendall_tau, trusted_labelers
from uiray.labels.store import Candidate, LabelError, LabelStore
from uiray.labels.tasks import build_tasks, read_answers

PAGE = '<!DOCTYPE html><html><body><h1>{}</h1><button onclick="this.textContent++">0</button></body></html>'


def reply(title: str) -> str:
    return f"```html\n{PAGE.format(title)}\n```"


def test_tasks_group_answers_by_prompt_and_hide_a_broken_copy_as_control(tmp_path):
    rows = [{"prompt": f"page {i % 5}", "completion": reply(f"answer {i}")} for i in range(15)]
    rows += [{"prompt": "page 0", "chosen": reply("good"), "rejected": reply("bad"), "id": "pair"}]
    rows += [{"prompt": "alone", "completion": reply("only one")}, {"prompt": "junk", "body": "no format"}]
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    answers = read_answers(str(tmp_path))
    assert len(answers["page 0"]) == 5 and ("alone" in answers) and "junk" not in answers

    tasks = build_tasks(answers, LabelsConfig(candidates=3, control_rate=1.0))
    assert [prompt for prompt, _ in tasks] == [f"page {i}" for i in range(5)]  # one answer alone is no task
    for _, candidates in tasks:
        [control] = [c for c in candidates if c.control_of is not None]
        original = candidates[control.control_of]
        assert len(candidates) == 3  # in the place of a candidate: as many pages as a task without a control
        assert control.source == "control" and original.source != "control" and control.perturbation
        assert control.reply != original.reply and control.reply.startswith("```html\n<!DOCTYPE")
    without = build_tasks(answers, LabelsConfig(control_rate=0.0))
    assert all(c.control_of is None for _, candidates in without for c in candidates)


def test_a_label_must_rank_every_candidate_once_and_each_labeler_keeps_their_own(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    ana, bo = store.add_labeler("ana"), store.add_labeler("bo")
    (ana_id, _), (bo_id, _) = store.labeler(ana), store.labeler(bo)
    task = store.add_task("a timer", [Candidate(reply("a"), "m"), Candidate(reply("b"), "m")])
    a, b = [c["id"] for c in store.task(task)["candidates"]]
    for bad, message in [({"ranking": [a]}, "every candidate"), ({"ranking": [a, a]}, "every candidate"),
                         ({"scores": {a: 11, b: 3}}, "1 to 10"), ({"scores": {a: 2}}, "every candidate"),
                         ({}, "either a ranking or scores")]:  # fmt: skip
        with pytest.raises(LabelError, match=message):
            store.submit(ana_id, task, **bad)
    with pytest.raises(LabelError, match="no task"):
        store.submit(ana_id, "nope", ranking=[a, b])
    with pytest.raises(LabelError, match="exists already"):
        store.add_labeler("ana")
    assert store.labeler("wrong token") is None

    assert store.submit(ana_id, task, ranking=[b, a], critique="  more colour ") == [b, a]
    assert store.submit(bo_id, task, scores={a: 9, b: 2}) == [a, b]
    assert store.submit(bo_id, task, ranking=[b, a]) == [b, a]  # bo replaces his own label, not ana's
    assert [(x.labeler, x.ranking, x.critique) for x in store.labels(ana_id)] == [("ana", [b, a], "more colour")]
    assert [x.ranking for x in store.labels(bo_id)] == [[b, a]] and store.next_task(ana_id) is None
    # the database holds no token, only digests
    with sqlite3.connect(tmp_path / "labels.sqlite") as db:
        assert ana not in json.dumps(db.execute("SELECT * FROM labelers").fetchall())


def test_controls_flag_a_random_labeler_and_the_export_keeps_only_careful_pairs(tmp_path):
    cfg = LabelsConfig(db=str(tmp_path / "labels.sqlite"), min_agreement=0.8, min_controls=5)
    store = LabelStore(cfg.db)
    careful, sloppy = (store.labeler(store.add_labeler(n))[0] for n in ("careful", "random"))
    rng = random.Random(1)
    for i in range(20):
        candidates = [Candidate(reply(f"best {i}"), "m"), Candidate(reply(f"ok {i}"), "m"),
                      Candidate(reply(f"broken {i}"), "control", control_of=0, perturbation="truncate")]  # fmt: skip
        task = store.add_task(f"page {i}", candidates)
        by_title = {c["reply"].split("<h1>")[1].split()[0]: c["id"] for c in store.task(task)["candidates"]}
        best, ok, control = by_title["best"], by_title["ok"], by_title["broken"]  # stored in a shuffled order
        store.submit(careful, task, ranking=[best, ok, control], critique="add a footer" if i == 0 else None)
        store.submit(sloppy, task, ranking=rng.sample([best, ok, control], 3))
    checks = control_checks(store)
    assert checks["careful"] == {"labels": 20, "controls": 20, "right": 20, "agreement": 1.0}
    assert checks["random"]["agreement"] < 0.8

    summary = export(store, cfg, tmp_path / "out")
    assert summary["trusted"] == ["careful"] and summary["excluded"] == ["random"]
    pairs = [json.loads(line) for line in (tmp_path / "out" / "dpo.jsonl").read_text().splitlines()]
    assert len(pairs) == 20 and all(p["labelers"] == ["careful"] for p in pairs)  # one pair per task, no control
    assert all("best" in p["chosen"] and "ok" in p["rejected"] for p in pairs)
    assert all(p["chosen_strength"] > p["rejected_strength"] and p["scores"] == {} for p in pairs)
    [refine] = [json.loads(line) for line in (tmp_path / "out" / "refine.jsonl").read_text().splitlines()]
    assert refine["source_prompt"] == "page 0" and "add a footer" in refine["prompt"] and "best 0" in refine["prompt"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "controls right" in report["labelers"]["random"]["why"]


def test_bradley_terry_orders_by_wins_and_kendall_tau_measures_agreement():
    wins = {("a", "b"): 2, ("b", "a"): 1, ("a", "c"): 3, ("b", "c"): 2, ("c", "b"): 1}
    strengths = bradley_terry(wins, ["a", "b", "c"])
    assert sorted(strengths, key=lambda k: -strengths[k]) == ["a", "b", "c"]
    assert sum(strengths.values()) == pytest.approx(1.0)
    assert kendall_tau(["a", "b", "c"], ["a", "b", "c"]) == 1.0 and kendall_tau(["a", "b"], ["b", "a"]) == -1.0


def test_trust_needs_enough_controls_right_that_random_clicks_rarely_do_as_well():
    seen = [("four", 4, 4), ("five", 5, 5), ("eight", 8, 7), ("nine", 9, 6), ("few", 2, 2)]
    checks = {name: {"controls": n, "right": r, "agreement": r / n} for name, n, r in seen}
    verdicts = trusted_labelers(checks, min_agreement=0.8, min_controls=3, max_chance=0.05)
    assert verdicts["five"].startswith("trusted") and verdicts["eight"].startswith("trusted")
    assert "6.2% of the time" in verdicts["four"] and "80% needed" in verdicts["nine"]
    assert "2 controls seen" in verdicts["few"]
    assert chance_of_right(5, 5) == 1 / 32 and chance_of_right(0, 7) == 1.0


def test_tasks_are_stored_whole_or_not_at_all_and_once(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    good = ("a", [Candidate(reply("1"), "m"), Candidate(reply("2"), "m")])
    bad = ("b", [Candidate(reply("1"), "m"), Candidate(reply("2"), "control", control_of=1)])  # its own original
    with pytest.raises(LabelError, match="task 1, candidate 1: control_of"):
        store.add_tasks([good, bad])
    assert store.task_ids() == []  # the good one was not stored either
    [first] = store.add_tasks([good])
    assert first and store.add_tasks([good]) == [None] and store.task_ids() == [first]  # a second import: once


def test_a_score_tie_is_no_preference_and_a_tied_control_is_not_ranked_right(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    labeler, _ = store.labeler(store.add_labeler("ana"))
    task = store.add_task("p", [Candidate(reply("x"), "m"), Candidate(reply("y"), "control", control_of=0)])
    original, control = sorted(store.task(task)["candidates"], key=lambda c: bool(c["control_of"]))
    store.submit(labeler, task, scores={original["id"]: 7, control["id"]: 7})
    assert control_checks(store)["ana"]["right"] == 0


def test_the_api_answers_bad_requests_with_a_4xx_and_a_message(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from uiray.labels.app import labels_app

    monkeypatch.setenv("UIRAY_LABELS_ADMIN_TOKEN", "the-admin")
    client = TestClient(labels_app(LabelsConfig(db=str(tmp_path / "labels.sqlite"))))
    admin = {"Authorization": "Bearer the-admin"}
    token = client.post("/labels/api/labelers", json={"name": "ana"}, headers=admin).json()["token"]
    ana = {"Authorization": f"Bearer {token}"}
    assert client.get("/labels/api/task", headers=ana).json()["done"]  # no tasks yet
    for method, path, body, headers, status, message in [
        ("post", "/labels/api/tasks", {"tasks": [{"prompt": 5, "candidates": [{"reply": "x"}, {"reply": "y"}]}]},
         admin, 400, "prompt must be non-empty text"),
        ("post", "/labels/api/tasks", {"tasks": [{"prompt": "p", "candidates": "x"}]}, admin, 400, "candidates"),
        ("post", "/labels/api/tasks", {"tasks": "all"}, admin, 400, "send {tasks"),
        ("post", "/labels/api/tasks", {"tasks": []}, ana, 403, "admin token"),
        ("post", "/labels/api/labelers", {"name": "ana"}, admin, 400, "exists already"),
        ("post", "/labels/api/labels", {"task_id": "t", "ranking": ["a"]}, {}, 401, "labeler token"),
        ("post", "/labels/api/labels", {"task_id": "t", "ranking": ["a"]}, ana, 404, "no task t"),
        ("post", "/labels/api/labels", {"task_id": 5}, ana, 400, "send {task_id"),
        ("post", "/labels/api/labels", "x" * 2**21, ana, 413, "over"),
    ]:  # fmt: skip
        answer = getattr(client, method)(path, json=body, headers=headers)
        assert answer.status_code == status and message in answer.json()["error"]["message"], (path, answer.text)


def test_labelers_submitting_at_once_lose_nothing(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    tasks = store.add_tasks([(f"p{i}", [Candidate(reply(f"a{i}"), "m"), Candidate(reply(f"b{i}"), "m")])
                             for i in range(10)])  # fmt: skip
    labelers = [store.labeler(store.add_labeler(f"l{k}"))[0] for k in range(4)]

    def label_all(labeler: int) -> None:
        for task in tasks:
            store.submit(labeler, task, ranking=[c["id"] for c in store.task(task)["candidates"]])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(label_all, labelers))
    assert len(store.labels()) == 40 and all(store.next_task(labeler) is None for labeler in labelers)
