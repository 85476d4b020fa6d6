"""Human labels in SQLite: labelers, tasks with their candidates, and each labeler's ranking of each task.

    store = LabelStore("outputs/labels/labels.sqlite")
    token = store.add_labeler("ana")                   # shown once; only its SHA-256 is kept
    store.add_task("a pomodoro timer", [Candidate(reply, "model:sft"), ...])
    task = store.next_task(labeler_id)                 # the first task this labeler has not labeled
    store.submit(labeler_id, task_id, ranking=[...])   # best first; committed before it returns

The journal is WAL: labelers submit while exports read, and a label is on disk once submit() returns, so a
restarted server loses none. Each connection is used by one thread at a time (the app opens one per request).
A labeler's label is keyed by (task, labeler): resubmitting replaces their own, and no call takes another
labeler's id from the caller, so nobody can read or change someone else's labels through the app.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS labelers (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, token_sha256 TEXT UNIQUE NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, prompt TEXT NOT NULL, digest TEXT UNIQUE NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), position INTEGER NOT NULL,
    reply TEXT NOT NULL, source TEXT NOT NULL, control_of TEXT, perturbation TEXT);
CREATE TABLE IF NOT EXISTS labels (
    task_id TEXT NOT NULL REFERENCES tasks(id), labeler_id INTEGER NOT NULL REFERENCES labelers(id),
    ranking TEXT NOT NULL, scores TEXT, critique TEXT, created REAL NOT NULL, PRIMARY KEY (task_id, labeler_id));
"""


class LabelError(ValueError):
    """A submission or request that cannot be taken; the message says why (the app answers 400 with it)."""


class TaskNotFound(LabelError):
    """No task with that id (the app answers 404)."""


class Candidate(NamedTuple):
    reply: str
    """The model's whole reply (what DPO trains on); the page previews the code in it."""
    source: str
    """Where it came from: `model:<name>`, `data:<row id>`, ..."""
    control_of: int | None = None
    """For a control: the position of the candidate it is a degraded copy of (it must rank below it)."""
    perturbation: str | None = None


class Label(NamedTuple):
    task_id: str
    labeler: str
    ranking: list[str]
    """Candidate ids, best first (from scores: by score, ties in the order shown)."""
    scores: dict[str, int] | None
    critique: str | None

    def prefers(self, a: str, b: str) -> bool:
        """This labeler put `a` above `b`: ranked it higher, or scored it strictly higher (a tie is no preference)."""
        if self.scores:
            return self.scores[a] > self.scores[b]
        return self.ranking.index(a) < self.ranking.index(b)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LabelStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # IMMEDIATE: `with db:` opens a write transaction at its first statement and commits (or rolls back) all
        # of it at the end; a task is never seen with half of its candidates.
        db = sqlite3.connect(self.path, timeout=30, isolation_level="IMMEDIATE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a label the server acknowledged survives a power cut too
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with closing(self._connect()) as db:
            return db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ labelers

    def add_labeler(self, name: str) -> str:
        """A new labeler; returns their token (kept only as a hash)."""
        if not name.strip():
            raise LabelError("a labeler needs a name")
        token = secrets.token_urlsafe(24)
        try:
            with closing(self._connect()) as db, db:
                db.execute("INSERT INTO labelers (name, token_sha256, created) VALUES (?, ?, ?)",
                           (name.strip(), token_hash(token), time.time()))  # fmt: skip
        except sqlite3.IntegrityError as e:
            raise LabelError(f"labeler {name!r} exists already") from e
        return token

    def labeler(self, token: str) -> tuple[int, str] | None:
        """(id, name) of the labeler with this token, or None."""
        rows = self._query("SELECT id, name FROM labelers WHERE token_sha256 = ?", (token_hash(token),))
        return rows[0] if rows else None

    def labelers(self) -> dict[int, str]:
        return dict(self._query("SELECT id, name FROM labelers ORDER BY id"))

    # ------------------------------------------------------------------ tasks

    def add_task(self, prompt: str, candidates: list[Candidate]) -> str | None:
        """A task: the prompt and its candidates (controls among them), in one transaction; returns its id, or
        None when the same prompt with the same candidates is stored already (`uiray labels tasks` run twice)."""
        return self.add_tasks([(prompt, candidates)])[0]

    def add_tasks(self, tasks: list[tuple[str, list[Candidate]]]) -> list[str | None]:
        """Several tasks in one transaction: all are stored, or none (a LabelError names the first bad one)."""
        for number, (prompt, candidates) in enumerate(tasks):
            _check_task(number, prompt, candidates)
        ids = []
        with closing(self._connect()) as db, db:
            db.execute("BEGIN IMMEDIATE")  # before the duplicate check: two imports of one file store it once
            for prompt, candidates in tasks:
                digest = hashlib.sha256(json.dumps([prompt, sorted(c.reply for c in candidates)]).encode()).hexdigest()
                if db.execute("SELECT 1 FROM tasks WHERE digest = ?", (digest,)).fetchone():
                    ids.append(None)
                    continue
                task_id = secrets.token_hex(6)
                cids = [secrets.token_hex(6) for _ in candidates]  # opaque: nothing in an id tells a control apart
                positions = list(range(len(candidates)))
                random.SystemRandom().shuffle(positions)  # and no stored order does either
                db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?)", (task_id, prompt, digest, time.time()))
                for cid, position, c in zip(cids, positions, candidates, strict=True):
                    control_of = cids[c.control_of] if c.control_of is not None else None
                    db.execute("INSERT INTO candidates VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (cid, task_id, position, c.reply, c.source, control_of, c.perturbation))  # fmt: skip
                ids.append(task_id)
        return ids

    def task_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM tasks ORDER BY created, rowid")]

    def task(self, task_id: str) -> dict:
        """{id, prompt, candidates: [{id, reply, source, control_of, perturbation}]} (controls included)."""
        rows = self._query("SELECT prompt FROM tasks WHERE id = ?", (task_id,))
        if not rows:
            raise TaskNotFound(f"no task {task_id}")
        columns = ("id", "reply", "source", "control_of", "perturbation")
        found = self._query(f"SELECT {', '.join(columns)} FROM candidates WHERE task_id = ? ORDER BY position",
                            (task_id,))  # fmt: skip
        return {"id": task_id, "prompt": rows[0][0], "candidates": [dict(zip(columns, r, strict=True)) for r in found]}

    def next_task(self, labeler_id: int) -> str | None:
        """The oldest task this labeler has not labeled yet."""
        rows = self._query(
            "SELECT id FROM tasks WHERE id NOT IN (SELECT task_id FROM labels WHERE labeler_id = ?) "
            "ORDER BY created, rowid LIMIT 1",
            (labeler_id,),
        )
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ labels

    def submit(self, labeler_id: int, task_id: str, ranking: list[str] | None = None,
               scores: dict[str, int] | None = None, critique: str | None = None) -> list[str]:  # fmt: skip
        """Store this labeler's ranking (candidate ids, best first) or 1-10 scores of every candidate of the task;
        returns the ranking kept. Raises LabelError naming what is wrong."""
        candidates = {c["id"] for c in self.task(task_id)["candidates"]}
        if (ranking is None) == (scores is None):
            raise LabelError("give either a ranking or scores")
        if scores is not None:
            if not isinstance(scores, dict) or set(scores) != candidates:
                raise LabelError("scores must be {candidate id: score} for every candidate of the task, and only them")
            if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10 for v in scores.values()):
                raise LabelError("scores are whole numbers from 1 to 10")
            ranking = sorted(scores, key=lambda c: -scores[c])
        if (
            not isinstance(ranking, list)
            or not all(isinstance(c, str) for c in ranking)
            or sorted(ranking) != sorted(candidates)
        ):
            raise LabelError("the ranking must list every candidate id of the task once, best first")
        if critique is not None and (not isinstance(critique, str) or len(critique) > 2000):
            raise LabelError("a critique is text of at most 2000 characters")
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?, ?)",
                       (task_id, labeler_id, json.dumps(ranking), json.dumps(scores) if scores else None,
                        critique.strip() if critique and critique.strip() else None, time.time()))  # fmt: skip
        return ranking

    def labels(self, labeler_id: int | None = None) -> list[Label]:
        """Every label (or one labeler's), oldest first."""
        sql = ("SELECT l.task_id, r.name, l.ranking, l.scores, l.critique FROM labels l "
               "JOIN labelers r ON r.id = l.labeler_id")  # fmt: skip
        rows = self._query(sql + (" WHERE l.labeler_id = ?" if labeler_id is not None else "") + " ORDER BY l.created",
                           (labeler_id,) if labeler_id is not None else ())  # fmt: skip
        return [Label(t, name, json.loads(r), json.loads(s) if s else None, c) for t, name, r, s, c in rows]

    def progress(self, labeler_id: int) -> dict[str, int]:
        done = self._query("SELECT COUNT(*) FROM labels WHERE labeler_id = ?", (labeler_id,))[0][0]
        return {"done": done, "total": self._query("SELECT COUNT(*) FROM tasks")[0][0]}


def _check_task(number: int, prompt, candidates) -> None:
    where = f"task {number}"
    if not isinstance(prompt, str) or not prompt.strip():
        raise LabelError(f"{where}: the prompt must be non-empty text")
    if not isinstance(candidates, list) or len(candidates) < 2:
        raise LabelError(f"{where}: needs at least two candidates")
    for k, c in enumerate(candidates):
        if not isinstance(c.reply, str) or not c.reply.strip() or not isinstance(c.source, str):
            raise LabelError(f"{where}, candidate {k}: the reply and source must be text")
        if c.control_of is not None and (
            not isinstance(c.control_of, int)
            or not 0 <= c.control_of < len(candidates)
            or c.control_of == k
            or candidates[c.control_of].control_of is not None
        ):
            raise LabelError(f"{where}, candidate {k}: control_of must be the position of another, real candidate")
