"""uiray serve's parts that need no server: the ASGI guard, preview requests, and what gets served."""

import asyncio
import json

import pytest

from uiray.config import ConfigError
from uiray.serving.config import ServeConfig
from uiray.serving.guard import Guard
from uiray.serving.models import resolve_served
from uiray.serving.preview import PreviewError, Screenshots, as_reply, extracted_code, parse_request


class Downstream:
    """The app behind the guard: answers 200 once `release` is set, streaming its body in two parts."""

    def __init__(self):
        self.release = asyncio.Event()
        self.bodies = []

    async def __call__(self, scope, receive, send):
        self.bodies.append((await receive())["body"])
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})


async def call(guard, path="/v1/chat/completions", body=b'{"messages": []}', headers=(), method="POST"):
    scope = {"type": "http", "method": method, "path": path, "headers": [(k.encode(), v.encode()) for k, v in headers]}
    chunks = [{"type": "http.request", "body": body[:5], "more_body": True},
              {"type": "http.request", "body": body[5:], "more_body": False}]  # fmt: skip
    sent = []

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await guard(scope, receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, dict(sent[0]["headers"]), body


def test_guard_wants_the_key_except_on_open_paths():
    async def run():
        app = Downstream()
        app.release.set()
        guard = Guard(app, api_key="s3cret", max_concurrent=4, max_body_bytes=1000)
        status, _, body = await call(guard)
        assert status == 401 and "API key" in json.loads(body)["error"]["message"]
        assert (await call(guard, headers=[("authorization", "Bearer wrong")]))[0] == 401
        assert (await call(guard, headers=[("authorization", "Basic s3cret")]))[0] == 401
        status, _, body = await call(guard, headers=[("authorization", "Bearer s3cret")])
        assert (status, body) == (200, b"partend")
        assert app.bodies == [b'{"messages": []}']  # the body, read by the guard, reaches the app whole
        for path in ("/healthz", "/readyz", "/"):
            assert (await call(guard, path=path, method="GET", body=b""))[0] == 200
        assert "s3cret" not in repr(vars(guard))  # only a digest is kept

    asyncio.run(run())


def test_guard_refuses_big_and_malformed_bodies_with_a_message():
    async def run():
        app = Downstream()
        app.release.set()
        guard = Guard(app, api_key=None, max_concurrent=4, max_body_bytes=100)
        status, _, body = await call(guard, body=b'{"x": "' + b"a" * 200 + b'"}')
        assert status == 413 and "100 bytes" in json.loads(body)["error"]["message"]
        declared = [("content-length", "5000")]
        assert (await call(guard, headers=declared))[0] == 413  # refused on the declared length
        for bad, words in [(b"{nope", "not valid JSON"), (b"[1, 2]", "JSON object"), (b"\xff\xfe", "not valid JSON"),
                           (b'{"messages": 5}', "messages must be a list"),
                           (b'{"messages": ["hi"]}', "messages must be a list")]:  # fmt: skip
            status, _, body = await call(guard, body=bad)
            assert status == 400 and words in json.loads(body)["error"]["message"], bad
        assert (await call(guard, path="/v1/completions", body=b'{"prompt": "x"}'))[0] == 200
        assert app.bodies == [b'{"prompt": "x"}']  # nothing refused reached the app

    asyncio.run(run())


def test_guard_answers_429_past_the_bound_and_holds_a_slot_until_the_stream_ends():
    async def run():
        app = Downstream()
        guard = Guard(app, api_key=None, max_concurrent=2, max_body_bytes=1000)
        held = [asyncio.create_task(call(guard)) for _ in range(2)]
        await asyncio.sleep(0.05)
        status, headers, body = await asyncio.wait_for(call(guard), 5)  # a guard that let it through would hang
        assert status == 429 and headers[b"retry-after"] == b"1" and "busy" in json.loads(body)["error"]["message"]
        app.release.set()
        assert [(await t)[0] for t in held] == [200, 200]
        assert guard.in_flight == 0
        assert (await call(guard))[0] == 200

    asyncio.run(run())


def test_preview_requests_are_checked_and_named():
    assert parse_request({"html": "<p>hi</p>"}, 1000)["kind"] == "html"
    assert parse_request({"prompt": "a timer", "model": "m:sft"}, 1000)["kind"] == "prompt"
    cases = [({}, 400, "exactly one"), ({"html": "a", "tsx": "b"}, 400, "exactly one"), ([1], 400, "JSON object"),
             ({"html": 5}, 400, "non-empty string"), ({"html": " "}, 400, "non-empty string"),
             ({"html": "x" * 1001}, 413, "limit is 1000"), ({"html": "a", "colour": 1}, 400, "unknown fields"),
             ({"reply": "a", "checklist": "click"}, 400, "checklist")]  # fmt: skip
    for body, status, words in cases:
        with pytest.raises(PreviewError, match=words) as caught:
            parse_request(body, 1000)
        assert caught.value.status == status, body


def test_preview_code_is_what_the_model_wrote():
    page = "<!DOCTYPE html><html><body><button>1</button></body></html>"
    assert extracted_code(as_reply("html", page)) == (page, "html")
    component = "export default function App() { return <button>Hi</button>; }"
    assert extracted_code(as_reply("tsx", component)) == (component, "tsx")
    assert extracted_code(as_reply("reply", "no page here")) == (None, None)
    shots = Screenshots(keep=2)
    ids = [shots.add(bytes([i])) for i in range(3)]
    assert shots.get(ids[0]) is None and shots.get(ids[2]) == b"\x02" and len(set(ids)) == 3


def _adapter(path, base, r=8):
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(base), "r": r}))
    return path


def test_served_models_resolve_run_directories_and_refuse_an_adapter_on_another_base(tmp_path):
    base, other = tmp_path / "base", tmp_path / "other"
    for model in (base, other):
        model.mkdir()
        (model / "config.json").write_text("{}")
    _adapter(tmp_path / "runs" / "sft" / "final", base, r=16)
    _adapter(tmp_path / "dpo-adapter", base, r=4)
    served = resolve_served(ServeConfig(model={"name": str(tmp_path / "runs" / "sft")},
                                        adapters={"dpo": str(tmp_path / "dpo-adapter")}))  # fmt: skip
    assert served.model_id == "base" and served.base_path == str(base)
    assert served.adapters == {"sft": str(tmp_path / "runs" / "sft" / "final"), "dpo": str(tmp_path / "dpo-adapter")}
    assert served.max_lora_rank == 16
    assert resolve_served(ServeConfig(model={"name": str(base)}, model_id="ui")).model_id == "ui"

    _adapter(tmp_path / "stray", other)
    with pytest.raises(ConfigError, match="adapter stray .* trained on .*other"):
        resolve_served(ServeConfig(model={"name": str(base)}, adapters={"stray": str(tmp_path / "stray")}))
    with pytest.raises(ConfigError, match="adapters.x: .* not a peft adapter"):
        resolve_served(ServeConfig(model={"name": str(base)}, adapters={"x": str(other)}))
    for bad, words in [({"model_id": "a:b"}, "no ':'"), ({"adapters": {"a/b": str(base)}}, "letters, digits"),
                       ({"engine": {"max_model_len": 1024}}, "preview.sampling.max_tokens=1536 leaves no room"),
                       ({"replicas": {"min_replicas": 3, "max_replicas": 2}}, "min_replicas=3")]:  # fmt: skip
        with pytest.raises(ValueError, match=words):
            ServeConfig(**bad)
