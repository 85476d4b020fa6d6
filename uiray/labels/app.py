"""The labeling service: the ranking page and its JSON API, under /labels.

    uiray labels serve                       # this router alone (uvicorn), e.g. for a labeling session
    uiray serve ... labels.enabled=true      # the same router inside the serving app, next to the playground

Labelers send `Authorization: Bearer <their token>` (the page keeps it from its #token= link); admin routes take
the admin token from cfg.admin_token_env. Every answer to a bad request is a 4xx with {"error": {"message"}}.

    GET  /labels/                  the page                         (open: static; it sends the token)
    GET  /labels/report            the labeler report page          (open: static; it sends the admin token)
    GET  /labels/api/task          the labeler's next task: its pages in an order of their own, nothing else
    POST /labels/api/labels        {task_id, ranking: [ids, best first] | scores: {id: 1-10}, critique?}
    GET  /labels/api/mine          the labeler's own labels
    POST /labels/api/labelers      admin: {name} -> {name, token}
    POST /labels/api/tasks         admin: {tasks: [{prompt, candidates: [{reply, source, control_of?}]}]}
    GET  /labels/api/report        admin: control agreement per labeler, trusted or why not, agreement
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import random
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response

from uiray.labels.config import LabelsConfig
from uiray.labels.export import labeler_report
from uiray.labels.store import Candidate, LabelError, LabelStore, TaskNotFound
from uiray.page.extract import extract_html

MAX_BODY = 2**20
# The page may call this server; candidate pages run in sandboxed iframes with a no-network policy of their own.
PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
               "connect-src 'self'; frame-src 'none'; base-uri 'none'; form-action 'none'")  # fmt: skip


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": status}}, status_code=status)


def labels_router(cfg: LabelsConfig) -> APIRouter:
    """The routes; every SQLite call runs in Starlette's thread pool, off the event loop (inside `uiray serve`
    that loop also streams chat completions)."""
    store = LabelStore(cfg.db)
    admin = os.environ.get(cfg.admin_token_env)
    admin_digest = hashlib.sha256(admin.encode()).digest() if admin else None  # only a digest is kept
    db = run_in_threadpool
    pages = {name: (resources.files("uiray.labels") / name).read_text(encoding="utf-8")
             for name in ("labels.html", "report.html")}  # fmt: skip
    router = APIRouter(prefix="/labels")

    async def labeler(request: Request) -> tuple[int, str]:
        found = await db(store.labeler, _bearer(request))
        if found is None:
            raise Refused(401, "missing or unknown labeler token (send Authorization: Bearer <token>)")
        return found

    def admin(request: Request) -> None:
        if admin_digest is None:
            raise Refused(403, f"admin routes are off: set {cfg.admin_token_env} where the server starts")
        given = hashlib.sha256(_bearer(request).encode()).digest()
        if not hmac.compare_digest(given, admin_digest):
            raise Refused(401 if not _bearer(request) else 403, "this needs the admin token")

    def page(name: str) -> HTMLResponse:
        return HTMLResponse(pages[name], headers={"Content-Security-Policy": PAGE_POLICY,
                                                  "X-Content-Type-Options": "nosniff"})  # fmt: skip

    @router.get("/")
    async def labeling_page() -> HTMLResponse:
        return page("labels.html")

    @router.get("/report")
    async def report_page() -> HTMLResponse:
        return page("report.html")

    @router.get("/api/task")
    async def next_task(request: Request) -> Response:
        labeler_id, name = await labeler(request)
        task_id = await db(store.next_task, labeler_id)
        progress = await db(store.progress, labeler_id)
        if task_id is None:
            return JSONResponse({"done": True, "labeler": name, "progress": progress})
        task = await db(store.task, task_id)
        # The page alone: nothing else a candidate carries (its source, its control mark) is sent.
        candidates = [{"id": c["id"], "html": _page(c["reply"])} for c in task["candidates"]]
        random.Random(f"{labeler_id}:{task_id}").shuffle(candidates)  # an order of their own, stable on reload
        return JSONResponse({"task_id": task_id, "prompt": task["prompt"], "candidates": candidates,
                             "labeler": name, "progress": progress})  # fmt: skip

    @router.post("/api/labels")
    async def submit(request: Request) -> Response:
        labeler_id, _ = await labeler(request)
        body = await _json(request)
        unknown = set(body) - {"task_id", "ranking", "scores", "critique"}
        if unknown or not isinstance(body.get("task_id"), str):
            raise Refused(400, "send {task_id, ranking or scores, critique?}" +
                          (f"; unknown fields: {', '.join(sorted(unknown))}" if unknown else ""))  # fmt: skip
        ranking = await db(store.submit, labeler_id, body["task_id"], body.get("ranking"), body.get("scores"),
                           body.get("critique"))  # fmt: skip
        return JSONResponse({"saved": True, "ranking": ranking, "progress": await db(store.progress, labeler_id)})

    @router.get("/api/mine")
    async def mine(request: Request) -> Response:
        labeler_id, name = await labeler(request)
        labels = await db(store.labels, labeler_id)
        return JSONResponse({"labeler": name, "labels": [label._asdict() for label in labels]})

    @router.post("/api/labelers")
    async def add_labeler(request: Request) -> Response:
        admin(request)
        body = await _json(request)
        if not isinstance(body.get("name"), str):
            raise Refused(400, "send {name}")
        return JSONResponse({"name": body["name"], "token": await db(store.add_labeler, body["name"])})

    @router.post("/api/tasks")
    async def add_tasks(request: Request) -> Response:
        admin(request)
        tasks = (await _json(request)).get("tasks")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise Refused(400, "send {tasks: [{prompt, candidates: [{reply, source?, control_of?}]}]}")
        parsed = []
        for number, task in enumerate(tasks):
            found = task.get("candidates")
            if not isinstance(found, list) or not all(isinstance(c, dict) and "reply" in c for c in found):
                raise Refused(400, f"task {number}: candidates must be a list of {{reply, source?, control_of?}}")
            parsed.append((task.get("prompt"), [Candidate(c["reply"], c.get("source", "upload"), c.get("control_of"),
                                                          c.get("perturbation")) for c in found]))  # fmt: skip
        return JSONResponse({"task_ids": await db(store.add_tasks, parsed)})  # all of them, or none and a 400

    @router.get("/api/report")
    async def report(request: Request) -> Response:
        admin(request)
        return JSONResponse(await db(labeler_report, store, cfg))

    return router


def add_error_handlers(app: FastAPI) -> None:
    async def refused(_request, e: Refused) -> Response:
        return error(e.status, str(e))

    async def bad_label(_request, e: LabelError) -> Response:
        return error(404 if isinstance(e, TaskNotFound) else 400, str(e))

    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(LabelError, bad_label)


def labels_app(cfg: LabelsConfig) -> FastAPI:
    """The labeling service alone (`uiray labels serve`)."""
    app = FastAPI(title="uiray labels", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(labels_router(cfg))
    add_error_handlers(app)

    @app.get("/")
    async def root() -> Response:
        return Response(status_code=307, headers={"location": "/labels/"})

    return app


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _json(request: Request) -> dict:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, f"request body over {MAX_BODY} bytes")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Refused(413, f"request body over {MAX_BODY} bytes")
    try:
        parsed = json.loads(body)
    except ValueError as e:
        raise Refused(400, f"the body is not valid JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise Refused(400, "the body must be a JSON object")
    return parsed


def _page(reply: str) -> str:
    page = extract_html(reply)
    return page.html if page else f"<pre>{html.escape(reply)}</pre>"
