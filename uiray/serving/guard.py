"""The ingress's outer layer, as plain ASGI: API key, body size, well-formed JSON, bounded concurrency.

Plain ASGI rather than Starlette's BaseHTTPMiddleware: that one ends its part of a request when the handler
returns, before a streamed (SSE) body is sent, so a concurrency slot would be given back while the tokens
still flow. Here the slot is held until the last byte of the response went out.

Refusals come first and cost nothing: a request without the key, with a body over the limit or not a JSON
object, or one over the in-flight bound gets its 4xx before any model or browser work is done (a 429 carries
Retry-After: clients back off instead of piling up behind a busy engine). The JSON check is here because the
layers behind it answer 500 to two malformed bodies (Ray Serve LLM's validation handler fails to report a body
that is not JSON; vLLM's request model raises TypeError on `messages` that is not a list).

Every request, refused or not, is in Serve's access log (method, route, status, latency, request id): the
replica's log in the Ray dashboard and under /tmp/ray/session_latest/logs/serve/.
"""

from __future__ import annotations

import hashlib
import hmac
import json

OPEN_PATHS = frozenset({"/", "/healthz", "/readyz"})
"""Answered without the API key: probes, and the playground page (static; it sends the key on its calls)."""


def _open(path: str) -> bool:
    """Needs no API key: OPEN_PATHS, and the labeling service, whose labelers send their own tokens."""
    return path in OPEN_PATHS or path == "/labels" or path.startswith("/labels/")


def error_body(status: int, message: str, kind: str) -> bytes:
    """An OpenAI-shaped error: the official client reads error.message into its exception."""
    return json.dumps({"error": {"message": message, "type": kind, "code": status}}).encode()


class Guard:
    """ASGI middleware; `api_key` None leaves the service open (the playground on a laptop)."""

    def __init__(self, app, *, api_key: str | None, max_concurrent: int, max_body_bytes: int):
        self.app = app
        # Only a digest is kept: the pickled ingress (and anything that dumps it) never holds the key itself.
        self.key_digest = hashlib.sha256(api_key.encode()).digest() if api_key else None
        self.max_concurrent = max_concurrent
        self.max_body_bytes = max_body_bytes
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.key_digest and not _open(scope["path"]) and not self._authorized(scope):
            return await _refuse(send, 401, "missing or wrong API key (send Authorization: Bearer <key>)",
                                 "authentication_error")  # fmt: skip
        body = await self._read_body(scope, receive)
        if body is None:
            return await _refuse(send, 413, f"request body over {self.max_body_bytes} bytes", "invalid_request_error")
        problem = malformed(scope, body)
        if problem:
            return await _refuse(send, 400, problem, "invalid_request_error")
        if self.in_flight >= self.max_concurrent:
            return await _refuse(send, 429, f"server busy: {self.in_flight} requests in flight; retry shortly",
                                 "rate_limit_error", [(b"retry-after", b"1")])  # fmt: skip
        self.in_flight += 1
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            self.in_flight -= 1

    def _authorized(self, scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        given = hashlib.sha256(token.strip()).digest()
        return scheme.lower() == b"bearer" and hmac.compare_digest(given, self.key_digest)

    async def _read_body(self, scope, receive) -> bytes | None:
        """The whole body (None when it is over the limit); declared lengths are checked before reading."""
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the handler sees an empty body and the disconnect
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body"):
                break
        return b"".join(chunks)


def malformed(scope, body: bytes) -> str | None:
    """What is wrong with a POST body, or None: every POST endpoint here takes one JSON object."""
    if scope["method"] != "POST":
        return None
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return f"the body is not valid JSON: {e}"
    if not isinstance(data, dict):
        return f"the body must be a JSON object, not {type(data).__name__}"
    messages = data.get("messages")
    if scope["path"].endswith("/chat/completions") and not (
        isinstance(messages, list) and all(isinstance(m, dict) for m in messages)
    ):
        return "messages must be a list of {role, content} objects"
    return None


def _replay(body: bytes, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect, for streaming handlers that watch for it

    return replayed


async def _refuse(send, status: int, message: str, kind: str, headers: list | None = None) -> None:
    body = error_body(status, message, kind)
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
