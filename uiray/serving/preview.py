"""`POST /v1/preview`: a page (given, or generated from a prompt) rendered and scored by the browser replicas.

    {"html": "<!DOCTYPE html>..."}                      render and score this page
    {"tsx": "export default function App() {...}"}      a React component: transpiled, mounted, rendered
    {"prompt": "a pomodoro timer", "model": "m:sft"}    generate with the model first, then the same
    {"reply": "Here is your page: ```html ..."}         a model's reply (the playground's streamed one)

The answer: the extracted code, the render result, the reward and its breakdown, the issues that cost reward,
and `screenshot_url`, whose GET returns the PNG. Scoring is RewardWorker.score, the reward of the data stage
and GRPO, running as a Serve deployment that asks for the `render` resource: browsers live where render
nodes are, never on the engine's or a trainer's node.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict

from uiray.page.extract import extract_html
from uiray.render.jsx import extract_component

SOURCES = ("html", "tsx", "reply", "prompt")
"""What a preview starts from: a page, a React component, a model's reply, or a prompt to generate from."""


class PreviewError(ValueError):
    """A preview request that cannot be served; status is the HTTP code to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_request(body: object, max_html_chars: int) -> dict:
    """Check a preview body: exactly one of SOURCES (a string), and the optional fields."""
    if not isinstance(body, dict):
        raise PreviewError(400, f"the body must be a JSON object with one of: {', '.join(SOURCES)}")
    given = [k for k in SOURCES if body.get(k) is not None]
    if len(given) != 1:
        raise PreviewError(400, f"give exactly one of {', '.join(SOURCES)} (got {given or 'none'})")
    unknown = set(body) - {*SOURCES, "model", "checklist", "max_tokens", "temperature", "seed"}
    if unknown:
        raise PreviewError(400, f"unknown fields: {sorted(unknown)}")
    kind = given[0]
    if not isinstance(body[kind], str) or not body[kind].strip():
        raise PreviewError(400, f"{kind} must be a non-empty string")
    if len(body[kind]) > max_html_chars:
        raise PreviewError(413, f"{kind} is {len(body[kind])} characters; the limit is {max_html_chars}")
    if body.get("checklist") is not None and not isinstance(body["checklist"], list):
        raise PreviewError(400, "checklist must be a list of items (see uiray/reward/checklist.py)")
    return {"kind": kind, **body}


def as_reply(kind: str, source: str) -> str:
    """The reward reads replies: a given page or component becomes one, fenced so extraction finds it whole."""
    if kind == "reply":
        return source
    return f"```{'tsx' if kind == 'tsx' else 'html'}\n{source}\n```"


def extracted_code(reply: str) -> tuple[str | None, str | None]:
    """(code, language) as the model wrote it: the HTML page, or the React component."""
    found = extract_html(reply)
    if found is not None:
        return found.html, "html"
    component = extract_component(reply)
    return (component, "tsx") if component else (None, None)


class Screenshots:
    """The last `keep` screenshots by random id (unguessable: one client cannot fetch another's by counting)."""

    def __init__(self, keep: int):
        self.keep = keep
        self._shots: OrderedDict[str, bytes] = OrderedDict()

    def add(self, png: bytes) -> str:
        shot_id = secrets.token_urlsafe(12)
        self._shots[shot_id] = png
        while len(self._shots) > self.keep:
            self._shots.popitem(last=False)
        return shot_id

    def get(self, shot_id: str) -> bytes | None:
        return self._shots.get(shot_id)
